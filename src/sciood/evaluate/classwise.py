"""Class-conditional, weighted evaluation of anomaly scores with bootstrap intervals.

:func:`evaluate` turns per-event scores on an :class:`~sciood.data.eventset.EventSet` into a
:class:`~sciood.evaluate.table.ResultTable` with one row per (signal class, background class),
one row per signal against the inclusive background (all background classes mixed by their
cross-section weights) and one row for all signals against all backgrounds.  Every cell
carries its Poisson-bootstrap percentile interval.  The ``max_sic`` column is the **honest**
max SIC (:func:`~sciood.metrics.honest.max_sic_honest`: cross-fitted, with a bootstrap that
repeats the working-point choice; the in-sample maximum is biased high and its percentile
interval undercovers, see ``docs/evaluation.md``); the in-sample number is ``max_sic_naive``.
Column names come from :mod:`sciood.evaluate.registry`.

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

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.evaluate.registry import (
    DEFAULT_METRICS,
    DEFAULT_WORKING_POINTS,
    SELECTION_METRICS,
    MetricSpec,
    get_metric,
    working_point_metrics,
)
from sciood.evaluate.table import ALL_BACKGROUNDS, ALL_SIGNALS, Cell, ResultTable
from sciood.metrics.bootstrap import bootstrap_many
from sciood.metrics.curve import DEFAULT_MIN_BACKGROUND
from sciood.metrics.honest import HONEST_METHOD, max_sic_honest
from sciood.metrics.inputs import as_scores, as_weights, normalise_weights

__all__ = ["evaluate"]


def _event_scores(scores: ArrayLike, n_events: int) -> NDArray[Any]:
    """One finite score per event, in an order-exact dtype (see ``metrics.inputs.as_scores``)."""
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
        return as_scores(scores, n_events, "scores")
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
        ``{"eff_s": [...], "eps_b": [...]}``; default
        :data:`~sciood.evaluate.registry.DEFAULT_WORKING_POINTS` (rejection at
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
    wp = DEFAULT_WORKING_POINTS if working_points is None else working_points
    specs += [sp for sp in working_point_metrics(wp) if sp.name not in {x.name for x in specs}]
    if signal_fraction is not None and not 0.0 < signal_fraction < 1.0:
        raise ConfigError(f"signal_fraction must be in (0, 1) or None, got {signal_fraction}")

    labels = eventset.labels
    is_sig = eventset.is_signal.astype(bool)
    # power-of-two rescaling of extreme weights (exact; every metric is invariant to it)
    w_all = normalise_weights(as_weights(eventset.weights, len(eventset)))
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
                request, y, s[mask], sample_weight=w, n=n_bootstrap,
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
        "min_background": DEFAULT_MIN_BACKGROUND,
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
            y, s, sample_weight=w, n_bootstrap=max(int(n_bootstrap), 2), level=level,
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
