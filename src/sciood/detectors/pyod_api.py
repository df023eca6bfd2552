"""A sciood detector usable where PyOD's detector API is expected: :func:`as_pyod`.

>>> import numpy as np
>>> from sciood.detectors import make
>>> from sciood.detectors.pyod_api import as_pyod
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> od = as_pyod(make("mahalanobis"), contamination=0.1).fit(X)
>>> int(od.labels_.sum())
20

After ``fit(X)`` the view has PyOD's fitted attributes, with PyOD's definitions
(``pyod.models.base.BaseDetector._process_decision_scores``):

* ``decision_scores_`` — the sciood scores of the training events ``X`` (higher = more
  anomalous, as in PyOD), shape ``(n,)``;
* ``threshold_ = numpy.percentile(decision_scores_, 100 · (1 − contamination))`` (linear
  interpolation, unweighted — as PyOD);
* ``labels_ = (decision_scores_ > threshold_)`` as 0/1 integers;
* ``_mu``, ``_sigma`` — mean and standard deviation of ``decision_scores_`` (PyOD's
  ``predict_proba(method="unify")``), ``_classes = 2``.

``decision_function(X)`` is the detector's :meth:`~sciood.detectors.Detector.score`;
``predict(X) = (decision_function(X) > threshold_)``; ``predict_proba`` implements PyOD's
``"linear"`` (min-max of the training scores, clipped) and ``"unify"`` (erf of the standardised
score, clipped) methods.  ``contamination`` must be in (0, 0.5] as in PyOD.  ``fit`` passes
``y`` and ``sample_weight`` to the sciood detector (the threshold ignores the weights, as
PyOD's does).  ``get_params`` / ``set_params`` follow scikit-learn (``detector__<param>``),
so :func:`sklearn.base.clone` works.  The view is duck-typed: it does not import PyOD.
"""

from __future__ import annotations

from typing import Any, Self

import numpy as np

from sciood.detectors.contract import Detector
from sciood.errors import ConfigError, NotFittedError

__all__ = ["PyODView", "as_pyod"]


def _check_contamination(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not 0.0 < float(value) <= 0.5:
        raise ConfigError(f"contamination must be a number in (0, 0.5] (PyOD's range), got "
                          f"{value!r}")
    return float(value)


class PyODView:
    """A sciood :class:`~sciood.detectors.Detector` behind PyOD's detector API.

    Parameters
    ----------
    detector : Detector
        The sciood detector (fitted by :meth:`fit`).
    contamination : float
        Expected fraction of outliers in the training data, in (0, 0.5]; sets
        ``threshold_`` and ``labels_``.
    """

    def __init__(self, detector: Detector, contamination: float = 0.1) -> None:
        self.detector = detector
        self.contamination = contamination

    # ---- scikit-learn parameters
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """``detector`` and ``contamination`` (and ``detector__<param>`` when ``deep``)."""
        out: dict[str, Any] = {"contamination": self.contamination, "detector": self.detector}
        if deep:
            out.update({f"detector__{k}": v for k, v in self.detector.get_params().items()})
        return out

    def set_params(self, **params: Any) -> Self:
        """Set ``contamination``, ``detector`` or the detector's ``detector__<param>``."""
        inner = {k[len("detector__"):]: v for k, v in params.items()
                 if k.startswith("detector__")}
        rest = {k: v for k, v in params.items() if not k.startswith("detector__")}
        bad = sorted(set(rest) - {"contamination", "detector"})
        if bad:
            raise ConfigError(f"PyODView has no parameter(s) {bad}; valid: contamination, "
                              "detector, detector__<parameter>")
        if "contamination" in rest:
            _check_contamination(rest["contamination"])
        for k, v in rest.items():
            setattr(self, k, v)
        if inner:
            self.detector.set_params(**inner)
        return self

    def __repr__(self) -> str:
        return f"PyODView({self.detector!r}, contamination={self.contamination!r})"

    # ---- PyOD API
    def fit(self, X: Any, y: Any = None, *, sample_weight: Any = None) -> Self:
        """Fit the detector on ``X`` ``(n, ...)`` and set PyOD's fitted attributes."""
        contamination = _check_contamination(self.contamination)
        self.detector.fit(X, y, sample_weight=sample_weight)
        scores = np.asarray(self.detector.score(X), dtype=np.float64)
        self.decision_scores_ = scores
        self.threshold_ = np.percentile(scores, 100 * (1 - contamination))
        self.labels_ = (scores > self.threshold_).astype("int").ravel()
        self._mu = np.mean(scores)
        self._sigma = np.std(scores)
        self._classes = 2
        return self

    def fit_predict(self, X: Any, y: Any = None) -> np.ndarray:
        """``fit(X, y).labels_``, shape ``(n,)``."""
        return self.fit(X, y).labels_

    def _check(self) -> None:
        if not hasattr(self, "threshold_"):
            raise NotFittedError("this PyODView is not fitted; call fit(X) first")

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "threshold_")

    def decision_function(self, X: Any) -> np.ndarray:
        """Anomaly score per event, higher = more anomalous, shape ``(n,)``."""
        self._check()
        return np.asarray(self.detector.score(X), dtype=np.float64)

    def predict(self, X: Any, return_confidence: bool = False) -> np.ndarray:
        """0/1 outlier labels ``decision_function(X) > threshold_``, shape ``(n,)``.

        ``return_confidence=True`` (PyOD's Bayesian confidence) is not implemented.
        """
        if return_confidence:
            raise ConfigError("PyODView.predict: return_confidence is not implemented; "
                              "call predict(X) for the labels")
        return (self.decision_function(X) > self.threshold_).astype("int").ravel()

    def predict_proba(self, X: Any, method: str = "linear") -> np.ndarray:
        """Outlier probability as PyOD computes it, shape ``(n, 2)`` (columns: in, out).

        ``"linear"``: min-max scaling by the training scores, clipped to [0, 1];
        ``"unify"``: ``erf((s − _mu) / (_sigma · √2))`` clipped to [0, 1].
        """
        scores = self.decision_function(X)
        train = self.decision_scores_
        probs = np.zeros((len(scores), 2))
        if method == "linear":
            lo, hi = train.min(), train.max()
            scale = 1.0 / (hi - lo) if hi > lo else 1.0
            probs[:, 1] = (scores * scale - lo * scale).clip(0, 1)
        elif method == "unify":
            from scipy.special import erf

            probs[:, 1] = erf((scores - self._mu) / (self._sigma * np.sqrt(2))).clip(0, 1)
        else:
            raise ConfigError(f"predict_proba method must be 'linear' or 'unify', got "
                              f"{method!r}")
        probs[:, 0] = 1 - probs[:, 1]
        return probs


def as_pyod(detector: Detector, contamination: float = 0.1) -> PyODView:
    """``detector`` behind PyOD's API (see the module docstring).

    Parameters
    ----------
    detector : Detector
        E.g. ``make("flow")``.
    contamination : float
        In (0, 0.5]; the fraction of training events labelled outliers.

    Raises
    ------
    ConfigError
        ``contamination`` out of range, or ``detector`` is not a sciood detector.
    """
    if not isinstance(detector, Detector):
        raise ConfigError(f"as_pyod takes a sciood detector (sciood.detectors.make(...)), got "
                          f"{type(detector).__name__}")
    _check_contamination(contamination)
    return PyODView(detector, contamination)
