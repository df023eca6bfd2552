"""The class-conditional metrics section: heat maps and each detector's full table."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from sciood.report.figures import metric_matrix
from sciood.report.markup import ci, esc, heat_bg, how, html_table

if TYPE_CHECKING:
    from sciood.evaluate.suite import ResultTable
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def _metric_table(table: ResultTable) -> str:
    cols = [m for m in table.metrics]
    ranges: dict[str, tuple[float, float]] = {}
    for m in cols:
        vals = np.array([c.values[m][0] for c in table.cells], dtype=np.float64)
        fin = vals[np.isfinite(vals)]
        if m.startswith("rejection"):
            fin = np.log10(fin[fin > 0])
        ranges[m] = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 0.0)
    rows = []
    for c in table.cells:
        cells = [esc(c.signal), esc(c.background), str(c.n_signal), str(c.n_background)]
        for m in cols:
            v, lo, hi = c.values[m]
            key = math.log10(v) if m.startswith("rejection") and v > 0 and math.isfinite(v) else v
            style = heat_bg(key, *ranges[m], centre=0.5 if m == "auc" else None)
            cells.append(f"<span{style}>{ci(v, lo, hi)}</span>" if style else ci(v, lo, hi))
        rows.append(cells)
    head = ["signal", "background", "n_S", "n_B", *cols]
    out = html_table(head, rows, left=2)
    # colour the whole cell, not just the span
    out = out.replace("<td><span style=", "<td style=").replace("</span></td>", "</td>")
    notes = [f"{c.signal} vs {c.background}: {n}" for c in table.cells for n in c.notes]
    if notes:
        out += ("<details><summary>notes (" + str(len(notes)) + ")</summary><ul>" +
                "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul></details>")
    return out


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``metrics`` section's HTML body."""
    parts = [how(
        "Every metric per signal and per background class, and against all backgrounds mixed "
        "by cross-section (<i>all bkg</i>). AUC is coloured around 0.5: red separates the "
        "signal from that background, blue means the detector finds the background <i>more</i> "
        "anomalous than the signal. A good inclusive number can hide a background class the "
        "detector cannot tell from the signal. Brackets: 68 % bootstrap interval.")]
    present = [m for m in ("auc", "rejection@eff_s=0.5", "max_sic")
               if all(m in d.table.metrics for d in inputs.detectors)]
    for m in present:
        parts.append(fig(metric_matrix(inputs.detectors, m), f"heat map of {m}",
                         f"{esc(m)} per (signal, background class) and detector."))
    for d in inputs.detectors:
        parts.append(f"<details><summary>full table: {esc(d.name)}</summary>"
                     f"{_metric_table(d.table)}</details>")
    return "".join(parts)
