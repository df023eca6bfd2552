"""Weighted ranking metrics: ROC, SIC, rejection, efficiency, AUROC, AUPR (sort-bound).

Every function takes ``y`` (1 = signal / anomaly, 0 = background), ``score`` (higher = more
anomalous) and optional per-event ``sample_weight`` (negative Monte-Carlo weights are legal).

All metrics are computed from one :class:`RankingCurve`: the scores are sorted **once**,
the signal and background weights are accumulated in that order and read off at every
distinct score (one ROC point per distinct threshold, exactly like scikit-learn), and every
metric reuses that curve.  Build it yourself with :func:`ranking_curve` when you need several
metrics of the same scores.  The sort is :func:`argsort_desc`, an exact packed-key SIMD sort
that is faster than ``np.argsort`` for large inputs.

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

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError

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
DEFAULT_MIN_BACKGROUND = 50.0

FloatArray = NDArray[np.float64]


class MetricWarning(UserWarning):
    """A metric was computed but the number deserves caution (e.g. infinite rejection)."""


#: Scores of these integer dtypes can exceed 2**53 and would tie when cast to float64.
_WIDE_INTS = (np.dtype(np.int64), np.dtype(np.uint64))
#: Weights whose largest magnitude lies outside [2**-64, 2**64] are rescaled by a power of two.
_SAFE_WEIGHT = (2.0**-64, 2.0**64)


def as_column(values: ArrayLike, name: str, n: int | None = None) -> NDArray[Any]:
    """``values`` as a 1-D numeric NumPy array (pandas Series and ``(n, 1)`` columns accepted).

    Parameters
    ----------
    values : array_like, shape (n,) or (n, 1)
        Numbers (bool, integer or float).
    name : str
        Argument name for the error message.
    n : int, optional
        Required length.

    Returns
    -------
    ndarray, shape (n,)
        In the input's own dtype (no cast: integer order is kept).

    Raises
    ------
    DataError
        Non-numeric (object, string, complex, datetime) dtype, an array that is not one value
        per event, or the wrong length.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} cannot be read as an array ({exc}); pass a 1-D numeric "
                        "array with one value per event") from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]  # a column vector, e.g. a (n, 1) network output
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be 1-D (one value per event), got shape {arr.shape}; pass a "
            "1-D array or an (n, 1) column (for per-jet scores reduce them per event first)"
        )
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{name} has dtype {arr.dtype}, which is not a real number type; pass a bool, "
            f"integer or float array (e.g. np.asarray({name}, dtype=float) after removing "
            "missing values)"
        )
    if n is not None and arr.shape[0] != n:
        raise DataError(
            f"length mismatch: {name} has {arr.shape[0]} entries but there are {n} events; "
            f"pass one {name} value per event"
        )
    return arr


def as_labels(y: ArrayLike, name: str = "y") -> NDArray[np.bool_]:
    """Binary truth as bool (1 / True = signal); rejects anything that is not 0/1."""
    try:
        dtype = np.asarray(y).dtype
    except (TypeError, ValueError):
        dtype = np.dtype(object)
    if dtype.kind in "OUS":
        raise DataError(
            f"{name} has dtype {dtype}: labels must be 0/1 or boolean; convert class names "
            f"with e.g. {name} = (labels == 'signal')"
        )
    arr = as_column(y, name)
    if arr.dtype == np.bool_:
        return arr
    bad = (arr != 0) & (arr != 1)  # also catches NaN
    if bad.any():
        raise DataError(
            f"{name} must contain only 0 (background) and 1 (signal); found e.g. "
            f"{arr[bad][0]!r}; map the labels to 0/1 (e.g. {name} = ({name} == 1) for -1/+1 "
            "labels)"
        )
    return np.asarray(arr == 1)


def as_scores(score: ArrayLike, n: int, name: str = "score") -> NDArray[Any]:
    """Finite scores in a dtype that keeps their order exactly.

    Floats (float16/32/64) and bools become float64 (exact); integers too, unless they are
    int64 / uint64 beyond ±2**53, which stay integers (a float64 cast would tie them).
    """
    arr = as_column(score, name, n)
    if arr.dtype in _WIDE_INTS:
        if arr.size and max(abs(int(arr.min())), abs(int(arr.max()))) > 2**53:
            return arr
        return arr.astype(np.float64)
    s = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(s).all():
        n_bad = int(np.count_nonzero(~np.isfinite(s)))
        raise DataError(
            f"{name} contains {n_bad} non-finite values (NaN/inf); remove those events or fix "
            "the detector before computing metrics"
        )
    return s


