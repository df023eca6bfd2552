"""Prediction-time shift diagnostics: is the data inside the simulation's support?

Before any number computed on simulation is trusted on data, two questions, per class when
the data carry classes (a ``data``-like Monte-Carlo variant) and for all events together:

* **Can a classifier tell simulation from data?**  A gradient-boosted classifier
  (scikit-learn's ``HistGradientBoostingClassifier``) is trained to separate the two samples
  on the detector's input features, cross-fitted (each event is scored by a model that did
  not see it); its AUROC is 0.5 when the samples are alike and grows with the shift
  (the classifier two-sample test of Lopez-Paz & Oquab 2017), with a Poisson-bootstrap
  interval.  The two samples are reweighted to equal total weight.
* **How much of the data lies outside the simulation's support?**  Each event's distance to
  its k-th nearest simulated event (standardised features) becomes a conformal p-value
  against held-out simulated events (:class:`sciood.metrics.ConformalPValues`); simulation
  itself has ``P(p ≤ α) ≤ α``, so the data's excess ``max(0, rate − α)`` at ``α`` is the
  fraction of data the simulation does not cover.

Event weights are not used: both tests compare the samples event by event, which is what a
run's ``sim`` and ``data`` test sets are (the same generation plan, so the same slicing);
compare weighted mixtures by resampling them first.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> sim, data = rng.normal(size=(4000, 2)), rng.normal(0.0, 1.0, size=(3000, 2))
>>> d = shift_diagnostic(sim, data)
>>> bool(abs(d.auc["all"][0] - 0.5) < 0.05), d.outside["all"] < 0.01
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood import _repr
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError

__all__ = ["ShiftDiagnostic", "shift_diagnostic"]

FloatArray = NDArray[np.float64]
#: Smallest sample per side (and per class) for a diagnostic.
MIN_EVENTS = 50


@dataclass
class ShiftDiagnostic:
    """Simulation-vs-data diagnostics per class (key ``"all"``: every event).

    Attributes
    ----------
    auc : dict of str to (value, lo, hi)
        Cross-fitted AUROC of the simulation-vs-data classifier, 68 % bootstrap interval.
    outside : dict of str to float
        Fraction of data outside the simulation's support at ``alpha``.
    rate : dict of str to float
        Fraction of data events with a support p-value ``≤ alpha`` (simulation: ``≤ alpha``).
    n_sim, n_data : dict of str to int
    alpha : float
    features : list of str
    skipped : dict of str to str
        Classes without a diagnostic and why (too few events on one side).
    """

    auc: dict[str, tuple[float, float, float]]
    outside: dict[str, float]
    rate: dict[str, float]
    n_sim: dict[str, int]
    n_data: dict[str, int]
    alpha: float
    features: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {"alpha": self.alpha, "features": list(self.features),
                "skipped": dict(self.skipped),
                "classes": {c: {"auc": list(self.auc[c]), "outside": self.outside[c],
                                "rate": self.rate[c], "n_sim": self.n_sim[c],
                                "n_data": self.n_data[c]} for c in self.auc}}

    def __repr__(self) -> str:
        parts = [f"{c}: AUC {_repr.ci(*self.auc[c])}, outside {_repr.num(self.outside[c])}"
                 for c in self.auc]
        return f"ShiftDiagnostic(α = {self.alpha:g}; " + "; ".join(parts) + ")"

    def _repr_html_(self) -> str:
        rows = [[c, _repr.ci(*self.auc[c]), _repr.num(self.rate[c]),
                 _repr.num(self.outside[c]), str(self.n_sim[c]), str(self.n_data[c])]
                for c in self.auc]
        return _repr.html_table(
            f"ShiftDiagnostic (support p-value ≤ {self.alpha:g})",
            ["class", "sim-vs-data AUC", "data rate", "outside support", "sim", "data"], rows,
            notes=[f"{c}: {why}" for c, why in self.skipped.items()])


def _matrix(events: EventSet | ArrayLike, features: Sequence[str] | None) -> tuple[
        FloatArray, NDArray[Any] | None, list[str]]:
    if isinstance(events, EventSet):
        cols = list(features) if features is not None else list(events.features)
        if not cols:
            raise ConfigError("shift_diagnostic needs feature columns; pass features=")
        return np.asarray(events.to_numpy(cols), dtype=np.float64), events.labels, cols
    X = np.asarray(events, dtype=np.float64)
    if X.ndim != 2:
        raise DataError(f"expected an (n, d) feature matrix, got shape {X.shape}")
    return X, None, [f"x{i}" for i in range(X.shape[1])]


def _auc(Xs: FloatArray, Xd: FloatArray, seed: int,
         n_bootstrap: int) -> tuple[float, float, float]:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold

    from sciood.metrics import auc, bootstrap

    X = np.r_[Xs, Xd]
    y = np.r_[np.zeros(len(Xs), int), np.ones(len(Xd), int)]
    w = np.where(y == 1, len(X) / (2.0 * len(Xd)), len(X) / (2.0 * len(Xs)))
    pred = np.empty(len(X))
    folds = StratifiedKFold(2, shuffle=True, random_state=seed)
    for train, test in folds.split(X, y):
        clf = HistGradientBoostingClassifier(max_iter=100, random_state=seed)
        clf.fit(X[train], y[train], sample_weight=w[train])
        pred[test] = clf.predict_proba(X[test])[:, 1]
    value, lo, hi = bootstrap(auc, y, pred, sample_weight=w, n=n_bootstrap, seed=seed)
    return float(value), float(lo), float(hi)


def _support(Xs: FloatArray, Xd: FloatArray, alpha: float, k: int,
             seed: int) -> tuple[float, float]:
    from sklearn.neighbors import NearestNeighbors

    from sciood.metrics import ConformalPValues

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(Xs))
    ref, cal = Xs[order[: len(Xs) // 2]], Xs[order[len(Xs) // 2:]]
    mean, scale = ref.mean(0), ref.std(0)
    scale = np.where(scale > 0, scale, 1.0)
    nn = NearestNeighbors(n_neighbors=min(k, len(ref))).fit((ref - mean) / scale)

    def dist(X: FloatArray) -> FloatArray:
        out: FloatArray = nn.kneighbors((X - mean) / scale)[0][:, -1]
        return out

    p = ConformalPValues().fit(dist(cal)).pvalues(dist(Xd))
    rate = float(np.mean(p <= alpha))
    return rate, max(0.0, rate - alpha)


def shift_diagnostic(sim: EventSet | ArrayLike, data: EventSet | ArrayLike, *,
                     features: Sequence[str] | None = None, alpha: float = 0.01, k: int = 10,
                     n_bootstrap: int = 100, seed: int = 0) -> ShiftDiagnostic:
    """Simulation-vs-data two-sample diagnostics, per class and for all events.

    Parameters
    ----------
    sim, data : EventSet or array_like, shape (n, d)
        The two samples (EventSets: per class as well, for the classes both contain).
    features : sequence of str, optional
        Columns for EventSets (default: their feature columns).
    alpha : float, default 0.01
        Level of the support p-value.
    k : int, default 10
        Neighbour whose distance measures the support.
    n_bootstrap : int, default 100
        Replicas of the AUROC interval.
    seed : int, default 0

    Returns
    -------
    ShiftDiagnostic
    """
    if not 0.0 < alpha < 1.0:
        raise ConfigError(f"alpha must be in (0, 1), got {alpha!r}")
    Xs, ls, cols = _matrix(sim, features)
    Xd, ld, _ = _matrix(data, features)
    if Xs.shape[1] != Xd.shape[1]:
        raise DataError(f"sim has {Xs.shape[1]} features, data {Xd.shape[1]}")
    for name, X in (("sim", Xs), ("data", Xd)):
        if not np.isfinite(X).all():
            raise DataError(f"{name} features contain NaN/inf; drop those events first")
    groups: dict[str, tuple[FloatArray, FloatArray]] = {"all": (Xs, Xd)}
    skipped: dict[str, str] = {}
    if ls is not None and ld is not None:
        for c in sorted(set(ls.tolist()) | set(ld.tolist())):
            a, b = Xs[ls == c], Xd[ld == c]
            if min(len(a), len(b)) < MIN_EVENTS:
                skipped[str(c)] = (f"{len(a)} sim / {len(b)} data events (< {MIN_EVENTS} on "
                                   "a side)")
            else:
                groups[str(c)] = (a, b)
    if min(len(Xs), len(Xd)) < MIN_EVENTS:
        raise DataError(f"shift_diagnostic needs >= {MIN_EVENTS} events per sample, got "
                        f"{len(Xs)} sim and {len(Xd)} data")
    out = ShiftDiagnostic({}, {}, {}, {}, {}, float(alpha), cols, skipped)
    for c, (a, b) in groups.items():
        out.auc[c] = _auc(a, b, seed, n_bootstrap)
        out.rate[c], out.outside[c] = _support(a, b, alpha, k, seed)
        out.n_sim[c], out.n_data[c] = len(a), len(b)
    return out
