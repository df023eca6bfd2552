"""The provenance section: run provenance, resolved configuration, report environment.

A run on the user's files (``data.source``) lists the input files with their SHA-256 first,
where a generated run's provenance names the generator (in the data section's cards).
"""

from __future__ import annotations

import datetime as _dt
import platform
from typing import TYPE_CHECKING

import numpy as np

from sciood.report.markup import esc, how, html_table, to_json

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``provenance`` section's HTML body."""
    import matplotlib

    from sciood._version import __version__

    env = {"sciood": __version__, "python": platform.python_version(),
           "numpy": np.__version__, "matplotlib": matplotlib.__version__,
           "report written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return (how("Everything needed to reproduce the run: versions, seeds, stage cache keys, "
                "data hashes and timings, and the resolved configuration.") +
            _input_files(inputs) + "<h3>Run</h3><pre>" + esc(to_json(inputs.provenance)) + "</pre>"
            "<h3>Configuration</h3><pre>" + esc(to_json(inputs.config)) + "</pre>"
            "<h3>Report environment</h3><pre>" + esc(to_json(env)) + "</pre>")


def _input_files(inputs: ReportInputs) -> str:
    """The ``data.source`` input files: path, SHA-256, size (empty for generated runs)."""
    source = (inputs.provenance or {}).get("data_source")
    if not isinstance(source, dict) or not source.get("files"):
        return ""
    rows = [[esc(str(f.get("path"))), f"<code>{esc(str(f.get('sha256')))}</code>",
             esc(str(f.get("bytes", "")))] for f in source["files"]]
    return ("<h3>Input files</h3>" +
            how("The events were read from these files (data.source), not generated; the "
                "SHA-256 identifies the exact bytes.") +
            html_table(["file", "SHA-256", "bytes"], rows, left=2))
