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

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from sciood.errors import ConfigError, DataError

__all__ = ["LRTestResult", "lr_test_statistic", "null_distribution"]

FloatArray = NDArray[np.float64]
_BISECT_STEPS = 60


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


def _max_fraction(r: FloatArray, w: FloatArray) -> tuple[float, float]:
    """``(μ̂, max Σ w log(1 + μ(r−1)))`` over ``μ ∈ [0, 1]``."""
    d = r - 1.0

    def slope(mu: float) -> float:
        return float(np.sum(w * d / (1.0 + mu * d)))

    if slope(0.0) <= 0.0:
        return 0.0, 0.0
    if (r > 0).all() and slope(1.0) >= 0.0:
        mu = 1.0
    else:
        lo, hi = 0.0, 1.0
        for _ in range(_BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            if slope(mid) > 0.0:
                lo = mid
            else:
                hi = mid
        mu = 0.5 * (lo + hi)
    return mu, max(float(np.sum(w * np.log1p(mu * d))), 0.0)


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
        if isinstance(n_toys, bool) or not isinstance(n_toys, int) or n_toys < 1:
            raise ConfigError(f"n_toys={n_toys!r}; pass a positive integer (e.g. 1000)")
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
    rng = np.random.default_rng(seed)
    ones = np.ones(n_events, dtype=np.float64)
    out = np.empty(n_toys, dtype=np.float64)
    for k in range(n_toys):
        out[k] = 2.0 * _max_fraction(pool[rng.integers(0, pool.size, n_events)], ones)[1]
    return out
