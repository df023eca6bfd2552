"""A binned spectrum with its background fit, the fit's ±1σ band, a shaded window and pulls.

Counts are drawn per unit of the observable (events/GeV for mjj, log axis), as data points
with ``√Σw²`` error bars; the pulls are ``(n − b)/√(σ_n² + σ_b²)`` with ``σ_n² = Σw²`` of
the bin and ``σ_b`` the fit's 1σ uncertainty in that bin.

>>> from sciood.plot import spectrum                                            # doctest: +SKIP
>>> fig = spectrum(res.edges, res.counts, res.background_fit.expected())        # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from sciood.errors import DataError
from sciood.plot._common import FloatArray, as_float, binned_hist, figure_of
from sciood.plot.style import color as house_color
from sciood.plot.style import hep_style, new_figure, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["pulls", "spectrum"]


def pulls(counts: ArrayLike, fit: ArrayLike, *, sumw2: ArrayLike | None = None,
          fit_error: ArrayLike | None = None) -> FloatArray:
    """Pull per bin, ``(n − b)/√(Σw² + σ_b²)``; NaN where the denominator is 0.

    Parameters
    ----------
    counts, fit : array_like, shape (n_bins,)
        Observed sum of weights and fitted expectation per bin.
    sumw2 : array_like, shape (n_bins,), optional
        Sum of squared weights per bin (default: ``counts``, Poisson).
    fit_error : array_like, shape (n_bins,), optional
        1σ uncertainty of the fit per bin (default 0).
    """
    n = as_float(counts, "counts")
    b = as_float(fit, "fit", n.size)
    v = n if sumw2 is None else as_float(sumw2, "sumw2", n.size)
    e = np.zeros_like(n) if fit_error is None else as_float(fit_error, "fit_error", n.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (n - b) / np.sqrt(np.clip(v, 0, None) + e**2)
    return np.where(np.isfinite(p), p, np.nan)


def spectrum(edges: ArrayLike, counts: ArrayLike, fit: ArrayLike | None = None, *,
             sumw2: ArrayLike | None = None, fit_error: ArrayLike | None = None,
             window: tuple[float, float] | None = None, label: str = "data",
             fit_label: str = "background fit", window_label: str = "window",
             color: str | None = None, xlabel: str = "mjj [GeV]",
             ylabel: str = "events / GeV", ax: Axes | None = None,
             pull_ax: Axes | None = None) -> Figure:
    """Spectrum per unit of the observable (log) with fit, ±1σ band, window and pulls.

    Parameters
    ----------
    edges : array_like, shape (n_bins + 1,)
        Increasing bin edges.
    counts : array_like, shape (n_bins,)
        Sum of weights per bin.
    fit : array_like, shape (n_bins,), optional
        Fitted (background) expectation per bin.
    sumw2 : array_like, shape (n_bins,), optional
        Sum of squared weights per bin; default ``counts`` (unweighted events).
    fit_error : array_like, shape (n_bins,), optional
        1σ of the fit per bin: drawn as a band and added to the pull's denominator.
    window : (float, float), optional
        Shaded interval (e.g. the best window of a bump hunt) in both panels.
    label, fit_label, window_label : str
        Legend entries.
    color : str, optional
        Colour of the fit, its band and the pulls.
    xlabel, ylabel : str
    ax : Axes, optional
        Spectrum panel; default: a new figure with the spectrum above the pulls.
    pull_ax : Axes, optional
        Pull panel when ``ax`` is given (no pulls without it).

    Returns
    -------
    Figure
    """
    hep = require_matplotlib()
    e = as_float(edges, "edges")
    if e.size < 2 or not (np.diff(e) > 0).all():
        raise DataError("edges must be increasing, with at least two entries")
    n = as_float(counts, "counts", e.size - 1)
    v = n if sumw2 is None else as_float(sumw2, "sumw2", n.size)
    if ax is None:
        with hep_style():
            fig, axes = new_figure(2, 1, size=(6.4, 6.0), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
            _draw(hep, axes[0][0], axes[1][0], e, n, v, fit, fit_error, window, label,
                  fit_label, window_label, color, xlabel, ylabel)
        return fig
    _draw(hep, ax, pull_ax, e, n, v, fit, fit_error, window, label, fit_label, window_label,
          color, xlabel, ylabel)
    return figure_of(ax)


def _draw(hep: Any, top: Axes, bottom: Axes | None, e: FloatArray, n: FloatArray,
          v: FloatArray, fit: ArrayLike | None, fit_error: ArrayLike | None,
          window: tuple[float, float] | None, label: str, fit_label: str, window_label: str,
          color: str | None, xlabel: str, ylabel: str) -> None:
    width = np.diff(e)
    err = np.sqrt(np.clip(v, 0, None))
    hep.histplot(binned_hist(e, n, v), yerr=err, binwnorm=1.0,
                 histtype="errorbar", xerr=True, color="black", markersize=3.5, label=label,
                 ax=top, flow="none")
    if fit is not None:
        b = as_float(fit, "fit", n.size)
        sig = (np.zeros_like(b) if fit_error is None
               else as_float(fit_error, "fit_error", n.size))
        col = color or house_color(0)
        top.stairs(b / width, e, baseline=None, color=col, lw=1.8, label=fit_label)
        if fit_error is not None:
            top.stairs((b + sig) / width, e, baseline=(b - sig) / width, fill=True, color=col,
                       alpha=0.3, label="fit ±1σ")
        if bottom is not None:
            p = pulls(n, b, sumw2=v, fit_error=sig)
            bottom.bar(0.5 * (e[1:] + e[:-1]), np.where(np.isfinite(p), p, 0.0), width=width,
                       color=col, alpha=0.7)
            bottom.axhline(0.0, color="grey", lw=0.8)
            bottom.set_ylim(-3.5, 3.5)
            bottom.set_ylabel("pull")
    if window is not None:
        lo, hi = window
        top.axvspan(lo, hi, color="gold", alpha=0.3, label=window_label)
        if bottom is not None:
            bottom.axvspan(lo, hi, color="gold", alpha=0.3)
    top.set_yscale("log")
    dens = n / width
    pos = dens[dens > 0]
    if pos.size:
        top.set_ylim(0.3 * float(pos.min()), 5.0 * float(pos.max()))
    top.set_ylabel(ylabel)
    if bottom is not None:
        top.tick_params(labelbottom=False)
        top.set_xlabel("")
        bottom.set_xlabel(xlabel)
    else:
        top.set_xlabel(xlabel)
    top.legend(fontsize=8.5, loc="upper right")
