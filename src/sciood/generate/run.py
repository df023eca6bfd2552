"""Sharded, seeded, resumable event generation: in-process, local processes or Dask tasks.

``generate(process, n_events, seed=S, out=DIR)`` produces ``n_events`` events that *pass the
selection*, split into shards of ``shard_size`` selected events (per p̂T slice, in
proportion to the slice fractions). Shard ``i`` of slice ``k`` runs its own Pythia with the
seed derived from ``(S, k, i)`` (≤ 9×10⁸ as Pythia requires) and its own detector RNG, so

* the same command and seed give byte-identical shards whatever the number of workers;
* a killed run is resumed by re-running the same command: complete shards (file + sidecar
  with matching SHA-256) are kept, missing ones are generated, nothing is duplicated;
* the manifest (the commit point) is written only when every shard is in.

Weights: each shard stores Pythia's per-event weight; the manifest's per-shard
``weight_scale`` = σ_slice / Σ_slice w_generated (in fb), where σ_slice is the
generated-count-weighted mean of the shards' Pythia σ estimates and the sum runs over *all*
generated events of the slice (selected or not). ``EventSet.read`` multiplies them, so
``weight`` = expected selected events per fb⁻¹, exactly σ · L / N_generated.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
import warnings
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data import store
from sciood.data.eventset import EventSet, constituent_column
from sciood.distributed import check_shared_path, run_tasks
from sciood.errors import ConfigError, CorruptDataError
from sciood.generate.detector import VARIANT_TUNES, get_card
from sciood.generate.jets import FEATURES
from sciood.generate.processes import Process, get_process, load_process_file
from sciood.generate.pythia import MAX_SEED

__all__ = ["ShardSpec", "generate", "plan_shards", "shard_seed"]

log = logging.getLogger(__name__)
OBSERVABLES = ("mjj",)
BATCH = 100
SIDECAR_SUFFIX = ".json"


def shard_seed(seed: int, slice_index: int, shard_index: int, process: str) -> int:
    """Pythia seed of one shard, derived from the run seed; in [1, 9×10⁸]."""
    ss = np.random.SeedSequence([seed, slice_index, shard_index, zlib.crc32(process.encode())])
    return int(ss.generate_state(1, dtype=np.uint32)[0]) % MAX_SEED + 1


@dataclass(frozen=True)
class ShardSpec:
    """Everything one shard needs; picklable so a worker process can run it."""

    process: Process
    slice_index: int
    shard_index: int
    n_selected: int
    seed: int
    variant: str
    mpi: bool
    directory: str
    keep_constituents: bool

    @property
    def stem(self) -> str:
        return f"shard-{self.slice_index}-{self.shard_index:05d}"

    @property
    def parquet(self) -> Path:
        return Path(self.directory) / f"{self.stem}.parquet"

    @property
    def sidecar(self) -> Path:
        return Path(self.directory) / f"{self.stem}{SIDECAR_SUFFIX}"

    def settings(self) -> list[str]:
        base = self.process.pythia_settings(self.slice_index, mpi=self.mpi)
        tune = list(VARIANT_TUNES[self.variant])
        # a Tune:pp line resets tune parameters: put it before the process lines
        return [*tune, *base]


def plan_shards(process: Process, n_events: int, *, seed: int, variant: str, mpi: bool,
                directory: str, shard_size: int, keep_constituents: bool) -> list[ShardSpec]:
    """Split ``n_events`` selected events over slices (by fraction) and shards."""
    specs = []
    fractions = np.array([s.fraction for s in process.slices])
    per_slice = np.floor(fractions * n_events).astype(int)
    per_slice[0] += n_events - per_slice.sum()  # remainder to the first slice
    for k, n_k in enumerate(per_slice.tolist()):
        for i in range(math.ceil(n_k / shard_size)):
            n_i = min(shard_size, n_k - i * shard_size)
            specs.append(ShardSpec(process, k, i, n_i, shard_seed(seed, k, i, process.name),
                                   variant, mpi, directory, keep_constituents))
    return specs


def _shard_table(spec: ShardSpec, progress: Callable[[int], None] | None) -> tuple[
    pa.Table, dict[str, Any]
]:
    """Generate one shard: Pythia -> detector -> jets, until ``n_selected`` pass."""
    from sciood.generate.detector import simulate
    from sciood.generate.jets import cluster_and_select
    from sciood.generate.pythia import PythiaSource

    source = PythiaSource(spec.settings(), seed=spec.seed, where=spec.process.name)
    rng = np.random.default_rng(np.random.SeedSequence([spec.seed, 7]))
    card = get_card(spec.variant)
    parts: list[dict[str, np.ndarray]] = []
    const: list[dict[str, tuple[np.ndarray, np.ndarray]]] = []
    n_have, n_gen, sum_w = 0, 0, 0.0
    batch = max(10, min(BATCH, 2 * spec.n_selected))
    while n_have < spec.n_selected:
        fs = source.next_batch(batch)
        jb = cluster_and_select(simulate(fs, card, rng), spec.process.selection)
        need = spec.n_selected - n_have
        sel = jb.selected
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
    table = _to_table(spec, parts, const)
    stats = {"n_generated": n_gen, "sum_weights_generated": sum_w, "sigma_fb": sigma,
             "sigma_err_fb": sigma_err, "n_pythia": source.n_generated, "seed": spec.seed,
             "slice": spec.slice_index, "shard": spec.shard_index}
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
    for name in (*OBSERVABLES, *FEATURES, "lead_pt", "pthat"):
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


def _run_shard(spec: ShardSpec, progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Generate and atomically write one shard + its sidecar; return the sidecar."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # fastjet's exclusive-jets advisory
        table, stats = _shard_table(spec, progress)
    entry = store.write_shard(table, spec.parquet)
    stats.update(entry)
    store.atomic_write_bytes(spec.sidecar, json.dumps(stats, sort_keys=True).encode())
    return stats


def _existing(spec: ShardSpec) -> dict[str, Any] | None:
    """Sidecar of a complete, intact shard, or None (then the shard is regenerated)."""
    if not (spec.parquet.is_file() and spec.sidecar.is_file()):
        return None
    try:
        stats: dict[str, Any] = json.loads(spec.sidecar.read_text())
    except ValueError:
        return None
    if stats.get("seed") != spec.seed or stats.get("rows") != spec.n_selected:
        return None
    if store.sha256_file(spec.parquet) != stats.get("sha256"):
        log.warning("shard %s fails its checksum; regenerating it", spec.parquet)
        return None
    return stats


def _config_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("sciood", "pythia8mc", "fastjet", "awkward", "numpy", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _validate(n_events: Any, seed: Any, shard_size: Any, workers: Any) -> None:
    for name, value, low in (("n_events", n_events, 1), ("shard_size", shard_size, 1),
                             ("workers", workers, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ConfigError(f"{name} must be an integer ≥ {low}, got {value!r}")


def generate(
    process: str,
    n_events: int,
    *,
    seed: int,
    variant: str = "sim",
    out: str | os.PathLike[str],
    process_file: str | os.PathLike[str] | None = None,
    mpi: bool | None = None,
    shard_size: int = 1000,
    workers: int = 1,
    keep_constituents: bool = True,
    progress: Callable[[int], None] | None = None,
    client: Any = None,
) -> EventSet:
    """Generate ``n_events`` selected events of ``process`` into the directory ``out``.

    Parameters
    ----------
    process : str
        Catalogue name (``sciood processes`` lists them) or a name from ``process_file``.
    n_events : int
        Events that pass the selection (not the number generated).
    seed : int
        Run seed; shard seeds are derived from it.
    variant : str
        Detector card / tune variant: ``"sim"``, ``"data"``, ``"sim_jes_up"``, ``"sim_jes_down"``.
    out : path-like
        Output directory (created). Re-running with the same arguments resumes or, when
        complete, just reads the dataset.
    process_file : path-like, optional
        TOML/YAML file with user processes
        (see :func:`~sciood.generate.processes.load_process_file`).
    mpi : bool, optional
        Override the process card's MPI setting.
    shard_size : int
        Selected events per shard.
    workers : int
        Local worker processes (shards run in parallel; output identical to ``workers=1``).
    keep_constituents : bool
        Store both jets' constituents (list columns).
    progress : callable, optional
        Called with the number of newly selected events (for progress bars).
    client : distributed.Client, optional
        Run the shards as Dask tasks on this client's cluster (see :mod:`sciood.distributed`)
        instead of in-process; ``workers`` is then ignored.  Each worker writes its shards
        (and sidecars) to ``out``, which must be on storage shared by the workers; the
        manifest is written here once every shard is in.  A task whose worker dies is re-run
        elsewhere; the output is identical to an in-process run with the same seed.

    Returns
    -------
    EventSet
        With ``weight`` in expected events per fb⁻¹.

    Raises
    ------
    ConfigError
        Unknown process/variant, non-positive counts, or ``out`` holding a different dataset.
    DataError
        ``out`` not writable.

    Examples
    --------
    >>> es = generate("wprime_wz", 300, seed=1, out="data/wz")  # doctest: +SKIP
    """
    _validate(n_events, seed, shard_size, workers)
    extra = load_process_file(process_file) if process_file is not None else None
    proc = get_process(process, extra=extra)
    get_card(variant)
    use_mpi = proc.mpi if mpi is None else bool(mpi)
    body = {"process": proc.to_dict(), "n_events": int(n_events), "seed": int(seed),
            "variant": variant, "mpi": use_mpi, "shard_size": int(shard_size),
            "keep_constituents": keep_constituents, "schema_version": store.SCHEMA_VERSION}
    chash = _config_hash(body)
    directory = Path(out) if client is None else Path(out).resolve()
    done = _finished(directory, chash)
    if done is not None:
        return done
    store.check_writable(directory)
    _claim(directory, chash, body)
    check_shared_path(client, directory)
    specs = plan_shards(proc, int(n_events), seed=int(seed), variant=variant, mpi=use_mpi,
                        directory=str(directory), shard_size=int(shard_size),
                        keep_constituents=keep_constituents)
    t0 = time.perf_counter()
    stats = _run_all(specs, workers, progress, client)
    _remove_stale_temporaries(directory)
    manifest = _manifest(proc, specs, stats, body, chash, time.perf_counter() - t0)
    store.write_manifest(directory, manifest)
    return EventSet.read(directory)


def _finished(directory: Path, chash: str) -> EventSet | None:
    """The dataset if ``directory`` already holds this exact run, else None.

    Raises ConfigError if it holds a *different* complete dataset.
    """
    if not (directory / store.MANIFEST_NAME).is_file():
        return None
    manifest = store.read_manifest(directory)
    if manifest.get("provenance", {}).get("config_hash") != chash:
        raise ConfigError(
            f"{str(directory)!r} already holds a different dataset (other process, events, seed "
            "or settings); choose another --out or delete that directory"
        )
    try:
        return EventSet.read(directory)
    except CorruptDataError as exc:  # same run, damaged shard: regenerate what is broken
        log.warning("%s; regenerating the damaged shards", exc)
        return None


def _claim(directory: Path, chash: str, body: Mapping[str, Any]) -> None:
    """Record which run owns a partially filled directory; refuse to mix two runs."""
    claim = directory / "generation.json"
    if claim.is_file():
        try:
            owner = json.loads(claim.read_text()).get("config_hash")
        except ValueError:
            owner = None
        if owner not in (None, chash):
            raise ConfigError(
                f"{str(directory)!r} holds an unfinished generation with other settings; "
                "re-run that command to finish it, or choose another --out"
            )
    store.atomic_write_bytes(claim, json.dumps({"config_hash": chash, **body},
                                               sort_keys=True, default=str).encode())


def _run_all(specs: list[ShardSpec], workers: int,
             progress: Callable[[int], None] | None, client: Any = None
             ) -> list[dict[str, Any]]:
    results: dict[tuple[int, int], dict[str, Any]] = {}
    todo = []
    for spec in specs:
        have = _existing(spec)
        if have is not None:
            results[(spec.slice_index, spec.shard_index)] = have
            if progress is not None:
                progress(spec.n_selected)
        else:
            todo.append(spec)
    if client is not None:
        def done(i: int, _: dict[str, Any]) -> None:
            if progress is not None:
                progress(todo[i].n_selected)

        stats = run_tasks(_run_shard, todo, client=client, name="sciood-generate",
                          on_done=done)
        for spec, st in zip(todo, stats, strict=True):
            results[(spec.slice_index, spec.shard_index)] = st
    elif workers == 1 or len(todo) <= 1:
        for spec in todo:
            results[(spec.slice_index, spec.shard_index)] = _run_shard(spec, progress)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(_run_shard, spec): spec for spec in todo}
            for fut in as_completed(futures):
                spec = futures[fut]
                results[(spec.slice_index, spec.shard_index)] = fut.result()
                if progress is not None:
                    progress(spec.n_selected)
    return [results[(s.slice_index, s.shard_index)] for s in specs]


def _remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary files left by a shard writer that was killed mid-write.

    Called once every shard is in, so no live writer owns them.
    """
    for tmp in directory.glob(".shard-*.tmp"):
        tmp.unlink(missing_ok=True)


