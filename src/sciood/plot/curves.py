"""ROC and SIC curves from scores and labels, with optional Poisson-bootstrap bands.

Both curves are read on a grid of signal efficiencies ε_S (default: 50 points from 0.02 to 1)
from :func:`sciood.metrics.ranking_curve`, so the drawn numbers are the metric's:

* ROC: background rejection ``1/ε_B`` (log axis) versus ε_S.  Rejections beyond the last
  background event (``1/ε_B`` above total weight / smallest weight, i.e. ε_B = 0) are not drawn.
* SIC: ``ε_S / √ε_B`` versus ε_S, the factor by which the cut multiplies S/√B.  Solid where at
  least ``min_background`` effective (Kish, ``(Σw)²/Σw²``) background events pass, dotted
  where it rests on fewer.

A grey dotted reference (random cut: ``1/ε_S`` and ``√ε_S``) is drawn once per axes.  The
curve read on the grid (and its bootstrap) is kept for the last few inputs, keyed by a hash of
the arrays, so drawing :func:`roc` and :func:`sic` of the same scores bootstraps once.

>>> from sciood.plot import roc, sic                        # doctest: +SKIP
>>> fig = roc(y, score, sample_weight=w, label="iforest")   # doctest: +SKIP
>>> sic(y, score, sample_weight=w, label="iforest", ax=fig.axes[0])  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError
from sciood.plot._common import FloatArray, as_bool, as_float, as_weights, figure_of, target_axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["DEFAULT_GRID", "roc", "sic"]

#: Signal efficiencies at which the curves are read by default.
DEFAULT_GRID = np.linspace(0.02, 1.0, 50)
_RANDOM_GID = "sciood-random-cut"
_CACHE_SIZE = 8
_cache: OrderedDict[bytes, _GridCurve] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class _GridCurve:
    """Rejection on the ε_S grid with its band (NaN without replicas) and the Kish count."""

    eff_s: FloatArray
    rejection: FloatArray
    lo: FloatArray
    hi: FloatArray
    n_eff: FloatArray


def _clean_rejection(r: FloatArray, w_bkg: FloatArray) -> FloatArray:
    """NaN where ``1/ε_B`` exceeds the background resolution (total / smallest weight)."""
    pos = np.abs(w_bkg[w_bkg != 0])
    limit = float(np.abs(w_bkg).sum() / pos.min()) if pos.size else np.inf
    return np.where(np.isfinite(r) & (r <= 1.0001 * limit), r, np.nan)


def _grid_curve(y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None,
                eff_s: ArrayLike | None, n_bootstrap: int, seed: int,
                level: float) -> _GridCurve:
    s = as_float(y_score, "y_score")
    y = as_bool(y_true, "y_true", s.size)
    w = as_weights(sample_weight, s.size)
    if not y.any() or y.all():
        raise DataError("y_true needs both signal (1) and background (0) events")
    grid = DEFAULT_GRID if eff_s is None else as_float(eff_s, "eff_s")
    n_bootstrap = n_bootstrap if n_bootstrap >= 2 else 0
    h = hashlib.blake2b(digest_size=20)
    for a in (s, y, w, grid):
        h.update(np.ascontiguousarray(a).tobytes())
    h.update(repr((n_bootstrap, seed, level)).encode())
    key = h.digest()
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    curve = _compute_grid_curve(y, s, w, grid, n_bootstrap, seed, level)
    with _cache_lock:
        _cache[key] = curve
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return curve


def _compute_grid_curve(y: NDArray[np.bool_], s: FloatArray, w: FloatArray, grid: FloatArray,
                        n_bootstrap: int, seed: int, level: float) -> _GridCurve:
    from sciood.metrics import bootstrap_many, ranking_curve

    with np.errstate(divide="ignore", invalid="ignore"):
        c = ranking_curve(y, s, sample_weight=w)
        if n_bootstrap:
            b = bootstrap_many({"rej": ("rejection_at", {"eff_s": grid})}, y, s,
                               sample_weight=w, n=n_bootstrap, seed=seed, level=level,
                               undefined="nan")["rej"]
            nominal, lo, hi = b.value, b.lo, b.hi
        else:
            nominal = np.asarray(c.rejection_at(grid), dtype=np.float64)
            lo = hi = np.full_like(nominal, np.nan)
        eff = np.maximum.accumulate(c.eps_s)
        idx = np.minimum(np.searchsorted(eff, grid, side="left"), eff.size - 1)
        n_eff = np.asarray(c.n_eff_background()[idx], dtype=np.float64)
    rej, rlo, rhi = (_clean_rejection(np.asarray(a, dtype=np.float64), w[~y])
                     for a in (nominal, lo, hi))
    arrays = [grid.copy(), rej, rlo, rhi, n_eff]
    for a in arrays:  # shared through the cache: read-only
        a.setflags(write=False)
    return _GridCurve(*arrays)


def _random_reference(ax: Axes, x: FloatArray, y: FloatArray, label: str) -> None:
    if not any(line.get_gid() == _RANDOM_GID for line in ax.lines):
        ax.plot(x, y, color="grey", ls=":", label=label, gid=_RANDOM_GID)


def roc(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None,
        label: str | None = None, ax: Axes | None = None, color: str | None = None,
        eff_s: ArrayLike | None = None, n_bootstrap: int = 0, level: float = 0.68,
        seed: int = 0) -> Figure:
    """Background rejection ``1/ε_B`` (log) versus signal efficiency ε_S.

    Parameters
    ----------
    y_true : array_like of bool or {0, 1}, shape (n,)
        1 = signal.
    y_score : array_like, shape (n,)
        Higher = more signal-like (more anomalous).
    sample_weight : array_like, shape (n,), optional
        Per-event weights (e.g. cross-section × luminosity / generated events).
    label : str, optional
        Legend entry of the curve.
    ax : Axes, optional
        Draw here; default: a new house-style figure.
    color : str, optional
        Line and band colour; default: the axes' colour cycle.
    eff_s : array_like, shape (k,), optional
        ε_S grid; default :data:`DEFAULT_GRID`.
    n_bootstrap : int, default 0
        Poisson-bootstrap replicas of a ``level`` band (``< 2``: no band).
    level : float, default 0.68
    seed : int, default 0

    Returns
    -------
    Figure
        The figure of ``ax``.  The curve is a line with ``label``; the band a filled area.
    """
    c = _grid_curve(y_true, y_score, sample_weight, eff_s, n_bootstrap, seed, level)
    with target_axes(ax) as a:
        _random_reference(a, c.eff_s, 1.0 / c.eff_s, "random (1/ε_S)")
        fin = np.isfinite(c.rejection)
        (line,) = a.plot(c.eff_s[fin], c.rejection[fin], color=color, label=label)
        band = fin & np.isfinite(c.lo) & np.isfinite(c.hi)
        if band.any():
            a.fill_between(c.eff_s[band], c.lo[band], c.hi[band], color=line.get_color(),
                           alpha=0.25, lw=0)
        a.set_yscale("log")
        a.set_ylim(0.8, 1.5 * max(float(a.dataLim.ymax), 1.0))
        a.set_xlim(0.0, 1.0)
        a.set_xlabel("signal efficiency ε_S")
        a.set_ylabel("background rejection 1/ε_B")
        if label is not None:
            a.legend(loc="upper right")
        return figure_of(a)


def sic(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None,
        label: str | None = None, ax: Axes | None = None, color: str | None = None,
        eff_s: ArrayLike | None = None, n_bootstrap: int = 0, level: float = 0.68,
        seed: int = 0, min_background: float = 50.0) -> Figure:
    """Significance improvement ``SIC = ε_S/√ε_B`` versus signal efficiency ε_S.

    Parameters are those of :func:`roc`, plus:

    min_background : float, default 50
        The curve is solid where at least this many effective background events pass the
        cut (where :func:`sciood.metrics.max_sic` looks for its maximum) and dotted beyond.

    Returns
    -------
    Figure
        The figure of ``ax``: a solid line with ``label``, a dotted unlabelled line for the
        low-statistics part, and the band as a filled area.
    """
    c = _grid_curve(y_true, y_score, sample_weight, eff_s, n_bootstrap, seed, level)
    with np.errstate(invalid="ignore"):
        value, lo, hi = (c.eff_s * np.sqrt(r) for r in (c.rejection, c.lo, c.hi))
    with target_axes(ax) as a:
        _random_reference(a, c.eff_s, np.sqrt(c.eff_s), "random (√ε_S)")
        fin = np.isfinite(value)
        ok = fin & (c.n_eff >= min_background)
        (line,) = a.plot(c.eff_s[ok], value[ok], color=color, label=label)
        a.plot(c.eff_s[fin], np.where(ok[fin], np.nan, value[fin]), color=line.get_color(),
               ls=":")
        band = fin & np.isfinite(lo) & np.isfinite(hi)
        if band.any():
            a.fill_between(c.eff_s[band], lo[band], hi[band], color=line.get_color(),
                           alpha=0.25, lw=0)
        a.set_xlim(0.0, 1.0)
        a.set_ylim(bottom=0.0)
        a.set_xlabel("signal efficiency ε_S")
        a.set_ylabel("SIC = ε_S / √ε_B")
        if label is not None:
            a.legend(loc="best")
        return figure_of(a)
