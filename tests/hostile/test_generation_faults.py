"""Hostile faults during generation: killed workers and processes, unreachable selections,
failed Pythia initialisation, bad ``sciood.generate`` arguments.

Every run is tiny (``wprime_wz`` with MPI off, tens of events); the uninterrupted reference
run is made once per module.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import sciood
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, GenerationError
from sciood.generate.run import KILL_SHARD_ENV, efficiency_bound

N, SHARD, SEED = 40, 10, 17
ARGS = {"seed": SEED, "shard_size": SHARD, "mpi": False}
CLI = [sys.executable, "-m", "sciood.cli", "generate", "wprime_wz", "--events", str(N),
       "--seed", str(SEED), "--shard-size", str(SHARD), "--no-mpi", "--quiet"]

PROCESS = """
[[process]]
name = "wz_test"
signal = true
settings = ["NewGaugeBoson:ffbar2Wprime = on", "34:m0 = 3500", "Wprime:coup2WZ = 1",
            "34:onMode = off", "34:onIfAll = 23 24"]
selection = { leading_pt_min = LEAD }
mpi = false
"""


def _shas(path: Path) -> list[str]:
    return [s["sha256"] for s in json.loads((path / "manifest.json").read_text())["shards"]]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    out = tmp_path_factory.mktemp("ref") / "ref"
    es = sciood.generate("wprime_wz", N, out=out, **ARGS)
    return out, es.to_numpy()


def _same_as_reference(out: Path, reference: tuple[Path, np.ndarray]) -> None:
    ref_dir, ref_x = reference
    assert _shas(out) == _shas(ref_dir)
    np.testing.assert_array_equal(EventSet.read(out).to_numpy(), ref_x)
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


@pytest.mark.hostile("killed", "correct")
def test_worker_killed_once_is_retried_identically(tmp_path, monkeypatch, reference):
    monkeypatch.setenv(KILL_SHARD_ENV, f"shard-0-00002:{tmp_path / 'fired'}")
    sciood.generate("wprime_wz", N, out=tmp_path / "o", workers=2, **ARGS)
    assert (tmp_path / "fired").exists(), "the fault never happened"
    _same_as_reference(tmp_path / "o", reference)


@pytest.mark.hostile("killed", "error")
def test_worker_always_killed_says_rerun_and_resumes(tmp_path, monkeypatch, reference):
    monkeypatch.setenv(KILL_SHARD_ENV, "shard-0-00003")
    out = tmp_path / "o"
    with pytest.raises(GenerationError, match=r"worker process died 3 times.*shard-0-00003.*"
                       r"completed shards are kept\. Re-run the same command") as err:
        sciood.generate("wprime_wz", N, out=out, workers=2, **ARGS)
    assert type(err.value.__cause__).__name__ == "BrokenProcessPool"
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.parquet")}
    assert kept and "shard-0-00003.parquet" not in kept
    assert not (out / "manifest.json").exists()
    monkeypatch.delenv(KILL_SHARD_ENV)
    sciood.generate("wprime_wz", N, out=out, workers=2, **ARGS)  # the same command resumes
    for name, mtime in kept.items():
        assert (out / name).stat().st_mtime_ns == mtime, f"{name} was regenerated"
    _same_as_reference(out, reference)


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
@pytest.mark.hostile("killed", "correct")
def test_sigkill_of_a_real_worker_mid_shard(tmp_path, reference):
    out = tmp_path / "o"
    proc = subprocess.Popen([*CLI, "--out", str(out), "--workers", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline, victim = time.time() + 60, None
    while time.time() < deadline and victim is None and proc.poll() is None:
        kids = _children(proc.pid)
        if kids and not list(out.glob("shard-*.parquet")):
            time.sleep(0.3)  # the workers are inside their first shard (Pythia init / events)
            victim = kids[0]
            os.kill(victim, signal.SIGKILL)
        time.sleep(0.02)
    assert victim is not None, "no worker to kill"
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr.decode()[-2000:]
    assert "BrokenProcessPool" not in stderr.decode()
    _same_as_reference(out, reference)


@pytest.mark.hostile("killed", "correct")
def test_sigkill_of_the_generate_process_mid_shard_resumes(tmp_path, reference):
    out = tmp_path / "o"
    cmd = [*CLI, "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(out.glob("shard-*.parquet")):
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the main process and both workers, mid-shard
    proc.wait()
    assert not (out / "manifest.json").exists(), "killed too late to test resumption"
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _same_as_reference(out, reference)


def _process_file(tmp_path: Path, lead: float) -> Path:
    f = tmp_path / "wz.toml"
    f.write_text(PROCESS.replace("LEAD", repr(lead)))
    return f


@pytest.mark.hostile("process-files", "error")
def test_unreachable_selection_stops_with_its_name(tmp_path):
    f = _process_file(tmp_path, 6000.0)  # physical (< 6.5 TeV) but never reached
    out = tmp_path / "o"
    t0 = time.perf_counter()
    with pytest.raises(GenerationError, match=r"wz_test \(slice 0\): only 0 of \d+ generated "
                       r"events passed the selection \(leading_pt_min = 6000 GeV.*Loosen the "
                       r"selection.*PhaseSpace:pTHatMin"):
        sciood.generate("wz_test", 10, seed=1, out=out, process_file=f, min_efficiency=0.2)
    assert time.perf_counter() - t0 < 30
    claim = json.loads((out / "generation.json").read_text())
    assert claim["status"] == "failed" and "leading_pt_min" in claim["error"]
    assert not (out / "manifest.json").exists()
    # the corrected command reuses the same --out
    f.write_text(PROCESS.replace("LEAD", "1000.0"))
    es = sciood.generate("wz_test", 10, seed=1, out=out, process_file=f, min_efficiency=0.2)
    assert len(es) == 10 and es.column("lead_pt").min() > 1000.0


@pytest.mark.hostile("process-files", "correct")
def test_low_but_legitimate_efficiency_is_not_stopped(tmp_path):
    """wprime_wz passes ≈ 65 % of events; a floor of 30 % must never stop it."""
    es = sciood.generate("wprime_wz", 30, seed=3, out=tmp_path / "o", shard_size=10, mpi=False,
                         min_efficiency=0.3)
    man = json.loads((tmp_path / "o" / "manifest.json").read_text())
    n_gen = sum(s["n_generated"] for s in man["shards"])
    assert len(es) == 30 and 30 / n_gen > 0.3


@pytest.mark.hostile("numerics", "correct")
def test_efficiency_bound_against_brute_force():
    """Clopper-Pearson: P(X ≤ k | n, ε_up) = 1 − confidence, by summing the binomial."""
    from math import comb

    for k, n in ((0, 50), (3, 200), (40, 60)):
        eps = efficiency_bound(k, n, confidence=0.95)
        tail = sum(comb(n, j) * eps**j * (1 - eps) ** (n - j) for j in range(k + 1))
        assert tail == pytest.approx(0.05, abs=1e-9)
    assert efficiency_bound(0, 0) == 1.0 and efficiency_bound(5, 5) == 1.0


INIT_FAIL = """
[[process]]
name = "zp_fail"
signal = true
settings = SETTINGS
mpi = false
"""


@pytest.mark.parametrize(
    ("settings", "reason"),
    [
        pytest.param('["NewGaugeBoson:ffbar2gmZZprime = on", "32:m0 = 2000", "32:onMode = off",'
                     ' "32:onIfAll = 6 6 6"]',
                     r"Error in ProcessLevel::init: all processes have vanishing cross sections",
                     id="impossible-decay-channel",
                     marks=pytest.mark.hostile("process-files", "error")),
        pytest.param('["32:m0 = 2000"]', r"Error in ProcessLevel::init: no process switched on",
                     id="no-process-switched-on",
                     marks=pytest.mark.hostile("process-files", "error")),
    ],
)
def test_pythia_init_failure_quotes_pythia_and_frees_the_directory(tmp_path, settings, reason):
    f = tmp_path / "p.toml"
    f.write_text(INIT_FAIL.replace("SETTINGS", settings))
    out = tmp_path / "o"
    with pytest.raises(GenerationError, match=r"zp_fail: Pythia initialisation failed: "
                       + reason + r".*re-run the same command; the same --out"):
        sciood.generate("zp_fail", 5, seed=1, out=out, process_file=f)
    assert not (out / "manifest.json").exists()
    assert json.loads((out / "generation.json").read_text())["status"] == "failed"
    f.write_text(INIT_FAIL.replace("SETTINGS", '["NewGaugeBoson:ffbar2gmZZprime = on", '
                                   '"Zprime:gmZmode = 3", "32:m0 = 2000"]\nselection = '
                                   '{ leading_pt_min = 600.0 }').replace('"zp_fail"',
                                                                         '"zp_fixed"'))
    es = sciood.generate("zp_fixed", 5, seed=1, out=out, process_file=f)
    assert len(es) == 5 and es.classes == ["zp_fixed"]


@pytest.mark.hostile("process-files", "correct")
def test_changed_selection_never_reuses_old_shards(tmp_path):
    """Same seed and shard plan, other selection, claim lost: old shards must not be reused."""
    out = tmp_path / "o"
    f = _process_file(tmp_path, 1000.0)
    sciood.generate("wz_test", 20, seed=2, out=out, process_file=f, shard_size=10)
    (out / "manifest.json").unlink()
    (out / "generation.json").unlink()
    f.write_text(PROCESS.replace("LEAD", "1500.0"))
    es = sciood.generate("wz_test", 20, seed=2, out=out, process_file=f, shard_size=10)
    assert es.column("lead_pt").min() > 1500.0
    clean = sciood.generate("wz_test", 20, seed=2, out=tmp_path / "clean", process_file=f,
                            shard_size=10)
    np.testing.assert_array_equal(es.to_numpy(), clean.to_numpy())


@pytest.mark.hostile("process-files", "error")
def test_unfinished_generation_with_shards_is_protected(tmp_path, monkeypatch):
    """A killed (not failed) run keeps its claim: another config may not wipe its shards."""
    out = tmp_path / "o"
    monkeypatch.setenv(KILL_SHARD_ENV, "shard-0-00002")
    with pytest.raises(GenerationError, match="Re-run the same command"):
        sciood.generate("wprime_wz", 30, out=out, workers=2, seed=4, shard_size=10, mpi=False)
    kept = sorted(p.name for p in out.glob("shard-*.parquet"))
    assert kept
    with pytest.raises(ConfigError, match=r"unfinished generation with other settings \(\d+ "
                       r"shard files\); re-run that command to finish it, or choose another"):
        sciood.generate("wprime_wz", 30, out=out, seed=5, shard_size=10, mpi=False)
    assert sorted(p.name for p in out.glob("shard-*.parquet")) == kept


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"mpi": "false"}, r"mpi must be True or False, got 'false' \(str\)",
                     id="mpi-string", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"mpi": 0}, r"mpi must be True or False, got 0 \(int\)",
                     id="mpi-int", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"n_events": 10.0}, r"n_events must be an integer ≥ 1, got 10\.0 \(float\)",
                     id="n-events-float", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"n_events": True}, r"n_events must be an integer ≥ 1, got True \(bool\)",
                     id="n-events-bool", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"n_events": "10"}, r"n_events must be an integer ≥ 1, got '10' \(str\)",
                     id="n-events-str", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"seed": 2**64}, r"seed must be an integer in \[0, 9223372036854775807\]",
                     id="seed-too-large", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"n_events": 10**12, "shard_size": 10}, r"more than 100000 shards; raise "
                     r"shard_size", id="too-many-shards",
                     marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"keep_constituents": "no"}, r"keep_constituents must be True or False",
                     id="keep-constituents-str", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"variant": None}, r"variant must be a name \(str\), got None",
                     id="variant-none", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"process": ["qcd"]}, r"process must be a process name \(str\)",
                     id="process-list", marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"min_efficiency": float("nan")}, r"min_efficiency must be a number in "
                     r"\[0, 1\)", id="min-efficiency-nan",
                     marks=pytest.mark.hostile("configs", "error")),
        pytest.param({"process": "qcd", "n_events": 3}, r"3 events leave p̂T slice\(s\) \[2\] "
                     r"\(fraction 0\.2\) with no events.*request at least 5 events",
                     id="empty-pt-slice", marks=pytest.mark.hostile("configs", "error")),
    ],
)
def test_generate_arguments_are_strict(tmp_path, kwargs, match):
    args = {"process": "wprime_wz", "n_events": 10, "seed": 1, "out": tmp_path / "o"} | kwargs
    process, n = args.pop("process"), args.pop("n_events")
    with pytest.raises(ConfigError, match=match):
        sciood.generate(process, n, **args)
    assert not (tmp_path / "o" / "generation.json").exists()
