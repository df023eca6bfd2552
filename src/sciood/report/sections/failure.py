"""The failure-analysis section: score-feature correlations and top anomalies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.figures import correlations
from sciood.report.markup import df_table, empty, esc, how

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``failure`` section's HTML body."""
    parts = [how(
        "What the score responds to: Spearman correlation of the score with each feature, "
        "over all test events and within each class. A large correlation with constituent "
        "multiplicity (nconst) or jet mass inside the QCD class is the usual failure of "
        "density-based detectors (busy QCD jets look anomalous). Below: the most anomalous "
        "background events.")]
    any_ = False
    for d in inputs.detectors:
        if d.correlations is not None and len(d.correlations):
            any_ = True
            parts.append(f"<h3>{esc(d.name)}</h3>" + fig(
                correlations(d), f"score correlations of {d.name}",
                "Features ordered by |correlation| over all events; top 12 shown."))
        if d.top_anomalies is not None and len(d.top_anomalies):
            any_ = True
            df = d.top_anomalies
            keep = [c for c in df.columns[:11]]
            parts.append(f"<details><summary>most anomalous background events: "
                         f"{esc(d.name)}</summary>{df_table(df[keep], max_rows=20)}</details>")
    if not any_:
        return empty("No failure analysis: no detector has correlations or top anomalies "
                     "(score_correlations / top_anomalies were not run).")
    return "".join(parts)
