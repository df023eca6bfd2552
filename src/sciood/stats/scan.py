"""The hunt's window scan: one function of a histogram, for the data, the toys and the guard.

Two scan methods share the windows (``window_rel_width`` ≈ 2σ of the mass resolution,
sliding by one bin):

* ``method="signal-fit"``: at each mass hypothesis ``m`` (the window centre) the spectrum is
  fitted with the background function **plus a Gaussian signal** of width
  ``signal_rel_width · m`` whose yield floats (negative allowed, so it is unbiased); the
  local significance is the profile-likelihood ratio ``q0 = 2 (NLL_B − NLL_S+B)`` against the
  background-only fit of the same spectrum, one-sided (``ŝ ≤ 0`` gives 0).  The best
  hypothesis is then refined with the mass floating (:func:`_refine_mass`, Δ(2 NLL) = 1).
* ``method="masked-window"``: the background is refitted with the window masked and the
  window is a counting experiment with the fit's ``σ_b``.

With ``model="auto"`` the background function is chosen by F-tests
(:mod:`sciood.stats.function_choice`) with the signal allowed at the best hypothesis of a
first ``dijet4`` scan, so that a signal does not push the choice to a larger function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import scale_factors, signal_template
from sciood.stats.dijet import MODELS
from sciood.stats.function_choice import FunctionChoice, select_function
from sciood.stats.settings import METHODS
from sciood.stats.significance import observed_significance
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum

__all__ = ["METHODS"]


@dataclass
class _Scan:
    """Per-window numbers of one scan (arrays of shape (n_windows,))."""

    n: NDArray[np.float64]
    b: NDArray[np.float64]
    sigma_b: NDArray[np.float64]
    scale: NDArray[np.float64]
    z: NDArray[np.float64]
    p_bh: NDArray[np.float64]
    failed: NDArray[np.bool_]
    signal: NDArray[np.float64] | None = None
    signal_error: NDArray[np.float64] | None = None


def _empty_scan(nw: int, with_signal: bool) -> _Scan:
    def nan() -> NDArray[np.float64]:
        return np.full(nw, np.nan)

    return _Scan(n=nan(), b=nan(), sigma_b=nan(), scale=nan(), z=nan(), p_bh=nan(),
                 failed=np.zeros(nw, dtype=bool), signal=nan() if with_signal else None,
                 signal_error=nan() if with_signal else None)


def _window_counts(
    out: _Scan, i: int, sumw: NDArray[np.float64], sumw2: NDArray[np.float64], a: int, b: int,
    k_global: float,
) -> tuple[float, float]:
    n = float(sumw[a:b].sum())
    n2 = float(sumw2[a:b].sum())
    k = n2 / n if n > 0 and n2 > 0 else k_global
    out.n[i], out.scale[i] = n, k
    return n, k


def _k_global(sumw: NDArray[np.float64], sumw2: NDArray[np.float64]) -> float:
    pos = (sumw2 > 0) & (sumw > 0)
    return float(np.median(sumw2[pos] / sumw[pos])) if np.any(pos) else 1.0


def _bh_p(n: float, b: float, k: float) -> float:
    """BumpHunter window p-value: Poisson P(N >= n | b) for excesses, 1 for deficits."""
    return float(special.gammainc(n / k, b / k)) if n > b else 1.0


def _scan(
    edges: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    windows: NDArray[np.int64],
    sqrt_s: float,
    start: Sequence[float] | None,
    pad: int = 0,
    model: str = "dijet4",
) -> _Scan:
    """Masked-window scan: refit with each window (plus ``pad`` bins per side) masked."""
    out = _empty_scan(windows.shape[0], False)
    kg = _k_global(sumw, sumw2)
    for i, (a, bnd) in enumerate(windows):
        mask = np.ones(sumw.size, dtype=bool)
        mask[max(a - pad, 0) : bnd + pad] = False
        try:
            fit = fit_spectrum(edges, sumw, sumw2, model=model, mask=mask, start=start,
                               sqrt_s=sqrt_s)
        except StatisticsError:
            out.failed[i] = True
            continue
        if not fit.converged:
            out.failed[i] = True
            continue
        lo, hi = edges[a], edges[bnd]
        b = float(fit.expected(np.array([lo, hi]))[0])
        sig = fit.uncertainty(lo, hi)
        n, k = _window_counts(out, i, sumw, sumw2, int(a), int(bnd), kg)
        out.b[i], out.sigma_b[i] = b, sig
        if not (b > 0 and math.isfinite(b) and math.isfinite(sig)):
            out.failed[i] = True
            continue
        out.z[i] = observed_significance(max(n, 0.0) / k, b / k, sig / k)
        out.p_bh[i] = _bh_p(n, b, k)
    return out


def _masses(edges: NDArray[np.float64], windows: NDArray[np.int64]) -> NDArray[np.float64]:
    """Mass hypotheses: geometric centres of the windows, shape (n_windows,)."""
    return np.sqrt(edges[windows[:, 0]] * edges[windows[:, 1]])


def _signal_scan(
    edges: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    windows: NDArray[np.int64],
    rel_width: float,
    bfit: BackgroundFit,
    z_only: bool = False,
) -> _Scan:
    """Signal + background fit at every mass hypothesis against the background-only fit.

    With ``z_only`` (toys, Asimov, the sculpting guard) a hypothesis whose NLL rises with
    the signal at ``s = 0`` is not fitted: its one-sided ``q0`` is 0 (the derivative of the
    profiled NLL at the background-only minimum is the partial derivative in ``s``).
    """
    out = _empty_scan(windows.shape[0], True)
    assert out.signal is not None and out.signal_error is not None
    kg = _k_global(sumw, sumw2)
    b_only = bfit.expected()
    k_bins = _scale(bfit)
    for i, (a, bnd) in enumerate(windows):
        mass = float(np.sqrt(edges[a] * edges[bnd]))
        n, k = _window_counts(out, i, sumw, sumw2, int(a), int(bnd), kg)
        out.p_bh[i] = _bh_p(n, float(b_only[a:bnd].sum()), k)
        tmpl = signal_template(edges, mass, rel_width * mass)
        if z_only and float(np.sum(tmpl * (1.0 - sumw / b_only) / k_bins)) >= 0.0:
            out.z[i] = 0.0
            continue
        try:
            fit = fit_spectrum(edges, sumw, sumw2, model=bfit.model, template=tmpl,
                               start=bfit.values, sqrt_s=bfit.sqrt_s)
        except StatisticsError:
            out.failed[i] = True
            continue
        if not fit.converged or fit.signal is None:
            out.failed[i] = True
            continue
        lo, hi = edges[a], edges[bnd]
        out.b[i] = float(fit.expected(np.array([lo, hi]))[0])
        out.sigma_b[i] = fit.uncertainty(lo, hi)
        out.signal[i], out.signal_error[i] = fit.signal, fit.signal_error
        q0 = 2.0 * (bfit.nll - fit.nll) if fit.signal > 0 else 0.0
        out.z[i] = math.sqrt(max(q0, 0.0))
    return out


def _profile_nll(
    edges: NDArray[np.float64], sumw: NDArray[np.float64], sumw2: NDArray[np.float64],
    mass: float, rel_width: float, bfit: BackgroundFit,
) -> tuple[float, BackgroundFit]:
    tmpl = signal_template(edges, mass, rel_width * mass)
    fit = fit_spectrum(edges, sumw, sumw2, model=bfit.model, template=tmpl, start=bfit.values,
                       sqrt_s=bfit.sqrt_s)
    return (fit.nll if fit.converged else math.inf), fit


def _refine_mass(
    edges: NDArray[np.float64], sumw: NDArray[np.float64], sumw2: NDArray[np.float64],
    lo: float, hi: float, rel_width: float, bfit: BackgroundFit,
) -> tuple[float, float, BackgroundFit | None]:
    """Fitted peak in [lo, hi] and its ±1σ (half the Δ(2 NLL) = 1 interval)."""
    def f(m: float) -> float:
        return _profile_nll(edges, sumw, sumw2, m, rel_width, bfit)[0]

    res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-4 * lo})
    m_hat = float(res.x)
    f_min, fit = _profile_nll(edges, sumw, sumw2, m_hat, rel_width, bfit)
    if not math.isfinite(f_min):
        return m_hat, float("nan"), None
    sigma = rel_width * m_hat

    def g(m: float) -> float:
        return 2.0 * (f(m) - f_min) - 1.0

    ends = []
    for far in (max(m_hat - 4 * sigma, edges[0]), min(m_hat + 4 * sigma, edges[-1])):
        try:
            ends.append(optimize.brentq(g, m_hat, far, xtol=1e-3 * sigma)
                        if g(far) > 0 else math.nan)
        except ValueError:
            ends.append(math.nan)
    err = 0.5 * (ends[1] - ends[0]) if all(map(math.isfinite, ends)) else float("nan")
    return m_hat, float(err), fit


def _make_windows(
    edges: NDArray[np.float64],
    windows: int | Sequence[tuple[float, float]] | None,
    window_rel_width: float,
    edge_bins: int,
) -> NDArray[np.int64]:
    n_bins = edges.size - 1
    if windows is not None and not isinstance(windows, int | np.integer):
        out = []
        for lo, hi in windows:
            a = int(np.argmin(np.abs(edges - lo)))
            b = int(np.argmin(np.abs(edges - hi)))
            if b <= a:
                raise DataError(f"window ({lo}, {hi}) is empty at the chosen binning")
            out.append((a, b))
        return np.array(out, dtype=np.int64)
    if windows is None:
        rel = float(np.median(edges[1:] / edges[:-1] - 1.0))
        width = max(1, round(math.log1p(window_rel_width) / math.log1p(rel)))
    else:
        width = int(windows)
        if width < 1:
            raise DataError(f"windows = {windows} bins: a window needs at least one bin")
    starts = np.arange(edge_bins, n_bins - edge_bins - width + 1)
    if starts.size == 0:
        raise DataError(
            f"no room for {width}-bin windows in {n_bins} bins with {edge_bins} sideband bins "
            "on each side; widen mjj_range or use finer bins"
        )
    return np.stack([starts, starts + width], axis=1).astype(np.int64)


_Scanner = Callable[..., tuple[_Scan, BackgroundFit, FunctionChoice | None]]


def _make_scanner(
    method: str, model: str, edges: NDArray[np.float64], win: NDArray[np.int64],
    rel_width: float, pad: int, sqrt_s: float,
) -> _Scanner:
    """The hunt's whole scan as one function of a histogram (observed data, toys, guard)."""

    def scanner(
        sumw: NDArray[np.float64], sumw2: NDArray[np.float64], z_only: bool = False
    ) -> tuple[_Scan, BackgroundFit, FunctionChoice | None]:
        def run(name: str) -> tuple[_Scan, BackgroundFit]:
            bfit = fit_spectrum(edges, sumw, sumw2, model=name, sqrt_s=sqrt_s)
            if not bfit.converged:
                raise StatisticsError(
                    f"the background-only {name} fit to the full spectrum did not converge; "
                    "check the mjj range (start above the trigger turn-on), the binning and "
                    "the event count"
                )
            if method == "signal-fit":
                scan = _signal_scan(edges, sumw, sumw2, win, rel_width, bfit, z_only)
            else:
                scan = _scan(edges, sumw, sumw2, win, sqrt_s, list(bfit.values), pad, name)
            scan.z[scan.failed] = np.nan
            return scan, bfit

        if model != "auto":
            return (*run(model), None)
        # function choice with the signal allowed at the best hypothesis of a first scan
        # (dijet4), so that a signal does not push the F-test to a larger function
        first = _AUTO_FIRST if _converges(edges, sumw, sumw2, sqrt_s) else "dijet3"
        scan, bfit = run(first)
        tmpl = None
        if method == "signal-fit" and np.any(np.isfinite(scan.z)):
            i = int(np.nanargmax(scan.z))
            mass = float(np.sqrt(edges[win[i, 0]] * edges[win[i, 1]]))
            tmpl = signal_template(edges, mass, rel_width * mass)
        choice = select_function(edges, sumw, sumw2, template=tmpl, sqrt_s=sqrt_s)
        if choice.model != first:
            scan, bfit = run(choice.model)
        return scan, bfit, choice

    return scanner


_AUTO_FIRST = "dijet4"


def _converges(
    edges: NDArray[np.float64], sumw: NDArray[np.float64], sumw2: NDArray[np.float64],
    sqrt_s: float,
) -> bool:
    """Whether the first function of the automatic choice has enough bins to be fitted."""
    return int(np.sum(sumw > 0)) > MODELS[_AUTO_FIRST] + 1


def _scale(fit: BackgroundFit) -> NDArray[np.float64]:
    return scale_factors(fit.counts, fit.sumw2)
