"""CLs upper limits on a signal strength: :func:`upper_limit`, the front door.

Two kinds of background enter :func:`upper_limit`:

* a **histogram** (MC / template background): the pyhf model of :func:`build_workspace`
  (``staterror`` for MC statistics, ``jes`` ``histosys``), CLs with the ``qtilde`` test
  statistic, asymptotic or with pseudo-experiments (:mod:`sciood.stats.pyhf_limits`);
* a :class:`~sciood.stats.BackgroundFit` (a data-driven dijet-function fit): the profile
  likelihood of the signal strength with the dijet-function parameters floating, the data
  used once (:mod:`sciood.stats.profile_limits`).

Below ``toys_below`` expected background events under the signal (the bins holding 95 % of
it), ``method="auto"`` computes CLs from pseudo-experiments.  The pieces live in one module
per concept (imports point down): :mod:`~sciood.stats.limit_result` →
:mod:`~sciood.stats.cls` → :mod:`~sciood.stats.poisson_limits`,
:mod:`~sciood.stats.workspace` → :mod:`~sciood.stats.pyhf_limits` →
:mod:`~sciood.stats.profile_limits` → this module, which re-exports what it held before.
"""

from __future__ import annotations

from typing import Any, Literal

from numpy.typing import ArrayLike

from sciood.errors import DataError
from sciood.stats.cls import LOW_COUNT_THRESHOLD
from sciood.stats.limit_result import LimitResult
from sciood.stats.poisson_limits import exact_poisson_cls_limit
from sciood.stats.profile_limits import _profile_limit
from sciood.stats.pyhf_limits import limit_from_workspace
from sciood.stats.spectrum_fit import BackgroundFit
from sciood.stats.workspace import _hist, build_workspace, fit_workspace, signal_window

__all__ = [
    "LOW_COUNT_THRESHOLD",
    "LimitResult",
    "build_workspace",
    "exact_poisson_cls_limit",
    "fit_workspace",
    "limit_from_workspace",
    "signal_window",
    "upper_limit",
]





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
    method: Literal["auto", "asymptotic", "toys"] = "auto",
    n_toys: int = 500,
    mu_max: float | None = None,
    scan: ArrayLike | None = None,
    seed: int = 0,
    toys_below: float = LOW_COUNT_THRESHOLD,
    workspace_limit: bool = True,
) -> LimitResult:
    """CLs upper limit on the signal strength ``mu``.

    Parameters
    ----------
    signal : array-like, shape (n_bins,)
        Expected signal counts per bin at ``mu = 1``.
    background : BackgroundFit or array-like, shape (n_bins,)
        A :class:`~sciood.stats.background.BackgroundFit` — the limit is then the profile
        likelihood of ``mu`` with the dijet-function parameters floating in a signal +
        background fit of the fit's histogram (the data used once), and the attached
        workspace is :func:`fit_workspace` (its pyhf limit in ``workspace_observed``) — or
        a background template (histogram): the pyhf model of :func:`build_workspace`.
    observed : array-like, shape (n_bins,), optional
        Observed counts; ``None`` gives the expected-only limit for a template (Asimov
        data = background) and the fitted histogram's counts for a ``BackgroundFit``.
    background_sumw2, signal_sumw2 : array-like, optional
        MC statistics (``staterror``) of a template background / of the signal.
    jes_up, jes_down : (signal, background) pairs of arrays, optional
        JES-shifted templates (``histosys`` named ``jes``).
    cl : float
        Confidence level.
    method : {"auto", "asymptotic", "toys"}
        ``"auto"``: asymptotic formulae unless fewer than ``toys_below`` background events
        are expected under the signal, then toys.  Toys: numpy Poisson toys for a template
        without nuisance parameters (at least 20 000 per μ), pyhf's ``ToyCalculator`` with
        nuisances, refits of the dijet function for a ``BackgroundFit`` (``n_toys`` per μ).
    n_toys : int
        Toys per tested ``mu`` (pyhf and fit toys).
    mu_max : float, optional
        Largest ``mu`` the root finder may reach; default: the search interval doubles up
        to 12 times from ``mu-hat`` before a ``StatisticsError``.
    scan : array-like, optional
        Initial ``mu`` values of a toy scan (default 10 points around the asymptotic band);
        the scan widens until every limit is bracketed.
    seed : int
        Seed of the toys.
    toys_below : float
        Low-count threshold of ``method="auto"`` (expected background events in the bins
        holding 95 % of the signal).
    workspace_limit : bool
        For a ``BackgroundFit``: also compute the asymptotic pyhf limit of the sideband
        workspace (``workspace_observed``; ≈ 2 s with pyhf's fits, against ≈ 25 ms for the
        profile limit).

    Returns
    -------
    LimitResult
        Observed / expected limits, ±1σ/±2σ band and a pyhf workspace.

    Raises
    ------
    StatisticsError
        If the limit is not bracketed or a fit fails.
    DataError
        On malformed input.
    """
    if not 0.0 < cl < 1.0:
        raise DataError(f"cl = {cl} must be in (0, 1), e.g. 0.95")
    if method not in ("auto", "asymptotic", "toys"):
        raise DataError(f"method {method!r} is not one of 'auto', 'asymptotic', 'toys'")
    if int(n_toys) < 10:
        raise DataError(f"n_toys = {n_toys} must be >= 10")
    if isinstance(background, BackgroundFit):
        return _profile_limit(
            _hist("signal", signal), background, observed, signal_sumw2=signal_sumw2,
            jes_up=jes_up, jes_down=jes_down, cl=cl, method=method, n_toys=n_toys,
            mu_max=mu_max, scan=scan, seed=seed, toys_below=toys_below,
            workspace_limit=workspace_limit,
        )
    spec = build_workspace(
        signal,
        _hist("background", background),
        observed,
        background_sumw2=background_sumw2,
        signal_sumw2=signal_sumw2,
        jes_up=jes_up,
        jes_down=jes_down,
    )
    return limit_from_workspace(
        spec, cl=cl, method=method, n_toys=n_toys, mu_max=mu_max, scan=scan, seed=seed,
        toys_below=toys_below,
    )
