"""Out-of-core ranking metrics from mergeable per-partition score histograms.

10⁸ scores do not fit one sort in one process, but every ranking metric only needs, for each
candidate cut ``score ≥ t``, the signal and background weight passing it.  Each partition
(shard, chunk, Dask task) fills a :class:`ScoreHistogram` — per bin the signal weight Σw,
the background weight Σw and Σw², the absolute weights and the event count — on *shared*
bin edges; histograms add bin by bin (associative and commutative, so partitions merge in
any order), and :meth:`ScoreHistogram.curve` turns the merged histogram into a
:class:`~sciood.metrics.curve.RankingCurve`, so every metric of
:mod:`sciood.metrics.ranking` (ROC, SIC, max SIC with the Kish N_min rule, rejection at
ε_S, ε_S at ε_B, AUC, AP) is computed by the same code as in memory.

What is exact and what is not
-----------------------------
* **Every ROC point is exact**: the point of bin edge ``e_k`` is the cut ``score ≥ e_k`` of
  the unbinned data (up to the order of floating-point additions).  Binning only *removes*
  the cuts that fall strictly inside a bin.  With edges at every distinct score the curve is
  the exact one (tested).
* **AUC**: pairs of events in different bins are ordered exactly; pairs inside one bin are
  counted as ties (½).  Hence ``|AUC_binned − AUC_exact| ≤ ½ Σ_k |S|_k |B|_k / (W_S W_B)``,
  reported by :meth:`ScoreHistogram.auc_error_bound` (``|S|_k`` = Σ|w| of the signal in
  bin ``k``).
* **max SIC** is the maximum over the edge cuts only: never above the unbinned maximum (for
  the same N_min rule), equal to it when the best cut falls on an edge.
* **Working points** (ε_B at ε_S, ε_S at ε_B) are linear interpolations between the two exact
  edge points that bracket the target; the unbinned value lies inside the bin that
  contains the crossing, so the error is at most that bin's background (signal) efficiency.

Edges come from the data: :func:`quantile_edges` puts equal-count bins in the bulk and
geometrically finer bins in the upper tail (where ε_B = 10⁻⁴…10⁻⁵ working points live), from
a sample; :func:`histogram_store` does both passes over a score store (in-process or as Dask
tasks), so no process ever holds more than one shard of scores.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> y = rng.integers(0, 2, 10_000); s = rng.normal(y, 1.0)
>>> h = ScoreHistogram.empty(quantile_edges(s, 512))
>>> for part in np.array_split(np.arange(10_000), 4):   # four "partitions"
...     _ = h.fill(y[part], s[part])
>>> from sciood.metrics import auc
>>> bool(abs(h.curve().auc() - auc(y, s)) <= h.auc_error_bound())
True
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.data import store as store_io
from sciood.errors import ConfigError, CorruptDataError, DataError
from sciood.metrics.curve import DEFAULT_MIN_BACKGROUND, RankingCurve
from sciood.metrics.inputs import as_column, as_labels, as_weights

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_SAMPLE",
    "ScoreHistogram",
    "histogram_store",
    "quantile_edges",
    "store_edges",
    "summary",
    "uniform_edges",
]

#: Default number of bins of :func:`quantile_edges` / :func:`histogram_store`.
DEFAULT_BINS = 1 << 16
#: Default total size of the score sample the edges are taken from.
DEFAULT_SAMPLE = 1_000_000

FloatArray = NDArray[np.float64]
#: Allowed magnitudes of non-zero weights in :meth:`ScoreHistogram.fill`: partitions are
#: filled independently, so they cannot share one rescaling; Σw² must stay representable.
_WEIGHT_RANGE = (1e-150, 1e150)


def uniform_edges(low: float, high: float, n_bins: int) -> FloatArray:
    """``n_bins`` equal-width bins over ``[low, high]``, shape ``(n_bins + 1,)``."""
    if not (math.isfinite(low) and math.isfinite(high) and high > low) or n_bins < 1:
        raise ConfigError(f"need finite low < high and n_bins ≥ 1, got {low}, {high}, {n_bins}")
    return np.linspace(low, high, int(n_bins) + 1)


def quantile_edges(sample: ArrayLike, n_bins: int = DEFAULT_BINS, *,
                   low: float | None = None, high: float | None = None) -> FloatArray:
    """Bin edges from a score sample: equal-count bins in the bulk, finer in the upper tail.

    Half of the edges sit at equally spaced quantile levels; the other half at levels
    ``1 − f`` with ``f`` log-spaced from ½ down to ``1/len(sample)``, so the highest-score
    bins hold few events.  Duplicate edges (ties in the sample) are merged.

    Parameters
    ----------
    sample : array_like, shape (k,)
        Finite scores (a random subset of all scores is enough).
    n_bins : int
        Requested number of bins (fewer after merging duplicates).
    low, high : float, optional
        Global minimum / maximum to include as outer edges.

    Returns
    -------
    ndarray, shape (m + 1,)
        Strictly increasing edges, ``m ≤ n_bins``.
    """
    s = np.asarray(sample, dtype=np.float64).ravel()
    if s.size == 0 or not np.isfinite(s).all():
        raise DataError("the score sample for the bin edges is empty or holds NaN/inf")
    if n_bins < 2:
        raise ConfigError(f"n_bins must be ≥ 2, got {n_bins}")
    half = max(int(n_bins) // 2, 1)
    bulk = np.linspace(0.0, 1.0, half + 1)
    tail = 1.0 - np.logspace(math.log10(0.5), math.log10(1.0 / max(s.size, 2)), half)
    levels = np.unique(np.clip(np.concatenate([bulk, tail]), 0.0, 1.0))
    edges = np.quantile(s, levels, method="linear")
    extra = [v for v in (low, high) if v is not None]
    edges = np.unique(np.concatenate([edges, np.asarray(extra, dtype=np.float64)]))
    if edges.size < 2:  # a single distinct score
        edges = np.array([edges[0], np.nextafter(edges[0], np.inf)])
    return np.asarray(edges, dtype=np.float64)


@dataclass
class ScoreHistogram:
    """Weighted score histogram of signal and background on fixed edges; mergeable.

    Bin ``k`` holds scores in ``[edges[k], edges[k+1])``; scores below ``edges[0]`` go to
    bin 0 and scores at or above ``edges[-1]`` to the last bin, so nothing is lost (the
    outermost cuts stay exact: see the module docstring).

    Attributes
    ----------
    edges : ndarray, shape (m + 1,)
    signal, background : ndarray, shape (m,)
        Σw of signal / background events per bin.
    background_w2 : ndarray, shape (m,)
        Σw² of background events (Kish effective counts for ``max_sic``).
    signal_abs, background_abs : ndarray, shape (m,)
        Σ|w| per bin (for the AUC error bound with negative weights).
    count : ndarray of int64, shape (m,)
        Events per bin (signal + background).
    nonnegative : bool
        Whether every weight filled so far was ≥ 0.
    """

    edges: FloatArray
    signal: FloatArray
    background: FloatArray
    background_w2: FloatArray
    signal_abs: FloatArray
    background_abs: FloatArray
    count: NDArray[np.int64]
    nonnegative: bool = field(default=True)

    @classmethod
    def empty(cls, edges: ArrayLike) -> ScoreHistogram:
        """An empty histogram on ``edges`` (strictly increasing, ≥ 2 values)."""
        e = np.asarray(edges, dtype=np.float64)
        if e.ndim != 1 or e.size < 2 or not np.isfinite(e).all() or (np.diff(e) <= 0).any():
            raise ConfigError("histogram edges must be a finite, strictly increasing 1-D array "
                              "with at least 2 values; build them with quantile_edges()")
        m = e.size - 1
        z = np.zeros(m)
        return cls(e, z.copy(), z.copy(), z.copy(), z.copy(), z.copy(), np.zeros(m, np.int64))

    @property
    def n_bins(self) -> int:
        """Number of bins ``m``."""
        return int(self.edges.size - 1)

    def fill(self, y: ArrayLike, score: ArrayLike, *,
             sample_weight: ArrayLike | None = None) -> ScoreHistogram:
        """Add events (in place) and return ``self``.

        Parameters
        ----------
        y : array_like, shape (n,)
            1 / True = signal, 0 / False = background.
        score : array_like, shape (n,)
            Finite scores, higher = more anomalous.
        sample_weight : array_like, shape (n,), optional
            Per-event weights (negative allowed); default ones.  Non-zero magnitudes must
            lie in [1e-150, 1e150] (Σw² must not overflow / underflow).

        Raises
        ------
        DataError
            Non-0/1 labels, non-numeric or mismatched arrays, NaN/inf scores or weights,
            weights of unrepresentable magnitude.
        """
        yb = as_labels(y)
        n = yb.shape[0]
        s = np.asarray(as_column(score, "score", n), dtype=np.float64)
        if not np.isfinite(s).all():
            raise DataError("score contains NaN/inf; remove those events before evaluating")
        w = as_weights(sample_weight, n)
        aw = np.abs(w)
        if n and (aw.max() > _WEIGHT_RANGE[1] or ((aw > 0) & (aw < _WEIGHT_RANGE[0])).any()):
            raise DataError(
                f"sample_weight magnitudes must lie in [{_WEIGHT_RANGE[0]:g}, "
                f"{_WEIGHT_RANGE[1]:g}] (or be 0) for a mergeable histogram (Σw² would "
                "overflow or underflow); rescale all weights by one common factor (every "
                "metric is invariant to it), e.g. divide by their maximum"
            )
        m = self.n_bins
        idx = np.clip(np.searchsorted(self.edges, s, side="right") - 1, 0, m - 1)
        ws = np.where(yb, w, 0.0)
        wb = w - ws
        self.signal += np.bincount(idx, ws, m)
        self.background += np.bincount(idx, wb, m)
        self.background_w2 += np.bincount(idx, wb * wb, m)
        self.signal_abs += np.bincount(idx, np.abs(ws), m)
        self.background_abs += np.bincount(idx, np.abs(wb), m)
        self.count += np.bincount(idx, minlength=m)
        self.nonnegative = self.nonnegative and bool(n == 0 or w.min() >= 0)
        return self

    def merge(self, other: ScoreHistogram) -> ScoreHistogram:
        """Add ``other``'s bins (same edges) into ``self``; return ``self``."""
        if not np.array_equal(self.edges, other.edges):
            raise ConfigError("cannot merge score histograms with different edges; fill every "
                              "partition on the same edges")
        self.signal += other.signal
        self.background += other.background
        self.background_w2 += other.background_w2
        self.signal_abs += other.signal_abs
        self.background_abs += other.background_abs
        self.count += other.count
        self.nonnegative = self.nonnegative and other.nonnegative
        return self

    def __add__(self, other: ScoreHistogram) -> ScoreHistogram:
        out = ScoreHistogram.empty(self.edges)
        return out.merge(self).merge(other)

    def curve(self) -> RankingCurve:
        """The ranking curve of the edge cuts (non-empty bins only), highest cut first.

        Point ``j`` is the cut ``score ≥ thresholds[j]``; the last point (threshold
        ``-inf``) passes everything.

        Raises
        ------
        DataError
            No signal or no background weight (> 0) was filled.
        """
        total_s, total_b = float(self.signal.sum()), float(self.background.sum())
        if not (total_s > 0 and total_b > 0):
            raise DataError(
                f"the histogram needs positive signal and background weight, got {total_s:g} "
                f"and {total_b:g}; check the signal / background selection"
            )
        keep = np.flatnonzero(self.count > 0)[::-1]  # descending bins
        thresholds = self.edges[keep].copy()
        thresholds[-1] = -np.inf if keep[-1] == 0 else thresholds[-1]
        tps = np.cumsum(self.signal[keep])
        fps = np.cumsum(self.background[keep])
        w2 = np.cumsum(self.background_w2[keep])
        return RankingCurve(thresholds, tps, fps, w2, np.asarray(total_s), np.asarray(total_b),
                            self.nonnegative)

    def auc_error_bound(self) -> float:
        """Upper bound on ``|AUC_binned − AUC_exact|``: ½ Σ_k |S|_k |B|_k / (W_S W_B)."""
        ws, wb = float(self.signal.sum()), float(self.background.sum())
        return float(0.5 * np.dot(self.signal_abs, self.background_abs) / (ws * wb))


