"""Weighted ranking metrics: ROC, SIC, rejection, efficiency, AUROC, AUPR (sort-bound).

Every function takes ``(y, score)`` in that order (scikit-learn's ``(y_true, y_score)``):
``y`` (1 = signal / anomaly, 0 = background), ``score`` (higher = more anomalous), and the
optional per-event weights as the keyword-only ``sample_weight=`` (negative Monte-Carlo
weights are legal).

All metrics are computed from one :class:`~sciood.metrics.curve.RankingCurve`: the scores are
sorted **once**, the signal and background weights are accumulated in that order and read off
at every distinct score (one ROC point per distinct threshold, exactly like scikit-learn), and
every metric reuses that curve.  Build it yourself with :func:`ranking_curve` when you need
several metrics of the same scores.  The sort is :func:`~sciood.metrics.sorting.argsort_desc`,
an exact packed-key SIMD sort that is faster than ``np.argsort`` for large inputs.

Where the pieces live: input checks in :mod:`sciood.metrics.inputs`, the sort in
:mod:`sciood.metrics.sorting`, the curve in :mod:`sciood.metrics.curve`; this module holds the
scalar and curve-valued metric functions and re-exports the helpers under their old path.

Conventions (see ``docs/evaluation.md``)
-----------------------------------------
* ``ε_S(t) = Σ_{y=1, s≥t} w / Σ_{y=1} w`` and ``ε_B(t)`` likewise for the background; the
  curve starts at the origin (threshold ``+inf``) and ends at ``(1, 1)``.
* With negative weights the ROC may be locally non-monotone.  The area is the signed
  trapezoid rule over the points *in threshold order* (no monotonicity check).  This equals
  the weighted Mann–Whitney statistic ``Σ_i∈S Σ_j∈B w_i w_j ([s_i > s_j] + ½[s_i = s_j]) /
  (W_S W_B)`` exactly, also for negative weights.
* Working points (``ε_B`` at given ``ε_S`` and vice versa) are read at the *first crossing*
  of the target in threshold order and interpolated linearly between the two bracketing ROC
  points (for ties this is the randomised-cut convention).
* ``max_sic`` only considers cuts whose passing background has a Kish effective count
  ``n_eff = (Σw)² / Σw² ≥ min_background`` (default 50 unweighted-equivalent events).
* The SIC is signed (negative where ε_S < 0), never squared; both class totals must be > 0.
* Inputs: bool / integer / float arrays, lists, pandas Series, ``(n, 1)`` columns.  int64 /
  uint64 scores beyond 2**53 are ranked as integers; weights with an extreme ``max|w|`` are
  rescaled by a power of two before summing (:func:`normalise_weights`, exact).

Example
-------
>>> import numpy as np
>>> y = np.array([0, 0, 1, 1]); s = np.array([0.1, 0.4, 0.35, 0.8])
>>> round(auc(y, s), 3)
0.75
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import StatisticsError
from sciood.metrics.curve import DEFAULT_MIN_BACKGROUND, RankingCurve, ranking_curve
from sciood.metrics.inputs import (
    MetricWarning,
    as_column,
    as_labels,
    as_scores,
    as_weights,
    check_inputs,
    normalise_weights,
)
from sciood.metrics.sorting import (
    argsort_desc,
    sort_order,  # noqa: F401  (old import path)
)

__all__ = [
    "DEFAULT_MIN_BACKGROUND",
    "MetricWarning",
    "RankingCurve",
    "argsort_desc",
    "as_column",
    "as_labels",
    "as_scores",
    "as_weights",
    "auc",
    "average_precision",
    "check_inputs",
    "efficiency_at",
    "fpr_at_tpr",
    "max_sic",
    "normalise_weights",
    "ranking_curve",
    "rejection_at",
    "roc_curve",
    "sic_curve",
]

#: Minimum Kish effective number of background events passing a cut for ``max_sic``.

FloatArray = NDArray[np.float64]


def roc_curve(
    y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted ROC curve, one point per distinct threshold plus the origin.

    Parameters
    ----------
    y : array_like, shape (n,)
        1 = signal, 0 = background.
    score : array_like, shape (n,)
        Higher = more anomalous.
    sample_weight : array_like, shape (n,), optional
        Per-event weights; negative values allowed (the curve may then be non-monotone).

    Returns
    -------
    eps_s : ndarray, shape (m + 1,)
        Signal efficiency (true-positive rate), starting at 0.
    eps_b : ndarray, shape (m + 1,)
        Background efficiency (false-positive rate), starting at 0.
    thresholds : ndarray of float64, shape (m + 1,)
        Decreasing; ``thresholds[0] = +inf`` (nothing passes).  For int64 scores beyond
        2**53 these are rounded to float64 (the curve points are exact; the exact integer
        thresholds are in ``ranking_curve(...).thresholds``).

    Examples
    --------
    >>> es, eb, t = roc_curve([0, 1], [0.1, 0.9])
    >>> es.tolist(), eb.tolist()
    ([0.0, 1.0, 1.0], [0.0, 0.0, 1.0])
    """
    c = ranking_curve(y, score, sample_weight=sample_weight)
    return (
        c._eps_s0,
        c._eps_b0,
        np.concatenate([[np.inf], c.thresholds]),
    )


