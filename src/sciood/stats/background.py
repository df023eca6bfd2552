"""Background model of the bump hunt: the dijet function family and its binned fits.

The code lives in one module per concept; this module holds :func:`fit_background` (the
background-only fit of an event sample) and re-exports the rest under its old path:

* :mod:`sciood.stats.binning` — bin edges, ``(Σw, Σw²)`` histograms, Bohm–Zech scales,
  the Gaussian signal template, the default hunt range;
* :mod:`sciood.stats.dijet` — the dijet functions ``dN/dm = p0 (1 − x)^p1 /
  x^(p2 + p3 ln x + p4 ln² x)``, ``x = m/√s`` (``dijet3``/``dijet4``/``dijet5``);
* :mod:`sciood.stats.spectrum_fit` — the binned scaled-Poisson fit (:class:`BackgroundFit`,
  :func:`fit_spectrum`);
* :mod:`sciood.stats.function_choice` — F-tests between the nested functions.

Imports point down: binning, dijet → spectrum_fit → function_choice → background.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
from numpy.typing import ArrayLike

from sciood._compat import renamed_weights
from sciood.errors import StatisticsError
from sciood.stats.binning import (
    as_1d,
    default_range,
    histogram,
    log_bins,
    make_edges,
    scale_factors,
    signal_template,
)
from sciood.stats.dijet import MODELS, _n_params, dijet_function
from sciood.stats.function_choice import FunctionChoice, select_function
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum

__all__ = [
    "MODELS",
    "BackgroundFit",
    "FunctionChoice",
    "as_1d",
    "default_range",
    "dijet_function",
    "fit_background",
    "fit_spectrum",
    "histogram",
    "log_bins",
    "make_edges",
    "scale_factors",
    "select_function",
    "signal_template",
]


def fit_background(
    observable: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    model: str = "dijet4",
    sidebands: Sequence[tuple[float, float]] | None = None,
    mask_window: tuple[float, float] | None = None,
    bins: int | ArrayLike | None = None,
    mjj_range: tuple[float, float] | None = None,
    sqrt_s: float = 13000.0,
    weights: ArrayLike | None = None,
) -> BackgroundFit:
    """Fit a dijet function to the binned observable (background only).

    Parameters
    ----------
    observable : array-like, shape (n_events,)
        Search observable, e.g. ``mjj`` [GeV].
    sample_weight : array-like, shape (n_events,), optional
        Event weights (expected events); the fit uses Σw and Σw² per bin (scaled Poisson).
    model : {"dijet3", "dijet4", "dijet5", "auto"}
        Background function; ``"auto"`` chooses by F-tests (:func:`select_function`).
    sidebands : sequence of (lo, hi), optional
        Only bins fully inside these ranges are fitted.
    mask_window : (lo, hi), optional
        Bins overlapping this window are excluded from the fit (signal region).
    bins : int or array-like, optional
        Bin edges, or a number of log-spaced bins; default ~2.5 % wide log bins.
    mjj_range : (lo, hi), optional
        Fit range; default :func:`default_range`.
    sqrt_s : float
        √s [GeV] for ``x = m/√s``.
    weights : array-like, optional
        Deprecated alias of ``sample_weight`` (FutureWarning).

    Returns
    -------
    BackgroundFit

    Raises
    ------
    StatisticsError
        If the fit does not converge, a bin has a negative sum of weights, or too few
        bins remain.
    DataError
        On NaN input or shape mismatch.

    Examples
    --------
    >>> fit = fit_background(mjj, sample_weight=w, mjj_range=(2600, 5000))  # doctest: +SKIP
    >>> fit.chi2_ndf, fit.expected([3300, 3700])                          # doctest: +SKIP
    """
    if model != "auto":
        _n_params(model)
    sample_weight = cast("ArrayLike | None",
                         renamed_weights(sample_weight, weights, "fit_background"))
    obs = as_1d("observable", observable)
    w = (np.ones_like(obs) if sample_weight is None
         else as_1d("sample_weight", sample_weight, obs.size))
    edges = make_edges(obs, bins, mjj_range, sample_weight=w)
    sumw, sumw2 = histogram(obs, edges, sample_weight=w)
    mask = np.ones(sumw.size, dtype=bool)
    if sidebands is not None:
        inside = np.zeros_like(mask)
        for lo, hi in sidebands:
            inside |= (edges[:-1] >= lo) & (edges[1:] <= hi)
        mask &= inside
    if mask_window is not None:
        lo, hi = mask_window
        mask &= ~((edges[1:] > lo) & (edges[:-1] < hi))
    if model == "auto":
        model = select_function(edges, sumw, sumw2, mask=mask, sqrt_s=float(sqrt_s)).model
    fit = fit_spectrum(edges, sumw, sumw2, model=model, mask=mask, sqrt_s=float(sqrt_s))
    if not fit.converged:
        raise StatisticsError(
            "the dijet-function fit did not converge; check the mjj range starts above the "
            "trigger turn-on, use coarser bins, or more events"
        )
    return fit
