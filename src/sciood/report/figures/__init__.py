"""The report's figures: one function per figure, each returning a matplotlib ``Figure``.

These functions take the report's objects (:class:`~sciood.report.inputs.DetectorResult`,
``EventSet``, ``HuntResult``, ...) and compose the array-level functions of
:mod:`sciood.plot` (``roc``, ``sic``, ``spectrum``, ``sculpting``) into the report's panels.
Figures are built on the object-oriented API (``matplotlib.figure.Figure``, Agg canvas), never
through ``pyplot``, so no global figure state leaks between calls or threads; the mplhep
``ROOT`` style is applied while each figure is built (:func:`hep_style`).

Conventions: the background rejection ``1/ε_B`` is drawn on a log axis; bands are Poisson-
bootstrap percentile intervals (68 % unless stated); ``mjj`` is in GeV; every legend names the
detector and, where it matters, the signal.

Where each figure lives: :mod:`~sciood.report.figures.curves` (``roc_sic``),
:mod:`~sciood.report.figures.matrices` (``metric_matrix``, ``correlations``, ``robustness``),
:mod:`~sciood.report.figures.reliability` (``calibration``),
:mod:`~sciood.report.figures.sculpt` (``sculpting``),
:mod:`~sciood.report.figures.projection` (``latent``),
:mod:`~sciood.report.figures.search` (``hunt``, ``injection``),
:mod:`~sciood.report.figures.common` (``to_png``).

Example
-------
>>> fig = roc_sic(results, test_set, "wprime_wz_80")           # doctest: +SKIP
>>> fig.savefig("roc.png")                                      # doctest: +SKIP
"""

from __future__ import annotations

from sciood.plot.style import hep_style
from sciood.report.figures.common import to_png
from sciood.report.figures.curves import roc_sic
from sciood.report.figures.matrices import correlations, metric_matrix, robustness
from sciood.report.figures.projection import latent
from sciood.report.figures.reliability import calibration
from sciood.report.figures.sculpt import sculpting
from sciood.report.figures.search import hunt, injection

__all__ = [
    "calibration",
    "correlations",
    "hep_style",
    "hunt",
    "injection",
    "latent",
    "metric_matrix",
    "robustness",
    "roc_sic",
    "sculpting",
    "to_png",
]
