"""Screenshots of the demo report's summary and bump-hunt sections, taken by the browser check.

Run after ``make demo``::

    .venv/bin/python docs/figures/report_screenshots.py [runs/demo/report.html]

Opens the report in headless Chromium through :func:`sciood.report.browser.check_report`
(the same check the test suite runs), refuses a report the browser saw problems in, and
crops the full-page screenshot to the sections named in :data:`SHOTS`, written beside this
script (``report-summary.png``, ``report-hunt.png``) and shown in docs/report.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PIL import Image

from sciood.report import SECTIONS
from sciood.report.browser import check_report

HERE = Path(__file__).resolve().parent
#: section id -> (output file, largest height kept [CSS px]).
SHOTS = {"summary": ("report-summary.png", 1400), "hunt": ("report-hunt.png", 2200)}


def section_box(tops: dict[str, int], sid: str, page_height: int, cap: int) -> tuple[int, int]:
    """Top and bottom [px] of section ``sid``: up to the next section, at most ``cap`` tall."""
    order = [s for s, _ in SECTIONS if s in tops]
    i = order.index(sid)
    bottom = tops[order[i + 1]] if i + 1 < len(order) else page_height
    return tops[sid], min(bottom, tops[sid] + cap)


def main(report: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "page.png"
        check = check_report(report, screenshot=full)
        if not check.ok:
            raise SystemExit(f"the browser saw problems in {report}: {check.problems()}")
        with Image.open(full) as page:
            for sid, (name, cap) in SHOTS.items():
                top, bottom = section_box(check.section_top, sid, page.height, cap)
                crop = page.crop((0, top, page.width, bottom)).convert("RGB")
                # a 160-colour palette: the report's flat colours survive, the file shrinks 3x
                crop.quantize(colors=160, method=Image.Quantize.MEDIANCUT,
                              dither=Image.Dither.NONE).save(HERE / name, optimize=True)
                print(f"{HERE / name}: section {sid!r}, {page.width} x {bottom - top} px")  # noqa: T201


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/demo/report.html"))
