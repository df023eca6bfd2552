"""Open a report in a real headless Chromium and check what a reader would see.

Uses Debian's ``chromium`` (``/usr/bin/chromium``, or ``$SCIOOD_CHROMIUM``) driven by
Playwright for Python; Playwright's own browser download is never used.  The browser runs
with a fresh profile and without background networking, so a report that tried to load
anything from the network would show up in :attr:`BrowserCheck.failed_requests`.

Example
-------
>>> check = check_report("runs/demo/report.html", screenshot="runs/demo/report.png")
...                                                               # doctest: +SKIP
>>> check.ok, check.problems()                                   # doctest: +SKIP
(True, [])
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from sciood.errors import DataError, MissingDependencyError

__all__ = ["CHROMIUM_FLAGS", "BrowserCheck", "check_report", "find_chromium"]

#: Command-line flags of the headless browser (no GPU, no sandbox for containers, no
#: background traffic).
CHROMIUM_FLAGS: tuple[str, ...] = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-quic",
)


def find_chromium() -> str | None:
    """Path of the Chromium binary: ``$SCIOOD_CHROMIUM``, ``/usr/bin/chromium``, then PATH."""
    for cand in (os.environ.get("SCIOOD_CHROMIUM"), "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return shutil.which("chromium")


@dataclass
class BrowserCheck:
    """What the browser saw.

    Attributes
    ----------
    sections : list of str
        ``id`` of every ``<section>``, in page order.
    images : list of (str, int)
        ``alt`` text and ``naturalWidth`` of every ``<img>`` (0 = failed to decode).
    console : list of str
        Console errors and warnings and uncaught page errors.
    failed_requests : list of str
        URLs the page tried and failed to load.
    overflow_px : int
        Horizontal overflow of the page at the viewport width (> 0: a horizontal scroll bar).
    screenshot : Path or None
        Where the screenshot was saved.
    section_top : dict of str to int
        Vertical position of each section on the page [CSS px] (to crop screenshots).
    """

    sections: list[str]
    images: list[tuple[str, int]]
    console: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    overflow_px: int = 0
    screenshot: Path | None = None
    section_top: dict[str, int] = field(default_factory=dict)

    def problems(self) -> list[str]:
        """Human-readable list of everything wrong (empty when the page is fine)."""
        out = [f"image {alt!r} did not render" for alt, w in self.images if w <= 0]
        out += [f"console: {m}" for m in self.console]
        out += [f"request failed: {u}" for u in self.failed_requests]
        if self.overflow_px > 0:
            out.append(f"page is {self.overflow_px}px wider than the window")
        return out

    @property
    def ok(self) -> bool:
        """No problem found."""
        return not self.problems()


def check_report(
    path: str | os.PathLike[str],
    *,
    screenshot: str | os.PathLike[str] | None = None,
    full_page: bool = True,
    width: int = 1280,
    height: int = 900,
    executable: str | None = None,
    timeout_s: float = 30.0,
) -> BrowserCheck:
    """Load ``path`` in headless Chromium, collect sections, images and console messages.

    Parameters
    ----------
    path : path-like
        The ``report.html``.
    screenshot : path-like, optional
        Save a PNG screenshot here.
    full_page : bool, default True
        Screenshot the whole page (else the first ``height`` pixels).
    width, height : int
        Viewport in CSS pixels.
    executable : str, optional
        Chromium binary; default :func:`find_chromium`.
    timeout_s : float
        Page-load and image-decode timeout.

    Returns
    -------
    BrowserCheck

    Raises
    ------
    DataError
        If ``path`` does not exist.
    MissingDependencyError
        If Playwright or the Chromium binary is missing (the message says how to install).
    """
    report = Path(path).resolve()
    if not report.is_file():
        raise DataError(f"no report at {report}; write it with sciood.report.write_report")
    exe = executable or find_chromium()
    if not exe:
        raise MissingDependencyError(
            "no Chromium binary found (looked at $SCIOOD_CHROMIUM, /usr/bin/chromium and "
            "PATH); install Debian's browser with `apt-get install -y chromium`")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise MissingDependencyError(
            "checking a report in a browser needs Playwright for Python: "
            "pip install 'sciood[test]' (it uses the system chromium, no browser download)"
        ) from exc
    console: list[str] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sciood-chromium-") as profile, \
            sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=list(CHROMIUM_FLAGS),
            viewport={"width": int(width), "height": int(height)},
        )
        try:
            page = ctx.new_page()
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning") else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("requestfailed", lambda r: failed.append(r.url))
            page.goto(report.as_uri(), wait_until="load", timeout=timeout_s * 1000)
            page.wait_for_function("Array.from(document.images).every(i => i.complete)",
                                   timeout=timeout_s * 1000)
            sections = page.evaluate(
                "Array.from(document.querySelectorAll('section')).map(s => s.id)")
            images = page.evaluate(
                "Array.from(document.images).map(i => [i.alt, i.naturalWidth])")
            tops = page.evaluate(
                "Object.fromEntries(Array.from(document.querySelectorAll('section'))"
                ".map(s => [s.id, Math.round(s.getBoundingClientRect().top + scrollY)]))")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            shot = None
            if screenshot is not None:
                shot = Path(screenshot)
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=full_page)
        finally:
            ctx.close()
    return BrowserCheck(
        sections=[str(s) for s in sections],
        images=[(str(a), int(w)) for a, w in images],
        console=console,
        failed_requests=failed,
        overflow_px=int(overflow),
        screenshot=shot,
        section_top={str(k): int(v) for k, v in tops.items()},
    )
