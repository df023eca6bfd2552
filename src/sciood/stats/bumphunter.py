"""The BumpHunter statistic (Choudalakis 2011, arXiv:1101.0390) on a binned spectrum.

BumpHunter compares a histogram ``n`` with a *known* background histogram ``b``: every
window of ``w`` consecutive bins (``width_min <= w <= width_max``, shifted by
``scan_step`` bins) gets the Poisson tail probability of its count,

    p = P(N >= n_win | b_win) = gammainc(n_win, b_win)      if n_win > b_win,
    p = 1                                                   otherwise (excess-only),

``t = −ln(min p)`` over all windows, and the global p-value is the fraction of
background-only pseudo-experiments (Poisson redraws of ``b``, no refit) whose own ``t``
is at least the observed one.  This follows pyBumpHunter 0.5 (``BumpHunter1D`` with
``mode="excess"``, ``use_sideband=False``) window for window; see
``tests/stats/test_bumphunter.py`` for the cross-check and the module notes below for
the conventions that differ.

Weighted histograms: with ``sumw2`` (Σw² per bin) each window is treated as a scaled
Poisson count (Bohm–Zech): ``k = Σw²/Σw`` of the window, ``n/k ~ Pois(b/k)``, so
``p = gammainc(n/k, b/k)``; unit weights (``sumw2 == counts``) give exactly the
unweighted result.  The toys then draw ``k_i · Pois(b_i / k_i)`` per bin with the
bin's own ``k_i``.

Conventions relative to pyBumpHunter 0.5.1 (measured in the cross-check):

* identical: the window set (``width_max`` defaults to ``n_bins // 2``; positions
  ``0 .. n_bins − w`` in steps of ``scan_step``, or ``"full"``/``"half"``), the local
  p-values (same ``gammainc`` call on the same prefix-sum window counts), the best window
  (ties go to the first position, then the smallest width), ``t``, and the toy ``t``
  values when fed the same pseudo-data; ``global_p = #(t_toy >= t_obs) / n_toys`` and
  ``global_z = Φ⁻¹(1 − p)`` with ``p = 1 → 0`` and ``p = 0 → Φ⁻¹(1 − 1/n_toys)``
  (a lower limit, flagged here);
* pseudo-data come from a seeded :class:`numpy.random.Generator`, pyBumpHunter uses the
  legacy global ``np.random.seed``: the toys differ, so global p-values agree only within
  their binomial errors;
* p-values below ~1e-300 underflow to 0 in pyBumpHunter (``t = inf``, the first such
  window wins); here ``ln p`` continues with a log-space series, so ``t`` stays finite
  and the best window is the truly most significant one;
* pyBumpHunter skips leading/trailing bins with zero background (its lower/upper scan
  edge); here a bin with ``b <= 0`` is refused instead, so the scan range is all bins;
* not implemented: ``mode="deficit"`` and the side-band normalisation
  (``use_sideband``, which rescales ``b`` per window by ``(D − n)/(B − b)``) — a fitted
  background is already normalised to the data; pyBumpHunter has no Σw² treatment.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy import stats as sps

from sciood.errors import DataError

__all__ = ["BumpHunterResult", "bumphunter_scan"]

_TINY = 1e-290  # below this gammainc is continued in log space
_TOY_CHUNK = 1024  # toys scanned per vectorised block (memory ~ chunk × positions)
_MAX_SERIES_TERMS = 200_000

ScanStep = int | Literal["full", "half"]


@dataclass
class BumpHunterResult:
    """Result of :func:`bumphunter_scan`.

    Attributes
    ----------
    t : float
        BumpHunter statistic ``−ln(min p)`` of the observed histogram.
    min_local_p : float
        Smallest local p-value (may underflow to 0; ``t`` does not).
    best_start, best_width : int
        First bin and width (bins) of the most significant window: bins
        ``best_start .. best_start + best_width − 1``.
    best_window : (float, float) or None
        ``(edges[best_start], edges[best_start + best_width])`` if edges were given.
    n_observed, b_expected : float
        Σ counts and Σ background in the best window.
    signal_estimate : float
        ``n_observed − b_expected`` (pyBumpHunter's ``signal_eval``).
    widths : ndarray of int, shape (n_widths,)
        Window widths scanned [bins].
    width_min_p : ndarray, shape (n_widths,)
        Smallest local p-value per width.
    width_best_start : ndarray of int, shape (n_widths,)
        First bin of the most significant window per width.
    local_p : list of ndarray
        Local p-values of every window, one array per width (index = position).
    positions : list of ndarray of int
        First bins of the windows, one array per width.
    n_toys : int
        Background-only pseudo-experiments (0: no global p).
    toy_t : ndarray, shape (n_toys,)
        ``t`` of every pseudo-experiment.
    n_toys_above : int
        Toys with ``t_toy >= t``.
    global_p : float
        ``n_toys_above / n_toys`` (NaN without toys).
    global_p_error : float
        Binomial error ``sqrt(p (1 − p) / n_toys)`` (0 when p is 0 or 1: then read
        ``global_z_is_lower_limit`` / the 1/n_toys resolution).
    global_z : float
        ``Φ⁻¹(1 − global_p)``; 0 for p = 1; ``Φ⁻¹(1 − 1/n_toys)`` for p = 0.
    global_z_is_lower_limit : bool
        True when no toy reached ``t`` (``global_z`` is then a lower limit).
    seed : int
        Seed of the toys.
    timing_s : float
        Wall time [s].
    """

    t: float
    min_local_p: float
    best_start: int
    best_width: int
    best_window: tuple[float, float] | None
    n_observed: float
    b_expected: float
    signal_estimate: float
    widths: NDArray[np.int64]
    width_min_p: NDArray[np.float64]
    width_best_start: NDArray[np.int64]
    local_p: list[NDArray[np.float64]]
    positions: list[NDArray[np.int64]]
    n_toys: int = 0
    toy_t: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    n_toys_above: int = 0
    global_p: float = float("nan")
    global_p_error: float = float("nan")
    global_z: float = float("nan")
    global_z_is_lower_limit: bool = False
    seed: int = 0
    timing_s: float = 0.0

    @property
    def best_bins(self) -> tuple[int, int]:
        """Half-open bin range ``[start, stop)`` of the best window."""
        return self.best_start, self.best_start + self.best_width

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (no NaN/inf: those become ``None``)."""

        def num(x: float) -> float | None:
            return float(x) if math.isfinite(x) else None

        return {
            "t": num(self.t),
            "min_local_p": float(self.min_local_p),
            "best_start": self.best_start,
            "best_width": self.best_width,
            "best_bins": list(self.best_bins),
            "best_window": None if self.best_window is None else list(self.best_window),
            "n_observed": self.n_observed,
            "b_expected": self.b_expected,
            "signal_estimate": self.signal_estimate,
            "widths": self.widths.tolist(),
            "width_min_p": self.width_min_p.tolist(),
            "width_best_start": self.width_best_start.tolist(),
            "n_toys": self.n_toys,
            "n_toys_above": self.n_toys_above,
            "global_p": num(self.global_p),
            "global_p_error": num(self.global_p_error),
            "global_z": num(self.global_z),
            "global_z_is_lower_limit": self.global_z_is_lower_limit,
            "seed": self.seed,
            "timing_s": self.timing_s,
        }


# ----------------------------------------------------------------------------- input checks


def _vector(name: str, values: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise DataError(f"{name} must be a 1-D histogram, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise DataError(
            f"{name} has {arr.size} bins but counts has {n}; pass histograms on the same binning"
        )
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.isfinite(arr)).tolist()
        raise DataError(f"{name} has NaN/inf in bins {bad}; fix or drop those bins first")
    return arr


def _positive_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{name} = {value!r} must be an integer >= {minimum}")
    if int(value) < minimum:
        raise DataError(f"{name} = {value} must be >= {minimum}")
    return int(value)


def _check_inputs(
    counts: ArrayLike,
    background: ArrayLike,
    sumw2: ArrayLike | None,
    edges: ArrayLike | None,
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None
]:
    n = _vector("counts", counts)
    if n.size == 0:
        raise DataError("counts is empty; pass a histogram with at least one bin")
    b = _vector("background", background, n.size)
    if np.any(n < 0):
        raise DataError(
            f"counts are negative in bins {np.flatnonzero(n < 0).tolist()}; a Poisson scan "
            "needs counts >= 0 (merge bins, or beat negative MC weights with more events)"
        )
    if np.any(b <= 0):
        raise DataError(
            f"background is <= 0 in bins {np.flatnonzero(b <= 0).tolist()}; BumpHunter needs "
            "a positive expectation in every bin (restrict the range or merge empty bins)"
        )
    w2 = None
    if sumw2 is not None:
        w2 = _vector("sumw2", sumw2, n.size)
        if np.any(w2 < 0):
            raise DataError(f"sumw2 is negative in bins {np.flatnonzero(w2 < 0).tolist()}")
        bad = (n > 0) & (w2 <= 0)
        if np.any(bad):
            raise DataError(
                f"sumw2 is 0 in bins {np.flatnonzero(bad).tolist()} that have counts > 0; "
                "pass the per-bin sum of squared weights (or sumw2=None for unit weights)"
            )
    e = None
    if edges is not None:
        e = _vector("edges", edges)
        if e.size != n.size + 1:
            raise DataError(f"edges has {e.size} entries; {n.size} bins need {n.size + 1}")
        if np.any(np.diff(e) <= 0):
            raise DataError("edges must be strictly increasing")
    return n, b, w2, e


def _widths(n_bins: int, width_min: Any, width_max: Any, width_step: Any) -> NDArray[np.int64]:
    wmin = _positive_int("width_min", width_min, 1)
    if wmin > n_bins:
        raise DataError(f"width_min = {wmin} exceeds the {n_bins} bins of the histogram")
    wmax = max(n_bins // 2, wmin) if width_max is None else _positive_int("width_max", width_max, 1)
    if wmax > n_bins:
        raise DataError(
            f"width_max = {wmax} exceeds the {n_bins} bins of the histogram; use <= {n_bins}"
        )
    if wmax < wmin:
        raise DataError(f"width_max = {wmax} is below width_min = {wmin}")
    step = _positive_int("width_step", width_step, 1)
    return np.arange(wmin, wmax + 1, step, dtype=np.int64)


def _positions(n_bins: int, width: int, scan_step: ScanStep) -> NDArray[np.int64]:
    if scan_step == "full":
        step = width
    elif scan_step == "half":
        step = max(1, width // 2)
    else:
        step = _positive_int("scan_step", scan_step, 1)
    return np.arange(0, n_bins - width + 1, step, dtype=np.int64)


# ----------------------------------------------------------------------------- p-values


def _log_gammainc_series(a: NDArray[Any], x: NDArray[Any]) -> NDArray[np.float64]:
    """``ln P(a, x)`` for ``0 < x < a`` by the power series, in log space (no underflow).

    ``P(a, x) = x^a e^{−x} / Γ(a+1) · Σ_k x^k / ((a+1)…(a+k))``; the terms fall
    geometrically for ``x < a``.
    """
    term = np.ones_like(x)
    total = np.ones_like(x)
    active = np.ones(x.shape, dtype=bool)
    k = 0
    while np.any(active) and k < _MAX_SERIES_TERMS:
        k += 1
        term = np.where(active, term * x / (a + k), term)
        total = np.where(active, total + term, total)
        active &= term > 1e-17 * total
    return np.asarray(a * np.log(x) - x - special.gammaln(a + 1.0) + np.log(total))


def _log_p(n: NDArray[Any], b: NDArray[Any], k: NDArray[Any] | None) -> NDArray[np.float64]:
    """ln of the excess-only Poisson tail ``P(N >= n | b)`` per window (0 where n <= b)."""
    out = np.zeros(np.broadcast(n, b).shape)
    exc = n > b
    if not np.any(exc):
        return out
    bb = np.broadcast_to(b, out.shape)[exc]
    nn = n[exc]
    if k is not None:
        kk = k[exc]
        nn, bb = nn / kk, bb / kk
    p = special.gammainc(nn, bb)
    with np.errstate(divide="ignore"):
        lp = np.log(p)
    tiny = p < _TINY
    if np.any(tiny):
        lp[tiny] = _log_gammainc_series(nn[tiny], bb[tiny])
    out[exc] = lp
    return out


def _window_k(
    cum_n: NDArray[Any], cum_w2: NDArray[Any] | None, pos: NDArray[np.int64], w: int
) -> NDArray[Any] | None:
    """Bohm–Zech scale ``Σw²/Σw`` per window (1 where the window is empty)."""
    if cum_w2 is None:
        return None
    sw = cum_n[..., pos + w] - cum_n[..., pos]
    sw2 = cum_w2[..., pos + w] - cum_w2[..., pos]
    ok = (sw > 0) & (sw2 > 0)
    return np.where(ok, sw2 / np.where(ok, sw, 1.0), 1.0)


def _cumsum(h: NDArray[Any]) -> NDArray[Any]:
    """Prefix sums along the last axis with a leading 0 (window sum = difference)."""
    pad = np.zeros((*h.shape[:-1], 1))
    return np.concatenate([pad, np.cumsum(h, axis=-1)], axis=-1)


def _scan_observed(
    n: NDArray[np.float64],
    b: NDArray[np.float64],
    w2: NDArray[np.float64] | None,
    widths: NDArray[np.int64],
    scan_step: ScanStep,
) -> tuple[list[NDArray[np.int64]], list[NDArray[np.float64]]]:
    """ln p of every window of the observed histogram, per width."""
    cum_n, cum_b = _cumsum(n), _cumsum(b)
    cum_w2 = None if w2 is None else _cumsum(w2)
    positions, log_ps = [], []
    for w in widths:
        pos = _positions(n.size, int(w), scan_step)
        nw = cum_n[pos + w] - cum_n[pos]
        bw = cum_b[pos + w] - cum_b[pos]
        positions.append(pos)
        log_ps.append(_log_p(nw, bw, _window_k(cum_n, cum_w2, pos, int(w))))
    return positions, log_ps


def _toy_t(
    toys: NDArray[np.float64],
    toys_w2: NDArray[np.float64] | None,
    b: NDArray[np.float64],
    widths: NDArray[np.int64],
    scan_step: ScanStep,
) -> NDArray[np.float64]:
    """``t`` of every toy histogram (rows of ``toys``, shape (m, n_bins)) → shape (m,)."""
    cum_n, cum_b = _cumsum(toys), _cumsum(b)
    cum_w2 = None if toys_w2 is None else _cumsum(toys_w2)
    min_lp = np.zeros(toys.shape[0])
    for w in widths:
        pos = _positions(toys.shape[1], int(w), scan_step)
        nw = cum_n[:, pos + w] - cum_n[:, pos]
        bw = (cum_b[pos + w] - cum_b[pos])[None, :]
        lp = _log_p(nw, bw, _window_k(cum_n, cum_w2, pos, int(w)))
        np.minimum(min_lp, lp.min(axis=1), out=min_lp)
    return -min_lp


def _draw_toys(
    rng: np.random.Generator,
    b: NDArray[np.float64],
    n: NDArray[np.float64],
    w2: NDArray[np.float64] | None,
    m: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Background-only pseudo-data, shape (m, n_bins); scaled Poisson with Σw²."""
    if w2 is None:
        return rng.poisson(b, size=(m, b.size)).astype(float), None
    pos = n > 0
    k_bin = np.ones_like(n)
    k_bin[pos] = w2[pos] / n[pos]
    if np.any(pos):
        k_bin[~pos] = float(np.median(k_bin[pos]))
    n_eff = rng.poisson(b / k_bin, size=(m, b.size)).astype(float)
    return k_bin * n_eff, k_bin * k_bin * n_eff


def _global(t_obs: float, toy_t: NDArray[np.float64]) -> tuple[int, float, float, float, bool]:
    """(n_above, p, binomial error, Z, Z is a lower limit) in pyBumpHunter's convention."""
    n_toys = toy_t.size
    above = int(np.sum(toy_t >= t_obs))
    p = above / n_toys
    err = math.sqrt(p * (1.0 - p) / n_toys)
    if above == n_toys:
        return above, p, err, 0.0, False
    if above == 0:
        return above, p, err, float(sps.norm.isf(1.0 / n_toys)), True
    return above, p, err, float(sps.norm.isf(p)), False


# ----------------------------------------------------------------------------- public entry


def bumphunter_scan(
    counts: ArrayLike,
    background: ArrayLike,
    *,
    edges: ArrayLike | None = None,
    width_min: int = 1,
    width_max: int | None = None,
    width_step: int = 1,
    scan_step: ScanStep = 1,
    sumw2: ArrayLike | None = None,
    n_toys: int = 0,
    seed: int = 0,
) -> BumpHunterResult:
    """BumpHunter scan of a histogram against a known background (excess-only).

    Parameters
    ----------
    counts : array-like, shape (n_bins,)
        Observed Σw per bin (>= 0; integer counts for unweighted data).
    background : array-like, shape (n_bins,)
        Expected background per bin (> 0), taken as known: the toys redraw it without
        refitting.  With a background *fitted to the same data* that global p is
        conservative (200 background-only dijet spectra: P(p <= 0.05) = 0.005, P(p <= 0.1)
        = 0.03; ``benchmarks/bumphunter_crosscheck.py --fitted``) — refit each toy and
        use this function's ``t`` per toy instead.
    edges : array-like, shape (n_bins + 1,), optional
        Bin edges, only to report the best window in observable units.
    width_min, width_max, width_step : int
        Window widths ``width_min, width_min + width_step, … <= width_max`` [bins];
        ``width_max=None`` means ``n_bins // 2`` (pyBumpHunter's default).
    scan_step : int or {"full", "half"}
        Shift between windows of one width [bins]; ``"full"`` = the width,
        ``"half"`` = ``max(1, width // 2)``.
    sumw2 : array-like, shape (n_bins,), optional
        Σw² per bin for weighted histograms (effective counts per window).
    n_toys : int
        Background-only pseudo-experiments for the global p-value (0: none).
    seed : int
        Seed of the :class:`numpy.random.Generator` drawing the toys.

    Returns
    -------
    BumpHunterResult

    Raises
    ------
    DataError
        Mismatched shapes, NaN/inf, negative counts, ``background <= 0`` in a bin,
        ``width_min < 1``, ``width_max > n_bins`` or ``< width_min``, ``n_toys < 0``.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.full(20, 100.0)
    >>> n = b.copy(); n[8:10] += 60
    >>> r = bumphunter_scan(n, b, width_max=4, n_toys=200, seed=1)
    >>> r.best_bins, round(r.t, 2), r.global_p
    ((8, 10), 33.24, 0.0)
    """
    t0 = time.perf_counter()
    n, b, w2, e = _check_inputs(counts, background, sumw2, edges)
    widths = _widths(n.size, width_min, width_max, width_step)
    n_toys = _positive_int("n_toys", n_toys, 0)
    positions, log_ps = _scan_observed(n, b, w2, widths, scan_step)

    width_min_lp = np.array([lp.min() for lp in log_ps])
    width_best = np.array(
        [pos[int(lp.argmin())] for pos, lp in zip(positions, log_ps, strict=True)]
    )
    iw = int(width_min_lp.argmin())  # first (smallest) width among ties, as pyBumpHunter
    start, width = int(width_best[iw]), int(widths[iw])
    n_win, b_win = float(n[start : start + width].sum()), float(b[start : start + width].sum())
    res = BumpHunterResult(
        t=float(-width_min_lp[iw]),
        min_local_p=float(np.exp(width_min_lp[iw])),
        best_start=start,
        best_width=width,
        best_window=None if e is None else (float(e[start]), float(e[start + width])),
        n_observed=n_win,
        b_expected=b_win,
        signal_estimate=n_win - b_win,
        widths=widths,
        width_min_p=np.exp(width_min_lp),
        width_best_start=width_best.astype(np.int64),
        local_p=[np.exp(lp) for lp in log_ps],
        positions=positions,
        seed=int(seed),
    )
    if n_toys > 0:
        rng = np.random.default_rng(seed)
        toy_t = np.empty(n_toys)
        for lo in range(0, n_toys, _TOY_CHUNK):
            m = min(_TOY_CHUNK, n_toys - lo)
            toys, toys_w2 = _draw_toys(rng, b, n, w2, m)
            toy_t[lo : lo + m] = _toy_t(toys, toys_w2, b, widths, scan_step)
        res.n_toys, res.toy_t = n_toys, toy_t
        (
            res.n_toys_above,
            res.global_p,
            res.global_p_error,
            res.global_z,
            res.global_z_is_lower_limit,
        ) = _global(res.t, toy_t)
    res.timing_s = time.perf_counter() - t0
    return res
