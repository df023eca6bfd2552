"""Bump hunt on the search observable (``mjj``) after a cut on the anomaly score.

:func:`bump_hunt` composes the pieces, each in its own module (imports point down):

* :mod:`sciood.stats.settings` — :class:`~sciood.stats.HuntSettings`, the settings and
  their defaults;
* :mod:`sciood.stats.cuts` — the score cut (:func:`cut_threshold_for_efficiency`);
* :mod:`sciood.stats.scan` — the window scan (``signal-fit``: a Gaussian signal of width
  ``signal_rel_width · m`` fitted with the background at each mass hypothesis, local
  ``Z = sqrt(q0)``, ``q0 = 2 (NLL_B − NLL_S+B)``; ``masked-window``: a counting experiment
  against a fit with the window masked) and, with ``model="auto"``, the function choice;
* :mod:`sciood.stats.toys` — the global significance from background-only toys rerunning
  the whole scan (function choice included), adaptively;
* :mod:`sciood.stats.hunt_checks` — the spectrum check and the sculpting guard (the scan
  rerun on background-only events after the same cut);
* :mod:`sciood.stats.hunt_result` — :class:`HuntResult`.

The next function's signal estimate gives the function-choice shift
``signal_function_shift``; the best hypothesis is refined with the mass floating
(``best_mass ± best_mass_error``, Δ(2 NLL) = 1).  This module also re-exports, under their
old path, the names it held before the split (``BackgroundFit``, ``dijet_function``, ...).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood._compat import renamed_weights
from sciood.errors import DataError, StatisticsError
from sciood.stats.background import fit_background
from sciood.stats.binning import (
    as_1d,
    default_range,
    histogram,
    log_bins,
    make_edges,
    scale_factors,
)
from sciood.stats.cuts import _apply_cut, cut_threshold_for_efficiency
from sciood.stats.dijet import dijet_function
from sciood.stats.function_choice import FunctionChoice
from sciood.stats.hunt_checks import _check_spectrum, _sculpting_guard
from sciood.stats.hunt_result import HuntResult
from sciood.stats.scan import (
    _make_scanner,
    _make_windows,
    _masses,
    _refine_mass,
    _scale,
    _Scan,
    _scan,
    _Scanner,
    _signal_scan,
)
from sciood.stats.settings import DEFAULTS as _D
from sciood.stats.settings import METHODS, HuntSettings, merge
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum
from sciood.stats.toys import GlobalSignificance, global_significance

__all__ = [
    "METHODS",
    "BackgroundFit",
    "HuntResult",
    "HuntSettings",
    "bump_hunt",
    "cut_threshold_for_efficiency",
    "default_range",
    "dijet_function",
    "fit_background",
    "log_bins",
]

# compatibility aliases of the names this module held before the split
_as_1d = as_1d
_make_edges = make_edges
_histogram = histogram
_OLD_PRIVATE_NAMES = (_masses, _scan, _Scan)  # still importable from here, as before the split


def bump_hunt(
    observable: ArrayLike,
    score: ArrayLike | None = None,
    *,
    sample_weight: ArrayLike | None = None,
    is_signal: ArrayLike | None = None,
    background_reference: tuple[ArrayLike, ArrayLike | None, ArrayLike | None] | None = None,
    settings: HuntSettings | None = None,
    cut_eff_b: float | None = _D.cut_eff_b,
    cut_threshold: float | None = _D.cut_threshold,
    bins: int | ArrayLike | None = _D.bins,
    mjj_range: tuple[float, float] | None = _D.mjj_range,
    windows: int | Sequence[tuple[float, float]] | None = _D.windows,
    window_rel_width: float = _D.window_rel_width,
    edge_bins: int = _D.edge_bins,
    mask_pad_bins: int = _D.mask_pad_bins,
    sqrt_s: float = _D.sqrt_s,
    n_toys: int = _D.n_toys,
    toy_rel_error: float = _D.toy_rel_error,
    gv_u0: float = _D.gv_u0,
    min_toys_above: int = _D.min_toys_above,
    sculpt_z_threshold: float = _D.sculpt_z_threshold,
    sculpt_alpha: float = _D.sculpt_alpha,
    model: str = _D.model,
    method: str = _D.method,
    signal_rel_width: float = _D.signal_rel_width,
    luminosity: float | None = _D.luminosity,
    seed: int = _D.seed,
    weights: ArrayLike | None = None,
) -> HuntResult:
    """Bump hunt in the observable after a cut on the anomaly score.

    Parameters
    ----------
    observable : array-like, shape (n_events,)
        Search observable (``mjj`` [GeV]).
    score : array-like, shape (n_events,), optional
        Anomaly scores (higher = more anomalous). ``None``: mjj-only hunt, no cut.
    sample_weight : array-like, shape (n_events,), optional
        Event weights in expected events (e.g. ``weight × luminosity``); keyword-only.
    is_signal : array-like of bool, shape (n_events,), optional
        Truth labels (MC studies): expected (Asimov) significance and the sculpting guard
        on the background-only events.
    background_reference : (observable, score, weights), optional
        A separate background-only sample for the sculpting guard when the hunted sample
        has no labels; the same threshold is applied to its scores.
    settings : HuntSettings, optional
        All the settings below as one object (:class:`~sciood.stats.HuntSettings`, e.g.
        ``StatisticsConfig.to_settings()``).  With ``settings``, the setting keywords must
        stay at their defaults: a keyword that differs raises ``TypeError`` (use
        ``settings.replace(name=value)``), so a call never says two things.
    cut_eff_b : float, optional
        Keep this weighted fraction of the background (of the true background with
        ``is_signal``, else of all events: data are background-dominated).
    cut_threshold : float, optional
        Keep ``score >= cut_threshold`` (alternative to ``cut_eff_b``).
    bins : int or array-like, optional
        Bin edges or number of log bins; default ~2.5 % log bins over ``mjj_range``.
    mjj_range : (lo, hi), optional
        Range of the hunt [GeV]; default :func:`default_range`.
    windows : int or sequence of (lo, hi), optional
        Window width in bins, or explicit windows [GeV]; default ~``window_rel_width``.
    window_rel_width : float
        Target ``Δm/m`` of a window (≈ 2σ of the resolution).
    edge_bins : int
        Windows keep at least this many bins of sideband at each end of the range.
    mask_pad_bins : int
        ``method="masked-window"`` only: guard bins masked on each side of a window.
    sqrt_s : float
        √s [GeV].
    n_toys : int
        Toy budget for the global significance (0: skip).  Toys stop early once the
        p-value's binomial relative error is ``toy_rel_error`` (at least 100 run).
    toy_rel_error : float
        Target relative error of the toy global p-value.
    gv_u0 : float
        Reference level (q0 units) for the Gross–Vitells upcrossings.
    min_toys_above : int
        Fewer toys than this above the observed maximum: the global p-value is the
        Gross–Vitells estimate (``global_method = "gross-vitells"``).
    sculpt_z_threshold : float
        Fake-bump Z *at the data's statistics* from which sculpting matters.
    sculpt_alpha : float
        Global false-alarm probability of the sculpting guard.
    model : {"auto", "dijet3", "dijet4", "dijet5"}
        Background function; ``"auto"``: F-tests between the nested functions.
    method : {"signal-fit", "masked-window"}
        Scan method (module docstring).
    signal_rel_width : float
        Gaussian signal width ``σ/m`` of the ``signal-fit`` scan (the dijet resolution).
    luminosity : float, optional
        Quote the expected (Asimov) significance at this luminosity, ``s = L Σw_s``,
        ``b = L Σw_b``; default the effective counts of the sample.
    seed : int
        Seed for the toys.
    weights : array-like, optional
        Deprecated alias of ``sample_weight`` (FutureWarning; removed in sciood 0.3).

    Returns
    -------
    HuntResult

    Raises
    ------
    DataError
        NaN input, mismatched shapes, empty selection, nonsensical settings, a spectrum
        with a hole.
    StatisticsError
        The background-only fit fails, or every window fit fails.

    Examples
    --------
    >>> res = bump_hunt(es.column("mjj"), scores, sample_weight=es.weights,
    ...                 cut_eff_b=0.1)                                        # doctest: +SKIP
    >>> res.best_mass, res.local_z_observed, res.global_z_observed           # doctest: +SKIP
    """
    t0 = time.perf_counter()
    s = merge(settings, {k: v for k, v in locals().items() if k in _SETTING_NAMES})
    sample_weight = cast("ArrayLike | None",
                         renamed_weights(sample_weight, weights, "bump_hunt"))
    obs, w, sc, truth = _inputs(observable, score, sample_weight, is_signal)
    bkg_mask = ~truth if truth is not None else np.ones(obs.size, dtype=bool)
    edges = make_edges(obs, _bins(s.bins), s.mjj_range, sample_weight=w)
    win = _make_windows(edges, s.windows, s.window_rel_width, s.edge_bins)
    keep, thr, eff = _apply_cut(sc, w, bkg_mask, s.cut_eff_b, s.cut_threshold)
    sumw, sumw2 = histogram(obs[keep], edges, sample_weight=w[keep])
    if float(sumw.sum()) <= 0:
        raise DataError("no events in the hunt range after the cut; loosen the cut or the range")
    scanner = _scanner(s, s.model, edges, win)
    sc_obs, gfit, choice = scanner(sumw, sumw2)
    flags: list[str] = []
    low = _check_spectrum(flags, gfit)
    if np.all(sc_obs.failed):
        raise StatisticsError("every window fit failed; use coarser bins or a wider range")
    for i in np.flatnonzero(sc_obs.failed):
        flags.append(f"window {i} ({edges[win[i, 0]]:.0f}-{edges[win[i, 1]]:.0f} GeV) fit failed")
    res = _result(edges, sumw, sumw2, win, sc_obs, gfit, choice, thr, eff, int(keep.sum()),
                  s.method, float(s.signal_rel_width), s.gv_u0, flags, low)
    if s.method == "signal-fit":
        _signal_details(res, sc_obs, choice, win)
    if truth is not None:
        # the Asimov scan keeps the function chosen on the data (a signal in Asimov data
        # would otherwise push the F-test to a larger function than the data chose)
        _expected(res, _scanner(s, gfit.model, edges, win), obs, w, keep, truth, edges, gfit,
                  s.luminosity)
    null = None
    if s.n_toys > 0:
        g = global_significance(
            lambda a, a2: _toy_scan(scanner, a, a2), gfit.expected(), _scale(gfit),
            res.local_z_observed, res.bumphunter_t, max_toys=int(s.n_toys),
            rel_error=s.toy_rel_error, min_above=s.min_toys_above, u0=s.gv_u0, seed=s.seed)
        _store_global(res, g)
        null = g.max_z
    _sculpting_guard(res, scanner, obs, sc, w, truth, background_reference, thr, edges, win,
                     null, s.sculpt_z_threshold, s.sculpt_alpha)
    res.timing_s = time.perf_counter() - t0
    return res


_SETTING_NAMES = frozenset(f.name for f in dataclasses.fields(HuntSettings))


def _inputs(
    observable: ArrayLike, score: ArrayLike | None, sample_weight: ArrayLike | None,
    is_signal: ArrayLike | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None,
           NDArray[np.bool_] | None]:
    """Checked observable, weights (n,), scores (n,) or None and truth labels (n,) or None."""
    obs = as_1d("observable", observable)
    if obs.size == 0:
        raise DataError("observable is empty; nothing to hunt in")
    w = (np.ones_like(obs) if sample_weight is None
         else as_1d("sample_weight", sample_weight, obs.size))
    sc = None if score is None else as_1d("score", score, obs.size)
    truth = None
    if is_signal is not None:
        truth = np.asarray(is_signal).astype(bool).ravel()
        if truth.size != obs.size:
            raise DataError(f"is_signal has {truth.size} entries, observable has {obs.size}")
    return obs, w, sc, truth


def _bins(bins: int | tuple[float, ...] | None) -> int | NDArray[np.float64] | None:
    return np.asarray(bins, dtype=float) if isinstance(bins, tuple) else bins


def _scanner(s: HuntSettings, model: str, edges: NDArray[np.float64],
             win: NDArray[np.int64]) -> _Scanner:
    return _make_scanner(s.method, model, edges, win, float(s.signal_rel_width),
                         int(s.mask_pad_bins), float(s.sqrt_s))


def _toy_scan(
    scanner: _Scanner, sumw: NDArray[np.float64], sumw2: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    scan, _, _ = scanner(sumw, sumw2, z_only=True)
    return scan.z, np.where(scan.failed, np.nan, scan.p_bh)


def _result(
    edges: NDArray[np.float64], sumw: NDArray[np.float64], sumw2: NDArray[np.float64],
    win: NDArray[np.int64], scan: _Scan, gfit: BackgroundFit, choice: FunctionChoice | None,
    thr: float | None, eff: float | None, n_after: int, method: str, rel_width: float,
    gv_u0: float, flags: list[str], low: bool,
) -> HuntResult:
    z = scan.z
    best = int(np.nanargmax(z))
    z_best = float(z[best])
    p_bh = np.where(np.isfinite(scan.p_bh) & ~scan.failed, scan.p_bh, 1.0)
    return HuntResult(
        edges=edges, counts=sumw, sumw2=sumw2,
        windows=np.stack([edges[win[:, 0]], edges[win[:, 1]]], axis=1),
        n_observed=scan.n, b_expected=scan.b, sigma_b=scan.sigma_b, z_local_observed=z,
        p_local_observed=sps.norm.sf(z), best_index=best,
        best_window=(float(edges[win[best, 0]]), float(edges[win[best, 1]])),
        local_z_observed=z_best, local_p_observed=float(sps.norm.sf(z_best)),
        background_fit=gfit, cut_threshold=thr, cut_eff_b=eff, n_events_after_cut=n_after,
        method=method, model=gfit.model,
        function_choice=None if choice is None else choice.to_dict(),
        masses=_masses(edges, win), signal_rel_width=rel_width,
        bumphunter_t=float(-np.log(max(float(p_bh.min()), 1e-300))), gv_u0=gv_u0,
        flags=flags, low_counts=low,
    )


def _signal_details(
    res: HuntResult, scan: _Scan, choice: FunctionChoice | None, win: NDArray[np.int64]
) -> None:
    """Fitted yields, the function-choice shift and the fitted peak of the best window."""
    res.signal_fitted, res.signal_error = scan.signal, scan.signal_error
    edges, sumw, sumw2 = res.edges, res.counts, res.sumw2
    if choice is not None and choice.alternative is not None:
        alt = choice.fits[choice.alternative]
        if alt.converged:
            alt_scan = _signal_scan(edges, sumw, sumw2, win, res.signal_rel_width, alt)
            assert alt_scan.signal is not None and scan.signal is not None
            res.signal_function_shift = alt_scan.signal - scan.signal
    if not res.local_z_observed > 0:
        return
    masses = res.masses
    assert masses is not None
    i = res.best_index
    lo = masses[i - 1] if i > 0 else 0.5 * (masses[0] + edges[win[0, 0]])
    hi = masses[i + 1] if i + 1 < masses.size else 0.5 * (masses[-1] + edges[win[-1, 1]])
    m_hat, m_err, fit = _refine_mass(edges, sumw, sumw2, float(lo), float(hi),
                                     res.signal_rel_width, res.background_fit)
    if fit is not None and fit.converged and fit.signal is not None:
        res.best_mass, res.best_signal, res.best_signal_error = m_hat, fit.signal, fit.signal_error
        res.best_mass_error = m_err if math.isfinite(m_err) else None


def _expected(
    res: HuntResult, scanner: _Scanner, obs: NDArray[np.float64], w: NDArray[np.float64],
    keep: NDArray[np.bool_], truth: NDArray[np.bool_], edges: NDArray[np.float64],
    gfit: BackgroundFit, luminosity: float | None,
) -> None:
    """Asimov scan: smooth fit of the true background + the true signal, same method."""
    s_hist, _ = histogram(obs[keep & truth], edges, sample_weight=w[keep & truth])
    b_hist, b2_hist = histogram(obs[keep & ~truth], edges,
                               sample_weight=w[keep & ~truth])
    if float(b_hist.sum()) <= 0:
        return
    try:
        smooth = fit_spectrum(edges, b_hist, b2_hist, model=gfit.model, sqrt_s=gfit.sqrt_s)
        b_exp = smooth.expected() if smooth.converged else b_hist
    except StatisticsError:
        b_exp = b_hist
    asimov = b_exp + np.clip(s_hist, 0.0, None)
    if luminosity is None:
        sumw, sumw2 = asimov, asimov * scale_factors(b_hist, b2_hist)
    else:
        sumw = sumw2 = luminosity * asimov
    try:
        scan, _, _ = scanner(sumw, sumw2, z_only=True)
    except StatisticsError as exc:
        res.flags.append(f"expected (Asimov) significance failed: {exc}")
        return
    res.z_local_expected = scan.z
    if np.any(np.isfinite(scan.z)):
        res.local_z_expected = float(np.nanmax(scan.z))


def _store_global(res: HuntResult, g: GlobalSignificance) -> None:
    res.n_toys, res.n_toys_failed, res.toy_max_z = g.n_toys, g.n_failed, g.max_z
    res.global_p_observed, res.global_z_observed = g.p, g.z
    res.global_p_error, res.global_method = g.p_error, g.method
    res.global_z_gross_vitells, res.gv_mean_upcrossings = g.z_gross_vitells, g.mean_upcrossings
    res.bumphunter_global_p = g.bumphunter_p
    if g.method == "gross-vitells":
        res.flags.append(
            f"only {g.n_above} of {g.n_toys - g.n_failed} toys exceed the observed Z (toy "
            "budget reached): beyond toy reach, the global p-value is the asymptotic "
            "Gross-Vitells estimate (on toy dijet scans 1.6-2.8x the toy p at local Z 3-4); "
            "raise n_toys for a toy p-value"
        )
