"""Scale-out on a real 2-worker Dask LocalCluster: generation, scoring, ensembles, evaluation.

Every test compares the distributed result with the in-process one and requires identity
(bytes of the shards, scores bit for bit).  The fault-tolerance tests SIGKILL a worker
process while one of our tasks is running on it.

The machine may be loaded (2 shared cores): every wait below is generous (``WAIT`` seconds) and
nothing asserts on timing.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sciood
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.distributed import (
    check_shared_path,
    connect,
    current_client,
    run_tasks,
    single_thread,
    use_client,
)
from sciood.errors import ConfigError, DataError
from sciood.metrics.streaming import histogram_store
from sciood.scoring import score_store

distributed = pytest.importorskip("distributed")
get_task_stream = distributed.get_task_stream

#: Seconds any wait may take on a loaded machine before the test fails (never a timing assert).
WAIT = 600

GEN = {"process": "wprime_wz", "n_events": 200, "seed": 5, "shard_size": 25, "mpi": False}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with connect(workers=2) as c:
        c.wait_for_workers(2, timeout=WAIT)
        yield c


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The in-process generation every distributed run must reproduce (8 shards)."""
    out = tmp_path_factory.mktemp("ref") / "wz"
    sciood.generate(GEN["process"], GEN["n_events"], seed=GEN["seed"], out=out,
                    shard_size=GEN["shard_size"], mpi=GEN["mpi"])
    return out


def _manifest(path: Path) -> dict[str, Any]:
    m = json.loads((path / "manifest.json").read_text())
    m["provenance"].pop("wall_seconds", None)
    m.pop("manifest_sha256", None)  # covers wall_seconds too
    return m


def _same_store(a: Path, b: Path, pattern: str) -> None:
    files_a = sorted(p.name for p in a.glob(pattern))
    assert files_a == sorted(p.name for p in b.glob(pattern))
    assert files_a
    for name in files_a:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert not list(b.glob(".*.tmp")), "temporary files left behind"


