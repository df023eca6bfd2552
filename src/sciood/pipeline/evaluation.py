"""Stage *evaluate*: everything the report shows about one detector, cached per detector.

For each detector: :func:`sciood.evaluate.evaluate` on the ``sim`` test set, the same on each
other variant and :func:`sciood.evaluate.compare` (robustness), the sculpting of the
observable (:func:`sciood.metrics.sculpting_jsd` at ε_S = 0.5), score correlations, the top
background anomalies, a PCA latent view of the features, and — for probabilistic detectors
(binary classifiers, whose score is a logit) — the signal probability for the reliability plot.

Outputs are written as JSON / Parquet / NumPy files in ``RUN/evaluate/<label>/`` and read
back into the same objects, so a report can be redrawn without re-evaluating.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import RunConfig
from sciood.data.eventset import EventSet
from sciood.errors import SciOODError
from sciood.pipeline.cache import StageRecord, is_done, stage_dir, stage_key
from sciood.pipeline.models import TrainedModel, read_scores
from sciood.pipeline.progress import Progress
from sciood.report.inputs import DetectorResult

__all__ = ["evaluate_models", "load_test_sets"]

log = logging.getLogger(__name__)


def load_test_sets(cfg: RunConfig, split_dir: Any) -> dict[str, EventSet]:
    """Test events per variant, restricted to ``evaluation.classes`` when given."""
    out: dict[str, EventSet] = {}
    for variant in cfg.data.variants:
        es = EventSet.read(split_dir.test(variant))
        out[variant] = es.select(_class_mask(cfg, es))
    return out


def _class_mask(cfg: RunConfig, es: EventSet) -> np.ndarray:
    if cfg.evaluation.classes is None:
        return np.arange(len(es))
    return np.flatnonzero(np.isin(es.labels, cfg.evaluation.classes))


def _scores(cfg: RunConfig, stores: dict[str, Path], tests: dict[str, EventSet],
            split_dir: Any) -> dict[str, np.ndarray]:
    out = {}
    for variant, path in stores.items():
        s = read_scores(path)
        if cfg.evaluation.classes is not None:
            full = EventSet.read(split_dir.test(variant), columns=[])
            s = s[_class_mask(cfg, full)]
        out[variant] = s
    return out


def _compute(cfg: RunConfig, model: TrainedModel, scores: dict[str, np.ndarray],
             tests: dict[str, EventSet], notes: list[str]) -> DetectorResult:
    from sciood.evaluate import (
        compare,
        evaluate,
        latent_view,
        score_correlations,
        top_anomalies,
    )
    from sciood.metrics import sculpting_jsd

    ev = cfg.evaluation
    kw: dict[str, Any] = {"working_points": ev.working_points.model_dump(),
                          "n_bootstrap": ev.bootstrap, "seed": ev.seed}
    if ev.metrics is not None:
        kw["metrics"] = ev.metrics
    sim = tests["sim"]
    table = evaluate(scores["sim"], sim, **kw)
    others = {v: evaluate(scores[v], tests[v], **kw) for v in tests if v != "sim"}
    result = DetectorResult(name=model.label, scores=scores, table=table,
                            robustness=compare(table, **others) if others else None)
    obs = sim.column(cfg.statistics.observable)
    try:
        result.sculpting = sculpting_jsd(sim.is_signal, scores["sim"], obs, 0.5,
                                         sample_weight=sim.weights, seed=ev.seed)
    except SciOODError as exc:
        notes.append(f"{model.label}: no sculpting result ({exc})")
    result.correlations = score_correlations(scores["sim"], sim, max_dcor=ev.max_dcor,
                                             seed=ev.seed)
    result.top_anomalies = top_anomalies(scores["sim"], sim, k=ev.top_k)
    columns = [c for c in cfg.representation.columns() if c in sim.columns]
    if len(columns) >= 2:
        result.latent = latent_view(sim, columns=columns, seed=ev.seed)
    if model.label_kind == "binary":  # the classifier's score is a logit
        result.probability = 1.0 / (1.0 + np.exp(-scores["sim"]))
    return result


def _save(d: Path, r: DetectorResult) -> None:
    (d / "table.json").write_text(r.table.to_json())
    if r.robustness is not None:
        (d / "robustness.json").write_text(json.dumps(
            {"records": r.robustness.records, "reference": r.robustness.reference_name,
             "meta": r.robustness.meta}, default=str))
    if r.sculpting is not None:
        (d / "sculpting.json").write_text(json.dumps(dataclasses.asdict(r.sculpting)))
    if r.correlations is not None:
        r.correlations.to_parquet(d / "correlations.parquet")
    if r.top_anomalies is not None:
        r.top_anomalies.to_parquet(d / "top_anomalies.parquet")
    if r.latent is not None:
        lv = r.latent
        np.savez(d / "latent.npz", coords=lv.coords, labels=lv.labels.astype(str),
                 index=lv.index, method=np.array(lv.method),
                 explained_variance=(np.full(2, np.nan) if lv.explained_variance is None
                                     else lv.explained_variance))
    if r.probability is not None:
        np.save(d / "probability.npy", r.probability)


def _load(d: Path, label: str, scores: dict[str, np.ndarray]) -> DetectorResult:
    import pandas as pd

    from sciood.evaluate import DeltaTable, LatentView, ResultTable
    from sciood.metrics.sculpting import SculptingResult

    r = DetectorResult(name=label, scores=scores,
                       table=ResultTable.from_json((d / "table.json").read_text()))
    if (d / "robustness.json").is_file():
        body = json.loads((d / "robustness.json").read_text())
        r.robustness = DeltaTable(records=body["records"], reference_name=body["reference"],
                                  meta=body["meta"])
    if (d / "sculpting.json").is_file():
        r.sculpting = SculptingResult(**json.loads((d / "sculpting.json").read_text()))
    if (d / "correlations.parquet").is_file():
        r.correlations = pd.read_parquet(d / "correlations.parquet")
    if (d / "top_anomalies.parquet").is_file():
        r.top_anomalies = pd.read_parquet(d / "top_anomalies.parquet")
    if (d / "latent.npz").is_file():
        with np.load(d / "latent.npz", allow_pickle=False) as z:
            ev = z["explained_variance"]
            r.latent = LatentView(coords=z["coords"], labels=z["labels"], index=z["index"],
                                  method=str(z["method"]),
                                  explained_variance=None if np.isnan(ev).all() else ev)
    if (d / "probability.npy").is_file():
        r.probability = np.load(d / "probability.npy", allow_pickle=False)
    return r


def evaluation_key(cfg: RunConfig, model: TrainedModel, score_keys: list[str]) -> str:
    """Cache key of one detector's evaluation."""
    return stage_key("evaluate", model.key, score_keys, cfg.evaluation.model_dump(mode="json"),
                     cfg.representation.columns(), cfg.statistics.observable)


