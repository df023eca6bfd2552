"""The result of :func:`~sciood.evaluate.evaluate`: one :class:`Cell` per (signal, background).

:class:`ResultTable` holds the rows (per signal and background class, per signal against the
inclusive background ``all_backgrounds``, and ``all_signals`` against ``all_backgrounds``),
each cell a metric value with its bootstrap interval, and exports them to a dict / strict JSON
(``docs/results-schema.md``), a long-format pandas frame, a signal × background matrix and
Markdown.

>>> t = ResultTable([Cell("w", "qcd", 10, 90, 90.0, {"auc": (0.8, 0.75, 0.85)})], ["auc"])
>>> ResultTable.from_json(t.to_json()).get("w", "qcd", "auc")
(0.8, 0.75, 0.85)
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sciood import _repr
from sciood.errors import ConfigError, DataError, UnknownNameError

__all__ = ["ALL_BACKGROUNDS", "ALL_SIGNALS", "Cell", "ResultTable"]

#: Background name of the inclusive rows (all background classes, cross-section weighted).
ALL_BACKGROUNDS = "all_backgrounds"
#: Signal name of the row with every signal class together.
ALL_SIGNALS = "all_signals"


@dataclass
class Cell:
    """One row of a :class:`ResultTable`: a signal against a background.

    Attributes
    ----------
    signal, background : str
        Class names (``ALL_SIGNALS`` / ``ALL_BACKGROUNDS`` for the inclusive rows).
    n_signal, n_background : int
        Unweighted event counts.
    n_eff_background : float
        Kish effective background count ``(Σw)²/Σw²``.
    values : dict of str to (value, lo, hi)
        Metric value and bootstrap percentile interval (NaN when undefined, see ``notes``).
    notes : list of str
        Why a value is missing or to be read with care.
    """

    signal: str
    background: str
    n_signal: int
    n_background: int
    n_eff_background: float
    values: dict[str, tuple[float, float, float]]
    notes: list[str] = field(default_factory=list)


def _enc(x: float) -> float | str | None:
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(x)


def _dec(x: float | str | None) -> float:
    if x is None:
        return float("nan")
    return float(x)


def _fmt(x: float, digits: int) -> str:
    if math.isnan(x):
        return "—"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    return f"{x:.{digits}g}"


@dataclass
class ResultTable:
    """Class-conditional metric table with bootstrap intervals.

    Attributes
    ----------
    cells : list of Cell
        Rows in order: per (signal, background), per signal vs ``all_backgrounds``, then
        ``all_signals`` vs ``all_backgrounds``.
    metrics : list of str
        Column names.
    meta : dict
        Settings (n_bootstrap, seed, level, signal_fraction, min_background, ...).
    """

    cells: list[Cell]
    metrics: list[str]
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cells)

    # --- notebook views ------------------------------------------------------------------
    def _shape(self) -> str:
        """``"2 signals × 3 backgrounds (+3 inclusive rows)"``."""
        inclusive = sum(c.signal == ALL_SIGNALS or c.background == ALL_BACKGROUNDS
                        for c in self.cells)
        sig = {c.signal for c in self.cells} - {ALL_SIGNALS}
        bkg = {c.background for c in self.cells} - {ALL_BACKGROUNDS}
        text = f"{_repr.plural(len(sig), 'signal')} × {_repr.plural(len(bkg), 'background')}"
        return text + (f" (+{_repr.plural(inclusive, 'inclusive row')})" if inclusive else "")

    def __repr__(self) -> str:
        return (f"ResultTable({self._shape()}, {_repr.plural(len(self.cells), 'row')}, "
                f"metrics={_repr.short_list(self.metrics)})")

    def _repr_html_(self, max_rows: int = 30, max_metrics: int = 10) -> str:
        """Notebook view: one line per row, cells ``value [lo, hi]`` (at most ``max_rows``)."""
        cols = self.metrics[:max_metrics]
        rows = [
            [c.signal, c.background, c.n_signal, c.n_background,
             *[(_repr.num(v), _repr.interval(lo, hi) if math.isfinite(v) else "")
               for v, lo, hi in (c.values.get(m, (math.nan,) * 3) for m in cols)]]
            for c in self.cells
        ]
        level = self.meta.get("level")
        title = f"ResultTable: {self._shape()}" + (
            f"; [lo, hi] = {_repr.num(100 * level)} % bootstrap interval"
            if isinstance(level, int | float) else "")
        notes = [f"{c.signal} vs {c.background}: {n}" for c in self.cells for n in c.notes]
        if len(self.metrics) > max_metrics:
            notes.insert(0, f"{len(self.metrics) - max_metrics} more metrics not shown: "
                         + _repr.short_list(self.metrics[max_metrics:], 8))
        return _repr.html_table(title, ["signal", "background", "n_S", "n_B", *cols], rows,
                                notes=notes, max_rows=max_rows)

    def cell(self, signal: str, background: str) -> Cell:
        """The row of ``signal`` vs ``background``.

        Raises
        ------
        UnknownNameError
            Listing the available (signal, background) pairs.
        """
        for c in self.cells:
            if c.signal == signal and c.background == background:
                return c
        raise UnknownNameError(
            "row", f"{signal} vs {background}",
            [f"{c.signal} vs {c.background}" for c in self.cells],
        )

    def get(self, signal: str, background: str, metric: str) -> tuple[float, float, float]:
        """``(value, lo, hi)`` of one cell."""
        row = self.cell(signal, background)
        if metric not in row.values:
            raise UnknownNameError("metric", metric, self.metrics)
        return row.values[metric]

    # --- export --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN -> ``None``, ±inf -> ``"inf"``/``"-inf"``)."""
        rows = []
        for c in self.cells:
            rows.append({
                "signal": c.signal,
                "background": c.background,
                "n_signal": c.n_signal,
                "n_background": c.n_background,
                "n_eff_background": _enc(c.n_eff_background),
                "metrics": {
                    m: {"value": _enc(v), "lo": _enc(lo), "hi": _enc(hi)}
                    for m, (v, lo, hi) in c.values.items()
                },
                "notes": list(c.notes),
            })
        return {"meta": dict(self.meta), "metrics": list(self.metrics), "rows": rows}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ResultTable:
        """Inverse of :meth:`to_dict`."""
        try:
            cells = [
                Cell(
                    signal=r["signal"],
                    background=r["background"],
                    n_signal=int(r["n_signal"]),
                    n_background=int(r["n_background"]),
                    n_eff_background=_dec(r["n_eff_background"]),
                    values={
                        m: (_dec(v["value"]), _dec(v["lo"]), _dec(v["hi"]))
                        for m, v in r["metrics"].items()
                    },
                    notes=list(r.get("notes", [])),
                )
                for r in d["rows"]
            ]
            return cls(cells=cells, metrics=list(d["metrics"]), meta=dict(d.get("meta", {})))
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"not a ResultTable dict ({exc!r}); produce it with to_dict()") from exc

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON text (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    @classmethod
    def from_json(cls, text: str) -> ResultTable:
        """Inverse of :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

    def to_pandas(self) -> Any:
        """Long-format :class:`pandas.DataFrame`: one row per (signal, background, metric).

        Columns: signal, background, metric, value, lo, hi, n_signal, n_background,
        n_eff_background.
        """
        import pandas as pd

        recs = [
            {
                "signal": c.signal, "background": c.background, "metric": m,
                "value": v, "lo": lo, "hi": hi, "n_signal": c.n_signal,
                "n_background": c.n_background, "n_eff_background": c.n_eff_background,
            }
            for c in self.cells
            for m, (v, lo, hi) in c.values.items()
        ]
        return pd.DataFrame.from_records(recs)

    def matrix(self, metric: str, what: str = "value") -> Any:
        """Signal × background matrix of one metric (``what`` = value, lo or hi)."""
        if metric not in self.metrics:
            raise UnknownNameError("metric", metric, self.metrics)
        if what not in ("value", "lo", "hi"):
            raise ConfigError(f"what must be 'value', 'lo' or 'hi', got {what!r}")
        df = self.to_pandas()
        df = df[df["metric"] == metric]
        return df.pivot(index="signal", columns="background", values=what)

    def to_markdown(self, metrics: Sequence[str] | None = None, digits: int = 3) -> str:
        """Markdown table: one line per row, cells ``value [lo, hi]``."""
        cols = list(self.metrics if metrics is None else metrics)
        for m in cols:
            if m not in self.metrics:
                raise UnknownNameError("metric", m, self.metrics)
        head = ["signal", "background", "n_S", "n_B", *cols]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for c in self.cells:
            vals = []
            for m in cols:
                v, lo, hi = c.values[m]
                vals.append(
                    f"{_fmt(v, digits)} [{_fmt(lo, digits)}, {_fmt(hi, digits)}]"
                    if not math.isnan(v) else "—"
                )
            lines.append(
                "| " + " | ".join([c.signal, c.background, str(c.n_signal),
                                   str(c.n_background), *vals]) + " |"
            )
        # notes start with the metric name they are about; keep those of the shown columns
        hidden = tuple(f"{m}{sep}" for m in self.metrics if m not in cols for sep in ": ")
        notes = [f"- {c.signal} vs {c.background}: {n}" for c in self.cells for n in c.notes
                 if not n.startswith(hidden)]
        if notes:
            lines += ["", "Notes:", *notes]
        return "\n".join(lines) + "\n"
