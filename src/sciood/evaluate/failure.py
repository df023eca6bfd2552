"""Failure analysis: what does the score actually respond to?

* :func:`score_correlations` — Pearson, Spearman and distance correlation between the score
  and every expert feature, the search observable and the constituent multiplicity
  (``nconst_j1``/``nconst_j2``: the confounder behind the "complexity bias" of density-based
  detectors, which call busy QCD jets anomalous), overall and per class.
* :func:`top_anomalies` — the k most anomalous background events with their features.
* :func:`latent_view` — a 2-D projection (PCA from scikit-learn; UMAP if installed) with
  labels, for plotting by the report module.

Correlations are unweighted: they describe what the detector sees event by event, and
negative MC weights would make a weighted Spearman/distance correlation ill-defined.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=500)
>>> round(distance_correlation(x, 3 * x + 1), 6)
1.0
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, MissingDependencyError

if TYPE_CHECKING:
    from sciood.detectors.contract import Detector

__all__ = [
    "LatentView",
    "default_columns",
    "distance_correlation",
    "latent_view",
    "score_correlations",
    "top_anomalies",
]

log = logging.getLogger(__name__)
FloatArray = NDArray[np.float64]


def _check_scores(scores: ArrayLike, eventset: EventSet) -> FloatArray:
    s = np.asarray(scores, dtype=np.float64)
    if s.shape != (len(eventset),):
        raise DataError(
            f"scores has shape {s.shape} but the EventSet has {len(eventset)} events; pass one "
            "score per event"
        )
    if not np.isfinite(s).all():
        raise DataError("scores contain NaN/inf; drop those events first")
    return s


def distance_correlation(x: ArrayLike, y: ArrayLike) -> float:
    """Unweighted distance correlation dCor(x, y) — the square root, not dCor².

    With ``a_ij = |x_i − x_j|`` double-centred, ``A_ij = a_ij − ā_i· − ā_·j + ā_··`` (row,
    column and grand means), ``B_ij`` likewise for ``y``, and the biased V-statistics
    ``dCov²(x, y) = (1/n²) Σ_ij A_ij B_ij``, ``dVar²(x) = (1/n²) Σ_ij A_ij²``::

        dCor(x, y) = sqrt( dCov²(x, y) / sqrt(dVar²(x) · dVar²(y)) )

    (Székely, Rizzo & Bakirov 2007; the same number as ``dcor.distance_correlation``, which is
    used when installed).  Every event counts once — Monte-Carlo weights are ignored on
    purpose (see the module docstring).  This is a diagnostic of what a score responds to;
    the *weighted squared* distance correlation used as a decorrelation penalty during
    training is a different quantity and lives with the detectors.

    Zero iff independent (in the population); detects non-linear dependence that Pearson
    misses.  O(n²) time and memory: subsample to a few thousand events (n = 2000 takes
    ~0.1 s with the NumPy fallback).

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Two variables of the same ``n`` events, ``n >= 2``.

    Returns
    -------
    float
        dCor in [0, 1]; 0 if either variable is constant.

    Raises
    ------
    DataError
        Arrays of different lengths or with fewer than 2 entries.
    """
    xa = np.asarray(x, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if xa.shape != ya.shape or xa.size < 2:
        raise DataError(f"distance_correlation needs two equal-length arrays (got "
                        f"{xa.shape}, {ya.shape}) with at least 2 entries")
    if importlib.util.find_spec("dcor") is not None:  # pragma: no cover - optional
        import dcor

        return float(dcor.distance_correlation(xa, ya))

    def centred(v: FloatArray) -> FloatArray:
        d = np.abs(v[:, None] - v[None, :])
        return np.asarray(
            d - d.mean(axis=0)[None, :] - d.mean(axis=1)[:, None] + d.mean(), dtype=np.float64
        )

    a = centred(xa)
    b = centred(ya)
    dcov2 = float(np.mean(a * b))
    dvar = float(np.sqrt(np.mean(a * a) * np.mean(b * b)))
    if dvar <= 0:
        return 0.0
    return float(np.sqrt(max(dcov2, 0.0) / dvar))


def default_columns(eventset: EventSet) -> list[str]:
    """Observables, features and ``nconst_j1/j2`` (if present), without duplicates."""
    cols = [*eventset.observables, *eventset.features]
    cols += [c for c in ("nconst_j1", "nconst_j2") if c in eventset.columns]
    return list(dict.fromkeys(cols))


def score_correlations(
    scores: ArrayLike,
    eventset: EventSet,
    columns: Sequence[str] | None = None,
    *,
    by_class: bool = True,
    max_dcor: int = 2000,
    seed: int = 0,
) -> Any:
    """Correlation of the score with each column, overall and per class.

    Parameters
    ----------
    scores : array_like, shape (n,)
        Anomaly score per event.
    eventset : EventSet
    columns : sequence of str, optional
        Default :func:`default_columns` (observables, features, constituent multiplicity).
    by_class : bool, default True
        Also one block per class label.
    max_dcor : int, default 2000
        Distance correlation is O(n²): it uses a random subsample of at most this many events
        per group (seeded).
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Columns: group (``"all"`` or a class), column, pearson, spearman, dcor, n, n_dcor.
        NaN where a column is constant in the group.
    """
    import pandas as pd

    s = _check_scores(scores, eventset)
    cols = default_columns(eventset) if columns is None else list(columns)
    if not cols:
        raise ConfigError("no columns to correlate with; pass columns=[...]")
    x = eventset.to_numpy(cols)
    labels = eventset.labels
    groups: list[tuple[str, NDArray[np.bool_]]] = [("all", np.ones(s.size, dtype=bool))]
    if by_class:
        groups += [(str(c), labels == c) for c in eventset.classes]
    rng = np.random.default_rng(seed)
    recs = []
    for gname, mask in groups:
        idx = np.flatnonzero(mask)
        sub = idx if idx.size <= max_dcor else np.sort(rng.choice(idx, max_dcor, replace=False))
        sg = s[idx]
        for j, c in enumerate(cols):
            xj = x[idx, j]
            if idx.size < 3 or np.ptp(xj) == 0 or np.ptp(sg) == 0:
                p = sp = dc = float("nan")
            else:
                p = float(stats.pearsonr(sg, xj).statistic)
                sp = float(stats.spearmanr(sg, xj).statistic)
                dc = distance_correlation(s[sub], x[sub, j])
            recs.append({"group": gname, "column": c, "pearson": p, "spearman": sp,
                         "dcor": dc, "n": int(idx.size), "n_dcor": int(sub.size)})
    return pd.DataFrame.from_records(recs)


def top_anomalies(
    scores: ArrayLike,
    eventset: EventSet,
    k: int = 20,
    *,
    classes: Sequence[str] | None = None,
    columns: Sequence[str] | None = None,
) -> Any:
    """The ``k`` highest-scoring events of the given classes (default: all backgrounds).

    Parameters
    ----------
    scores : array_like, shape (n,)
    eventset : EventSet
    k : int, default 20
    classes : sequence of str, optional
        Class labels to search; default every background (``is_signal == False``) class.
    columns : sequence of str, optional
        Scalar columns to show; default :func:`default_columns`.

    Returns
    -------
    pandas.DataFrame
        Sorted by score, columns: index (row in ``eventset``), label, weight, score,
        quantile (fraction of all background events scoring lower), then ``columns``.
    """
    import pandas as pd

    s = _check_scores(scores, eventset)
    if int(k) < 1:
        raise ConfigError(f"k must be >= 1, got {k}")
    labels = eventset.labels
    if classes is None:
        mask = ~eventset.is_signal
    else:
        unknown = sorted(set(classes) - set(eventset.classes))
        if unknown:
            raise DataError(f"classes {unknown} not in the EventSet; present: {eventset.classes}")
        mask = np.isin(labels, list(classes))
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        raise DataError("no events of the requested classes")
    top = idx[np.argsort(-s[idx], kind="stable")[: int(k)]]
    bkg_sorted = np.sort(s[~eventset.is_signal]) if (~eventset.is_signal).any() else np.sort(s)
    cols = default_columns(eventset) if columns is None else list(columns)
    x = eventset.select(top).to_numpy(cols) if cols else np.empty((top.size, 0))
    df = pd.DataFrame({
        "index": top, "label": labels[top], "weight": eventset.weights[top], "score": s[top],
        "quantile": np.searchsorted(bkg_sorted, s[top], side="left") / bkg_sorted.size,
    })
    for j, c in enumerate(cols):
        df[c] = x[:, j]
    return df


@dataclass(frozen=True)
class LatentView:
    """2-D embedding of events for plotting.

    Attributes
    ----------
    coords : ndarray, shape (m, 2)
    labels : ndarray of str, shape (m,)
    index : ndarray of int, shape (m,)
        Rows of the input the points come from (subsampled to ``max_events``).
    method : {"pca", "umap"}
    explained_variance : ndarray, shape (2,) or None
        PCA explained-variance ratio of the two axes.
    """

    coords: FloatArray
    labels: NDArray[Any]
    index: NDArray[np.intp]
    method: str
    explained_variance: FloatArray | None


def latent_view(
    data: ArrayLike | EventSet | Detector,
    labels: ArrayLike | EventSet | None = None,
    *,
    events: EventSet | None = None,
    method: Literal["pca", "umap"] = "pca",
    columns: Sequence[str] | None = None,
    max_events: int = 5000,
    standardize: bool = True,
    seed: int = 0,
) -> LatentView:
    """Project events (features or a detector's latent space) to 2-D.

    Parameters
    ----------
    data : ndarray, shape (n, d), EventSet, or fitted Detector
        Feature / latent matrix; for an EventSet its ``columns`` (default: features) and
        labels are used; for a detector with a latent space, its
        :meth:`~sciood.detectors.Detector.encode` of ``events`` (a per-jet latent
        ``(n, 2, k)`` is flattened to ``(n, 2k)``) with the events' labels.
    labels : array_like, shape (n,), or EventSet, optional
        Class per row (required for an array input); with a detector as ``data``, the
        EventSet may be passed here: ``latent_view(det, events)``.
    events : EventSet, optional
        The events a detector ``data`` embeds.
    method : {"pca", "umap"}, default "pca"
        ``"umap"`` needs the ``umap-learn`` package.
    columns : sequence of str, optional
        EventSet columns to use.
    max_events : int, default 5000
        Random subsample size (seeded).
    standardize : bool, default True
        Scale each column to zero mean and unit variance first.
    seed : int, default 0

    Returns
    -------
    LatentView

    Raises
    ------
    MissingDependencyError
        For ``method="umap"`` without ``umap-learn``.
    ConfigError
        A detector without a latent space, or a detector without ``events``.

    Examples
    --------
    >>> view = latent_view(make("flow").fit(train), test)  # doctest: +SKIP
    """
    from sciood.detectors.contract import Detector

    if isinstance(data, Detector):
        if events is None and isinstance(labels, EventSet):
            events, labels = labels, None
        if events is None:
            raise ConfigError(f"latent_view of the detector {data.name!r} needs the events to "
                              "embed: latent_view(detector, events)")
        z = data.encode(events)
        x = z.reshape(len(z), -1)
        lab = events.labels if labels is None else np.asarray(labels)
    elif isinstance(labels, EventSet):
        raise DataError("labels is an EventSet but data is not a detector; pass the EventSet "
                        "as data, or a fitted detector as data and the EventSet as events")
    elif isinstance(data, EventSet):
        x = data.to_numpy(None if columns is None else list(columns))
        lab = data.labels if labels is None else np.asarray(labels)
    else:
        x = np.asarray(data, dtype=np.float64)
        if labels is None:
            raise DataError("labels are required when data is an array")
        lab = np.asarray(labels)
    if x.ndim != 2 or x.shape[0] != lab.shape[0] or x.shape[1] < 2:
        raise DataError(f"need data of shape (n, d>=2) with n labels; got {x.shape}, "
                        f"{lab.shape}")
    if not np.isfinite(x).all():
        raise DataError("data contains NaN/inf; clean it before projecting")
    if method not in ("pca", "umap"):
        raise ConfigError(f"method must be 'pca' or 'umap', got {method!r}")
    rng = np.random.default_rng(seed)
    idx = np.arange(x.shape[0])
    if idx.size > max_events:
        idx = np.sort(rng.choice(idx, int(max_events), replace=False))
    xs = x[idx]
    if standardize:
        sd = xs.std(axis=0)
        xs = (xs - xs.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if method == "pca":
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        coords = pca.fit_transform(xs)
        ev = np.asarray(pca.explained_variance_ratio_, dtype=np.float64)
    else:
        if importlib.util.find_spec("umap") is None:
            raise MissingDependencyError(
                "method='umap' needs umap-learn (`pip install umap-learn`); use method='pca'"
            )
        import umap  # pragma: no cover - optional

        coords = umap.UMAP(n_components=2, random_state=seed).fit_transform(xs)
        ev = None
    return LatentView(coords=np.asarray(coords, dtype=np.float64), labels=lab[idx], index=idx,
                      method=method, explained_variance=ev)
