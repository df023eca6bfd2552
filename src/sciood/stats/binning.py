"""Binning and histograms of weighted events: edges, ``(Σw, Σw²)``, Bohm–Zech scales.

The lowest layer of the background model (:mod:`sciood.stats.background`): it knows nothing
about fits.  Bins are log-spaced (constant ``Δm/m``, the dijet resolution grows with ``m``).
A weighted bin is summarised by ``(Σw, Σw²)``; its Bohm–Zech scale ``k = Σw²/Σw`` turns it
into a *scaled Poisson* count ``Σw/k`` with mean ``μ/k`` (``k = 1`` for unit weights).
"""

from __future__ import annotations

import logging
import math
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood._compat import renamed_weights
from sciood.errors import DataError

__all__ = [
    "as_1d",
    "default_range",
    "histogram",
    "log_bins",
    "make_edges",
    "scale_factors",
    "signal_template",
]

log = logging.getLogger(__name__)


def as_1d(name: str, values: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    """``values`` as a finite 1-D float array (of length ``n`` if given)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise DataError(f"{name} has {arr.size} entries but the observable has {n}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise DataError(f"{name} has {bad} NaN/inf entries; drop or fix those events first")
    return arr


def histogram(
    observable: NDArray[np.float64], edges: NDArray[np.float64], *,
    sample_weight: NDArray[np.float64] | None = None, weights: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(Σw, Σw²)`` per bin, each shape (n_bins,), of ``observable`` (n,) in ``edges``.

    ``sample_weight`` (n,) defaults to unit weights; ``weights`` is its deprecated alias.
    """
    sample_weight = renamed_weights(sample_weight, weights, "histogram")
    w = np.ones_like(observable) if sample_weight is None else sample_weight
    sumw, _ = np.histogram(observable, bins=edges, weights=w)
    sumw2, _ = np.histogram(observable, bins=edges, weights=w * w)
    return sumw.astype(float), sumw2.astype(float)


def scale_factors(sumw: NDArray[np.float64], sumw2: NDArray[np.float64]) -> NDArray[np.float64]:
    """Bohm–Zech scale ``k = Σw²/Σw`` per bin (median for empty bins; 1 for unit weights)."""
    pos = (sumw > 0) & (sumw2 > 0)
    k_med = float(np.median(sumw2[pos] / sumw[pos])) if np.any(pos) else 1.0
    return np.where(pos, sumw2 / np.where(pos, sumw, 1.0), k_med)


def log_bins(lo: float, hi: float, rel_width: float = 0.025) -> NDArray[np.float64]:
    """Log-spaced bin edges with (approximately) constant relative width.

    Parameters
    ----------
    lo, hi : float
        Range [GeV], ``0 < lo < hi``.
    rel_width : float
        Target ``Δm / m`` per bin (the dijet mass resolution is ~5–10 %).

    Returns
    -------
    ndarray, shape (n_bins + 1,)
    """
    if not (0.0 < lo < hi) or not math.isfinite(hi):
        raise DataError(f"bin range ({lo}, {hi}) must satisfy 0 < lo < hi")
    if not 0.0 < rel_width < 1.0:
        raise DataError(f"rel_width = {rel_width} must be in (0, 1)")
    n = max(1, round(math.log(hi / lo) / math.log1p(rel_width)))
    return np.geomspace(lo, hi, n + 1)


def signal_template(edges: ArrayLike, mass: float, width: float) -> NDArray[np.float64]:
    """Fraction of a Gaussian resonance (mean ``mass``, sd ``width``) in each bin.

    Parameters
    ----------
    edges : array-like, shape (n_bins + 1,)
        Bin edges [GeV].
    mass, width : float
        Peak and resolution [GeV] (``width > 0``).

    Returns
    -------
    ndarray, shape (n_bins,)
        Sums to the fraction of the Gaussian inside the range (≤ 1).
    """
    if not (math.isfinite(mass) and math.isfinite(width) and width > 0.0):
        raise DataError(f"signal mass {mass} and width {width} must be finite, width > 0")
    return np.diff(sps.norm.cdf(np.asarray(edges, dtype=float), mass, width))


def default_range(
    observable: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    rel_width: float = 0.025,
    turn_on_margin: float = 0.10,
    weights: ArrayLike | None = None,
) -> tuple[float, float]:
    """Default hunt range: from above the trigger turn-on to the largest value.

    The (weighted) spectrum is histogrammed in log bins of ``rel_width``; if its maximum
    is not the first bin (a turn-on is visible), the range starts ``turn_on_margin``
    (relative) above the upper edge of the peak bin, where the spectrum falls as the
    dijet function assumes (on generated QCD with a 1.2 TeV leading-jet cut, starting
    right at the peak left a Z ≈ 3 fake bump from the rounded turn-on; +10 % removed it).
    Pass ``mjj_range`` explicitly for a real analysis (start where the trigger is fully
    efficient).

    Parameters
    ----------
    observable : array-like, shape (n,)
        ``mjj`` [GeV] (before any score cut).
    sample_weight : array-like, shape (n,), optional
        Event weights.
    rel_width : float
        Relative bin width used to locate the peak.
    turn_on_margin : float
        Relative distance kept above the peak.
    weights : array-like, optional
        Deprecated alias of ``sample_weight`` (FutureWarning).

    Returns
    -------
    (lo, hi) : tuple of float
    """
    sample_weight = cast("ArrayLike | None",
                         renamed_weights(sample_weight, weights, "default_range"))
    obs = np.asarray(observable, dtype=float)
    w = np.ones_like(obs) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    good = np.isfinite(obs) & (obs > 0) & np.isfinite(w)
    obs, w = obs[good], w[good]
    if obs.size == 0:
        raise DataError("no events: pass a non-empty observable or explicit bins")
    lo, hi = float(obs.min()), float(np.nextafter(obs.max(), np.inf))
    if not lo < hi:
        raise DataError("all observable values are equal; cannot define a mass range")
    edges = log_bins(lo, hi, rel_width)
    counts, _ = np.histogram(obs, edges, weights=w)
    peak = int(np.argmax(counts))
    if 0 < peak < counts.size - 2:
        lo = min(float(edges[peak + 1]) * (1.0 + turn_on_margin), float(edges[-3]))
    log.info("default hunt range %.0f-%.0f GeV (pass mjj_range to override)", lo, hi)
    return lo, hi


def make_edges(
    obs: NDArray[np.float64],
    bins: int | ArrayLike | None,
    mjj_range: tuple[float, float] | None,
    *,
    sample_weight: NDArray[np.float64] | None = None,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """Bin edges from explicit edges, a number of log bins, or the default 2.5 % log bins.

    ``sample_weight`` (n,) weighs ``obs`` (n,) when :func:`default_range` chooses the range;
    ``weights`` is its deprecated alias.
    """
    sample_weight = renamed_weights(sample_weight, weights, "make_edges")
    if bins is not None and np.ndim(bins) == 1:
        edges = np.asarray(bins, dtype=float)
        if edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
            raise DataError("bins must be strictly increasing finite edges")
        if edges[0] <= 0:
            raise DataError(f"bin edges must be > 0 GeV, got {edges[0]:g}")
        return edges
    if mjj_range is None:
        mjj_range = default_range(obs, sample_weight=sample_weight)
    lo, hi = float(mjj_range[0]), float(mjj_range[1])
    if not (0.0 < lo < hi) or not math.isfinite(hi):
        raise DataError(f"mjj_range ({lo}, {hi}) must satisfy 0 < lo < hi")
    if bins is None:
        return log_bins(lo, hi)
    n = int(np.asarray(bins))
    if n < 1:
        raise DataError(f"bins = {n} must be >= 1")
    return np.geomspace(lo, hi, n + 1)
