"""Sharded, seeded, resumable event generation: in-process, local processes or Dask tasks.

``generate(process, n_events, seed=S, out=DIR)`` produces ``n_events`` events that *pass the
selection*, split into shards of ``shard_size`` selected events (per p̂T slice, in
proportion to the slice fractions). Shard ``i`` of slice ``k`` runs its own Pythia with the
seed derived from ``(S, k, i)`` (≤ 9×10⁸ as Pythia requires) and its own detector RNG, so

* the same command and seed give byte-identical shards whatever the number of workers;
* a killed run is resumed by re-running the same command: complete shards (file + sidecar
  with matching SHA-256) are kept, missing ones are generated, nothing is duplicated;
* the manifest (the commit point) is written only when every shard is in;
* generation is bounded: selection cuts outside their physical range are refused up front,
  and a slice whose selection efficiency is, with overwhelming confidence, below
  ``min_efficiency`` (default 10⁻⁴ selected per generated event) stops with a
  :class:`~sciood.errors.GenerationError` naming the selection (:func:`efficiency_bound`);
* a failed generation (Pythia refused to initialise, the efficiency floor) marks its claim
  ``failed``, so a corrected command may reuse the same ``out`` (the failed attempt's shards
  are replaced); a worker process that dies is retried (:data:`MAX_POOL_RESTARTS` times),
  then the error says to re-run the same command, which resumes.

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
import re
import time
import warnings
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data import store
from sciood.data.eventset import EventSet, constituent_column
from sciood.distributed import check_shared_path, run_tasks
from sciood.errors import ConfigError, CorruptDataError, GenerationError
from sciood.generate.detector import VARIANT_TUNES, get_card
from sciood.generate.jets import FEATURES
from sciood.generate.processes import Process, get_process, load_process_file
from sciood.generate.pythia import MAX_SEED

__all__ = ["MIN_EFFICIENCY", "ShardSpec", "efficiency_bound", "generate", "plan_shards",
           "shard_seed"]

log = logging.getLogger(__name__)
OBSERVABLES = ("mjj",)
BATCH = 100
SIDECAR_SUFFIX = ".json"
CLAIM_NAME = "generation.json"
#: Default floor on a slice's selection efficiency (selected / generated events).
MIN_EFFICIENCY = 1e-4
#: A slice is stopped only if its efficiency is below the floor at this one-sided confidence
#: (checked after every batch, so the per-look level is tiny).
STOP_CONFIDENCE = 1.0 - 1e-6
#: Fresh worker pools started after a worker process died, before giving up.
MAX_POOL_RESTARTS = 2
#: Largest run seed (int64, so every JSON / Parquet reader keeps it exact).
MAX_RUN_SEED = 2**63 - 1
#: Most shards in one dataset (a huge ``n_events / shard_size`` would exhaust memory).
MAX_SHARDS = 100_000
#: Test-only fault injection: ``STEM`` or ``STEM:MARKER`` makes the pool worker running shard
#: ``STEM`` exit abruptly (``os._exit``); with ``MARKER`` only while that file does not exist
#: (it is created first, so the fault happens once).
KILL_SHARD_ENV = "SCIOOD_TEST_KILL_SHARD"
_SHARD_FILE = re.compile(r"(shard-\d+-\d{5}\.(parquet|json)|\.shard-.*\.tmp)")


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
    config_hash: str = ""
    min_efficiency: float = MIN_EFFICIENCY

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


def slice_counts(process: Process, n_events: int) -> list[int]:
    """Selected events per slice: ``floor(fraction · n)``, the remainder to slice 0.

    Raises
    ------
    ConfigError
        A slice would get no events (the stitched sample would silently miss its
        cross-section): the message says how many events are needed.
    """
    fractions = np.array([s.fraction for s in process.slices])
    per_slice = np.floor(fractions * n_events).astype(int)
    per_slice[0] += n_events - per_slice.sum()  # remainder to the first slice
    empty = [k for k, n_k in enumerate(per_slice.tolist()) if n_k == 0]
    if empty:
        need = math.ceil(1.0 / float(fractions[empty].min()) - 1e-9)  # slice 0: remainder
        raise ConfigError(
            f"{process.name}: {n_events} events leave p̂T slice(s) {empty} (fraction "
            f"{fractions[empty[0]]:g}) with no events, so the stitched sample would miss their "
            f"cross-section; request at least {need} events")
    return [int(n) for n in per_slice]


def plan_shards(process: Process, n_events: int, *, seed: int, variant: str, mpi: bool,
                directory: str, shard_size: int, keep_constituents: bool,
                config_hash: str = "", min_efficiency: float = MIN_EFFICIENCY
                ) -> list[ShardSpec]:
    """Split ``n_events`` selected events over slices (by fraction) and shards."""
    specs = []
    for k, n_k in enumerate(slice_counts(process, n_events)):
        for i in range(math.ceil(n_k / shard_size)):
            n_i = min(shard_size, n_k - i * shard_size)
            specs.append(ShardSpec(process, k, i, n_i, shard_seed(seed, k, i, process.name),
                                   variant, mpi, directory, keep_constituents, config_hash,
                                   min_efficiency))
    return specs


def efficiency_bound(n_selected: int, n_generated: int,
                     confidence: float = STOP_CONFIDENCE) -> float:
    """One-sided Clopper-Pearson upper bound on a selection efficiency.

    Parameters
    ----------
    n_selected, n_generated : int
        Events passing the selection, events generated (``0 ≤ n_selected ≤ n_generated``).
    confidence : float
        Confidence level of the bound.

    Returns
    -------
    float
        ε such that P(observing ≤ ``n_selected`` | efficiency ε) = 1 − confidence; with no
        selected event this is ≈ ln(1 / (1 − confidence)) / n_generated.
    """
    if n_generated <= 0 or n_selected >= n_generated:
        return 1.0
    from scipy.special import betaincinv

    return float(betaincinv(n_selected + 1, n_generated - n_selected, confidence))


def _check_efficiency(spec: ShardSpec, n_selected: int, n_generated: int) -> None:
    """Stop a shard whose selection (almost surely) passes too few events to ever finish."""
    bound = efficiency_bound(n_selected, n_generated)
    if bound >= spec.min_efficiency:
        return
    sel = spec.process.selection
    raise GenerationError(
        f"{spec.process.name} (slice {spec.slice_index}): only {n_selected} of {n_generated} "
        f"generated events passed the selection (leading_pt_min = {sel.leading_pt_min:g} GeV, "
        f"jet_pt_min = {sel.jet_pt_min:g} GeV, jet_eta_max = {sel.jet_eta_max:g}, min_jets = "
        f"{sel.min_jets}): its efficiency is below {bound:.2g}, under the floor "
        f"min_efficiency = {spec.min_efficiency:g}, so {spec.n_selected} selected events "
        f"would need more than {spec.n_selected / bound:.3g} generated ones. Loosen the "
        "selection, or move Pythia's phase space towards it (PhaseSpace:pTHatMin / mHatMin "
        "near the cut); or lower min_efficiency (--min-efficiency) to accept the cost. The same "
        "--out can be reused by the corrected command")


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
    n_have, n_gen, sum_w, n_passed = 0, 0, 0.0, 0
    batch = max(10, min(BATCH, 2 * spec.n_selected))
    while n_have < spec.n_selected:
        fs = source.next_batch(batch)
        jb = cluster_and_select(simulate(fs, card, rng), spec.process.selection)
        need = spec.n_selected - n_have
        sel = jb.selected
        n_passed += len(sel)
        if len(sel) < need:
            _check_efficiency(spec, n_passed, source.n_generated)
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
    if (not isinstance(stats, dict) or stats.get("seed") != spec.seed
            or stats.get("rows") != spec.n_selected
            or stats.get("config_hash") != spec.config_hash):
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


def _validate(process: Any, n_events: Any, seed: Any, shard_size: Any, workers: Any,
              options: Mapping[str, Any]) -> None:
    """Strict types and ranges of :func:`generate`'s arguments (nothing is coerced)."""
    if not isinstance(process, str):
        raise ConfigError(f"process must be a process name (str), got {process!r}; "
                          "`sciood processes` lists them")
    for name, value, low, high in (("n_events", n_events, 1, None),
                                   ("shard_size", shard_size, 1, None),
                                   ("workers", workers, 1, None),
                                   ("seed", seed, 0, MAX_RUN_SEED)):
        if (isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low
                or (high is not None and value > high)):
            bound = f"≥ {low}" if high is None else f"in [{low}, {high}]"
            raise ConfigError(f"{name} must be an integer {bound}, got {value!r} "
                              f"({type(value).__name__})")
    if math.ceil(int(n_events) / int(shard_size)) > MAX_SHARDS:
        raise ConfigError(f"n_events = {n_events} in shards of {shard_size} makes more than "
                          f"{MAX_SHARDS} shards; raise shard_size (--shard-size)")
    if not isinstance(options["variant"], str):
        raise ConfigError(f"variant must be a name (str), got {options['variant']!r}")
    for name in ("mpi", "keep_constituents"):
        value = options[name]
        if not (isinstance(value, bool | np.bool_) or (name == "mpi" and value is None)):
            raise ConfigError(f"{name} must be True or False, got {value!r} "
                              f"({type(value).__name__}); a string such as 'false' is not "
                              "read as a boolean")
    eff = options["min_efficiency"]
    if (isinstance(eff, bool) or not isinstance(eff, int | float)
            or not 0.0 <= float(eff) < 1.0):
        raise ConfigError(f"min_efficiency must be a number in [0, 1), got {eff!r}")
    if options["progress"] is not None and not callable(options["progress"]):
        raise ConfigError(f"progress must be a callable or None, got {options['progress']!r}")


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
    min_efficiency: float = MIN_EFFICIENCY,
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
    min_efficiency : float
        Floor on each slice's selection efficiency: a slice is stopped with a
        :class:`~sciood.errors.GenerationError` once its efficiency is below this at a
        one-sided confidence of 1 − 10⁻⁶ (:func:`efficiency_bound`; with no selected event,
        after ≈ 14 / ``min_efficiency`` generated events). ``0`` disables the floor. Not part
        of the dataset's identity (it cannot change the events, only whether generation stops).

    Returns
    -------
    EventSet
        With ``weight`` in expected events per fb⁻¹.

    Raises
    ------
    ConfigError
        Unknown process/variant, wrong argument types (``mpi="false"``, a float ``n_events``),
        out-of-range values, or ``out`` holding a different dataset.
    DataError
        ``out`` not writable.
    GenerationError
        Pythia refused to initialise (its reason quoted), a slice's selection efficiency is
        below ``min_efficiency``, or worker processes kept dying (re-run the same command:
        it resumes from the completed shards).

    Examples
    --------
    >>> es = generate("wprime_wz", 300, seed=1, out="data/wz")  # doctest: +SKIP
    """
    _validate(process, n_events, seed, shard_size, workers,
              {"variant": variant, "mpi": mpi, "keep_constituents": keep_constituents,
               "min_efficiency": min_efficiency, "progress": progress})
    extra = load_process_file(process_file) if process_file is not None else None
    proc = get_process(process, extra=extra)
    get_card(variant)
    try:
        proc.selection.check_physical()
    except ConfigError as exc:
        raise ConfigError(f"process {proc.name!r}: {exc}") from None
    use_mpi = proc.mpi if mpi is None else bool(mpi)
    keep_constituents = bool(keep_constituents)
    body = {"process": proc.to_dict(), "n_events": int(n_events), "seed": int(seed),
            "variant": variant, "mpi": use_mpi, "shard_size": int(shard_size),
            "keep_constituents": keep_constituents, "schema_version": store.SCHEMA_VERSION}
    chash = _config_hash(body)
    directory = Path(out) if client is None else Path(out).resolve()
    done = _finished(directory, chash)
    if done is not None:
        return done
    store.check_writable(directory)
    slice_counts(proc, int(n_events))  # refuse an empty slice before claiming the directory
    _claim(directory, chash, body)
    check_shared_path(client, directory)
    specs = plan_shards(proc, int(n_events), seed=int(seed), variant=variant, mpi=use_mpi,
                        directory=str(directory), shard_size=int(shard_size),
                        keep_constituents=keep_constituents, config_hash=chash,
                        min_efficiency=float(min_efficiency))
    t0 = time.perf_counter()
    try:
        stats = _run_all(specs, workers, progress, client)
    except GenerationError as exc:
        if not isinstance(exc.__cause__, BrokenProcessPool):  # deterministic: never completes
            _write_claim(directory, chash, body, status="failed", error=str(exc))
        raise
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


def _shard_files(directory: Path) -> list[Path]:
    """Shard files, sidecars and shard temporaries directly in ``directory`` (no others)."""
    return sorted(p for p in directory.iterdir() if _SHARD_FILE.fullmatch(p.name)
                  and (p.is_file() or p.is_symlink()))


def _claim(directory: Path, chash: str, body: Mapping[str, Any]) -> None:
    """Record which run owns a partially filled directory; refuse to mix two runs.

    A claim of another configuration is taken over (its shard files removed) only if that
    generation failed deterministically (status ``failed``: it can never complete) or left
    no shard file; otherwise its completed shards are protected.
    """
    claim = directory / CLAIM_NAME
    if claim.is_file():
        try:
            info = json.loads(claim.read_text())
            owner, status = info.get("config_hash"), info.get("status", "running")
        except (ValueError, AttributeError, UnicodeDecodeError):
            owner, status = None, "running"
        if owner not in (None, chash):
            leftovers = _shard_files(directory)
            if status != "failed" and leftovers:
                raise ConfigError(
                    f"{str(directory)!r} holds an unfinished generation with other settings "
                    f"({len(leftovers)} shard files); re-run that command to finish it, or "
                    "choose another --out")
            if leftovers:
                log.warning("%s: replacing %d shard files of a failed generation with other "
                            "settings", directory, len(leftovers))
            for path in leftovers:
                path.unlink(missing_ok=True)
    _write_claim(directory, chash, body, status="running")


def _write_claim(directory: Path, chash: str, body: Mapping[str, Any], *, status: str,
                 error: str = "") -> None:
    info = {"config_hash": chash, **body, "status": status}
    if error:
        info["error"] = error
    store.atomic_write_bytes(directory / CLAIM_NAME,
                             json.dumps(info, sort_keys=True, default=str).encode())


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
        _run_pool(todo, workers, progress, results)
    return [results[(s.slice_index, s.shard_index)] for s in specs]


def _pool_shard(spec: ShardSpec) -> dict[str, Any]:
    """Worker-process entry point: :func:`_run_shard` plus the test-only fault hook."""
    fault = os.environ.get(KILL_SHARD_ENV, "")
    stem, _, marker = fault.partition(":")
    if fault and stem == spec.stem and not (marker and Path(marker).exists()):
        if marker:
            Path(marker).touch()
        os._exit(70)  # an abrupt death, as from SIGKILL or the OOM killer
    return _run_shard(spec)


def _run_pool(todo: list[ShardSpec], workers: int, progress: Callable[[int], None] | None,
              results: dict[tuple[int, int], dict[str, Any]]) -> None:
    """Run shards on local worker processes; start a fresh pool if a worker dies."""
    remaining = list(todo)
    broken: BrokenProcessPool | None = None
    for attempt in range(MAX_POOL_RESTARTS + 1):
        if attempt:
            remaining = [s for s in remaining if (s.slice_index, s.shard_index) not in results]
            for spec in remaining:  # shards the dead pool finished on disk are kept
                have = _existing(spec)
                if have is not None:
                    results[(spec.slice_index, spec.shard_index)] = have
            remaining = [s for s in remaining if (s.slice_index, s.shard_index) not in results]
            if not remaining:
                return
            log.warning("a generation worker died (%s); restarting the pool for %d shards "
                        "(attempt %d of %d)", broken, len(remaining), attempt, MAX_POOL_RESTARTS)
        try:
            _pool_pass(remaining, workers, progress, results)
            return
        except BrokenProcessPool as exc:
            broken = exc
    left = [s.stem for s in remaining if (s.slice_index, s.shard_index) not in results]
    raise GenerationError(
        f"a generation worker process died {MAX_POOL_RESTARTS + 1} times (killed by a signal "
        f"or the out-of-memory killer?) with shards {left[:5]}{' ...' if len(left) > 5 else ''}"
        f" unfinished; the {len(results)} completed shards are kept. Re-run the same command "
        "to resume (with --workers 1 or more memory if workers keep dying)") from broken


def _pool_pass(todo: list[ShardSpec], workers: int, progress: Callable[[int], None] | None,
               results: dict[tuple[int, int], dict[str, Any]]) -> None:
    """One pool over ``todo``; results of shards that finish are stored as they come."""
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)))
    futures: dict[Future[dict[str, Any]], ShardSpec] = {}
    try:
        futures = {pool.submit(_pool_shard, spec): spec for spec in todo}
        for fut in as_completed(futures):
            spec = futures[fut]
            results[(spec.slice_index, spec.shard_index)] = fut.result()
            if progress is not None:
                progress(spec.n_selected)
    except BaseException:
        for fut, spec in futures.items():  # keep what finished before the failure
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                results.setdefault((spec.slice_index, spec.shard_index), fut.result())
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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
    slice_info: dict[int, dict[str, Any]] = {}
    for k, agg in sorted(slices.items()):
        sigma = agg["sigma_n"] / n_py[k]
        slice_info[k] = {"slice": k, "settings": list(proc.slices[k].settings),
                         "sigma_fb": sigma, "sigma_err_fb": math.sqrt(agg["var_n2"]) / n_py[k],
                         "n_generated": agg["n_generated"],
                         "sum_weights_generated": agg["sum_w"],
                         "weight_scale": sigma / agg["sum_w"]}
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
            "slices": [slice_info[k] for k in sorted(slice_info)],
            "weight_unit": "expected selected events per fb^-1",
            "versions": _versions(),
            "wall_seconds": round(seconds, 3),
        },
    }

