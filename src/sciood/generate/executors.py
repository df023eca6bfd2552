"""Where shards run: in this process, on local worker processes, or as Dask tasks.

Complete shards already on disk are kept (:func:`~sciood.generate.shards.existing_shard`);
the others run in this process (``workers=1``), on a
:class:`~concurrent.futures.ProcessPoolExecutor` that is restarted (:data:`MAX_POOL_RESTARTS`
times) when a worker process dies, or through :func:`sciood.distributed.run_tasks` on a Dask
client. Results come back in plan order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from sciood.distributed import run_tasks
from sciood.errors import GenerationError
from sciood.generate.plan import ShardSpec
from sciood.generate.shards import existing_shard, run_shard

__all__ = ["KILL_SHARD_ENV", "MAX_POOL_RESTARTS", "run_all"]

log = logging.getLogger(__name__)
#: Fresh worker pools started after a worker process died, before giving up.
MAX_POOL_RESTARTS = 2
#: Test-only fault injection: ``STEM`` or ``STEM:MARKER`` makes the pool worker running shard
#: ``STEM`` exit abruptly (``os._exit``); with ``MARKER`` only while that file does not exist
#: (it is created first, so the fault happens once).
KILL_SHARD_ENV = "SCIOOD_TEST_KILL_SHARD"


def run_all(specs: list[ShardSpec], workers: int,
             progress: Callable[[int], None] | None, client: Any = None
             ) -> list[dict[str, Any]]:
    results: dict[tuple[int, int], dict[str, Any]] = {}
    todo = []
    for spec in specs:
        have = existing_shard(spec)
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

        stats = run_tasks(run_shard, todo, client=client, name="sciood-generate",
                          on_done=done)
        for spec, st in zip(todo, stats, strict=True):
            results[(spec.slice_index, spec.shard_index)] = st
    elif workers == 1 or len(todo) <= 1:
        for spec in todo:
            results[(spec.slice_index, spec.shard_index)] = run_shard(spec, progress)
    else:
        run_pool(todo, workers, progress, results)
    return [results[(s.slice_index, s.shard_index)] for s in specs]


def pool_shard(spec: ShardSpec) -> dict[str, Any]:
    """Worker-process entry point: :func:`run_shard` plus the test-only fault hook."""
    fault = os.environ.get(KILL_SHARD_ENV, "")
    stem, _, marker = fault.partition(":")
    if fault and stem == spec.stem and not (marker and Path(marker).exists()):
        if marker:
            Path(marker).touch()
        os._exit(70)  # an abrupt death, as from SIGKILL or the OOM killer
    return run_shard(spec)


def run_pool(todo: list[ShardSpec], workers: int, progress: Callable[[int], None] | None,
              results: dict[tuple[int, int], dict[str, Any]]) -> None:
    """Run shards on local worker processes; start a fresh pool if a worker dies."""
    remaining = list(todo)
    broken: BrokenProcessPool | None = None
    for attempt in range(MAX_POOL_RESTARTS + 1):
        if attempt:
            remaining = [s for s in remaining if (s.slice_index, s.shard_index) not in results]
            for spec in remaining:  # shards the dead pool finished on disk are kept
                have = existing_shard(spec)
                if have is not None:
                    results[(spec.slice_index, spec.shard_index)] = have
            remaining = [s for s in remaining if (s.slice_index, s.shard_index) not in results]
            if not remaining:
                return
            log.warning("a generation worker died (%s); restarting the pool for %d shards "
                        "(attempt %d of %d)", broken, len(remaining), attempt, MAX_POOL_RESTARTS)
        try:
            pool_pass(remaining, workers, progress, results)
            return
        except BrokenProcessPool as exc:
            broken = exc
    left = [s.stem for s in remaining if (s.slice_index, s.shard_index) not in results]
    raise GenerationError(
        f"a generation worker process died {MAX_POOL_RESTARTS + 1} times (killed by a signal "
        f"or the out-of-memory killer?) with shards {left[:5]}{' ...' if len(left) > 5 else ''}"
        f" unfinished; the {len(results)} completed shards are kept. Re-run the same command "
        "to resume (with --workers 1 or more memory if workers keep dying)") from broken


def pool_pass(todo: list[ShardSpec], workers: int, progress: Callable[[int], None] | None,
               results: dict[tuple[int, int], dict[str, Any]]) -> None:
    """One pool over ``todo``; results of shards that finish are stored as they come."""
    pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)))
    futures: dict[Future[dict[str, Any]], ShardSpec] = {}
    try:
        futures = {pool.submit(pool_shard, spec): spec for spec in todo}
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
