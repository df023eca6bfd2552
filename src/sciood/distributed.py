"""Scale-out on Dask: one way to get a client, one way to run a list of tasks.

sciood runs in-process by default.  :func:`connect` gives a :class:`distributed.Client`

* for nothing (``connect()``): yields ``None`` — every stage then runs in this process;
* for a local cluster (``connect(workers=K)``): ``K`` worker *processes* with one thread each
  (a :class:`distributed.LocalCluster`, closed on exit);
* for an existing cluster (``connect(scheduler="tcp://host:8786")``, or the path of a
  scheduler file written by ``dask scheduler --scheduler-file`` / ``dask-jobqueue``).

While the ``with`` block is open the client is also the *current* client
(:func:`current_client`), so code that parallelises internally (ensemble members) uses it
without being passed it.  Stages that take ``client=`` (``sciood.generate``,
:func:`sciood.scoring.score_store`, :func:`sciood.metrics.streaming.histogram_store`) run their
shards as tasks through :func:`run_tasks`: results come back in input order, a task whose
worker dies is re-run elsewhere by the scheduler (up to
``distributed.scheduler.allowed-failures`` times, default 3), and every task is a
deterministic function of its arguments, so the output does not depend on where it ran.

Example
-------
>>> from sciood.distributed import connect
>>> with connect() as client:          # in-process
...     client is None
True
>>> with connect(workers=2) as client:  # doctest: +SKIP
...     es = sciood.generate("qcd", 10_000, seed=1, out="data/qcd", client=client)
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sciood.errors import ConfigError, DataError, require

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = [
    "check_shared_path",
    "connect",
    "current_client",
    "run_tasks",
    "single_thread",
    "use_client",
]

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

#: Seconds to wait for an existing scheduler to answer before giving up.
CONNECT_TIMEOUT = 15

#: Dask config applied when :func:`connect` starts a LocalCluster.  Dask's nanny sets
#: ``MALLOC_TRIM_THRESHOLD_=65536`` in every worker, which also freezes glibc's mmap threshold
#: at 128 kB: each large temporary array is then mmap'ed and unmapped again, and the page
#: faults made torch scoring 1.6× slower than the same code in-process (measured, see
#: docs/scale.md).  We keep glibc's default (dynamic) behaviour instead; OMP / MKL /
#: OpenBLAS stay at one thread per worker.
WORKER_ENVIRON: dict[str, Any] = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}

_CURRENT: contextvars.ContextVar[Client | None] = contextvars.ContextVar(
    "sciood_dask_client", default=None
)


def current_client() -> Client | None:
    """The client of the innermost open :func:`connect` / :func:`use_client`, or ``None``."""
    return _CURRENT.get()


@contextlib.contextmanager
def use_client(client: Client | None) -> Iterator[Client | None]:
    """Make ``client`` the current client inside the block (``None``: in-process)."""
    token = _CURRENT.set(client)
    try:
        yield client
    finally:
        _CURRENT.reset(token)


def _check_workers(workers: Any) -> int:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers must be an integer ≥ 1, got {workers!r}")
    return int(workers)


def _check_scheduler(scheduler: Any) -> str:
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ConfigError(
            f"--scheduler must be a Dask scheduler address such as 'tcp://host:8786' (or a "
            f"scheduler file), got {scheduler!r}"
        )
    return scheduler.strip()


@contextlib.contextmanager
def connect(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client | None]:
    """Open a Dask client for the block (or none, for in-process execution).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``"tcp://10.0.0.5:8786"``, ``"host:8786"``) or the path
        of a JSON scheduler file.  The cluster is left running on exit.
    workers : int, optional
        Start a :class:`distributed.LocalCluster` with this many worker processes, one thread
        each; it is shut down on exit.

    Yields
    ------
    distributed.Client or None
        ``None`` when neither argument is given (run in-process).

    Raises
    ------
    ConfigError
        Both arguments given, ``workers < 1``, or no scheduler answers at ``scheduler`` (the
        message names the address).
    MissingDependencyError
        ``dask.distributed`` is not installed (``pip install 'sciood[dist]'``).

    Examples
    --------
    >>> with connect() as client:
    ...     print(client)
    None
    """
    if scheduler is not None and workers is not None:
        raise ConfigError(
            "give either --scheduler (an existing cluster) or --workers (a local cluster), "
            "not both"
        )
    if scheduler is None and workers is None:
        with use_client(None):
            yield None
        return
    require("distributed", "dist")
    import dask
    from distributed import Client, LocalCluster

    if workers is not None:
        n = _check_workers(workers)
        try:
            with dask.config.set(WORKER_ENVIRON):
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.WARNING)
        except RuntimeError as exc:
            raise ConfigError(
                f"could not start {n} local Dask worker processes ({exc}); in a script, "
                "open connect(workers=...) under `if __name__ == \"__main__\":` (workers are "
                "spawned and re-import the main module)"
            ) from exc
        try:
            with Client(cluster) as client, use_client(client):
                log.info("local Dask cluster with %d worker processes: %s", n,
                         cluster.scheduler_address)
                yield client
        finally:
            cluster.close()
        return
    address = _check_scheduler(scheduler)
    client = _open_client(address)
    try:
        with use_client(client):
            yield client
    finally:
        client.close()


def _open_client(address: str) -> Client:
    from distributed import Client

    is_file = address.endswith(".json") or Path(address).is_file()
    try:
        if is_file:
            if not Path(address).is_file():
                raise FileNotFoundError(f"no such file {address!r}")
            return Client(scheduler_file=address, timeout=CONNECT_TIMEOUT)
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        what = "scheduler file" if is_file else "Dask scheduler address"
        raise ConfigError(
            f"cannot connect to the {what} {address!r} ({type(exc).__name__}: {exc}); "
            "check that `dask scheduler` is running there and the address is reachable "
            "(form tcp://HOST:PORT, default port 8786), or use --workers K for a local cluster"
        ) from exc


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
            res = fut.result()
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


def _is_dir(path: str) -> bool:
    return os.path.isdir(path)


def check_shared_path(client: Client | None, directory: str | os.PathLike[str]) -> None:
    """Check that the workers see ``directory`` (shared storage); no-op in-process.

    Raises
    ------
    DataError
        A worker does not see the directory: workers write their shards there, so it must
        be on storage every worker mounts at the same path.
    """
    if client is None:
        return
    path = str(Path(directory).resolve())
    seen = client.run(_is_dir, path)
    missing = sorted(addr for addr, ok in seen.items() if not ok)
    if missing:
        raise DataError(
            f"Dask worker(s) {missing} cannot see the directory {path!r}; the output must be "
            "on storage every worker mounts at the same path (NFS, Lustre, CephFS, EOS…), "
            "see docs/scale.md"
        )