def as_weights(sample_weight: ArrayLike | None, n: int) -> FloatArray:
    """Finite float64 weights (negative allowed); ones when ``None``.  Not rescaled."""
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(as_column(sample_weight, "sample_weight", n), dtype=np.float64)
    if not np.isfinite(w).all():
        n_bad = int(np.count_nonzero(~np.isfinite(w)))
        raise DataError(
            f"sample_weight contains {n_bad} NaN or inf values; fix the event weights (or "
            "drop those events)"
        )
    return w


def normalise_weights(w: FloatArray) -> FloatArray:
    """Rescale ``w`` by a power of two so that ``max|w|`` lies in [0.5, 1) if it is extreme.

    Every metric is invariant to a global positive weight factor; a power of two is exact in
    binary floating point, so results are bit-identical to the unscaled ones whenever those
    do not overflow or underflow (sums of weights ~1e200, squares of weights ~1e-200).
    Weights with ``max|w|`` in [2⁻⁶⁴, 2⁶⁴] are returned unchanged (no copy).
    """
    return _normalise(w)[0]


def _normalise(w: FloatArray) -> tuple[FloatArray, bool]:
    """:func:`normalise_weights` and whether every weight is >= 0 (one min and one max pass)."""
    if w.size == 0:
        return w, True
    lo, hi = float(w.min()), float(w.max())
    big = max(hi, -lo)  # max|w| without a full-length temporary
    if big == 0.0 or _SAFE_WEIGHT[0] <= big <= _SAFE_WEIGHT[1]:
        return w, lo >= 0
    _, exp = math.frexp(big)
    return np.asarray(np.ldexp(w, -exp), dtype=np.float64), lo >= 0


def check_inputs(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray]:
    """Validate and convert ``(y, score, sample_weight)``.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, 1)
        Binary truth: 1 / True = signal (anomaly), 0 / False = background.
    score : array_like, shape (n,) or (n, 1)
        Finite anomaly scores, higher = more anomalous (bool, integer or float dtype).
    sample_weight : array_like, shape (n,), optional
        Finite per-event weights (may be negative). Default: all ones.

    Returns
    -------
    y : ndarray of bool, shape (n,)
    score : ndarray, shape (n,)
        float64, or the original int64 / uint64 when values exceed 2**53 (exact order).
    weight : ndarray of float64, shape (n,)
        Rescaled by a power of two if their magnitude is extreme (see
        :func:`normalise_weights`; every metric is invariant to it).

    Raises
    ------
    DataError
        On a length mismatch, an empty input, labels other than 0/1, a non-numeric dtype,
        non-finite scores or weights, a missing class, or a class whose total weight is not
        positive.
    """
    yb, s, w, _ = _check_inputs(y, score, sample_weight)
    return yb, s, w


def _check_inputs(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None, *,
    totals: bool = True,
) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray, bool]:
    """:func:`check_inputs`, plus whether every weight is non-negative.

    ``totals=False`` skips the class-total check (the caller checks the totals it computes
    anyway with :func:`_check_totals`: a masked sum over 10⁷ events costs ~70 ms).
    """
    yb = as_labels(y)
    n = yb.shape[0]
    if n == 0:
        raise DataError("no events: y and score are empty; pass at least one signal and one "
                        "background event")
    s_arr = as_scores(score, n)
    w, nonneg = _normalise(as_weights(sample_weight, n))
    n_sig = int(np.count_nonzero(yb))
    if n_sig == 0 or n_sig == n:
        which = "signal (y=1)" if n_sig == 0 else "background (y=0)"
        raise DataError(
            f"only one class present: no {which} events; ranking metrics need both signal "
            "and background (check the labels or the event selection)"
        )
    if totals:
        w_s = float(np.sum(w[yb]))
        _check_totals(w_s, float(np.sum(w)) - w_s)
    return yb, s_arr, w, nonneg


