"""A run killed (SIGKILL) in the middle of training resumes and reuses the finished stages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from sciood.pipeline import run

from .conftest import TINY, tiny_config

#: Long enough to be killed mid-fit (one optimiser step per epoch on 150 events: seconds; the
#: kill comes within ~20 ms of the model directory appearing), short for the resumed fit.
SLOW = {"name": "ae", "label": "slow_ae", "params": {"epochs": 1000}}


def _wait_for(path, proc, timeout=120.0):
    t0 = time.monotonic()
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"run ended (rc={proc.returncode}) before {path} appeared:\n"
                                 f"{proc.stderr.read() if proc.stderr else ''}")
        if time.monotonic() - t0 > timeout:
            raise AssertionError(f"{path} did not appear within {timeout} s")
        time.sleep(0.02)


def test_kill_during_training_then_resume(tiny_run, tmp_path):
    run_dir = tmp_path / "killed"
    detectors = [TINY["detectors"][0], SLOW]
    body = json.loads(json.dumps(TINY))
    body.update(output=str(run_dir), detectors=detectors)
    cfg_path = tmp_path / "kill.yaml"
    cfg_path.write_text(yaml.safe_dump(body))
    proc = subprocess.Popen([sys.executable, "-m", "sciood.cli", "run", str(cfg_path), "-q"],
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(run_dir / "models" / "slow_ae", proc)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert (run_dir / "models" / "iforest" / "stage.json").is_file()
    assert not (run_dir / "models" / "slow_ae" / "stage.json").exists(), (
        "training finished before the kill; raise SLOW epochs")
    assert not (run_dir / "results.json").exists()

    res = run(tiny_config(run_dir, detectors=detectors), quiet=True)
    stages = {r.name: r.cached for r in res.stages}
    assert stages["split"] and stages["train/iforest"]
    assert not stages["train/slow_ae"]
    assert all(c for n, c in stages.items() if n.startswith("generate/"))
    assert [d["label"] for d in res.results["detectors"]] == ["iforest", "slow_ae"]
    assert res.report is not None and res.report.is_file()
