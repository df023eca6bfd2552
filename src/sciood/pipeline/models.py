"""Stages *train* and *score*: one cached unit per detector (and per test variant).

*train* fits each configured detector on the training store and saves it (safe model files,
:meth:`sciood.detectors.Detector.save`) to ``RUN/models/<label>/model``.  What a detector is
trained on follows from what its ``y`` means: unsupervised detectors see the background only;
``supervised`` (binary labels) sees background and signals; background classifiers
(``msp``, ``energy``) see the background classes; detectors with a true class attribute
``trains_on_mixture`` (weak supervision: CWoLa-, CATHODE-style) see background plus injected
signal (:func:`mixture`).  Each detector is its own cache unit: a
changed or added detector retrains only itself, and a run killed mid-training keeps every
detector finished before the kill.

*score* writes per-event scores of every test store with :func:`sciood.scoring.score_store`
(Dask tasks with ``compute.scheduler`` / ``compute.workers``) to ``RUN/scores/<label>/<variant>``.
"""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import DetectorSpec, RunConfig
from sciood.data.eventset import EventSet
from sciood.errors import DataError, MissingColumnError
from sciood.pipeline.cache import StageRecord, stage_dir, stage_key
from sciood.pipeline.compute import Compute
from sciood.pipeline.data import SplitOutput
from sciood.pipeline.progress import Progress

__all__ = ["TrainedModel", "detector_params", "mixture", "read_scores", "score_key", "score_models",
           "train_models"]


@dataclass
class TrainedModel:
    """A trained detector on disk."""

    label: str
    name: str
    params: dict[str, Any]
    key: str
    path: Path
    label_kind: str
    train_seconds: float


def _base_class(spec: DetectorSpec) -> Any:
    from sciood.detectors.registry import detector_class

    cls = detector_class(spec.name)
    if cls.accepts_extra_params and "base" in cls.param_names():
        default = inspect.signature(cls.__init__).parameters["base"].default
        return detector_class(str(spec.params.get("base", default)))
    return cls


def detector_params(spec: DetectorSpec, cfg: RunConfig) -> dict[str, Any]:
    """The detector's parameters with the run's defaults filled in.

    ``seed`` defaults to ``data.seed``; detectors on high-level features get
    ``representation.features`` unless their ``params`` choose otherwise.
    """
    params = dict(spec.params)
    own = set(_base_class(spec).param_names()) | set(_spec_names(spec))
    if "seed" in own:
        params.setdefault("seed", cfg.data.seed)
    if {"representation", "features"} <= own and params.get("representation", "hlf") == "hlf":
        params.setdefault("features", cfg.representation.columns())
    return params


def _spec_names(spec: DetectorSpec) -> list[str]:
    from sciood.detectors.registry import detector_class

    return detector_class(spec.name).param_names()


def _training_events(train: EventSet, det: Any, cfg: RunConfig) -> EventSet:
    if getattr(det, "trains_on_mixture", False):
        return mixture(train, cfg)
    if det._label_kind() == "binary":
        return train
    return train.select(np.flatnonzero(~train.is_signal))


def mixture(train: EventSet, cfg: RunConfig) -> EventSet:
    """Training "data" for weakly supervised detectors: background plus injected signal.

    The training background with weights × L (L such that they are ≈ 1 per event) plus
    ``round(n × N_train / N_test)`` events of ``data.injection.process`` from its training
    split (weight 1 each), so the training data have the same signal-to-background ratio as
    the hunted pseudo-data.  Without an injection the data are background only.
    """
    from sciood.pipeline.data import test_size

    bkg = np.flatnonzero(~train.is_signal)
    w = train.weights.copy()
    w[bkg] *= bkg.size / w[bkg].sum()
    inj = cfg.data.injection
    rows = bkg
    if inj is not None and inj.n > 0:
        if cfg.data.source is not None:  # class sizes known from the data: N_train/N_test
            f = cfg.data.train_fraction
            k = round(inj.n * f / (1.0 - f))
        else:
            n_bkg = sum(cfg.data.background.values())
            n_test = sum(test_size(n, cfg.data.train_fraction)
                         for n in cfg.data.background.values())
            k = round(inj.n * (n_bkg - n_test) / n_test)
        label = _class_name(cfg, inj.process)
        pool = np.flatnonzero(train.labels == label)
        rng = np.random.default_rng(np.random.SeedSequence([cfg.data.seed, 7]))
        chosen = rng.choice(pool, min(k, pool.size), replace=False)
        w[chosen] = 1.0
        rows = np.sort(np.concatenate([bkg, chosen]))
    return train.with_weights(w).select(rows)


