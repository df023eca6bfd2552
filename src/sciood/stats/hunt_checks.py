"""Checks around the hunt's scan: the spectrum check and the sculpting guard.

* :func:`_check_spectrum` refuses a spectrum with a hole (empty bins where the smooth fit
  expects >= 10 events) and flags a poor fit, a spectrum that does not fall with ``mjj``
  and low counts (< 10 expected effective events per bin, median).
* :func:`_sculpting_guard` reruns the same scan on background-only events after the same
  cut and judges the largest fake bump (:func:`sciood.stats.judge_sculpting`).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import as_1d, histogram
from sciood.stats.hunt_result import HuntResult
from sciood.stats.scan import _scale, _Scanner
from sciood.stats.sculpting import SculptingCheck, judge_sculpting
from sciood.stats.spectrum_fit import BackgroundFit

__all__: list[str] = []


_LOW_COUNT_PER_BIN = 10.0


_HOLE_EXPECTED = 10.0


def _turning_point(fit: BackgroundFit) -> float | None:
    """Mass [GeV] where a fitted spectrum stops falling inside the range, or None.

    A dijet spectrum falls monotonically above the trigger turn-on; a cut that selects a
    mass region turns it into a peak, which a 5-parameter function can follow (measured:
    the scan then sees no bump at all).
    """
    mu = fit.expected()
    dens = mu / np.diff(fit.edges)
    # only where the fit is constrained: >= 10 expected effective events in the bin (a
    # 5-parameter fit may turn up in an almost empty tail without any data asking for it)
    k = _scale(fit)
    rising = np.flatnonzero((np.diff(dens) > 1e-9 * dens[:-1]) & (mu[1:] / k[1:] >= 10.0))
    if rising.size == 0:
        return None
    i = int(rising[-1]) + 1
    return float(np.sqrt(fit.edges[i] * fit.edges[i + 1]))


def _n_eff(sumw: NDArray[np.float64], sumw2: NDArray[np.float64]) -> float:
    s2 = float(sumw2.sum())
    return float(sumw.sum()) ** 2 / s2 if s2 > 0 else 0.0


def _check_spectrum(res_flags: list[str], gfit: BackgroundFit) -> bool:
    """Refuse spectra with holes; flag a poor fit and low counts. Returns ``low_counts``."""
    mu = gfit.expected()
    k = _scale(gfit)
    hole = np.flatnonzero((gfit.counts <= 0) & (mu / k >= _HOLE_EXPECTED))
    if hole.size:
        lo, hi = gfit.edges[hole[0]], gfit.edges[hole[-1] + 1]
        raise DataError(
            f"the spectrum has a hole: {hole.size} empty bin(s) in {lo:.0f}-{hi:.0f} GeV "
            f"where the smooth fit expects >= {_HOLE_EXPECTED:.0f} events each (a filter, a "
            "trigger gap or lost files?); fix the input or restrict mjj_range"
        )
    if math.isfinite(gfit.p_value) and gfit.p_value < 0.01:
        res_flags.append(f"poor global background fit: chi2/ndf = {gfit.chi2_ndf:.2f} "
                         f"(p = {gfit.p_value:.2g}); local significances are unreliable")
    peak = _turning_point(gfit)
    if peak is not None:
        res_flags.append(
            f"the fitted spectrum does not fall with mjj (it peaks at {peak:.0f} GeV inside "
            "the range): a trigger turn-on inside the range or a cut that selects a mass "
            "region; start mjj_range higher or check the sculpting guard"
        )
    low = bool(np.median(mu / k) < _LOW_COUNT_PER_BIN)
    if low:
        res_flags.append(
            f"low counts: median {float(np.median(mu / k)):.1f} expected events per bin "
            f"(< {_LOW_COUNT_PER_BIN:.0f}); local Z values are asymptotic approximations — "
            "trust the toy-based global p-value, or use wider bins"
        )
    return low


def _reference(
    obs: NDArray[np.float64], sc: NDArray[np.float64] | None, w: NDArray[np.float64],
    truth: NDArray[np.bool_] | None,
    reference: tuple[ArrayLike, ArrayLike | None, ArrayLike | None] | None, thr: float | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]] | None:
    """Background-only events after the cut (observable, weights), or None."""
    if reference is not None:
        r_obs = as_1d("background_reference observable", reference[0])
        r_w = (np.ones_like(r_obs) if reference[2] is None
               else as_1d("background_reference weights", reference[2], r_obs.size))
        if thr is None:
            return r_obs, r_w
        if reference[1] is None:
            raise DataError("background_reference needs scores when a cut is applied")
        sel = as_1d("background_reference score", reference[1], r_obs.size) >= thr
        return r_obs[sel], r_w[sel]
    if truth is not None:
        sel = ~truth if (sc is None or thr is None) else (~truth & (sc >= thr))
        return obs[sel], w[sel]
    return None


def _sculpting_guard(
    res: HuntResult, scanner: _Scanner, obs: NDArray[np.float64],
    sc: NDArray[np.float64] | None, w: NDArray[np.float64], truth: NDArray[np.bool_] | None,
    reference: tuple[ArrayLike, ArrayLike | None, ArrayLike | None] | None, thr: float | None,
    edges: NDArray[np.float64], win: NDArray[np.int64], null: NDArray[np.float64] | None,
    z_threshold: float, alpha: float,
) -> None:
    """Rerun the scan on background-only events after the same cut; judge the fake bump."""
    ref = _reference(obs, sc, w, truth, reference, thr)
    if ref is None:
        res.flags.append("sculpting not checked: pass is_signal or background_reference")
        return
    sumw, sumw2 = histogram(ref[0], edges, sample_weight=ref[1])
    if float(sumw.sum()) <= 0:
        res.flags.append("sculpting not checked: no background-only events after the cut")
        return
    try:
        scan, ref_fit, _ = scanner(sumw, sumw2, z_only=True)
        peak = _turning_point(ref_fit)
        if peak is not None:
            res.sculpting_flag = True
            res.fake_bump_window = (peak, peak)
            res.sculpting = {"sculpted": True, "conclusive": True, "turning_point": peak}
            res.flags.append(
                f"SCULPTING: background-only events after the cut do not fall with mjj (the "
                f"fitted spectrum peaks at {peak:.0f} GeV inside the range): the cut selects "
                "a mass region; do not trust the hunt"
            )
            return
        # without toys: Bonferroni over every hypothesis (conservative; measured: counting
        # only the non-overlapping windows flagged 11.5 % of unsculpted references)
        check: SculptingCheck = judge_sculpting(
            scan.z, res.windows, _n_eff(res.counts, res.sumw2), _n_eff(sumw, sumw2),
            null_max_z=null, n_independent=float(win.shape[0]), alpha=alpha,
            z_threshold=z_threshold, same_events=reference is None)
    except (StatisticsError, DataError) as exc:
        res.flags.append(f"sculpting check failed: {exc}")
        return
    res.fake_bump_z, res.fake_bump_window = check.fake_bump_z, check.fake_bump_window
    res.sculpting_flag, res.sculpting = check.sculpted, check.to_dict()
    res.flags.extend(check.messages())