def summary(hist: ScoreHistogram, *, min_background: float = DEFAULT_MIN_BACKGROUND,
            eff_s: Sequence[float] = (0.2, 0.3, 0.5),
            eps_b: Sequence[float] = (1e-2, 1e-3, 1e-4, 1e-5)) -> dict[str, Any]:
    """The scalar ranking metrics of a (merged) histogram, as a JSON-able dict.

    The same numbers as an in-memory evaluation at the default working points (rejection at
    ε_S ∈ {0.2, 0.3, 0.5}, ε_S at ε_B ∈ {1e-2, …, 1e-5}; definitions in
    ``docs/evaluation.md``, "Metric definitions").

    Returns
    -------
    dict
        ``auc``, ``auc_error_bound``, ``max_sic``, ``rejection_at`` {ε_S: 1/ε_B},
        ``efficiency_at`` {ε_B: ε_S}, ``fpr_at_95tpr``, ``n_events``, ``n_bins``.
    """
    c = hist.curve()
    rej = c.rejection_at(list(eff_s))
    eff = c.eps_s_at(list(eps_b))
    return {
        "auc": float(c.auc()),
        "auc_error_bound": hist.auc_error_bound(),
        "max_sic": float(c.max_sic(min_background)),
        "rejection_at": {str(e): float(r) for e, r in zip(eff_s, rej, strict=True)},
        "efficiency_at": {str(b): float(v) for b, v in zip(eps_b, eff, strict=True)},
        "fpr_at_95tpr": float(c.eps_b_at([0.95])[0]),
        "n_events": int(hist.count.sum()),
        "n_bins": hist.n_bins,
    }