def _check_totals(w_s: float, w_b: float) -> None:
    """Raise :class:`DataError` unless both class totals are positive."""
    if not (w_s > 0 and w_b > 0):
        raise DataError(
            f"total weights must be positive for both classes, got signal {w_s:g} and "
            f"background {w_b:g}; check for all-zero or mostly negative weights (ε = passing "
            "weight / class total is undefined otherwise)"
        )


@dataclass(frozen=True)
class RankingCurve:
    """Cumulative weighted counts at every distinct threshold, possibly for many replicas.

    Attributes
    ----------
    thresholds : ndarray, shape (m,)
        Distinct scores in decreasing order; point ``k`` means the cut ``score >= thresholds[k]``
        (float64, or int64 / uint64 for integer scores beyond 2**53).
    tps : ndarray, shape (..., m)
        Signal weight passing each cut (leading axes: bootstrap replicas).
    fps : ndarray, shape (..., m)
        Background weight passing each cut.
    fps_w2 : ndarray, shape (..., m), or None
        Sum of squared background weights passing each cut (for the Kish effective count);
        ``None`` for bootstrap replicas, which reuse the nominal sample's eligible cuts.
    total_s, total_b : ndarray, shape (...)
        Total signal / background weight.
    """

    thresholds: NDArray[Any]
    tps: FloatArray
    fps: FloatArray
    fps_w2: FloatArray | None
    total_s: FloatArray
    total_b: FloatArray
    nonnegative: bool = False

    # --- curves (cached: every metric reuses them) ---------------------------------------
    @cached_property
    def eps_s(self) -> FloatArray:
        """Signal efficiency, shape (..., m)."""
        return self.tps / self.total_s[..., None]

    @cached_property
    def eps_b(self) -> FloatArray:
        """Background efficiency, shape (..., m)."""
        return self.fps / self.total_b[..., None]

    @cached_property
    def _eps_s0(self) -> FloatArray:
        return _with_origin(self.eps_s)

    @cached_property
    def _eps_b0(self) -> FloatArray:
        return _with_origin(self.eps_b)

    @cached_property
    def _cummax_tps(self) -> FloatArray:
        # with non-negative weights the cumulative sums are already monotone
        return self.tps if self.nonnegative else np.maximum.accumulate(self.tps, axis=-1)

    @cached_property
    def _cummax_fps(self) -> FloatArray:
        return self.fps if self.nonnegative else np.maximum.accumulate(self.fps, axis=-1)

    def _w2(self) -> FloatArray:
        if self.fps_w2 is None:
            raise StatisticsError(
                "this curve carries no squared weights (a bootstrap replica); pass the "
                "nominal curve's `eligible` cuts instead"
            )
        return self.fps_w2

    def n_eff_background(self) -> FloatArray:
        """Kish effective number of background events passing each cut, shape (..., m)."""
        fps_w2 = self._w2()
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(fps_w2 > 0, self.fps**2 / fps_w2, 0.0)
        return np.asarray(out, dtype=np.float64)

    def sic(self) -> FloatArray:
        """SIC = ε_S / √ε_B at every cut (NaN where ε_B ≤ 0), shape (..., m).

        Signed: where ε_S < 0 (negative weights) the SIC is negative, never squared.
        """
        eb = self.eps_b
        pos = eb > 0
        out = np.sqrt(eb, where=pos, out=np.full(eb.shape, np.nan))
        np.divide(self.eps_s, out, out=out, where=pos)
        return out

    # --- scalar metrics (batched over leading axes) --------------------------------------
    def auc(self) -> FloatArray:
        """Signed trapezoid area under (ε_B, ε_S) in threshold order, shape (...).

        ``½ Σ_k (F_k − F_{k−1})(T_k + T_{k−1}) / (W_S W_B)`` with ``F_0 = T_0 = 0``, summed
        block by block (small temporaries, no cancellation).
        """
        f, tp = self.fps, self.tps
        area = f[..., 0] * tp[..., 0]
        for a, b in _blocks(f.shape[-1]):
            df = f[..., a:b] - f[..., a - 1 : b - 1]
            st = tp[..., a:b] + tp[..., a - 1 : b - 1]
            area = area + np.einsum("...i,...i->...", df, st)
        return np.asarray(0.5 * area / (self.total_s * self.total_b))

    def average_precision(self) -> FloatArray:
        """AP = Σ_k (R_k − R_{k−1}) P_k (scikit-learn's definition), shape (...).

        ``P_k = tps_k / (tps_k + fps_k)`` where the passing weight is positive, else 0 (with
        negative weights ``P_k`` may leave [0, 1]: it is the signed ratio estimate).
        """
        tp, fp = self.tps, self.fps

        def precision(a: int, b: int) -> FloatArray:
            ps = tp[..., a:b] + fp[..., a:b]
            out = np.zeros_like(ps)
            np.divide(tp[..., a:b], ps, out=out, where=ps > 0)
            return out

        total = tp[..., 0] * precision(0, 1)[..., 0]
        for a, b in _blocks(tp.shape[-1]):
            dt = tp[..., a:b] - tp[..., a - 1 : b - 1]
            total = total + np.einsum("...i,...i->...", dt, precision(a, b))
        return np.asarray(total / self.total_s)

    def eligible(self, min_background: float = DEFAULT_MIN_BACKGROUND) -> NDArray[np.bool_]:
        """Cuts keeping ≥ ``min_background`` effective background events, shape (..., m).

        ``n_eff = fps² / fps_w2 ≥ N_min`` is tested as ``fps² ≥ N_min · fps_w2`` (no division).
        """
        f2 = np.square(self.fps)
        ok = np.greater_equal(f2, np.multiply(self._w2(), min_background))
        return np.asarray(ok & (self.fps > 0))

    def max_sic(
        self,
        min_background: float = DEFAULT_MIN_BACKGROUND,
        eligible: NDArray[np.bool_] | None = None,
    ) -> FloatArray:
        """Maximum SIC over cuts with ≥ ``min_background`` effective background events.

        Parameters
        ----------
        min_background : float
            Minimum Kish effective background count passing the cut.
        eligible : ndarray of bool, shape (m,), optional
            Use these cuts instead of applying ``min_background`` (the bootstrap passes the
            nominal sample's eligible cuts: Poisson(1) weights halve the Kish count of a
            replica, which would otherwise bias its maximum low).

        Returns NaN (per replica) when no cut qualifies.  The SIC is signed: a cut whose
        passing signal weight is negative has a negative SIC (it is never squared away).
        """
        # maximise sign(SIC)·SIC² = tps·|tps| W_B / (fps W_S²) on the eligible cuts (fps > 0,
        # W_S > 0: the same order as the SIC itself), one sqrt at the end; block by block so
        # no full-length temporaries are created
        f_all, t_all = self.fps, self.tps
        w2 = self._w2() if eligible is None else None
        best = np.full(f_all.shape[:-1], -np.inf)
        for a, b in _blocks(f_all.shape[-1], start=0):
            f = f_all[..., a:b]
            if w2 is None:
                ok = eligible[..., a:b] & (f > 0)  # type: ignore[index]
            else:
                ok = (f * f >= min_background * w2[..., a:b]) & (f > 0)
            t = t_all[..., a:b]
            r = np.where(ok, t * np.abs(t) / np.where(ok, f, 1.0), -np.inf)
            best = np.maximum(best, r.max(axis=-1))
        with np.errstate(invalid="ignore"):
            best = best * (self.total_b / self.total_s**2)
        value = np.copysign(np.sqrt(np.abs(best)), best)
        return np.asarray(np.where(np.isfinite(best), value, np.nan), dtype=np.float64)

    def eps_b_at(self, eff_s: ArrayLike) -> FloatArray:
        """Background efficiency at signal efficiencies ``eff_s``, shape (..., k)."""
        return _read_at(self.tps, self.fps, self.total_s, self.total_b, eff_s,
                        self._cummax_tps)

    def eps_s_at(self, eps_b: ArrayLike) -> FloatArray:
        """Signal efficiency at background efficiencies ``eps_b``, shape (..., k)."""
        return _read_at(self.fps, self.tps, self.total_b, self.total_s, eps_b,
                        self._cummax_fps)

    def rejection_at(self, eff_s: ArrayLike) -> FloatArray:
        """Background rejection 1/ε_B at ``eff_s`` (inf where ε_B ≤ 0), shape (..., k).

        ``ε_B ≤ 0`` means no positive background weight passes (with negative weights the
        interpolated ε_B may be negative): the rejection is then unbounded, reported ``inf``.
        """
        eb = self.eps_b_at(eff_s)
        with np.errstate(divide="ignore"):
            return np.asarray(np.where(eb > 0, 1.0 / np.where(eb > 0, eb, 1.0), np.inf))


