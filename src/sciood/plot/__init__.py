"""sciood.plot: array-level plotting functions (numbers in, ``Figure`` out) in the house style.

Every function takes plain arrays (scores, labels, weights, bin edges), never pipeline objects,
draws on the ``ax=`` it is given (or on a new figure in the mplhep ``ROOT`` house style) and
returns the ``matplotlib.figure.Figure``; :mod:`sciood.report` composes them into the report.
Histograms are ``hist.Hist`` objects drawn with ``mplhep.histplot``.

* :func:`roc`, :func:`sic` — background rejection 1/ε_B and SIC = ε_S/√ε_B versus ε_S, read
  from :func:`sciood.metrics.ranking_curve`, with optional Poisson-bootstrap bands.
* :func:`score_hist` — score distributions per class.
* :func:`spectrum` — a binned spectrum with its fit, ±1σ band, window and pulls.
* :func:`sculpting` — the background observable before / after a cut, and pass / fail.
* :func:`experiment_label`, :func:`hep_style`, :func:`new_figure`, :func:`color` — style.

Example
-------
>>> import numpy as np
>>> from sciood.plot import roc, sic
>>> rng = np.random.default_rng(0)
>>> y = np.r_[np.ones(500), np.zeros(5000)]
>>> s = rng.normal(y, 1.0)
>>> fig = roc(y, s, label="Gaussian")
>>> ax = fig.axes[0]
>>> ax.get_yscale()
'log'
"""

from __future__ import annotations

from sciood.plot.curves import roc, sic
from sciood.plot.distributions import score_hist
from sciood.plot.sculpting import sculpting
from sciood.plot.spectrum import spectrum
from sciood.plot.style import COLORS, color, experiment_label, hep_style, new_figure

__all__ = ["COLORS", "color", "experiment_label", "hep_style", "new_figure", "roc",
           "score_hist", "sculpting", "sic", "spectrum"]
