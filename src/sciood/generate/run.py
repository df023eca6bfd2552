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

Weights: ``weight`` = expected selected events per fb⁻¹, exactly σ · L / N_generated (see
:mod:`sciood.generate.provenance`).

The steps live in their own modules: :mod:`~sciood.generate.plan` (slices, shards, seeds),
:mod:`~sciood.generate.efficiency` (the stopping bound), :mod:`~sciood.generate.shards` (one
shard), :mod:`~sciood.generate.executors` (where shards run), :mod:`~sciood.generate.outdir`
(the directory's claim) and :mod:`~sciood.generate.provenance` (the manifest); this module
validates the arguments and drives them.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import numpy as np

from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.distributed import check_shared_path
from sciood.errors import ConfigError, GenerationError
from sciood.generate.catalogue import get_process
from sciood.generate.detector import get_card
from sciood.generate.efficiency import MIN_EFFICIENCY, efficiency_bound
from sciood.generate.executors import KILL_SHARD_ENV as KILL_SHARD_ENV
from sciood.generate.executors import MAX_POOL_RESTARTS as MAX_POOL_RESTARTS
from sciood.generate.executors import run_all
from sciood.generate.outdir import (
    claim,
    finished_dataset,
    remove_stale_temporaries,
    write_claim,
)
from sciood.generate.plan import ShardSpec, plan_shards, shard_seed, slice_counts
from sciood.generate.process_file import load_process_file
from sciood.generate.provenance import build_manifest, dataset_hash
from sciood.io import check_writable
from sciood.reco.features import EVENT_COLUMNS

__all__ = ["MIN_EFFICIENCY", "ShardSpec", "efficiency_bound", "generate", "plan_shards",
           "shard_seed"]

#: Largest run seed (int64, so every JSON / Parquet reader keeps it exact).
MAX_RUN_SEED = 2**63 - 1
#: Most shards in one dataset (a huge ``n_events / shard_size`` would exhaust memory).
MAX_SHARDS = 100_000


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
        Detector card / tune variant: ``"sim"``, ``"data"``, ``"sim_jes_up"``,
        ``"sim_jes_down"``, ``"sim_jer_up"``, ``"sim_jms_up"``, ``"sim_jms_down"``,
        ``"sim_jmr_up"`` (docs/reconstruction.md).
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
    card = get_card(variant)
    try:
        proc.selection.check_physical()
    except ConfigError as exc:
        raise ConfigError(f"process {proc.name!r}: {exc}") from None
    use_mpi = proc.mpi if mpi is None else bool(mpi)
    keep_constituents = bool(keep_constituents)
    body = {"process": proc.to_dict(), "n_events": int(n_events), "seed": int(seed),
            "variant": variant, "mpi": use_mpi, "shard_size": int(shard_size),
            "keep_constituents": keep_constituents, "schema_version": store.SCHEMA_VERSION,
            # the detector card and the stored object/truth columns: a dataset made by another
            # card or without those columns is never reused in place of this one
            "detector_card": card.to_dict(), "event_columns": list(EVENT_COLUMNS)}
    chash = dataset_hash(body)
    directory = Path(out) if client is None else Path(out).resolve()
    done = finished_dataset(directory, chash)
    if done is not None:
        return done
    check_writable(directory)
    slice_counts(proc, int(n_events))  # refuse an empty slice before claiming the directory
    claim(directory, chash, body)
    check_shared_path(client, directory)
    specs = plan_shards(proc, int(n_events), seed=int(seed), variant=variant, mpi=use_mpi,
                        directory=str(directory), shard_size=int(shard_size),
                        keep_constituents=keep_constituents, config_hash=chash,
                        min_efficiency=float(min_efficiency))
    t0 = time.perf_counter()
    try:
        stats = run_all(specs, workers, progress, client)
    except GenerationError as exc:
        if not isinstance(exc.__cause__, BrokenProcessPool):  # deterministic: never completes
            write_claim(directory, chash, body, status="failed", error=str(exc))
        raise
    remove_stale_temporaries(directory)
    manifest = build_manifest(proc, specs, stats, body, chash, time.perf_counter() - t0)
    store.write_manifest(directory, manifest)
    return EventSet.read(directory)
