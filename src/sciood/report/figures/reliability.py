"""Reliability figure of the report: detectors with a probabilistic output only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from sciood.errors import DataError
from sciood.plot.style import color, hep_style, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sciood.data.eventset import EventSet
    from sciood.report.inputs import DetectorResult

__all__ = ["calibration"]

FloatArray = NDArray[np.float64]


def _balanced_weights(w: FloatArray, y: NDArray[np.bool_]) -> FloatArray:
    out = w.astype(np.float64).copy()
    for cls in (True, False):
        m = y == cls
        tot = out[m].sum()
        if tot > 0:
            out[m] *= 0.5 / tot
    return out


def calibration(results: Sequence[DetectorResult], test_set: EventSet, *,
                n_bins: int = 10) -> Figure:
    """Reliability curves of the detectors with a probabilistic output.

    Weights: signal and background each rescaled to half of the total (the convention of
    the evaluation's ``signal_fraction = 0.5``), so a calibrated classifier sits on the
    diagonal.  Error bars are binomial with the Kish effective count of the bin.

    Parameters
    ----------
    results : sequence of DetectorResult
        Only those with ``probability`` are drawn.
    test_set : EventSet
        The ``sim`` test set, shape (n_events,).
    n_bins : int, default 10
        Equal-mass bins.

    Returns
    -------
    Figure
        Top: observed signal fraction vs mean predicted probability (ECE in the legend);
        bottom: events per bin.
    """
    from sciood.metrics.calibration import ece, reliability_curve

    prob = [r for r in results if r.probability is not None]
    if not prob:
        raise DataError("no detector has a probabilistic output; nothing to calibrate")
    y = np.asarray(test_set.is_signal, dtype=bool)
    w = _balanced_weights(np.asarray(test_set.weights, dtype=np.float64), y)
    with hep_style():
        fig, ax = new_figure(2, 1, size=(6.5, 6.0), sharex=True,
                          gridspec_kw={"height_ratios": [3, 1]})
        top, bot = ax[0][0], ax[1][0]
        top.plot([0, 1], [0, 1], color="grey", ls=":", label="perfectly calibrated")
        for i, r in enumerate(prob):
            p = np.asarray(r.probability, dtype=np.float64)
            mp, frac, _ = reliability_curve(y, p, sample_weight=w, n_bins=n_bins)
            e = ece(y, p, sample_weight=w, n_bins=n_bins)
            n_eff = _bin_kish(p, w, n_bins)
            err = (np.sqrt(np.clip(frac * (1 - frac), 0, None) / n_eff)
                   if n_eff.size == mp.size else None)
            top.errorbar(mp, frac, yerr=err, marker="o", ms=4, color=color(i), capsize=2,
                         label=f"{r.name} (ECE {e:.3f})")
            bot.hist(p, bins=np.linspace(0, 1, 21), histtype="step", color=color(i),
                     label=r.name)
        top.set_ylabel("observed signal fraction")
        top.set_xlim(0, 1)
        top.set_ylim(0, 1)
        top.legend(loc="upper left", title="balanced weights (S = B)")
        bot.set_xlabel("predicted signal probability")
        bot.set_ylabel("events")
        bot.set_yscale("log")
    return fig


def _bin_kish(p: FloatArray, w: FloatArray, n_bins: int) -> FloatArray:
    """Kish effective count of the non-empty equal-mass bins of ``reliability_curve``."""
    edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1), weights=np.abs(w),
                        method="inverted_cdf")
    ids = np.searchsorted(edges[1:-1], p, side="left")
    sw = np.bincount(ids, weights=w, minlength=n_bins)
    sw2 = np.bincount(ids, weights=w * w, minlength=n_bins)
    keep = (np.bincount(ids, minlength=n_bins) > 0) & (sw > 0)
    return np.asarray(sw[keep] ** 2 / sw2[keep], dtype=np.float64)

