"""Class-conditional, weighted evaluation of anomaly scores with bootstrap intervals.

:func:`evaluate` turns per-event scores on an :class:`~sciood.data.eventset.EventSet` into a
:class:`ResultTable` with one row per (signal class, background class), one row per signal
against the inclusive background (all background classes mixed by their cross-section
weights) and one row for all signals against all backgrounds.  Every cell carries its
Poisson-bootstrap percentile interval.  The ``max_sic`` column is the **honest** max SIC
(:func:`~sciood.metrics.honest.max_sic_honest`: cross-fitted, with a bootstrap that repeats
the working-point choice; the in-sample maximum is biased high and its percentile interval
undercovers, see ``docs/evaluation.md``); the in-sample number is ``max_sic_naive``.

Metric names come from a registry (:data:`METRICS`, :func:`register_metric`); working-point
metrics are generated from ``working_points``, e.g. ``rejection@eff_s=0.5`` (= R50) and
``eff_s@eps_b=0.001``.

Example
-------
>>> import numpy as np, pyarrow as pa
>>> from sciood.data.eventset import EventSet
>>> rng = np.random.default_rng(0)
>>> lab = np.array(["qcd"] * 3000 + ["ttbar"] * 1000 + ["wprime"] * 500)
>>> es = EventSet(pa.table({"label": lab, "is_signal": lab == "wprime",
...                         "weight": np.ones(lab.size)}))
>>> scores = rng.normal(lab == "wprime", 1.0)
>>> table = evaluate(scores, es, n_bootstrap=20, working_points={})
>>> table.get("wprime", "qcd", "auc")[0] > 0.7
True
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, StatisticsError, UnknownNameError
from sciood.metrics import ranking
from sciood.metrics.bootstrap import CURVE_METRICS, bootstrap_many
from sciood.metrics.honest import HONEST_METHOD, max_sic_honest

__all__ = [
    "ALL_BACKGROUNDS",
    "ALL_SIGNALS",
    "DEFAULT_METRICS",
    "METRICS",
    "SELECTION_METRICS",
    "SPEC_WORKING_POINTS",
    "Cell",
    "MetricSpec",
    "ResultTable",
    "available_metrics",
    "evaluate",
    "get_metric",
    "register_metric",
    "sculpting_table",
    "working_point_metrics",
]

#: Background name of the inclusive rows (all background classes, cross-section weighted).
ALL_BACKGROUNDS = "all_backgrounds"
#: Signal name of the row with every signal class together.
ALL_SIGNALS = "all_signals"

#: SPEC §4 working points: rejection at these ε_S, and ε_S at these ε_B.
SPEC_WORKING_POINTS: dict[str, tuple[float, ...]] = {
    "eff_s": (0.2, 0.3, 0.5),
    "eps_b": (1e-2, 1e-3, 1e-4, 1e-5),
}


@dataclass(frozen=True)
class MetricSpec:
    """A named metric: which batched curve metric to run, with which arguments.

    Attributes
    ----------
    name : str
        Registry name, used as the column name.
    curve_metric : str
        Key of :data:`sciood.metrics.bootstrap.CURVE_METRICS`.
    kwargs : dict
        Keyword arguments of the curve metric (e.g. ``{"eff_s": 0.5}``).
    description : str
        One line for docs and tables.
    """

    name: str
    curve_metric: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


METRICS: dict[str, MetricSpec] = {}

#: Metrics that re-choose a working point in every replica (not a function of one curve);
#: :func:`evaluate` runs them outside the shared-replica bootstrap.
SELECTION_METRICS: tuple[str, ...] = ("max_sic_honest",)


def register_metric(
    name: str, curve_metric: str, description: str = "", **kwargs: Any
) -> MetricSpec:
    """Add (or replace) a named metric in the registry.

    Parameters
    ----------
    name : str
        Column name, e.g. ``"rejection@eff_s=0.4"``.
    curve_metric : str
        One of :data:`~sciood.metrics.bootstrap.CURVE_METRICS` (``auc``, ``average_precision``,
        ``max_sic``, ``rejection_at``, ``efficiency_at``, ``fpr_at_tpr``) or of
        :data:`SELECTION_METRICS` (``max_sic_honest``).
    description : str
    **kwargs
        Arguments of the curve metric.

    Raises
    ------
    UnknownNameError
        If ``curve_metric`` is unknown.
    """
    if curve_metric not in CURVE_METRICS and curve_metric not in SELECTION_METRICS:
        raise UnknownNameError("curve metric", curve_metric,
                               [*CURVE_METRICS, *SELECTION_METRICS])
    spec = MetricSpec(name, curve_metric, dict(kwargs), description)
    METRICS[name] = spec
    return spec


def _rej_name(x: float) -> str:
    return f"rejection@eff_s={x:g}"


def _eff_name(x: float) -> str:
    return f"eff_s@eps_b={x:g}"


register_metric("auc", "auc", "area under the weighted ROC (signal vs background efficiency)")
register_metric("aupr", "average_precision", "average precision (area under precision-recall)")
register_metric(
    "max_sic", "max_sic_honest",
    "max ε_S/√ε_B with ≥ 50 effective background events passing; honest: " + HONEST_METHOD,
    min_background=ranking.DEFAULT_MIN_BACKGROUND,
)
register_metric(
    "max_sic_naive", "max_sic",
    "in-sample max ε_S/√ε_B (≥ 50 effective background events): biased high, its percentile "
    "interval undercovers; kept for comparison",
    min_background=ranking.DEFAULT_MIN_BACKGROUND,
)
register_metric("fpr@tpr=0.95", "fpr_at_tpr", "background efficiency at 95 % signal efficiency",
                tpr=0.95)
for _x in SPEC_WORKING_POINTS["eff_s"]:
    register_metric(_rej_name(_x), "rejection_at", f"1/ε_B at ε_S = {_x:g}", eff_s=_x)
for _x in SPEC_WORKING_POINTS["eps_b"]:
    register_metric(_eff_name(_x), "efficiency_at", f"ε_S at ε_B = {_x:g}", eps_b=_x)

#: Metrics computed by :func:`evaluate` by default (plus the working-point metrics).
DEFAULT_METRICS: tuple[str, ...] = ("auc", "aupr", "max_sic", "fpr@tpr=0.95")


def available_metrics() -> list[str]:
    """Sorted names of the registered metrics."""
    return sorted(METRICS)


def get_metric(name: str) -> MetricSpec:
    """Look a metric up by name.

    Raises
    ------
    UnknownNameError
        Listing the valid names.
    """
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownNameError("metric", name, list(METRICS)) from None


def working_point_metrics(working_points: Mapping[str, Iterable[float]]) -> list[MetricSpec]:
    """Metric specs for working points ``{"eff_s": [...], "eps_b": [...]}`` (registered).

    Raises
    ------
    ConfigError
        On an unknown key or a value outside (0, 1).
    """
    out = []
    for key, values in working_points.items():
        if key not in ("eff_s", "eps_b"):
            raise ConfigError(
                f"working_points keys must be 'eff_s' (rejection at signal efficiency) or "
                f"'eps_b' (signal efficiency at background efficiency), got {key!r}"
            )
        for v in values:
            x = float(v)
            if not 0.0 < x < 1.0:
                raise ConfigError(f"working point {key}={v} must be in (0, 1)")
            if key == "eff_s":
                name = _rej_name(x)
                out.append(METRICS.get(name) or register_metric(
                    name, "rejection_at", f"1/ε_B at ε_S = {x:g}", eff_s=x))
            else:
                name = _eff_name(x)
                out.append(METRICS.get(name) or register_metric(
                    name, "efficiency_at", f"ε_S at ε_B = {x:g}", eps_b=x))
    return out


# --------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------
def _event_scores(scores: ArrayLike, n_events: int) -> NDArray[Any]:
    """One finite score per event, in an order-exact dtype (see ``ranking.as_scores``)."""
    try:
        n = len(scores)  # type: ignore[arg-type]
    except TypeError:
        n = -1
    if n != n_events:
        shape = np.shape(scores) if n >= 0 else type(scores).__name__
        raise DataError(
            f"scores has shape {shape} but the EventSet has {n_events} events; score "
            "every event (event-level scores; for per-jet scores take e.g. the max over jets)"
        )
    try:
        return ranking.as_scores(scores, n_events, "scores")
    except DataError as exc:
        raise DataError(f"{exc} (scores passed to evaluate)") from exc


def _kish(w: NDArray[np.float64]) -> float:
    s2 = float(np.sum(w * w))
    return float(w.sum() ** 2 / s2) if s2 > 0 else 0.0


def _signal_weights(
    w: NDArray[np.float64],
    labels: NDArray[Any],
    sig: NDArray[np.bool_],
    signal_fraction: float | None,
    equalise: bool,
) -> NDArray[np.float64]:
    """Rescale signal weights: classes equalised (if asked), then total to ``signal_fraction``."""
    w = w.copy()
    if equalise:
        for lab in np.unique(labels[sig]):
            m = sig & (labels == lab)
            tot = w[m].sum()
            if tot > 0:
                w[m] /= tot
    if signal_fraction is not None:
        ws, wb = w[sig].sum(), w[~sig].sum()
        if ws > 0 and wb > 0:
            w[sig] *= signal_fraction / (1.0 - signal_fraction) * wb / ws
    return w


def evaluate(
    scores: ArrayLike,
    eventset: EventSet,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    working_points: Mapping[str, Iterable[float]] | None = None,
    n_bootstrap: int = 200,
    seed: int = 0,
    level: float = 0.68,
    signal_fraction: float | None = 0.5,
    inclusive: bool = True,
) -> ResultTable:
    """Evaluate scores per (signal, background) class pair, with bootstrap intervals.

    Parameters
    ----------
    scores : array_like, shape (n,)
        One anomaly score per event of ``eventset`` (higher = more anomalous).
    eventset : EventSet
        Test events with ``label``, ``is_signal`` and ``weight`` (cross-section weights;
        negative MC weights allowed).
    metrics : sequence of str
        Registered metric names (see :func:`available_metrics`).
    working_points : mapping, optional
        ``{"eff_s": [...], "eps_b": [...]}``; default the SPEC points (rejection at
        ε_S ∈ {0.2, 0.3, 0.5}, ε_S at ε_B ∈ {1e-2, ..., 1e-5}); ``{}`` for none.
    n_bootstrap : int, default 200
        Poisson-bootstrap replicas per row.
    seed : int, default 0
        Row ``k`` uses the replica streams ``SeedSequence(seed, spawn_key=(k,))``.
    level : float, default 0.68
        Coverage of the percentile intervals.
    signal_fraction : float or None, default 0.5
        Signal weights of every row are rescaled so the signal makes up this fraction of the
        total weight (backgrounds keep their cross-section weights).  Ranking metrics (ROC,
        SIC, rejection, efficiency) do not depend on it; AUPR does, and with the physical
        signal cross-section it would mostly measure the signal prior.  ``None`` keeps the
        weights as given.  In the ``all_signals`` row every signal class first gets the same
        total weight (signal cross-sections are model choices, not a physical mixture).
    inclusive : bool, default True
        Add the inclusive rows (each signal vs all backgrounds, all signals vs all).

    Returns
    -------
    ResultTable

    Raises
    ------
    DataError
        If the scores do not match the events, contain NaN, or a signal or background class
        is missing.
    UnknownNameError
        For an unknown metric name (the message lists the valid ones).
    """
    s = _event_scores(scores, len(eventset))
    specs = [get_metric(m) for m in metrics]
    wp = SPEC_WORKING_POINTS if working_points is None else working_points
    specs += [sp for sp in working_point_metrics(wp) if sp.name not in {x.name for x in specs}]
    if signal_fraction is not None and not 0.0 < signal_fraction < 1.0:
        raise ConfigError(f"signal_fraction must be in (0, 1) or None, got {signal_fraction}")

    labels = eventset.labels
    is_sig = eventset.is_signal.astype(bool)
    # power-of-two rescaling of extreme weights (exact; every metric is invariant to it)
    w_all = ranking.normalise_weights(ranking.as_weights(eventset.weights, len(eventset)))
    sig_classes = sorted(set(labels[is_sig].tolist()))
    bkg_classes = sorted(set(labels[~is_sig].tolist()))
    both = set(sig_classes) & set(bkg_classes)
    if both:
        raise DataError(f"classes {sorted(both)} are marked both signal and background")
    if not sig_classes or not bkg_classes:
        raise DataError(
            f"need at least one signal and one background class, got signals {sig_classes} "
            f"and backgrounds {bkg_classes}"
        )

    rows: list[tuple[str, str, NDArray[np.bool_]]] = []
    for sc in sig_classes:
        for bc in bkg_classes:
            rows.append((sc, bc, (labels == sc) | (labels == bc)))
    if inclusive:
        for sc in sig_classes:
            rows.append((sc, ALL_BACKGROUNDS, (labels == sc) | ~is_sig))
        if len(sig_classes) > 1:
            rows.append((ALL_SIGNALS, ALL_BACKGROUNDS, np.ones(len(labels), dtype=bool)))

    request = {sp.name: (sp.curve_metric, dict(sp.kwargs)) for sp in specs
               if sp.curve_metric not in SELECTION_METRICS}
    selection = [sp for sp in specs if sp.curve_metric in SELECTION_METRICS]
    cells = []
    for k, (sc, bc, mask) in enumerate(rows):
        y = is_sig[mask]
        w = _signal_weights(w_all[mask], labels[mask], y, signal_fraction, sc == ALL_SIGNALS)
        n_eff = _kish(w[~y])
        try:
            res = bootstrap_many(
                request, y, s[mask], w, n=n_bootstrap,
                seed=np.random.SeedSequence(seed, spawn_key=(k,)), level=level,
                undefined="nan",
            )
        except DataError as exc:
            raise DataError(f"row {sc} vs {bc}: {exc}") from exc
        values = {
            name: (float(r.value), float(r.lo), float(r.hi)) for name, r in res.items()
        }
        for sp in selection:
            values[sp.name] = _honest_cell(y, s[mask], w, sp, n_bootstrap, seed, k, level)
        values = {sp.name: values[sp.name] for sp in specs}  # column order
        notes = _notes(specs, values, n_eff)
        cells.append(Cell(sc, bc, int(y.sum()), int((~y).sum()), n_eff, values, notes))
    meta = {
        "n_bootstrap": int(n_bootstrap), "seed": int(seed), "level": float(level),
        "signal_fraction": signal_fraction, "interval": "Poisson bootstrap, percentile",
        "max_sic_method": HONEST_METHOD,
        "min_background": ranking.DEFAULT_MIN_BACKGROUND,
        "metric_descriptions": {sp.name: sp.description for sp in specs},
    }
    return ResultTable(cells=cells, metrics=[sp.name for sp in specs], meta=meta)


def _honest_cell(
    y: NDArray[np.bool_], s: NDArray[Any], w: NDArray[np.float64], sp: MetricSpec,
    n_bootstrap: int, seed: int, row: int, level: float,
) -> tuple[float, float, float]:
    """Honest max SIC of one row (NaN when undefined: too little background or too few events).

    Row ``k`` uses ``SeedSequence([seed, 1], spawn_key=(k,))``, independent of the replica
    streams of the curve metrics.
    """
    try:
        r = max_sic_honest(
            y, s, w, n_bootstrap=max(int(n_bootstrap), 2), level=level,
            seed=np.random.SeedSequence([int(seed), 1], spawn_key=(row,)), **dict(sp.kwargs),
        )
    except StatisticsError:
        return (math.nan, math.nan, math.nan)
    return (r.value, r.lo, r.hi)


def _notes(
    specs: Sequence[MetricSpec], values: Mapping[str, tuple[float, float, float]], n_eff: float
) -> list[str]:
    notes = []
    for sp in specs:
        v = values[sp.name][0]
        if math.isnan(v):
            extra = ""
            if sp.curve_metric in ("max_sic", "max_sic_honest"):
                extra = (f" (needs >= {sp.kwargs.get('min_background')} effective background "
                         f"events passing; n_eff = {n_eff:.1f})")
            notes.append(f"{sp.name} undefined{extra}")
        elif math.isinf(v):
            notes.append(f"{sp.name} infinite: no background passes the cut")
        if sp.curve_metric == "efficiency_at" and n_eff > 0:
            target = float(sp.kwargs["eps_b"])
            if target < 1.0 / n_eff:
                notes.append(
                    f"{sp.name}: eps_b below the background resolution 1/n_eff = "
                    f"{1.0 / n_eff:.2g}; interpolated, not measured"
                )
    return notes


def sculpting_table(
    scores: ArrayLike,
    eventset: EventSet,
    observable: str | None = None,
    *,
    eff_s: float = 0.5,
    bins: int = 50,
    seed: int = 0,
) -> Any:
    """Sculpting (JSD, 1/JSD, R50, floors, bump Z) per (signal, background) and signal vs all.

    Parameters
    ----------
    scores : array_like, shape (n,)
    eventset : EventSet
    observable : str, optional
        Column to test; default the EventSet's first observable (e.g. ``mjj``).
    eff_s : float, default 0.5
    bins : int, default 50
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Columns: signal, background, jsd, inv_jsd, r50, floor, floor_matched, threshold,
        bump_z, bump_p, bump_floor (:func:`~sciood.metrics.sculpting.sculpting_bump`: the
        largest localised excess of the pass fraction over a smooth fit, its null p-value and
        95 % null quantile; NaN when too few bins have background on both sides of the cut).
    """
    import pandas as pd

    from sciood.metrics.sculpting import sculpting_bump, sculpting_jsd

    s = _event_scores(scores, len(eventset))
    if observable is None:
        if not eventset.observables:
            raise DataError("the EventSet declares no observable; pass observable='mjj'")
        observable = eventset.observables[0]
    obs = eventset.column(observable).astype(np.float64)
    labels = eventset.labels
    is_sig = eventset.is_signal.astype(bool)
    w = eventset.weights
    sig_classes = sorted(set(labels[is_sig].tolist()))
    bkg_classes = sorted(set(labels[~is_sig].tolist()))
    recs = []
    for sc in sig_classes:
        for bc in [*bkg_classes, ALL_BACKGROUNDS]:
            mask = (labels == sc) | ((labels == bc) if bc != ALL_BACKGROUNDS else ~is_sig)
            r = sculpting_jsd(obs[mask], s[mask], is_sig[mask], eff_s, bins,
                              sample_weight=w[mask], seed=seed)
            try:
                b = sculpting_bump(obs[mask], s[mask], is_sig[mask], eff_s, bins,
                                   sample_weight=w[mask], seed=seed)
                bump = (b.z, b.p_value, b.floor)
            except StatisticsError:
                bump = (math.nan, math.nan, math.nan)
            recs.append({"signal": sc, "background": bc, "jsd": r.jsd, "inv_jsd": r.inv_jsd,
                         "r50": r.r50, "floor": r.floor, "floor_matched": r.floor_matched,
                         "threshold": r.threshold, "bump_z": bump[0], "bump_p": bump[1],
                         "bump_floor": bump[2]})
    return pd.DataFrame.from_records(recs)
