"""The score cut of the hunt: a threshold keeping a weighted fraction of the background."""

from __future__ import annotations

from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood._compat import renamed_weights
from sciood.errors import DataError
from sciood.stats.binning import as_1d

__all__ = ["cut_threshold_for_efficiency"]


def cut_threshold_for_efficiency(
    score: ArrayLike, efficiency: float, *, sample_weight: ArrayLike | None = None,
    weights: ArrayLike | None = None,
) -> float:
    """Score threshold keeping a weighted fraction ``efficiency`` of the events.

    The weights are keyword-only (``sample_weight=``); they used to be the second positional
    argument, and a call in that old form now fails with a ``TypeError`` (never silently).

    Parameters
    ----------
    score : array-like, shape (n,)
        Anomaly scores (higher = more anomalous).
    efficiency : float
        Fraction to keep, in (0, 1].
    sample_weight : array-like, shape (n,), optional
        Event weights (negative allowed; the cumulative sum is taken in score order).
    weights : array-like, optional
        Deprecated alias of ``sample_weight`` (FutureWarning).

    Returns
    -------
    float
        Threshold ``t``; keep events with ``score >= t``.
    """
    sample_weight = cast("ArrayLike | None",
                         renamed_weights(sample_weight, weights, "cut_threshold_for_efficiency"))
    s = as_1d("score", score)
    if s.size == 0:
        raise DataError("cannot choose a cut threshold on zero events")
    w = (np.ones_like(s) if sample_weight is None
         else as_1d("sample_weight", sample_weight, s.size))
    if not 0.0 < efficiency <= 1.0:
        raise DataError(f"cut efficiency {efficiency} must be in (0, 1]")
    order = np.argsort(-s, kind="stable")
    cum = np.cumsum(w[order])
    total = cum[-1]
    if total <= 0:
        raise DataError("sum of weights is not positive; cannot define an efficiency")
    idx = int(np.searchsorted(cum / total, efficiency - 1e-12, side="left"))
    return float(s[order][min(idx, s.size - 1)])


def _apply_cut(
    score: NDArray[np.float64] | None,
    weights: NDArray[np.float64],
    bkg_mask: NDArray[np.bool_],
    cut_eff_b: float | None,
    cut_threshold: float | None,
) -> tuple[NDArray[np.bool_], float | None, float | None]:
    """Events kept by the cut (n,), the threshold and the background efficiency it keeps.

    ``weights`` (n,) are the event weights, ``bkg_mask`` (n,) the background events on
    which ``cut_eff_b`` is measured.
    """
    n = weights.size
    if score is None:
        if cut_eff_b is not None or cut_threshold is not None:
            raise DataError("a cut was requested but score is None; pass the anomaly scores")
        return np.ones(n, dtype=bool), None, None
    if cut_eff_b is not None and cut_threshold is not None:
        raise DataError("pass either cut_eff_b or cut_threshold, not both")
    if cut_eff_b is not None:
        cut_threshold = cut_threshold_for_efficiency(score[bkg_mask], cut_eff_b,
                                                     sample_weight=weights[bkg_mask])
    if cut_threshold is None:
        return np.ones(n, dtype=bool), None, None
    keep = score >= cut_threshold
    wb = weights[bkg_mask]
    eff = float(wb[keep[bkg_mask]].sum() / wb.sum()) if wb.sum() > 0 else float("nan")
    return keep, float(cut_threshold), eff
