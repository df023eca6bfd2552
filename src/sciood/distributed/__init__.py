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

The code lives in :mod:`sciood.distributed.cluster` (:func:`connect`, the current client),
:mod:`sciood.distributed.tasks` (:func:`run_tasks`, :func:`single_thread`,
:func:`check_shared_path`) and :mod:`sciood.distributed.address` (scheduler addresses and
files); this package re-exports their public names.

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

from sciood.distributed.address import check_address as check_address
from sciood.distributed.address import read_scheduler_file as read_scheduler_file
from sciood.distributed.cluster import CONNECT_TIMEOUT as CONNECT_TIMEOUT
from sciood.distributed.cluster import MAX_START_TIMEOUT as MAX_START_TIMEOUT
from sciood.distributed.cluster import START_ATTEMPTS as START_ATTEMPTS
from sciood.distributed.cluster import START_TIMEOUT as START_TIMEOUT
from sciood.distributed.cluster import WORKER_ENVIRON as WORKER_ENVIRON
from sciood.distributed.cluster import connect, current_client, use_client
from sciood.distributed.tasks import check_shared_path, run_tasks, single_thread

__all__ = [
    "check_shared_path",
    "connect",
    "current_client",
    "run_tasks",
    "single_thread",
    "use_client",
]
