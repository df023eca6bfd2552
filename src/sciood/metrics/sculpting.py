"""Mass sculpting: how much a cut on the score distorts the background observable.

A cut at signal efficiency ``eff_s`` (default 0.5) splits the background into events passing
and failing it; the Jensen–Shannon divergence (log base 2, in [0, 1]) between the normalised
weighted observable histograms of the two is the sculpting measure.  It is reported as
``1/JSD`` beside ``R50 = 1/ε_B`` at that signal efficiency (the two axes of the
decorrelation plots of the literature), together with the statistical floor: the mean JSD
between two random halves of the same background, i.e. what finite statistics alone give.

Arguments come in the order of every other metric, ``(y, score, observable)`` (labels first,
as scikit-learn's ``(y_true, y_score)``), with weights as the keyword-only ``sample_weight=``.
The order before sciood 0.2 was ``(observable, score, y)``; it is still accepted, with a
:class:`FutureWarning`, when it is unambiguous: the first argument is not a 0/1 label array
and the third one is.  When both are 0/1 arrays the call is read in the new order.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> m = rng.exponential(500, 20000) + 1000; y = rng.uniform(size=20000) < 0.3
>>> r = sculpting_jsd(y, rng.normal(y, 1.0), m)   # score independent of m
>>> r.jsd < 5 * r.floor
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.distance import jensenshannon

from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.metrics.curve import ranking_curve
from sciood.metrics.inputs import MetricWarning, as_column, as_labels, check_inputs

__all__ = ["SculptingBump", "SculptingResult", "jsd", "sculpting_bump", "sculpting_jsd"]

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
        Mean JSD between two random halves of the background (the statistical floor).
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


def _reads_as_labels(values: Any) -> bool:
    try:
        as_labels(values)
    except DataError:
        return False
    return True


def _labels_first(y: Any, score: Any, observable: Any, where: str) -> tuple[Any, Any, Any]:
    """``(y, score, observable)``, also from a call in the pre-0.2 order ``(observable, score, y)``.

    The old order is recognised only when it is unambiguous: ``y`` is not a 0/1 label array
    and ``observable`` is.  Then a :class:`FutureWarning` names the new order.
    """
    if _reads_as_labels(y) or not _reads_as_labels(observable):
        return y, score, observable
    warnings.warn(
        f"{where}(observable, score, y) is the argument order before sciood 0.2 (removed in "
        f"0.3); call {where}(y, score, observable), as every other metric",
        FutureWarning,
        stacklevel=3,
    )
    return observable, score, y


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
    y: ArrayLike,
    score: ArrayLike,
    observable: ArrayLike,
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
    y : array_like, shape (n,)
        1 = signal, 0 = background (the cut is placed on the signal; the JSD uses background).
    score : array_like, shape (n,)
        Anomaly score, higher = more anomalous.
    observable : array_like, shape (n,)
        Search observable, e.g. ``mjj`` [GeV].
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
        On degenerate input (see :func:`~sciood.metrics.inputs.check_inputs`) or a
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
    y, score, observable = _labels_first(y, score, observable, "sculpting_jsd")
    if not 0.0 < eff_s < 1.0:
        raise ConfigError(f"eff_s must be in (0, 1), got {eff_s}")
    yb, s, w = check_inputs(y, score, sample_weight=sample_weight)
    obs = np.asarray(as_column(observable, "observable", s.size), dtype=np.float64)
    if not np.isfinite(obs).all():
        raise DataError("observable contains NaN or inf; remove those events first")
    curve = ranking_curve(yb, s, sample_weight=w)
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


# --------------------------------------------------------------------------------------------
# Bump-making sculpting: localised excess of the pass fraction over a smooth fit
@dataclass(frozen=True)
class SculptingBump:
    """Largest localised excess of the background pass fraction over a smooth fit.

    Attributes
    ----------
    z : float
        Largest one-sided excess ``Σ(r − f) / √Σσ²`` of the pass fraction ``r`` over the
        smooth fit ``f`` in any window of 1 .. ``max_width`` adjacent bins [σ].
    p_value : float
        Fraction of null toys (pass fractions drawn around the smooth fit with the measured
        errors, refitted and re-scanned) with ``z`` at least as large (``(k + 1) / (n + 1)``).
    floor : float
        95 % quantile of ``z`` in the null toys: what a smooth (harmless) efficiency gives.
    location : (float, float)
        Observable range of the window with the largest excess.
    amplitude : float
        Relative excess in that window, ``Σ(r − f) / Σf``.
    jsd : float
        :func:`sculpting_jsd` of the same cut (reported alongside).
    threshold, eff_s : float
        Score cut and its signal-efficiency working point.
    """

    z: float
    p_value: float
    floor: float
    location: tuple[float, float]
    amplitude: float
    jsd: float
    threshold: float
    eff_s: float


def _cut_at(yb: NDArray[np.bool_], s: FloatArray, w: FloatArray, eff_s: float) -> float:
    curve = ranking_curve(yb, s, sample_weight=w)
    cm = np.maximum.accumulate(curve.eps_s)
    i = int(np.searchsorted(cm, eff_s, side="left"))
    return float(curve.thresholds[min(i, curve.thresholds.size - 1)])


def _smooth_fit(x: FloatArray, r: FloatArray, sig: FloatArray, degree: int) -> FloatArray:
    """Weighted polynomial fit of ``log r`` in ``x``, rows of ``r`` fitted independently."""
    lr = np.log(np.clip(r, 1e-12, None))
    wt = np.clip(r, 1e-12, None) / sig  # 1 / σ(log r)
    out = np.empty_like(r)
    for k in np.arange(r.shape[0]):
        coef = np.polynomial.polynomial.polyfit(x, lr[k], degree, w=wt[k])
        out[k] = np.exp(np.polynomial.polynomial.polyval(x, coef))
    return out


def _max_excess(r: FloatArray, f: FloatArray, var: FloatArray,
                max_width: int) -> tuple[FloatArray, NDArray[np.intp], NDArray[np.intp]]:
    """Largest windowed excess per row and its window ``[start, start + width)``."""
    d = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(r - f, axis=1)], axis=1)
    v = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(var, axis=1)], axis=1)
    nb = r.shape[1]
    best = np.full(r.shape[0], -np.inf)
    start = np.zeros(r.shape[0], dtype=np.intp)
    width = np.ones(r.shape[0], dtype=np.intp)
    for k in np.arange(1, min(max_width, nb) + 1):
        z = (d[:, k:] - d[:, :-k]) / np.sqrt(v[:, k:] - v[:, :-k])
        j = np.argmax(z, axis=1)
        zj = z[np.arange(z.shape[0]), j]
        better = zj > best
        best = np.where(better, zj, best)
        start = np.where(better, j, start)
        width = np.where(better, k, width)
    return best, start, width


def sculpting_bump(
    y: ArrayLike,
    score: ArrayLike,
    observable: ArrayLike,
    eff_s: float = 0.5,
    bins: int | ArrayLike = 40,
    *,
    sample_weight: ArrayLike | None = None,
    range: tuple[float, float] | None = None,
    degree: int = 3,
    max_width: int = 5,
    n_null: int = 200,
    seed: int = 0,
) -> SculptingBump:
    """Does a score cut make a **bump** in the background observable (not just a slope)?

    A smooth efficiency (rising linearly or exponentially with ``mjj``) is absorbed by a
    smooth background fit and is harmless for a bump hunt; a localised excess is not.  The
    JSD cannot tell the two apart (it grows with any shape change), this measure can: the
    background pass fraction per bin, ``r = pass / (pass + fail)``, is fitted with
    ``exp(polynomial of degree `degree`)`` in the observable, and the statistic is the largest
    one-sided excess of ``r`` over the fit in a window of 1 .. ``max_width`` adjacent bins, in
    units of its statistical error.  Its null distribution comes from ``n_null`` toys in which
    the pass fractions are redrawn (normal, same errors) around the fit, refitted and
    rescanned: ``p_value`` and ``floor`` (95 % quantile) state what smooth sculpting gives.

    Parameters
    ----------
    y, score, observable : array_like, shape (n,)
        As for :func:`sculpting_jsd` (the old order ``(observable, score, y)`` is accepted
        the same way, with a :class:`FutureWarning`).
    eff_s : float, default 0.5
        Signal-efficiency working point of the cut.
    bins : int or array_like, default 40
        Equal-width bins over ``range`` or explicit edges; bins without background are dropped.
    sample_weight : array_like, shape (n,), optional
        Event weights; errors use the sums of squared weights.
    range : (float, float), optional
        Default: the background observable's min and max.
    degree : int, default 3
        Degree of the polynomial in ``log r`` (the smooth model).
    max_width : int, default 5
        Widest window scanned [bins].
    n_null : int, default 200
        Null toys.
    seed : int, default 0

    Returns
    -------
    SculptingBump

    Raises
    ------
    ConfigError
        On ``eff_s`` outside (0, 1), ``degree < 0``, ``max_width < 1`` or ``n_null < 1``.
    DataError
        On degenerate input or a non-finite observable.
    StatisticsError
        If fewer than ``degree + 3`` bins have background on both sides of the cut.
    """
    y, score, observable = _labels_first(y, score, observable, "sculpting_bump")
    if not 0.0 < eff_s < 1.0:
        raise ConfigError(f"eff_s must be in (0, 1), got {eff_s}")
    if int(degree) < 0 or int(max_width) < 1 or int(n_null) < 1:
        raise ConfigError(f"need degree >= 0, max_width >= 1 and n_null >= 1, got "
                          f"{degree}, {max_width}, {n_null}")
    yb, s, w = check_inputs(y, score, sample_weight=sample_weight)
    obs = np.asarray(as_column(observable, "observable", s.size), dtype=np.float64)
    if not np.isfinite(obs).all():
        raise DataError("observable contains NaN or inf; remove those events first")
    cut = _cut_at(yb, s, w, eff_s)
    ob, sb, wb = obs[~yb], s[~yb], w[~yb]
    lo, hi = (float(ob.min()), float(ob.max())) if range is None else range
    if isinstance(bins, int | np.integer):
        if bins < 1 or not hi > lo:
            raise ConfigError(f"need bins >= 1 and a non-empty range, got {bins}, {(lo, hi)}")
        edges = np.linspace(lo, hi, int(bins) + 1)
    else:
        edges = np.asarray(bins, dtype=np.float64)
    passing = sb >= cut
    p, f = _hist(ob[passing], wb[passing], edges), _hist(ob[~passing], wb[~passing], edges)
    p2 = _hist(ob[passing], wb[passing] ** 2, edges)
    f2 = _hist(ob[~passing], wb[~passing] ** 2, edges)
    tot = p + f
    use = (p > 0) & (f > 0)
    if int(use.sum()) < int(degree) + 3:
        raise StatisticsError(
            f"only {int(use.sum())} bins have background both passing and failing the cut; "
            f"the smooth fit of degree {degree} needs >= {int(degree) + 3}: use fewer bins, a "
            "narrower range, a lower degree or more events"
        )
    r = p[use] / tot[use]
    # delta-method variance of a weighted pass fraction
    var = (p2[use] * (1.0 - r) ** 2 + f2[use] * r**2) / tot[use] ** 2
    centres = 0.5 * (edges[:-1] + edges[1:])[use]
    x = 2.0 * (centres - centres[0]) / max(centres[-1] - centres[0], 1e-300) - 1.0
    left, right = edges[:-1][use], edges[1:][use]
    sig = np.sqrt(var)
    fit = _smooth_fit(x, r[None, :], sig[None, :], int(degree))
    z, st, wd = _max_excess(r[None, :], fit, var[None, :], int(max_width))
    rng = np.random.default_rng(seed)
    toys = fit + sig[None, :] * rng.standard_normal((int(n_null), r.size))
    fit0 = _smooth_fit(x, toys, np.broadcast_to(sig, toys.shape), int(degree))
    z0, _, _ = _max_excess(toys, fit0, np.broadcast_to(var, toys.shape), int(max_width))
    a, k = int(st[0]), int(wd[0])
    excess = float(np.sum(r[a : a + k] - fit[0, a : a + k]))
    return SculptingBump(
        z=float(z[0]),
        p_value=float((np.sum(z0 >= z[0]) + 1) / (z0.size + 1)),
        floor=float(np.quantile(z0, 0.95)),
        location=(float(left[a]), float(right[a + k - 1])),
        amplitude=excess / float(np.sum(fit[0, a : a + k])),
        jsd=jsd(p, f),
        threshold=cut,
        eff_s=float(eff_s),
    )
