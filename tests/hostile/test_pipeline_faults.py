"""Pipeline faults: killed processes, torn or damaged cache entries, full / read-only disks.

One small reference run (real Pythia samples from the shared test cache, one fast detector,
no hunt) is made per module; every case copies it, breaks it the way the fault would, and
checks that the error names the path and the fix, or that the re-run resumes and gives the
*reference* numbers.  Kills are real ``SIGKILL``s of real child processes; a full disk is a
real ``RLIMIT_FSIZE`` (the kernel's ``EFBIG``), a read-only output a real ``/sys`` / ``/proc``
path (the tests run as root, so ``chmod`` would not block writes).
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from sciood.config import parse_config
from sciood.data.eventset import EventSet
from sciood.errors import CorruptDataError, OutputError, RunLockedError
from sciood.pipeline import run
from sciood.pipeline.cache import deterministic
from sciood.pipeline.rundir import LOCK_NAME

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-samples" / "pipeline"

#: The reference run: the pipeline tests' samples (sim only), one fast detector, no hunt.
FAULT = {
    "name": "faults",
    "data": {"background": {"qcd": 300}, "signals": {"wprime_wz_80": 150}, "variants": ["sim"],
             "seed": 3, "mpi": False, "shard_size": 150, "cache_dir": str(CACHE)},
    "representation": {"kind": "features",
                       "features": ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]},
    "detectors": [{"name": "iforest", "params": {"n_estimators": 20}}],
    "evaluation": {"bootstrap": 2, "max_dcor": 100},
    "statistics": {"enabled": False},
}
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "SCIOOD_TORCH_THREADS": "1"}


def _cfg(out: Path):
    body = copy.deepcopy(FAULT)
    body["output"] = str(out)
    return parse_config(body)


@pytest.fixture(scope="module")
def _base(tmp_path_factory):
    """``(work, ref)``: the reference run made in ``work`` and a pristine copy of it, ``ref``.

    Every case runs in the same path ``work`` (a copy of ``ref``), so the configuration —
    ``output`` included — is the reference's and an intact stage is reused, not redone.
    """
    base = tmp_path_factory.mktemp("faults")
    work = base / "work"
    res = run(_cfg(work), quiet=True)
    assert res.report is not None
    shutil.copytree(work, base / "ref")
    return work, base / "ref"


@pytest.fixture
def ref(_base):
    """The pristine reference run directory (read only)."""
    return _base[1]


@pytest.fixture
def work(_base):
    """A fresh copy of the reference run at the reference's own path."""
    work, pristine = _base
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(pristine, work)
    return work


def _scores(run_dir: Path) -> np.ndarray:
    return EventSet.read(run_dir / "scores" / "iforest" / "sim", columns=["score"]).column("score")


def _detectors(run_dir: Path) -> list:
    """results.json's detector blocks without wall times (``train_seconds``)."""
    return deterministic(json.loads((run_dir / "results.json").read_text())["detectors"])


def _same_as_ref(run_dir: Path, ref: Path) -> None:
    np.testing.assert_array_equal(_scores(run_dir), _scores(ref))
    assert _detectors(run_dir) == _detectors(ref)
    assert (run_dir / "report.html").stat().st_size > 10_000


def _stages(res) -> dict[str, bool]:
    return {r.name: r.cached for r in res.stages}


def _record(res, name):
    return next(r for r in res.stages if r.name == name)


# ----------------------------------------------------------------- real kills
_CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from sciood.config import parse_config
    from sciood.pipeline import run
    body, point = json.loads(sys.argv[1]), sys.argv[2]
    def die():
        os.kill(os.getpid(), signal.SIGKILL)
    if point == "split":            # after the training store, before the test store
        from sciood.data.eventset import EventSet
        orig = EventSet.write
        def write(self, *a, **k):
            orig(self, *a, **k)
            die()
        EventSet.write = write
    run(parse_config(body), quiet=True)
