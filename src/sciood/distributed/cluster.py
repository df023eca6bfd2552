"""The Dask client of a block: none, a local cluster, or an existing scheduler.

:func:`connect` opens it (and closes what it started); while the block is open the client is
also the *current* client (:func:`current_client`), so code that parallelises internally uses
it without being passed it.  A local cluster gets :data:`START_ATTEMPTS` tries to start, each
with a timeout scaled by the machine's load.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sciood.distributed.address import (
    check_address,
    check_scheduler,
    is_scheduler_file,
    read_scheduler_file,
)
from sciood.errors import ConfigError, require

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

__all__ = ["CONNECT_TIMEOUT", "connect", "current_client", "use_client"]

log = logging.getLogger("sciood.distributed")  # the package logger, as before the split

#: Seconds to wait for an existing scheduler to answer before giving up.
CONNECT_TIMEOUT = 15

#: Seconds a LocalCluster's workers get to start on an idle machine (first attempt).  Scaled
#: up by the load per core (``os.getloadavg``), doubled for the second attempt, capped at
#: :data:`MAX_START_TIMEOUT`; ``SCIOOD_WORKER_START_TIMEOUT`` (seconds) overrides the base.
START_TIMEOUT = 120.0
MAX_START_TIMEOUT = 900.0
#: Attempts to start a LocalCluster before giving up with an error naming ``--workers``.
START_ATTEMPTS = 2

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
    address = check_scheduler(scheduler)
    client = _open_client(address)
    try:
        with use_client(client):
            yield client
    finally:
        client.close()


def _open_client(address: str) -> Client:
    from distributed import Client

    is_file = is_scheduler_file(address)
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
