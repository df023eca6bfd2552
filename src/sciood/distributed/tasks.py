"""Running a list of tasks in-process or on Dask, and the checks that make that safe.

:func:`run_tasks` returns results in input order; a task whose worker dies is re-run elsewhere
by the scheduler (up to ``distributed.scheduler.allowed-failures`` times, default 3).
:func:`single_thread` makes torch tasks bit-reproducible wherever they run;
:func:`check_shared_path` checks that the workers see the data directory.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sciood.errors import ConfigError, DataError

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["check_shared_path", "run_tasks", "single_thread"]

T = TypeVar("T")
R = TypeVar("R")


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch with one intra-op thread inside the block (restored afterwards).

    A task then computes the same floating-point result wherever it runs: torch's reductions
    are split over threads, and a different split changes the last bits.  No-op when torch
    has not been imported.
    """
    import sys

    torch = sys.modules.get("torch")
    if torch is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _identity(x: T) -> T:
    return x


def run_tasks(
    fn: Callable[..., R],
    items: Sequence[Any],
    *,
    client: Client | None,
    shared: Sequence[Any] = (),
    name: str = "sciood",
    retries: int = 1,
    on_done: Callable[[int, R], None] | None = None,
    keep: bool = True,
) -> list[R]:
    """Run ``fn(item, *shared)`` for every item; in-process or as Dask tasks.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function; must be deterministic in its arguments.
    items : sequence
        One task per item.
    client : distributed.Client or None
        ``None``: run sequentially here.
    shared : sequence
        Extra arguments common to every task (a fitted model, a training array).  With a
        client each is sent to the cluster *once*, as the result of a task (not a scatter),
        so if the worker holding it dies the scheduler can recompute it.
    name : str
        Task-key prefix shown on the dashboard.
    retries : int
        Extra attempts for a task that *raised*.  A task whose worker died is rescheduled by
        the scheduler independently of this number.
    on_done : callable, optional
        ``on_done(index, result)`` as each task finishes (completion order).
    keep : bool
        Keep the results (``False``: they are only passed to ``on_done`` and dropped, so a
        reduction never holds them all; an empty list is returned).

    Returns
    -------
    list
        Results in the order of ``items`` (empty if ``keep`` is false).
    """
    if client is None:
        out = []
        for i, item in enumerate(items):
            res = fn(item, *shared)
            if on_done is not None:
                on_done(i, res)
            if keep:
                out.append(res)
        return out
    from distributed import as_completed

    run = uuid.uuid4().hex[:8]
    shared_f = [client.submit(_identity, obj, key=f"{name}-shared{j}-{run}")
                for j, obj in enumerate(shared)]
    futures = [client.submit(fn, item, *shared_f, key=f"{name}-{i}-{run}", retries=retries)
               for i, item in enumerate(items)]
    index = {f.key: i for i, f in enumerate(futures)}
    results: dict[int, R] = {}
    try:
        for fut in as_completed(futures):
            i = index[fut.key]
            res = _result(fut, name)
            fut.release()
            if on_done is not None:
                on_done(i, res)
            if keep:
                results[i] = res
            del res
    finally:
        for f in (*futures, *shared_f):
            f.release()
    return [results[i] for i in range(len(items))] if keep else []


def _result(fut: Any, name: str) -> Any:
    """``fut.result()``; a task whose workers kept dying becomes a :class:`ConfigError`."""
    from distributed import KilledWorker

    try:
        return fut.result()
    except KilledWorker as exc:
        raise ConfigError(
            f"a {name} task ({fut.key}) was lost because the worker running it died on every "
            f"attempt ({exc}); a worker is usually killed for using too much memory — use "
            "fewer --workers (or --workers 1), give each worker more memory, or use smaller "
            "shards, then re-run the same command (finished shards are kept)"
        ) from exc


def _sees(path: str, probe: str | None) -> bool:
    return os.path.isdir(path) and (probe is None or os.path.isfile(os.path.join(path, probe)))


def check_shared_path(client: Client | None, directory: str | os.PathLike[str]) -> None:
    """Check that the workers see ``directory`` (shared storage); no-op in-process.

    Raises
    ------
    DataError
        A worker does not see the directory, or sees a different one at the same path (a
        file written here is not there): workers read and write shards there, so it must be
        on storage every worker mounts at the same path.
    """
    if client is None:
        return
    path = str(Path(directory).resolve())
    probe: str | None = f".sciood-probe-{uuid.uuid4().hex}"
    try:  # a file only this process made: a worker seeing the directory but not the file
        (Path(path) / str(probe)).touch(exist_ok=False)  # has its own disk at the same path
    except OSError:
        probe = None  # a read-only input: the directory must at least exist there
    try:
        seen = client.run(_sees, path, probe)
    finally:
        if probe is not None:
            (Path(path) / probe).unlink(missing_ok=True)
    missing = sorted(addr for addr, ok in seen.items() if not ok)
    if missing:
        raise DataError(
            f"Dask worker(s) {missing} cannot see the directory {path!r} (or see another "
            "directory at that path: a file written here is not there); the data must be "
            "on storage every worker mounts at the same path (NFS, Lustre, CephFS, EOS…), "
            "see docs/scale.md"
        )
