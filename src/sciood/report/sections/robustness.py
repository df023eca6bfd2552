"""The sim → data robustness section: relative metric changes per variant."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sciood.report.figures import robustness
from sciood.report.markup import ci, empty, esc, how, html_table, num
from sciood.report.sections.common import HEADLINE

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


#: A class is flagged when the classifier tells sim from data (AUC interval above this) or
#: when more than this fraction of its data lies outside the simulation's support.
SHIFT_AUC, SHIFT_OUTSIDE = 0.6, 0.05


def shift_rows(shift: Any) -> list[list[str]]:
    """Table rows of a :class:`~sciood.evaluate.shift.ShiftDiagnostic`, flagged classes marked."""
    rows = []
    for c in shift.auc:
        value, lo, hi = shift.auc[c]
        flag = lo > SHIFT_AUC or shift.outside[c] > SHIFT_OUTSIDE
        rows.append([esc(c), ci(value, lo, hi), num(shift.rate[c]), num(shift.outside[c]),
                     str(shift.n_sim[c]), str(shift.n_data[c]),
                     "<b>shifted</b>" if flag else "ok"])
    return rows


def _shift_block(shift: Any) -> str:
    parts = ["<h3>Is the data inside the simulation?</h3>" + how(
        "Read this before any number below. Per class, a gradient-boosted classifier is "
        "trained to tell the sim test events from the data ones on the detector inputs "
        "(cross-fitted): AUC 0.5 means it cannot; and each data event's distance to its "
        f"nearest simulated events becomes a p-value against held-out simulation — "
        f"simulation has at most {shift.alpha:g} of its events at p ≤ {shift.alpha:g}, so "
        "the data's excess is the fraction outside the simulation's support. "
        f"Flagged: AUC interval above {SHIFT_AUC:g} or more than {SHIFT_OUTSIDE:g} outside.")]
    parts.append(html_table(["class", "sim-vs-data AUC", f"data at p ≤ {shift.alpha:g}",
                             "outside support", "sim events", "data events", "verdict"],
                            shift_rows(shift), left=1))
    if shift.skipped:
        parts.append("<p>" + "; ".join(f"{esc(c)}: {esc(w)}" for c, w in shift.skipped.items())
                     + "</p>")
    return "".join(parts)


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``robustness`` section's HTML body."""
    shift = getattr(inputs, "shift", None)
    head = _shift_block(shift) if shift is not None else ""
    have = [d for d in inputs.detectors if d.robustness is not None and len(d.robustness)]
    if not have:
        variants = [v for v in inputs.test_sets if v != "sim"]
        why = ("no other test-set variant than sim was evaluated" if not variants else
               f"variants {variants} were scored but not compared")
        return head + empty(f"No robustness table: {why}. Add a 'data' variant to the run "
                            "to see how the metrics move from simulation to data.")
    parts = [head, how(
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
