"""Small building blocks for the notebook views (``__repr__`` / ``_repr_html_``) of results.

Everything here is plain text and HTML: no JavaScript, no external resource (stylesheet, font,
image), every piece of user text (class names, detector names, flags) escaped with
:func:`html.escape`.  Long lists are cut after a few entries with a "… N more" line, so the
HTML of a big object stays a few kilobytes.

>>> num(0.81234), num(1234.56), num(float("nan")), pm(3512.3, 41.7)
('0.812', '1235', '—', '3512 ± 42')
>>> ci(0.8, 0.75, 0.85)
'0.8 [0.75, 0.85]'
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["ci", "html_kv", "html_table", "interval", "num", "plural", "pm", "short_list", "zval"]

#: Style shared by every view; scoped to ``.sciood-repr`` so it leaves the notebook alone.
_STYLE = (
    "<style>.sciood-repr table{border-collapse:collapse;font-size:0.9em}"
    ".sciood-repr th,.sciood-repr td{padding:1px 8px;text-align:right}"
    ".sciood-repr th:first-child,.sciood-repr td:first-child{text-align:left}"
    ".sciood-repr .ci{color:#666;font-size:0.85em}"
    ".sciood-repr .more{color:#666;font-style:italic}</style>"
)


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def num(x: Any, digits: int = 3) -> str:
    """``x`` with ``digits`` significant figures ("—" for None/NaN, "∞" for infinity).

    Large numbers keep all their integer digits (``1234.5`` → ``"1235"``, not ``"1.23e+03"``);
    below 1e-4 or above 1e7 the exponent form is used.
    """
    if x is None or isinstance(x, str):
        return "—" if x is None else str(x)
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    if 10**digits <= abs(v) < 1e7:
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def zval(x: Any, decimals: int = 1) -> str:
    """A significance with a fixed number of decimals (``5.0``, ``-0.3``; "—" if undefined)."""
    return f"{float(x):.{decimals}f}" if _finite(x) else num(x)


def pm(value: Any, error: Any, digits: int = 3) -> str:
    """``value ± error``: the error to 2 significant figures, the value to the same decimal.

    Without a finite, positive error, just :func:`num` of the value.
    """
    if not _finite(value):
        return num(value, digits)
    if not _finite(error) or float(error) <= 0:
        return num(value, digits)
    v, e = float(value), float(error)
    decimals = max(0, 1 - math.floor(math.log10(e)))
    if decimals > 6 or abs(v) >= 1e7:
        return f"{num(v, digits)} ± {num(e, 2)}"
    return f"{v:.{decimals}f} ± {e:.{decimals}f}"


def interval(lo: Any, hi: Any, digits: int = 3) -> str:
    """``[lo, hi]``, or ``""`` when either end is undefined."""
    if not (_finite(lo) and _finite(hi)):
        return ""
    return f"[{num(lo, digits)}, {num(hi, digits)}]"


def ci(value: Any, lo: Any, hi: Any, digits: int = 3) -> str:
    """``value [lo, hi]`` (just the value when the value or the interval is undefined)."""
    band = interval(lo, hi, digits) if _finite(value) else ""
    return f"{num(value, digits)} {band}" if band else num(value, digits)


def plural(n: int, word: str) -> str:
    """``"1 row"``, ``"3 rows"``, ``"2 classes"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def short_list(items: Iterable[Any], n: int = 4) -> str:
    """``[a, b, c, d, … +7]``: at most ``n`` items, then how many were left out."""
    items = [str(i) for i in items]
    extra = f", … +{len(items) - n}" if len(items) > n else ""
    return "[" + ", ".join(items[:n]) + extra + "]"


def _cell(x: Any, tag: str = "td") -> str:
    """One cell: a ``(text, note)`` pair shows the note (an interval) small and grey."""
    if isinstance(x, tuple):
        text, note = x
        body = html.escape(str(text)) + (
            f' <span class="ci">{html.escape(str(note))}</span>' if note else "")
    else:
        body = html.escape(str(x))
    return f"<{tag}>{body}</{tag}>"


def html_table(
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    notes: Sequence[str] = (),
    max_rows: int = 25,
    max_notes: int = 5,
) -> str:
    """A compact, escaped HTML table with a bold title line and optional notes.

    Parameters
    ----------
    title : str
        First line (a one-line summary of the object).
    header : sequence of str
        Column names.
    rows : sequence of sequences
        Cell texts; a cell may be ``(text, note)`` (the note is shown small, e.g. an interval).
    notes : sequence of str
        Lines under the table (flags, warnings).
    max_rows, max_notes : int
        Rows / notes shown; the rest is counted in a "… N more" line.
    """
    out = [_STYLE, '<div class="sciood-repr">', f"<b>{html.escape(title)}</b>"]
    if header or rows:
        out.append("<table><tr>" + "".join(_cell(h, "th") for h in header) + "</tr>")
        out += ["<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in rows[:max_rows]]
        if len(rows) > max_rows:
            out.append(f'<tr><td class="more" colspan="{max(len(header), 1)}">'
                       f"… {len(rows) - max_rows} more rows</td></tr>")
        out.append("</table>")
    if notes:
        out.append("<ul>" + "".join(f"<li>{html.escape(str(n))}</li>"
                                    for n in notes[:max_notes]) + "</ul>")
        if len(notes) > max_notes:
            out.append(f'<div class="more">… {len(notes) - max_notes} more notes</div>')
    out.append("</div>")
    return "".join(out)


def html_kv(title: str, pairs: Sequence[tuple[str, Any]], *, notes: Sequence[str] = ()) -> str:
    """A two-column (quantity, value) :func:`html_table`."""
    return html_table(title, ("quantity", "value"), [(k, v) for k, v in pairs],
                      notes=notes, max_rows=len(pairs))
