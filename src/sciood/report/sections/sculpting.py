"""The mass-sculpting section: background observable passing vs failing each cut."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.figures import sculpting
from sciood.report.markup import empty, esc, how, html_table, num

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``sculpting`` section's HTML body."""
    have = [d for d in inputs.detectors if d.sculpting is not None]
    if not have:
        return empty("No sculpting result: the evaluation stage did not compute "
                     "sculpting_jsd for any detector (it needs an observable such as mjj).")
    sim = inputs.test_sets["sim"]
    parts = [how(
        "Background observable for events passing and failing each detector's cut at the "
        "signal efficiency shown, both normalised to unit area. If the cut sculpts the "
        "background (creates a bump-like shape where a search looks), the bump hunt can find "
        "a fake signal. JSD: Jensen–Shannon divergence (base 2) between pass and fail; "
        "compare it with its statistical floor (random split with the same pass fraction). "
        "R50: background rejection at that working point.")]
    for i in range(0, len(have), 3):
        chunk = have[i:i + 3]
        parts.append(fig(sculpting(chunk, sim), "sculpting of the background observable",
                         "Lower panel: pass / fail ratio (flat at 1 without sculpting)."))
    rows = [[esc(d.name), num(d.sculpting.eff_s), num(d.sculpting.jsd),
             num(d.sculpting.floor), num(d.sculpting.floor_matched),
             num(d.sculpting.inv_jsd), num(d.sculpting.r50)]
            for d in have if d.sculpting is not None]
    parts.append(html_table(["detector", "ε_S", "JSD", "floor (halves)", "floor (matched)",
                             "1/JSD", "R50"], rows))
    return "".join(parts)
