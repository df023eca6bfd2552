"""A CLs upper limit on a signal strength (:class:`LimitResult`) and its JSON export."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sciood import _repr

__all__ = ["LimitResult"]


@dataclass
class LimitResult:
    """A CLs upper limit on the signal strength ``mu``.

    Attributes
    ----------
    observed : float
        Observed upper limit on ``mu`` at confidence level ``cl``.
    expected : float
        Median expected limit under the background-only hypothesis.
    expected_band : ndarray, shape (5,)
        Expected limits at −2σ, −1σ, median, +1σ, +2σ.
    cl : float
        Confidence level (0.95).
    method : {"asymptotic", "toys"}
        How CLs was computed.
    workspace : dict
        A pyhf workspace of the measurement (export with :meth:`to_json`).  For a
        histogram background the limit was computed from it; for a ``BackgroundFit`` it is
        the sideband workspace of :func:`fit_workspace` (its own limit is
        ``workspace_observed``; ``{}`` with a flag if the sideband fit failed).
    signal_total : float
        Sum of the nominal signal template, so ``observed * signal_total`` is a limit on
        the number of signal events.
    n_toys : int
        Toys per tested ``mu`` (0 for asymptotics).
    observed_error : float or None
        Toy (binomial) error of the observed limit for ``method="toys"``.
    scan, cls_observed : ndarray, optional
        The ``mu`` values of a toy scan and their observed CLs.
    flags : list of str
        Warnings (low counts with asymptotics, band entries a toy scan did not bracket, …).
    model : {"pyhf", "profile"}
        ``"pyhf"``: the pyhf model of a histogram background; ``"profile"``: the profile
        likelihood with the dijet-function parameters floating (``BackgroundFit``).
    mu_hat, mu_hat_error : float
        Best-fit signal strength of the free S+B fit and its ±1σ (NaN if not available).
    background_in_window : float
        Expected background in the bins holding 95 % of the signal (the low-count criterion).
    workspace_observed, workspace_expected : float
        The asymptotic pyhf limit of ``workspace`` for a ``BackgroundFit`` (NaN otherwise).
    signal_cross_section_fb : float
        The cross-section [fb] of the signal whose template is ``mu = 1`` (NaN if not
        given), so ``observed * signal_cross_section_fb`` is a limit in fb; set it with
        :meth:`with_cross_section`.
    cross_section_quantity : str
        What that cross-section is, e.g. ``"σ × BR"`` (the generator's, before any
        selection) or ``"σ × BR × A"`` (normalisation of selected events).
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
    model: str = "pyhf"
    mu_hat: float = float("nan")
    mu_hat_error: float = float("nan")
    background_in_window: float = float("nan")
    workspace_observed: float = float("nan")
    workspace_expected: float = float("nan")
    signal_cross_section_fb: float = float("nan")
    cross_section_quantity: str = "σ × BR"

    # --- physical units --------------------------------------------------------------------
    def with_cross_section(self, sigma_fb: float, quantity: str = "σ × BR") -> LimitResult:
        """This limit with the signal's cross-section at ``mu = 1`` attached.

        Parameters
        ----------
        sigma_fb : float
            Cross-section [fb] of the signal whose template the limit scaled (> 0).
        quantity : str
            What ``sigma_fb`` is (shown next to the limit).

        Returns
        -------
        LimitResult
            A copy; :meth:`in_fb` and :meth:`to_dict` then give the limits in fb.
        """
        from dataclasses import replace

        from sciood.errors import StatisticsError

        if not (math.isfinite(sigma_fb) and sigma_fb > 0.0):
            raise StatisticsError(f"the signal cross-section must be a positive number of fb, "
                                  f"got {sigma_fb!r}")
        return replace(self, signal_cross_section_fb=float(sigma_fb),
                       cross_section_quantity=quantity)

    def in_fb(self, mu: float) -> float:
        """A limit on ``mu`` as a cross-section [fb] (NaN without a cross-section)."""
        return float(mu) * self.signal_cross_section_fb

    def in_events(self, mu: float) -> float:
        """A limit on ``mu`` as a number of signal events in the hunted data."""
        return float(mu) * self.signal_total

    # --- notebook views ------------------------------------------------------------------
    def _band(self) -> list[float]:
        """The five expected limits (−2σ … +2σ), NaN-padded if the band is short or missing."""
        band = np.asarray(self.expected_band if self.expected_band is not None else [],
                          dtype=float).ravel().tolist()
        return (band + [math.nan] * 5)[:5]

    def __repr__(self) -> str:
        band = self._band()
        cl = _repr.num(100 * self.cl) if isinstance(self.cl, int | float) else "?"
        expected = _repr.ci(self.expected, band[1], band[3])
        fb = (f", {self.cross_section_quantity} < {_repr.num(self.in_fb(self.observed))} fb"
              if math.isfinite(self.signal_cross_section_fb) else "")
        return (f"LimitResult(μ < {_repr.pm(self.observed, self.observed_error)} at {cl} % CL"
                f"{fb}, expected {expected}, {self.method}, {self.model}"
                + (f", {_repr.plural(len(self.flags), 'flag')})" if self.flags else ")"))

    def _repr_html_(self) -> str:
        """Notebook view: observed and expected limits on ``mu`` and on signal events."""
        band = self._band()
        scale = self.signal_total if self.signal_total and math.isfinite(self.signal_total) \
            else math.nan

        fb = math.isfinite(self.signal_cross_section_fb)

        def row(name: str, mu: float, err: float | None = None) -> list[str]:
            cells = [name, _repr.pm(mu, err), _repr.pm(mu * scale, None if err is None
                                                        else err * scale)]
            return cells + ([_repr.pm(self.in_fb(mu), None)] if fb else [])

        rows = [
            row("observed", self.observed, self.observed_error),
            row("expected (median)", self.expected),
            *(row(f"expected {s}", band[i]) for i, s in ((1, "−1σ"), (3, "+1σ"),
                                                          (0, "−2σ"), (4, "+2σ"))),
            row("best fit μ̂", self.mu_hat, self.mu_hat_error),
        ]
        if math.isfinite(self.workspace_observed):
            rows.append(row("sideband workspace (pyhf)", self.workspace_observed))
        header = ["", "μ", "signal events"] + (
            [f"{self.cross_section_quantity} [fb]"] if fb else [])
        cl = _repr.num(100 * self.cl) if isinstance(self.cl, int | float) else "?"
        title = (f"LimitResult: {cl} % CL CLs upper limit, "
                 f"{self.method}" + (f" ({self.n_toys} toys)" if self.n_toys else "")
                 + f", {self.model} model; background under the signal "
                 f"{_repr.num(self.background_in_window)}")
        return _repr.html_table(title, header, rows, notes=self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (without the workspace)."""

        def num(x: float | None) -> float | None:
            return float(x) if x is not None and math.isfinite(x) else None

        return {
            "observed_limit_mu": self.observed,
            "expected_limit_mu": self.expected,
            "expected_band_mu": [num(x) for x in self.expected_band],
            "flags": self.flags,
            "cl": self.cl,
            "method": self.method,
            "model": self.model,
            "n_toys": self.n_toys,
            "observed_error_mu": self.observed_error,
            "signal_total": self.signal_total,
            "mu_hat": num(self.mu_hat),
            "mu_hat_error": num(self.mu_hat_error),
            "background_in_window": num(self.background_in_window),
            "workspace_observed_limit_mu": num(self.workspace_observed),
            "workspace_expected_limit_mu": num(self.workspace_expected),
            "observed_limit_events": num(self.in_events(self.observed)),
            "expected_limit_events": num(self.in_events(self.expected)),
            "signal_cross_section_fb": num(self.signal_cross_section_fb),
            "cross_section_quantity": self.cross_section_quantity,
            "observed_limit_fb": num(self.in_fb(self.observed)),
            "expected_limit_fb": num(self.in_fb(self.expected)),
            "expected_band_fb": [num(self.in_fb(x)) for x in self._band()],
        }

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write the pyhf workspace (``workspace``) and the result summary as JSON.

        ``path`` receives the workspace (loadable with ``pyhf.Workspace``); a sibling
        ``<stem>.result.json`` receives :meth:`to_dict`.
        """
        from pathlib import Path

        from sciood.io import atomic_write_bytes

        p = Path(path)
        atomic_write_bytes(p, json.dumps(self.workspace, indent=1).encode())
        atomic_write_bytes(
            p.with_name(p.stem + ".result.json"), json.dumps(self.to_dict(), indent=1).encode()
        )
