"""Score distributions per class: one weighted histogram per class label, drawn with mplhep.

>>> from sciood.plot import score_hist                                   # doctest: +SKIP
>>> fig = score_hist(score, labels, sample_weight=w, bins=40, log=True)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from sciood.errors import DataError
from sciood.plot._common import (
    as_float,
    as_weights,
    edges_for,
    figure_of,
    target_axes,
    weighted_hist,
)
from sciood.plot.style import require_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["score_hist"]


def _class_names(classes: ArrayLike, n: int) -> tuple[np.ndarray[Any, Any], list[Any]]:
    c = np.asarray(classes)
    if c.shape != (n,):
        raise DataError(f"classes must have shape ({n},) (one label per event), got {c.shape}")
    if c.dtype == np.bool_:  # y_true: name the two classes
        c = np.where(c, "signal", "background")
    return c, sorted(np.unique(c).tolist(), key=str)


def score_hist(y_score: ArrayLike, classes: ArrayLike, *,
               sample_weight: ArrayLike | None = None, bins: int | ArrayLike = 40,
               range: tuple[float, float] | None = None, density: bool = True,
               order: Sequence[Any] | None = None, log: bool = False,
               xlabel: str = "anomaly score", ax: Axes | None = None) -> Figure:
    """Weighted histogram of the score for each class, overlaid as steps.

    Parameters
    ----------
    y_score : array_like, shape (n,)
    classes : array_like, shape (n,)
        Class of each event (strings, integers, or bool ``y_true``: True = "signal").
    sample_weight : array_like, shape (n,), optional
    bins : int or array_like, default 40
        Number of equal-width bins over ``range`` (default: the finite score range), or edges.
    range : (float, float), optional
    density : bool, default True
        Normalise each class to unit area (compare shapes); False: sum of weights per bin.
    order : sequence, optional
        Classes to draw, in this order (default: all, sorted).
    log : bool, default False
        Logarithmic y axis.
    xlabel : str, default "anomaly score"
    ax : Axes, optional

    Returns
    -------
    Figure
        One step line per class, labelled with the class name.
    """
    hep = require_matplotlib()
    s = as_float(y_score, "y_score")
    c, names = _class_names(classes, s.size)
    w = as_weights(sample_weight, s.size)
    wanted = list(order) if order is not None else names
    missing = [k for k in wanted if k not in names]
    if missing:
        raise DataError(f"classes {missing} have no events (present: {names})")
    edges = edges_for(s, bins, range)
    hists = [weighted_hist(s[c == k], edges, w[c == k]) for k in wanted]
    with target_axes(ax) as a:
        hep.histplot(hists, density=density, histtype="step", yerr=False,
                     label=[str(k) for k in wanted], ax=a, flow="none")
        a.set_xlabel(xlabel)
        a.set_ylabel("density" if density else "events / bin")
        if log:
            a.set_yscale("log")
        a.legend()
        return figure_of(a)
