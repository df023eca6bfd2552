"""Compatibility module: the names that lived here now live in one module per concept.

* :mod:`sciood.detectors.contract` — the :class:`Detector` base class (fit / score /
  decision_function / fit_score / get_params / set_params / save / load);
* :mod:`sciood.detectors.registry` — :func:`available`, :func:`make`, :func:`register`,
  :func:`detector_class` (static name -> ``"module:Class"`` table, entry points);
* :mod:`sciood.detectors.params` — :func:`check_params` and the parameter checks;
* :mod:`sciood.detectors.inputs` — input checks, :func:`score_in_blocks`, :data:`SCORE_BLOCK`;
* :mod:`sciood.detectors.persistence` — the model directory format, :data:`MODEL_FORMAT`;
* :mod:`sciood.detectors.sklearn_parts` — reading ``.skops`` parts,
  :data:`TRUSTED_SKOPS_TYPES`.

Every name importable from here before still is (``sklearn_score`` included, now a private
helper of :mod:`sciood.detectors.classical`, imported on first access).
"""

from __future__ import annotations

from typing import Any

from sciood.detectors.contract import Detector, load
from sciood.detectors.inputs import MAX_ABS_INPUT as MAX_ABS_INPUT
from sciood.detectors.inputs import MAX_STANDARDISED as MAX_STANDARDISED
from sciood.detectors.inputs import SCORE_BLOCK as SCORE_BLOCK
from sciood.detectors.inputs import LabelKind as LabelKind
from sciood.detectors.inputs import score_in_blocks as score_in_blocks
from sciood.detectors.params import check_base_params as check_base_params
from sciood.detectors.params import check_params
from sciood.detectors.params import extra_params as extra_params
from sciood.detectors.persistence import MODEL_FORMAT
from sciood.detectors.registry import available, make, register
from sciood.detectors.registry import detector_class as detector_class
from sciood.detectors.sklearn_parts import TRUSTED_SKOPS_TYPES

#: unchanged from before the split; the other names above stay importable from here
__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_SKOPS_TYPES",
    "Detector",
    "available",
    "check_params",
    "load",
    "make",
    "register",
]


def __getattr__(name: str) -> Any:
    if name == "sklearn_score":  # moved out of the public API; kept importable
        from sciood.detectors.classical import _sklearn_score

        return _sklearn_score
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
