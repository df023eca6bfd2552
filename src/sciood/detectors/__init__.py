"""sciood.detectors: anomaly detectors behind one contract and a name registry.

>>> from sciood.detectors import available, make
>>> "ae" in available()
True
>>> det = make("iforest", seed=0)

See :mod:`sciood.detectors.base` for the contract (fit / score / fit_score / save / load).
"""

from __future__ import annotations

from sciood.detectors.base import (
    Detector,
    available,
    check_params,
    load,
    make,
    register,
    sklearn_score,
)

__all__ = ["Detector", "available", "check_params", "load", "make", "register", "sklearn_score"]
