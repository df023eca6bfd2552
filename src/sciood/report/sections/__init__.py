"""The report's sections: one module per section, each with ``build(inputs, fig) -> str``.

``build`` returns the section's HTML body (without the ``<section>`` wrapper and heading, which
the page adds); ``fig`` renders a matplotlib figure to an embedded ``<figure>`` block
(:class:`~sciood.report.markup.FigureBlocks`).  A section whose optional input is missing
returns one grey line (``class="empty"``) saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sciood.report.sections import (
    calibration,
    data,
    failure,
    hunt,
    injection,
    latent,
    metrics,
    provenance,
    robustness,
    roc,
    sculpting,
    summary,
)

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["BUILDERS", "SECTIONS"]

#: (id, heading) of every section, in page order; the ids are stable (other tools link to them).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("data", "Data"),
    ("roc", "ROC and SIC curves"),
    ("metrics", "Class-conditional metrics"),
    ("calibration", "Calibration"),
    ("sculpting", "Mass sculpting"),
    ("failure", "Failure analysis"),
    ("latent", "Latent view"),
    ("robustness", "Sim → data robustness"),
    ("hunt", "Bump hunt"),
    ("injection", "Signal injection"),
    ("provenance", "Provenance"),
)

#: Section id -> the function building its HTML body.
BUILDERS: dict[str, Callable[[ReportInputs, FigureBlocks], str]] = {
    "summary": summary.build,
    "data": data.build,
    "roc": roc.build,
    "metrics": metrics.build,
    "calibration": calibration.build,
    "sculpting": sculpting.build,
    "failure": failure.build,
    "latent": latent.build,
    "robustness": robustness.build,
    "hunt": hunt.build,
    "injection": injection.build,
    "provenance": provenance.build,
}
