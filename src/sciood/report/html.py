"""Compatibility module: the report page now lives in :mod:`sciood.report.page`.

The page assembly (validation, ``render_html``, ``write_report``) is in
:mod:`sciood.report.page`, one module per section in :mod:`sciood.report.sections`, the HTML
helpers in :mod:`sciood.report.markup` and the style sheet in ``sciood/report/report.css``.
This module keeps the old import path working.
"""

from __future__ import annotations

from sciood.report.page import REPORT_NAME, SECTIONS, render_html, write_report

__all__ = ["REPORT_NAME", "SECTIONS", "render_html", "write_report"]