def _blocks(m: int, size: int = 1 << 16, start: int = 1) -> list[tuple[int, int]]:
    """Block ranges ``[a, b)`` covering positions ``start`` .. m-1."""
    return [(a, min(a + size, m)) for a in range(start, m, size)]


def _with_origin(a: FloatArray) -> FloatArray:
    """Prepend the origin point (nothing passes) along the last axis."""
    pad = np.zeros((*a.shape[:-1], 1), dtype=a.dtype)
    return np.concatenate([pad, a], axis=-1)


def _read_at(
    x: FloatArray,
    yv: FloatArray,
    total_x: FloatArray,
    total_y: FloatArray,
    targets: ArrayLike,
    cummax: FloatArray,
) -> FloatArray:
    """Interpolate ``yv/total_y`` at the first crossing of ``targets·total_x`` by ``x``.

    ``x`` (cumulative weight in threshold order, with the origin as point -1) ends at its
    total, so every target in [0, 1] is crossed.  The cumulative maximum of ``x`` is
    monotone, so one ``searchsorted`` per replica finds the first point ``i`` with
    ``x[i] >= t``; since it is a new maximum, ``x[i-1] < t <= x[i]`` and the linear
    interpolation between points ``i-1`` and ``i`` is well defined even for negative weights.
    """
    t = np.atleast_1d(np.asarray(targets, dtype=np.float64))
    if ((t < 0) | (t > 1) | ~np.isfinite(t)).any():
        raise DataError(f"working points must be efficiencies in [0, 1], got {t.tolist()}")
    m = x.shape[-1]
    lead = x.shape[:-1]
    x2 = x.reshape(-1, m)
    y2 = yv.reshape(-1, m)
    cm = cummax.reshape(-1, m)
    tx = np.broadcast_to(total_x, lead).reshape(-1)
    ty = np.broadcast_to(total_y, lead).reshape(-1)
    out = np.empty((x2.shape[0], t.size))
    for r in range(x2.shape[0]):  # few replicas per call; each row is one searchsorted
        tt = t * tx[r]
        i = np.minimum(np.searchsorted(cm[r], tt, side="left"), m - 1)
        first = i == 0
        x0 = np.where(first, 0.0, x2[r, i - 1])
        y0 = np.where(first, 0.0, y2[r, i - 1])
        x1, y1 = x2[r, i], y2[r, i]
        dx = x1 - x0
        frac = np.where(dx > 0, (tt - x0) / np.where(dx > 0, dx, 1.0), 1.0)
        val = (y0 + np.clip(frac, 0.0, 1.0) * (y1 - y0)) / ty[r]
        out[r] = np.where(t <= 0, 0.0, val)
    return out.reshape(*lead, t.size)


