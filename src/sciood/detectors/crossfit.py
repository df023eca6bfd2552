"""Out-of-fold scores (:meth:`Detector.fit_score`): each event scored by a clone that never
saw it.

Fold assignment is seeded by the detector's ``seed`` and stratified by ``y`` when the
detector uses labels.  Scores from different folds come from different models; rank-based
metrics on their union are the usual k-fold practice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.errors import ConfigError, DataError

if TYPE_CHECKING:
    from sciood.detectors.contract import Detector

__all__ = ["out_of_fold_scores"]


def _take(values: Any, rows: np.ndarray) -> Any:
    return None if values is None else np.asarray(values)[rows]


def out_of_fold_scores(det: Detector, X: Any, y: Any, folds: int, sample_weight: Any,
                       observable: Any) -> np.ndarray:
    """Out-of-fold scores of ``det`` (left unchanged) on ``X``, shape ``(n,)``.

    ``X``, ``y``, ``sample_weight`` and ``observable`` as :meth:`Detector.fit` takes them.
    """
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2:
        raise ConfigError(f"folds must be >= 2, got {folds}")
    X, y, sample_weight, observable = det._inputs(X, y, sample_weight, observable)
    n = len(X)
    if n < 2 * folds:
        raise DataError(f"{n} events are too few for {folds} folds")
    seed = int(getattr(det, "seed", 0))
    if y is not None and det._label_kind() != "none":
        splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(
            np.zeros(n), np.asarray(y).astype(str))
    else:
        splits = KFold(folds, shuffle=True, random_state=seed).split(np.zeros(n))
    out = np.empty(n, dtype=np.float64)
    for train, test in splits:
        model = det.clone()
        model.fit(X[train], _take(y, train), sample_weight=_take(sample_weight, train),
                  observable=_take(observable, train))
        out[test] = model.score(X[test])
    return out
