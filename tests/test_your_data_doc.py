"""docs/your-data.md runs: its python blocks, its run files and its `sciood run` lines, in order.

The page writes (a) an LHCO-R&D-layout HDF5 file with ``DataFrame.to_hdf``, (b) a NanoAOD-like
ROOT file with jagged branches via uproot, (c) a Parquet table via pyarrow, runs each through
the ``sciood run`` command (in-process, typer's runner) to report.html and joins the scores
written back.  Every file is written by the real writer (PyTables, which ``to_hdf`` needs, is
part of the test extra).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

DOC = Path(__file__).parent.parent / "docs" / "your-data.md"
_BLOCK = re.compile(r"(?:<!-- file: (?P<file>[\w.-]+) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```",
                    re.S)


def blocks() -> list[tuple[str, str | None, str]]:
    """``(language, file name or None, body)`` of every fenced block, in page order."""
    return [(m["lang"], m["file"], m["body"]) for m in _BLOCK.finditer(DOC.read_text())]


def test_your_data_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sciood.cli import app

    monkeypatch.chdir(tmp_path)
    found = blocks()
    assert [lang for lang, _, _ in found].count("console") == 3
    namespace: dict[str, Any] = {"__name__": "your_data"}
    runs = 0
    for lang, name, body in found:
        if lang == "python":
            exec(compile(body, f"{DOC.name}", "exec"), namespace)
        elif lang == "yaml":
            assert name, "every run file on the page is named by a <!-- file: ... --> line"
            (tmp_path / name).write_text(body)
        elif lang == "console":
            for line in body.splitlines():
                assert line.startswith("$ sciood "), line
                res = CliRunner().invoke(app, [*line.split()[2:], "--quiet"])
                assert res.exit_code == 0, res.output
                runs += 1
    assert runs == 3
    for out in ("events_anomalydetection_v2.features.scores.parquet", "nano.scores.root",
                "dijets.scores.parquet"):
        assert (tmp_path / out).is_file()
    html = (tmp_path / "runs" / "nano" / "report.html").read_text()
    assert "Input files" in html and "nano.root" in html     # provenance names the file


def test_page_documents_every_source_key() -> None:
    from sciood.config.source import SourceConfig

    text = DOC.read_text()
    for key in SourceConfig.model_fields:
        assert f"| `{key}` |" in text, f"docs/your-data.md: data.source.{key} is not documented"