def ranking_curve(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None
) -> RankingCurve:
    """Sort once and accumulate weights: the basis of every ranking metric.

    Parameters
    ----------
    y : array_like, shape (n,)
        1 = signal (anomaly), 0 = background.
    score : array_like, shape (n,)
        Anomaly score, higher = more anomalous.
    sample_weight : array_like, shape (n,), optional
        Per-event weights; negative values allowed.

    Returns
    -------
    RankingCurve
        With ``m`` = number of distinct scores.

    Examples
    --------
    >>> c = ranking_curve([0, 1, 1], [0.2, 0.5, 0.5])
    >>> c.thresholds.tolist(), c.eps_s.tolist(), c.eps_b.tolist()
    ([0.5, 0.2], [1.0, 1.0], [0.0, 1.0])
    """
    yb, s, w, nonneg = _check_inputs(y, score, sample_weight, totals=False)
    order, idx, s_sorted = _sort(s)
    # few full-length buffers, updated in place (page faults on fresh buffers are costly)
    cb = np.take(w, order)
    cs = np.where(np.take(yb, order), cb, 0.0)
    np.subtract(cb, cs, out=cb)
    cb2 = np.square(cb)
    np.cumsum(cs, out=cs)
    np.cumsum(cb, out=cb)
    np.cumsum(cb2, out=cb2)
    _check_totals(float(cs[-1]), float(cb[-1]))
    if idx is None:  # all scores distinct: every position is a threshold
        return RankingCurve(s_sorted, cs, cb, cb2, np.asarray(cs[-1]), np.asarray(cb[-1]),
                            nonneg)
    return RankingCurve(
        thresholds=s_sorted[idx],
        tps=cs[idx],
        fps=cb[idx],
        fps_w2=cb2[idx],
        total_s=np.asarray(cs[-1]),
        total_b=np.asarray(cb[-1]),
        nonnegative=nonneg,
    )


