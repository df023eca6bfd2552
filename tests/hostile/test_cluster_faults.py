"""Hostile cluster and disk faults: unreachable or malformed schedulers, slow worker start-up,
workers killed mid-task, storage the workers do not share, full disks and read-only output.

One 2-worker LocalCluster serves the whole module; it is started through the retry path (the
first attempt gets a timeout no machine can meet), so its start-up is itself a case.  Disk
faults are real: a file-size limit (``RLIMIT_FSIZE``, SIGXFSZ ignored), a full tmpfs and a
read-only tmpfs in a private mount namespace (``unshare``, root), all in ONE subprocess whose
results every case then checks; plus an ``ENOSPC`` injected at the manifest's fsync (the commit
point), and paths under /sys and /proc.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import sciood.distributed.cluster as dist
from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.distributed import check_shared_path, connect, run_tasks
from sciood.errors import ConfigError, CorruptDataError, DataError

distributed = pytest.importorskip("distributed")

#: Seconds any wait may take on a loaded machine (never a timing assert).
WAIT = 600
HAVE_UNSHARE = shutil.which("unshare") is not None and subprocess.run(
    ["unshare", "-m", "--propagation", "private", "true"], capture_output=True).returncode == 0
needs_unshare = pytest.mark.skipif(not HAVE_UNSHARE, reason="needs root and unshare(1)")


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Any, list[str]]]:
    """(client, warnings of its start-up): attempt 1 gets 1 ms, attempt 2 a generous wait."""
    import dask

    records = _Records()
    logger = logging.getLogger("sciood.distributed")
    logger.addHandler(records)
    mp = pytest.MonkeyPatch()
    mp.setattr(dist, "_start_timeouts", lambda: [0.001, float(WAIT)])
    try:
        # One re-run per task whose worker died, then KilledWorker (default: 3 re-runs).
        with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
                connect(workers=2) as client:
            mp.undo()
            logger.removeHandler(records)
            yield client, records.messages
    finally:
        mp.undo()
        logger.removeHandler(records)


def _connect_fails(*args: Any, match: str, **kwargs: Any) -> None:
    """``connect(*args, **kwargs)`` raises a ConfigError whose message matches ``match``."""
    with pytest.raises(ConfigError, match=match), connect(*args, **kwargs):
        pass


# ------------------------------------------------------------------------ cluster start
@pytest.mark.hostile("cluster", "correct")
def test_slow_worker_start_is_retried_with_a_longer_timeout(cluster: tuple[Any, list[str]]
                                                            ) -> None:
    client, warnings = cluster
    assert any("did not start within 0.001 s (attempt 1 of 2" in w for w in warnings), warnings
    assert len(client.scheduler_info()["workers"]) == 2
    assert run_tasks(divmod, [7, 9], client=client, shared=(4,)) == [(1, 3), (2, 1)]


@pytest.mark.hostile("cluster", "error")
def test_cluster_that_never_starts_names_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dist, "_start_timeouts", lambda: [0.001])
    _connect_fails(workers=2, match=r"could not start a local Dask cluster of 2 worker "
                       r"processes: 1 attempt\(s\).*use --workers 1 or fewer workers.*--scheduler")


@pytest.mark.hostile("cluster", "error")
@pytest.mark.parametrize("workers", [
    pytest.param(0, id="zero"), pytest.param(-2, id="negative"),
    pytest.param("2", id="string"), pytest.param(True, id="bool"),
])
def test_bad_worker_count(workers: Any) -> None:
    _connect_fails(workers=workers, match=r"--workers must be an integer ≥ 1, got")


@pytest.mark.hostile("cluster", "error")
def test_bad_start_timeout_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIOOD_WORKER_START_TIMEOUT", "soon")
    _connect_fails(workers=1, match=r"SCIOOD_WORKER_START_TIMEOUT must be a number of "
                       r"seconds, got 'soon'")


# ------------------------------------------------------------------------ scheduler address
ADDRESS_FORM = r"expected tcp://HOST:PORT"


@pytest.mark.parametrize(("address", "match"), [
    pytest.param("tcp://host:notaport", r"is not a Dask scheduler address: " + ADDRESS_FORM,
                 id="port-not-a-number"),
    pytest.param("http://127.0.0.1:8786", r"unknown protocol 'http'", id="unknown-protocol"),
    pytest.param("127.0.0.1:70000", r"port 70000, outside 1–65535", id="port-out-of-range"),
    pytest.param("tcp://127.0.0.1", r"has no port; " + ADDRESS_FORM, id="no-port"),
    pytest.param("tcp://a b:8786", r"is not a Dask scheduler address", id="space-in-host"),
    pytest.param("   ", r"--scheduler must be a Dask scheduler address", id="blank"),
], )
@pytest.mark.hostile("cluster", "error")
def test_malformed_scheduler_address_fails_at_once(address: str, match: str) -> None:
    _connect_fails(scheduler=address, match=match)


@pytest.mark.hostile("cluster", "error")
def test_unreachable_scheduler_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", 1)
    _connect_fails(scheduler="tcp://127.0.0.1:1",
                   match=r"cannot connect to the Dask scheduler address "
                   r"'tcp://127\.0\.0\.1:1' within 1 s.*dask scheduler. is running")


@pytest.mark.parametrize(("content", "match"), [
    pytest.param(None, r"scheduler file '.*scheduler\.json' does not exist; start the "
                 r"scheduler with `dask scheduler --scheduler-file FILE`", id="missing"),
    pytest.param("{not json", r"scheduler file .* is not JSON", id="not-json"),
    pytest.param('{"type": "Scheduler"}', r"has no 'address' string", id="no-address"),
    pytest.param('["tcp://127.0.0.1:8786"]', r"has no 'address' string", id="not-an-object"),
    pytest.param('{"address": "tcp://127.0.0.1:99999"}', r"the address in .* has port 99999",
                 id="bad-address-inside"),
    pytest.param('{"address": "tcp://127.0.0.1:1"}', r"cannot connect to the scheduler file "
                 r".*\(address 'tcp://127\.0\.0\.1:1'\)", id="dead-scheduler"),
])
@pytest.mark.hostile("cluster", "error")
def test_bad_scheduler_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                            content: str | None, match: str) -> None:
    monkeypatch.setattr(dist, "CONNECT_TIMEOUT", 1)
    path = tmp_path / "scheduler.json"
    if content is not None:
        path.write_text(content)
    _connect_fails(scheduler=str(path), match=match)


# ------------------------------------------------------------------------ killed workers
def _tasks() -> tuple[Any, Any]:
    """(die_once, always_die) as closures: dask pickles them by value (cloudpickle), so the
    workers need not import this test module."""
    def die_once(marker: str) -> int:
        """Kill the worker running this the first time (the marker file records it)."""
        if not os.path.exists(marker):
            Path(marker).touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return 42

    def always_die(_: int) -> int:
        os.kill(os.getpid(), signal.SIGKILL)
        return 0  # pragma: no cover

    return die_once, always_die


@pytest.fixture
def own_cluster() -> Iterator[Any]:
    """A cluster of its own for a test that kills workers: under load a killed worker's nanny
    may give up restarting it, and the shared cluster must not depend on that."""
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 1}), \
            connect(workers=2) as client:
        yield client


@pytest.mark.hostile("cluster", "correct")
def test_task_whose_worker_is_killed_is_rerun(own_cluster: Any, tmp_path: Path) -> None:
    marker = tmp_path / "killed-once"
    die_once, _ = _tasks()
    assert run_tasks(die_once, [str(marker)], client=own_cluster, name="die-once") == [42]
    assert marker.exists()


@pytest.mark.hostile("cluster", "error")
def test_task_that_kills_every_worker_names_workers(own_cluster: Any) -> None:
    with pytest.raises(ConfigError, match=r"a always-die task .* was lost because the worker "
                       r"running it died on every attempt.*use fewer --workers.*re-run the "
                       r"same command"):
        run_tasks(_tasks()[1], [0], client=own_cluster, name="always-die")


# ------------------------------------------------------------------------ shared storage
@pytest.mark.hostile("cluster", "error")
def test_directory_missing_on_the_workers(cluster: tuple[Any, list[str]],
                                          tmp_path: Path) -> None:
    client, _ = cluster
    with pytest.raises(DataError, match=r"cannot see the directory .*not-here.*every worker "
                       r"mounts at the same path"):
        check_shared_path(client, tmp_path / "not-here")


@needs_unshare
@pytest.mark.hostile("cluster", "error")
def test_worker_with_its_own_disk_at_the_same_path(cluster: tuple[Any, list[str]],
                                                   tmp_path: Path) -> None:
    """A third worker in a private mount namespace has an (empty) tmpfs over the output
    directory: it sees *a* directory there, but not ours — a node-local /scratch."""
    client, _ = cluster
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         'mount -t tmpfs none "$0" && exec "$1" -m distributed.cli.dask_worker "$2" '
         '--nthreads 1 --no-nanny --name private-disk', str(out), sys.executable,
         client.scheduler.address],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        client.wait_for_workers(3, timeout=WAIT)
        private = [a for a, w in client.scheduler_info()["workers"].items()
                   if w.get("name") == "private-disk"]
        assert len(private) == 1
        with pytest.raises(DataError, match=r"Dask worker\(s\) \['" + private[0] + r"'\] "
                           r"cannot see the directory .*a file written here is not there"):
            check_shared_path(client, out)
        assert list(out.iterdir()) == []  # the probe was removed
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(WAIT)
    deadline = time.monotonic() + WAIT
    while len(client.scheduler_info()["workers"]) > 2 and time.monotonic() < deadline:
        time.sleep(0.2)


# ------------------------------------------------------------------------ disk faults
_DISK_SCRIPT = r"""
import json, os, resource, signal, sys
from pathlib import Path
import numpy as np, pyarrow as pa
from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import SciOODError