def _kill_when_busy(client: Any, prefix: str, started: threading.Event,
                    timeout: float = WAIT) -> dict[str, Any]:
    """SIGKILL the first worker process seen running a task whose key starts with ``prefix``
    (a per-shard task, not the one holding a shared argument)."""
    pids = client.run(os.getpid)
    started.wait(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for addr, keys in client.processing().items():
            mine = [k for k in map(str, keys) if k.startswith(prefix) and "shared" not in k]
            if mine and addr in pids:
                os.kill(pids[addr], signal.SIGKILL)
                return {"address": addr, "pid": pids[addr], "keys": mine}
        time.sleep(0.005)
    raise AssertionError(f"no {prefix} task was seen running")


def _run_and_kill(client: Any, prefix: str, job: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    started = threading.Event()
    box: dict[str, Any] = {}

    def target() -> None:
        started.set()
        try:
            box["result"] = job()
        except BaseException as exc:  # re-raised in the test thread
            box["error"] = exc

    th = threading.Thread(target=target)
    th.start()
    killed = _kill_when_busy(client, prefix, started)
    th.join(2 * WAIT)
    assert not th.is_alive()
    if "error" in box:
        raise box["error"]
    return box["result"], killed


# ------------------------------------------------------------------------------ connect
def test_connect_in_process_and_errors() -> None:
    with connect() as c:
        assert c is None and current_client() is None
    with pytest.raises(ConfigError, match="not both"), connect("tcp://x:1", 2):
        pass
    with pytest.raises(ConfigError, match="workers"), connect(workers=0):
        pass
    with pytest.raises(ConfigError, match="scheduler"), connect(scheduler=""):
        pass


def test_connect_bad_address_names_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import sciood.distributed.cluster as dist

    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", 1)
    with pytest.raises(ConfigError, match=r"tcp://127\.0\.0\.1:9"), connect("tcp://127.0.0.1:9"):
        pass
    missing = str(tmp_path / "scheduler.json")
    with pytest.raises(ConfigError, match="scheduler file"), connect(missing):
        pass


def test_connect_to_existing_cluster_and_current_client(client: Any) -> None:
    address = client.scheduler.address
    with connect(scheduler=address) as c:
        assert c is not None and current_client() is c
        assert sorted(c.run(os.getpid).values()) == sorted(client.run(os.getpid).values())
    assert current_client() is client  # the module fixture's connect() is still open
    with use_client(None):
        assert current_client() is None


def test_run_tasks_order_shared_and_errors(client: Any, tmp_path: Path) -> None:
    got = run_tasks(divmod, [7, 9, 11], client=client, shared=(4,))
    assert got == run_tasks(divmod, [7, 9, 11], client=None, shared=(4,)) == [(1, 3), (2, 1),
                                                                                (2, 3)]
    with pytest.raises(ZeroDivisionError):
        run_tasks(divmod, [1], client=client, shared=(0,), retries=0)
    check_shared_path(client, tmp_path)
    with pytest.raises(DataError, match="cannot see"):
        check_shared_path(client, tmp_path / "not-there")


# ------------------------------------------------------------------------------ generation
def test_generation_on_cluster_identical_to_in_process(client: Any, reference: Path,
                                                       tmp_path: Path) -> None:
    seen: list[int] = []
    out = tmp_path / "wz"
    with get_task_stream(client) as stream:
        es = sciood.generate(GEN["process"], GEN["n_events"], seed=GEN["seed"], out=out,
                             shard_size=GEN["shard_size"], mpi=GEN["mpi"], client=client,
                             progress=seen.append)
    assert len(es) == GEN["n_events"] and sum(seen) == GEN["n_events"]
    assert _manifest(out) == _manifest(reference)
    _same_store(reference, out, "shard-*.parquet")
    # one task per shard, spread over both workers
    ran = [t for t in stream.data if str(t["key"]).startswith("sciood-generate")]
    assert len(ran) == 8 and len({t["worker"] for t in ran}) == 2


def test_generation_survives_a_killed_worker(client: Any, reference: Path,
                                             tmp_path: Path) -> None:
    out = tmp_path / "wz"

    def job() -> EventSet:
        return sciood.generate(GEN["process"], GEN["n_events"], seed=GEN["seed"], out=out,
                               shard_size=GEN["shard_size"], mpi=GEN["mpi"], client=client)

    es, killed = _run_and_kill(client, "sciood-generate", job)
    assert any(k.startswith("sciood-generate") for k in killed["keys"])
    assert len(es) == GEN["n_events"]
    assert _manifest(out) == _manifest(reference)
    _same_store(reference, out, "shard-*.parquet")
    client.wait_for_workers(2, timeout=WAIT)  # the nanny restarted the killed worker
    assert killed["pid"] not in client.run(os.getpid).values()


# ------------------------------------------------------------------------------ scoring
@pytest.fixture(scope="module")
def fitted(reference: Path) -> Any:
    es = EventSet.read(reference)
    return make("ae", epochs=2, seed=0, features="physics").fit(es)


def test_scoring_on_cluster_identical_to_in_process(client: Any, reference: Path, fitted: Any,
                                                    tmp_path: Path) -> None:
    local = score_store(fitted, reference, tmp_path / "local", batch_size=16)
    remote = score_store(fitted, reference, tmp_path / "remote", batch_size=16, client=client)
    _same_store(local, remote, "scores-*.parquet")
    assert _manifest(local) == _manifest(remote)
    scores = EventSet.read(remote)
    es = EventSet.read(reference)
    np.testing.assert_array_equal(scores.weights, es.weights)
    np.testing.assert_array_equal(scores.column("mjj"), es.column("mjj"))
    with single_thread():
        np.testing.assert_array_equal(scores.column("score"), fitted.score(es))


def test_scoring_survives_a_killed_worker(client: Any, reference: Path, fitted: Any,
                                          tmp_path: Path) -> None:
    local = score_store(fitted, reference, tmp_path / "local", batch_size=16)
    # fresh workers: the first task pays torch's import, so it runs long
    client.restart(timeout=WAIT)
    remote, killed = _run_and_kill(
        client, "sciood-score",
        lambda: score_store(fitted, reference, tmp_path / "remote", batch_size=16,
                            client=client))
    assert all(k.startswith("sciood-score-") for k in killed["keys"])
    _same_store(local, remote, "scores-*.parquet")
    client.wait_for_workers(2, timeout=WAIT)


# ------------------------------------------------------------------------------ ensembles
def test_ensemble_members_trained_as_tasks(client: Any) -> None:
    X = np.random.default_rng(3).normal(size=(300, 4))
    with single_thread():
        local = make("ensemble", base="ae", n=3, epochs=2, seed=7).fit(X)
    with use_client(client), get_task_stream(client) as stream:
        remote = make("ensemble", base="ae", n=3, epochs=2, seed=7).fit(X)
    members = [t for t in stream.data if str(t["key"]).startswith("sciood-ensemble-")
               and "shared" not in str(t["key"])]
    assert len(members) == 3
    np.testing.assert_array_equal(local.member_scores(X), remote.member_scores(X))


# ------------------------------------------------------------------------------ evaluation
def test_histogram_store_on_cluster_equals_in_process(client: Any, reference: Path,
                                                      fitted: Any, tmp_path: Path) -> None:
    path = score_store(fitted, reference, tmp_path / "s", batch_size=64)
    local = histogram_store(path, n_bins=64)
    remote = histogram_store(path, n_bins=64, client=client)
    np.testing.assert_array_equal(local.edges, remote.edges)
    np.testing.assert_array_equal(local.count, remote.count)
    np.testing.assert_allclose(remote.background, local.background, rtol=1e-12)
    assert local.count.sum() == GEN["n_events"]


def test_connect_through_a_scheduler_file(client: Any, tmp_path: Path) -> None:
    path = tmp_path / "scheduler.json"
    path.write_text(json.dumps({"address": client.scheduler.address, "type": "Scheduler"}))
    with connect(str(path)) as c:
        assert sorted(c.run(os.getpid).values()) == sorted(client.run(os.getpid).values())


def test_shared_path_probe_is_removed(client: Any, tmp_path: Path) -> None:
    check_shared_path(client, tmp_path)
    assert list(tmp_path.iterdir()) == []