_MAX_I64 = np.int64(np.iinfo(np.int64).max)
_BLOCK = 1 << 16
#: Below this size ``np.argsort`` is used directly (the packed-key sort pays off for large n).
_PACKED_SORT_MIN = 1 << 15


def _order_key(values: FloatArray) -> NDArray[np.int64]:
    """Order-preserving int64 image of float64 values: ``i ^ ((i >> 63) & INT64_MAX)``.

    ``-0.0`` maps to -1, just below ``+0.0`` (0): adjacent, and equal as floats.
    """
    i = values.view(np.int64)
    return np.asarray(i ^ ((i >> 63) & _MAX_I64))


def _packed_keys(score: FloatArray, bits: int) -> NDArray[np.int64]:
    """Order keys with the low ``bits`` bits replaced by the event index.

    Built block by block with small scratch buffers: fresh full-size temporaries cost page
    faults, which dominate on virtual machines.
    """
    n = score.size
    i = score.view(np.int64)
    key = np.empty(n, dtype=np.int64)
    high = np.int64(~((1 << bits) - 1))
    tmp = np.empty(_BLOCK, dtype=np.int64)
    ramp = np.arange(_BLOCK, dtype=np.int64)
    for a in range(0, n, _BLOCK):
        blk = i[a : a + _BLOCK]
        out = key[a : a + blk.size]
        t = tmp[: blk.size]
        np.right_shift(blk, 63, out=t)
        np.bitwise_and(t, _MAX_I64, out=t)
        np.bitwise_xor(blk, t, out=out)
        np.bitwise_and(out, high, out=out)
        np.add(ramp[: blk.size], a, out=t)
        np.bitwise_or(out, t, out=out)
    return key


