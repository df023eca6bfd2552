"""Search figures of the report: the bump hunt and the signal-injection scan."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np

from sciood.plot import experiment_label, spectrum
from sciood.plot.style import color, hep_style

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sciood.stats.bumphunt import HuntResult
    from sciood.stats.injection import InjectionResult

__all__ = ["hunt", "injection"]


def _fit_error(res: HuntResult) -> np.ndarray:
    """1σ of the background fit per bin (eigen-variations), zeros without a covariance."""
    fit = res.background_fit
    if np.isfinite(fit.covariance).all():
        up, down = fit.eigen_variations()
        return np.asarray(np.sqrt(np.sum(np.square(0.5 * (up - down)), axis=0)))
    return np.zeros_like(fit.expected())  # fit without a usable covariance (flagged)


def _hunt_column(top: Axes, mid: Axes, res: HuntResult, col: str) -> None:
    spectrum(res.edges, res.counts, res.background_fit.expected(), sumw2=res.sumw2,
             fit_error=_fit_error(res), window=tuple(res.best_window),  # type: ignore[arg-type]
             fit_label=f"dijet fit, χ²/ndf = {res.background_fit.chi2_ndf:.2f}",
             window_label=f"best window, Z_loc = {res.local_z_observed:.2f}", color=col,
             ax=top, pull_ax=mid)


def hunt(result: HuntResult, baseline: HuntResult | None = None, *,
         detector: str | None = None) -> Figure:
    """Bump hunt: spectrum with the dijet fit, pulls, and local significance per window.

    One column per hunt (mjj-only baseline left, after the detector cut right), each a
    :func:`sciood.plot.spectrum`: the spectrum in events/GeV with the background-only dijet
    fit and its ±1σ band, the best window shaded, and the pulls ``(n − b)/√(σ_n² + σ_b²)``.
    The bottom panel overlays the observed local significance per window (at the window
    centre) of both hunts.

    Parameters
    ----------
    result : HuntResult
        The hunt after the score cut.
    baseline : HuntResult, optional
        The same hunt without a cut.
    detector : str, optional
        Name of the detector whose score was cut on.

    Returns
    -------
    Figure
    """
    det = detector or "detector"
    cols: list[tuple[HuntResult, str, str, str]] = []
    if baseline is not None:
        cols.append((baseline, "no cut (mjj only)", "grey", "--"))
    eff = f"ε_B = {result.cut_eff_b:.2g}" if result.cut_eff_b is not None else "cut"
    cols.append((result, f"{det} cut, {eff}", color(0), "-"))
    n = len(cols)
    with hep_style():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.6 * n, 8.4), layout="constrained")
        gs = fig.add_gridspec(3, n, height_ratios=[3, 1.1, 1.7])
        z_ax = fig.add_subplot(gs[2, :])
        for k, (res, lab, col, ls) in enumerate(cols):
            top = fig.add_subplot(gs[0, k])
            mid = fig.add_subplot(gs[1, k], sharex=top)
            _hunt_column(top, mid, res, col)
            experiment_label(top, rlabel=lab)
            wc = 0.5 * (res.windows[:, 0] + res.windows[:, 1])
            z_ax.plot(wc, res.z_local_observed, marker="o", ms=3.5,
                      color="black" if ls == "--" else col, ls=ls, label=lab)
        z_ax.axhline(3.0, color="grey", ls=":", lw=0.8)
        z_ax.set_ylim(bottom=0.0)
        z_ax.set_xlim(float(result.edges[0]), float(result.edges[-1]))
        z_ax.set_xlabel("window centre mjj [GeV]")
        z_ax.set_ylabel("observed local Z")
        z_ax.legend(fontsize=9)
    return fig


def injection(result: InjectionResult) -> Figure:
    """Observed (and expected) local significance versus the number of injected signal events.

    Lines are the mean over repeats; the band spans min–max of the repeats when there are
    several.  The mjj-only baseline is black and dashed; expected (Asimov, truth-based)
    significances are dotted.

    Parameters
    ----------
    result : InjectionResult

    Returns
    -------
    Figure
    """
    from sciood.plot.style import new_figure
    from sciood.stats.injection import BASELINE

    x = np.asarray(result.n_signal, dtype=np.float64)
    with hep_style():
        fig, ax = new_figure(size=(6.8, 4.8))
        a = ax[0][0]
        k = 0
        for det in result.detectors:
            obs = result.local_z_observed[det]
            exp = result.local_z_expected[det]
            if det == BASELINE:
                c, ls, lab = "black", "--", "mjj only (no cut)"
            else:
                c, ls, lab = color(k), "-", f"{det} (cut ε_B = {result.cut_eff_b:g})"
                k += 1
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
                mean = np.nanmean(obs, axis=0)
                lo, hi = np.nanmin(obs, axis=0), np.nanmax(obs, axis=0)
                emean = np.nanmean(exp, axis=0)
            a.plot(x, mean, marker="o", ms=4, color=c, ls=ls, label=f"{lab}, observed")
            if obs.shape[0] > 1:
                a.fill_between(x, lo, hi, color=c, alpha=0.2, lw=0)
            if np.isfinite(emean).any():
                a.plot(x, emean, color=c, ls=":", label=f"{lab}, expected")
        a.axhline(3.0, color="grey", lw=0.8, ls=":")
        a.set_xlabel("injected signal events")
        a.set_ylabel("local significance Z")
        a.set_ylim(bottom=0.0)
        a.legend(fontsize=8.5)
    return fig
