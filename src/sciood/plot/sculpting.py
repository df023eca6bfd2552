"""Sculpting before/after a cut: the background observable of all, failing and passing events.

Each histogram is normalised to unit sum (the fraction of background per bin: shapes only);
the lower panel is the ratio pass / fail with the error of two independent weighted
histograms, ``r · √(Σw²_p/(Σw_p)² + Σw²_f/(Σw_f)²)`` per bin.  A ratio flat at 1 means the cut
does not sculpt the observable; a bump in it can turn into a fake signal in a bump hunt.

>>> from sciood.plot import sculpting                                     # doctest: +SKIP
>>> fig = sculpting(mjj_bkg, score_bkg >= threshold, sample_weight=w_bkg)  # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from sciood.errors import DataError
from sciood.plot._common import (
    FloatArray,
    as_bool,
    as_float,
    as_weights,
    edges_for,
    figure_of,
    weighted_hist,
)
from sciood.plot.style import color, hep_style, new_figure, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["pass_fail_ratio", "sculpting"]


def pass_fail_ratio(h_pass: Any, h_fail: Any) -> tuple[FloatArray, FloatArray]:
    """Ratio of the unit-normalised pass and fail histograms and its error, per bin.

    Parameters
    ----------
    h_pass, h_fail : hist.Hist
        Weighted histograms (``Weight`` storage) on the same axis.

    Returns
    -------
    ratio, error : ndarray, shape (n_bins,)
        NaN where a histogram is empty.
    """
    p, f = h_pass.values(), h_fail.values()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (p / p.sum()) / (f / f.sum())
        err = ratio * np.sqrt(h_pass.variances() / p**2 + h_fail.variances() / f**2)
    return np.asarray(ratio, dtype=np.float64), np.asarray(err, dtype=np.float64)


def sculpting(observable: ArrayLike, passed: ArrayLike, *,
              sample_weight: ArrayLike | None = None, bins: int | ArrayLike = 25,
              range: tuple[float, float] | None = None, xlabel: str = "mjj [GeV]",
              ax: Axes | None = None, ratio_ax: Axes | None = None) -> Figure:
    """Background ``observable`` for all, failing and passing events, and pass / fail.

    Parameters
    ----------
    observable : array_like, shape (n,)
        The background events' observable (e.g. mjj).
    passed : array_like of bool, shape (n,)
        Whether each event passes the cut (e.g. ``score >= threshold``).
    sample_weight : array_like, shape (n,), optional
    bins : int or array_like, default 25
        Equal-width bins over ``range`` (default: the data range), or edges.
    range : (float, float), optional
    xlabel : str, default "mjj [GeV]"
    ax : Axes, optional
        Shape panel; default: a new figure with the shapes above the ratio.
    ratio_ax : Axes, optional
        Ratio panel when ``ax`` is given (no ratio without it).

    Returns
    -------
    Figure
        Three step lines labelled "all background", "fail cut", "pass cut"; the ratio as
        error bars.
    """
    x = as_float(observable, "observable")
    ok = as_bool(passed, "passed", x.size)
    w = as_weights(sample_weight, x.size)
    if ok.all() or not ok.any():
        raise DataError("passed must contain both passing and failing events")
    edges = edges_for(x, bins, range)
    if ax is None:
        with hep_style():
            fig, axes = new_figure(2, 1, size=(5.6, 5.6), sharex=True,
                                   gridspec_kw={"height_ratios": [3, 1]})
            _draw(axes[0][0], axes[1][0], x, ok, w, edges, xlabel)
        return fig
    _draw(ax, ratio_ax, x, ok, w, edges, xlabel)
    return figure_of(ax)


def _draw(top: Axes, bottom: Axes | None, x: FloatArray, ok: np.ndarray[Any, Any],
          w: FloatArray, edges: FloatArray, xlabel: str) -> None:
    hep = require_matplotlib()
    h_all = weighted_hist(x, edges, w)
    h_p = weighted_hist(x[ok], edges, w[ok])
    h_f = weighted_hist(x[~ok], edges, w[~ok])
    for h, col, lab, ls in ((h_all, "grey", "all background", ":"),
                            (h_f, color(0), "fail cut", "-"),
                            (h_p, color(2), "pass cut", "-")):
        hep.histplot(h.values() / max(h.values().sum(), 1e-300), edges, histtype="step",
                     yerr=False, color=col, label=lab, lw=1.6, ls=ls, ax=top, flow="none")
    top.set_ylabel("fraction of background / bin")
    top.legend(fontsize=9)
    if bottom is None:
        top.set_xlabel(xlabel)
        return
    ratio, err = pass_fail_ratio(h_p, h_f)
    centres = 0.5 * (edges[1:] + edges[:-1])
    good = np.isfinite(ratio) & np.isfinite(err)
    bottom.errorbar(centres[good], ratio[good], yerr=err[good], fmt="o", ms=3, color="black")
    bottom.axhline(1.0, color="grey", ls=":")
    bottom.set_ylim(0.0, 2.5)
    bottom.set_xlabel(xlabel)
    bottom.set_ylabel("pass / fail")