# ------------------------------------------------------------------------- score stores
@dataclass(frozen=True)
class _Part:
    """One shard of a score store (picklable task argument)."""

    directory: str
    entry: dict[str, Any]
    score: str
    signal: tuple[str, ...] | None
    background: tuple[str, ...] | None
    sample: int
    seed: int


def _read_part(part: _Part) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y, score, weight) of the selected events of one shard."""
    cols = ["label", "is_signal", "weight", part.score]
    table = store_io.read_shard(part.directory, part.entry, columns=cols)
    s = table.column(part.score).to_numpy(zero_copy_only=False).astype(np.float64)
    w = table.column("weight").to_numpy(zero_copy_only=False).astype(np.float64)
    w = w * float(part.entry.get("weight_scale", 1.0))
    if part.signal is None and part.background is None:
        y = table.column("is_signal").to_numpy(zero_copy_only=False).astype(bool)
        return y, s, w
    labels = np.asarray(table.column("label").to_pylist(), dtype=object)
    sig = (table.column("is_signal").to_numpy(zero_copy_only=False).astype(bool)
           if part.signal is None else np.isin(labels, part.signal))
    bkg = ~sig if part.background is None else np.isin(labels, part.background) & ~sig
    keep = sig | bkg
    return sig[keep], s[keep], w[keep]


def _part_sample(part: _Part) -> tuple[float, float, np.ndarray]:
    """(min, max, seeded random sample of ``part.sample`` scores) of one shard."""
    _, s, _ = _read_part(part)
    if s.size == 0:
        return math.inf, -math.inf, np.empty(0)
    rng = np.random.default_rng(part.seed)
    k = min(part.sample, s.size)
    return float(s.min()), float(s.max()), rng.choice(s, size=k, replace=False)


def _part_histogram(part: _Part, edges: FloatArray) -> ScoreHistogram:
    y, s, w = _read_part(part)
    return ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)


def _parts(directory: Path, score: str, signal: Sequence[str] | None,
           background: Sequence[str] | None, sample: int) -> list[_Part]:
    manifest = store_io.read_manifest(directory)
    shards = manifest["shards"]
    if not shards:
        raise DataError(f"store {str(directory)!r} lists no shards")
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(directory / shards[0]["file"]).names
    except (OSError, ValueError) as exc:
        raise CorruptDataError(f"cannot read the first shard of {str(directory)!r}: {exc}; "
                               "re-create the score store") from exc
    if score not in names:
        raise DataError(f"score column {score!r} is not in the store {str(directory)!r}; its "
                        f"columns are {names} (pass score=...)")
    total = sum(int(e["rows"]) for e in shards)
    frac = min(1.0, sample / max(total, 1))
    return [_Part(str(directory), e, score, None if signal is None else tuple(signal),
                  None if background is None else tuple(background),
                  max(1, math.ceil(frac * int(e["rows"]))), i)
            for i, e in enumerate(shards)]


def store_edges(store: str | os.PathLike[str], *, score: str = "score",
                n_bins: int = DEFAULT_BINS, sample: int = DEFAULT_SAMPLE,
                signal: Sequence[str] | None = None, background: Sequence[str] | None = None,
                client: Any = None) -> FloatArray:
    """Pass 1 over a score store: :func:`quantile_edges` from a seeded sample of its scores.

    Each shard contributes its min, max and ``sample · rows / total`` random scores (seeded
    by the shard index, so the edges are reproducible).
    """
    from sciood.distributed import run_tasks

    parts = _parts(Path(store), score, signal, background, sample)
    res = run_tasks(_part_sample, parts, client=client, name="sciood-edges")
    lo = min(r[0] for r in res)
    hi = max(r[1] for r in res)
    if not math.isfinite(lo):
        raise DataError(f"no events selected in {str(store)!r}; check signal / background")
    return quantile_edges(np.concatenate([r[2] for r in res]), n_bins, low=lo, high=hi)


def histogram_store(
    store: str | os.PathLike[str],
    *,
    score: str = "score",
    edges: ArrayLike | None = None,
    n_bins: int = DEFAULT_BINS,
    sample: int = DEFAULT_SAMPLE,
    signal: Sequence[str] | None = None,
    background: Sequence[str] | None = None,
    client: Any = None,
) -> ScoreHistogram:
    """Merged score histogram of a store (e.g. :func:`sciood.scoring.score_store` output).

    One task per shard reads only ``label``, ``is_signal``, ``weight`` and ``score``, fills a
    :class:`ScoreHistogram` and returns it; the histograms are merged here as they arrive,
    so at most one shard's scores sit in any process.

    Parameters
    ----------
    store : path-like
        An EventSet store holding a ``score`` column.
    score : str
        Score column name.
    edges : array_like, optional
        Bin edges; default :func:`store_edges` (an extra pass over the store).
    n_bins, sample : int
        For the default edges.
    signal : sequence of str, optional
        Class labels counted as signal (default: the ``is_signal`` column).
    background : sequence of str, optional
        Class labels counted as background (default: every non-signal event).  Events in
        neither are skipped — this gives the class-conditional metrics of one pair.
    client : distributed.Client, optional
        Run the shard tasks on this Dask cluster.

    Returns
    -------
    ScoreHistogram
        Use :meth:`ScoreHistogram.curve` or :func:`summary` for the metrics.
    """
    from sciood.distributed import run_tasks

    directory = Path(store)
    if edges is None:
        edges = store_edges(directory, score=score, n_bins=n_bins, sample=sample,
                            signal=signal, background=background, client=client)
    total = ScoreHistogram.empty(edges)
    parts = _parts(directory, score, signal, background, sample)

    def merge(_: int, h: ScoreHistogram) -> None:
        total.merge(h)

    run_tasks(_part_histogram, parts, client=client, shared=(total.edges,),
              name="sciood-hist", on_done=merge, keep=False)
    return total
