"""Limits versus the mass hypothesis (the "Brazil" band), in fb, with HEPData export.

For each mass ``m`` a Gaussian signal of width ``rel_width · m`` (the dijet mass resolution,
default 5 %) is tested against the spectrum with :func:`~sciood.stats.limits.upper_limit`
(profile likelihood with the dijet function floating, the data used once).  The template
is the Gaussian's fraction per bin, so ``mu`` is the number of signal events produced
(before the mjj range cut); the limit in fb is

    σ × BR × A × ε  <  μ_up / L          (``efficiency = 1``, the *visible* cross-section)
    σ × BR          <  μ_up / (L · ε)    (``efficiency`` = A × ε of the signal model)

with ``L`` the integrated luminosity in fb⁻¹.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood import _repr
from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import signal_template
from sciood.stats.limits import LOW_COUNT_THRESHOLD, LimitResult, upper_limit
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["BrazilResult", "brazil_band", "brazil_figure"]


@dataclass
class BrazilResult:
    """Upper limits versus the signal mass hypothesis.

    Attributes
    ----------
    masses : ndarray, shape (n_mass,)
        Tested signal masses [GeV].
    observed : ndarray, shape (n_mass,)
        Observed limits [fb] (NaN where the limit failed, see ``flags``).
    expected : ndarray, shape (5, n_mass)
        Expected limits [fb] at −2σ, −1σ, median, +1σ, +2σ.
    limits : list of LimitResult or None
        The limit on ``mu`` (signal events) per mass, ``None`` where it failed.
    luminosity : float
        Integrated luminosity [fb⁻¹].
    efficiency : float
        Acceptance × efficiency the limits were divided by (1: visible cross-section).
    rel_width : float
        Gaussian width / mass of the signal templates.
    quantity : str
        What the limit is on, e.g. ``"σ × BR × A × ε"``.
    cl : float
        Confidence level.
    flags : list of str
        Per-mass warnings and failures.
    """

    masses: NDArray[np.float64]
    observed: NDArray[np.float64]
    expected: NDArray[np.float64]
    limits: list[LimitResult | None] = field(repr=False)
    luminosity: float
    efficiency: float
    rel_width: float
    quantity: str
    cl: float = 0.95
    flags: list[str] = field(default_factory=list)

    # --- notebook views ------------------------------------------------------------------
    def _rows(self) -> list[tuple[float, float, list[float]]]:
        """``(mass, observed, [−2σ, −1σ, median, +1σ, +2σ])`` per mass [GeV, fb]."""
        m = np.asarray(self.masses, dtype=float).ravel()
        obs = np.asarray(self.observed, dtype=float).ravel()
        exp = np.asarray(self.expected, dtype=float).reshape(5, -1) if np.size(self.expected) \
            else np.full((5, 0), np.nan)
        return [(float(m[i]), float(obs[i]) if i < obs.size else math.nan,
                 [float(x) for x in exp[:, i]] if i < exp.shape[1] else [math.nan] * 5)
                for i in range(m.size)]

    def _summary(self) -> str:
        rows, num = self._rows(), _repr.num
        span = f"{num(rows[0][0])}–{num(rows[-1][0])} GeV" if rows else "no mass"
        cl = num(100 * self.cl) if isinstance(self.cl, int | float) else "?"
        return (f"{self.quantity} limits at {cl} % CL, {_repr.plural(len(rows), 'mass')} "
                f"{span}, L = {num(self.luminosity)} fb⁻¹")

    def __repr__(self) -> str:
        obs = [r[1] for r in self._rows() if math.isfinite(r[1])]
        best = f", observed {_repr.num(min(obs))}–{_repr.num(max(obs))} fb" if obs else ""
        flags = f", {_repr.plural(len(self.flags), 'flag')}" if self.flags else ""
        return f"BrazilResult({self._summary()}{best}{flags})"

    def _repr_html_(self, max_rows: int = 25) -> str:
        """Notebook view: one line per mass, limits in fb with the ±1σ / ±2σ bands."""
        num = _repr.num
        body = [(num(m), num(o), num(e[2]), _repr.interval(e[1], e[3]),
                 _repr.interval(e[0], e[4])) for m, o, e in self._rows()]
        return _repr.html_table(
            f"BrazilResult: {self._summary()}",
            ["mass [GeV]", "observed [fb]", "expected [fb]", "±1σ", "±2σ"], body,
            notes=self.flags, max_rows=max_rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (limits in fb, the per-mass methods and flags)."""

        def lst(a: ArrayLike) -> list[float | None]:
            return [float(x) if math.isfinite(x) else None for x in np.asarray(a, dtype=float)]

        return {
            "quantity": self.quantity,
            "units": "fb",
            "cl": self.cl,
            "luminosity_fb-1": self.luminosity,
            "efficiency": self.efficiency,
            "rel_width": self.rel_width,
            "mass_GeV": lst(self.masses),
            "observed_fb": lst(self.observed),
            "expected_fb": {
                k: lst(self.expected[i])
                for i, k in enumerate(("-2sigma", "-1sigma", "median", "+1sigma", "+2sigma"))
            },
            "method": [None if r is None else r.method for r in self.limits],
            "flags": self.flags,
        }

    def write_workspaces(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write the pyhf workspace and the limit summary of every mass.

        Files ``<directory>/limit_m<mass>.json`` (loadable with ``pyhf.Workspace``) and
        ``limit_m<mass>.result.json`` (:meth:`LimitResult.to_dict`); ``brazil.json`` holds
        :meth:`to_dict`.

        Returns
        -------
        list of Path
            The workspace files written.
        """
        from sciood.io import atomic_write_bytes

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for m, lim in zip(self.masses, self.limits, strict=True):
            if lim is None or not lim.workspace:
                continue
            p = out / f"limit_m{m:.0f}.json"
            lim.to_json(p)
            paths.append(p)
        atomic_write_bytes(out / "brazil.json", json.dumps(self.to_dict(), indent=1).encode())
        return paths

    def to_hepdata(self, directory: str | os.PathLike[str], *, validate: bool = True) -> Path:
        """Write a HEPData submission (hepdata-lib) with one table of the limits.

        Independent variable: the mass hypothesis [GeV]; dependent variables: the observed
        and the expected limit [fb], the expected one with its ±1σ and ±2σ bands as
        asymmetric uncertainties.  hepdata-lib writes ``submission.yaml``, the table's YAML
        and ``submission.tar.gz`` into ``directory`` and validates them with its own
        validator (hepdata-validator).

        Returns
        -------
        Path
            ``directory``.
        """
        try:
            from hepdata_lib import Submission, Table, Uncertainty, Variable
        except ImportError as exc:  # pragma: no cover - depends on the environment
            from sciood.errors import MissingDependencyError

            raise MissingDependencyError(
                "HEPData export needs hepdata-lib: pip install 'sciood[stats]'"
            ) from exc
        ok = np.isfinite(self.observed) & np.all(np.isfinite(self.expected), axis=0)
        if not np.any(ok):
            raise StatisticsError("no mass has a finite limit; nothing to export")
        m, obs, ex = self.masses[ok], self.observed[ok], self.expected[:, ok]
        table = Table("Upper limits vs mass")
        table.description = (
            f"{100 * self.cl:.0f}% CL upper limits (CLs) on {self.quantity} of a Gaussian "
            f"resonance of relative width {self.rel_width:g} in the dijet mass spectrum, "
            f"L = {self.luminosity:g} fb^-1"
            + ("" if self.efficiency == 1.0 else f", divided by A x eff = {self.efficiency:g}")
            + "."
        )
        table.location = "Limits versus mass hypothesis"
        table.keywords["observables"] = ["SIG"]
        mass = Variable("Resonance mass", is_independent=True, is_binned=False, units="GeV")
        mass.values = m.tolist()
        o = Variable(f"Observed limit on {self.quantity}", is_independent=False,
                     is_binned=False, units="fb")
        o.values = obs.tolist()
        e = Variable(f"Expected limit on {self.quantity}", is_independent=False,
                     is_binned=False, units="fb")
        e.values = ex[2].tolist()
        for label, lo, hi in (("1 s.d.", 1, 3), ("2 s.d.", 0, 4)):
            u = Uncertainty(label, is_symmetric=False)
            u.values = list(zip((ex[lo] - ex[2]).tolist(), (ex[hi] - ex[2]).tolist(),
                                strict=True))
            e.add_uncertainty(u)
        for var in (o, e):
            var.add_qualifier("CL", f"{100 * self.cl:.0f}%")
            var.add_qualifier("LUMINOSITY", f"{self.luminosity:g}", "fb$^{-1}$")
        table.add_variable(mass)
        table.add_variable(o)
        table.add_variable(e)
        sub = Submission()
        sub.add_table(table)
        out = Path(directory).resolve()
        out.mkdir(parents=True, exist_ok=True)
        # hepdata-lib writes submission.tar.gz into the working directory: run it from
        # ``out`` (not thread-safe, like every chdir) so nothing lands elsewhere
        cwd = Path.cwd()
        os.chdir(out)
        try:
            sub.create_files(str(out), validate=validate)
        except AssertionError as exc:  # hepdata-lib reports an invalid submission so
            raise StatisticsError(f"hepdata-lib rejected the submission: {exc}") from exc
        finally:
            os.chdir(cwd)
        return out


def _as_fit(
    background: BackgroundFit | tuple[ArrayLike, ...], model: str, sqrt_s: float
) -> BackgroundFit:
    if isinstance(background, BackgroundFit):
        return background
    if not isinstance(background, tuple) or len(background) not in (2, 3):
        raise DataError("background must be a BackgroundFit or (edges, sumw[, sumw2])")
    edges = np.asarray(background[0], dtype=float)
    sumw = np.asarray(background[1], dtype=float)
    sumw2 = sumw.copy() if len(background) == 2 else np.asarray(background[2], dtype=float)
    if edges.ndim != 1 or sumw.shape != (edges.size - 1,) or sumw2.shape != sumw.shape:
        raise DataError(
            f"edges {edges.shape} and counts {sumw.shape} do not match (n_bins + 1 edges)"
        )
    fit = fit_spectrum(edges, sumw, sumw2, model=model, sqrt_s=sqrt_s)
    if not fit.converged:
        raise StatisticsError("the background-only fit of the spectrum did not converge")
    return fit


def brazil_band(
    background: BackgroundFit | tuple[ArrayLike, ...],
    masses: ArrayLike | None = None,
    *,
    rel_width: float = 0.05,
    luminosity: float = 1.0,
    efficiency: float = 1.0,
    cl: float = 0.95,
    method: Literal["auto", "asymptotic", "toys"] = "auto",
    n_toys: int = 500,
    seed: int = 0,
    toys_below: float = LOW_COUNT_THRESHOLD,
    model: str = "dijet4",
    sqrt_s: float = 13000.0,
    workspace_limit: bool = False,
) -> BrazilResult:
    """CLs limits versus the mass of a Gaussian resonance, in fb.

    Parameters
    ----------
    background : BackgroundFit or (edges, sumw[, sumw2])
        A fitted spectrum, or a histogram (then fitted with ``model``).
    masses : array-like, shape (n_mass,), optional
        Mass hypotheses [GeV]; default 10 points from 2 widths above the lower edge to
        2 widths below the upper edge of the spectrum.
    rel_width : float
        Gaussian width / mass of the signal (the mjj resolution).
    luminosity : float
        Integrated luminosity [fb⁻¹] of the spectrum.
    efficiency : float
        Acceptance × efficiency to divide by; 1 gives the visible cross-section
        σ × BR × A × ε.
    cl, method, n_toys, seed, toys_below
        As in :func:`~sciood.stats.limits.upper_limit`.
    model, sqrt_s : str, float
        Background function and √s for a histogram input.
    workspace_limit : bool
        Also compute each mass's sideband-workspace pyhf limit (≈ 2 s per mass); the
        workspaces are attached (and written by :meth:`BrazilResult.write_workspaces`)
        either way.

    Returns
    -------
    BrazilResult
    """
    if not 0.0 < rel_width < 1.0:
        raise DataError(f"rel_width = {rel_width} must be in (0, 1), e.g. 0.05")
    if not (luminosity > 0.0 and math.isfinite(luminosity)):
        raise DataError(f"luminosity = {luminosity} must be a positive number of fb^-1")
    if not 0.0 < efficiency <= 1.0:
        raise DataError(f"efficiency = {efficiency} must be in (0, 1]")
    fit = _as_fit(background, model, sqrt_s)
    lo, hi = float(fit.edges[0]), float(fit.edges[-1])
    if masses is None:
        a, b = lo / (1.0 - 2.0 * rel_width), hi / (1.0 + 2.0 * rel_width)
        if not a < b:
            raise DataError("the spectrum is too narrow for a ±2σ signal; pass masses")
        grid = np.geomspace(a, b, 10)
    else:
        grid = np.atleast_1d(np.asarray(masses, dtype=float))
        if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
            raise DataError("masses must be a non-empty 1-D array of finite values [GeV]")
        if np.any((grid <= lo) | (grid >= hi)):
            raise DataError(f"masses must lie inside the spectrum ({lo:g}, {hi:g}) GeV")
    scale = 1.0 / (luminosity * efficiency)
    obs = np.full(grid.size, np.nan)
    exp = np.full((5, grid.size), np.nan)
    limits: list[LimitResult | None] = []
    flags: list[str] = []
    for j, m in enumerate(grid):
        tmpl = signal_template(fit.edges, float(m), rel_width * float(m))
        try:
            lim = upper_limit(tmpl, fit, cl=cl, method=method, n_toys=n_toys, seed=seed + j,
                              toys_below=toys_below, workspace_limit=workspace_limit)
        except StatisticsError as exc:
            limits.append(None)
            flags.append(f"m = {m:.0f} GeV: limit failed: {exc}")
            continue
        limits.append(lim)
        obs[j] = lim.observed * scale
        exp[:, j] = lim.expected_band * scale
        flags += [f"m = {m:.0f} GeV: {f}" for f in lim.flags]
    quantity = "σ × BR × A × ε" if efficiency == 1.0 else "σ × BR"
    return BrazilResult(
        masses=grid, observed=obs, expected=exp, limits=limits, luminosity=float(luminosity),
        efficiency=float(efficiency), rel_width=float(rel_width), quantity=quantity, cl=cl,
        flags=flags,
    )


def brazil_figure(result: BrazilResult, ax: Axes | None = None) -> Figure:
    """The Brazil plot: observed limit, expected median and its ±1σ / ±2σ bands vs mass.

    Parameters
    ----------
    result : BrazilResult
    ax : matplotlib Axes, optional
        Axes to draw into; default a new figure (no pyplot state).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from sciood.plot.style import hep_style

    with hep_style():
        if ax is None:
            from matplotlib.figure import Figure

            fig = Figure(figsize=(7.0, 5.0), layout="constrained")
            ax = fig.subplots()
        m = result.masses / 1000.0
        ex = result.expected
        ax.fill_between(m, ex[0], ex[4], color="#ffcc00", lw=0, label="expected ±2σ")
        ax.fill_between(m, ex[1], ex[3], color="#00cc00", lw=0, label="expected ±1σ")
        ax.plot(m, ex[2], color="black", ls="--", label="expected (median)")
        ax.plot(m, result.observed, color="black", marker="o", ms=4, label="observed")
        ax.set_yscale("log")
        ax.set_xlabel("resonance mass [TeV]")
        ax.set_ylabel(f"{100 * result.cl:.0f} % CL limit on {result.quantity} [fb]")
        ax.set_title(
            f"Gaussian signal, σ_m/m = {result.rel_width:g}, L = {result.luminosity:g} fb$^{-1}$",
            fontsize=11,
        )
        ax.legend(loc="upper right")
        figure = ax.get_figure()
    if figure is None:  # pragma: no cover - an Axes always has a figure
        raise DataError("the axes belong to no figure")
    return figure  # type: ignore[return-value]
