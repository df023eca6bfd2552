"""The provenance section: run provenance, resolved configuration, report environment."""

from __future__ import annotations

import datetime as _dt
import platform
from typing import TYPE_CHECKING

import numpy as np

from sciood.report.markup import esc, how, to_json

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
            "<h3>Run</h3><pre>" + esc(to_json(inputs.provenance)) + "</pre>"
            "<h3>Configuration</h3><pre>" + esc(to_json(inputs.config)) + "</pre>"
            "<h3>Report environment</h3><pre>" + esc(to_json(env)) + "</pre>")
