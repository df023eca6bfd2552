"""The ROC and SIC section: one figure per signal, every detector, bootstrap bands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.figures import roc_sic
from sciood.report.markup import esc, how
from sciood.report.sections.common import signals

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``roc`` section's HTML body."""
    sim = inputs.test_sets["sim"]
    meta = inputs.detectors[0].table.meta if inputs.detectors else {}
    n_boot = min(int(meta.get("n_bootstrap", 50) or 0), 50)  # the evaluation's, at most 50
    seed = int(meta.get("seed", 0) or 0)
    n_min = float(meta.get("min_background", 50.0) or 50.0)
    parts = [how(
        "Left: background rejection 1/ε_B (log scale) against signal efficiency ε_S; higher is "
        "better, the dotted grey line is a random cut. Right: significance improvement "
        "SIC = ε_S/√ε_B, the factor by which the cut multiplies S/√B; it is solid where at "
        f"least {n_min:g} effective background events pass (where max SIC is taken) and "
        "dotted where "
        "it rests on a handful of events. " + (
            f"Bands: 68 % Poisson bootstrap ({n_boot} replicas)." if n_boot >= 2 else
            "No bands: the evaluation ran without bootstrap replicas."))]
    for sig in signals(inputs):
        f = roc_sic(inputs.detectors, sim, sig, n_bootstrap=n_boot, seed=seed,
                    min_background=n_min)
        parts.append(f"<h3>{esc(sig)}</h3>" + fig(
            f, f"ROC and SIC curves for {sig}",
            f"{esc(sig)} against all backgrounds (cross-section weighted), sim test set."))
    return "".join(parts)