""")


def _kill_at(point: str, run_dir: Path, tmp_path: Path) -> None:
    body = copy.deepcopy(FAULT)
    body["output"] = str(run_dir)
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    proc = subprocess.run([sys.executable, str(script), json.dumps(body), point], env=ENV,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]


@pytest.mark.hostile("killed", "correct")
def test_sigkill_mid_split_resumes_and_redoes_the_split(ref, tmp_path):
    run_dir = tmp_path / "run"
    _kill_at("split", run_dir, tmp_path)
    assert (run_dir / "split" / "train" / "manifest.json").is_file()
    assert not (run_dir / "split" / "stage.json").exists()
    assert (run_dir / LOCK_NAME).is_file()   # left by the killed run: must not block
    res = run(_cfg(run_dir), quiet=True)
    assert _stages(res)["split"] is False and _stages(res)["train/iforest"] is False
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("killed", "correct")
def test_score_store_complete_but_marker_missing_is_rescored(work, ref):
    """What a kill between writing the scores and writing their marker leaves."""
    run_dir = work
    (run_dir / "scores" / "iforest" / "sim" / "stage.json").unlink()
    res = run(_cfg(run_dir), quiet=True)
    assert [n for n, c in _stages(res).items() if not c] == ["score/iforest/sim"]
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("killed", "correct")
def test_sigkill_of_the_cli_anywhere_after_training_resumes(work, ref, tmp_path):
    run_dir = work
    for name in ("scores", "evaluate", "report"):
        shutil.rmtree(run_dir / name)
    (run_dir / "results.json").unlink()
    (run_dir / "report.html").unlink()
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({**copy.deepcopy(FAULT), "output": str(run_dir)}))
    proc = subprocess.Popen([sys.executable, "-m", "sciood.cli", "run", str(cfg), "-q"],
                            env=ENV, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        t0 = time.monotonic()
        while not (run_dir / "scores" / "iforest").exists() and proc.poll() is None:
            assert time.monotonic() - t0 < 120
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    res = run(_cfg(run_dir), quiet=True)
    assert _stages(res)["train/iforest"]
    _same_as_ref(run_dir, ref)


_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from sciood.pipeline.rundir import locked
    with locked(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(600)
""")


@pytest.mark.hostile("killed", "correct")
def test_lock_of_a_killed_run_does_not_block_and_a_live_one_refuses(work, ref, tmp_path):
    run_dir = work
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, str(run_dir)], env=ENV,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=rf"is in use by another sciood run \(pid "
                                                 rf"{proc.pid} on .*wait for it to finish"):
            run(_cfg(run_dir), quiet=True)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    res = run(_cfg(run_dir), quiet=True)
    assert res.cached


# ----------------------------------------------------------------- what a kill leaves
@pytest.mark.hostile("killed", "correct")
def test_partial_training_output_without_marker_is_redone(work, ref, tmp_path):
    run_dir = work
    model = run_dir / "models" / "iforest"
    (model / "stage.json").unlink()
    skops = model / "model" / "iforest.skops"
    skops.write_bytes(skops.read_bytes()[:1000])          # torn write of the model file
    (model / "model" / "leftover.tmp").write_bytes(b"x")
    res = run(_cfg(run_dir), quiet=True)
    assert _stages(res)["train/iforest"] is False
    assert not (model / "model" / "leftover.tmp").exists()
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("killed", "correct")
def test_killed_before_config_json_leaves_a_reusable_directory(ref, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / LOCK_NAME).write_text('{"pid": 999999')    # killed while writing its lock info
    res = run(_cfg(run_dir), quiet=True)
    assert res.report is not None
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("killed", "correct")
def test_results_written_but_report_marker_missing_redoes_the_report(work, ref, tmp_path):
    run_dir = work
    (run_dir / "report" / "stage.json").unlink()
    html = run_dir / "report.html"
    html.write_text(html.read_text()[:5000])               # killed mid-way through the html
    res = run(_cfg(run_dir), quiet=True)
    assert [n for n, c in _stages(res).items() if not c] == ["report"]
    _same_as_ref(run_dir, ref)


# ----------------------------------------------------------------- damaged cache entries
@pytest.mark.parametrize(("stage", "damage"), [
    pytest.param("score/iforest/sim", "scores/iforest/sim/scores-00000.parquet", id="score-file",
                 marks=pytest.mark.hostile("stores", "correct")),
    pytest.param("train/iforest", "models/iforest/model/iforest.skops", id="model-file",
                 marks=pytest.mark.hostile("stores", "correct")),
    pytest.param("evaluate/iforest", "evaluate/iforest/table.json", id="evaluation-table",
                 marks=pytest.mark.hostile("stores", "correct")),
    pytest.param("split", "split/test-sim/shard-00000.parquet", id="split-shard",
                 marks=pytest.mark.hostile("stores", "correct")),
    pytest.param("report", "results.json", id="results-json",
                 marks=pytest.mark.hostile("stores", "correct")),
])
def test_damaged_cache_entry_is_detected_and_recomputed(work, ref, caplog, stage, damage):
    run_dir = work
    path = run_dir / damage
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF                         # one flipped byte, same size
    path.write_bytes(bytes(data))
    with caplog.at_level("WARNING", logger="sciood.pipeline"):
        res = run(_cfg(run_dir), quiet=True)
    rec = _record(res, stage)
    assert rec.cached is False and "fails its checksum" in rec.extra["recomputed"]
    assert any(f"stage {stage}: cached output damaged" in m and "recomputing" in m
               for m in caplog.messages)
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("stores", "correct")
def test_unreadable_stage_marker_is_recomputed(work, ref, tmp_path):
    run_dir = work
    (run_dir / "scores" / "iforest" / "sim" / "stage.json").write_text('{"key": ')
    res = run(_cfg(run_dir), quiet=True)
    assert "stage.json is unreadable" in _record(res, "score/iforest/sim").extra["recomputed"]
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("stores", "error")
def test_score_store_damaged_after_its_check_names_the_real_fix(work, ref, tmp_path):
    from sciood.pipeline.models import read_scores

    store = work / "scores" / "iforest" / "sim"
    shard = store / "scores-00000.parquet"
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(CorruptDataError, match=r"score store .* is damaged .*re-run the same "
                                               r"sciood command: the score stage checks"):
        read_scores(store)


