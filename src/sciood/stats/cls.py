"""CLs machinery shared by every limit: asymptotic CLs, root finding, toy CLs scans.

``CLs(μ) = CLs+b / CLb = P(q̃_μ ≥ q_obs | μ) / P(q̃_μ ≥ q_obs | 0)``; the limit is the ``μ``
where ``CLs = 1 − cl``.  Asymptotically (Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011)
1554) ``CLs`` follows from ``q̃_μ`` and its Asimov value ``q_μ,A``; with toys it is the
fraction of pseudo-experiments, and the toy scan in ``μ`` widens until the observed limit
and the whole expected band (−2σ … +2σ) are bracketed.  Root finding starts at the fitted
``μ̂`` (never at ``μ = 0``, where the Asimov ``q_A`` vanishes and CLs is 0/0) and doubles
the upper end until the level is bracketed, with a stated maximum.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError
from sciood.stats.limit_result import LimitResult

__all__ = ["LOW_COUNT_THRESHOLD"]


#: expected background events under the signal below which ``method="auto"`` uses toys
#: (measured on one bin, n = b ± √b: the asymptotic limit is 4.0–5.6 % too strong against
#: exact Poisson CLs at b = 20, 3.3–4.6 % at b = 30, 2.6–3.6 % at b = 50, 14 % at b = 3)
LOW_COUNT_THRESHOLD = 30.0


#: band order of every expected-limit array: −2σ, −1σ, median, +1σ, +2σ limits come from
#: the background-only test-statistic quantiles at these numbers of sigma
_NSIGMA = (2.0, 1.0, 0.0, -1.0, -2.0)


_MAX_DOUBLINGS = 12


def _cls_asymptotic(q_obs: float, q_asimov: float) -> float:
    """Asymptotic CLs of ``q̃_μ`` given the Asimov ``q_μ,A`` (pyhf's formulae)."""
    sq, sqa = math.sqrt(max(q_obs, 0.0)), math.sqrt(max(q_asimov, 0.0))
    if sqa <= 0.0:
        return 1.0
    t = sq - sqa if sq <= sqa else (q_obs - q_asimov) / (2.0 * sqa)
    clsb = float(sps.norm.sf(t + sqa))
    clb = float(sps.norm.sf(t))
    return clsb / clb if clb > 0.0 else 1.0


def _bracket_up(
    g: Callable[[float], float], lo: float, step: float, cap: float, what: str
) -> float:
    """Smallest ``lo + step·2^k`` with ``g < 0`` (``k ≤ _MAX_DOUBLINGS``, ≤ ``cap``)."""
    hi = lo + step
    for _ in range(_MAX_DOUBLINGS + 1):
        if g(min(hi, cap)) < 0.0:
            return min(hi, cap)
        if hi >= cap:
            break
        hi = lo + 2.0 * (hi - lo)
    raise StatisticsError(
        f"the {what} CLs limit is not bracketed up to mu = {min(hi, cap):.4g} "
        f"({_MAX_DOUBLINGS} doublings of the search interval from mu-hat = {lo:.4g}): the "
        "signal template is negligible against the background uncertainty; check that it "
        "is in expected events (not fractions of a tiny number) or pass a larger mu_max"
    )


def _root(g: Callable[[float], float], lo: float, hi: float, scale: float) -> float:
    return float(optimize.brentq(g, lo, hi, xtol=1e-5 * scale, rtol=1e-6))


def _low_count_flag(b_win: float, threshold: float) -> str:
    return (
        f"only {b_win:.3g} expected background events under the signal (< {threshold:g}): "
        "the asymptotic limit is too strong at low counts; use method='toys' (or 'auto')"
    )


def _empirical_cls(
    q_obs: float, q_sb: NDArray[np.float64], q_b: NDArray[np.float64]
) -> tuple[float, NDArray[np.float64], float]:
    """CLs of ``q_obs``, the expected CLs band (5,) and the binomial error of CLs.

    ``p = P(q ≥ q_obs)`` under each hypothesis (ties included, as pyhf); the band is the
    CLs of the background-only toys at the quantiles of −2σ … +2σ limits.
    """
    q_sb = np.sort(q_sb[np.isfinite(q_sb)])
    q_b = np.sort(q_b[np.isfinite(q_b)])
    if q_sb.size == 0 or q_b.size == 0:
        raise StatisticsError("every toy fit failed; use more events or wider bins")

    def pv(sorted_q: NDArray[np.float64], x: ArrayLike) -> NDArray[np.float64]:
        idx = np.searchsorted(sorted_q, x, side="left")
        return np.asarray((sorted_q.size - idx) / sorted_q.size, dtype=float)

    clsb, clb = float(pv(q_sb, q_obs)), float(pv(q_b, q_obs))
    cls = clsb / clb if clb > 0 else 1.0
    per_b = pv(q_sb, q_b) / np.maximum(pv(q_b, q_b), 1e-300)
    quant = sps.norm.cdf([-2.0, -1.0, 0.0, 1.0, 2.0])
    exp = np.percentile(per_b, 100.0 * quant)
    # a band toy with no S+B toy as extreme has CLs 0 on the toys; the truth is only known
    # to be below (1/N_sb)/p_b: below the level (usable) or unknown (NaN, flagged later)
    unknown = (exp <= 0.0) & ((1.0 / q_sb.size) / quant >= 0.05)
    exp = np.where(unknown, np.nan, exp)
    rel2 = 0.0
    for p, n in ((clsb, q_sb.size), (clb, q_b.size)):
        if p > 0:
            rel2 += (1.0 - p) / (p * n)  # binomial: var(p)/p² = (1-p)/(p N)
    return cls, np.asarray(exp, dtype=float), cls * math.sqrt(rel2)


def _crossing(
    grid: NDArray[np.float64],
    cls: NDArray[np.float64],
    level: float,
    err: NDArray[np.float64] | None = None,
) -> tuple[float, float | None]:
    """First downward crossing of ``level`` by a CLs curve.

    Interpolates ``log CLs`` linearly in ``mu`` (CLs falls roughly exponentially), and
    propagates the toy errors of the two bracketing points to ``mu``.
    """
    below = np.flatnonzero(cls <= level)
    if below.size == 0 or below[0] == 0:
        return float("nan"), None
    i = int(below[0])
    x0, x1 = float(grid[i - 1]), float(grid[i])
    y0, y1 = math.log(max(float(cls[i - 1]), 1e-12)), math.log(max(float(cls[i]), 1e-12))
    if y0 == y1:
        return x1, None
    slope = (y1 - y0) / (x1 - x0)  # d log CLs / d mu
    x = x0 + (math.log(level) - y0) / slope
    e = None
    if err is not None:
        # relative CLs errors at the two points, weighted by the interpolation position
        f = (x - x0) / (x1 - x0)
        rel = math.hypot(
            (1 - f) * err[i - 1] / max(cls[i - 1], 1e-12), f * err[i] / max(cls[i], 1e-12)
        )
        e = float(rel / abs(slope))
    return x, e


def _toys_result(
    asym: LimitResult,
    at: Callable[[float], tuple[float, NDArray[np.float64], float]],
    scan: ArrayLike | None,
    cl: float,
    n_toys: int,
    max_rounds: int = 8,
) -> LimitResult:
    """Toy CLs on a μ scan that widens until the observed limit and the band are bracketed."""
    level = 1.0 - cl
    if scan is None:
        lo = 0.5 * min(asym.observed, float(asym.expected_band[0]))
        hi = 1.5 * max(asym.observed, float(asym.expected_band[4]))
        grid = np.linspace(lo, hi, 8)
    else:
        grid = np.sort(np.asarray(scan, dtype=float))
        if grid.size < 2 or grid[0] <= 0 or not np.all(np.isfinite(grid)):
            raise DataError("scan must hold at least two positive finite mu values")
    pts: dict[float, tuple[float, NDArray[np.float64], float]] = {}
    for _ in range(max_rounds + 1):
        for m in grid:
            if float(m) not in pts:
                pts[float(m)] = at(float(m))
        mus = np.array(sorted(pts))
        cls_obs = np.array([pts[m][0] for m in mus])
        cls_err = np.array([pts[m][2] for m in mus])
        cls_exp = np.array([pts[m][1] for m in mus])  # (n_scan, 5)
        curves = np.column_stack([cls_obs, cls_exp])
        need_low = bool(np.any(curves[0] <= level))
        need_high = bool(np.any(curves[-1] > level))
        if not (need_low or need_high):
            break
        new = []
        if need_low:
            new += list(mus[0] * np.array([0.1, 0.3, 0.6]))
        if need_high:
            new += list(mus[-1] * np.array([1.4, 2.0, 3.0]))
        grid = np.array(new)
    obs_f, obs_err = _crossing(mus, cls_obs, level, cls_err)
    band = np.array([_crossing(mus, cls_exp[:, i], level)[0] for i in range(5)])
    if not math.isfinite(obs_f):
        raise StatisticsError(
            f"the observed toy CLs curve does not cross {level:g} in mu ∈ "
            f"[{mus[0]:.3g}, {mus[-1]:.3g}] after {max_rounds} widenings of the scan; "
            "the toy CLs is too noisy: use more toys"
        )
    flags = list(asym.flags)
    unresolved = np.any(np.isnan(cls_exp), axis=0)
    if np.any(unresolved & ~np.isfinite(band)):
        names = [("-2σ", "-1σ", "median", "+1σ", "+2σ")[i]
                 for i in np.flatnonzero(unresolved & ~np.isfinite(band))]
        flags.append(
            f"expected band entries {names} not resolved by {n_toys} toys per mu (the "
            "±2σ tail needs a CLs of 0.05·Φ(−2) ≈ 1e-3 on the S+B toys): pass n_toys >= 1000"
        )
    elif not np.all(np.isfinite(band)):
        flags.append(
            f"expected band not bracketed after {max_rounds} widenings of the toy scan "
            "(NaN entries); use more toys"
        )
    return LimitResult(
        observed=obs_f, expected=float(band[2]), expected_band=band, cl=cl, method="toys",
        workspace=asym.workspace, signal_total=asym.signal_total, n_toys=n_toys,
        observed_error=obs_err, scan=mus, cls_observed=cls_obs, flags=flags,
        model=asym.model, mu_hat=asym.mu_hat, mu_hat_error=asym.mu_hat_error,
        background_in_window=asym.background_in_window,
        workspace_observed=asym.workspace_observed, workspace_expected=asym.workspace_expected,
    )


def _sigma_guess(sig: NDArray[np.float64], bkg: NDArray[np.float64]) -> float:
    """±1σ of μ at μ = 0 from the Fisher information of a Poisson model."""
    info = float(np.sum(np.square(sig) / np.clip(bkg, 1e-12, None)))
    return 1.0 / math.sqrt(info) if info > 0 else 1.0
