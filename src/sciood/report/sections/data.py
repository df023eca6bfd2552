"""The data section: processes per variant, the test sets and their provenance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.markup import df_table, empty, esc, how, html_table, num, to_json

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``data`` section's HTML body."""
    parts = [how("Processes (or, for a run on your files, classes) per variant: signal or "
                 "background, number of test events and the sum of weights (expected events "
                 "per fb⁻¹ for generated samples and cross-section-normalised files).")]
    if inputs.data_summary is not None and len(inputs.data_summary):
        parts.append(df_table(inputs.data_summary))
    else:
        parts.append(empty("No data summary was provided by the pipeline."))
    rows = []
    for name, es in inputs.test_sets.items():
        sig = es.is_signal
        rows.append([esc(name), str(len(es)), str(int(sig.sum())), str(int((~sig).sum())),
                     num(float(es.weights[~sig].sum())), esc(", ".join(es.classes))])
    parts.append("<h3>Test sets</h3>" + html_table(
        ["variant", "events", "signal", "background", "Σw background", "classes"], rows,
        left=[0, 5]))
    for name, es in inputs.test_sets.items():
        if es.provenance:
            what = ("source files" if isinstance(es.provenance.get("source"), dict)
                    else "generator / detector card")
            parts.append(f"<details><summary>{what} of the {esc(name)} "
                         f"test set</summary><pre>{esc(to_json(es.provenance))}</pre></details>")
    return "".join(parts)
