"""sciood.pipeline: one validated config -> a run directory with results.json and report.html.

Stages (each a cache unit keyed by a hash of its inputs, see :mod:`sciood.pipeline.cache`)::

    generate -> split -> train -> score -> evaluate -> hunt -> report

Run directory layout::

    RUN/config.json                 the resolved configuration
    RUN/split/{train,test-<variant>}/   EventSet stores (+ summary.json)
    RUN/models/<label>/model/       saved detectors (safe model files)
    RUN/scores/<label>/<variant>/   score stores, row-aligned with the test stores
    RUN/evaluate/<label>/           tables, robustness, sculpting, correlations, latent view
    RUN/hunt/hunt.json              bump hunt, limit, Brazil band, injection scan (+ workspace.json,
                                    workspaces/ per mass: pyhf; hepdata/: HEPData record)
    RUN/results.json                versioned summary (docs/results-schema.md)
    RUN/report.html                 self-contained report

Example
-------
>>> from sciood.pipeline import run
>>> res = run("examples/demo.yaml", out="runs/demo")     # doctest: +SKIP
>>> res.report                                           # doctest: +SKIP
PosixPath('runs/demo/report.html')
"""

from sciood.pipeline.cache import StageRecord
from sciood.pipeline.progress import LogProgress, Progress, SilentProgress
from sciood.pipeline.results import SCHEMA, SCHEMA_VERSION
from sciood.pipeline.runner import STAGES, RunResult, Stage, run

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "STAGES",
    "LogProgress",
    "Progress",
    "RunResult",
    "SilentProgress",
    "Stage",
    "StageRecord",
    "run",
]