# ----------------------------------------------------------------- disk full / read-only
@contextlib.contextmanager
def _fsize_limit(nbytes: int):
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.mark.parametrize(("remove", "limit", "stage", "where"), [
    pytest.param(["split", "models", "scores", "evaluate", "report"], 100_000, "split", "split",
                 id="full-during-split", marks=pytest.mark.hostile("disk", "error")),
    pytest.param(["models", "scores", "evaluate", "report"], 300_000, "train/iforest",
                 "models/iforest", id="full-during-training",
                 marks=pytest.mark.hostile("disk", "error")),
    pytest.param(["report"], 200_000, "report", "report.html", id="full-during-report",
                 marks=pytest.mark.hostile("disk", "error")),
])
def test_disk_full_names_the_path_and_keeps_nothing_half_valid(work, ref, tmp_path, remove, limit,
                                                               stage, where):
    stage_dirs = {"split": "split", "train/iforest": "models/iforest", "report": "report"}
    run_dir = work
    for name in remove:
        shutil.rmtree(run_dir / name)
    (run_dir / "results.json").unlink()
    (run_dir / "report.html").unlink()
    with _fsize_limit(limit), pytest.raises(OutputError) as exc:
        run(_cfg(run_dir), quiet=True)
    msg = " ".join(str(exc.value).split())
    assert f"stage {stage}:" in msg and str(run_dir / where) in msg, msg
    assert "size limit" in msg and "re-run" in msg, msg
    assert not (run_dir / stage_dirs[stage] / "stage.json").exists()
    res = run(_cfg(run_dir), quiet=True)                # room again: resumes, same numbers
    assert _record(res, stage).cached is False
    _same_as_ref(run_dir, ref)


@pytest.mark.hostile("disk", "error")
def test_disk_full_in_a_real_cli_run_exits_1_without_traceback(work, ref, tmp_path):
    run_dir = work
    shutil.rmtree(run_dir / "models")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(yaml.safe_dump({**copy.deepcopy(FAULT), "output": str(run_dir)}))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, resource.RLIM_INFINITY))

    proc = subprocess.run([sys.executable, "-m", "sciood.cli", "run", str(cfg), "-q"],
                          env={**ENV, "COLUMNS": "400"}, capture_output=True, text=True,
                          preexec_fn=limit, timeout=300)
    err = " ".join(proc.stderr.split())
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "error: stage train/iforest: cannot write" in err and "size limit" in err, err


@pytest.mark.parametrize(("out", "message"), [
    pytest.param("/sys/sciood-run", r"stage setup: cannot write '/sys/sciood-run' \(operation "
                 r"not permitted", id="read-only-sysfs",
                 marks=pytest.mark.hostile("disk", "error")),
    pytest.param("/proc/sciood-run", r"stage setup: cannot write '/proc/sciood-run'",
                 id="proc-filesystem", marks=pytest.mark.hostile("disk", "error")),
    pytest.param("/proc/self/status/run", r"cannot write '/proc/self/status/run'",
                 id="parent-is-a-file", marks=pytest.mark.hostile("disk", "error")),
])
def test_unwritable_output_names_the_path(out, message):
    with pytest.raises(OutputError, match=message) as exc:
        run(_cfg(Path(out)), quiet=True)
    assert "choose another --out" in str(exc.value)
    assert not Path(out).exists()


@pytest.mark.hostile("disk", "error")
def test_unwritable_sample_cache_names_data_cache_dir(tmp_path):
    body = copy.deepcopy(FAULT)
    body["output"] = str(tmp_path / "run")
    body["data"]["cache_dir"] = "/sys/sciood-cache"
    body["data"]["seed"] = 99                             # not in any cache
    from sciood.errors import SciOODError

    with pytest.raises(SciOODError, match=r"/sys/sciood-cache") as exc:
        run(parse_config(body), quiet=True)
    assert "Traceback" not in str(exc.value)
