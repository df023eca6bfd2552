"""The weighted ranking curve: cumulative signal / background weight at every distinct cut.

:func:`ranking_curve` sorts the scores **once**, accumulates the signal and background weights
in that order and reads them off at every distinct score (one ROC point per distinct
threshold, exactly like scikit-learn).  Every ranking metric (:mod:`sciood.metrics.ranking`),
the bootstrap (:mod:`sciood.metrics.bootstrap`, many replicas as leading axes) and the
streaming histograms (:mod:`sciood.metrics.streaming`) read their numbers off a
:class:`RankingCurve`.  The definitions (efficiencies, signed trapezoid area, first-crossing
working points, Kish ``n_eff`` rule of the max SIC) are in ``docs/evaluation.md``, "Metric
definitions".
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError
from sciood.metrics.inputs import _check_inputs, _check_totals
from sciood.metrics.sorting import _sort

__all__ = ["DEFAULT_MIN_BACKGROUND", "RankingCurve", "ranking_curve"]

#: Minimum Kish effective number of background events passing a cut for ``max_sic``.
DEFAULT_MIN_BACKGROUND = 50.0

FloatArray = NDArray[np.float64]


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
    y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
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