def _manifest(proc: Process, specs: list[ShardSpec], stats: list[dict[str, Any]],
              body: Mapping[str, Any], chash: str, seconds: float) -> dict[str, Any]:
    slices: dict[int, dict[str, float]] = {}
    for st in stats:
        agg = slices.setdefault(st["slice"], {"n_generated": 0, "sum_w": 0.0, "sigma_n": 0.0,
                                              "var_n2": 0.0})
        agg["n_generated"] += st["n_generated"]
        agg["sum_w"] += st["sum_weights_generated"]
        agg["sigma_n"] += st["sigma_fb"] * st["n_pythia"]
        agg["var_n2"] += (st["sigma_err_fb"] * st["n_pythia"]) ** 2
    n_py = {k: sum(s["n_pythia"] for s in stats if s["slice"] == k) for k in slices}
    slice_info = []
    for k, agg in sorted(slices.items()):
        sigma = agg["sigma_n"] / n_py[k]
        slice_info.append({"slice": k, "settings": list(proc.slices[k].settings),
                           "sigma_fb": sigma, "sigma_err_fb": math.sqrt(agg["var_n2"]) / n_py[k],
                           "n_generated": agg["n_generated"],
                           "sum_weights_generated": agg["sum_w"],
                           "weight_scale": sigma / agg["sum_w"]})
    shards = []
    for spec, st in zip(specs, stats, strict=True):
        shards.append({"file": st["file"], "rows": st["rows"], "sha256": st["sha256"],
                       "weight_scale": slice_info[spec.slice_index]["weight_scale"],
                       "slice": spec.slice_index, "seed": st["seed"],
                       "n_generated": st["n_generated"]})
    card = get_card(str(body["variant"]))
    return {
        "n_events": int(body["n_events"]),
        "shards": shards,
        "observables": list(OBSERVABLES),
        "features": list(FEATURES),
        "provenance": {
            "kind": "generated",
            "config_hash": chash,
            "process": body["process"],
            "seed": body["seed"],
            "variant": body["variant"],
            "mpi": body["mpi"],
            "tune_settings": list(VARIANT_TUNES[str(body["variant"])]),
            "detector_card": card.to_dict(),
            "slices": slice_info,
            "weight_unit": "expected selected events per fb^-1",
            "versions": _versions(),
            "wall_seconds": round(seconds, 3),
        },
    }

