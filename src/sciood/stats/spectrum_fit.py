"""Binned fit of a dijet function (plus an optional signal template) to a spectrum.

A fit may add a signal template ``μ T_i`` (expected counts per bin for ``μ = 1``) with ``μ``
free (negative values allowed, so the estimate is unbiased) or fixed (profile likelihood of
``μ``).

Weighted events use the Bohm–Zech *scaled Poisson* likelihood: in bin i with
``(Σw, Σw²)`` the count ``Σw/k_i`` is Poisson with mean ``μ_i/k_i``, ``k_i = Σw²/Σw``
(empty bins take the median scale).  Unit weights give exactly the Poisson likelihood.

The minimiser is Fisher scoring (Newton steps with the expected information, a
backtracking line search) started from a weighted log-linear least-squares fit, with
iminuit's MIGRAD as the fallback when it does not converge.  Fisher scoring is written
here because the hunt and its toys run thousands of fits of 3–6 parameters on ~50 bins:
measured on 26 bins, MIGRAD takes 7 ms per warm-started fit (Python overhead of ~100
cost-function calls), Fisher scoring ≈ 0.4 ms, with the same minimum (tested against
MIGRAD to 1e-6 in the negative log-likelihood).  The covariance is the inverse expected
(Fisher) information, exact for this model (HESSE's numerical second derivatives come
out non-positive for the nearly degenerate p1/p3 direction over a narrow mass range).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import as_1d, scale_factors
from sciood.stats.dijet import _PARAM_NAMES, _Design, _n_params

__all__ = ["BackgroundFit", "fit_spectrum"]

log = logging.getLogger(__name__)


_MAX_ITER = 200


_EDM_TOL = 1e-8  # expected distance to the minimum in NLL units: converged


_EDM_ACCEPT = 1e-4  # accepted when the line search can no longer decrease the NLL


@dataclass
class BackgroundFit:
    """A binned fit of the dijet function, optionally with a signal template.

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin edges [GeV].
    counts, sumw2 : ndarray, shape (n_bins,)
        Σw and Σw² per bin of the fitted spectrum.
    fit_mask : ndarray of bool, shape (n_bins,)
        Bins that entered the fit.
    values : ndarray, shape (n_par,)
        Best-fit background parameters ``(ln_p0, p1, p2[, p3[, p4]])``.
    covariance : ndarray, shape (n_par, n_par)
        Covariance of ``values`` (inverse expected information; with a free signal, the
        background block of the joint covariance).
    chi2 : float
        Baker–Cousins likelihood-ratio χ² of the fitted bins (scaled Poisson for weights).
    ndf : int
        Fitted bins − free parameters.
    p_value : float
        χ² p-value of the fit.
    converged : bool
        The minimiser converged and the information matrix is invertible.
    model : str
        ``"dijet3"``, ``"dijet4"`` or ``"dijet5"``.
    signal : float or None
        Fitted (or fixed) signal strength ``μ`` times the template; ``None`` without one.
        With a template normalised to 1 event, this is the fitted signal count.
    signal_error : float
        ±1σ of ``signal`` (NaN if fixed or absent).
    signal_template : ndarray, shape (n_bins,), or None
        Expected signal counts per bin for ``μ = 1``.
    nll : float
        Minimum negative log-likelihood (scaled Poisson, constant terms dropped).
    """

    edges: NDArray[np.float64]
    counts: NDArray[np.float64]
    sumw2: NDArray[np.float64]
    fit_mask: NDArray[np.bool_]
    values: NDArray[np.float64]
    covariance: NDArray[np.float64]
    chi2: float
    ndf: int
    p_value: float
    converged: bool
    sqrt_s: float = 13000.0
    model: str = "dijet4"
    signal: float | None = None
    signal_error: float = float("nan")
    signal_template: NDArray[np.float64] | None = field(default=None, repr=False)
    nll: float = float("nan")

    @property
    def params(self) -> dict[str, float]:
        """Best-fit background parameters by name."""
        return dict(zip(_PARAM_NAMES, (float(v) for v in self.values), strict=False))

    @property
    def chi2_ndf(self) -> float:
        """χ²/ndf (NaN if ndf <= 0)."""
        return self.chi2 / self.ndf if self.ndf > 0 else float("nan")

    def expected(
        self, edges: ArrayLike | None = None, values: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Expected *background* counts per bin.

        Parameters
        ----------
        edges : array-like, shape (k + 1,), optional
            Any bin edges [GeV]; default the fit's own bins.
        values : array-like, shape (n_par,), optional
            Parameter values; default the best fit.

        Returns
        -------
        ndarray, shape (k,)
        """
        e = self.edges if edges is None else np.asarray(edges, dtype=float)
        v = self.values if values is None else np.asarray(values, dtype=float)
        design = _Design(e, self.sqrt_s, v.size)
        return design.integrals(design.to_internal(v))[0]

    def eigen_variations(
        self, edges: ArrayLike | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """±1σ background variations along the eigenvectors of the covariance.

        Returns
        -------
        up, down : ndarray, shape (n_par, k)
            Expected counts with the parameters shifted by ``±sqrt(λ_j) v_j``.
        """
        lam, vec = np.linalg.eigh(self.covariance)
        lam = np.clip(lam, 0.0, None)
        ups, downs = [], []
        for j in range(lam.size):
            shift = math.sqrt(lam[j]) * vec[:, j]
            ups.append(self.expected(edges, self.values + shift))
            downs.append(self.expected(edges, self.values - shift))
        return np.array(ups), np.array(downs)

    def uncertainty(self, lo: float, hi: float) -> float:
        """±1σ uncertainty on the expected background in ``[lo, hi]`` from the covariance."""
        up, down = self.eigen_variations(np.array([lo, hi]))
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.sqrt(np.sum(np.square(0.5 * (up - down)))))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {
            "model": self.model,
            "params": self.params,
            "covariance": self.covariance.tolist(),
            "chi2": self.chi2,
            "ndf": self.ndf,
            "chi2_ndf": self.chi2_ndf,
            "p_value": self.p_value,
            "converged": self.converged,
            "signal": self.signal,
            "signal_error": self.signal_error if math.isfinite(self.signal_error) else None,
            "sqrt_s": self.sqrt_s,
            "edges": self.edges.tolist(),
        }


