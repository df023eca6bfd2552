"""The report page: validation of the inputs, the sections in order, ``report.html``.

The page needs no network and runs no script: the style sheet (``report.css``, shipped as
package data) is inlined, every figure is a ``data:image/png;base64`` URI, tables are plain
HTML.  Sections (:data:`~sciood.report.sections.SECTIONS`, ids stable) are built by the
modules of :mod:`sciood.report.sections`.

A section whose optional input is missing says why it is empty; a section whose figure
fails to draw shows the error in a red box (``class="error"``) and the rest of the report is
still written — one broken plot must not cost the reader a finished run.

Example
-------
>>> from sciood.report import write_report
>>> path = write_report(Path("runs/demo"), inputs)       # doctest: +SKIP
>>> path.name                                             # doctest: +SKIP
'report.html'
"""

from __future__ import annotations

import logging
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np

from sciood.errors import ConfigError, DataError
from sciood.plot.style import hep_style
from sciood.report.inputs import DetectorResult, ReportInputs
from sciood.report.markup import FigureBlocks, esc
from sciood.report.sections import BUILDERS, SECTIONS

__all__ = ["REPORT_NAME", "SECTIONS", "render_html", "stylesheet", "write_report"]

log = logging.getLogger(__name__)

#: File name of the report inside the run directory.
REPORT_NAME = "report.html"
_STYLESHEET = "report.css"  # package data next to this module


@cache
def stylesheet() -> str:
    """The CSS inlined into every report (``sciood/report/report.css``)."""
    return files("sciood.report").joinpath(_STYLESHEET).read_text(encoding="utf-8")


def _validate(inputs: ReportInputs) -> None:
    if not isinstance(inputs, ReportInputs):
        raise DataError(f"write_report needs a ReportInputs, got {type(inputs).__name__}; "
                        "build one with sciood.report.ReportInputs(...)")
    if "sim" not in inputs.test_sets:
        raise DataError(f"ReportInputs.test_sets has no 'sim' entry (keys: "
                        f"{sorted(inputs.test_sets)}); the sim test set is required")
    if not inputs.detectors:
        raise DataError("ReportInputs.detectors is empty; evaluate at least one detector")
    names = [d.name for d in inputs.detectors]
    if len(set(names)) != len(names):
        raise DataError(f"detector names must be unique, got {names}")
    for d in inputs.detectors:
        if not isinstance(d, DetectorResult):
            raise DataError(f"detectors must be DetectorResult, got {type(d).__name__}")
        for variant, s in d.scores.items():
            es = inputs.test_sets.get(variant)
            if es is None:
                raise DataError(f"detector {d.name!r} has scores for variant {variant!r} "
                                f"but test_sets has only {sorted(inputs.test_sets)}")
            if np.shape(s) != (len(es),):
                raise DataError(f"detector {d.name!r}: scores[{variant!r}] has shape "
                                f"{np.shape(s)} but the {variant} test set has {len(es)} "
                                "events; pass one score per test event")
        if "sim" not in d.scores:
            raise DataError(f"detector {d.name!r} has no scores['sim'] (required)")
        if d.probability is not None and np.shape(d.probability) != (len(inputs.test_sets[
                "sim"]),):
            raise DataError(f"detector {d.name!r}: probability must have one entry per sim "
                            "test event")


def _section(sid: str, title: str, inputs: ReportInputs, fig: FigureBlocks) -> str:
    try:
        body = BUILDERS[sid](inputs, fig)
    except Exception as exc:  # one broken section must not lose the whole report
        log.exception("report section %r failed", sid)
        body = (f'<div class="error">This section could not be drawn: '
                f"{esc(type(exc).__name__)}: {esc(exc)}</div>")
    return f'<section id="{sid}"><h2>{esc(title)}</h2>{body}</section>'


def render_html(inputs: ReportInputs) -> str:
    """The complete report page as a string (validated inputs, figures embedded).

    Parameters
    ----------
    inputs : ReportInputs

    Returns
    -------
    str
        A standalone HTML5 document.

    Raises
    ------
    DataError
        If the inputs are inconsistent (no ``sim`` test set, scores that do not match the
        test events, duplicate detector names).
    """
    _validate(inputs)
    fig = FigureBlocks()
    with hep_style():
        sections = "".join(_section(sid, title, inputs, fig) for sid, title in SECTIONS)
    nav = "".join(f'<a href="#{sid}">{esc(t)}</a>' for sid, t in SECTIONS)
    dets = ", ".join(d.name for d in inputs.detectors)
    sub = (f"{len(inputs.detectors)} detector(s): {dets} · test sets: "
           f"{', '.join(inputs.test_sets)}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{esc(inputs.title)} — sciood report</title>"
        f"<style>\n{stylesheet()}</style></head>"
        f"<body><header><h1>{esc(inputs.title)}</h1><p>{esc(sub)}</p></header>"
        f"<nav>{nav}</nav><main>{sections}</main></body></html>\n"
    )


def write_report(run_dir: Path, inputs: ReportInputs) -> Path:
    """Write ``run_dir/report.html``: a self-contained report of one run.

    Parameters
    ----------
    run_dir : Path
        Run directory (created if missing).
    inputs : ReportInputs
        Everything the report draws from (see :mod:`sciood.report.inputs`).

    Returns
    -------
    Path
        ``run_dir / "report.html"`` (written atomically).

    Raises
    ------
    DataError
        If the inputs are inconsistent.
    ConfigError
        If ``run_dir`` exists and is not a directory.
    """
    from sciood.io import atomic_write_bytes

    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"run_dir {run_dir} exists and is not a directory; pass a directory")
    page = render_html(inputs)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / REPORT_NAME
    atomic_write_bytes(path, page.encode("utf-8"))
    log.info("report written to %s (%.1f MB)", path, len(page) / 1e6)
    return path
