"""The signal-injection section: significance versus injected signal events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.figures import injection
from sciood.report.markup import empty, esc, how, html_table, num

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``injection`` section's HTML body."""
    inj = inputs.injection
    if inj is None:
        return empty("No signal-injection scan in this run (statistics.injection is off).")
    parts = [how(
        "Signal events injected into the background, the hunt repeated for each count: "
        "observed local significance (solid, baseline dashed) and the expected (Asimov, "
        "truth-based) one (dotted). A useful detector reaches 3σ with fewer injected events "
        "than the mjj-only hunt.")]
    parts.append(fig(injection(inj), "significance versus injected signal"))
    df = inj.to_frame()
    piv = df.pivot_table(index="n_signal", columns="detector", values="local_z_observed",
                         aggfunc="mean")
    rows = [[str(int(n))] + [num(piv.loc[n, c]) for c in piv.columns] for n in piv.index]
    parts.append(html_table(["injected", *[f"Z_obs {c}" for c in piv.columns]], rows))
    if inj.flags:
        parts.append("<details><summary>flags (" + str(len(inj.flags)) + ")</summary><ul>" +
                     "".join(f"<li>{esc(f)}</li>" for f in inj.flags) + "</ul></details>")
    return "".join(parts)
