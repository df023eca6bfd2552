"""Shared plumbing of the :mod:`sciood.plot` functions: input checks, target axes, histograms.

Private to :mod:`sciood.plot`.  Histograms are :class:`hist.Hist` objects with ``Weight``
storage (sum of weights and sum of squared weights per bin) and no flow bins; they are filled
with :func:`numpy.histogram` semantics (the last bin is closed on the right), so the plotted
numbers are the ones the metrics compute from the same edges.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, MissingDependencyError
from sciood.plot.style import hep_style, new_figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["FloatArray", "as_bool", "as_float", "as_weights", "binned_hist", "edges_for",
           "figure_of", "target_axes", "weighted_hist"]

FloatArray = NDArray[np.float64]


def as_float(values: ArrayLike, name: str, n: int | None = None) -> FloatArray:
    """``values`` as a 1-D float64 array (of length ``n`` if given); DataError otherwise."""
    a = np.asarray(values, dtype=np.float64)
    if a.ndim != 1:
        raise DataError(f"{name} must be one-dimensional, got shape {a.shape}")
    if n is not None and a.size != n:
        raise DataError(f"{name} has {a.size} entries, expected {n} (one per event / bin)")
    return a


def as_bool(values: ArrayLike, name: str, n: int) -> NDArray[np.bool_]:
    """``values`` (bool or 0/1) as a 1-D bool array of length ``n``."""
    a = np.asarray(values)
    if a.ndim != 1 or a.size != n:
        raise DataError(f"{name} must have shape ({n},), got {a.shape}")
    if a.dtype != np.bool_:
        if not np.isin(a, (0, 1)).all():
            raise DataError(f"{name} must be boolean or 0/1")
        a = a.astype(bool)
    return a


def as_weights(sample_weight: ArrayLike | None, n: int) -> FloatArray:
    """Per-event weights, ones when ``None``; finite, shape ``(n,)``."""
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = as_float(sample_weight, "sample_weight", n)
    if not np.isfinite(w).all():
        raise DataError("sample_weight must be finite")
    return w


def edges_for(x: FloatArray, bins: int | ArrayLike,
              range: tuple[float, float] | None = None) -> FloatArray:
    """Bin edges: ``bins`` equal-width bins over ``range`` (default: the finite data range),
    or ``bins`` itself when it is an array of increasing edges."""
    if np.ndim(bins) == 0:
        nb = int(bins)  # type: ignore[arg-type]
        if nb < 1:
            raise DataError(f"bins must be >= 1, got {nb}")
        if range is None:
            fin = x[np.isfinite(x)]
            if fin.size == 0:
                raise DataError("no finite values to histogram")
            range = (float(fin.min()), float(fin.max()))
        lo, hi = range
        if not hi > lo:
            lo, hi = lo - 0.5, hi + 0.5
        return np.linspace(lo, hi, nb + 1)
    e = as_float(bins, "bins")
    if e.size < 2 or not (np.diff(e) > 0).all():
        raise DataError("bin edges must be increasing, with at least two entries")
    return e


def _hist_module() -> Any:
    try:
        import hist
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("plotting needs hist: pip install 'sciood[report]'") from exc
    return hist


def binned_hist(edges: ArrayLike, sumw: ArrayLike, sumw2: ArrayLike | None = None) -> Any:
    """A ``hist.Hist`` holding already-binned sums (``sumw2`` defaults to ``sumw``: Poisson)."""
    hist = _hist_module()
    e = as_float(edges, "edges")
    v = as_float(sumw, "counts", e.size - 1)
    v2 = v if sumw2 is None else as_float(sumw2, "sumw2", e.size - 1)
    h = hist.Hist(hist.axis.Variable(e, underflow=False, overflow=False),
                  storage=hist.storage.Weight())
    h[...] = np.stack([v, v2], axis=-1)
    return h


def weighted_hist(x: FloatArray, edges: FloatArray, w: FloatArray) -> Any:
    """``hist.Hist`` of ``x`` with weights ``w`` (numpy binning: the last bin is closed)."""
    sumw, _ = np.histogram(x, edges, weights=w)
    sumw2, _ = np.histogram(x, edges, weights=w * w)
    return binned_hist(edges, sumw, sumw2)


def figure_of(ax: Axes) -> Figure:
    """The top-level figure an axes belongs to."""
    fig: Any = ax.figure
    while getattr(fig, "figure", fig) is not fig:  # a SubFigure: climb to the root
        fig = fig.figure
    return fig


@contextmanager
def target_axes(ax: Axes | None, *, size: tuple[float, float] = (7.0, 5.0)) -> Iterator[Axes]:
    """Draw on ``ax``, or on the single axes of a new house-style figure when ``ax`` is None.

    A caller's own axes keep the caller's style: the house style is only applied to figures
    made here.
    """
    if ax is not None:
        yield ax
        return
    with hep_style():
        _, axes = new_figure(size=size)
        yield axes[0][0]
