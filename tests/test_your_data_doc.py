"""docs/your-data.md runs: its python blocks, its run files and its `sciood run` lines, in order.

The page writes (a) an LHCO-R&D-layout HDF5 file with ``DataFrame.to_hdf``, (b) a NanoAOD-like
ROOT file with jagged branches via uproot, (c) a Parquet table via pyarrow, runs each through
the ``sciood run`` command (in-process, typer's runner) to report.html and joins the scores
written back. PyTables (which ``to_hdf`` needs) may be missing from the test environment: then
``DataFrame.to_hdf`` is replaced by a writer of the same on-disk layout (pandas fixed format,
as in ``tests/data/test_adapters_lhco.py``; the layout itself is pinned by files written by
real pandas + PyTables, ``tests/fixtures/adapters``).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
from typer.testing import CliRunner

DOC = Path(__file__).parent.parent / "docs" / "your-data.md"
_BLOCK = re.compile(r"(?:<!-- file: (?P<file>[\w.-]+) -->\n)?```(?P<lang>\w+)\n(?P<body>.*?)```",
                    re.S)


def blocks() -> list[tuple[str, str | None, str]]:
    """``(language, file name or None, body)`` of every fenced block, in page order."""
    return [(m["lang"], m["file"], m["body"]) for m in _BLOCK.finditer(DOC.read_text())]


def _to_hdf_fixed(df: Any, path: str, key: str = "df", mode: str = "w", **_: Any) -> None:
    """``DataFrame.to_hdf(path, key)`` in pandas' fixed format, with h5py (no PyTables)."""
    groups: dict[str, list[str]] = {}
    for c in df.columns:
        groups.setdefault(df[c].dtype.kind, []).append(c)
    with h5py.File(path, mode) as f:
        g = f.create_group(key)
        g.attrs.update({"CLASS": np.bytes_(b"GROUP"), "pandas_type": np.bytes_(b"frame"),
                        "ndim": np.int64(2), "nblocks": np.int64(len(groups)),
                        "encoding": np.bytes_(b"UTF-8")})
        g["axis0"] = np.array([str(c).encode() for c in df.columns])
        g["axis1"] = np.arange(len(df), dtype=np.int64)
        for i, names in enumerate(groups.values()):
            g[f"block{i}_items"] = np.array([str(c).encode() for c in names])
            g[f"block{i}_values"] = df[names].to_numpy()
            g[f"block{i}_values"].attrs["transposed"] = np.uint8(1)


def test_your_data_page_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pandas as pd

    from sciood.cli import app

    if importlib.util.find_spec("tables") is None:
        monkeypatch.setattr(pd.DataFrame, "to_hdf", _to_hdf_fixed)
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
