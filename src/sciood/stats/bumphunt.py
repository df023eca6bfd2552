"""Bump hunt on the search observable (``mjj``) after a cut on the anomaly score.

The background model is the standard 4-parameter dijet function

    dN/dm = p0 (1 − x)^p1 / x^(p2 + p3 ln x),   x = m / √s,

fitted with iminuit to the binned spectrum.  ``p0`` is fitted as ``ln_p0`` (the density
is per GeV), so it stays positive and well scaled.

Weighted events: the fit uses iminuit's ``ExtendedBinnedNLL`` with per-bin
``(Σw, Σw²)``, i.e. the Bohm–Zech *scaled Poisson* likelihood: in bin i the effective
count ``n_i = Σw · (Σw/Σw²)`` is treated as Poisson with mean ``μ_i · (Σw/Σw²)``.  For
unit weights this is exactly the Poisson likelihood.  Significances in a window use the
same effective-count scaling.

The scan slides windows of a fixed number of (log-spaced) bins over the spectrum; for
each window the background is refitted with the window masked, its prediction ``b`` and
uncertainty ``σ_b`` (fit covariance propagated) enter the profile-likelihood counting
significance (observed: :func:`~sciood.stats.significance.observed_significance`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError, UnknownNameError
from sciood.stats.significance import (
    counting_significance,
    gross_vitells_p,
    observed_significance,
    p_to_z,
    upcrossings,
)

__all__ = [
    "BackgroundFit",
    "HuntResult",
    "bump_hunt",
    "cut_threshold_for_efficiency",
    "default_range",
    "dijet_function",
    "fit_background",
    "log_bins",
]

log = logging.getLogger(__name__)

_MODELS = ("dijet4",)
_PARAM_NAMES = ("ln_p0", "p1", "p2", "p3")
_GL_T, _GL_W = np.polynomial.legendre.leggauss(6)
_STARTS = ((10.0, 5.0, 0.0), (5.0, 8.0, 0.5), (20.0, 3.0, -0.5), (1.0, 10.0, 1.0))


def dijet_function(m: ArrayLike, params: ArrayLike, sqrt_s: float = 13000.0) -> NDArray[Any]:
    """Density of the 4-parameter dijet function in events per GeV.

    Parameters
    ----------
    m : array-like, shape (n,)
        Invariant mass [GeV].
    params : array-like, shape (4,)
        ``(ln_p0, p1, p2, p3)``.
    sqrt_s : float
        Centre-of-mass energy [GeV].

    Returns
    -------
    ndarray, shape (n,)
        ``exp(ln_p0) (1−x)^p1 / x^(p2 + p3 ln x)`` with ``x = m/√s``.
    """
    ln_p0, p1, p2, p3 = (float(v) for v in np.asarray(params, dtype=float))
    x = np.asarray(m, dtype=float) / sqrt_s
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lx = np.log(x)
        return np.exp(ln_p0 + p1 * np.log1p(-x) - (p2 + p3 * lx) * lx)


def _bin_integrals(edges: NDArray[Any], params: Sequence[float], sqrt_s: float) -> NDArray[Any]:
    """Expected counts per bin, 6-point Gauss–Legendre per bin (shape (n_bins,))."""
    lo, hi = edges[:-1], edges[1:]
    half = 0.5 * (hi - lo)
    nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GL_T[None, :]
    dens = dijet_function(nodes.ravel(), params, sqrt_s).reshape(nodes.shape)
    return np.asarray((dens * _GL_W[None, :]).sum(axis=1) * half)


def log_bins(lo: float, hi: float, rel_width: float = 0.025) -> NDArray[np.float64]:
    """Log-spaced bin edges with (approximately) constant relative width.

    Parameters
    ----------
    lo, hi : float
        Range [GeV], ``0 < lo < hi``.
    rel_width : float
        Target ``Δm / m`` per bin (the dijet mass resolution is ~5–10 %).

    Returns
    -------
    ndarray, shape (n_bins + 1,)
    """
    if not (0.0 < lo < hi) or not math.isfinite(hi):
        raise DataError(f"bin range ({lo}, {hi}) must satisfy 0 < lo < hi")
    if not 0.0 < rel_width < 1.0:
        raise DataError(f"rel_width = {rel_width} must be in (0, 1)")
    n = max(1, round(math.log(hi / lo) / math.log1p(rel_width)))
    return np.geomspace(lo, hi, n + 1)


@dataclass
class BackgroundFit:
    """Result of :func:`fit_background`.

    Attributes
    ----------
    edges : ndarray, shape (n_bins + 1,)
        Bin edges [GeV].
    counts, sumw2 : ndarray, shape (n_bins,)
        Σw and Σw² per bin of the fitted spectrum.
    fit_mask : ndarray of bool, shape (n_bins,)
        Bins that entered the fit (False inside a masked signal window).
    values : ndarray, shape (4,)
        Best-fit ``(ln_p0, p1, p2, p3)``.
    covariance : ndarray, shape (4, 4)
        Covariance of ``values`` (HESSE).
    chi2 : float
        Baker–Cousins likelihood-ratio χ² of the fitted bins (scaled-Poisson for weights).
    ndf : int
        Fitted bins − 4.
    p_value : float
        χ² p-value of the fit.
    converged : bool
        MIGRAD valid and covariance accurate.
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

    @property
    def params(self) -> dict[str, float]:
        """Best-fit parameters by name."""
        return dict(zip(_PARAM_NAMES, (float(v) for v in self.values), strict=True))

    @property
    def chi2_ndf(self) -> float:
        """χ²/ndf (NaN if ndf <= 0)."""
        return self.chi2 / self.ndf if self.ndf > 0 else float("nan")

    def expected(
        self, edges: ArrayLike | None = None, values: ArrayLike | None = None
    ) -> NDArray[np.float64]:
        """Expected background counts per bin.

        Parameters
        ----------
        edges : array-like, shape (k + 1,), optional
            Any bin edges [GeV]; default the fit's own bins.
        values : array-like, shape (4,), optional
            Parameter values; default the best fit.

        Returns
        -------
        ndarray, shape (k,)
        """
        e = self.edges if edges is None else np.asarray(edges, dtype=float)
        v = self.values if values is None else np.asarray(values, dtype=float)
        return _bin_integrals(e, list(v), self.sqrt_s)

    def eigen_variations(
        self, edges: ArrayLike | None = None
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """±1σ variations along the eigenvectors of the covariance.

        Returns
        -------
        up, down : ndarray, shape (4, k)
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
        """±1σ uncertainty on the expected count in ``[lo, hi]`` from the covariance."""
        up, down = self.eigen_variations(np.array([lo, hi]))
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
            "sqrt_s": self.sqrt_s,
            "edges": self.edges.tolist(),
        }


def _as_1d(name: str, values: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise DataError(f"{name} must be 1-D, got shape {arr.shape}")
    if n is not None and arr.size != n:
        raise DataError(f"{name} has {arr.size} entries but the observable has {n}")
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise DataError(f"{name} has {bad} NaN/inf entries; drop or fix those events first")
    return arr


def _histogram(
    observable: NDArray[np.float64], weights: NDArray[np.float64], edges: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    sumw, _ = np.histogram(observable, bins=edges, weights=weights)
    sumw2, _ = np.histogram(observable, bins=edges, weights=weights * weights)
    return sumw.astype(float), sumw2.astype(float)


def _internal_basis(edges: NDArray[np.float64], sqrt_s: float) -> tuple[float, NDArray[Any]]:
    """Reference ``L0 = ln x0`` (x0 at the geometric bin centre) and the Jacobian.

    The fit runs in a decorrelated basis ``θ = (a, p1, q2, p3)`` with
    ``ln f = a + p1 ln(1−x) − q2 u − p3 u²``, ``u = ln x − L0``, which is the same
    function family (a quadratic in ``ln x`` re-centred at ``L0``) but far better
    conditioned for MIGRAD.  ``J = ∂(ln_p0, p1, p2, p3)/∂θ`` maps values and covariance
    back to the published parametrisation.
    """
    l0 = float(0.5 * (math.log(edges[0]) + math.log(edges[-1])) - math.log(sqrt_s))
    jac = np.array(
        [
            [1.0, 0.0, l0, -l0 * l0],
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, -2.0 * l0],
            [0.0, 0.0, 0.0, 1.0],
        ]
    )
    return l0, jac


def _to_internal(values: Sequence[float], l0: float) -> list[float]:
    ln_p0, p1, p2, p3 = (float(v) for v in values)
    q2 = p2 + 2.0 * p3 * l0
    return [ln_p0 - q2 * l0 + p3 * l0 * l0, p1, q2, p3]


def _internal_integrals(
    edges: NDArray[Any], theta: Sequence[float], sqrt_s: float, l0: float, grad: bool = False
) -> NDArray[Any]:
    """Bin integrals (shape (n_bins,)) or their gradient (shape (4, n_bins)) in θ."""
    a, p1, q2, p3 = theta
    lo, hi = edges[:-1], edges[1:]
    half = 0.5 * (hi - lo)
    nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GL_T[None, :]
    x = nodes / sqrt_s
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        l1 = np.log1p(-x)
        u = np.log(x) - l0
        dens = np.exp(a + p1 * l1 - (q2 + p3 * u) * u) * _GL_W[None, :] * half[:, None]
        if not grad:
            return np.asarray(dens.sum(axis=1))
        return np.stack(
            [dens.sum(1), (dens * l1).sum(1), -(dens * u).sum(1), -(dens * u * u).sum(1)]
        )


def _fisher_covariance(
    edges: NDArray[np.float64],
    theta: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    mask: NDArray[np.bool_],
    sqrt_s: float,
    l0: float,
) -> NDArray[np.float64] | None:
    """Covariance of θ as the inverse expected (Fisher) information of the fitted bins.

    ``F = Σ_i s_i ∇μ_i ∇μ_iᵀ / μ_i`` with the Bohm–Zech scale ``s_i = Σw/Σw²``.
    Written by hand because MINUIT's HESSE takes numerical second derivatives, which for
    the nearly degenerate dijet parameters (p1 vs p3 over a narrow x range) often come out
    non-positive ("forced pos. def."); the analytic Fisher matrix is exact for this model.
    Returns ``None`` if it is singular.
    """
    mu = _internal_integrals(edges, list(theta), sqrt_s, l0)
    g = _internal_integrals(edges, list(theta), sqrt_s, l0, grad=True)
    pos = sumw2 > 0
    s_med = float(np.median(np.abs(sumw[pos]) / sumw2[pos])) if np.any(pos) else 1.0
    s = np.where(pos, np.abs(sumw) / np.where(pos, sumw2, 1.0), s_med)
    ok = mask & (mu > 0) & np.isfinite(mu)
    if ok.sum() < 4:
        return None
    gm = g[:, ok]
    fisher = (gm * (s[ok] / mu[ok])) @ gm.T
    if not np.all(np.isfinite(fisher)):
        return None
    # scale to unit diagonal before inverting (condition number of the raw matrix is huge)
    d = np.sqrt(np.diag(fisher))
    if np.any(d <= 0):
        return None
    corr = fisher / np.outer(d, d)
    lam = np.linalg.eigvalsh(corr)
    if lam[0] <= 1e-13 * lam[-1]:
        return None
    return np.asarray(np.linalg.inv(corr) / np.outer(d, d))


def _fit_hist(
    edges: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    mask: NDArray[np.bool_],
    sqrt_s: float,
    start: Sequence[float] | None = None,
) -> BackgroundFit:
    """Fit the dijet function to a histogram; never raises on non-convergence.

    ``start`` is in the published parametrisation ``(ln_p0, p1, p2, p3)``.
    """
    from iminuit import Minuit, cost

    if np.any(sumw[mask] < 0.0):
        bad = np.flatnonzero(mask & (sumw < 0.0)).tolist()
        raise StatisticsError(
            f"bins {bad} have a negative sum of weights; the Poisson fit needs >= 0 "
            "(merge bins, or use more events to beat negative MC weights)"
        )
    n_fit = int(mask.sum())
    if n_fit < len(_PARAM_NAMES) + 1:
        raise StatisticsError(
            f"only {n_fit} bins to fit 4 parameters; use more bins or a narrower masked window"
        )
    if float(sumw[mask].sum()) <= 0.0:
        raise StatisticsError("the fitted bins are empty; check the mjj range and the cut")
    l0, jac = _internal_basis(edges, sqrt_s)

    def scaled_cdf(xe: NDArray[Any], a: float, p1: float, q2: float, p3: float) -> Any:
        return np.concatenate(
            [[0.0], np.cumsum(_internal_integrals(xe, (a, p1, q2, p3), sqrt_s, l0))]
        )

    def scaled_cdf_grad(xe: NDArray[Any], a: float, p1: float, q2: float, p3: float) -> Any:
        g = _internal_integrals(xe, (a, p1, q2, p3), sqrt_s, l0, grad=True)
        return np.concatenate([np.zeros((4, 1)), np.cumsum(g, axis=1)], axis=1)

    c = cost.ExtendedBinnedNLL(
        np.stack([sumw, sumw2], axis=-1), edges, scaled_cdf, grad=scaled_cdf_grad
    )
    c.mask = mask
    total = float(sumw[mask].sum())
    starts: list[list[float]] = []
    if start is not None and np.all(np.isfinite(start)):
        starts.append(_to_internal(start, l0))
    for p1, q2, p3 in _STARTS:
        integ = float(_internal_integrals(edges, (0.0, p1, q2, p3), sqrt_s, l0)[mask].sum())
        starts.append([math.log(total / integ), p1, q2, p3])
    best = None
    for s0 in starts:
        m = Minuit(c, *s0, name=("a", "p1", "q2", "p3"))
        m.strategy = 1
        with np.errstate(all="ignore"):
            m.migrad()
        if m.valid and (best is None or m.fval < best.fval - 1e-6):
            best = m
            break  # first valid minimum wins; further starts only rescue failures
    values = np.full(4, np.nan)
    cov = np.full((4, 4), np.nan)
    chi2 = float("nan")
    converged = False
    if best is not None:
        theta = np.array(best.values, dtype=float)
        a, p1, q2, p3 = theta
        values = np.array([a + q2 * l0 - p3 * l0 * l0, p1, q2 - 2.0 * p3 * l0, p3])
        chi2 = float(best.fval)
        cov_int = _fisher_covariance(edges, theta, sumw, sumw2, mask, sqrt_s, l0)
        if cov_int is not None:
            cov = jac @ cov_int @ jac.T
            converged = True
    ndf = n_fit - len(_PARAM_NAMES)
    p_value = float(sps.chi2.sf(chi2, ndf)) if (ndf > 0 and math.isfinite(chi2)) else float("nan")
    return BackgroundFit(
        edges=edges,
        counts=sumw,
        sumw2=sumw2,
        fit_mask=mask.copy(),
        values=values,
        covariance=cov,
        chi2=chi2,
        ndf=ndf,
        p_value=p_value,
        converged=bool(converged),
        sqrt_s=sqrt_s,
    )


def fit_background(
    observable: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    model: str = "dijet4",
    sidebands: Sequence[tuple[float, float]] | None = None,
    mask_window: tuple[float, float] | None = None,
    bins: int | ArrayLike | None = None,
    mjj_range: tuple[float, float] | None = None,
    sqrt_s: float = 13000.0,
) -> BackgroundFit:
    """Fit the 4-parameter dijet function to the binned observable.

    Parameters
    ----------
    observable : array-like, shape (n_events,)
        Search observable, e.g. ``mjj`` [GeV].
    weights : array-like, shape (n_events,), optional
        Event weights (expected events); the fit uses Σw and Σw² per bin (scaled Poisson).
    model : {"dijet4"}
        Background function.
    sidebands : sequence of (lo, hi), optional
        Only bins fully inside these ranges are fitted.
    mask_window : (lo, hi), optional
        Bins overlapping this window are excluded from the fit (signal region).
    bins : int or array-like, optional
        Bin edges, or a number of log-spaced bins; default ~2.5 % wide log bins.
    mjj_range : (lo, hi), optional
        Fit range; default :func:`default_range` (above the turn-on peak to the maximum).
    sqrt_s : float
        √s [GeV] for ``x = m/√s``.

    Returns
    -------
    BackgroundFit

    Raises
    ------
    StatisticsError
        If the fit does not converge, a bin has a negative sum of weights, or too few
        bins remain.
    DataError
        On NaN input or shape mismatch.

    Examples
    --------
    >>> fit = fit_background(mjj, w, mjj_range=(2600, 5000))            # doctest: +SKIP
    >>> fit.chi2_ndf, fit.expected([3300, 3700])                         # doctest: +SKIP
    """
    if model not in _MODELS:
        raise UnknownNameError("background model", model, list(_MODELS))
    obs = _as_1d("observable", observable)
    w = np.ones_like(obs) if weights is None else _as_1d("weights", weights, obs.size)
    edges = _make_edges(obs, bins, mjj_range, w)
    sumw, sumw2 = _histogram(obs, w, edges)
    mask = np.ones(sumw.size, dtype=bool)
    if sidebands is not None:
        inside = np.zeros_like(mask)
        for lo, hi in sidebands:
            inside |= (edges[:-1] >= lo) & (edges[1:] <= hi)
        mask &= inside
    if mask_window is not None:
        lo, hi = mask_window
        mask &= ~((edges[1:] > lo) & (edges[:-1] < hi))
    fit = _fit_hist(edges, sumw, sumw2, mask, float(sqrt_s))
    if not fit.converged:
        raise StatisticsError(
            "the dijet-function fit did not converge (MIGRAD invalid or covariance not "
            "accurate); check the mjj range starts above the trigger turn-on, use coarser "
            "bins, or more events"
        )
    return fit


def default_range(
    observable: ArrayLike,
    weights: ArrayLike | None = None,
    rel_width: float = 0.025,
    turn_on_margin: float = 0.10,
) -> tuple[float, float]:
    """Default hunt range: from above the trigger turn-on to the largest value.

    The (weighted) spectrum is histogrammed in log bins of ``rel_width``; if its maximum
    is not the first bin (a turn-on is visible), the range starts ``turn_on_margin``
    (relative) above the upper edge of the peak bin, where the spectrum falls as the
    dijet function assumes (on generated QCD with a 1.2 TeV leading-jet cut, starting
    right at the peak left a Z ≈ 3 fake bump from the rounded turn-on; +10 % removed it).
    Pass ``mjj_range`` explicitly for a real analysis (start where the trigger is fully
    efficient).

    Parameters
    ----------
    observable : array-like, shape (n,)
        ``mjj`` [GeV] (before any score cut).
    weights : array-like, shape (n,), optional
        Event weights (the peak is located in the weighted spectrum, so samples generated
        in pT-hat slices are handled).
    rel_width : float
        Relative bin width used to locate the peak.
    turn_on_margin : float
        Relative distance kept above the peak.

    Returns
    -------
    (lo, hi) : tuple of float
    """
    obs = np.asarray(observable, dtype=float)
    w = np.ones_like(obs) if weights is None else np.asarray(weights, dtype=float)
    good = np.isfinite(obs) & (obs > 0) & np.isfinite(w)
    obs, w = obs[good], w[good]
    if obs.size == 0:
        raise DataError("no events: pass a non-empty observable or explicit bins")
    lo, hi = float(obs.min()), float(np.nextafter(obs.max(), np.inf))
    if not lo < hi:
        raise DataError("all observable values are equal; cannot define a mass range")
    edges = log_bins(lo, hi, rel_width)
    counts, _ = np.histogram(obs, edges, weights=w)
    peak = int(np.argmax(counts))
    if 0 < peak < counts.size - 2:
        lo = min(float(edges[peak + 1]) * (1.0 + turn_on_margin), float(edges[-3]))
    log.info("default hunt range %.0f-%.0f GeV (pass mjj_range to override)", lo, hi)
    return lo, hi


def _make_edges(
    obs: NDArray[np.float64],
    bins: int | ArrayLike | None,
    mjj_range: tuple[float, float] | None,
    weights: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    if bins is not None and np.ndim(bins) == 1:
        edges = np.asarray(bins, dtype=float)
        if edges.size < 2 or np.any(np.diff(edges) <= 0) or not np.all(np.isfinite(edges)):
            raise DataError("bins must be strictly increasing finite edges")
        return edges
    if mjj_range is None:
        mjj_range = default_range(obs, weights)
    lo, hi = float(mjj_range[0]), float(mjj_range[1])
    if bins is None:
        return log_bins(lo, hi)
    n = int(np.asarray(bins))
    if n < 1:
        raise DataError(f"bins = {n} must be >= 1")
    if not (0.0 < lo < hi):
        raise DataError(f"mjj_range ({lo}, {hi}) must satisfy 0 < lo < hi")
    return np.geomspace(lo, hi, n + 1)


def cut_threshold_for_efficiency(
    score: ArrayLike, weights: ArrayLike | None, efficiency: float
) -> float:
    """Score threshold keeping a weighted fraction ``efficiency`` of the events.

    Parameters
    ----------
    score : array-like, shape (n,)
        Anomaly scores (higher = more anomalous).
    weights : array-like, shape (n,), optional
        Event weights (negative allowed; the cumulative sum is taken in score order).
    efficiency : float
        Fraction to keep, in (0, 1].

    Returns
    -------
    float
        Threshold ``t``; keep events with ``score >= t``.
    """
    s = _as_1d("score", score)
    if s.size == 0:
        raise DataError("cannot choose a cut threshold on zero events")
    w = np.ones_like(s) if weights is None else _as_1d("weights", weights, s.size)
    if not 0.0 < efficiency <= 1.0:
        raise DataError(f"cut efficiency {efficiency} must be in (0, 1]")
    order = np.argsort(-s, kind="stable")
    cum = np.cumsum(w[order])
    total = cum[-1]
    if total <= 0:
        raise DataError("sum of weights is not positive; cannot define an efficiency")
    idx = int(np.searchsorted(cum / total, efficiency - 1e-12, side="left"))
    return float(s[order][min(idx, s.size - 1)])


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


def _scan(
    edges: NDArray[np.float64],
    sumw: NDArray[np.float64],
    sumw2: NDArray[np.float64],
    windows: NDArray[np.int64],
    sqrt_s: float,
    start: Sequence[float] | None,
    pad: int = 0,
) -> _Scan:
    """Refit with each window (plus ``pad`` guard bins per side) masked; observed Z per window."""
    nw = windows.shape[0]
    nan = np.full(nw, np.nan)
    out = _Scan(
        n=nan.copy(),
        b=nan.copy(),
        sigma_b=nan.copy(),
        scale=nan.copy(),
        z=nan.copy(),
        p_bh=nan.copy(),
        failed=np.zeros(nw, dtype=bool),
    )
    pos = sumw2 > 0
    k_global = float(np.median(sumw2[pos] / np.abs(sumw[pos]))) if np.any(pos) else 1.0
    for i, (a, bnd) in enumerate(windows):
        mask = np.ones(sumw.size, dtype=bool)
        mask[max(a - pad, 0) : bnd + pad] = False
        try:
            fit = _fit_hist(edges, sumw, sumw2, mask, sqrt_s, start)
        except StatisticsError:
            out.failed[i] = True
            continue
        if not fit.converged:
            out.failed[i] = True
            continue
        lo, hi = edges[a], edges[bnd]
        b = float(fit.expected(np.array([lo, hi]))[0])
        sig = fit.uncertainty(lo, hi)
        n = float(sumw[a:bnd].sum())
        n2 = float(sumw2[a:bnd].sum())
        k = n2 / n if n > 0 and n2 > 0 else k_global
        out.n[i], out.b[i], out.sigma_b[i], out.scale[i] = n, b, sig, k
        if not (b > 0 and math.isfinite(b) and math.isfinite(sig)):
            out.failed[i] = True
            continue
        out.z[i] = observed_significance(max(n, 0.0) / k, b / k, sig / k)
        # BumpHunter window p-value: Poisson P(N >= n | b) for excesses, 1 for deficits
        out.p_bh[i] = float(special.gammainc(n / k, b / k)) if n > b else 1.0
    return out


@dataclass
class HuntResult:
    """Outcome of :func:`bump_hunt`.

    Observed quantities come from the data counts; *expected* (Asimov) ones use the
    known signal truth (``is_signal``) and are ``None`` without it.

    Attributes
    ----------
    windows : ndarray, shape (n_windows, 2)
        Scanned windows [GeV] (lo, hi).
    n_observed, b_expected, sigma_b : ndarray, shape (n_windows,)
        Σw in the window, background predicted by the fit with the window masked and its
        ±1σ fit uncertainty.
    z_local_observed : ndarray, shape (n_windows,)
        Observed local significance per window (NaN where the window fit failed; those
        windows are listed in ``flags`` and never chosen as best).
    p_local_observed : ndarray, shape (n_windows,)
    best_window : (float, float)
        Window with the largest observed local significance.
    local_z_observed, local_p_observed : float
        Its observed local significance / p-value.
    local_z_expected : float or None
        Expected (Asimov) local significance of the injected signal in the window where
        it is largest (needs ``is_signal``): true signal ``s`` and true background ``b``
        in the window (MC truth), with the masked fit's relative uncertainty on ``b``.
    global_z_observed, global_p_observed : float or None
        Observed global significance (look-elsewhere corrected); ``None`` when no toys.
    global_method : str
        ``"toys"``, ``"gross-vitells"`` (too few toys above the observed Z) or ``"none"``.
    global_z_gross_vitells : float or None
        Gross–Vitells estimate (always given when toys ran).
    n_toys, n_toys_failed : int
        Toys requested / toys whose scan failed. A toy redraws the binned spectrum from
        the background-only fit and reruns every masked window fit and the scan; the
        anomaly score (and hence the cut) is *not* retrained per toy.
    bumphunter_t : float
        BumpHunter statistic ``−ln(min_window p)`` with Poisson window p-values.
    bumphunter_global_p : float or None
        Fraction of toys with a larger BumpHunter statistic.
    fake_bump_z : float or None
        Largest local significance on the background-only sample after the same cut
        (sculpting guard); ``None`` if no background-only sample was available.
    sculpting_flag : bool or None
        ``fake_bump_z >= sculpt_z_threshold``.
    flags : list of str
        Warnings (failed windows, poor fit, sculpting, unchecked sculpting, ...).
    """

    edges: NDArray[np.float64]
    counts: NDArray[np.float64]
    sumw2: NDArray[np.float64]
    windows: NDArray[np.float64]
    n_observed: NDArray[np.float64]
    b_expected: NDArray[np.float64]
    sigma_b: NDArray[np.float64]
    z_local_observed: NDArray[np.float64]
    p_local_observed: NDArray[np.float64]
    best_index: int
    best_window: tuple[float, float]
    local_z_observed: float
    local_p_observed: float
    background_fit: BackgroundFit
    cut_threshold: float | None
    cut_eff_b: float | None
    n_events_after_cut: int
    local_z_expected: float | None = None
    z_local_expected: NDArray[np.float64] | None = None
    global_z_observed: float | None = None
    global_p_observed: float | None = None
    global_method: str = "none"
    global_z_gross_vitells: float | None = None
    n_toys: int = 0
    n_toys_failed: int = 0
    toy_max_z: NDArray[np.float64] | None = field(default=None, repr=False)
    gv_u0: float = 1.0
    gv_mean_upcrossings: float | None = None
    bumphunter_t: float = float("nan")
    bumphunter_global_p: float | None = None
    fake_bump_z: float | None = None
    fake_bump_window: tuple[float, float] | None = None
    sculpting_flag: bool | None = None
    flags: list[str] = field(default_factory=list)
    timing_s: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (per-window arrays as lists, NaN as None)."""

        def clean(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer | np.bool_):
                return v.item()
            return v

        skip = {"background_fit", "toy_max_z", "counts", "sumw2", "edges"}
        out = {k: clean(v) for k, v in self.__dict__.items() if k not in skip}
        out["background_fit"] = self.background_fit.to_dict()
        return out

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (atomic write)."""
        from sciood.data.store import atomic_write_bytes

        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=1).encode())


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
    starts = np.arange(edge_bins, n_bins - edge_bins - width + 1)
    if starts.size == 0:
        raise DataError(
            f"no room for {width}-bin windows in {n_bins} bins with {edge_bins} sideband bins "
            "on each side; widen mjj_range or use finer bins"
        )
    return np.stack([starts, starts + width], axis=1).astype(np.int64)


def _apply_cut(
    score: NDArray[np.float64] | None,
    weights: NDArray[np.float64],
    bkg_mask: NDArray[np.bool_],
    cut_eff_b: float | None,
    cut_threshold: float | None,
) -> tuple[NDArray[np.bool_], float | None, float | None]:
    n = weights.size
    if score is None:
        if cut_eff_b is not None or cut_threshold is not None:
            raise DataError("a cut was requested but score is None; pass the anomaly scores")
        return np.ones(n, dtype=bool), None, None
    if cut_eff_b is not None and cut_threshold is not None:
        raise DataError("pass either cut_eff_b or cut_threshold, not both")
    if cut_eff_b is not None:
        cut_threshold = cut_threshold_for_efficiency(score[bkg_mask], weights[bkg_mask], cut_eff_b)
    if cut_threshold is None:
        return np.ones(n, dtype=bool), None, None
    keep = score >= cut_threshold
    wb = weights[bkg_mask]
    eff = float(wb[keep[bkg_mask]].sum() / wb.sum()) if wb.sum() > 0 else float("nan")
    return keep, float(cut_threshold), eff


def bump_hunt(
    observable: ArrayLike,
    score: ArrayLike | None = None,
    weights: ArrayLike | None = None,
    *,
    cut_eff_b: float | None = None,
    cut_threshold: float | None = None,
    is_signal: ArrayLike | None = None,
    background_reference: tuple[ArrayLike, ArrayLike | None, ArrayLike | None] | None = None,
    bins: int | ArrayLike | None = None,
    mjj_range: tuple[float, float] | None = None,
    windows: int | Sequence[tuple[float, float]] | None = None,
    window_rel_width: float = 0.10,
    edge_bins: int = 2,
    mask_pad_bins: int = 0,
    sqrt_s: float = 13000.0,
    n_toys: int = 100,
    gv_u0: float = 1.0,
    min_toys_above: int = 10,
    sculpt_z_threshold: float = 3.0,
    model: Literal["dijet4"] = "dijet4",
    luminosity: float | None = None,
    seed: int = 0,
) -> HuntResult:
    """Fit-based sliding-window bump hunt after a cut on the anomaly score.

    Parameters
    ----------
    observable : array-like, shape (n_events,)
        Search observable (``mjj`` [GeV]).
    score : array-like, shape (n_events,), optional
        Anomaly scores (higher = more anomalous). ``None``: mjj-only hunt, no cut.
    weights : array-like, shape (n_events,), optional
        Event weights in expected events (e.g. ``weight × luminosity``).
    cut_eff_b : float, optional
        Keep this weighted fraction of the background. With ``is_signal`` the fraction is
        computed on true background; without it on all events (data are assumed to be
        background-dominated, as in a real search).
    cut_threshold : float, optional
        Keep ``score >= cut_threshold`` (alternative to ``cut_eff_b``).
    is_signal : array-like of bool, shape (n_events,), optional
        Truth labels (MC studies): enable the expected (Asimov) significance and the
        sculpting guard on the background-only events.
    background_reference : (observable, score, weights), optional
        A separate background-only sample for the sculpting guard when the hunted sample
        has no labels; the same threshold is applied to its scores.
    bins : int or array-like, optional
        Bin edges or number of log bins; default ~2.5 % log bins over ``mjj_range``.
    mjj_range : (lo, hi), optional
        Range of the hunt [GeV]; default :func:`default_range` of the observable before
        the cut (just above the trigger turn-on peak to the maximum).
    windows : int or sequence of (lo, hi), optional
        Window width in bins, or explicit windows [GeV]; default ~``window_rel_width``.
    window_rel_width : float
        Target ``Δm/m`` of a window (resolution-tied, ~10 %).
    edge_bins : int
        Windows keep at least this many bins of sideband at each end of the range.
    mask_pad_bins : int
        Guard bins masked on each side of a window in its background fit (keeps signal
        tails out of the fit at the price of a larger σ_b); counted events are only those
        in the window.  Default 0: on toy spectra padding lowered the median observed Z
        (see docs/statistics.md).
    sqrt_s : float
        √s [GeV].
    n_toys : int
        Background-only toys for the global significance (0: skip).
    gv_u0 : float
        Reference level (q0 units) for the Gross–Vitells upcrossings.
    min_toys_above : int
        If fewer toys than this exceed the observed maximum local Z, the global
        significance is the Gross–Vitells estimate instead of the toy fraction.
    sculpt_z_threshold : float
        A fake bump on background-only at or above this Z raises ``sculpting_flag``.
    model : {"dijet4"}
        Background function.
    luminosity : float, optional
        If given, the *expected* (Asimov) significance is quoted at this luminosity:
        ``s = L Σw_s``, ``b = L Σw_b`` with weights in expected events per unit
        luminosity (e.g. per fb⁻¹).  Default: the effective counts of the sample at hand
        (``(Σw)²/Σw²``), the same scale as the observed significance.  The fit's
        relative background uncertainty is rescaled to the luminosity (∝ 1/√count).
    seed : int
        Seed for the toys.

    Returns
    -------
    HuntResult

    Raises
    ------
    DataError
        NaN input, mismatched shapes, empty selection.
    StatisticsError
        Global background fit fails, or every window fit fails.

    Examples
    --------
    >>> res = bump_hunt(es.column("mjj"), scores, es.weights, cut_eff_b=0.1)  # doctest: +SKIP
    >>> res.best_window, res.local_z_observed, res.global_z_observed         # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if model not in _MODELS:
        raise UnknownNameError("background model", model, list(_MODELS))
    if luminosity is not None and not (math.isfinite(luminosity) and luminosity > 0):
        raise DataError(f"luminosity = {luminosity} must be a positive number (e.g. in fb^-1)")
    obs = _as_1d("observable", observable)
    if obs.size == 0:
        raise DataError("observable is empty; nothing to hunt in")
    w = np.ones_like(obs) if weights is None else _as_1d("weights", weights, obs.size)
    sc = None if score is None else _as_1d("score", score, obs.size)
    truth = None
    if is_signal is not None:
        truth = np.asarray(is_signal).astype(bool).ravel()
        if truth.size != obs.size:
            raise DataError(f"is_signal has {truth.size} entries, observable has {obs.size}")
    bkg_mask = ~truth if truth is not None else np.ones(obs.size, dtype=bool)
    edges = _make_edges(obs, bins, mjj_range, w)
    win = _make_windows(edges, windows, window_rel_width, edge_bins)
    keep, thr, eff = _apply_cut(sc, w, bkg_mask, cut_eff_b, cut_threshold)
    pad = int(mask_pad_bins)
    if pad < 0:
        raise DataError(f"mask_pad_bins = {pad} must be >= 0")
    flags: list[str] = []
    sumw, sumw2 = _histogram(obs[keep], w[keep], edges)
    if float(sumw.sum()) <= 0:
        raise DataError("no events in the hunt range after the cut; loosen the cut or the range")

    gfit = _fit_hist(edges, sumw, sumw2, np.ones(sumw.size, dtype=bool), float(sqrt_s))
    if not gfit.converged:
        raise StatisticsError(
            "the background-only dijet fit to the full spectrum did not converge; check the "
            "mjj range (start above the trigger turn-on), the binning and the event count"
        )
    if math.isfinite(gfit.p_value) and gfit.p_value < 0.01:
        flags.append(f"poor global background fit: chi2/ndf = {gfit.chi2_ndf:.2f}")
    start = list(gfit.values)
    sc_obs = _scan(edges, sumw, sumw2, win, float(sqrt_s), start, pad)
    if np.all(sc_obs.failed):
        raise StatisticsError("every window fit failed; use coarser bins or a wider range")
    for i in np.flatnonzero(sc_obs.failed):
        flags.append(f"window {i} ({edges[win[i, 0]]:.0f}-{edges[win[i, 1]]:.0f} GeV) fit failed")
    z = sc_obs.z
    best = int(np.nanargmax(z))
    z_best = float(z[best])
    p_bh = np.where(np.isfinite(sc_obs.p_bh), sc_obs.p_bh, 1.0)
    t_bh = float(-np.log(max(float(p_bh.min()), 1e-300)))

    res = HuntResult(
        edges=edges,
        counts=sumw,
        sumw2=sumw2,
        windows=np.stack([edges[win[:, 0]], edges[win[:, 1]]], axis=1),
        n_observed=sc_obs.n,
        b_expected=sc_obs.b,
        sigma_b=sc_obs.sigma_b,
        z_local_observed=z,
        p_local_observed=sps.norm.sf(z),
        best_index=best,
        best_window=(float(edges[win[best, 0]]), float(edges[win[best, 1]])),
        local_z_observed=z_best,
        local_p_observed=float(sps.norm.sf(z_best)),
        background_fit=gfit,
        cut_threshold=thr,
        cut_eff_b=eff,
        n_events_after_cut=int(keep.sum()),
        bumphunter_t=t_bh,
        gv_u0=gv_u0,
        flags=flags,
    )

    if truth is not None:
        # expected (Asimov): true signal and true background in the window (MC truth),
        # with the relative background uncertainty of the masked fit
        s_hist, _ = _histogram(obs[keep & truth], w[keep & truth], edges)
        b_hist, b2_hist = _histogram(obs[keep & ~truth], w[keep & ~truth], edges)
        z_exp = np.full(win.shape[0], np.nan)
        for iw in range(win.shape[0]):
            a, b_ = int(win[iw, 0]), int(win[iw, 1])
            b_true, b2 = float(b_hist[a:b_].sum()), float(b2_hist[a:b_].sum())
            if sc_obs.failed[iw] or b_true <= 0:
                continue
            # effective counts of this sample, or expected events at the given luminosity
            k_eff = b2 / b_true if b2 > 0 else 1.0
            k = k_eff if luminosity is None else 1.0 / luminosity
            # fit precision scales like the statistics: rel. σ_b ∝ 1/sqrt(effective count)
            rel = sc_obs.sigma_b[iw] / sc_obs.b[iw] * math.sqrt(k / k_eff)
            s = max(float(s_hist[a:b_].sum()), 0.0)
            z_exp[iw] = counting_significance(s / k, b_true / k, rel * b_true / k)
        res.z_local_expected = z_exp
        res.local_z_expected = float(np.nanmax(z_exp))

    _sculpting_guard(
        res,
        obs,
        sc,
        w,
        truth,
        background_reference,
        thr,
        edges,
        win,
        sqrt_s,
        sculpt_z_threshold,
        pad,
    )

    if n_toys > 0:
        _global_from_toys(res, gfit, win, float(sqrt_s), n_toys, gv_u0, min_toys_above, seed, pad)
    res.timing_s = time.perf_counter() - t0
    return res


def _sculpting_guard(
    res: HuntResult,
    obs: NDArray[np.float64],
    sc: NDArray[np.float64] | None,
    w: NDArray[np.float64],
    truth: NDArray[np.bool_] | None,
    reference: tuple[ArrayLike, ArrayLike | None, ArrayLike | None] | None,
    thr: float | None,
    edges: NDArray[np.float64],
    win: NDArray[np.int64],
    sqrt_s: float,
    z_threshold: float,
    pad: int,
) -> None:
    """Hunt on background-only after the same cut; record the largest fake bump."""
    if reference is not None:
        r_obs = _as_1d("background_reference observable", reference[0])
        r_w = (
            np.ones_like(r_obs)
            if reference[2] is None
            else _as_1d("background_reference weights", reference[2], r_obs.size)
        )
        if thr is not None:
            if reference[1] is None:
                raise DataError("background_reference needs scores when a cut is applied")
            r_sc = _as_1d("background_reference score", reference[1], r_obs.size)
            sel = r_sc >= thr
        else:
            sel = np.ones(r_obs.size, dtype=bool)
        b_obs, b_w = r_obs[sel], r_w[sel]
    elif truth is not None:
        sel = ~truth if (sc is None or thr is None) else (~truth & (sc >= thr))
        b_obs, b_w = obs[sel], w[sel]
    else:
        res.flags.append("sculpting not checked: pass is_signal or background_reference")
        return
    sumw, sumw2 = _histogram(b_obs, b_w, edges)
    if float(sumw.sum()) <= 0:
        res.flags.append("sculpting not checked: no background-only events after the cut")
        return
    try:
        gfit = _fit_hist(edges, sumw, sumw2, np.ones(sumw.size, dtype=bool), sqrt_s)
        scan = _scan(edges, sumw, sumw2, win, sqrt_s, list(gfit.values), pad)
    except StatisticsError as exc:
        res.flags.append(f"sculpting check failed: {exc}")
        return
    if np.all(sc_failed := scan.failed):
        res.flags.append("sculpting check failed: every background-only window fit failed")
        return
    i = int(np.nanargmax(np.where(sc_failed, np.nan, scan.z)))
    res.fake_bump_z = float(scan.z[i])
    res.fake_bump_window = (float(edges[win[i, 0]]), float(edges[win[i, 1]]))
    res.sculpting_flag = bool(res.fake_bump_z >= z_threshold)
    if res.sculpting_flag:
        res.flags.append(
            f"SCULPTING: background-only events (after the cut, if any) show a bump of "
            f"Z = {res.fake_bump_z:.2f} at {res.fake_bump_window}; do not trust the hunt"
        )


def _global_from_toys(
    res: HuntResult,
    gfit: BackgroundFit,
    win: NDArray[np.int64],
    sqrt_s: float,
    n_toys: int,
    u0: float,
    min_above: int,
    seed: int,
    pad: int,
) -> None:
    """Background-only toys: redraw the histogram, rerun window fits and the scan."""
    rng = np.random.default_rng(seed)
    mu = gfit.expected()
    pos = gfit.sumw2 > 0
    k_med = float(np.median(gfit.sumw2[pos] / np.abs(gfit.counts[pos]))) if np.any(pos) else 1.0
    k = np.where(pos & (gfit.counts > 0), gfit.sumw2 / np.where(pos, gfit.counts, 1.0), k_med)
    max_z = np.full(n_toys, np.nan)
    t_bh = np.full(n_toys, np.nan)
    z_scans = np.full((n_toys, win.shape[0]), np.nan)
    start = list(gfit.values)
    for t in range(n_toys):
        n_eff = rng.poisson(mu / k).astype(float)
        sumw, sumw2 = k * n_eff, k * k * n_eff
        try:
            sc = _scan(gfit.edges, sumw, sumw2, win, sqrt_s, start, pad)
        except StatisticsError:
            continue
        if np.all(sc.failed):
            continue
        z_scans[t] = sc.z
        max_z[t] = float(np.nanmax(sc.z))
        t_bh[t] = float(-np.log(max(float(np.nanmin(np.where(sc.failed, 1.0, sc.p_bh))), 1e-300)))
    ok = np.isfinite(max_z)
    n_ok = int(ok.sum())
    res.n_toys = n_toys
    res.n_toys_failed = n_toys - n_ok
    res.toy_max_z = max_z
    if n_ok == 0:
        res.flags.append("every toy failed; no global significance")
        return
    above = int(np.sum(max_z[ok] >= res.local_z_observed))
    p_toys = above / n_ok
    res.bumphunter_global_p = float(np.sum(t_bh[ok] >= res.bumphunter_t) / n_ok)
    n_up = float(np.mean(upcrossings(z_scans[ok], u0)))
    res.gv_mean_upcrossings = n_up
    p_gv = gross_vitells_p(res.local_z_observed, n_up, u0)
    res.global_z_gross_vitells = float(max(p_to_z(p_gv), 0.0))
    if above >= min_above:
        res.global_p_observed, res.global_method = p_toys, "toys"
    else:
        res.global_p_observed, res.global_method = p_gv, "gross-vitells"
        res.flags.append(
            f"only {above} of {n_ok} toys exceed the observed Z; global significance from "
            "the Gross-Vitells upcrossing estimate"
        )
    res.global_z_observed = float(max(p_to_z(res.global_p_observed), 0.0))
