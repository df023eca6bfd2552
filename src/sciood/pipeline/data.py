"""Stages *generate* and *split*: the run's events.

With ``data.source`` the *generate* stage reads the user's files instead
(:func:`read_source`): every file through :func:`sciood.data.adapters.source.read_source_file`,
one sample per class, stored in ``data.cache_dir/source-<key>/<class>/`` (the key: the files'
SHA-256 and the section), weights ``σ_class / N_class`` per fb⁻¹ when
``cross_sections_fb`` is given.  Everything after that is the same as for generated samples.

*generate* asks :func:`sciood.generate` for every (process, variant) sample.  Samples live in
``data.cache_dir``, one directory per process, variant and generation settings, so any run
asking for the same sample reuses it (``sciood.generate`` itself re-reads a complete dataset
with the same manifest hash and finishes an interrupted one).

*split* divides each ``sim`` sample into a training and a test part (seeded, per process) and
writes, in ``RUN/split/``, the training store ``train/`` and one test store per variant
(``test-sim/``, ``test-data/``, ...).  Non-``sim`` variants are generated at the size of the
``sim`` test split and used whole as test sets.  Weights stay in expected events per fb⁻¹ of
the *full* process: a part holding a fraction f of a sample has its weights divided by f.

The split's cache key uses each sample's *content key* (:func:`content_key`: the manifest
without wall times or other non-deterministic fields), so regenerating identical events (e.g.
after clearing ``data.cache_dir``) leaves every downstream stage cached.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import RunConfig
from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import SciOODError
from sciood.io import sha256_file
from sciood.pipeline.cache import StageRecord, deterministic, stage_dir, stage_key
from sciood.pipeline.compute import Compute
from sciood.pipeline.progress import Progress
from sciood.pipeline.rundir import is_write_error, output_error
from sciood.pipeline.source import read_source, source_summary_row

__all__ = ["Sample", "SplitOutput", "content_key", "generate_samples", "split_samples",
           "test_size"]


@dataclass
class Sample:
    """One generated (process, variant) dataset."""

    process: str
    variant: str
    n_events: int
    path: Path
    manifest_sha256: str
    content_key: str = ""
    events: EventSet | None = None

    def load(self) -> EventSet:
        """The events (read on first use)."""
        if self.events is None:
            self.events = EventSet.read(self.path)
        return self.events


@dataclass
class SplitOutput:
    """Paths of the split stage's stores and its key."""

    key: str
    directory: Path
    variants: list[str]

    @property
    def train(self) -> Path:
        """Training store (every process, ``sim``)."""
        return self.directory / "train"

    def test(self, variant: str) -> Path:
        """Test store of ``variant``."""
        return self.directory / f"test-{variant}"

    def summary(self) -> list[dict[str, Any]]:
        """Per (process, variant) rows written by the stage (see :func:`split_samples`)."""
        rows: list[dict[str, Any]] = json.loads((self.directory / "summary.json").read_text())
        return rows


def test_size(n_events: int, train_fraction: float) -> int:
    """Events in the test part of a sample of ``n_events`` (at least 1, at most n - 1)."""
    n_train = min(max(round(n_events * train_fraction), 1), n_events - 1)
    return n_events - n_train


def _requests(cfg: RunConfig) -> list[tuple[str, str, int]]:
    d = cfg.data
    out: list[tuple[str, str, int]] = []
    for variant in d.variants:
        for process, n in {**d.background, **d.signals}.items():
            size = n if variant == "sim" else test_size(n, d.train_fraction)
            out.append((process, variant, size))
    return out


def _sample_dir(cfg: RunConfig, process: str, variant: str, n: int) -> Path:
    d = cfg.data
    pf = sha256_file(d.process_file) if d.process_file is not None else None
    body = [process, variant, n, d.seed, d.mpi, d.shard_size, d.keep_constituents, pf]
    digest = hashlib.sha256(json.dumps(body).encode()).hexdigest()[:10]
    return d.cache_dir / f"{process}-{variant}-{n}-{digest}"