def evaluate_models(cfg: RunConfig, models: list[TrainedModel], stores: dict[str, dict[str, Path]],
                    score_keys: dict[str, list[str]], split: Any, run_dir: Path,
                    progress: Progress, records: list[StageRecord], *,
                    load: bool) -> tuple[list[DetectorResult] | None, dict[str, EventSet] | None,
                                         list[str]]:
    """Evaluate (or reuse) every detector.

    With ``load=False`` and every detector cached nothing is read (a fully cached run).

    Returns
    -------
    results : list of DetectorResult or None
    test_sets : dict of str to EventSet or None
    notes : list of str
        Warnings for the report.
    """
    keys = {m.label: evaluation_key(cfg, m, score_keys[m.label]) for m in models}
    dirs = {m.label: run_dir / "evaluate" / m.label for m in models}
    notes_file = "notes.json"
    if not load and all(is_done(dirs[k], keys[k]) for k in keys):
        for k in keys:
            records.append(StageRecord(f"evaluate/{k}", keys[k], True))
        notes = [n for k in keys for n in json.loads((dirs[k] / notes_file).read_text())]
        return None, None, notes
    tests = load_test_sets(cfg, split)
    results, notes = [], []
    for m in models:
        scores = _scores(cfg, stores[m.label], tests, split)
        with stage_dir(dirs[m.label], keys[m.label], f"evaluate/{m.label}", records,
                       root=run_dir) as (d, cached):
            if cached:
                res = _load(d, m.label, scores)
                own = json.loads((d / notes_file).read_text())
            else:
                own = []
                with progress.task(f"evaluate {m.label}", None):
                    res = _compute(cfg, m, scores, tests, own)
                _save(d, res)
                (d / notes_file).write_text(json.dumps(own))
        notes += own
        results.append(res)
    return results, tests, notes