full, readonly, plain = map(Path, sys.argv[1:4])
n = 40_000
rng = np.random.default_rng(0)
table = pa.table({"label": ["qcd"] * n, "is_signal": [False] * n, "weight": rng.normal(size=n),
                  "x": rng.normal(size=n), "y": rng.normal(size=n)})
es = EventSet(table)
out = {}

def run(case, directory, fn):
    try:
        fn()
        res = {"error": None}
    except SciOODError as exc:
        res = {"error": type(exc).__name__, "message": str(exc)}
    except Exception as exc:
        res = {"error": "RAW " + type(exc).__name__, "message": str(exc)}
    res["files"] = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else None
    try:
        EventSet.read(directory)
        res["reads"] = "valid"
    except SciOODError as exc:
        res["reads"] = str(exc)
    out[case] = res

if full.is_dir():
    run("tmpfs-full", full, lambda: es.write(full))
if readonly.is_dir():
    run("tmpfs-readonly", readonly, lambda: es.write(readonly / "d"))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (64 << 10, 64 << 10))
run("fsize-eventset", plain / "es", lambda: es.write(plain / "es"))
(plain / "raw").mkdir()
run("fsize-shard", plain / "raw", lambda: store.write_shard(table, plain / "raw" / "s.parquet"))
(plain / "bytes").mkdir()
run("fsize-bytes", plain / "bytes",
    lambda: store.atomic_write_bytes(plain / "bytes" / "blob.bin", b"x" * (1 << 20)))
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Results of the real disk faults, all produced by one subprocess."""
    root = tmp_path_factory.mktemp("disk")
    full, readonly, plain = root / "full", root / "readonly", root / "plain"
    for d in (full, readonly, plain):
        d.mkdir()
    script = root / "faults.py"
    script.write_text(_DISK_SCRIPT)
    args = [sys.executable, str(script), str(full), str(readonly), str(plain)]
    if HAVE_UNSHARE:
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c",
               'mount -t tmpfs -o size=128k none "$0" && mount -t tmpfs -o ro none "$1" && '
               'shift && exec "$@"', str(full), str(readonly), *args]
    else:
        shutil.rmtree(full)
        shutil.rmtree(readonly)
        cmd = args
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=WAIT,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def _check_clean(res: dict[str, Any]) -> None:
    """No temporary file, no half-written shard, nothing that reads as a dataset."""
    files = set(res["files"] or [])
    assert not [f for f in files if f.endswith(".tmp")], files
    assert files == set(), files
    assert res["reads"] != "valid"


@needs_unshare
@pytest.mark.hostile("disk", "error")
def test_full_disk_while_writing_a_dataset(disk: dict[str, Any]) -> None:
    res = disk["tmpfs-full"]
    assert res["error"] == "DataError", res
    assert "shard-00000.parquet" in res["message"]
    assert "disk full (No space left on device); nothing partial was kept — free space" \
        in res["message"]
    _check_clean(res)
    assert "manifest.json' is missing" in res["reads"]


@needs_unshare
@pytest.mark.hostile("disk", "error")
def test_read_only_file_system(disk: dict[str, Any]) -> None:
    res = disk["tmpfs-readonly"]
    assert res["error"] == "DataError", res
    assert "readonly/d': the file system is read-only (Read-only file system); choose an " \
        "output directory on writable storage" in res["message"], res["message"]
    assert res["files"] == []


@pytest.mark.hostile("disk", "error")
def test_file_size_limit_while_writing_a_dataset(disk: dict[str, Any]) -> None:
    res = disk["fsize-eventset"]
    assert res["error"] == "DataError", res
    assert "es/shard-00000.parquet': disk full or file-size limit reached (File too large)" \
        in res["message"]
    assert "ulimit -f" in res["message"]
    _check_clean(res)


@pytest.mark.hostile("disk", "error")
def test_file_size_limit_while_writing_one_shard(disk: dict[str, Any]) -> None:
    res = disk["fsize-shard"]
    assert res["error"] == "DataError", res
    assert "raw/s.parquet': disk full or file-size limit reached" in res["message"]
    assert res["files"] == []


@pytest.mark.hostile("disk", "error")
def test_file_size_limit_in_an_atomic_write(disk: dict[str, Any]) -> None:
    res = disk["fsize-bytes"]
    assert res["error"] == "DataError", res
    assert "bytes/blob.bin': disk full or file-size limit reached" in res["message"]
    assert res["files"] == []


def _enospc_at_fsync_of(monkeypatch: pytest.MonkeyPatch, fragment: str) -> None:
    """``os.fsync`` fails with ENOSPC (delayed allocation) for files whose name has
    ``fragment``: the moment a real full disk reports it on many file systems."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if fragment in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)


