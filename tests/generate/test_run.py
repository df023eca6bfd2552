"""Generation runner: determinism, resumability, weights, bad input, CLI exit codes."""

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
from typer.testing import CliRunner

import sciood
from sciood.cli import app
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, CorruptDataError, DataError, UnknownNameError
from sciood.generate.run import shard_seed

SCIOOD = [sys.executable, "-m", "sciood.cli"]


def _shas(path: Path) -> list[str]:
    return [s["sha256"] for s in json.loads((path / "manifest.json").read_text())["shards"]]


def test_same_seed_identical_features_any_workers(tmp_path):
    a = sciood.generate("wprime_wz", 60, seed=1, out=tmp_path / "d1", shard_size=20)
    b = sciood.generate("wprime_wz", 60, seed=1, out=tmp_path / "d2", shard_size=20, workers=2)
    assert _shas(tmp_path / "d1") == _shas(tmp_path / "d2")
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    c = sciood.generate("wprime_wz", 60, seed=2, out=tmp_path / "d3", shard_size=20)
    assert not np.array_equal(a.to_numpy(), c.to_numpy())


def test_counts_weights_and_provenance(tmp_path):
    es = sciood.generate("qcd", 40, seed=3, out=tmp_path / "q", shard_size=10)
    assert len(es) == 40
    man = json.loads((tmp_path / "q" / "manifest.json").read_text())
    # three pT-hat slices with a 10/70/20 split of selected events
    rows = {k: sum(s["rows"] for s in man["shards"] if s["slice"] == k) for k in (0, 1, 2)}
    assert rows == {0: 4, 1: 28, 2: 8}
    # weights = sigma_slice / N_generated_slice exactly (unweighted Pythia events)
    w = es.weights
    pthat = es.column("pthat")
    edges = [800.0, 1000.0, 1500.0, np.inf]
    for info in man["provenance"]["slices"]:
        k = info["slice"]
        in_slice = (pthat >= edges[k]) & (pthat < edges[k + 1])
        assert in_slice.sum() == rows[k]
        np.testing.assert_allclose(w[in_slice], info["sigma_fb"] / info["n_generated"])
        assert info["n_generated"] >= rows[k]
    prov = es.provenance
    assert prov["seed"] == 3 and prov["variant"] == "sim" and prov["mpi"] is True
    assert prov["versions"]["pythia8mc"] == "8.317.2"
    assert prov["detector_card"]["jes"] == 1.0


def test_shard_seeds_in_pythia_range():
    seeds = {shard_seed(s, k, i, "qcd") for s in range(50) for k in range(2) for i in range(20)}
    assert len(seeds) == 2000
    assert min(seeds) >= 1 and max(seeds) <= 900_000_000


def test_killed_run_resumes_to_exactly_n_events(tmp_path):
    out = tmp_path / "killed"
    cmd = [*SCIOOD, "generate", "wprime_wz", "--events", "90", "--seed", "5", "--out", str(out),
           "--shard-size", "15", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.time() + 120
    # a shard is complete when its sidecar (written after the Parquet file) exists
    while time.time() < deadline and len(list(out.glob("shard-*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists(), "killed too late to test resumption"
    with pytest.raises(CorruptDataError, match=r"manifest\.json"):
        EventSet.read(out)
    done_before = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.parquet")
                   if p.with_suffix(".json").is_file()}
    assert done_before
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    es = EventSet.read(out)
    assert len(es) == 90
    for name, mtime in done_before.items():  # complete shards were kept, not redone
        assert (out / name).stat().st_mtime_ns == mtime
    clean = sciood.generate("wprime_wz", 90, seed=5, out=tmp_path / "clean", shard_size=15)
    assert _shas(out) == _shas(tmp_path / "clean")
    np.testing.assert_array_equal(es.to_numpy(), clean.to_numpy())
    assert not list(out.glob(".*.tmp")), "temporary files left behind"


def test_rerun_of_complete_dataset_reads_it(tmp_path):
    a = sciood.generate("wprime_wz", 20, seed=1, out=tmp_path / "x", shard_size=10)
    mtime = (tmp_path / "x" / "manifest.json").stat().st_mtime_ns
    b = sciood.generate("wprime_wz", 20, seed=1, out=tmp_path / "x", shard_size=10)
    assert (tmp_path / "x" / "manifest.json").stat().st_mtime_ns == mtime
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    with pytest.raises(ConfigError, match="different dataset"):
        sciood.generate("wprime_wz", 20, seed=2, out=tmp_path / "x", shard_size=10)


def test_corrupt_and_truncated_shards_are_refused(tmp_path):
    sciood.generate("wprime_wz", 20, seed=1, out=tmp_path / "c", shard_size=10)
    shard = sorted((tmp_path / "c").glob("shard-*.parquet"))[0]
    data = shard.read_bytes()
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptDataError, match=shard.name):
        EventSet.read(tmp_path / "c")
    shard.write_bytes(data[:100] + bytes([data[100] ^ 0xFF]) + data[101:])
    with pytest.raises(CorruptDataError, match="corrupted or truncated"):
        EventSet.read(tmp_path / "c")
    # re-running the same command regenerates only that shard, identically
    before = _shas(tmp_path / "c")
    others = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "c").glob("shard-*.parquet")
              if p != shard}
    es = sciood.generate("wprime_wz", 20, seed=1, out=tmp_path / "c", shard_size=10)
    assert len(es) == 20 and _shas(tmp_path / "c") == before
    for name, mtime in others.items():
        assert (tmp_path / "c" / name).stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"process": "nope"}, UnknownNameError, "valid process names are: .*qcd"),
        ({"n_events": 0}, ConfigError, "n_events must be an integer ≥ 1"),
        ({"n_events": -5}, ConfigError, "n_events"),
        ({"variant": "mc"}, UnknownNameError, "sim_jes_up"),
        ({"seed": -1}, ConfigError, "seed"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, match):
    args = {"process": "qcd", "n_events": 10, "seed": 1, "out": tmp_path / "o"} | kwargs
    process, n = args.pop("process"), args.pop("n_events")
    with pytest.raises(error, match=match):
        sciood.generate(process, n, **args)
    assert not (tmp_path / "o").exists()


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(DataError, match="not writable"):
        sciood.generate("qcd", 5, seed=1, out=blocker / "sub")


def test_missing_manifest_and_directory(tmp_path):
    with pytest.raises(CorruptDataError, match="does not exist"):
        EventSet.read(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorruptDataError, match=r"manifest\.json.* is missing"):
        EventSet.read(tmp_path / "empty")


def test_cli_exit_codes(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(app, ["generate", "nope", "--events", "3", "--out", str(tmp_path / "a")])
    assert bad.exit_code == 2 and "valid process names" in bad.output
    neg = runner.invoke(app, ["generate", "qcd", "--events", "-3", "--out", str(tmp_path / "b")])
    assert neg.exit_code == 2
    (tmp_path / "f").write_text("x")
    ro = runner.invoke(app, ["generate", "qcd", "--events", "3", "--out", str(tmp_path / "f/o")])
    assert ro.exit_code == 2 and "not writable" in ro.output
    missing = runner.invoke(app, ["info", str(tmp_path / "none")])
    assert missing.exit_code == 2
    ok = runner.invoke(app, ["processes", "--json"])
    assert ok.exit_code == 0 and "xy_qqqq" in ok.output
