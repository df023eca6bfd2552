"""ECOD and COPOD scored one event at a time, exactly as PyOD scores a batch of one.

PyOD's ``ECOD.decision_function(X)`` and ``COPOD.decision_function(X)`` are *transductive*:
they build the per-feature empirical CDFs and skewness signs on the training events **and
the whole batch X** together, so an event's score depends on which other events are scored
with it.  A sciood score must be a function of the event alone (a physicist cuts on it, and
it must not change with the batch size), so here each event ``x`` is scored as PyOD scores
the batch ``[x]``: on the training set plus ``x``.  This is computed for all events at once
(sorted training columns and ``searchsorted``; the skewness of the ``n + 1`` values from the
training moments in closed form), so it costs ``O(n_test · d · log n_train)``.

For one event, with ``m = n_train + 1`` and per feature ``j``:

* ``U_l = -log p[c_l - 1]``, ``c_l = #{train_j <= x_j} + 1``; ``U_r = -log p[c_r - 1]``,
  ``c_r = #{train_j >= x_j} + 1``, where ``p = linspace(1/m, 1, m)`` (PyOD's ``column_ecdf``;
  ties take the largest probability);
* ``s = sign(skewness of train_j ∪ {x_j})`` (0 for a constant feature);
* ``U_skew = U_l · (−sign(s − 1)) + U_r · sign(s + 1)``;
* ECOD: ``O = max(max(U_l, U_r), U_skew)``; COPOD: ``O = max(U_skew, (U_l + U_r) / 2)``;
* the score is ``Σ_j O_j``.

For a batch of one event the result equals PyOD's to rounding (tested to 1e-12).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ECDF_MODELS", "EcdfState", "ecdf_scores"]

#: PyOD classes scored here (their ``decision_function`` on a batch is transductive)
ECDF_MODELS = ("COPOD", "ECOD")


@dataclass(frozen=True)
class EcdfState:
    """What scoring needs from the training events ``T`` of shape ``(n, d)``.

    Attributes
    ----------
    kind : str
        ``"ECOD"`` or ``"COPOD"``.
    sorted_cols : ndarray, shape ``(d, n)``
        Each feature's training values, sorted.
    mean : ndarray, shape ``(d,)``
    c2, c3 : ndarray, shape ``(d,)``
        ``Σ (t − mean)²`` and ``Σ (t − mean)³`` per feature.
    probs : ndarray, shape ``(n + 1,)``
        PyOD's ECDF probabilities ``linspace(1/m, 1, m)``, ``m = n + 1``.
    """

    kind: str
    sorted_cols: np.ndarray
    mean: np.ndarray
    c2: np.ndarray
    c3: np.ndarray
    probs: np.ndarray

    @classmethod
    def from_training(cls, kind: str, train: np.ndarray) -> EcdfState:
        """Build the state from PyOD's stored training array ``X_train`` ``(n, d)``."""
        train = np.asarray(train, dtype=np.float64)
        n = train.shape[0]
        mean = train.mean(axis=0)
        dev = train - mean
        m = n + 1
        probs = np.linspace(np.ones(1) / m, np.ones(1), m)[:, 0]
        return cls(kind, np.sort(train.T, axis=1), mean, (dev ** 2).sum(0), (dev ** 3).sum(0),
                   probs)


def _skew_sign(state: EcdfState, X: np.ndarray) -> np.ndarray:
    """sign of the (biased) skewness of ``train_j ∪ {x_j}``, shape ``(k, d)``."""
    n = state.sorted_cols.shape[1]
    m = n + 1
    d = X - state.mean
    delta = d / m  # the mean moves by delta when x is added
    m2 = state.c2 + n * delta ** 2 + (d - delta) ** 2
    m3 = state.c3 - 3 * delta * state.c2 - n * delta ** 3 + (d - delta) ** 3
    with np.errstate(invalid="ignore", divide="ignore"):
        skew = np.nan_to_num((m3 / m) / (m2 / m) ** 1.5)
    return np.sign(np.where(m2 > 0, skew, 0.0))


def ecdf_scores(state: EcdfState, X: np.ndarray) -> np.ndarray:
    """Per-event ECOD / COPOD scores of ``X`` ``(k, d)``, each against the training set alone.

    Returns
    -------
    ndarray, shape ``(k,)``
    """
    X = np.asarray(X, dtype=np.float64)
    k, dims = X.shape
    u_l = np.empty((k, dims))
    u_r = np.empty((k, dims))
    for j in range(dims):
        col = state.sorted_cols[j]
        c_left = np.searchsorted(col, X[:, j], side="right") + 1
        c_right = (len(col) - np.searchsorted(col, X[:, j], side="left")) + 1
        u_l[:, j] = -1 * np.log(state.probs[c_left - 1])
        u_r[:, j] = -1 * np.log(state.probs[c_right - 1])
    s = _skew_sign(state, X)
    u_skew = u_l * -1 * np.sign(s - 1) + u_r * np.sign(s + 1)
    if state.kind == "ECOD":
        out = np.maximum(u_skew, np.maximum(u_l, u_r))
    else:
        out = np.maximum(u_skew, np.add(u_l, u_r) / 2)
    return np.asarray(out.sum(axis=1), dtype=np.float64)
