"""The outcome of a bump hunt (:class:`HuntResult`) and its JSON form."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sciood import _repr
from sciood.stats.spectrum_fit import BackgroundFit

__all__ = ["HuntResult"]


@dataclass
class HuntResult:
    """Outcome of :func:`bump_hunt`.

    Observed quantities come from the data counts; *expected* (Asimov) ones use the
    known signal truth (``is_signal``) and are ``None`` without it.

    Attributes
    ----------
    method : {"signal-fit", "masked-window"}
        Scan method (module docstring).
    model : str
        Background function used (``function_choice`` says why with ``model="auto"``).
    windows : ndarray, shape (n_windows, 2)
        Scanned windows [GeV] (lo, hi); ``masses`` their centres (the mass hypotheses).
    n_observed, b_expected, sigma_b : ndarray, shape (n_windows,)
        Σw in the window, the fitted background in it (S+B fit for ``signal-fit``, the
        masked fit otherwise) and its ±1σ fit uncertainty.
    signal_fitted, signal_error : ndarray, shape (n_windows,) or None
        Fitted signal yield (whole Gaussian, negative allowed) and its ±1σ per hypothesis.
    signal_function_shift : ndarray, shape (n_windows,) or None
        Fitted yield with the alternative function minus with the chosen one.
    z_local_observed, p_local_observed : ndarray, shape (n_windows,)
        Observed local significance / p-value per window (NaN where the fit failed; those
        windows are listed in ``flags`` and never chosen as best).
    best_window, local_z_observed, local_p_observed
        Window with the largest observed local significance, and its Z / p.
    best_mass, best_mass_error : float or None
        Fitted peak (mass floating near the best hypothesis) and its ±1σ.
    best_signal, best_signal_error : float or None
        Fitted signal yield at ``best_mass`` and its ±1σ.
    local_z_expected : float or None
        Largest expected (Asimov) local Z: the same scan on Asimov data = background-only
        fit of the true background + the true signal (needs ``is_signal``).
    global_z_observed, global_p_observed, global_p_error : float or None
        Look-elsewhere corrected significance, p-value and its binomial error (toys).
    global_method : {"toys", "gross-vitells", "none"}
        Toy fraction, Gross–Vitells estimate (beyond toy reach), or no toys.
    n_toys, n_toys_failed : int
        Toys run (adaptive, up to the budget) / failed.
    bumphunter_t, bumphunter_global_p
        BumpHunter statistic ``−ln min p`` (Poisson window p-values against the
        background-only fit) and its toy global p-value.
    fake_bump_z : float or None
        Sculpting guard: largest fake bump on background-only events after the cut, at
        the statistics of the hunted data (``sculpting`` holds every number).
    sculpting_flag : bool or None
        True = sculpted (do not trust the hunt); ``sculpting["conclusive"]`` False = the
        reference is too small to tell (also in ``flags``).
    low_counts : bool
        Fewer than 10 expected effective events per bin (median): Z values are asymptotic.
    flags : list of str
        Warnings (failed windows, poor fit, low counts, sculpting, unchecked sculpting).
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
    method: str = "signal-fit"
    model: str = "dijet4"
    function_choice: dict[str, Any] | None = None
    masses: NDArray[np.float64] | None = None
    signal_rel_width: float = 0.05
    signal_fitted: NDArray[np.float64] | None = None
    signal_error: NDArray[np.float64] | None = None
    signal_function_shift: NDArray[np.float64] | None = None
    best_mass: float | None = None
    best_mass_error: float | None = None
    best_signal: float | None = None
    best_signal_error: float | None = None
    local_z_expected: float | None = None
    z_local_expected: NDArray[np.float64] | None = None
    global_z_observed: float | None = None
    global_p_observed: float | None = None
    global_p_error: float | None = None
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
    sculpting: dict[str, Any] | None = None
    low_counts: bool = False
    flags: list[str] = field(default_factory=list)
    timing_s: float = 0.0

    # --- notebook views ------------------------------------------------------------------
    def _global_z_error(self) -> float | None:
        """±1σ of the global Z from the toy error of its p-value: ``σ_Z = σ_p / φ(Z)``."""
        z, dp = self.global_z_observed, self.global_p_error
        if z is None or dp is None or not (math.isfinite(z) and math.isfinite(dp)) or dp <= 0:
            return None
        density = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return dp / density if density > 0 else None

    def _where(self) -> str:
        """``"best mass 3500 ± 40 GeV"``, else the best window."""
        if self.best_mass is not None and math.isfinite(self.best_mass):
            return f"best mass {_repr.pm(self.best_mass, self.best_mass_error)} GeV"
        lo, hi = (*self.best_window, math.nan, math.nan)[:2]
        return f"best window {_repr.num(lo)}–{_repr.num(hi)} GeV"

    def _global(self) -> str:
        if self.global_z_observed is None or self.global_method == "none":
            return "global Z not computed"
        err = self._global_z_error()
        z = (_repr.pm(self.global_z_observed, err) if err is not None
             else _repr.zval(self.global_z_observed))
        return (f"global Z={z} "
                f"({self.global_method})")

    def __repr__(self) -> str:
        flags = f", {_repr.plural(len(self.flags), 'flag')}" if self.flags else ""
        return (f"HuntResult(method={self.method!r}, {self._where()}, "
                f"local Z={_repr.zval(self.local_z_observed)}, {self._global()}, "
                f"model {self.model}{flags})")

    def _repr_html_(self) -> str:
        """Notebook view: the hunt's numbers in one (quantity, value) table, flags below."""
        num, pm = _repr.num, _repr.pm
        edges = np.asarray(self.edges, dtype=float)
        span = (f"{num(edges[0])}–{num(edges[-1])} GeV, {edges.size - 1} bins"
                if edges.size > 1 else "—")
        cut = ("none (observable only)" if self.cut_eff_b is None and self.cut_threshold is None
               else f"ε_B = {num(self.cut_eff_b)} (score > {num(self.cut_threshold)})")
        fit, gz_err = self.background_fit, self._global_z_error()
        toys = f"{self.n_toys} toys" + (f", {self.n_toys_failed} failed"
                                        if self.n_toys_failed else "")
        sculpted = {None: "not checked", True: "SCULPTED", False: "no"}.get(
            self.sculpting_flag, str(self.sculpting_flag))
        pairs = [
            ("method / background model", f"{self.method} / {self.model}"),
            ("observable range", span),
            ("cut on the score", cut),
            ("events after the cut", self.n_events_after_cut),
            ("best window [GeV]", " – ".join(num(x) for x in self.best_window) or "—"),
            ("best mass [GeV]", pm(self.best_mass, self.best_mass_error)),
            ("fitted signal at best mass", pm(self.best_signal, self.best_signal_error)),
            ("local Z observed", (_repr.zval(self.local_z_observed, 2),
                                  f"p = {num(self.local_p_observed, 2)}")),
            ("local Z expected (Asimov)", _repr.zval(self.local_z_expected, 2)),
            ("global Z", (pm(self.global_z_observed, gz_err) if gz_err is not None
                          else _repr.zval(self.global_z_observed, 2),
                          f"{self.global_method}, {toys}")),
            ("BumpHunter t / global p", f"{num(self.bumphunter_t)} / "
                                        f"{num(self.bumphunter_global_p, 2)}"),
            ("largest fake bump Z (sculpting)", (_repr.zval(self.fake_bump_z, 2),
                                                 f"sculpted: {sculpted}")),
            ("background fit χ²/ndf", (f"{num(getattr(fit, 'chi2', None))}/"
                                       f"{getattr(fit, 'ndf', '—')}",
                                       f"p = {num(getattr(fit, 'p_value', None), 2)}")),
        ]
        title = f"HuntResult: {self._where()}, {self._global()}"
        return _repr.html_kv(title, pairs, notes=self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (per-window arrays as lists, NaN as None)."""

        def clean(v: Any) -> Any:
            if isinstance(v, np.ndarray):
                return [clean(x) for x in v.tolist()]
            if isinstance(v, list | tuple):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            if isinstance(v, float | np.floating):
                return float(v) if math.isfinite(v) else None
            if isinstance(v, np.integer | np.bool_):
                return v.item()
            return v

        skip = {"background_fit", "toy_max_z", "counts", "sumw2", "edges"}
        out = {k: clean(v) for k, v in self.__dict__.items() if k not in skip}
        out["background_fit"] = clean(self.background_fit.to_dict())
        return out

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (atomic write)."""
        from sciood.io import atomic_write_bytes

        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=1).encode())
