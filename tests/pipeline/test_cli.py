"""The pipeline CLI: exit codes, nothing written on a bad config, --json, --help."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from sciood.cli import app
from sciood.errors import GenerationError

from .conftest import TINY

COMMANDS = ["processes", "generate", "train", "score", "evaluate", "hunt", "report", "run",
            "demo"]


def _write(path, body):
    path.write_text(yaml.safe_dump(body))
    return path


def _bad(kind, tmp_path):
    body = json.loads(json.dumps(TINY))
    body["output"] = str(tmp_path / "out")
    if kind == "unknown detector":
        body["detectors"].append({"name": "iforst"})
        return body, "detectors[3].name: unknown detector 'iforst' (did you mean 'iforest'?)"
    if kind == "typo'd key":
        body["statistcs"] = body.pop("statistics")
        return body, "statistcs: unknown key (did you mean 'statistics'?)"
    if kind == "negative events":
        body["data"]["background"]["qcd"] = -10
        return body, "data.background: event counts must be integers >= 2"
    if kind == "missing file":
        body["data"]["process_file"] = str(tmp_path / "nope.toml")
        return body, "nope.toml' does not exist"
    if kind == "unknown feature":
        body["representation"]["features"] = ["mj1", "tau_21"]
        return body, "representation.features: unknown feature 'tau_21'"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["unknown detector", "typo'd key", "negative events",
                                  "missing file", "unknown feature"])
def test_bad_config_exit_2_nothing_written(kind, tmp_path):
    body, message = _bad(kind, tmp_path)
    cfg = _write(tmp_path / "bad.yaml", body)
    res = CliRunner().invoke(app, ["run", str(cfg)])
    assert res.exit_code == 2, res.output
    assert message in " ".join(res.output.split()), res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_missing_config_file_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["train", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2
    assert "does not exist" in " ".join(res.output.split())


def test_bad_usage_exit_2(tmp_path):
    cfg = _write(tmp_path / "c.yaml", {**TINY, "output": str(tmp_path / "o")})
    res = CliRunner().invoke(app, ["run", str(cfg), "--workers", "0"])
    assert res.exit_code == 2
    res = CliRunner().invoke(app, ["run", str(cfg), "--workers", "2", "--scheduler", "x:1"])
    assert res.exit_code == 2 and "not both" in res.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_help(command):
    res = CliRunner().invoke(app, [command, "--help"])
    assert res.exit_code == 0
    assert "Usage" in res.output


def test_json_on_a_cached_run(tiny_run, tmp_path):
    body = json.loads(json.dumps(TINY))
    body["output"] = str(tiny_run.config.run_dir)
    cfg = _write(tmp_path / "tiny.yaml", body)
    res = CliRunner().invoke(app, ["run", str(cfg), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["cached"] is True
    assert summary["report"].endswith("report.html")


@pytest.mark.parametrize("exc", [GenerationError("Pythia refused"), RuntimeError("boom")])
def test_runtime_failure_exit_1(exc, tmp_path, monkeypatch):
    import sciood.pipeline

    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr(sciood.pipeline, "run", fail)
    cfg = _write(tmp_path / "c.yaml", {**TINY, "output": str(tmp_path / "o")})
    res = CliRunner().invoke(app, ["run", str(cfg)])
    assert res.exit_code == 1
    assert str(exc) in res.output


def test_generate_bad_scheduler_exit_2(tmp_path):
    res = CliRunner().invoke(app, ["generate", "qcd", "--events", "3", "--scheduler", " ",
                                   "--out", str(tmp_path / "g")])
    assert res.exit_code == 2
    assert "--scheduler must be a Dask scheduler address" in " ".join(res.output.split())
    assert not (tmp_path / "g").exists()


@pytest.mark.hostile("process-files", "error")
def test_generate_efficiency_floor_is_reachable_from_the_command_line(tmp_path) -> None:
    out = tmp_path / "rnd"
    res = CliRunner().invoke(app, ["generate", "qcd_rnd", "--events", "300", "--no-mpi",
                                   "--out", str(out), "--min-efficiency", "0.99", "--quiet"])
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert "under the floor min_efficiency = 0.99" in text
    assert "lower min_efficiency (--min-efficiency)" in text
    assert not (out / "manifest.json").exists()
    res = CliRunner().invoke(app, ["generate", "qcd_rnd", "--events", "300", "--no-mpi",
                                   "--out", str(out), "--min-efficiency", "1.5"])
    assert res.exit_code == 2 and "--min-efficiency" in res.output


def test_error_messages_are_printed_verbatim_and_unwrapped(tmp_path) -> None:
    """Rich markup would swallow ``[a, b]`` in a message; hard wrapping would split a path."""
    long_dir = tmp_path / ("d" * 120)
    body = json.loads(json.dumps(TINY))
    body["output"] = str(tmp_path / "out")
    body["representation"]["features"] = ["mj1", "no_such_feature"]
    cfg = _write(long_dir.with_suffix(".yaml"), body)
    res = CliRunner().invoke(app, ["run", str(cfg)])
    assert res.exit_code == 2
    assert str(cfg) in res.output                      # the long path on one line
    assert "no_such_feature" in res.output


def test_error_printer_keeps_brackets(capsys) -> None:
    from sciood.cli import _print_error

    message = "shards[2].rows: valid names are [mj1, mj2] and [bold] is text, in /" + "p" * 150
    _print_error(message)
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize("label", ["iforest", "flow"])
def test_score_a_runs_saved_model_on_a_store_and_on_a_parquet_export(tiny_run, tmp_path,
                                                                     label) -> None:
    """`sciood score MODEL INPUT` reproduces the run's own scores, for a store and for the
    same events exported to Parquet (scores joined back by row)."""
    import numpy as np
    import pyarrow.parquet as pq

    from sciood.data.eventset import EventSet

    run_dir = tiny_run.config.run_dir
    model, test = run_dir / "models" / label / "model", run_dir / "split" / "test-sim"
    expected = EventSet.read(run_dir / "scores" / label / "sim").column("score")
    res = CliRunner().invoke(app, ["score", str(model), str(test), "--out",
                                   str(tmp_path / "s"), "-q"])
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(EventSet.read(tmp_path / "s").column("score"), expected)

    pq.write_table(EventSet.read(test).table, tmp_path / "test.parquet")  # every column
    res = CliRunner().invoke(app, ["score", str(model), str(tmp_path / "test.parquet"), "-q"])
    assert res.exit_code == 0, res.output
    got = pq.read_table(tmp_path / "test.scores.parquet").column(f"score_{label}").to_numpy()
    np.testing.assert_array_equal(got, expected)
