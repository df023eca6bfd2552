"""Open the report in a real headless Chromium (Debian ``chromium``) driven by Playwright.

Skipped with a reason when no chromium binary is found on a dev machine; CI sets
``SCIOOD_REQUIRE_BROWSER=1`` (``.ci/run``), which turns a missing browser into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import pytest

from sciood.errors import DataError
from sciood.report import SECTIONS
from sciood.report.browser import check_report, find_chromium


@pytest.fixture
def chromium() -> str:
    """Path of Debian's chromium, or skip / fail with the reason (before the report is built)."""
    required = os.environ.get("SCIOOD_REQUIRE_BROWSER", "") not in ("", "0")
    exe = find_chromium()
    problem = ""
    if not exe:
        problem = ("no chromium binary ($SCIOOD_CHROMIUM, /usr/bin/chromium, PATH); install "
                   "it with `apt-get install -y chromium`")
    elif importlib.util.find_spec("playwright") is None:
        problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if required:
            pytest.fail(f"SCIOOD_REQUIRE_BROWSER is set but {problem}")
        pytest.skip(problem)
    return str(exe)


def test_report_renders_in_headless_chromium(chromium: str, report_dir: Path) -> None:
    shot = report_dir / "report.png"
    check = check_report(report_dir / "report.html", screenshot=shot, executable=chromium)
    assert check.sections == [sid for sid, _ in SECTIONS]
    assert len(check.images) >= 10
    assert all(w > 0 for _, w in check.images), check.problems()
    assert check.console == [] and check.failed_requests == []
    assert check.overflow_px <= 0                       # no horizontal scrolling at 1280 px
    assert check.ok
    assert shot.stat().st_size > 50_000 and shot.read_bytes().startswith(b"\x89PNG")
    height = int.from_bytes(shot.read_bytes()[20:24], "big")
    assert height > 5000                                 # the full page, not the viewport
    # every navigation link points at a section that exists
    text = (report_dir / "report.html").read_text(encoding="utf-8")
    links = re.findall(r'<nav>(.*?)</nav>', text, flags=re.S)[0]
    assert re.findall(r'href="#([a-z]+)"', links) == check.sections


def test_browser_sees_a_broken_image(chromium: str, tmp_path: Path) -> None:
    """The check is not blind: a corrupt embedded PNG and a network request are reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html><head><meta charset="utf-8"><title>x</title></head>'
                    '<body><section id="a"><img alt="broken" src="data:image/png;base64,'
                    'iVBORw0KGgoAAAAN"><img alt="remote" src="http://127.0.0.1:9/x.png">'
                    "</section></body></html>", encoding="utf-8")
    check = check_report(page, executable=chromium, full_page=False)
    assert check.sections == ["a"]
    assert dict(check.images) == {"broken": 0, "remote": 0}
    assert not check.ok and any("127.0.0.1" in u for u in check.failed_requests)
    with pytest.raises(DataError, match="no report"):
        check_report(tmp_path / "missing.html", executable=chromium)


def test_docs_screenshots_decode_in_the_browser(chromium: str, tmp_path: Path) -> None:
    """The report screenshots docs/report.md shows exist and decode in the same browser."""
    docs = Path(__file__).resolve().parents[2] / "docs"
    names = re.findall(r"\]\(figures/(report-[a-z]+\.png)\)", (docs / "report.md").read_text())
    assert names == ["report-summary.png", "report-hunt.png"]
    page = tmp_path / "shots.html"
    page.write_text("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>docs</title>"
                    "</head><body><section id=\"docs\">" + "".join(
                        f'<img alt="{n}" src="{(docs / "figures" / n).as_uri()}">'
                        for n in names) + "</section></body></html>", encoding="utf-8")
    check = check_report(page, executable=chromium, full_page=False)
    assert check.failed_requests == [] and check.console == []
    assert dict(check.images) == {n: 1280 for n in names}
