"""sciood.plot: array-level plotting functions (numbers in, ``Figure`` out) in the house style.

Every function takes plain arrays (scores, labels, weights, bin edges), never pipeline objects,
and returns a ``matplotlib.figure.Figure``; :mod:`sciood.report` composes them into the report.
"""

from __future__ import annotations

from sciood.plot.style import COLORS, color, hep_style, new_figure

__all__ = ["COLORS", "color", "hep_style", "new_figure"]