def _nll(
    mu: NDArray[np.float64], n: NDArray[np.float64], k: NDArray[np.float64]
) -> float:
    if np.any(~(mu > 0.0)) or not np.all(np.isfinite(mu)):
        return math.inf
    return float(np.sum((mu - n * np.log(mu)) / k))


def _deviance(mu: NDArray[Any], n: NDArray[Any], k: NDArray[Any]) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(n > 0, n * np.log(n / mu), 0.0)
    return float(2.0 * np.sum((mu - n + t) / k))


def _log_linear_start(
    design: _Design, n: NDArray[np.float64], k: NDArray[np.float64], mask: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Weighted least squares of ``ln(n/Δm)`` on the basis at the bin centres."""
    ok = mask & (n > 0)
    if int(ok.sum()) < design.n_par:
        raise StatisticsError(
            f"only {int(ok.sum())} non-empty bins to fit {design.n_par} parameters; use wider "
            "bins, a wider range or more events"
        )
    phi_c = design.phi[ok].mean(axis=1)  # basis at the bin (node-averaged) centre
    y = np.log(n[ok] / design.widths[ok])
    sw = np.sqrt(n[ok] / k[ok])
    theta, *_ = np.linalg.lstsq(phi_c * sw[:, None], y * sw, rcond=None)
    return np.asarray(theta)


def _model(
    design: _Design, beta: NDArray[np.float64], template: NDArray[np.float64] | None,
    mu_fixed: float | None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Expected counts (n_bins,) and gradient in the free parameters (n_bins, n_free)."""
    theta = beta[: design.n_par]
    b, grad = design.integrals(theta)
    if template is None:
        return b, grad
    if mu_fixed is not None:
        return b + mu_fixed * template, grad
    return b + beta[-1] * template, np.concatenate([grad, template[:, None]], axis=1)


def _scaled_inverse(info: NDArray[np.float64]) -> NDArray[np.float64] | None:
    d = np.sqrt(np.diag(info))
    if not np.all(np.isfinite(info)) or np.any(~(d > 0)):
        return None
    corr = info / np.outer(d, d)
    lam = np.linalg.eigvalsh(corr)
    if lam[0] <= 1e-13 * lam[-1]:
        return None
    return np.asarray(np.linalg.inv(corr) / np.outer(d, d))


def _fisher_scoring(
    design: _Design, n: NDArray[np.float64], k: NDArray[np.float64], mask: NDArray[np.bool_],
    template: NDArray[np.float64] | None, mu_fixed: float | None, beta: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float, bool]:
    """Minimise the scaled-Poisson NLL of the masked bins; returns (β, nll, converged)."""
    nm, km = n[mask], k[mask]

    def evaluate(b: NDArray[np.float64]) -> tuple[NDArray[Any], NDArray[Any]]:
        mu, g = _model(design, b, template, mu_fixed)
        return mu[mask], g[mask]

    mu, g = evaluate(beta)
    f = _nll(mu, nm, km)
    if not math.isfinite(f):
        return beta, f, False
    for _ in range(_MAX_ITER):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            grad = g.T @ ((1.0 - nm / mu) / km)
            info = (g * (1.0 / (km * mu))[:, None]).T @ g
        inv = _scaled_inverse(info)
        if inv is None:
            return beta, f, False
        step = -inv @ grad
        edm = -0.5 * float(grad @ step)
        if edm < _EDM_TOL:
            return beta, f, True
        t = 1.0
        for _ in range(40):
            trial = beta + t * step
            mu_t, g_t = evaluate(trial)
            f_t = _nll(mu_t, nm, km)
            if f_t <= f + 1e-4 * t * float(grad @ step):
                break
            t *= 0.5
        else:
            # no decrease left: at the minimum to rounding (the NLL is known to < 1e-4,
            # far below what any Z or limit resolves), else a real failure
            return beta, f, edm < _EDM_ACCEPT
        beta, mu, g, f = trial, mu_t, g_t, f_t
    return beta, f, False


def _migrad(
    design: _Design, n: NDArray[np.float64], k: NDArray[np.float64], mask: NDArray[np.bool_],
    template: NDArray[np.float64] | None, mu_fixed: float | None, beta: NDArray[np.float64],
) -> tuple[NDArray[np.float64], float, bool]:
    """Fallback: iminuit MIGRAD on the same NLL and gradient."""
    from iminuit import Minuit

    nm, km = n[mask], k[mask]

    def fcn(b: NDArray[np.float64]) -> float:
        mu, _ = _model(design, np.asarray(b), template, mu_fixed)
        return _nll(mu[mask], nm, km)

    def grad(b: NDArray[np.float64]) -> NDArray[np.float64]:
        mu, g = _model(design, np.asarray(b), template, mu_fixed)
        mu, g = mu[mask], g[mask]
        return np.asarray(g.T @ ((1.0 - nm / mu) / km))

    m = Minuit(fcn, np.asarray(beta, dtype=float), grad=grad)
    m.errordef = Minuit.LIKELIHOOD
    m.strategy = 1
    with np.errstate(all="ignore"):
        m.migrad()
    return np.array(m.values, dtype=float), float(m.fval), bool(m.valid)


def fit_spectrum(
    edges: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    *,
    model: str = "dijet4",
    mask: NDArray[np.bool_] | None = None,
    template: ArrayLike | None = None,
    mu: float | None = None,
    start: ArrayLike | None = None,
    sqrt_s: float = 13000.0,
) -> BackgroundFit:
    """Fit the dijet function (plus an optional signal template) to a histogram.

    Never raises for a fit that does not converge (``converged`` is False); raises for
    input no fit can use.

    Parameters
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin edges [GeV].
    sumw, sumw2 : ndarray, shape (n_bins,)
        Σw and Σw² per bin.
    model : {"dijet3", "dijet4", "dijet5"}
        Background function.
    mask : ndarray of bool, shape (n_bins,), optional
        Bins to fit (default all).
    template : array-like, shape (n_bins,), optional
        Expected signal counts per bin for ``μ = 1``.
    mu : float, optional
        Fix the signal strength (profile fits); default free.
    start : array-like, optional
        Published background parameters to start from (else a log-linear fit).
    sqrt_s : float
        √s [GeV].

    Returns
    -------
    BackgroundFit
    """
    n_par = _n_params(model)
    edges = as_1d("bin edges", edges)
    if edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] <= 0:
        raise DataError("bin edges must be > 0 and strictly increasing")
    sumw = as_1d("sumw", sumw, edges.size - 1)
    sumw2 = as_1d("sumw2", sumw2, edges.size - 1)
    mask = np.ones(sumw.size, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
    if mask.shape != sumw.shape:
        raise DataError(f"mask has shape {mask.shape}; it needs one entry per bin {sumw.shape}")
    if np.any(sumw[mask] < 0.0):
        bad = np.flatnonzero(mask & (sumw < 0.0)).tolist()
        raise StatisticsError(
            f"bins {bad} have a negative sum of weights; the Poisson fit needs >= 0 "
            "(merge bins, or use more events to beat negative MC weights)"
        )
    n_fit = int(mask.sum())
    tmpl = None if template is None else as_1d("signal template", template, sumw.size)
    n_free = n_par + (1 if tmpl is not None and mu is None else 0)
    if n_fit < n_free + 1:
        raise StatisticsError(
            f"only {n_fit} bins to fit {n_free} parameters; use more bins or a narrower "
            "masked window"
        )
    if float(sumw[mask].sum()) <= 0.0:
        raise StatisticsError("the fitted bins are empty; check the mjj range and the cut")
    design = _Design(edges, float(sqrt_s), n_par)
    k = scale_factors(sumw, sumw2)
    if start is not None and np.all(np.isfinite(start)) and np.size(start) == n_par:
        theta0 = design.to_internal(np.asarray(start, dtype=float))
    else:
        theta0 = _log_linear_start(design, sumw, k, mask)
    beta0 = theta0 if n_free == n_par else np.append(theta0, 0.0)
    beta, f, ok = _fisher_scoring(design, sumw, k, mask, tmpl, mu, beta0)
    if not ok:
        beta, f, ok = _migrad(design, sumw, k, mask, tmpl, mu, beta0)
    return _result(design, edges, sumw, sumw2, k, mask, tmpl, mu, beta, f, ok, model, sqrt_s)


def _result(
    design: _Design, edges: NDArray[np.float64], sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64], k: NDArray[np.float64], mask: NDArray[np.bool_],
    tmpl: NDArray[np.float64] | None, mu_fixed: float | None, beta: NDArray[np.float64],
    f: float, ok: bool, model: str, sqrt_s: float,
) -> BackgroundFit:
    n_par = design.n_par
    n_free = beta.size
    values = np.full(n_par, np.nan)
    cov = np.full((n_par, n_par), np.nan)
    chi2 = float("nan")
    sig: float | None = None if tmpl is None else (mu_fixed if mu_fixed is not None else beta[-1])
    sig_err = float("nan")
    converged = False
    if ok and np.all(np.isfinite(beta)):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            mu_vec, g = _model(design, beta, tmpl, mu_fixed)
            info = (g[mask] * (1.0 / (k[mask] * mu_vec[mask]))[:, None]).T @ g[mask]
        inv = _scaled_inverse(info)
        values = design.to_public(beta[:n_par])
        chi2 = _deviance(mu_vec[mask], sumw[mask], k[mask])
        if inv is not None:
            minv = np.linalg.inv(design.m)
            cov = minv @ inv[:n_par, :n_par] @ minv.T
            if n_free > n_par:
                sig_err = float(math.sqrt(max(inv[-1, -1], 0.0)))
            converged = True
    ndf = int(mask.sum()) - n_free
    p_value = float(sps.chi2.sf(chi2, ndf)) if (ndf > 0 and math.isfinite(chi2)) else float("nan")
    return BackgroundFit(
        edges=edges, counts=sumw, sumw2=sumw2, fit_mask=mask.copy(), values=values,
        covariance=cov, chi2=chi2, ndf=ndf, p_value=p_value, converged=bool(converged),
        sqrt_s=sqrt_s, model=model, signal=None if sig is None else float(sig),
        signal_error=sig_err, signal_template=tmpl, nll=float(f),
    )
