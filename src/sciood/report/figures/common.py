"""Shared pieces of the report's figures: sizes, cell text colour, PNG rendering."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.plot.style import hep_style

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["MAX_WIDTH", "colormap", "text_color", "to_png"]

#: Widest figure [inches at 100 dpi]: the page shows figures at most ~1180 px wide.
MAX_WIDTH = 16.0


def colormap(name: str) -> Any:
    """A registered matplotlib colormap by name."""
    import matplotlib as mpl

    return mpl.colormaps[name]


def text_color(im: Any, value: float) -> str:
    """Black on light cells, white on dark ones (relative luminance of the cell colour)."""
    if not np.isfinite(value):
        return "black"
    r, g, b, _ = im.cmap(im.norm(value))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (Agg, in the report style)."""
    from io import BytesIO

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = BytesIO()
    with hep_style():  # text is laid out at draw time: the style's fonts must be active
        fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()
