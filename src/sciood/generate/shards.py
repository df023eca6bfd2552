"""One shard: Pythia → detector → jets until its selected events are in, then written.

A shard reading a Les Houches file (:mod:`sciood.generate.lhe`) also ends when the file does.

A shard's Parquet file and its JSON sidecar (generation statistics: events generated, sum of
Pythia weights, σ estimate, seed, the file's SHA-256) are written atomically; a shard is
complete when both exist and agree (:func:`existing_shard`), so a killed run resumes by
regenerating only the missing shards.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data import store
from sciood.data.eventset import constituent_column
from sciood.errors import GenerationError
from sciood.generate.detector import get_card, simulate
from sciood.generate.efficiency import check_efficiency
from sciood.generate.plan import ShardSpec
from sciood.generate.pythia import PythiaSource
from sciood.io import atomic_write_bytes, sha256_file
from sciood.reco.features import EVENT_COLUMNS, FEATURES
from sciood.reco.jets import cluster_and_select

__all__ = ["OBSERVABLES", "existing_shard", "run_shard"]

log = logging.getLogger(__name__)
#: Observables written for every selected event (beside :data:`~sciood.reco.features.FEATURES`).
OBSERVABLES = ("mjj",)
#: Events Pythia generates per batch (fewer for a small shard).
BATCH = 100


def _shard_table(spec: ShardSpec, progress: Callable[[int], None] | None) -> tuple[
    pa.Table, dict[str, Any]
]:
    """Generate one shard: Pythia -> detector -> jets, until ``n_selected`` pass."""
    source = PythiaSource(spec.settings(), seed=spec.seed, where=spec.process.name)
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 7]))
    card = get_card(spec.variant)
    parts: list[dict[str, np.ndarray]] = []
    const: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
    n_have, n_gen, sum_w, n_passed = 0, 0, 0.0, 0
    batch = max(10, min(BATCH, 2 * spec.n_selected))
    while n_have < spec.n_selected and not source.exhausted:
        fs = source.next_batch(batch)
        if len(fs) == 0:  # an input event file ran out at a batch boundary
            break
        jb = cluster_and_select(simulate(fs, card, rng), spec.process.selection)
        need = spec.n_selected - n_have
        sel = jb.selected
        n_passed += len(sel)
        if len(sel) < need:
            check_efficiency(spec, n_passed, source.n_generated)
        if len(sel) > need:  # the shard ends at the event that completes it
            last = sel[need - 1]
            n_used = last + 1
            keep = slice(0, need)
        else:
            n_used = len(fs)
            keep = slice(0, len(sel))
        n_gen += int(n_used)
        sum_w += float(fs.weight[:n_used].sum())
        if len(sel):
            cols = {k: v[keep] for k, v in jb.columns.items()}
            cols["weight"] = fs.weight[sel][keep]
            cols["pthat"] = fs.pthat[sel][keep]
            parts.append(cols)
            if spec.keep_constituents:
                const.append({k: _slice_lists(c, v, keep) for k, (c, v) in
                              jb.constituents.items()})
        got = len(sel[keep])
        n_have += got
        if progress is not None and got:
            progress(got)
    sigma, sigma_err = source.sigma()
    if not parts:
        raise GenerationError(
            f"{spec.process.name}: none of the {n_gen} events read from the input file passed "
            "the selection; use a file with events that can pass it (leading jet pT > "
            f"{spec.process.selection.leading_pt_min:g} GeV)")
    table = _to_table(spec, parts, const)
    stats = {"n_generated": n_gen, "sum_weights_generated": sum_w, "sigma_fb": sigma,
             "sigma_err_fb": sigma_err, "n_pythia": source.n_generated, "seed": spec.seed,
             "slice": spec.slice_index, "shard": spec.shard_index,
             "config_hash": spec.config_hash}
    return table, stats


def _slice_lists(counts: np.ndarray, values: np.ndarray, keep: slice) -> tuple[
    np.ndarray, np.ndarray
]:
    c = counts[keep]
    start = int(counts[: keep.start].sum()) if keep.start else 0
    return c, values[start:start + int(c.sum())]


def _to_table(spec: ShardSpec, parts: list[dict[str, np.ndarray]],
              const: list[dict[str, tuple[np.ndarray, np.ndarray]]]) -> pa.Table:
    n = sum(len(p["mjj"]) for p in parts)
    cols: dict[str, Any] = {
        "label": pa.array([spec.process.class_name] * n, pa.string()),
        "is_signal": pa.array(np.full(n, spec.process.is_signal)),
        "weight": pa.array(np.concatenate([p["weight"] for p in parts])),
    }
    extra = [c for c in EVENT_COLUMNS if c in parts[0]]  # objects / truth, when present
    for name in (*OBSERVABLES, *FEATURES, "lead_pt", "pthat", *extra):
        cols[name] = pa.array(np.concatenate([p[name] for p in parts]))
    if spec.keep_constituents:
        for jet in (1, 2):
            for coord in ("pt", "eta", "phi"):
                key = f"j{jet}_{coord}"
                counts = np.concatenate([c[key][0] for c in const])
                values = np.concatenate([c[key][1] for c in const])
                offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
                cols[constituent_column(jet, coord)] = pa.ListArray.from_arrays(
                    pa.array(offsets), pa.array(values, pa.float32()))
    return pa.table(cols)


def run_shard(spec: ShardSpec, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Generate and atomically write one shard + its sidecar; return the sidecar."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fastjet's exclusive-jets advisory
        table, stats = _shard_table(spec, progress)
    entry = store.write_shard(table, spec.parquet)
    stats.update(entry)
    atomic_write_bytes(spec.sidecar, json.dumps(stats, sort_keys=True).encode())
    return stats


def existing_shard(spec: ShardSpec) -> dict[str, Any] | None:
    """Sidecar of a complete, intact shard, or None (then the shard is regenerated)."""
    if not (spec.parquet.is_file() and spec.sidecar.is_file()):
        return None
    try:
        stats: dict[str, Any] = json.loads(spec.sidecar.read_text())
    except ValueError:
        return None
    if (not isinstance(stats, dict) or stats.get("seed") != spec.seed
            or stats.get("rows") != spec.n_selected
            or stats.get("config_hash") != spec.config_hash):
        return None
    if sha256_file(spec.parquet) != stats.get("sha256"):
        log.warning("shard %s fails its checksum; regenerating it", spec.parquet)
        return None
    return stats
