"""Latent-view figure of the report: 2-D projections coloured by class."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sciood.errors import DataError
from sciood.plot.style import COLORS, color, hep_style, new_figure
from sciood.report.figures.common import colormap

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sciood.evaluate.failure import LatentView

__all__ = ["latent"]


def latent(views: Sequence[tuple[str, LatentView]], *, max_points: int = 3000) -> Figure:
    """2-D latent / feature projections coloured by class, one panel per view.

    Parameters
    ----------
    views : sequence of (title, LatentView)
    max_points : int, default 3000
        Points drawn per class at most (a random, seeded subsample).

    Returns
    -------
    Figure
    """
    if not views:
        raise DataError("no latent view to draw")
    n = len(views)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    rng = np.random.default_rng(0)
    classes = sorted({str(c) for _, v in views for c in np.unique(v.labels)})
    palette = ([color(i) for i in range(len(classes))] if len(classes) <= len(COLORS) else
               [colormap("tab20")(i % 20) for i in range(len(classes))])
    with hep_style():
        fig, axes = new_figure(nrows, ncols, size=(4.8 * ncols, 4.4 * nrows))
        for k, (title, v) in enumerate(views):
            ax = axes[k // ncols][k % ncols]
            for ci, c in enumerate(classes):
                idx = np.flatnonzero(v.labels == c)
                if idx.size == 0:
                    continue
                if idx.size > max_points:
                    idx = rng.choice(idx, max_points, replace=False)
                ax.scatter(v.coords[idx, 0], v.coords[idx, 1], s=6, alpha=0.55,
                           color=palette[ci], label=c, lw=0)
            ev = v.explained_variance
            ax_lab = [f"{v.method.upper()} {d}" for d in (1, 2)]
            if ev is not None:
                ax_lab = [f"{lab} ({100 * e:.0f} % var.)" for lab, e in zip(ax_lab, ev,
                                                                             strict=True)]
            ax.set_xlabel(ax_lab[0])
            ax.set_ylabel(ax_lab[1])
            ax.set_title(title, fontsize=11)
            if len(classes) > 5:  # many classes: legend beside the last panel of a row
                if k % ncols == ncols - 1 or k == n - 1:
                    ax.legend(markerscale=2.5, fontsize=9, loc="center left",
                              bbox_to_anchor=(1.0, 0.5))
            else:
                ax.legend(markerscale=2.5, fontsize=9, loc="best")
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
    return fig

