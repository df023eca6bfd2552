"""Open the report in a real headless Chromium (Debian ``chromium``) driven by Playwright.

Skipped with a reason when no chromium binary is found on a dev machine; CI sets
``SCIOOD_REQUIRE_BROWSER=1`` (``.ci/run``), which turns a missing browser into a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from sciood.report import SECTIONS

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic",
]


@pytest.fixture
def chromium() -> str:
    """Path of Debian's chromium, or skip / fail with the reason (before the report is built)."""
    required = os.environ.get("SCIOOD_REQUIRE_BROWSER", "") not in ("", "0")
    path = os.environ.get("SCIOOD_CHROMIUM") or "/usr/bin/chromium"
    if not Path(path).exists():
        path = shutil.which("chromium") or ""
    problem = ""
    if not path:
        problem = ("no chromium binary (/usr/bin/chromium); install it with "
                   "`apt-get install -y chromium`")
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "playwright is not installed (pip install -e '.[test]')"
    if problem:
        if required:
            pytest.fail(f"SCIOOD_REQUIRE_BROWSER is set but {problem}")
        pytest.skip(problem)
    return path


def test_report_renders_in_headless_chromium(chromium: str, report_dir: Path,
                                              tmp_path: Path) -> None:
    exe = chromium
    from playwright.sync_api import sync_playwright

    report = (report_dir / "report.html").resolve()
    messages: list[str] = []
    failed: list[str] = []
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=exe, headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1280, "height": 900},
        )
        try:
            page = ctx.new_page()
            page.on("console", lambda m: messages.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: messages.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(report.as_uri(), wait_until="load")
            page.wait_for_function(
                "Array.from(document.images).every(i => i.complete)", timeout=20_000)
            widths = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
            ids = page.evaluate("Array.from(document.querySelectorAll('section'))"
                                ".map(s => s.id)")
            nav = page.evaluate("Array.from(document.querySelectorAll('nav a'))"
                                ".map(a => a.getAttribute('href'))")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            shot = report_dir / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            ctx.close()
    assert ids == [sid for sid, _ in SECTIONS]
    assert nav == [f"#{sid}" for sid, _ in SECTIONS]
    assert len(widths) >= 10
    assert all(w > 0 for _, w in widths), [a for a, w in widths if w <= 0]
    assert messages == [] and failed == []
    assert overflow <= 0                                   # no horizontal scrolling at 1280 px
    assert shot.stat().st_size > 50_000 and shot.read_bytes().startswith(b"\x89PNG")
