"""Significances, look-elsewhere corrections and CLs upper limits.

Two kinds of significance appear everywhere and the names say which is which:

* **expected** (Asimov) significance: computed from the *predicted* signal ``s`` and
  background ``b`` by replacing the data with their expectation ``n = s + b``
  (Cowan, Cranmer, Gross, Vitells 2011, eq. 97);
* **observed** significance: computed from the *observed* count ``n`` against the
  predicted background ``b``.

Both are the asymptotic ``Z = sqrt(q0)`` of the profile-likelihood test statistic of a
counting experiment; with a background uncertainty ``sigma_b`` the background is
constrained by an auxiliary Poisson measurement ``m ~ Pois(tau b)`` with
``tau = b / sigma_b**2`` and profiled (Cowan's formula).  This is exactly pyhf's
single-bin model with a ``shapesys`` modifier, which the tests use as the reference.

CLs limits are in :mod:`sciood.stats.limits`.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError

__all__ = [
    "counting_significance",
    "gross_vitells_p",
    "observed_significance",
    "p_to_z",
    "upcrossings",
    "z_to_p",
]

log = logging.getLogger(__name__)


def p_to_z(p: float | ArrayLike) -> Any:
    """One-sided Gaussian significance of a p-value, ``Z = Φ⁻¹(1 − p)``.

    Parameters
    ----------
    p : float or array-like
        p-value(s) in [0, 1].

    Returns
    -------
    float or ndarray
        Same shape as ``p``; ``p = 0.5`` gives 0, ``p = 0`` gives ``inf``.
    """
    return sps.norm.isf(p)


def z_to_p(z: float | ArrayLike) -> Any:
    """One-sided p-value of a Gaussian significance, ``p = 1 − Φ(Z)``."""
    return sps.norm.sf(z)


def _check_finite(name: str, value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise DataError(f"{name} is {value}; pass a finite number (check for NaN/inf upstream)")
    return value


def _check_background(b: float, sigma_b: float) -> tuple[float, float]:
    b = _check_finite("background b", b)
    sigma_b = _check_finite("sigma_b", sigma_b)
    if b <= 0.0:
        raise StatisticsError(
            f"expected background b = {b:g} must be > 0 for a significance; an empty or "
            "negative background prediction means the window or the fit is wrong "
            "(widen the window or check negative event weights)"
        )
    if sigma_b < 0.0:
        raise DataError(f"sigma_b = {sigma_b:g} must be >= 0 (it is an absolute uncertainty)")
    return b, sigma_b


def _q0_counting(n: float, b: float, sigma_b: float) -> float:
    """Profile-likelihood discovery statistic q0 of ``n ~ Pois(mu s + b)`` (one-sided).

    Closed forms (Cowan et al. 2011; Cowan, "Discovery sensitivity for a counting
    experiment with background uncertainty", 2012), written by hand because no library
    exposes them as a function; pyhf agrees (see tests).
    """
    if n <= b:
        return 0.0  # one-sided: a deficit is no evidence for a signal
    if sigma_b == 0.0:
        return 2.0 * (n * math.log(n / b) - (n - b))
    s2 = sigma_b * sigma_b
    term1 = n * math.log(n * (b + s2) / (b * b + n * s2))
    term2 = (b * b / s2) * math.log1p(s2 * (n - b) / (b * (b + s2)))
    return max(2.0 * (term1 - term2), 0.0)


def counting_significance(s: float, b: float, sigma_b: float = 0.0) -> float:
    """Expected (Asimov) discovery significance of a counting experiment.

    ``Z_A = sqrt(2((s+b) ln(1+s/b) − s))`` without background uncertainty, Cowan's
    formula with an absolute background uncertainty ``sigma_b > 0``.

    Parameters
    ----------
    s : float
        Expected signal count (>= 0).
    b : float
        Expected background count (> 0).
    sigma_b : float, default 0
        Absolute uncertainty on ``b``.

    Returns
    -------
    float
        The expected (Asimov) significance ``Z = sqrt(q0_A)``.

    Raises
    ------
    StatisticsError
        If ``b <= 0``.
    DataError
        If an input is NaN/inf, ``s < 0`` or ``sigma_b < 0``.

    Examples
    --------
    >>> round(counting_significance(10.0, 20.0), 4)
    2.0804
    """
    s = _check_finite("signal s", s)
    b, sigma_b = _check_background(b, sigma_b)
    if s < 0.0:
        raise DataError(f"signal s = {s:g} must be >= 0; use observed_significance for counts")
    return math.sqrt(_q0_counting(s + b, b, sigma_b))


def observed_significance(n: float, b: float, sigma_b: float = 0.0) -> float:
    """Observed discovery significance of a counting experiment with ``n`` observed events.

    ``Z = sqrt(2(n ln(n/b) − (n − b)))`` for ``n > b`` and 0 otherwise (one-sided
    q0); with ``sigma_b > 0`` the background is profiled (Cowan's formula with ``n``).

    Parameters
    ----------
    n : float
        Observed count (may be a non-integer effective count, >= 0).
    b : float
        Expected background (> 0).
    sigma_b : float, default 0
        Absolute uncertainty on ``b``.

    Returns
    -------
    float
        Observed significance ``Z = sqrt(q0_obs)`` (0 for a deficit).

    Examples
    --------
    >>> round(observed_significance(30.0, 20.0), 4)
    2.0804
    """
    n = _check_finite("observed count n", n)
    b, sigma_b = _check_background(b, sigma_b)
    if n < 0.0:
        raise DataError(f"observed count n = {n:g} must be >= 0")
    return math.sqrt(_q0_counting(n, b, sigma_b))


# ----------------------------------------------------------------------------------------
# look-elsewhere effect
# ----------------------------------------------------------------------------------------


def upcrossings(z_scan: ArrayLike, u0: float) -> NDArray[np.int64]:
    """Number of upcrossings of ``q = Z²`` above the level ``u0`` along a scan.

    Parameters
    ----------
    z_scan : array-like, shape (n_toys, n_windows) or (n_windows,)
        Local significances along the scanned observable, windows ordered.
    u0 : float
        Reference level in units of q0 (= Z²).

    Returns
    -------
    ndarray of int, shape (n_toys,) or ()
        Upcrossings per scan.  A scan that starts above ``u0`` counts one crossing.
    """
    z = np.atleast_2d(np.asarray(z_scan, dtype=float))
    above = np.where(np.isfinite(z), np.square(np.maximum(z, 0.0)), 0.0) > u0
    padded = np.concatenate([np.zeros((above.shape[0], 1), dtype=bool), above], axis=1)
    n_up = np.sum(~padded[:, :-1] & padded[:, 1:], axis=1)
    return n_up if np.ndim(z_scan) == 2 else n_up[0]


def gross_vitells_p(z_local: float, mean_upcrossings: float, u0: float) -> float:
    """Global p-value by the Gross–Vitells bound (Eur. Phys. J. C 70 (2010) 525).

    ``p_global ≈ p_local + ⟨N(u0)⟩ exp(−(q − u0)/2)`` for a one-parameter scan with one
    degree of freedom, where ``q = Z_local²`` and ``⟨N(u0)⟩`` is the mean number of
    upcrossings of the level ``u0`` estimated from (few) background-only toys.

    Parameters
    ----------
    z_local : float
        Largest local significance found in the scan.
    mean_upcrossings : float
        ``⟨N(u0)⟩`` from background-only toys.
    u0 : float
        Reference level (q units) at which the upcrossings were counted.

    Returns
    -------
    float
        Global p-value, clipped to [p_local, 1].
    """
    z_local = _check_finite("z_local", z_local)
    mean_upcrossings = _check_finite("mean_upcrossings", mean_upcrossings)
    u0 = _check_finite("u0", u0)
    if mean_upcrossings < 0.0:
        raise DataError(
            f"mean_upcrossings = {mean_upcrossings:g} must be >= 0 (a mean count of "
            "upcrossings from background-only toys)"
        )
    if u0 < 0.0:
        raise DataError(f"u0 = {u0:g} must be >= 0 (a level of q0 = Z^2)")
    q = max(z_local, 0.0) ** 2
    p_local = float(z_to_p(z_local))
    if q <= u0:
        return 1.0 if mean_upcrossings > 0 else p_local
    return float(min(1.0, p_local + mean_upcrossings * math.exp(-(q - u0) / 2.0)))
