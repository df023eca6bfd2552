"""The bound that stops a generation whose selection (almost surely) passes too few events.

A slice is stopped once the one-sided Clopper-Pearson upper bound on its selection efficiency
(selected / generated events), at confidence :data:`STOP_CONFIDENCE`, is below the floor
``min_efficiency`` (default :data:`MIN_EFFICIENCY`); the bound is checked after every batch,
so the per-look level is tiny.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.errors import GenerationError

if TYPE_CHECKING:  # annotations only
    from sciood.generate.plan import ShardSpec

__all__ = ["MIN_EFFICIENCY", "STOP_CONFIDENCE", "check_efficiency", "efficiency_bound"]

#: Default floor on a slice's selection efficiency (selected / generated events).
MIN_EFFICIENCY = 1e-4
#: A slice is stopped only if its efficiency is below the floor at this one-sided confidence
#: (checked after every batch, so the per-look level is tiny).
STOP_CONFIDENCE = 1.0 - 1e-6


def efficiency_bound(n_selected: int, n_generated: int,
                     confidence: float = STOP_CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound on a selection efficiency.

    Parameters
    ----------
    n_selected, n_generated : int
        Events passing the selection, events generated (``0 ≤ n_selected ≤ n_generated``).
    confidence : float
        Confidence level of the bound.

    Returns
    -------
    float
        ε such that P(observing ≤ ``n_selected`` | efficiency ε) = 1 − confidence; with no
        selected event this is ≈ ln(1 / (1 − confidence)) / n_generated.
    """
    if n_generated <= 0 or n_selected >= n_generated:
        return 1.0
    from scipy.special import betaincinv

    return float(betaincinv(n_selected + 1, n_generated - n_selected, confidence))


def check_efficiency(spec: ShardSpec, n_selected: int, n_generated: int) -> None:
    """Stop a shard whose selection (almost surely) passes too few events to ever finish."""
    bound = efficiency_bound(n_selected, n_generated)
    if bound >= spec.min_efficiency:
        return
    sel = spec.process.selection
    raise GenerationError(
        f"{spec.process.name} (slice {spec.slice_index}): only {n_selected} of {n_generated} "
        f"generated events passed the selection (leading_pt_min = {sel.leading_pt_min:g} GeV, "
        f"jet_pt_min = {sel.jet_pt_min:g} GeV, jet_eta_max = {sel.jet_eta_max:g}, min_jets = "
        f"{sel.min_jets}): its efficiency is below {bound:.2g}, under the floor "
        f"min_efficiency = {spec.min_efficiency:g}, so {spec.n_selected} selected events "
        f"would need more than {spec.n_selected / bound:.3g} generated ones. Loosen the "
        "selection, or move Pythia's phase space towards it (PhaseSpace:pTHatMin / mHatMin "
        "near the cut); or lower min_efficiency (--min-efficiency) to accept the cost. The same "
        "--out can be reused by the corrected command")
