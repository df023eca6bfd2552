"""Robustness: the same evaluation on ``sim`` vs ``data`` test sets and nuisance variations.

:func:`compare` takes a reference :class:`~sciood.evaluate.suite.ResultTable` and any number
of variant tables (``data=...``, ``jes_up=...``) and returns a :class:`DeltaTable` with, for
every (variant, signal, background, metric): both values, the difference, the relative change
``(variant − reference) / |reference|`` and whether the two bootstrap intervals are disjoint.

:func:`evaluate_variants` runs :func:`~sciood.evaluate.suite.evaluate` on each variant's
scores and events (same settings) and compares them to the reference.

Example
-------
>>> import numpy as np, pyarrow as pa
>>> from sciood.data.eventset import EventSet
>>> from sciood.evaluate import evaluate
>>> lab = np.array(["qcd"] * 2000 + ["sig"] * 500)
>>> es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig",
...                         "weight": np.ones(lab.size)}))
>>> rng = np.random.default_rng(1)
>>> ref = evaluate(rng.normal(lab == "sig", 1.0), es, n_bootstrap=20, working_points={})
>>> var = evaluate(rng.normal(0.5 * (lab == "sig"), 1.0), es, n_bootstrap=20, working_points={})
>>> d = compare(ref, smeared=var)
>>> d.get("smeared", "sig", "qcd", "auc")["rel_change"] < 0
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, UnknownNameError
from sciood.evaluate.classwise import evaluate
from sciood.evaluate.table import ResultTable, _enc, _fmt

__all__ = ["DeltaTable", "compare", "evaluate_variants"]


@dataclass
class DeltaTable:
    """Per-cell changes of variants with respect to a reference evaluation.

    Attributes
    ----------
    records : list of dict
        Keys: variant, signal, background, metric, reference, reference_lo, reference_hi,
        value, lo, hi, delta, rel_change, disjoint.
    reference_name : str
    """

    records: list[dict[str, Any]]
    reference_name: str = "reference"
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.records)

    def get(self, variant: str, signal: str, background: str, metric: str) -> dict[str, Any]:
        """The record of one (variant, signal, background, metric)."""
        for r in self.records:
            if (r["variant"], r["signal"], r["background"], r["metric"]) == (
                variant, signal, background, metric
            ):
                return r
        raise UnknownNameError(
            "delta record", f"{variant}/{signal}/{background}/{metric}",
            sorted({f"{r['variant']}/{r['signal']}/{r['background']}/{r['metric']}"
                    for r in self.records}),
        )

    def to_pandas(self) -> Any:
        """Long-format :class:`pandas.DataFrame` of the records."""
        import pandas as pd

        return pd.DataFrame.from_records(self.records)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (NaN -> ``None``, ±inf -> strings)."""
        recs = [
            {k: (_enc(v) if isinstance(v, float) else v) for k, v in r.items()}
            for r in self.records
        ]
        return {"reference": self.reference_name, "meta": dict(self.meta), "records": recs}

    def to_json(self, indent: int | None = 2) -> str:
        """Strict JSON text."""
        return json.dumps(self.to_dict(), indent=indent, allow_nan=False)

    def to_markdown(self, metrics: list[str] | None = None, digits: int = 3) -> str:
        """Markdown table: reference, variant value and relative change per cell."""
        head = ["variant", "signal", "background", "metric", self.reference_name, "variant value",
                "rel. change", "disjoint CIs"]
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in self.records:
            if metrics is not None and r["metric"] not in metrics:
                continue
            rel = r["rel_change"]
            rel_s = "—" if math.isnan(rel) else f"{100 * rel:+.1f} %"
            lines.append("| " + " | ".join([
                r["variant"], r["signal"], r["background"], r["metric"],
                _fmt(r["reference"], digits), _fmt(r["value"], digits), rel_s,
                "yes" if r["disjoint"] else "no",
            ]) + " |")
        return "\n".join(lines) + "\n"


def compare(reference: ResultTable, **variants: ResultTable) -> DeltaTable:
    """Relative changes of each variant table with respect to ``reference``.

    Parameters
    ----------
    reference : ResultTable
        E.g. the evaluation on the ``sim`` test set.
    **variants : ResultTable
        Named variants, e.g. ``data=table_data, jes_up=table_jes``.  Cells and metrics absent
        from a variant are skipped (only the common ones are compared).

    Returns
    -------
    DeltaTable
        ``delta = value − reference``; ``rel_change = delta / |reference|`` (NaN when the
        reference is 0 or not finite); ``disjoint`` is True when the two bootstrap intervals
        do not overlap (a change beyond the statistical uncertainty of either).

    Raises
    ------
    ConfigError
        If no variant is given.
    """
    if not variants:
        raise ConfigError("compare needs at least one variant, e.g. compare(ref, data=table)")
    records = []
    for vname, table in variants.items():
        index = {(c.signal, c.background): c for c in table.cells}
        for rc in reference.cells:
            vc = index.get((rc.signal, rc.background))
            if vc is None:
                continue
            for metric, (rv, rlo, rhi) in rc.values.items():
                if metric not in vc.values:
                    continue
                v, lo, hi = vc.values[metric]
                with np.errstate(invalid="ignore"):
                    delta = float(v - rv) if math.isfinite(v) and math.isfinite(rv) else math.nan
                rel = delta / abs(rv) if math.isfinite(delta) and rv != 0 else math.nan
                disjoint = bool(lo > rhi or hi < rlo)
                records.append({
                    "variant": vname, "signal": rc.signal, "background": rc.background,
                    "metric": metric, "reference": rv, "reference_lo": rlo,
                    "reference_hi": rhi, "value": v, "lo": lo, "hi": hi,
                    "delta": delta, "rel_change": rel, "disjoint": disjoint,
                })
    return DeltaTable(records=records, meta={"variants": list(variants)})


def evaluate_variants(
    variants: Mapping[str, tuple[ArrayLike, EventSet]],
    reference: str = "sim",
    **evaluate_kwargs: Any,
) -> tuple[dict[str, ResultTable], DeltaTable]:
    """Evaluate each variant with the same settings and compare to the reference.

    Parameters
    ----------
    variants : mapping of str to (scores, EventSet)
        E.g. ``{"sim": (s_sim, es_sim), "data": (s_data, es_data), "jes_up": (...)}``.
    reference : str, default "sim"
        Key of the reference variant.
    **evaluate_kwargs
        Passed to :func:`~sciood.evaluate.suite.evaluate` (same seed for every variant).

    Returns
    -------
    tables : dict of str to ResultTable
    deltas : DeltaTable

    Raises
    ------
    UnknownNameError
        If ``reference`` is not a key of ``variants``.
    """
    if reference not in variants:
        raise UnknownNameError("variant", reference, list(variants))
    tables = {name: evaluate(s, es, **evaluate_kwargs) for name, (s, es) in variants.items()}
    others = {k: v for k, v in tables.items() if k != reference}
    deltas = compare(tables[reference], **others)
    deltas.reference_name = reference
    return tables, deltas
