"""A CLs upper limit on a signal strength (:class:`LimitResult`) and its JSON export."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

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
