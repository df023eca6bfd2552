"""The summary section: headline cards, the inclusive metrics with intervals, the run's
notes and the scalar entries of ``results.json``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.errors import ConfigError
from sciood.report.markup import ci, esc, how, html_table, num
from sciood.report.sections.common import HEADLINE, signals

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``summary`` section's HTML body."""
    parts = [how("Headline numbers of every detector: each signal against all background "
                 "classes mixed by cross-section, with 68 % Poisson-bootstrap intervals. "
                 "Max SIC is the honest (cross-fitted) estimate: the working point is chosen "
                 "on one half of the events and its SIC read on the other (swapped, "
                 "averaged), and its interval is a bootstrap that repeats the choice; the "
                 "in-sample maximum (column max_sic_naive) is biased high. "
                 "Read the class-conditional section before trusting an inclusive number.")]
    kpis = []
    for d in inputs.detectors:
        for sig in signals(inputs):
            try:
                v = d.table.get(sig, "all_backgrounds", "max_sic")[0]
            except ConfigError:
                continue
            kpis.append((f"{d.name}", f"max SIC, {sig}", v))
    if inputs.hunt is not None:
        kpis.append(("bump hunt", f"local Z after {inputs.hunt_detector or 'the'} cut"
                     + _at(inputs.hunt), inputs.hunt.local_z_observed))
    if inputs.hunt_baseline is not None:
        kpis.append(("bump hunt", "local Z, mjj only" + _at(inputs.hunt_baseline),
                     inputs.hunt_baseline.local_z_observed))
    lim = inputs.limit
    if lim is not None:
        if np.isfinite(lim.signal_cross_section_fb):
            kpis.append(("CLs limit", f"{lim.cross_section_quantity} [fb], 95 % CL",
                         lim.in_fb(lim.observed)))
        kpis.append(("CLs limit", "signal events, 95 % CL", lim.in_events(lim.observed)))
    if kpis:
        parts.append('<div class="kpi">' + "".join(
            f"<div><span>{esc(a)}</span><b>{num(v)}</b><span>{esc(b)}</span></div>"
            for a, b, v in kpis[:12]) + "</div>")
    header = ["detector", "signal"] + [m for m in HEADLINE]
    rows = []
    for d in inputs.detectors:
        for sig in signals(inputs):
            try:
                cell = d.table.cell(sig, "all_backgrounds")
            except ConfigError:
                continue
            rows.append([esc(d.name), esc(sig)] + [
                ci(*cell.values[m]) if m in cell.values else "—" for m in HEADLINE])
    if rows:
        parts.append(html_table(header, rows, left=2))
    if inputs.notes:
        parts.append("<h3>Notes from the run</h3><ul class=\"notes\">" +
                     "".join(f"<li>{esc(n)}</li>" for n in inputs.notes) + "</ul>")
    flat = _flatten_scalars(inputs.results)
    if flat:
        parts.append("<details><summary>results.json (scalar entries)</summary>" +
                     html_table(["key", "value"], [[esc(k), num(v) if isinstance(v, float)
                                                    else esc(v)] for k, v in flat[:200]]) +
                     "</details>")
    return "".join(parts)


def _at(hunt: Any) -> str:
    """`` at m = … GeV`` of a hunt's best mass (empty when it has none)."""
    m = getattr(hunt, "best_mass", None)
    return f" at {m:.0f} GeV" if isinstance(m, int | float) and np.isfinite(m) else ""


def _flatten_scalars(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            out += _flatten_scalars(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, int | float | str | bool | np.generic) or obj is None:
        out.append((prefix, obj.item() if isinstance(obj, np.generic) else obj))
    return out
