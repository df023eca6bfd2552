"""The calibration section: reliability curves of probabilistic detectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sciood.report.figures import calibration
from sciood.report.markup import empty, esc, how

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``calibration`` section's HTML body."""
    prob = [d for d in inputs.detectors if d.probability is not None]
    if not prob:
        return empty("No detector in this run has a probabilistic output (probability is "
                     "None for every detector): auto-encoder, flow and distance scores are "
                     "rankings, not probabilities, so a reliability plot does not apply.")
    return how(
        "Observed signal fraction against the predicted probability in equal-mass bins, with "
        "signal and background weighted to equal totals. On the diagonal the output is "
        "calibrated; above it the classifier is under-confident, below over-confident. ECE: "
        "weighted mean distance to the diagonal.") + fig(
        calibration(inputs.detectors, inputs.test_sets["sim"]), "reliability plot",
        "Detectors without a probability (" + esc(", ".join(
            d.name for d in inputs.detectors if d.probability is None) or "none") +
        ") are left out.")
