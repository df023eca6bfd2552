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

CLs limits (Read 2002) are computed with pyhf; the model is built by
:func:`build_workspace` and exported beside every result.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError

__all__ = [
    "LimitResult",
    "build_workspace",
    "counting_significance",
    "gross_vitells_p",
    "observed_significance",
    "p_to_z",
    "upcrossings",
    "upper_limit",
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


# ----------------------------------------------------------------------------------------
# CLs upper limits with pyhf
# ----------------------------------------------------------------------------------------


def _hist(name: str, values: ArrayLike | None, n_bins: int | None = None) -> NDArray[np.float64]:
    if values is None:
        raise DataError(f"{name} is missing")
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass one value per bin")
    if n_bins is not None and arr.size != n_bins:
        raise DataError(f"{name} has {arr.size} bins but the background has {n_bins}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN/inf; clean the histogram first")
    return arr


def build_workspace(
    signal: ArrayLike,
    background: ArrayLike,
    observed: ArrayLike | None = None,
    *,
    background_variations: Sequence[tuple[ArrayLike, ArrayLike]] = (),
    background_sumw2: ArrayLike | None = None,
    signal_sumw2: ArrayLike | None = None,
    jes_up: tuple[ArrayLike, ArrayLike] | None = None,
    jes_down: tuple[ArrayLike, ArrayLike] | None = None,
    channel: str = "mjj",
) -> dict[str, Any]:
    """Build the pyhf JSON workspace of a binned signal-strength measurement.

    One channel with two samples: ``signal`` (``normfactor`` ``mu``) and ``background``.
    Nuisance parameters: ``bkg_shape_<k>`` (``histosys``, one per eigenvector of the
    background-fit covariance, i.e. the ``(up, down)`` pairs of
    :meth:`BackgroundFit.eigen_variations`), ``staterror`` (MC statistics from the sums of
    squared weights), and ``jes`` (``histosys`` shared by both samples).

    Parameters
    ----------
    signal, background : array-like, shape (n_bins,)
        Nominal expected counts per bin.
    observed : array-like, shape (n_bins,), optional
        Observed counts.  ``None`` uses the background (expected-only / Asimov data).
    background_variations : sequence of (up, down) arrays, each shape (n_bins,)
        Background shape variations (e.g. ±1σ eigen-variations of the fit).
    background_sumw2, signal_sumw2 : array-like, shape (n_bins,), optional
        Sums of squared weights per bin; enable ``staterror``.
    jes_up, jes_down : (signal, background) pair of arrays, optional
        Templates with the jet energy scale shifted up / down (both or neither).
    channel : str
        Channel name.

    Returns
    -------
    dict
        A pyhf workspace specification (JSON-serialisable).
    """
    bkg = _hist("background", background)
    n = bkg.size
    sig = _hist("signal", signal, n)
    if np.any(bkg <= 0.0):
        bad = np.flatnonzero(bkg <= 0.0)
        raise StatisticsError(
            f"background template has non-positive expected counts in bins {bad.tolist()}; "
            "merge or drop those bins (a Poisson model needs b > 0)"
        )
    if np.any(sig < 0.0):
        raise DataError("signal template has negative bins; clip or rebin the signal")
    obs = bkg.copy() if observed is None else _hist("observed", observed, n)
    if np.any(obs < 0.0):
        raise DataError("observed counts must be >= 0")
    if (jes_up is None) != (jes_down is None):
        raise DataError("pass both jes_up and jes_down (signal, background) templates, or neither")

    sig_mods: list[dict[str, Any]] = [{"name": "mu", "type": "normfactor", "data": None}]
    bkg_mods: list[dict[str, Any]] = []
    for k, (up, down) in enumerate(background_variations):
        bkg_mods.append(
            {
                "name": f"bkg_shape_{k}",
                "type": "histosys",
                "data": {
                    "hi_data": _hist(f"background variation {k} up", up, n).tolist(),
                    "lo_data": _hist(f"background variation {k} down", down, n).tolist(),
                },
            }
        )
    if background_sumw2 is not None:
        err = np.sqrt(np.clip(_hist("background_sumw2", background_sumw2, n), 0.0, None))
        bkg_mods.append({"name": "staterror_" + channel, "type": "staterror", "data": err.tolist()})
    if signal_sumw2 is not None:
        err = np.sqrt(np.clip(_hist("signal_sumw2", signal_sumw2, n), 0.0, None))
        sig_mods.append({"name": "staterror_" + channel, "type": "staterror", "data": err.tolist()})
    if jes_up is not None and jes_down is not None:
        for mods, i, label in ((sig_mods, 0, "signal"), (bkg_mods, 1, "background")):
            mods.append(
                {
                    "name": "jes",
                    "type": "histosys",
                    "data": {
                        "hi_data": _hist(f"jes_up {label}", jes_up[i], n).tolist(),
                        "lo_data": _hist(f"jes_down {label}", jes_down[i], n).tolist(),
                    },
                }
            )
    return {
        "channels": [
            {
                "name": channel,
                "samples": [
                    {"name": "signal", "data": sig.tolist(), "modifiers": sig_mods},
                    {"name": "background", "data": bkg.tolist(), "modifiers": bkg_mods},
                ],
            }
        ],
        "observations": [{"name": channel, "data": obs.tolist()}],
        "measurements": [{"name": "signal_strength", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


@dataclass
class LimitResult:
    """A CLs upper limit on the signal strength ``mu``.

    Attributes
    ----------
    observed : float
        Observed 95 % CL upper limit on ``mu`` (from the observed data).
    expected : float
        Median expected limit under the background-only hypothesis.
    expected_band : ndarray, shape (5,)
        Expected limits at −2σ, −1σ, median, +1σ, +2σ.
    cl : float
        Confidence level (0.95).
    method : {"asymptotic", "toys"}
        How CLs was computed.
    workspace : dict
        The pyhf workspace the limit was computed from (export with :meth:`to_json`).
    signal_total : float
        Sum of the nominal signal template, so ``observed * signal_total`` is a limit on
        the number of signal events.
    observed_error : float or None
        Toy (binomial) error of the observed limit for ``method="toys"``.
    flags : list of str
        Warnings, e.g. an expected-band entry the toy scan did not bracket (NaN).
    """

    observed: float
    expected: float
    expected_band: NDArray[np.float64]
    cl: float
    method: str
    workspace: dict[str, Any] = field(repr=False)
    signal_total: float = float("nan")
    n_toys: int = 0
    observed_error: float | None = None
    scan: NDArray[np.float64] | None = field(default=None, repr=False)
    cls_observed: NDArray[np.float64] | None = field(default=None, repr=False)
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (without the workspace)."""
        return {
            "observed_limit_mu": self.observed,
            "expected_limit_mu": self.expected,
            "expected_band_mu": [
                float(x) if math.isfinite(x) else None for x in self.expected_band
            ],
            "flags": self.flags,
            "cl": self.cl,
            "method": self.method,
            "n_toys": self.n_toys,
            "observed_error_mu": self.observed_error,
            "signal_total": self.signal_total,
        }

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write the pyhf workspace (``workspace``) and the result summary as JSON.

        ``path`` receives the workspace (loadable with ``pyhf.Workspace``); a sibling
        ``<stem>.result.json`` receives :meth:`to_dict`.
        """
        from pathlib import Path

        from sciood.data.store import atomic_write_bytes

        p = Path(path)
        atomic_write_bytes(p, json.dumps(self.workspace, indent=1).encode())
        atomic_write_bytes(
            p.with_name(p.stem + ".result.json"), json.dumps(self.to_dict(), indent=1).encode()
        )


def _pyhf_model(spec: dict[str, Any]) -> tuple[Any, Any, Any]:
    import pyhf

    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(spec)
    model = ws.model()
    return pyhf, model, ws.data(model)


def upper_limit(
    signal: ArrayLike,
    background: Any,
    observed: ArrayLike | None = None,
    *,
    background_sumw2: ArrayLike | None = None,
    signal_sumw2: ArrayLike | None = None,
    jes_up: tuple[ArrayLike, ArrayLike] | None = None,
    jes_down: tuple[ArrayLike, ArrayLike] | None = None,
    cl: float = 0.95,
    method: Literal["asymptotic", "toys"] = "asymptotic",
    n_toys: int = 500,
    mu_max: float | None = None,
    scan: ArrayLike | None = None,
    seed: int = 0,
) -> LimitResult:
    """CLs upper limit on the signal strength with pyhf.

    Parameters
    ----------
    signal : array-like, shape (n_bins,)
        Expected signal counts per bin at ``mu = 1``.
    background : BackgroundFit or array-like, shape (n_bins,)
        Either a fitted :class:`~sciood.stats.bumphunt.BackgroundFit` (its prediction in
        its bins is the template and the ±1σ eigen-variations of its covariance become
        ``histosys`` nuisances) or a plain background template.
    observed : array-like, shape (n_bins,), optional
        Observed counts; ``None`` gives the expected-only limit (Asimov data = background).
        With a ``BackgroundFit`` the default is the fitted histogram's counts.
    background_sumw2, signal_sumw2 : array-like, optional
        MC statistics (``staterror``).
    jes_up, jes_down : (signal, background) pairs of arrays, optional
        JES-shifted templates (``histosys`` named ``jes``).
    cl : float
        Confidence level.
    method : {"asymptotic", "toys"}
        Asymptotic formulae (``qtilde``, pyhf's TOMS748 root finding) or pyhf
        pseudo-experiments (``ToyCalculator``, ``n_toys`` per point of ``scan``; the limit
        is the linear interpolation of the CLs curve, ``observed_error`` its toy error).
    n_toys : int
        Toys per tested ``mu`` for ``method="toys"``.
    mu_max : float, optional
        Upper end of the search interval; default chosen from the counts.
    scan : array-like, optional
        ``mu`` values for ``method="toys"``; default 8 points around the asymptotic band.
    seed : int
        Seed for toys (numpy global RNG is seeded locally and restored).

    Returns
    -------
    LimitResult
        Observed / expected limits, ±1σ/±2σ band and the pyhf workspace.

    Raises
    ------
    StatisticsError
        If the limit is not bracketed in ``[0, mu_max]`` or pyhf fails.
    """
    from sciood.stats.bumphunt import BackgroundFit

    variations: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    if isinstance(background, BackgroundFit):
        bkg = background.expected()
        up, down = background.eigen_variations()
        variations = [
            (np.clip(u, 1e-9, None), np.clip(d, 1e-9, None)) for u, d in zip(up, down, strict=True)
        ]
        if observed is None:
            observed = background.counts
    else:
        bkg = _hist("background", background)
    if not 0.0 < cl < 1.0:
        raise DataError(f"cl = {cl} must be in (0, 1), e.g. 0.95")
    spec = build_workspace(
        signal,
        bkg,
        observed,
        background_variations=variations,
        background_sumw2=background_sumw2,
        signal_sumw2=signal_sumw2,
        jes_up=jes_up,
        jes_down=jes_down,
    )
    pyhf, model, data = _pyhf_model(spec)
    s_tot = float(np.sum(spec["channels"][0]["samples"][0]["data"]))
    if s_tot <= 0.0:
        raise StatisticsError("signal template sums to zero; no limit on mu can be set")
    b_tot = float(np.sum(bkg))
    if mu_max is None:
        n_tot = float(np.sum(spec["observations"][0]["data"]))
        mu_max = 10.0 * (max(n_tot - b_tot, 0.0) + 3.0 * math.sqrt(b_tot) + 3.0) / s_tot
    bounds = model.config.suggested_bounds()
    poi = model.config.poi_index
    bounds[poi] = (0.0, max(float(mu_max) * 2.0, 1.0))
    if method not in ("asymptotic", "toys"):
        raise DataError(f"method {method!r} is not one of 'asymptotic', 'toys'")
    kwargs: dict[str, Any] = {"test_stat": "qtilde", "par_bounds": bounds}
    try:
        obs, exp = pyhf.infer.intervals.upper_limits.toms748_scan(
            data, model, 0.0, float(mu_max), level=1.0 - cl, rtol=1e-3, **kwargs
        )
    except pyhf.exceptions.FailedMinimization as exc:
        raise StatisticsError(
            f"the pyhf fit did not converge while scanning mu ∈ [0, {mu_max:g}] ({exc}); "
            "typical of a spectrum with few events per bin: use fewer, wider bins or more "
            "background statistics"
        ) from exc
    except (ValueError, RuntimeError) as exc:
        raise StatisticsError(
            f"CLs limit not found in mu ∈ [0, {mu_max:g}] ({exc}); pass a larger mu_max "
            "or check that the signal template is not negligible"
        ) from exc
    band = np.array([float(x) for x in exp])
    obs_f = float(obs)
    obs_err = None
    grid = cls_obs = None
    if method == "toys":
        if scan is None:
            lo = 0.5 * min(obs_f, float(band[0]))
            hi = 1.5 * max(obs_f, float(band[4]))
            scan = np.linspace(lo, hi, 8)
        grid = np.sort(np.asarray(scan, dtype=float))
        if grid.size < 2 or grid[0] <= 0:
            raise DataError("scan must hold at least two positive mu values")
        # pyhf's numpy backend draws toys from numpy's global RNG (scipy.stats .rvs); seed
        # it locally and restore the caller's state afterwards.
        state = np.random.get_state()  # noqa: NPY002
        np.random.seed(seed)  # noqa: NPY002
        try:
            pts = [_toy_cls(pyhf, model, data, float(m), bounds, int(n_toys)) for m in grid]
        except pyhf.exceptions.FailedMinimization as exc:
            raise StatisticsError(
                f"a pyhf toy fit did not converge ({exc}); use fewer, wider bins or more "
                "background statistics"
            ) from exc
        finally:
            np.random.set_state(state)  # noqa: NPY002
        cls_obs = np.array([p[0] for p in pts])
        cls_err = np.array([p[2] for p in pts])
        cls_exp = np.array([p[1] for p in pts])  # (n_scan, 5)
        obs_f, obs_err = _crossing(grid, cls_obs, 1.0 - cl, cls_err)
        band = np.array([_crossing(grid, cls_exp[:, i], 1.0 - cl)[0] for i in range(5)])
    if not math.isfinite(obs_f):
        raise StatisticsError(
            "the observed CLs curve does not cross the level inside the scanned mu range; "
            "widen `scan`"
        )
    flags = []
    if not np.all(np.isfinite(band)):
        flags.append(
            "expected band not bracketed by the toy scan (NaN entries); widen `scan` to get it"
        )
    return LimitResult(
        observed=obs_f,
        expected=float(band[2]),
        expected_band=band,
        cl=cl,
        method=method,
        workspace=spec,
        signal_total=s_tot,
        n_toys=int(n_toys) if method == "toys" else 0,
        observed_error=obs_err,
        scan=grid,
        cls_observed=cls_obs,
        flags=flags,
    )


def _toy_cls(
    pyhf: Any, model: Any, data: Any, mu: float, bounds: Any, n_toys: int
) -> tuple[float, NDArray[np.float64], float]:
    """Observed CLs, expected CLs band (5,) and the toy error of the observed CLs.

    The expected band is taken from the background-only toys as pyhf does, but with
    numpy's current ``percentile`` (pyhf 0.7's toy band uses a removed numpy keyword).
    """
    calc = pyhf.infer.calculators.ToyCalculator(
        data, model, par_bounds=bounds, test_stat="qtilde", ntoys=n_toys, track_progress=False
    )
    sb, b = calc.distributions(mu)
    clsb, clb, cls = (float(x) for x in calc.pvalues(calc.teststatistic(mu), sb, b))
    per_toy = np.array([float(calc.pvalues(t, sb, b)[2]) for t in b.samples])
    exp = np.percentile(per_toy, 100.0 * sps.norm.cdf([-2.0, -1.0, 0.0, 1.0, 2.0]))
    rel2 = 0.0
    for p in (clsb, clb):
        if p > 0:
            rel2 += (1.0 - p) / (p * n_toys)  # binomial: var(p)/p² = (1-p)/(p N)
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