def generate_samples(cfg: RunConfig, progress: Progress, compute: Compute,
                     records: list[StageRecord]) -> list[Sample]:
    """Generate (or reuse) every sample of the run.

    Returns
    -------
    list of Sample
        In the order ``variants × (background, signals)``.
    """
    import time

    from sciood.generate import generate

    d = cfg.data
    if d.source is not None:
        return [Sample(c, "sim", n, path, sha256_file(path / store.MANIFEST_NAME),
                       content_key(path)) for c, n, path in read_source(cfg, progress, records)]
    samples = []
    for process, variant, n in _requests(cfg):
        out = _sample_dir(cfg, process, variant, n)
        complete = (out / store.MANIFEST_NAME).is_file()
        t0 = time.perf_counter()
        with progress.task(f"generate {process} ({variant})", None if complete else n) as adv:
            try:
                es = generate(
                    process, n, seed=d.seed, variant=variant, out=out,
                    process_file=d.process_file, mpi=d.mpi, shard_size=d.shard_size,
                    keep_constituents=d.keep_constituents, progress=adv,
                    client=None if complete else compute.client())
            except OSError as exc:
                if isinstance(exc, SciOODError) or not is_write_error(exc):
                    raise
                raise output_error(exc, d.cache_dir, f"generate/{process}/{variant}",
                                   option="data.cache_dir") from exc
        sha = sha256_file(out / store.MANIFEST_NAME)
        ckey = content_key(out)
        records.append(StageRecord(f"generate/{process}/{variant}", ckey, complete,
                                   time.perf_counter() - t0, {"path": str(out)}))
        samples.append(Sample(process, variant, n, out, sha, ckey, es))
    return samples


def content_key(directory: Path) -> str:
    """Key of a dataset's *content*: its manifest without non-deterministic fields.

    The manifest lists every shard's SHA-256, so the key changes exactly when the events do;
    ``provenance.wall_seconds`` (and any other wall time, date or host name) is left out.
    """
    body = json.loads((directory / store.MANIFEST_NAME).read_text(encoding="utf-8"))
    body.pop(getattr(store, "CHECKSUM_KEY", "manifest_sha256"), None)  # covers wall times
    return stage_key("dataset", deterministic(body))


def _rng(seed: int, process: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(process.encode())]))


def _scaled(events: EventSet, index: np.ndarray) -> EventSet:
    part = events.select(index)
    return part.with_weights(part.weights * (len(events) / len(index)))


def _summary_rows(samples: list[Sample], train_fraction: float) -> list[dict[str, Any]]:
    rows = []
    for s in samples:
        es = s.load()
        n_test = test_size(len(es), train_fraction) if s.variant == "sim" else len(es)
        prov = es.provenance
        if "source" in prov and isinstance(prov["source"], dict):
            rows.append(source_summary_row(s.process, s.variant, s.manifest_sha256, s.path, es,
                                           len(es) - n_test, n_test))
            continue
        proc = prov.get("process", {})
        rows.append({
            "process": s.process, "label": proc.get("label", s.process),
            "is_signal": bool(proc.get("is_signal", es.is_signal.any())), "variant": s.variant,
            "events": len(es), "train_events": len(es) - n_test, "test_events": n_test,
            "sum_weights": float(es.weights.sum()),
            "cross_section_fb": float(es.weights.sum()), "mpi": prov.get("mpi"),
            "tune": " ; ".join(prov.get("tune_settings", []) or ["default (Monash)"]),
            "detector_card": _card_name(prov.get("detector_card"), s.variant),
            "generator": f"Pythia {(prov.get('versions') or {}).get('pythia8mc', '?')}",
            "manifest_sha256": s.manifest_sha256, "path": str(s.path),
        })
    return rows


def _card_name(card: Any, default: str) -> str:
    if isinstance(card, dict):
        return f"{card.get('name', default)} v{card.get('version', '?')}"
    return str(card or default)


def split_samples(cfg: RunConfig, samples: list[Sample], run_dir: Path,
                  progress: Progress, records: list[StageRecord]) -> SplitOutput:
    """Write the training store and the per-variant test stores (cached by sample hashes)."""
    d = cfg.data
    key = stage_key("split", [(s.process, s.variant, s.content_key) for s in samples],
                    d.train_fraction, d.seed)
    out = SplitOutput(key, run_dir / "split", list(d.variants))
    with stage_dir(out.directory, key, "split", records, root=run_dir) as (directory, cached):
        if cached:
            progress.message("split: reused")
            return out
        with progress.task("split train / test", len(samples)) as adv:
            train: list[EventSet] = []
            tests: dict[str, list[EventSet]] = {v: [] for v in d.variants}
            for s in samples:
                es = s.load()
                if s.variant == "sim":
                    perm = _rng(d.seed, s.process).permutation(len(es))
                    n_test = test_size(len(es), d.train_fraction)
                    tests["sim"].append(_scaled(es, np.sort(perm[:n_test])))
                    train.append(_scaled(es, np.sort(perm[n_test:])))
                else:
                    tests[s.variant].append(es)
                adv(1)
            EventSet.concat(train).write(out.train)
            for variant, parts in tests.items():
                EventSet.concat(parts).write(out.test(variant))
            rows = _summary_rows(samples, d.train_fraction)
            (directory / "summary.json").write_text(json.dumps(rows, indent=1))
    return out