def _toy(n: int = 6, seed: int = 0) -> EventSet:
    rng = np.random.default_rng(seed)
    return EventSet(pa.table({"label": ["a"] * n, "is_signal": [False] * n,
                              "weight": rng.normal(size=n), "x": rng.normal(size=n)}))


@pytest.mark.hostile("disk", "error")
def test_full_disk_at_the_manifest_of_a_rewrite(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Rewriting a dataset: the disk fills at the manifest.  The directory must not read as
    the old dataset over new shards (a silent mix) — it reads as incomplete."""
    d = tmp_path / "d"
    _toy(seed=1).write(d, shard_size=2)
    _enospc_at_fsync_of(monkeypatch, ".manifest.json.")
    with pytest.raises(DataError, match=r"manifest\.json': disk full \(No space left on "
                       r"device\); nothing partial was kept"):
        _toy(seed=2).write(d, shard_size=2)
    monkeypatch.undo()
    assert not list(d.glob(".*.tmp"))
    with pytest.raises(CorruptDataError, match=r"manifest\.json' is missing"):
        EventSet.read(d)


@pytest.mark.hostile("disk", "error")
def test_full_disk_when_replacing_a_manifest_keeps_the_old_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = tmp_path / "d"
    es = _toy(seed=3)
    es.write(d, shard_size=4)
    before = (d / "manifest.json").read_bytes()
    m = json.loads(before)
    m["provenance"] = {"note": "new"}
    _enospc_at_fsync_of(monkeypatch, ".manifest.json.")
    with pytest.raises(DataError, match=r"manifest\.json': disk full"):
        store.write_manifest(d, m)
    monkeypatch.undo()
    assert (d / "manifest.json").read_bytes() == before
    assert not list(d.glob(".*.tmp"))
    assert EventSet.read(d).table.equals(es.table)


@pytest.mark.hostile("disk", "error")
@pytest.mark.parametrize(("out", "match"), [
    pytest.param("/sys/sciood-test/d", r"'/sys/sciood-test/d' is not writable \(Operation not "
                 r"permitted\); choose another --out", id="under-sys"),
    pytest.param("/proc/sciood-test/d", r"'/proc/sciood-test/d' is not writable \(No such "
                 r"file or directory\); choose another --out", id="under-proc"),
])
def test_output_on_a_pseudo_file_system(out: str, match: str) -> None:
    with pytest.raises(DataError, match=match):
        _toy().write(out)
