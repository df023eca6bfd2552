"""The latent-view section: 2-D projections coloured by class, identical ones drawn once."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.report.figures import latent
from sciood.report.markup import empty, how

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def _same_view(a: Any, b: Any) -> bool:
    return bool(a.coords.shape == b.coords.shape and np.array_equal(a.coords, b.coords)
                and np.array_equal(a.labels, b.labels))


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``latent`` section's HTML body."""
    views: list[tuple[list[str], Any]] = []
    for d in inputs.detectors:
        if d.latent is None:
            continue
        for names, v in views:
            if _same_view(v, d.latent):
                names.append(d.name)
                break
        else:
            views.append(([d.name], d.latent))
    if not views:
        return empty("No latent view: latent_view was not run for any detector.")
    titled = [(", ".join(n) if len(n) < len(inputs.detectors) else "all detectors (same "
               "projection)", v) for n, v in views]
    return how(
        "Two-dimensional projection of the events (PCA or UMAP of the features or of a "
        "detector's latent space), coloured by class. Signals that overlap the backgrounds "
        "here are hard for any detector working on these inputs.") + fig(
        latent(titled), "latent view coloured by class",
        "Axes: first two components (explained variance in brackets for PCA).")
