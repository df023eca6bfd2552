"""The run directory from the command line: another config's run, --force, a second run."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import yaml
from typer.testing import CliRunner

from sciood.cli import app
from sciood.pipeline import run

from .conftest import TINY, tiny_config


def _write(path, body):
    path.write_text(yaml.safe_dump(body))
    return path


def test_cli_refuses_another_configs_run_exit_2_and_force_replaces_it(tmp_path):
    out = tmp_path / "run"
    (out / "models" / "old_detector").mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"name": "someone_else"}))
    cfg = _write(tmp_path / "c.yaml", {**json.loads(json.dumps(TINY)), "output": str(out)})
    res = CliRunner().invoke(app, ["run", str(cfg), "-q"])
    msg = " ".join(res.output.split())
    assert res.exit_code == 2, res.output
    assert f"run directory '{out}' holds the run of another config, 'someone_else'" in msg
    assert "choose another --out, or pass --force" in msg
    assert (out / "models" / "old_detector").is_dir()
    # --force: the other run's outputs go, this run starts afresh (stopped after the split)
    run(tiny_config(out), quiet=True, until="split", force=True)
    assert not (out / "models").exists()
    assert json.loads((out / "config.json").read_text())["name"] == "tiny"
    assert (out / "split" / "stage.json").is_file()


def test_second_cli_run_into_a_locked_directory_exit_1(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    holder = textwrap.dedent("""
        import sys, time
        from pathlib import Path
        from sciood.pipeline.rundir import locked
        with locked(Path(sys.argv[1])):
            print("locked", flush=True)
            time.sleep(600)
    """)
    proc = subprocess.Popen([sys.executable, "-c", holder, str(out)], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        cfg = _write(tmp_path / "c.yaml", {**json.loads(json.dumps(TINY)), "output": str(out)})
        res = CliRunner().invoke(app, ["run", str(cfg), "-q"])
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    msg = " ".join(res.output.split())
    assert res.exit_code == 1, res.output
    assert f"is in use by another sciood run (pid {proc.pid} on" in msg
    assert "wait for it to finish and re-run" in msg
