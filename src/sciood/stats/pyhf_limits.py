"""CLs limits from a pyhf workspace (``q̃_μ``), asymptotic or with pseudo-experiments.

Below ``toys_below`` expected background events under the signal (the bins holding 95 % of
it), ``method="auto"`` computes CLs from pseudo-experiments: numpy Poisson toys without
nuisance parameters (exact Poisson CLs for one bin), pyhf's ``ToyCalculator`` with them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError
from sciood.stats.cls import (
    _MAX_DOUBLINGS,
    LOW_COUNT_THRESHOLD,
    _bracket_up,
    _empirical_cls,
    _low_count_flag,
    _root,
    _sigma_guess,
    _toys_result,
)
from sciood.stats.limit_result import LimitResult
from sciood.stats.poisson_limits import _poisson_toy_cls
from sciood.stats.workspace import signal_window

__all__ = ["limit_from_workspace"]


def _pyhf_model(spec: dict[str, Any]) -> tuple[Any, Any, Any]:
    import pyhf

    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    return pyhf, model, ws.data(model)


def _has_nuisances(spec: dict[str, Any]) -> bool:
    return any(
        m["type"] != "normfactor"
        for smp in spec["channels"][0]["samples"]
        for m in smp["modifiers"]
    )


def _pyhf_fail(exc: Exception) -> StatisticsError:
    return StatisticsError(
        f"the pyhf fit did not converge ({exc}); typical of a spectrum with few events per "
        "bin: use fewer, wider bins or more background statistics"
    )


def _pyhf_asymptotic(
    spec: dict[str, Any], cl: float, mu_max: float | None
) -> tuple[float, NDArray[np.float64], float]:
    """Observed limit, expected band (5,) and μ̂ with pyhf hypotests, bracketed from μ̂."""
    pyhf, model, data = _pyhf_model(spec)
    sig = np.asarray(spec["channels"][0]["samples"][0]["data"], dtype=float)
    bkg = np.asarray(spec["channels"][0]["samples"][1]["data"], dtype=float)
    sigma = _sigma_guess(sig, bkg)
    poi = model.config.poi_index
    cap = float(mu_max) if mu_max is not None else 50.0 * sigma * 2.0**_MAX_DOUBLINGS
    bounds = model.config.suggested_bounds()
    bounds[poi] = (0.0, 2.0 * cap)
    cache: dict[float, tuple[float, NDArray[np.float64]]] = {}

    def hypo(mu: float) -> tuple[float, NDArray[np.float64]]:
        if mu not in cache:
            try:
                obs, exp = pyhf.infer.hypotest(
                    mu, data, model, test_stat="qtilde", par_bounds=bounds,
                    return_expected_set=True,
                )
            except pyhf.exceptions.FailedMinimization as exc:
                raise _pyhf_fail(exc) from exc
            cache[mu] = (float(obs), np.array([float(x) for x in exp]))
        return cache[mu]

    try:
        best = pyhf.infer.mle.fit(data, model, par_bounds=bounds)
    except pyhf.exceptions.FailedMinimization as exc:
        raise _pyhf_fail(exc) from exc
    mu_hat = float(best[poi])
    level = 1.0 - cl
    lo = mu_hat + 0.05 * sigma
    def curve(i: int) -> Callable[[float], float]:
        if i < 0:
            return lambda m: math.log(max(hypo(m)[0], 1e-300) / level)
        return lambda m: math.log(max(float(hypo(m)[1][i]), 1e-300) / level)

    curves = [curve(i) for i in range(-1, 5)]
    limits = []
    for k, g in enumerate(curves):
        what = "observed" if k == 0 else "expected"
        a = lo if k == 0 else 0.05 * sigma
        if g(a) <= 0.0:
            raise StatisticsError(
                f"the {what} CLs is already below {level:g} at mu = {a:.3g} next to mu-hat; "
                "the model is degenerate (check the signal template)"
            )
        hi = _bracket_up(g, a, 5.0 * sigma, cap, what)
        limits.append(_root(g, a, hi, sigma))
    return limits[0], np.array(limits[1:]), mu_hat


def _toy_cls(
    pyhf: Any, model: Any, data: Any, mu: float, bounds: Any, n_toys: int
) -> tuple[float, NDArray[np.float64], float]:
    """Observed CLs, expected CLs band (5,) and the toy error of the observed CLs (pyhf).

    The expected band is taken from the background-only toys as pyhf does, but with
    numpy's current ``percentile`` (pyhf 0.7's toy band uses a removed numpy keyword).
    """
    calc = pyhf.infer.calculators.ToyCalculator(
        data, model, par_bounds=bounds, test_stat="qtilde", ntoys=n_toys, track_progress=False
    )
    sb, b = calc.distributions(mu)
    q_obs = float(calc.teststatistic(mu))
    return _empirical_cls(q_obs, np.asarray(sb.samples), np.asarray(b.samples))


def limit_from_workspace(
    spec: dict[str, Any],
    *,
    cl: float = 0.95,
    method: Literal["auto", "asymptotic", "toys"] = "auto",
    n_toys: int = 500,
    mu_max: float | None = None,
    scan: ArrayLike | None = None,
    seed: int = 0,
    toys_below: float = LOW_COUNT_THRESHOLD,
) -> LimitResult:
    """CLs upper limit on ``mu`` of a one-channel pyhf workspace of :func:`build_workspace`.

    Parameters
    ----------
    spec : dict
        The workspace (signal sample first, POI ``mu``).
    cl, method, n_toys, mu_max, scan, seed, toys_below
        As in :func:`upper_limit`.

    Returns
    -------
    LimitResult
    """
    if not 0.0 < cl < 1.0:
        raise DataError(f"cl = {cl} must be in (0, 1), e.g. 0.95")
    if method not in ("auto", "asymptotic", "toys"):
        raise DataError(f"method {method!r} is not one of 'auto', 'asymptotic', 'toys'")
    sig = np.asarray(spec["channels"][0]["samples"][0]["data"], dtype=float)
    bkg = np.asarray(spec["channels"][0]["samples"][1]["data"], dtype=float)
    obs_counts = np.asarray(spec["observations"][0]["data"], dtype=float)
    s_tot = float(sig.sum())
    if s_tot <= 0.0:
        raise StatisticsError("signal template sums to zero; no limit on mu can be set")
    b_win = float(bkg[signal_window(sig)].sum())
    low = b_win < toys_below
    use_toys = method == "toys" or (method == "auto" and low)
    flags: list[str] = []
    if low and method == "asymptotic":
        flags.append(_low_count_flag(b_win, toys_below))
    obs, band, mu_hat = _pyhf_asymptotic(spec, cl, mu_max)
    res = LimitResult(
        observed=obs, expected=float(band[2]), expected_band=band, cl=cl, method="asymptotic",
        workspace=spec, signal_total=s_tot, flags=flags, model="pyhf", mu_hat=mu_hat,
        background_in_window=b_win,
    )
    if not use_toys:
        return res
    if _has_nuisances(spec):
        pyhf, model, data = _pyhf_model(spec)
        bounds = model.config.suggested_bounds()
        top = 20.0 * max(obs, float(band[4]))
        bounds[model.config.poi_index] = (0.0, top if mu_max is None else max(top, mu_max))

        def at(mu: float) -> tuple[float, NDArray[np.float64], float]:
            state = np.random.get_state()  # noqa: NPY002
            np.random.seed(seed + round(mu * 1e6) % 100_000)  # noqa: NPY002
            try:
                return _toy_cls(pyhf, model, data, mu, bounds, int(n_toys))
            except pyhf.exceptions.FailedMinimization as exc:
                raise _pyhf_fail(exc) from exc
            finally:
                np.random.set_state(state)  # noqa: NPY002

        n_used = int(n_toys)
    else:
        n_used = max(int(n_toys), 20_000)
        rng_seed = seed

        def at(mu: float) -> tuple[float, NDArray[np.float64], float]:
            return _poisson_toy_cls(sig, bkg, obs_counts, mu, n_used, rng_seed)

    return _toys_result(res, at, scan, cl, n_used)
