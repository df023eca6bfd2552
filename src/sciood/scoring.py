"""Score a fitted detector over an EventSet store, shard by shard, into a score store.

``score_store(detector, store, out)`` reads one input shard at a time, scores it in fixed
batches of ``batch_size`` rows (batch boundaries restart at every shard, so they do not
depend on where or in which order shards run), and writes one Parquet shard of scores per
input shard.  With ``client=`` the shards are Dask tasks: the detector is sent to the
cluster once, each task reads its shard from the shared store, scores it with **one torch
thread** and writes its output shard; the in-process path runs the very same function,
also with one torch thread.  Detectors score in fixed internal blocks of rows
(:func:`sciood.detectors.inputs.score_in_blocks`), so a score is bit-identical whatever the
batch size, shard size, offset or worker that produced it.

The output directory is itself an EventSet store (``EventSet.read(out)`` works) whose rows
are aligned with the input store's rows (same shard order, same row order)::

    OUT/manifest.json          format "sciood.eventset", provenance.kind = "scores"
    OUT/scores-00000.parquet   label, is_signal, weight (physical, scale applied),
                               the observables (e.g. mjj), score [, score_std]

so evaluation (:func:`sciood.metrics.streaming.histogram_store`) and the bump hunt read only
these few columns, never the full events.

Example
-------
>>> from sciood.scoring import score_store
>>> path = score_store(det, "data/qcd", "runs/qcd-scores")          # doctest: +SKIP
>>> EventSet.read(path).column("score")                              # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data import store as store_io
from sciood.data.eventset import EventSet
from sciood.detectors import Detector
from sciood.detectors.params import canonical
from sciood.distributed import check_shared_path, run_tasks, single_thread
from sciood.errors import ConfigError, CorruptDataError, DataError
from sciood.io import check_writable, sha256_file

__all__ = ["DEFAULT_BATCH_SIZE", "needed_columns", "score_events", "score_store"]

#: Rows per scoring batch: two of the detectors' internal scoring blocks
#: (:data:`sciood.detectors.inputs.SCORE_BLOCK`), so full batches need no padding.  The batch
#: size never changes a score (every block has the same shape); it only sets memory use.
DEFAULT_BATCH_SIZE = 6144

Representation = str | Sequence[str]


@dataclass(frozen=True)
class _ShardJob:
    """One input shard to score (picklable)."""

    index: int
    source: str
    entry: dict[str, Any]
    observables: tuple[str, ...]
    features: tuple[str, ...]
    out: str


def _has_uncertainty(det: Detector) -> bool:
    return type(det).score_with_uncertainty is not Detector.score_with_uncertainty


def _inputs(det: Detector, events: EventSet, representation: Representation) -> Any:
    if isinstance(representation, str):
        if representation == "features":
            return events  # the detector builds its own inputs (its `representation`)
        from sciood.represent import represent

        return represent(events, representation)
    return events.to_numpy(list(representation))


def score_events(
    detector: Detector,
    events: EventSet,
    *,
    representation: Representation = "features",
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> dict[str, np.ndarray]:
    """Score ``events`` in fixed batches of ``batch_size`` rows.

    Parameters
    ----------
    detector : Detector
        A fitted detector.
    events : EventSet
        Shape ``(n,)`` events.
    representation : str or sequence of str
        ``"features"`` (default): the detector builds its own inputs from the events (its
        ``representation`` / ``features`` parameters, as in ``detector.score(events)``).
        A name of :func:`sciood.represent.represent` (``"hlf"``, ``"jets"``, ``"images"``,
        ``"sets"``): that representation with default options.  A list of column names: those
        columns stacked, shape ``(n, len(columns))``.
    batch_size : int
        Rows per batch.

    Returns
    -------
    dict
        ``{"score": (n,)}``, plus ``"score_std": (n,)`` for detectors with an epistemic
        uncertainty (ensembles, MC dropout).
    """
    uncertain = _has_uncertainty(detector)
    scores, stds = [], []
    for start in range(0, len(events), batch_size):
        part = EventSet(events.table.slice(start, batch_size), observables=events.observables,
                        features=events.features)
        x = _inputs(detector, part, representation)
        if uncertain:
            mean, std = detector.score_with_uncertainty(x)
            scores.append(std if getattr(detector, "score_mode", "mean") == "std" else mean)
            stds.append(std)
        else:
            scores.append(detector.score(x))
    out = {"score": np.concatenate(scores) if scores else np.empty(0)}
    if uncertain:
        out["score_std"] = np.concatenate(stds) if stds else np.empty(0)
    return out


def needed_columns(detector: Detector, representation: Representation,
                   observables: Sequence[str]) -> list[str] | None:
    """Columns a shard must provide to score it, or ``None`` for all of them.

    Known only when the inputs are named columns or the detector's own high-level features
    (``representation="hlf"`` with the base-class input builder); a constituent-based
    representation reads every column.
    """
    from sciood.data.eventset import REQUIRED

    if not isinstance(representation, str):
        cols = list(representation)
    elif representation == "features" and getattr(detector, "representation", "hlf") == "hlf":
        from sciood.detectors.uncertainty import _Wrapper
        from sciood.represent.hlf import resolve_features

        proto = detector._proto() if isinstance(detector, _Wrapper) else detector
        if type(proto)._represent is not Detector._represent:
            return None
        cols = list(resolve_features(getattr(detector, "features", None)))
    else:
        return None
    return list(dict.fromkeys([*REQUIRED, *observables, *cols]))


def _score_shard(job: _ShardJob, detector: Detector, representation: Representation,
                 batch_size: int) -> dict[str, Any]:
    """Read, score and write one shard; return its manifest entry."""
    columns = needed_columns(detector, representation, job.observables)
    table = store_io.read_shard(job.source, job.entry, columns=columns)
    scale = float(job.entry.get("weight_scale", 1.0))
    problems = store_io.check_events_table(table, f"{job.source}/{job.entry['file']}", scale)
    if problems:  # refused before scoring, not discovered when the scores are read back
        raise CorruptDataError("; ".join(problems) + "; regenerate the dataset or fix the "
                               "shard before scoring it")
    weight = table.column("weight").to_numpy(zero_copy_only=False).astype(np.float64) * scale
    events = EventSet(table, observables=job.observables,
                      features=[f for f in job.features if f in table.column_names])
    with single_thread():
        result = score_events(detector, events, representation=representation,
                              batch_size=batch_size)
    cols: dict[str, Any] = {
        "label": table.column("label"),
        "is_signal": table.column("is_signal"),
        "weight": pa.array(weight),
    }
    for name in job.observables:
        cols[name] = table.column(name)
    for name, values in result.items():
        cols[name] = pa.array(values, pa.float64())
    path = Path(job.out) / f"scores-{job.index:05d}.parquet"
    return store_io.write_shard(pa.table(cols), path)


def _resolve_detector(detector: Detector | str | os.PathLike[str]) -> Detector:
    if isinstance(detector, Detector):
        detector._check_fitted()
        return detector
    if isinstance(detector, (str, os.PathLike)):
        return Detector.load(detector)
    raise ConfigError(
        f"detector must be a fitted sciood Detector or the directory of a saved one, got "
        f"{type(detector).__name__}"
    )


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ConfigError(f"batch_size must be an integer ≥ 1, got {batch_size!r}")
    return int(batch_size)


def score_store(
    detector: Detector | str | os.PathLike[str],
    store: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    representation: Representation = "features",
    batch_size: int = DEFAULT_BATCH_SIZE,
    client: Any = None,
) -> Path:
    """Score every event of the store ``store`` and write the scores to ``out``.

    Parameters
    ----------
    detector : Detector or path-like
        A fitted detector, or the directory it was saved to (loaded with
        :meth:`Detector.load`, hashes checked).
    store : path-like
        An EventSet store (``sciood generate`` output or :meth:`EventSet.write`).
    out : path-like
        Output directory (created); an existing score store there is replaced.
    representation : str or sequence of str
        See :func:`score_events`.
    batch_size : int
        Rows per scoring batch (batches restart at each shard).
    client : distributed.Client, optional
        Score the shards as Dask tasks on this cluster; ``store`` and ``out`` must be on
        storage the workers share.

    Returns
    -------
    pathlib.Path
        ``out``: an EventSet store with ``label``, ``is_signal``, ``weight``, the
        observables, ``score`` (and ``score_std``), row-aligned with ``store``.

    Raises
    ------
    ConfigError
        ``batch_size < 1``; ``detector`` is neither a Detector nor a model directory.
    NotFittedError
        ``detector`` is not fitted.
    CorruptDataError
        ``store`` is not a complete store, or a shard fails its checksum.
    DataError
        ``out`` is not writable, or the workers cannot see ``store`` / ``out``.
    """
    size = _check_batch_size(batch_size)
    det = _resolve_detector(detector)
    source = Path(store).resolve()
    manifest = store_io.read_manifest(source)
    if not manifest["shards"]:
        raise DataError(f"store {str(source)!r} lists no shards; nothing to score")
    directory = check_writable(Path(out).resolve())
    if directory == source:
        raise ConfigError("out must differ from the input store; choose another directory")
    (directory / store_io.MANIFEST_NAME).unlink(missing_ok=True)  # invalid until rewritten
    check_shared_path(client, source)
    check_shared_path(client, directory)
    observables = tuple(manifest.get("observables", []))
    features = tuple(manifest.get("features", []))
    jobs = [_ShardJob(i, str(source), entry, observables, features, str(directory))
            for i, entry in enumerate(manifest["shards"])]
    entries = run_tasks(_score_shard, jobs, client=client, shared=(det, representation, size),
                        name="sciood-score")
    _remove_stale(directory, {e["file"] for e in entries})
    columns = ["score", "score_std"] if _has_uncertainty(det) else ["score"]
    body = {
        "n_events": int(sum(e["rows"] for e in entries)),
        "shards": entries,
        "observables": list(observables),
        "features": columns,
        "provenance": {
            "kind": "scores",
            "source": str(source),
            "source_manifest_sha256": sha256_file(source / store_io.MANIFEST_NAME),
            "detector": det.name,
            "params": {k: canonical(v) for k, v in det.get_params().items()},
            "representation": representation if isinstance(representation, str)
            else list(representation),
            "batch_size": size,
            "source_provenance": json.loads(json.dumps(manifest.get("provenance", {}),
                                                       default=str)),
        },
    }
    store_io.write_manifest(directory, body)
    return directory


def _remove_stale(directory: Path, keep: set[str]) -> None:
    """Delete score shards of an earlier, larger run and temporaries of killed writers."""
    for path in directory.glob("scores-*.parquet"):
        if path.name not in keep:
            path.unlink(missing_ok=True)
    for tmp in directory.glob(".scores-*.tmp"):
        tmp.unlink(missing_ok=True)
