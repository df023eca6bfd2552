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
import json
import logging
import math
import os
import re
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

#: Seconds a LocalCluster's workers get to start on an idle machine (first attempt).  Scaled
#: up by the load per core (``os.getloadavg``), doubled for the second attempt, capped at
#: :data:`MAX_START_TIMEOUT`; ``SCIOOD_WORKER_START_TIMEOUT`` (seconds) overrides the base.
START_TIMEOUT = 120.0
MAX_START_TIMEOUT = 900.0
#: Attempts to start a LocalCluster before giving up with an error naming ``--workers``.
START_ATTEMPTS = 2

_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")

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


def _is_scheduler_file(address: str) -> bool:
    return (address.endswith(".json") or (os.sep in address and "://" not in address)
            or Path(address).is_file())


def check_address(address: str, *, source: str = "--scheduler") -> str:
    """Validate a Dask scheduler address (``tcp://HOST:PORT``, ``HOST:PORT``, ...).

    Raises
    ------
    ConfigError
        Malformed address, unknown protocol, or a port outside 1–65535; the message shows
        the expected form.
    """
    m = _ADDRESS.match(address)
    form = ("expected tcp://HOST:PORT (or HOST:PORT, or the path of a scheduler file "
            "ending in .json); the default port is 8786")
    if m is None:
        raise ConfigError(f"{source} {address!r} is not a Dask scheduler address: {form}")
    scheme, port = m.group("scheme"), m.group("port")
    if scheme is not None and scheme not in _SCHEMES:
        raise ConfigError(f"{source} {address!r} uses the unknown protocol {scheme!r} (valid: "
                          f"{', '.join(_SCHEMES)}); {form}")
    if port is not None and not 1 <= int(port) <= 65535:
        raise ConfigError(f"{source} {address!r} has port {port}, outside 1–65535; {form}")
    if port is None and scheme != "inproc":
        raise ConfigError(f"{source} {address!r} has no port; {form}")
    return address


def read_scheduler_file(path: str | os.PathLike[str]) -> str:
    """The scheduler address recorded in a scheduler file (``dask scheduler --scheduler-file``).

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not JSON, has no ``address`` string, or the address
        is malformed; the message names the file.
    """
    fix = ("start the scheduler with `dask scheduler --scheduler-file FILE` (on storage the "
           "client sees) and pass that FILE, or pass --scheduler tcp://HOST:PORT")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"scheduler file {str(path)!r} does not exist; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the scheduler file {str(path)!r} ({exc}); {fix}") \
            from exc
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"scheduler file {str(path)!r} is not JSON ({exc}); {fix}") from exc
    address = body.get("address") if isinstance(body, dict) else None
    if not isinstance(address, str) or not address:
        raise ConfigError(f"scheduler file {str(path)!r} has no 'address' string; {fix}")
    return check_address(address, source=f"the address in {str(path)!r}")


def _start_timeouts() -> list[float]:
    """Seconds allowed for each LocalCluster start attempt, adapted to the machine's load."""
    base = START_TIMEOUT
    env = os.environ.get("SCIOOD_WORKER_START_TIMEOUT")
    if env:
        try:
            base = float(env)
        except ValueError:
            raise ConfigError(f"SCIOOD_WORKER_START_TIMEOUT must be a number of seconds, got "
                              f"{env!r}") from None
        if not (math.isfinite(base) and base > 0):
            raise ConfigError(f"SCIOOD_WORKER_START_TIMEOUT must be positive, got {env!r}")
    try:
        load = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:  # pragma: no cover - not available on this platform
        load = 1.0
    base *= max(1.0, load)
    return [min(base * 2**k, MAX_START_TIMEOUT) for k in range(max(1, START_ATTEMPTS))]


def _start_attempt(n: int, timeout: float) -> tuple[Any, Client]:
    """Start a LocalCluster of ``n`` workers and a client, both ready within ``timeout`` s."""
    import dask
    from distributed import Client, LocalCluster

    # Connections get at least dask's default 30 s, whatever the start budget.
    comm = max(timeout, 30.0)
    cfg = {**WORKER_ENVIRON, "distributed.comm.timeouts.connect": f"{comm:.0f}s"}
    with dask.config.set(cfg):
        # The scheduler first, then the workers; the wait is ours (dask's own start timeout
        # cancels a starting worker process and then fails its clean-up).
        cluster = LocalCluster(n_workers=0, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.WARNING)
    try:
        client = Client(cluster, timeout=comm)
        try:
            with dask.config.set(cfg):
                cluster.scale(n)
            client.wait_for_workers(n, timeout=timeout)
        except BaseException:
            client.close()
            raise
    except BaseException:
        cluster.close(timeout=comm)
        raise
    return cluster, client


def _start_local(n: int) -> tuple[Any, Client]:
    """Start a LocalCluster, retrying once with a longer timeout on a loaded machine.

    Raises
    ------
    ConfigError
        The workers did not start in any attempt (the message names ``--workers``), or they
        cannot be spawned at all (a script without a ``__main__`` guard).
    """
    timeouts = _start_timeouts()
    last: BaseException | None = None
    for attempt, timeout in enumerate(timeouts, 1):
        try:
            return _start_attempt(n, timeout)
        except Exception as exc:  # any failure of dask's start-up is a failed attempt
            if "bootstrapping phase" in _chain_text(exc):
                raise ConfigError(
                    f"could not start {n} local Dask worker processes ({exc}); in a script, "
                    "open connect(workers=...) under `if __name__ == \"__main__\":` (workers "
                    "are spawned and re-import the main module)"
                ) from exc
            last = exc
            log.warning("local Dask cluster of %d workers did not start within %.3g s "
                        "(attempt %d of %d: %s: %s)", n, timeout, attempt, len(timeouts),
                        type(exc).__name__, exc)
    raise ConfigError(
        f"could not start a local Dask cluster of {n} worker processes: {len(timeouts)} "
        f"attempt(s), the last allowed {timeouts[-1]:.3g} s ({type(last).__name__}: {last}); "
        "the machine is too busy or short of memory — use --workers 1 or fewer workers, "
        "raise SCIOOD_WORKER_START_TIMEOUT (seconds), or connect to a running cluster with "
        "--scheduler"
    ) from last


def _chain_text(exc: BaseException | None) -> str:
    parts: list[str] = []
    while exc is not None and len(parts) < 10:
        parts.append(str(exc))
        exc = exc.__cause__ or exc.__context__
    return " ".join(parts)


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
    if workers is not None:
        import dask

        n = _check_workers(workers)
        # A killed worker is restarted by its nanny; on a loaded machine that can take longer
        # than dask's lost-worker-timeout (15 s), after which the cluster would close the
        # nanny for good and run on with one worker fewer.  Read at run time: set for the block.
        with dask.config.set({"distributed.deploy.lost-worker-timeout":
                              f"{max(_start_timeouts()):.0f}s"}):
            cluster, client = _start_local(n)
            try:
                with client, use_client(client):
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

    is_file = _is_scheduler_file(address)
    target = read_scheduler_file(address) if is_file else check_address(address)
    try:
        return Client(target, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        what = f"scheduler file {address!r} (address {target!r})" if is_file \
            else f"Dask scheduler address {address!r}"
        raise ConfigError(
            f"cannot connect to the {what} within {CONNECT_TIMEOUT} s ({type(exc).__name__}: "
            f"{exc}); check that `dask scheduler` is running there and the address is "
            "reachable (form tcp://HOST:PORT, default port 8786), or use --workers K for a "
            "local cluster"
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
