"""`sciood demo` runs from any directory: the shipped config, --out, and where the samples go
(relative paths resolve against the current directory; --cache-dir moves the samples)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import sciood
from sciood.cli import app


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Replace the pipeline by a recorder: the demo itself takes minutes."""
    import sciood.pipeline

    seen: dict = {}

    def record(cfg, **kwargs):
        seen.update(cfg=cfg, **kwargs)

    monkeypatch.setattr(sciood.pipeline, "run", record)
    return seen


def test_demo_runs_the_shipped_config_from_any_directory(tmp_path, monkeypatch,
                                                         captured) -> None:
    monkeypatch.chdir(tmp_path)  # no checkout, no examples/ here
    res = CliRunner().invoke(app, ["demo", "--out", "elsewhere/demo", "-q"])
    assert res.exit_code == 0, res.output
    cfg = captured["cfg"]
    assert cfg.name == "demo" and captured["until"] == "report"
    assert cfg.run_dir == Path("elsewhere/demo")
    assert cfg.data.cache_dir == Path("data/cache")  # relative: under the current directory
    assert not cfg.data.cache_dir.is_absolute()
    package = Path(sciood.__file__).parent
    from sciood.cli import _demo_config

    assert _demo_config().is_relative_to(package)


def test_demo_cache_dir_moves_the_samples(tmp_path, monkeypatch, captured) -> None:
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["demo", "--cache-dir", str(tmp_path / "samples"), "-q"])
    assert res.exit_code == 0, res.output
    cfg = captured["cfg"]
    assert cfg.data.cache_dir == tmp_path / "samples"
    assert cfg.run_dir == Path("runs/demo")
