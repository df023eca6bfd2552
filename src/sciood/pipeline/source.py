"""The *generate* stage of a ``data.source`` run: the user's files become one sample per class.

Every file of ``data.source.files`` is read by
:func:`sciood.data.adapters.source.read_source_file` (the column roles of the section), the
files are joined, each event keeps ``entry`` (its row in its file) and ``source_file`` (the
file's position in the list), and the events of each class are written as one EventSet store
in ``data.cache_dir/source-<key>/<class>/``.  The key holds the SHA-256 of every file and
the section (without the write-back options), so a run over unchanged files reuses the
stores and every later stage stays cached; a changed byte in a file gives new samples.

Weights: the file's ``weight`` column as it is, or — with ``cross_sections_fb`` — ``σ_c / N_c``
per fb⁻¹ for each of the ``N_c`` events read of class ``c`` (expected events per fb⁻¹, as for
generated samples; the hunt multiplies by ``statistics.luminosity``, which
``data.source.luminosity_fb`` sets), else 1.  Individual negative weights are legal (NLO Monte
Carlo); a class whose weights sum to ≤ 0 is refused.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import RunConfig
from sciood.config.base import NAME_PATTERN
from sciood.config.source import SourceConfig
from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import DataError
from sciood.io import atomic_write_bytes, sha256_file
from sciood.pipeline.cache import StageRecord, stage_key
from sciood.pipeline.progress import Progress

__all__ = ["INDEX_NAME", "read_source", "recorded_files", "source_files", "source_key",
           "source_summary_row"]

#: The list of class stores, written last in the source directory (its presence = complete).
INDEX_NAME = "source.json"


def source_files(src: SourceConfig) -> list[dict[str, Any]]:
    """Path, SHA-256, size and reader options of every input file (in config order)."""
    return [{"path": str(f.path.resolve()), "sha256": sha256_file(f.path),
             "bytes": f.path.stat().st_size, "tree": f.tree, "key": f.key, "label": f.label}
            for f in src.files]


def recorded_files(src: SourceConfig, records: list[StageRecord]) -> list[dict[str, Any]]:
    """The input files as the *generate* stage of this run read them (path, SHA-256, size,
    reader, events), from its index; hashed afresh when the run has no such record."""
    for r in records:
        index = Path(str(r.extra.get("path", ""))) / INDEX_NAME
        if r.name == "generate/source" and index.is_file():
            files: list[dict[str, Any]] = json.loads(index.read_text())["files"]
            return files
    return source_files(src)


def source_key(cfg: RunConfig, files: list[dict[str, Any]]) -> str:
    """Key of the source samples: the files' hashes and the section (no write-back keys)."""
    src = cfg.data.source
    assert src is not None
    body = src.model_dump(mode="json", exclude={"write_scores", "scores_dir", "files",
                                                "luminosity_fb"})
    return stage_key("split", "source", [(f["sha256"], f["tree"], f["key"], f["label"])
                                         for f in files], body)


def _read_all(src: SourceConfig, files: list[dict[str, Any]]) -> EventSet:
    from sciood.data.adapters.source import read_source_file

    parts = []
    for i, f in enumerate(src.files):
        es = read_source_file(
            f.path, format=src.format, signal=src.signal, label=src.label,
            label_names=src.label_names, file_label=f.label, weight=src.weight,
            observables=src.observables, features=src.features, tree=f.tree, key=f.key,
            jets=None if src.jets is None else src.jets.model_dump(), nan_policy=src.nan_policy,
            max_events=src.max_events)
        parts.append(es.with_columns(source_file=np.full(len(es), i, dtype=np.int64)))
        files[i]["n_events"] = len(es)
        files[i]["format"] = es.provenance.get("source_format")
    try:
        return EventSet.concat(parts)
    except DataError as exc:
        raise DataError(f"the files of data.source do not have the same columns ({exc}); read "
                        "files of one layout in one run (same format, branches and roles)"
                        ) from exc


