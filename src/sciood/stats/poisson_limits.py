"""Poisson CLs without nuisance parameters: exact for one bin, numpy toys for a histogram."""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy import optimize
from scipy import stats as sps

from sciood.errors import DataError
from sciood.stats.cls import _empirical_cls

__all__ = ["exact_poisson_cls_limit"]


def _poisson_qtilde(
    n: NDArray[np.float64], sig: NDArray[np.float64], bkg: NDArray[np.float64], mu: float
) -> NDArray[np.float64]:
    """``q̃_μ`` of Poisson counts (n_toys, n_bins) with known background (vectorised)."""
    n = np.atleast_2d(n)

    def lnl(m: NDArray[np.float64]) -> NDArray[np.float64]:
        lam = m[:, None] * sig[None, :] + bkg[None, :]
        return np.asarray(np.sum(n * np.log(lam) - lam, axis=1))

    def dlnl(m: NDArray[np.float64]) -> NDArray[np.float64]:
        lam = m[:, None] * sig[None, :] + bkg[None, :]
        return np.asarray(np.sum(sig[None, :] * (n / lam - 1.0), axis=1))

    zeros = np.zeros(n.shape[0])
    mus = np.full(n.shape[0], mu)
    below = dlnl(zeros) <= 0.0  # μ̂ ≤ 0: reference at μ = 0
    above = dlnl(mus) >= 0.0  # μ̂ ≥ μ: q̃ = 0
    a, b = zeros.copy(), mus.copy()
    for _ in range(45):  # bisection of the concave log-likelihood's slope on (0, μ)
        mid = 0.5 * (a + b)
        pos = dlnl(mid) > 0.0
        a = np.where(pos, mid, a)
        b = np.where(pos, b, mid)
    mu_hat = np.where(below, 0.0, 0.5 * (a + b))
    q = 2.0 * (lnl(mu_hat) - lnl(mus))
    return np.where(above, 0.0, np.maximum(q, 0.0))


def _poisson_ppf(u: NDArray[np.float64], lam: NDArray[np.float64]) -> NDArray[np.float64]:
    """Poisson quantiles of uniforms (n, n_bins) per bin by table look-up (≈ 10× scipy)."""
    out = np.empty_like(u)
    for j, lj in enumerate(lam):
        kmax = int(lj + 12.0 * math.sqrt(lj) + 20.0)
        cdf = sps.poisson.cdf(np.arange(kmax + 1), lj)
        out[:, j] = np.minimum(np.searchsorted(cdf, u[:, j], side="left"), kmax)
    return out


def _poisson_toy_cls(
    sig: NDArray[np.float64], bkg: NDArray[np.float64], obs: NDArray[np.float64],
    mu: float, n_toys: int, seed: int,
) -> tuple[float, NDArray[np.float64], float]:
    """Toy CLs of a Poisson histogram without nuisance parameters (common random numbers)."""
    rng = np.random.default_rng(seed)
    u_sb = rng.random((n_toys, sig.size))
    u_b = rng.random((n_toys, sig.size))
    n_sb = _poisson_ppf(u_sb, mu * sig + bkg)
    n_b = _poisson_ppf(u_b, bkg)
    q_obs = float(_poisson_qtilde(obs[None, :], sig, bkg, mu)[0])
    return _empirical_cls(
        q_obs, _poisson_qtilde(n_sb, sig, bkg, mu), _poisson_qtilde(n_b, sig, bkg, mu)
    )


def exact_poisson_cls_limit(n: int, b: float, cl: float = 0.95) -> float:
    """Exact CLs limit on ``s`` of one Poisson bin with known ``b`` and ``n`` observed.

    ``CLs(s) = P(N ≤ n | s + b) / P(N ≤ n | b)`` (Read 2002), solved for ``CLs = 1 − cl``.

    Parameters
    ----------
    n : int
        Observed count (>= 0).
    b : float
        Known expected background (>= 0).
    cl : float
        Confidence level.

    Returns
    -------
    float
        The upper limit on the signal count ``s``.
    """
    if n < 0 or b < 0 or not math.isfinite(b):
        raise DataError(f"need n >= 0 and a finite b >= 0, got n = {n}, b = {b}")
    level = 1.0 - cl
    denom = float(sps.poisson.cdf(n, b)) if b > 0 else 1.0

    def g(s: float) -> float:
        return float(sps.poisson.cdf(n, s + b)) / denom - level

    hi = 2.0 * (n + 3.0) + 10.0 * math.sqrt(n + b + 1.0)
    while g(hi) > 0:
        hi *= 2.0
    return float(optimize.brentq(g, 0.0, hi, xtol=1e-8))
