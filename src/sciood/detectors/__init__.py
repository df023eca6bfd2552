"""sciood.detectors: anomaly detectors behind one contract and a name registry.

>>> from sciood.detectors import available, make
>>> "ae" in available()
True
>>> det = make("iforest", seed=0)

The contract (fit / score / decision_function / fit_score / get_params / set_params / save /
load) is :class:`Detector` in :mod:`sciood.detectors.contract`; names are resolved by
:mod:`sciood.detectors.registry` (built-in table, :func:`register`, ``sciood.detectors``
entry points); docs/detectors.md describes every family.  Any PyOD detector is
``make("pyod:<ClassName>")`` (:mod:`sciood.detectors.pyod_adapter`), and :func:`as_pyod`
puts a sciood detector behind PyOD's API (:mod:`sciood.detectors.pyod_api`).
:data:`DEFAULT_DETECTOR` (:mod:`sciood.detectors.default`) is the detector a run uses when its
config names none.
"""

from __future__ import annotations

import warnings
from typing import Any

from sciood.detectors.contract import Detector, load
from sciood.detectors.default import DEFAULT_DETECTOR
from sciood.detectors.params import check_params
from sciood.detectors.pyod_api import as_pyod
from sciood.detectors.registry import available, make, register

__all__ = ["DEFAULT_DETECTOR", "Detector", "as_pyod", "available", "check_params", "load",
           "make", "register"]


def __getattr__(name: str) -> Any:
    if name == "sklearn_score":  # removed from the public API; deprecated for one release
        from sciood.detectors.classical import _sklearn_score

        warnings.warn("sciood.detectors.sklearn_score is private now (removed in sciood 0.3); "
                      "negate scikit-learn's score_samples yourself", FutureWarning,
                      stacklevel=2)
        return _sklearn_score
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