def _check_classes(es: EventSet, src: SourceConfig) -> list[str]:
    import re

    classes = es.classes
    files = ", ".join(repr(str(f.path)) for f in src.files)
    bad = [c for c in classes if not re.fullmatch(NAME_PATTERN, c)]
    if bad:
        raise DataError(
            f"class labels {bad[:5]} read from {files} (column {src.label!r}) are not usable "
            "class names (letters, digits, '_', '.', '-', starting with a letter or digit); map "
            "the values with data.source.label_names, e.g. {'-1': unknown, '0': qcd, '1': sig}")
    missing = [c for c in src.signal if c not in classes]
    if missing:
        raise DataError(f"data.source.signal {missing} do not occur in the files ({files}); "
                        f"classes found: {classes} (label column {src.label!r}); fix "
                        "data.source.signal or data.source.label_names")
    if all(c in src.signal for c in classes):
        raise DataError(f"the files of data.source ({files}) hold only signal classes "
                        f"{classes}; a run "
                        "needs background events too (list only the signal classes in "
                        "data.source.signal)")
    return classes


def _weights(es: EventSet, src: SourceConfig, classes: list[str]) -> EventSet:
    w = es.weights.copy()
    labels = es.labels
    if src.cross_sections_fb is not None:
        missing = [c for c in classes if c not in src.cross_sections_fb]
        if missing:
            raise DataError(f"data.source.cross_sections_fb has no cross-section for classes "
                            f"{missing}; give one for every class ({classes})")
        for c in classes:
            rows = labels == c
            w[rows] = src.cross_sections_fb[c] / rows.sum()
    for c in classes:
        total = float(w[labels == c].sum())
        if not total > 0:
            raise DataError(f"the weights of class {c!r} (column {src.weight!r}) sum to {total}; "
                            "a class needs a positive total weight — check the weight column "
                            "or normalise with data.source.cross_sections_fb")
    return es.with_weights(w)


def _directory(cfg: RunConfig, key: str) -> Path:
    return cfg.data.cache_dir / f"source-{key}"


def read_source(cfg: RunConfig, progress: Progress,
                records: list[StageRecord]) -> list[tuple[str, int, Path]]:
    """The class stores of a ``data.source`` run (read, or reused from the cache).

    Returns
    -------
    list of (class, n_events, store directory)
        In sorted class order (:func:`sciood.pipeline.data.generate_samples` makes them
        samples of variant ``sim`` whose ``process`` is the class).
    """
    src = cfg.data.source
    assert src is not None
    t0 = time.perf_counter()
    files = source_files(src)
    key = source_key(cfg, files)
    out = _directory(cfg, key)
    index = out / INDEX_NAME
    cached = index.is_file()
    if not cached:
        if out.exists():  # an interrupted read of the same files: start again
            import shutil

            shutil.rmtree(out)
        with progress.task(f"read {len(files)} source file(s)", None):
            events = _read_all(src, files)
            classes = _check_classes(events, src)
            events = _weights(events, src, classes)
            out.mkdir(parents=True, exist_ok=True)
            for c in classes:
                part = events.with_label(c)
                part.provenance.update({
                    "source": {"files": files, "class": c, "is_signal": c in src.signal},
                    "process": {"label": c, "is_signal": c in src.signal}})
                part.write(out / c)
            atomic_write_bytes(index, json.dumps({"classes": classes, "files": files},
                                                 indent=1).encode())
    body = json.loads(index.read_text())
    unknown = sorted(set(cfg.evaluation.classes or ()) - set(body["classes"]))
    if unknown:
        names = ", ".join(repr(f["path"]) for f in files)
        raise DataError(f"evaluation.classes: {unknown} are not classes of the files ({names}); "
                        f"classes found: {body['classes']}")
    samples = []
    for c in body["classes"]:
        path = out / c
        n = int(json.loads((path / store.MANIFEST_NAME).read_text())["n_events"])
        samples.append((c, n, path))
    records.append(StageRecord("generate/source", key, cached, time.perf_counter() - t0,
                               {"path": str(out), "files": [f["path"] for f in files]}))
    return samples


def source_summary_row(process: str, variant: str, manifest_sha256: str, path: Path,
                       es: EventSet, n_train: int, n_test: int) -> dict[str, Any]:
    """The split summary row of one class of a ``data.source`` run."""
    src = es.provenance["source"]
    names = [Path(f["path"]).name for f in src["files"]]
    return {
        "process": process, "label": process,
        "is_signal": bool(src["is_signal"]), "variant": variant,
        "events": len(es), "train_events": n_train, "test_events": n_test,
        "sum_weights": float(es.weights.sum()),
        "cross_section_fb": float(es.weights.sum()),
        "files": ", ".join(names),
        "sha256": ", ".join(f["sha256"][:12] for f in src["files"]),
        "manifest_sha256": manifest_sha256, "path": str(path),
    }
