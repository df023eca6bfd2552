"""Mass sculpting: how much a cut on the score distorts the background observable.

A cut at signal efficiency ``eff_s`` (default 0.5) splits the background into events passing
and failing it; the Jensen–Shannon divergence (log base 2, in [0, 1]) between the normalised
weighted observable histograms of the two is the sculpting measure.  It is reported as
``1/JSD`` beside ``R50 = 1/ε_B`` at that signal efficiency (the two axes of the
decorrelation plots of the literature), together with the statistical floor: the mean JSD
between two random halves of the same background, i.e. what finite statistics alone give.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> m = rng.exponential(500, 20000) + 1000; y = rng.uniform(size=20000) < 0.3
>>> r = sculpting_jsd(m, rng.normal(y, 1.0), y)   # score independent of m
>>> r.jsd < 5 * r.floor
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.distance import jensenshannon

from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.metrics.ranking import MetricWarning, as_column, check_inputs, ranking_curve

__all__ = ["SculptingResult", "jsd", "sculpting_jsd"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class SculptingResult:
    """Sculpting summary at one signal-efficiency working point.

    Attributes
    ----------
    jsd : float
        JSD (base 2) between background-passing and background-failing observable histograms.
    inv_jsd : float
        ``1 / jsd`` (``inf`` when ``jsd == 0``); higher = less sculpting.
    r50 : float
        Background rejection ``1/ε_B`` at the working point (``eff_s``; "R50" for 0.5).
    floor : float
        Mean JSD between two random halves of the background (the SPEC's statistical floor).
    floor_matched : float
        Mean JSD of a random split of the background with the *same* passing fraction as the
        cut.  A small passing sample fluctuates more than a half, so this is the floor to
        compare ``jsd`` with at high rejection (``floor`` underestimates it there).
    threshold : float
        Score cut: events with ``score >= threshold`` pass.
    eff_s : float
        The signal-efficiency working point.
    """

    jsd: float
    inv_jsd: float
    r50: float
    floor: float
    floor_matched: float
    threshold: float
    eff_s: float


def jsd(p: ArrayLike, q: ArrayLike) -> float:
    """Jensen–Shannon divergence (log base 2) of two histograms (normalised internally).

    Parameters
    ----------
    p, q : array_like, shape (k,)
        Non-negative bin contents with positive sums.

    Returns
    -------
    float
        In [0, 1].
    """
    pa = np.asarray(p, dtype=np.float64)
    qa = np.asarray(q, dtype=np.float64)
    if pa.shape != qa.shape or (pa < 0).any() or (qa < 0).any():
        raise DataError("jsd needs two non-negative histograms of the same shape")
    if not (pa.sum() > 0 and qa.sum() > 0):
        raise StatisticsError("jsd of an empty histogram is undefined")
    # scipy returns the Jensen–Shannon *distance*, the square root of the divergence
    return float(jensenshannon(pa, qa, base=2) ** 2)


def _hist(x: FloatArray, w: FloatArray, edges: FloatArray) -> FloatArray:
    """Weighted histogram; bins may be negative with negative MC weights (checked later)."""
    h, _ = np.histogram(x, bins=edges, weights=w)
    return np.asarray(h, dtype=np.float64)


def _negative_bins(h: FloatArray) -> int:
    return int(np.count_nonzero(h < 0))


def _mean_defined(values: list[float]) -> float:
    """Mean of the non-NaN values (NaN if there are none)."""
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else float("nan")


def sculpting_jsd(
    observable: ArrayLike,
    score: ArrayLike,
    y: ArrayLike,
    eff_s: float = 0.5,
    bins: int | ArrayLike = 50,
    *,
    sample_weight: ArrayLike | None = None,
    range: tuple[float, float] | None = None,
    seed: int = 0,
    n_floor: int = 5,
) -> SculptingResult:
    """Sculpting of the background ``observable`` by a score cut at signal efficiency ``eff_s``.

    Parameters
    ----------
    observable : array_like, shape (n,)
        Search observable, e.g. ``mjj`` [GeV].
    score : array_like, shape (n,)
        Anomaly score, higher = more anomalous.
    y : array_like, shape (n,)
        1 = signal, 0 = background (the cut is placed on the signal; the JSD uses background).
    eff_s : float, default 0.5
        Signal efficiency defining the cut.
    bins : int or array_like, default 50
        Number of equal-width bins over ``range``, or explicit edges.
    sample_weight : array_like, shape (n,), optional
    range : (float, float), optional
        Histogram range; default the background observable's min and max.
    seed : int, default 0
        Seed of the random halvings for the floor.
    n_floor : int, default 5
        Number of random splits averaged for ``floor`` and ``floor_matched``.

    Returns
    -------
    SculptingResult

    Raises
    ------
    DataError
        On degenerate input (see :func:`~sciood.metrics.ranking.check_inputs`) or a
        non-finite observable.
    StatisticsError
        If no background passes or fails the cut, or a passing / failing background bin has
        negative total weight (negative MC weights; a JSD needs non-negative histograms).

    Notes
    -----
    Negative weights: histogram bins are signed sums.  A negative bin in the passing or
    failing histogram is an error (not clipped); a random split used for the floors with a
    negative bin is skipped, and a floor with no usable split is NaN (with a warning).
    """
    if not 0.0 < eff_s < 1.0:
        raise ConfigError(f"eff_s must be in (0, 1), got {eff_s}")
    yb, s, w = check_inputs(y, score, sample_weight)
    obs = np.asarray(as_column(observable, "observable", s.size), dtype=np.float64)
    if not np.isfinite(obs).all():
        raise DataError("observable contains NaN or inf; remove those events first")
    curve = ranking_curve(yb, s, w)
    cm = np.maximum.accumulate(curve.eps_s)
    i = int(np.searchsorted(cm, eff_s, side="left"))
    cut = curve.thresholds[min(i, curve.thresholds.size - 1)]  # exact (integer scores too)
    threshold = float(cut)
    r50 = float(curve.rejection_at(eff_s)[0])

    ob, sb, wb = obs[~yb], s[~yb], w[~yb]
    lo, hi = (float(ob.min()), float(ob.max())) if range is None else range
    if isinstance(bins, int | np.integer):
        if bins < 1 or not hi > lo:
            raise ConfigError(f"need bins >= 1 and a non-empty range, got {bins}, {(lo, hi)}")
        edges = np.linspace(lo, hi, int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=np.float64)
    passing = sb >= cut
    h_pass = _hist(ob[passing], wb[passing], edges)
    h_fail = _hist(ob[~passing], wb[~passing], edges)
    n_neg = _negative_bins(h_pass) + _negative_bins(h_fail)
    if n_neg:
        raise StatisticsError(
            f"{n_neg} observable bin(s) of the passing/failing background have negative total "
            "weight (negative MC weights): a JSD needs non-negative histograms and clipping "
            "would change the distributions; use fewer or wider bins (bins=...), a range "
            "that excludes the sparse tail (range=...), or more events"
        )
    if not (h_pass.sum() > 0 and h_fail.sum() > 0):
        raise StatisticsError(
            f"the cut at eff_s={eff_s} leaves no background on one side (pass weight "
            f"{h_pass.sum():g}, fail weight {h_fail.sum():g}); sculpting is undefined"
        )
    value = jsd(h_pass, h_fail)
    rng = np.random.default_rng(seed)
    n_pass = int(passing.sum())
    floors: list[float] = []
    matched: list[float] = []
    for _ in np.arange(max(1, int(n_floor))):
        rank = rng.permutation(ob.size)
        for size, out in ((ob.size // 2, floors), (n_pass, matched)):
            a = rank < size
            ha, hb = _hist(ob[a], wb[a], edges), _hist(ob[~a], wb[~a], edges)
            ok = ha.sum() > 0 and hb.sum() > 0 and not (_negative_bins(ha) + _negative_bins(hb))
            out.append(jsd(ha, hb) if ok else np.nan)
    floor, floor_m = _mean_defined(floors), _mean_defined(matched)
    if np.isnan(floor) or np.isnan(floor_m):
        warnings.warn(
            "no random split of the background gave two non-negative histograms (negative MC "
            "weights): the statistical floor is NaN; use fewer bins or more events",
            MetricWarning,
            stacklevel=2,
        )
    return SculptingResult(
        jsd=value,
        inv_jsd=float(1.0 / value) if value > 0 else float("inf"),
        r50=r50,
        floor=floor,
        floor_matched=floor_m,
        threshold=threshold,
        eff_s=float(eff_s),
    )
