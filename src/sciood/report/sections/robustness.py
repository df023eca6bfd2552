"""The sim → data robustness section: relative metric changes per variant."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sciood.report.figures import robustness
from sciood.report.markup import ci, empty, esc, how, html_table
from sciood.report.sections.common import HEADLINE

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``robustness`` section's HTML body."""
    have = [d for d in inputs.detectors if d.robustness is not None and len(d.robustness)]
    if not have:
        variants = [v for v in inputs.test_sets if v != "sim"]
        why = ("no other test-set variant than sim was evaluated" if not variants else
               f"variants {variants} were scored but not compared")
        return empty(f"No robustness table: {why}. Add a 'data' variant to the run "
                     "to see how the metrics move from simulation to data.")
    parts = [how(
        "Relative change of each metric from the sim test set to the other variants "
        "(another Pythia tune and detector smearing for <i>data</i>, nuisance shifts such as "
        "JES ±1σ). Large changes mean the number measured on simulation will not hold on "
        "data; * marks changes beyond both bootstrap intervals.")]
    parts.append(fig(robustness([(d.name, d.robustness) for d in have
                                 if d.robustness is not None]),
                     "relative change of the metrics from sim to the other variants"))
    for d in have:
        assert d.robustness is not None
        df = d.robustness.to_pandas()
        df = df[df["metric"].isin(list(HEADLINE))]
        rows = [[esc(r.variant), esc(r.signal), esc(r.background), esc(r.metric),
                 ci(r.reference, r.reference_lo, r.reference_hi), ci(r.value, r.lo, r.hi),
                 "—" if not math.isfinite(r.rel_change) else f"{100 * r.rel_change:+.1f} %",
                 "yes" if r.disjoint else "no"] for r in df.itertuples(index=False)]
        parts.append(f"<details><summary>table: {esc(d.name)}</summary>" + html_table(
            ["variant", "signal", "background", "metric", "sim", "variant value",
             "rel. change", "disjoint CIs"], rows, left=4) + "</details>")
    return "".join(parts)
