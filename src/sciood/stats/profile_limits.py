"""CLs limit of a fitted spectrum: the profile likelihood with the dijet function floating.

For a :class:`~sciood.stats.BackgroundFit` (a data-driven dijet-function fit) the data are
used **once**: the limit comes from the profile likelihood of the signal strength with the
dijet-function parameters floating in a signal + background fit of the same spectrum
(``q̃_μ``, Cowan, Cranmer, Gross, Vitells, EPJC 71 (2011) 1554, eq. 16), asymptotic CLs
(Read 2002) with ``σ`` from the Asimov data set of the background-only fit, or refits of
the dijet function on toys at low counts.  The old construction — the fit's prediction as
a fixed template plus its fit uncertainty again as constrained nuisances — counted the
signal region twice (limits 0.7–0.8× too strong, a true signal excluded 6.8 % of the time).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import scale_factors
from sciood.stats.cls import (
    _MAX_DOUBLINGS,
    _NSIGMA,
    _bracket_up,
    _cls_asymptotic,
    _empirical_cls,
    _low_count_flag,
    _root,
    _sigma_guess,
    _toys_result,
)
from sciood.stats.limit_result import LimitResult
from sciood.stats.pyhf_limits import limit_from_workspace
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum
from sciood.stats.workspace import _hist, fit_workspace, signal_window

__all__: list[str] = []


class _Profile:
    """Profile likelihood ``λ(μ)`` of a spectrum with the dijet-function parameters floating.

    Holds the data (``n``, ``Σw²``), the free S+B fit (``μ̂``), the conditional fits and the
    Asimov data of the background-only fit.  Fits are warm-started and cached.
    """

    def __init__(
        self, fit: BackgroundFit, signal: NDArray[np.float64], counts: NDArray[np.float64],
        sumw2: NDArray[np.float64],
    ) -> None:
        self.edges, self.model, self.sqrt_s = fit.edges, fit.model, fit.sqrt_s
        self.signal = signal
        self.mask = fit.fit_mask | (signal >= 1e-3 * float(signal.max()))
        self.k = scale_factors(counts, sumw2)
        self.start = fit.values if np.all(np.isfinite(fit.values)) else None
        self.n, self.w2 = counts, sumw2
        free = self.fit(counts, sumw2, None)
        if not free.converged or free.signal is None:
            raise StatisticsError(
                "the signal + background fit did not converge; check the signal template "
                "(expected counts per bin for mu = 1) and the spectrum"
            )
        self.mu_hat = float(free.signal)
        self.mu_hat_error = float(free.signal_error)
        self.nll_hat = free.nll
        self.zero = self.conditional(0.0)
        b0 = self.zero.expected()
        self.b0 = b0
        self.asimov = (b0, self.k * b0)
        a0 = self.fit(*self.asimov, 0.0)
        self.nll_asimov0 = a0.nll
        self.sigma = self.mu_hat_error
        if not (math.isfinite(self.sigma) and self.sigma > 0):
            self.sigma = _sigma_guess(signal[self.mask], np.clip(b0[self.mask], 1e-9, None))
        self._cond: dict[float, BackgroundFit] = {0.0: self.zero}
        self._asim: dict[float, float] = {0.0: a0.nll}

    def fit(
        self, n: NDArray[np.float64], w2: NDArray[np.float64], mu: float | None,
        start: NDArray[np.float64] | None = None,
    ) -> BackgroundFit:
        st = self.start if start is None else start
        f = fit_spectrum(
            self.edges, n, w2, model=self.model, mask=self.mask, template=self.signal, mu=mu,
            start=st, sqrt_s=self.sqrt_s,
        )
        if not f.converged and st is not None:
            f = fit_spectrum(
                self.edges, n, w2, model=self.model, mask=self.mask, template=self.signal,
                mu=mu, sqrt_s=self.sqrt_s,
            )
        return f

    def conditional(self, mu: float) -> BackgroundFit:
        f = self.fit(self.n, self.w2, mu)
        if not math.isfinite(f.nll):
            raise StatisticsError(
                f"the background fit with the signal strength fixed at mu = {mu:.4g} failed "
                "(the signal exceeds the spectrum); the limit search went too far"
            )
        return f

    def q_obs(self, mu: float) -> float:
        if self.mu_hat > mu:
            return 0.0
        if mu not in self._cond:
            self._cond[mu] = self.conditional(mu)
        ref = self.nll_hat if self.mu_hat >= 0.0 else self.zero.nll
        return max(2.0 * (self._cond[mu].nll - ref), 0.0)

    def q_asimov(self, mu: float) -> float:
        if mu not in self._asim:
            self._asim[mu] = self.fit(*self.asimov, mu).nll
        return max(2.0 * (self._asim[mu] - self.nll_asimov0), 0.0)

    def cls(self, mu: float) -> float:
        return _cls_asymptotic(self.q_obs(mu), self.q_asimov(mu))

    def limits(self, cl: float, cap: float) -> tuple[float, NDArray[np.float64]]:
        level = 1.0 - cl
        sig = self.sigma

        def g_obs(m: float) -> float:
            return math.log(max(self.cls(m), 1e-300) / level)

        lo = max(self.mu_hat, 0.0) + 0.05 * sig
        if g_obs(lo) <= 0.0:
            raise StatisticsError(
                f"CLs is already below {level:g} next to mu-hat = {self.mu_hat:.4g}; the "
                "profile likelihood is degenerate (check the signal template)"
            )
        hi = _bracket_up(g_obs, lo, 4.0 * sig, cap, "observed")
        obs = _root(g_obs, lo, hi, sig)
        band = []
        for ns in _NSIGMA:
            target = float(-sps.norm.ppf(level * sps.norm.cdf(-ns)) - ns)

            def g(m: float, t: float = target) -> float:
                return t - math.sqrt(self.q_asimov(m))

            a = 0.05 * sig
            hi = _bracket_up(g, a, max(target, 1.0) * sig, cap, "expected")
            band.append(_root(g, a, hi, sig))
        return obs, np.array(band)


class _FitToys:
    """Toy CLs of the profile likelihood: toys of the conditional fits, each refitted.

    The background-only toys (from the ``μ = 0`` fit) and their free fits are drawn once
    and reused at every tested ``μ`` (one fixed-``μ`` fit per toy and ``μ``); the S+B toys
    are drawn per ``μ`` from the fit conditional on it.
    """

    def __init__(self, prof: _Profile, n_toys: int, seed: int) -> None:
        self.prof, self.n_toys, self.seed = prof, n_toys, seed
        rng = np.random.default_rng([seed, 0])
        self.b_toys = [self._draw(prof.b0, rng) for _ in range(n_toys)]
        self.b_free = [self._free(n) for n in self.b_toys]
        self.failed = 0

    def _draw(self, lam: NDArray[np.float64], rng: np.random.Generator) -> NDArray[Any]:
        k = self.prof.k
        return np.asarray(rng.poisson(np.clip(lam, 0.0, None) / k) * k, dtype=float)

    def _free(self, n: NDArray[np.float64]) -> tuple[float, float, NDArray[Any]] | None:
        """(μ̂, reference NLL of q̃, start values) of a toy, None if its fit failed."""
        prof = self.prof
        w2 = n * prof.k
        free = prof.fit(n, w2, None)
        if not free.converged or free.signal is None:
            return None
        mh = float(free.signal)
        ref = free.nll if mh >= 0.0 else prof.fit(n, w2, 0.0, free.values).nll
        return mh, ref, free.values

    def _q(
        self, n: NDArray[np.float64], free: tuple[float, float, NDArray[Any]] | None, mu: float
    ) -> float:
        if free is None:
            self.failed += 1
            return float("nan")
        mh, ref, start = free
        if mh > mu:
            return 0.0
        fixed = self.prof.fit(n, n * self.prof.k, mu, start)
        return max(2.0 * (fixed.nll - ref), 0.0) if math.isfinite(fixed.nll) else float("nan")

    def __call__(self, mu: float) -> tuple[float, NDArray[np.float64], float]:
        prof = self.prof
        rng = np.random.default_rng([self.seed, 1, round(mu * 1e6) % 2**32])
        if mu not in prof._cond:
            prof._cond[mu] = prof.conditional(mu)
        lam = prof._cond[mu].expected() + mu * prof.signal
        sb = [self._draw(lam, rng) for _ in range(self.n_toys)]
        q_sb = np.array([self._q(n, self._free(n), mu) for n in sb])
        q_b = np.array([self._q(n, f, mu) for n, f in zip(self.b_toys, self.b_free,
                                                          strict=True)])
        return _empirical_cls(prof.q_obs(mu), q_sb, q_b)


def _profile_limit(
    signal: NDArray[np.float64], fit: BackgroundFit, observed: ArrayLike | None, *,
    signal_sumw2: ArrayLike | None, jes_up: Any, jes_down: Any, cl: float, method: str,
    n_toys: int, mu_max: float | None, scan: ArrayLike | None, seed: int, toys_below: float,
    workspace_limit: bool,
) -> LimitResult:
    if signal.size != fit.counts.size:
        raise DataError(f"signal has {signal.size} bins but the fit has {fit.counts.size}")
    if np.any(signal < 0.0):
        raise DataError("signal template has negative bins; clip or rebin the signal")
    s_tot = float(signal.sum())
    if s_tot <= 0.0:
        raise StatisticsError("signal template sums to zero; no limit on mu can be set")
    if observed is None:
        counts, w2 = fit.counts, fit.sumw2
    else:
        counts = _hist("observed", observed, fit.counts.size)
        w2 = scale_factors(fit.counts, fit.sumw2) * counts
    prof = _Profile(fit, signal, counts, w2)
    cap = float(mu_max) if mu_max is not None else 4.0 * prof.sigma * 2.0**_MAX_DOUBLINGS
    obs, band = prof.limits(cl, cap)
    b_win = float(prof.b0[signal_window(signal)].sum())
    flags: list[str] = []
    low = b_win < toys_below
    if low and method == "asymptotic":
        flags.append(_low_count_flag(b_win, toys_below))
    if signal_sumw2 is not None or jes_up is not None:
        flags.append(
            "signal_sumw2 / jes enter the sideband pyhf workspace (workspace_observed), not "
            "the profile-likelihood limit"
        )
    try:
        spec = fit_workspace(
            signal, fit, observed, signal_sumw2=signal_sumw2, jes_up=jes_up, jes_down=jes_down
        )
        ws_obs = ws_exp = float("nan")
        if workspace_limit:
            ws = limit_from_workspace(spec, cl=cl, method="asymptotic")
            ws_obs, ws_exp = ws.observed, ws.expected
    except StatisticsError as exc:
        spec, ws_obs, ws_exp = {}, float("nan"), float("nan")
        flags.append(f"no sideband pyhf workspace: {exc}")
    res = LimitResult(
        observed=obs, expected=float(band[2]), expected_band=band, cl=cl, method="asymptotic",
        workspace=spec, signal_total=s_tot, flags=flags, model="profile", mu_hat=prof.mu_hat,
        mu_hat_error=prof.mu_hat_error, background_in_window=b_win,
        workspace_observed=ws_obs, workspace_expected=ws_exp,
    )
    if method == "toys" or (method == "auto" and low):

        toys = _FitToys(prof, int(n_toys), seed)
        out = _toys_result(res, toys, scan, cl, int(n_toys))
        if toys.failed:
            out.flags.append(f"{toys.failed} toy fits failed and were left out")
        return out
    return res
