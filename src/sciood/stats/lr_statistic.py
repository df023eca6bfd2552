"""Unbinned likelihood-ratio test statistic from per-event likelihood ratios.

The events ``x_1..x_n`` of a signal region are modelled as a mixture of background and
signal with signal fraction ``μ``: ``p(x) = (1 − μ) p_b(x) + μ p_s(x)``.  Divided by the
background-only density, each event contributes ``1 + μ (r_i − 1)`` with
``r_i = p_s(x_i) / p_b(x_i)`` (e.g. a calibrated classifier,
:class:`sciood.metrics.LikelihoodRatio`).  The discovery statistic is

    q0 = 2 · max_{0 ≤ μ ≤ 1} Σ_i w_i log(1 + μ (r_i − 1)),

with ``μ̂`` the maximiser (0 when the data prefer no signal: one-sided).  The summand is
concave in ``μ``, so the maximum is found by bisection on the (decreasing) derivative.  This
is the shape-only (conditional on ``n``) form of the extended likelihood
``Π (B p_b + S p_s)``: it needs no background normalisation, only ``r``.

Null distribution: asymptotically (Wilks / Chernoff, one-sided) ``q0 ~ ½ δ0 + ½ χ²₁``, so
``p = 1 − Φ(√q0)`` and ``Z = √q0``.  With ``background_r`` (the ratios of background-only
events, e.g. simulation or a sideband) it is also estimated from toys that resample ``n``
background events, ``p_toys = (1 + #{q_toy ≥ q0}) / (1 + n_toys)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from sciood.errors import ConfigError, DataError

__all__ = ["LRScanResult", "LRTestResult", "lr_scan", "lr_test_statistic", "null_distribution"]

FloatArray = NDArray[np.float64]
_BISECT_STEPS = 60
#: Events evaluated at once by the toys (memory bound; results do not depend on it).
_CHUNK_EVENTS = 1 << 20


@dataclass(frozen=True)
class LRTestResult:
    """Result of :func:`lr_test_statistic`.

    Attributes
    ----------
    q0 : float
        ``2 max_μ Σ w log(1 + μ(r − 1))`` (≥ 0).
    mu_hat : float
        Fitted signal fraction in [0, 1].
    z : float
        Asymptotic significance ``√q0``.
    p_value : float
        Asymptotic one-sided p-value ``1 − Φ(√q0)``.
    p_value_toys : float or None
        Toy p-value (only with ``background_r``).
    z_toys : float or None
        ``Φ⁻¹(1 − p_value_toys)``.
    n_events : int
        Events in the signal region.
    n_toys : int
        Toys thrown (0 without ``background_r``).
    """

    q0: float
    mu_hat: float
    z: float
    p_value: float
    p_value_toys: float | None
    z_toys: float | None
    n_events: int
    n_toys: int


def _as_ratios(r: ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(r, dtype=np.float64).reshape(-1)
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass the likelihood ratio of at least one event")
    if not np.isfinite(arr).all() or (arr < 0).any():
        bad = int(np.count_nonzero(~np.isfinite(arr) | (arr < 0)))
        raise DataError(
            f"{name} has {bad} values that are NaN, inf or negative; a likelihood ratio "
            "p_s/p_b is finite and >= 0 (calibrate the classifier with "
            "sciood.metrics.calibrated_likelihood_ratio)"
        )
    return arr


def _as_weights(sample_weight: ArrayLike | None, n: int) -> FloatArray:
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise DataError(f"sample_weight has {w.shape[0]} entries for {n} events; pass one "
                        "weight per event")
    if not np.isfinite(w).all() or (w < 0).any():
        raise DataError(
            "sample_weight must be finite and >= 0 here: a negative weight makes the mixture "
            "log-likelihood non-concave (drop or merge the negative-weight events)"
        )
    if not w.sum() > 0:
        raise DataError("sample_weight sums to 0; pass positive event weights")
    return w


def _check_toys(n_toys: int) -> None:
    if isinstance(n_toys, bool) or not isinstance(n_toys, int | np.integer) or n_toys < 1:
        raise ConfigError(f"n_toys={n_toys!r}; pass a positive integer (e.g. 1000)")


def _max_fraction(r: FloatArray, w: FloatArray) -> tuple[float, float]:
    """``(μ̂, max Σ w log(1 + μ(r−1)))`` over ``μ ∈ [0, 1]``."""
    mu, ll = _max_fraction_segments(r, w, np.zeros(r.size, dtype=np.intp), 1)
    return float(mu[0]), float(ll[0])


def _segment_sum(seg: NDArray[np.intp], values: FloatArray, n_seg: int) -> FloatArray:
    """Σ values per segment, shape (n_seg,) (in event order)."""
    return np.asarray(np.bincount(seg, weights=values, minlength=n_seg), dtype=np.float64)


def _max_fraction_segments(r: FloatArray, w: FloatArray, seg: NDArray[np.intp],
                           n_seg: int) -> tuple[FloatArray, FloatArray]:
    """:func:`_max_fraction` for every segment at once (events of segment ``j``: ``seg == j``).

    Each segment's ``Σ w log(1 + μ(r − 1))`` is concave in ``μ``: ``μ̂ = 0`` where the slope
    at 0 is ``<= 0``, ``μ̂ = 1`` where it is still ``>= 0`` at 1 (and no ``r = 0``), else
    bisection on the slope.  Sums run per segment in event order (``np.bincount``), so a
    segment's result does not depend on the other segments.

    Returns
    -------
    mu_hat, max_loglik : ndarray, shape (n_seg,)
    """
    d = r - 1.0

    def slope(mu: FloatArray) -> FloatArray:
        return _segment_sum(seg, w * d / (1.0 + mu[seg] * d), n_seg)

    zero = np.zeros(n_seg)
    rising = slope(zero) > 0.0
    has_zero = _segment_sum(seg, (r == 0).astype(np.float64), n_seg) > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        at_one = rising & ~has_zero & (slope(np.ones(n_seg)) >= 0.0)
    lo, hi = zero.copy(), np.ones(n_seg)
    for _ in range(_BISECT_STEPS):
        mid = 0.5 * (lo + hi)
        up = slope(mid) > 0.0
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    mu = np.where(rising, np.where(at_one, 1.0, 0.5 * (lo + hi)), 0.0)
    ll = _segment_sum(seg, w * np.log1p(mu[seg] * d), n_seg)
    return mu, np.where(rising, np.maximum(ll, 0.0), 0.0)


def lr_test_statistic(
    r: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    background_r: ArrayLike | None = None,
    n_toys: int = 1000,
    seed: int = 0,
) -> LRTestResult:
    """Discovery test statistic from per-event likelihood ratios in a signal region.

    Parameters
    ----------
    r : array_like, shape (n,)
        ``p(x|signal) / p(x|background)`` of each event in the signal region (≥ 0).
    sample_weight : array_like, shape (n,), optional
        Non-negative event weights (the asymptotic p-value assumes unit weights).
    background_r : array_like, shape (m,), optional
        Ratios of background-only events; when given, ``n_toys`` toys resample ``n`` of them
        (with replacement, unweighted) for the toy p-value.
    n_toys : int, default 1000
        Toys (only with ``background_r``).
    seed : int, default 0
        Seed of the toys.

    Returns
    -------
    LRTestResult
        ``q0``, ``mu_hat``, ``z``, ``p_value`` (and the toy p-value).

    Raises
    ------
    DataError
        Empty input, NaN/inf/negative ratios, negative weights.
    ConfigError
        ``n_toys < 1``.

    Examples
    --------
    >>> res = lr_test_statistic([0.5, 1.0, 4.0, 8.0])
    >>> round(res.mu_hat, 3), res.q0 > 0
    (1.0, True)
    """
    rr = _as_ratios(r, "r")
    w = _as_weights(sample_weight, rr.size)
    mu, ll = _max_fraction(rr, w)
    q0 = 2.0 * ll
    z = float(np.sqrt(q0))
    p = float(norm.sf(z))
    p_toys: float | None = None
    z_toys: float | None = None
    n_thrown = 0
    if background_r is not None:
        _check_toys(n_toys)
        q_toys = null_distribution(background_r, rr.size, n_toys=n_toys, seed=seed)
        p_toys = float((1 + np.count_nonzero(q_toys >= q0)) / (1 + n_toys))
        z_toys = float(norm.isf(p_toys))
        n_thrown = n_toys
    return LRTestResult(q0=q0, mu_hat=mu, z=z, p_value=p, p_value_toys=p_toys, z_toys=z_toys,
                        n_events=int(rr.size), n_toys=n_thrown)


def null_distribution(
    background_r: ArrayLike, n_events: int, *, n_toys: int = 1000, seed: int = 0
) -> FloatArray:
    """``q0`` of ``n_toys`` background-only toys of ``n_events`` resampled ratios.

    Parameters
    ----------
    background_r : array_like, shape (m,)
        Ratios of background-only events.
    n_events : int
        Events per toy.
    n_toys : int, default 1000
    seed : int, default 0

    Returns
    -------
    ndarray of float64, shape (n_toys,)
    """
    pool = _as_ratios(background_r, "background_r")
    _check_toys(n_toys)
    if isinstance(n_events, bool) or not isinstance(n_events, int | np.integer) or n_events < 1:
        raise ConfigError(f"n_events={n_events!r}; pass the positive number of events per toy")
    rng = np.random.default_rng(seed)
    per_chunk = max(1, _CHUNK_EVENTS // n_events)
    out = np.empty(n_toys, dtype=np.float64)
    for start in range(0, n_toys, per_chunk):
        k = min(per_chunk, n_toys - start)  # toy by toy from one stream: chunking is invisible
        idx = np.concatenate([rng.integers(0, pool.size, n_events) for _ in range(k)])
        seg = np.repeat(np.arange(k, dtype=np.intp), n_events)
        out[start:start + k] = 2.0 * _max_fraction_segments(pool[idx], np.ones(idx.size),
                                                            seg, k)[1]
    return out


@dataclass(frozen=True)
class LRScanResult:
    """Result of :func:`lr_scan`: the LR statistic in every window of a hunt.

    Attributes
    ----------
    windows : ndarray, shape (k, 2)
        Windows ``[lo, hi)`` of the observable (e.g. a :class:`HuntResult`'s ``windows``).
    n_events : ndarray, shape (k,)
        Σw of the events in each window.
    q0, mu_hat, z_local, p_local : ndarray, shape (k,)
        Per window: ``q0``, fitted signal fraction, asymptotic ``√q0`` and ``1 − Φ(√q0)``.
    best_index : int
        Window of the largest ``q0`` (the first of equal ones).
    best_window : (float, float)
    local_z, local_p : float
        Asymptotic local significance and p-value of the best window.
    local_z_toys, local_p_toys : float or None
        The best window's local p-value from background toys (same window, toy ``q0``).
    global_z, global_p : float or None
        Look-elsewhere corrected: fraction of toys whose largest ``q0`` over all windows
        reaches the observed one, ``(1 + #) / (1 + n_toys)``.
    n_toys : int
        Toys thrown (0 without a background reference).
    """

    windows: FloatArray
    n_events: FloatArray
    q0: FloatArray
    mu_hat: FloatArray
    z_local: FloatArray
    p_local: FloatArray
    best_index: int
    best_window: tuple[float, float]
    local_z: float
    local_p: float
    local_z_toys: float | None
    local_p_toys: float | None
    global_z: float | None
    global_p: float | None
    n_toys: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (arrays as lists)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = v.tolist() if isinstance(v, np.ndarray) else v
        out["best_window"] = list(self.best_window)
        return out


def _as_windows(windows: ArrayLike) -> FloatArray:
    win = np.asarray(windows, dtype=np.float64)
    if win.ndim != 2 or win.shape[1] != 2 or win.shape[0] == 0:
        raise DataError(f"windows has shape {win.shape}; pass (lo, hi) pairs, shape (k, 2), "
                        "e.g. a HuntResult's windows")
    if not np.isfinite(win).all() or (win[:, 1] <= win[:, 0]).any():
        raise DataError("windows must be finite (lo, hi) pairs with lo < hi")
    return win


def _window_q0(obs: FloatArray, r: FloatArray, w: FloatArray,
               win: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(Σw, q0, μ̂)`` per window; ``obs`` sorted ascending, ``r``/``w`` in its order."""
    start = np.searchsorted(obs, win[:, 0], side="left")
    stop = np.searchsorted(obs, win[:, 1], side="left")
    sizes = stop - start
    seg = np.repeat(np.arange(win.shape[0], dtype=np.intp), sizes)
    rows = np.concatenate([np.arange(a, b) for a, b in zip(start, stop, strict=True)]
                          ) if sizes.sum() else np.empty(0, dtype=np.intp)
    mu, ll = _max_fraction_segments(r[rows], w[rows], seg, win.shape[0])
    n = _segment_sum(seg, w[rows], win.shape[0])
    return n, 2.0 * ll, mu


def _background_pool(background: tuple[ArrayLike, ...], n: int
                     ) -> tuple[FloatArray, FloatArray, FloatArray]:
    if not isinstance(background, tuple | list) or len(background) not in (2, 3):
        raise DataError("background must be (observable, r) or (observable, r, weight) of "
                        "background-only events")
    obs = np.asarray(background[0], dtype=np.float64).reshape(-1)
    r = _as_ratios(background[1], "background r")
    if obs.shape != r.shape or not np.isfinite(obs).all():
        raise DataError(f"background observable ({obs.size} values, finite required) and r "
                        f"({r.size}) must be one finite value per background event")
    raw = background[2] if len(background) == 3 else None
    w = _as_weights(raw, r.size)
    return obs, r, w / w.sum()


def lr_scan(
    observable: ArrayLike,
    r: ArrayLike,
    windows: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    background: tuple[ArrayLike, ...] | None = None,
    n_toys: int = 200,
    seed: int = 0,
) -> LRScanResult:
    """The likelihood-ratio statistic in every window of a bump hunt, with look-elsewhere toys.

    In each window ``[lo, hi)`` of the observable, the events' likelihood ratios ``r`` give
    ``q0 = 2 max_μ Σ w log(1 + μ(r − 1))`` (:func:`lr_test_statistic`): no score cut and no
    background fit — the events are weighted by how signal-like the classifier finds them.
    The asymptotic local Z assumes ``E_b[r] = 1`` *inside the window* (a classifier whose
    inputs are independent of the observable, or calibrated in the window); the toys do
    not: each resamples ``n`` events (with replacement, probability ∝ weight) from the
    background reference, observable and ``r`` together, and recomputes ``q0`` in every
    window, giving the best window's local p-value and the global (look-elsewhere) one.

    Parameters
    ----------
    observable : array_like, shape (n,)
        Search observable (``mjj`` [GeV]) of the hunted events.
    r : array_like, shape (n,)
        Calibrated ``p(x|signal) / p(x|background)`` of each event (≥ 0), e.g.
        ``sciood.metrics.calibrated_likelihood_ratio(...)(score)`` on held-out events.
    windows : array_like, shape (k, 2)
        ``(lo, hi)`` per window, e.g. ``bump_hunt(...).windows``.
    sample_weight : array_like, shape (n,), optional
        Non-negative event weights (asymptotics assume ≈ 1 per event).
    background : (observable, r) or (observable, r, weight), optional
        Background-only reference events (simulation; ``r`` from the *same* calibration,
        evaluated on events not used to calibrate it).  Enables the toys.
    n_toys : int, default 200
        Toys (only with ``background``).
    seed : int, default 0
        Seed of the toys.

    Returns
    -------
    LRScanResult

    Raises
    ------
    DataError
        Length mismatch, NaN/inf observable, bad ratios or weights, windows not ``(k, 2)``
        with ``lo < hi``, a malformed ``background``.
    ConfigError
        ``n_toys < 1`` with a background.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> m = rng.uniform(2000, 5000, 4000)
    >>> x = rng.normal(0, 1, 4000)
    >>> sig = (rng.uniform(size=4000) < 0.3) & (np.abs(m - 3500) < 150)
    >>> x[sig] += 2.0                      # ~100 signal-like events near 3.5 TeV
    >>> res = lr_scan(m, np.exp(2 * x - 2), [(a, a + 300) for a in range(2000, 4700, 150)])
    >>> res.best_window, res.local_z > 5
    ((3350.0, 3650.0), True)
    """
    obs = np.asarray(observable, dtype=np.float64).reshape(-1)
    rr = _as_ratios(r, "r")
    if obs.shape != rr.shape:
        raise DataError(f"observable has {obs.size} values and r {rr.size}; pass one of each "
                        "per event")
    if not np.isfinite(obs).all():
        raise DataError("observable has NaN or inf values; drop those events first")
    w = _as_weights(sample_weight, rr.size)
    win = _as_windows(windows)
    order = np.argsort(obs, kind="stable")
    n_w, q0, mu = _window_q0(obs[order], rr[order], w[order], win)
    z = np.sqrt(q0)
    best = int(np.argmax(q0))
    local_p = norm.sf(z)
    lz_t = lp_t = gz = gp = None
    thrown = 0
    if background is not None:
        _check_toys(n_toys)
        toys = _scan_toys(_background_pool(background, rr.size), rr.size, win, n_toys, seed)
        lp_t = float((1 + np.count_nonzero(toys[:, best] >= q0[best])) / (1 + n_toys))
        gp = float((1 + np.count_nonzero(toys.max(axis=1) >= q0[best])) / (1 + n_toys))
        lz_t, gz = float(norm.isf(lp_t)), float(norm.isf(gp))
        thrown = n_toys
    return LRScanResult(
        windows=win, n_events=n_w, q0=q0, mu_hat=mu, z_local=z, p_local=local_p,
        best_index=best, best_window=(float(win[best, 0]), float(win[best, 1])),
        local_z=float(z[best]), local_p=float(local_p[best]), local_z_toys=lz_t,
        local_p_toys=lp_t, global_z=gz, global_p=gp, n_toys=thrown)


def _scan_toys(pool: tuple[FloatArray, FloatArray, FloatArray], n_events: int,
               win: FloatArray, n_toys: int, seed: int) -> FloatArray:
    """``q0`` per window of ``n_toys`` resampled background datasets, shape (n_toys, k)."""
    obs, r, p = pool
    rng = np.random.default_rng(seed)
    ones = np.ones(n_events)
    out = np.empty((n_toys, win.shape[0]), dtype=np.float64)
    for k in range(n_toys):
        idx = np.sort(rng.choice(obs.size, n_events, replace=True, p=p))
        order = np.argsort(obs[idx], kind="stable")
        out[k] = _window_q0(obs[idx][order], r[idx][order], ones, win)[1]
    return out