def argsort_desc(score: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """Permutation sorting ``score`` in decreasing order, and the sorted scores.

    Written by hand because NumPy's ``sort`` of 64-bit integers is SIMD-vectorised (x86-simd-
    sort) while its ``argsort`` is several times slower on the same data, and the argsort is
    the cost floor of every ranking metric.  Each float64 score is mapped to an
    order-preserving int64 key, the low ``ceil(log2 n)`` bits are replaced by the event index,
    and one ``np.sort`` of the keys yields the permutation.  Truncating the key can only
    mis-order scores that share the remaining high bits (relative difference below ~2⁻²⁸ for
    10⁷ events); such groups are detected (adjacent scores out of order) and re-sorted exactly
    with ``np.lexsort``.  If that would touch more than 1/8 of the events, plain
    ``np.argsort`` is used.  Ties may come out in any order (metrics collapse them).

    Integer scores (int64 / uint64 beyond 2**53, see :func:`as_scores`) are sorted in their
    own dtype with ``np.argsort``: casting them to float64 would tie neighbours.

    Parameters
    ----------
    score : ndarray of float64 (or int64 / uint64), shape (n,)
        Finite scores.

    Returns
    -------
    order : ndarray of intp, shape (n,)
    sorted_scores : ndarray, shape (n,)
        ``score[order]``, non-increasing, in the dtype of ``score``.
    """
    n = score.size
    if score.dtype.kind in "iu":
        order = np.argsort(score, kind="stable")[::-1]
        return order, score[order]
    if n < _PACKED_SORT_MIN or np.dtype(np.intp).itemsize != 8:
        order = np.argsort(score)[::-1]
        return order, score[order]
    score = np.ascontiguousarray(score, dtype=np.float64)
    bits = int(n - 1).bit_length()
    key = _packed_keys(score, bits)
    key.sort()
    high_key = None
    s_asc = np.empty(n)
    # keep the prefixes only if needed later: recompute from the sorted scores instead
    np.bitwise_and(key, np.int64((1 << bits) - 1), out=key)  # key buffer -> permutation
    idx = key.view(np.intp)
    np.take(score, idx, out=s_asc)
    bad = np.flatnonzero(s_asc[1:] < s_asc[:-1])
    if bad.size:
        high_key = _order_key(s_asc) >> bits
        gid = np.concatenate([[0], np.cumsum(high_key[1:] != high_key[:-1])])
        pos = np.flatnonzero(np.isin(gid, np.unique(gid[bad])))
        if pos.size > n // 8:
            order = np.argsort(score)[::-1]
            return order, score[order]
        local = np.lexsort((s_asc[pos], gid[pos]))  # groups are contiguous: sort within
        idx[pos] = idx[pos][local]
        s_asc[pos] = s_asc[pos][local]
    return idx[::-1], s_asc[::-1]


def _sort(
    score: NDArray[Any],
) -> tuple[NDArray[np.intp], NDArray[np.intp] | None, NDArray[Any]]:
    """Descending order, last position of each distinct score (None if all distinct), sorted."""
    order, s_sorted = argsort_desc(score)
    change = s_sorted[1:] != s_sorted[:-1]
    if change.all():
        return order, None, s_sorted
    idx = np.append(np.flatnonzero(change), s_sorted.size - 1)
    return order, idx, s_sorted


def sort_order(score: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Descending order of ``score`` and the last position of every distinct value.

    Returns
    -------
    order : ndarray of intp, shape (n,)
        Indices sorting ``score`` in decreasing order.
    idx : ndarray of intp, shape (m,)
        Positions (in sorted order) of the last event of each distinct score.
    """
    order, s_sorted = argsort_desc(score)
    idx = np.flatnonzero(s_sorted[1:] != s_sorted[:-1])
    idx = np.append(idx, s_sorted.size - 1)
    return order, idx


def roc_curve(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None
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
    c = ranking_curve(y, score, sample_weight)
    return (
        c._eps_s0,
        c._eps_b0,
        np.concatenate([[np.inf], c.thresholds]),
    )


def sic_curve(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Significance-improvement curve SIC = ε_S / √ε_B versus ε_S.

    Returns
    -------
    eps_s : ndarray, shape (m,)
    sic : ndarray, shape (m,)
        NaN where ε_B ≤ 0 (no background passes: SIC undefined).
    thresholds : ndarray, shape (m,)
    """
    c = ranking_curve(y, score, sample_weight)
    return c.eps_s, c.sic(), c.thresholds


def max_sic(
    y: ArrayLike,
    score: ArrayLike,
    sample_weight: ArrayLike | None = None,
    *,
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
    c = ranking_curve(y, score, sample_weight)
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
    sample_weight: ArrayLike | None = None,
) -> float | FloatArray:
    """Background rejection 1/ε_B at signal efficiency ``eff_s``.

    Parameters
    ----------
    eff_s : float or sequence of float
        Target signal efficiencies in [0, 1]; e.g. the SPEC working points 0.2, 0.3, 0.5.

    Returns
    -------
    float or ndarray, shape (k,)
        ``inf`` (with a :class:`MetricWarning`) where no background passes.
    """
    c = ranking_curve(y, score, sample_weight)
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
    sample_weight: ArrayLike | None = None,
) -> float | FloatArray:
    """Signal efficiency ε_S at background efficiency ``eps_b``.

    Warns (:class:`MetricWarning`) when ``eps_b`` is below the resolution of the background
    sample, ``1 / n_eff``: the value is then an interpolation towards the origin.

    Returns
    -------
    float or ndarray, shape (k,)
    """
    c = ranking_curve(y, score, sample_weight)
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
    sample_weight: ArrayLike | None = None,
) -> float:
    """False-positive rate (background efficiency) at true-positive rate ``tpr`` (ML convention)."""
    c = ranking_curve(y, score, sample_weight)
    return float(c.eps_b_at(tpr)[0])


def auc(y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
    """Area under the weighted ROC curve (signed trapezoid in threshold order)."""
    return float(ranking_curve(y, score, sample_weight).auc())


def average_precision(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None
) -> float:
    """Area under the precision–recall curve, ``Σ_k (R_k − R_{k−1}) P_k`` (as scikit-learn).

    Depends on the signal fraction Σw_S / Σw; see ``evaluate(signal_fraction=...)``.
    """
    return float(ranking_curve(y, score, sample_weight).average_precision())
