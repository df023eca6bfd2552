"""The README's Python pipeline example runs as written."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from .conftest import CACHE

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    text = README.read_text()
    match = re.search(r"<!-- pipeline-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "README lost its pipeline example (marker <!-- pipeline-example -->)"
    return match.group(1)


def test_readme_example_runs(tmp_path, monkeypatch):
    code = _example()
    assert len(code.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    CACHE.mkdir(parents=True, exist_ok=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "cache").symlink_to(CACHE)   # generated samples reused across sessions
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["flow", "iforest"]
    assert all(0.0 <= float(line.split()[-1]) <= 1.0 for line in lines)
    assert (tmp_path / "runs" / "quickstart" / "report.html").is_file()
    assert (tmp_path / "runs" / "quickstart" / "results.json").is_file()