def sic_curve(
    y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Significance-improvement curve SIC = ε_S / √ε_B versus ε_S.

    Returns
    -------
    eps_s : ndarray, shape (m,)
    sic : ndarray, shape (m,)
        NaN where ε_B ≤ 0 (no background passes: SIC undefined).
    thresholds : ndarray, shape (m,)
    """
    c = ranking_curve(y, score, sample_weight=sample_weight)
    return c.eps_s, c.sic(), c.thresholds


def max_sic(
    y: ArrayLike,
    score: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    min_background: float = DEFAULT_MIN_BACKGROUND,
) -> float:
    """Maximum SIC over cuts keeping ≥ ``min_background`` effective background events.

    This is the **in-sample** maximum: the cut is chosen on the same noisy curve it is read
    from, so it is biased high (+1.3 % to +5.6 % on Gaussian toys with 20k background / 2k
    signal events) and a bootstrap that keeps the nominal cuts undercovers.  For a number to
    report use :func:`sciood.metrics.max_sic_honest` (cross-fitted, with an interval that
    repeats the selection), which the evaluation tables show in the ``max_sic`` column.

    Parameters
    ----------
    min_background : float, default 50
        Minimum Kish effective count ``(Σw)²/Σw²`` of background events passing the cut;
        tighter cuts are ignored because their SIC is dominated by the fluctuation of a
        handful of background events.

    Raises
    ------
    StatisticsError
        If no cut keeps enough background (lower ``min_background`` or add events).
    """
    c = ranking_curve(y, score, sample_weight=sample_weight)
    value = float(c.max_sic(min_background))
    if not np.isfinite(value):
        raise StatisticsError(
            f"no cut keeps >= {min_background:g} effective background events (total "
            f"n_eff = {float(c.n_eff_background()[-1]):.1f}); lower min_background or use "
            "more background events"
        )
    return value


def _scalar_or_array(values: FloatArray, target: float | Sequence[float]) -> float | FloatArray:
    return float(values[0]) if np.ndim(target) == 0 else values


def rejection_at(
    y: ArrayLike,
    score: ArrayLike,
    eff_s: float | Sequence[float] = 0.5,
    *,
    sample_weight: ArrayLike | None = None,
) -> float | FloatArray:
    """Background rejection 1/ε_B at signal efficiency ``eff_s``.

    Parameters
    ----------
    eff_s : float or sequence of float
        Target signal efficiencies in [0, 1]; e.g. the default working points 0.2, 0.3, 0.5.

    Returns
    -------
    float or ndarray, shape (k,)
        ``inf`` (with a :class:`MetricWarning`) where no background passes.
    """
    c = ranking_curve(y, score, sample_weight=sample_weight)
    r = c.rejection_at(eff_s)
    if np.isinf(r).any():
        warnings.warn(
            "no positive background weight passes the cut at some requested signal "
            "efficiency: rejection is infinite (limited by background statistics; use more "
            "background events)",
            MetricWarning,
            stacklevel=2,
        )
    return _scalar_or_array(r, eff_s)


def efficiency_at(
    y: ArrayLike,
    score: ArrayLike,
    eps_b: float | Sequence[float] = 1e-3,
    *,
    sample_weight: ArrayLike | None = None,
) -> float | FloatArray:
    """Signal efficiency ε_S at background efficiency ``eps_b``.

    Warns (:class:`MetricWarning`) when ``eps_b`` is below the resolution of the background
    sample, ``1 / n_eff``: the value is then an interpolation towards the origin.

    Returns
    -------
    float or ndarray, shape (k,)
    """
    c = ranking_curve(y, score, sample_weight=sample_weight)
    n_eff = float(c.n_eff_background()[-1])
    if n_eff > 0 and (np.atleast_1d(eps_b) < 1.0 / n_eff).any():
        warnings.warn(
            f"eps_b below the background resolution 1/n_eff = {1.0 / n_eff:.2g}: the signal "
            "efficiency there is interpolated, not measured; use more background events",
            MetricWarning,
            stacklevel=2,
        )
    return _scalar_or_array(c.eps_s_at(eps_b), eps_b)


def fpr_at_tpr(
    y: ArrayLike,
    score: ArrayLike,
    tpr: float = 0.95,
    *,
    sample_weight: ArrayLike | None = None,
) -> float:
    """False-positive rate (background efficiency) at true-positive rate ``tpr`` (ML convention)."""
    c = ranking_curve(y, score, sample_weight=sample_weight)
    return float(c.eps_b_at(tpr)[0])


def auc(y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Area under the weighted ROC curve (signed trapezoid in threshold order)."""
    return float(ranking_curve(y, score, sample_weight=sample_weight).auc())


def average_precision(
    y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Area under the precision–recall curve, ``Σ_k (R_k − R_{k−1}) P_k`` (as scikit-learn).

    Depends on the signal fraction Σw_S / Σw; see ``evaluate(signal_fraction=...)``.
    """
    return float(ranking_curve(y, score, sample_weight=sample_weight).average_precision())
