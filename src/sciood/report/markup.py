"""HTML building blocks of the report: escaping, number formatting, tables, figures.

Every helper returns an HTML fragment (a ``str``); arguments that are text are escaped, cells
given to :func:`html_table` are already HTML.  Numbers are printed with 3 significant digits
(``—`` for NaN, ``∞`` for infinity) and intervals as ``value [lo, hi]``.
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.report.figures import to_png

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["FigureBlocks", "ci", "df_table", "empty", "esc", "heat_bg", "how", "html_table",
           "num", "to_json"]


def esc(x: Any) -> str:
    """``str(x)`` escaped for HTML text and attribute values."""
    return html.escape(str(x), quote=True)


def num(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` significant digits (``—`` NaN, ``∞`` infinite); other values
    escaped as text."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return esc(x)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".")


def ci(value: float, lo: float, hi: float) -> str:
    """``value [lo, hi]`` with the interval in small grey type; ``—`` if not finite."""
    if not math.isfinite(value):
        return "—"
    return f'{num(value)} <span class="ci">[{num(lo)}, {num(hi)}]</span>'


def empty(reason: str) -> str:
    """The grey line saying why a section is empty."""
    return f'<p class="empty">{esc(reason)}</p>'


def how(text: str) -> str:
    """The "how to read it" paragraph of a section (``text`` is HTML)."""
    return f'<p class="how">{text}</p>'


@dataclass
class FigureBlocks:
    """Renders figures to ``<figure>`` blocks (base64 PNG) and counts them."""

    count: int = 0

    def __call__(self, fig: Figure, alt: str, caption: str = "") -> str:
        png = to_png(fig)
        w, h = (round(float(v)) for v in fig.get_size_inches() * fig.dpi)
        self.count += 1
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
                f'width="{w}" height="{h}" loading="eager">{cap}</figure>')


def html_table(header: Sequence[str], rows: Iterable[Sequence[str]],
               left: int | Collection[int] = 1) -> str:
    """HTML table; cells are already HTML.

    ``left``: the first ``left`` columns, or the given column indices, are left-aligned
    (text); the others are right-aligned (numbers).
    """
    is_left = set(range(left)) if isinstance(left, int) else set(left)
    th = "".join(f'<th class="{"l" if i in is_left else ""}">{esc(h)}</th>'
                 for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(
            f'<td class="l">{c}</td>' if i in is_left else f"<td>{c}</td>"
            for i, c in enumerate(r)
        ) + "</tr>"
        for r in rows
    )
    # wide tables scroll inside their box instead of widening the page
    return (f'<div class="tw"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def df_table(df: pd.DataFrame, max_rows: int = 60, digits: int = 4) -> str:
    """A DataFrame as an HTML table (escaped, numbers formatted)."""
    if len(df) > max_rows:
        df = df.head(max_rows)
    rows = []
    for rec in df.itertuples(index=False):
        rows.append([num(v, digits) if isinstance(v, float | np.floating) else esc(v)
                     for v in rec])
    from pandas.api.types import is_numeric_dtype

    text = [i for i, c in enumerate(df.columns) if not is_numeric_dtype(df[c])]
    return html_table([str(c) for c in df.columns], rows, left=text)


def to_json(obj: Any) -> str:
    """Pretty JSON of ``obj`` (numpy scalars and arrays as Python values, others as str)."""
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(obj, indent=2, sort_keys=False, default=default, ensure_ascii=False)


def heat_bg(value: float, lo: float, hi: float, *, centre: float | None = None) -> str:
    """A light background colour for a value in a heat-map table cell."""
    if not math.isfinite(value) or not hi > lo:
        return ""
    if centre is not None:  # diverging: blue below centre, red above
        t = (value - centre) / max(hi - centre, centre - lo, 1e-12)
        t = max(-1.0, min(1.0, t))
        r, g, b = ((255, int(255 - 120 * t), int(255 - 140 * t)) if t >= 0 else
                   (int(255 + 120 * t), int(255 + 70 * t), 255))
    else:
        t = max(0.0, min(1.0, (value - lo) / (hi - lo)))
        r, g, b = int(255 - 150 * t), int(255 - 60 * t), int(255 - 20 * t)
    return f' style="background:rgb({r},{g},{b})"'