def _class_name(cfg: RunConfig, process: str) -> str:
    return cfg.data.class_of(process)


def train_models(cfg: RunConfig, split: SplitOutput, run_dir: Path, progress: Progress,
                 records: list[StageRecord]) -> list[TrainedModel]:
    """Fit (or reuse) every detector; returns them in configuration order."""
    from sciood.detectors import make

    train: EventSet | None = None
    out = []
    for spec in cfg.detectors:
        params = detector_params(spec, cfg)
        weak = bool(getattr(_base_class(spec), "trains_on_mixture", False))
        data = cfg.data.injection.model_dump() if weak and cfg.data.injection else None
        key = stage_key("train", split.key, spec.name, params, weak, data)
        directory = run_dir / "models" / spec.key
        with stage_dir(directory, key, f"train/{spec.key}", records, root=run_dir) as (
                d, cached):
            if cached:
                meta = json.loads((d / "train.json").read_text())
                progress.message(f"train {spec.key}: reused")
            else:
                det = make(spec.name, **params)
                if train is None:
                    train = EventSet.read(split.train)
                events = _training_events(train, det, cfg)
                with progress.task(f"train {spec.key} ({len(events)} events)", None):
                    t0 = time.perf_counter()
                    _fit(det, events, spec)
                    seconds = time.perf_counter() - t0
                det.save(d / "model")
                meta = {"seconds": seconds, "label_kind": str(det._label_kind()),
                        "n_train": len(events)}
                (d / "train.json").write_text(json.dumps(meta))
        out.append(TrainedModel(spec.key, spec.name, params, key, d / "model",
                                meta["label_kind"], float(meta["seconds"])))
    return out


def score_models(models: list[TrainedModel], split: SplitOutput, run_dir: Path,
                 progress: Progress, compute: Compute,
                 records: list[StageRecord]) -> dict[str, dict[str, Path]]:
    """Score every test variant with every detector.

    Returns
    -------
    dict
        ``{label: {variant: score store}}``; each store has ``score`` (and ``score_std``)
        row-aligned with ``split.test(variant)``.
    """
    from sciood.scoring import score_store

    out: dict[str, dict[str, Path]] = {}
    for m in models:
        out[m.label] = {}
        for variant in split.variants:
            key = score_key(m, split, variant)
            directory = run_dir / "scores" / m.label / variant
            with stage_dir(directory, key, f"score/{m.label}/{variant}", records,
                           root=run_dir) as (d, cached):
                if not cached:
                    with progress.task(f"score {m.label} on {variant}", None):
                        score_store(m.path, split.test(variant), d, client=compute.client())
            out[m.label][variant] = directory
    return out


def score_key(model: TrainedModel, split: SplitOutput, variant: str) -> str:
    """Cache key of one detector's scores on one test variant."""
    return stage_key("score", model.key, split.key, variant)


def read_scores(path: Path) -> np.ndarray:
    """The ``score`` column of a score store, shape ``(n_events,)``.

    Raises
    ------
    CorruptDataError
        The store was damaged after its stage checked it; the fix is to re-run the same
        command (the score stage verifies its checksums and recomputes a damaged store).
    """
    from sciood.errors import CorruptDataError

    try:
        return EventSet.read(path, columns=["score"]).column("score").astype(np.float64)
    except CorruptDataError as exc:
        raise CorruptDataError(f"score store {str(path)!r} is damaged ({exc}); re-run the same "
                               "sciood command: the score stage checks its files and "
                               "recomputes a damaged store") from None


def _fit(det: Any, events: EventSet, spec: DetectorSpec) -> None:
    """Fit, naming the detector and the fix when its input columns are missing."""
    from sciood.detectors import DEFAULT_DETECTOR

    try:
        det.fit(events)
    except MissingColumnError as exc:
        default = (spec.name, spec.params) == (DEFAULT_DETECTOR["name"],
                                               DEFAULT_DETECTOR["params"])
        hint = ("it is the default detector (the config names none): list detectors whose "
                "inputs your events have under the config's `detectors`" if default else
                "choose its features / jet_features among the available columns")
        raise DataError(f"detector {spec.key!r} cannot read its inputs: {exc}; {hint}") \
            from exc

