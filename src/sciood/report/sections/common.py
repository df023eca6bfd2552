"""What several report sections share: the headline metrics and the signal classes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs

__all__ = ["HEADLINE", "signals"]

#: Metrics shown in the summary and heat maps when present.
HEADLINE = ("auc", "max_sic", "rejection@eff_s=0.5")


def signals(inputs: ReportInputs) -> list[str]:
    """The signal classes of the ``sim`` test set, sorted."""
    sim = inputs.test_sets["sim"]
    return sorted(set(sim.labels[sim.is_signal].tolist()))
