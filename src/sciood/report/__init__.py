"""sciood.report: the self-contained HTML report of a run.

* :func:`write_report` — ``run_dir/report.html`` from a :class:`ReportInputs` (figures embedded
  as base64 PNG, the package's ``report.css`` inlined, no network, no script); the page is
  assembled in :mod:`sciood.report.page` from one module per section
  (:mod:`sciood.report.sections`).
* :mod:`sciood.report.figures` — one function per figure, each returning a
  :class:`~matplotlib.figure.Figure`, composed from the array-level :mod:`sciood.plot`.
* :class:`ReportInputs` / :class:`DetectorResult` — what the pipeline hands over.

Example
-------
>>> from sciood.report import write_report                 # doctest: +SKIP
>>> write_report(Path("runs/demo"), inputs)                 # doctest: +SKIP
PosixPath('runs/demo/report.html')
"""

from sciood.report.inputs import DetectorResult, ReportInputs
from sciood.report.page import REPORT_NAME, SECTIONS, render_html, write_report

__all__ = ["REPORT_NAME", "SECTIONS", "DetectorResult", "ReportInputs", "render_html",
           "write_report"]
