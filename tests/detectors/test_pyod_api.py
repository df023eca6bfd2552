"""A sciood detector behind PyOD's API (``as_pyod``), checked against PyOD's own code.

The reference is a PyOD ``BaseDetector`` subclass whose ``decision_function`` is the same
sciood detector: PyOD's ``_process_decision_scores``, ``predict`` and ``predict_proba`` then
compute the threshold, labels and probabilities, and ``as_pyod`` must give the same.
"""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.base

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, make
from sciood.detectors.pyod_api import PyODView, as_pyod
from sciood.errors import ConfigError, NotFittedError

pytest.importorskip("pyod")

from pyod.models.base import BaseDetector


class PyODReference(BaseDetector):
    """PyOD's conventions applied to a sciood detector's scores."""

    def __init__(self, det: Detector, contamination: float = 0.1) -> None:
        super().__init__(contamination=contamination)
        self.det = det

    def fit(self, X, y=None):
        self._set_n_classes(y)
        self.decision_scores_ = self.det.score(X)
        self._process_decision_scores()
        return self

    def decision_function(self, X):
        return self.det.score(X)


@pytest.fixture(scope="module")
def X(small_dijet: EventSet) -> np.ndarray:
    from sciood.represent import represent

    return represent(small_dijet, "hlf")


@pytest.mark.parametrize("contamination", [0.05, 0.1, 0.5])
@pytest.mark.parametrize("name", ["mahalanobis", "iforest"])
def test_threshold_labels_and_predictions_follow_pyod(name, contamination, X) -> None:
    train, test = X[::2], X[1::2]
    view = as_pyod(make(name, seed=1), contamination=contamination).fit(train)
    ref = PyODReference(make(name, seed=1).fit(train), contamination=contamination).fit(train)
    np.testing.assert_array_equal(view.decision_scores_, ref.decision_scores_)
    assert view.threshold_ == ref.threshold_
    np.testing.assert_array_equal(view.labels_, ref.labels_)
    assert view.labels_.dtype == ref.labels_.dtype
    assert abs(view.labels_.mean() - contamination) <= 1.0 / len(train)
    np.testing.assert_array_equal(view.decision_function(test), ref.decision_function(test))
    np.testing.assert_array_equal(view.predict(test), ref.predict(test))
    for method in ("linear", "unify"):
        np.testing.assert_allclose(view.predict_proba(test, method=method),
                                   ref.predict_proba(test, method=method), rtol=0, atol=1e-12)
    assert (view._mu, view._sigma, view._classes) == (ref._mu, ref._sigma, ref._classes)


def test_flow_behind_pyods_api(small_dijet: EventSet) -> None:
    det = make("flow", seed=0, epochs=2, transforms=2, hidden=[16, 16])
    view = as_pyod(det, contamination=0.1).fit(small_dijet)
    scores = det.score(small_dijet)
    np.testing.assert_array_equal(view.decision_scores_, scores)
    assert view.threshold_ == np.percentile(scores, 90)
    np.testing.assert_array_equal(view.labels_,
                                  (scores > view.threshold_).astype(int))


def test_parameters_clone_and_errors(X) -> None:
    view = as_pyod(make("iforest", n_estimators=20), contamination=0.2)
    assert view.get_params(deep=False) == {"contamination": 0.2, "detector": view.detector}
    assert view.get_params()["detector__n_estimators"] == 20
    assert view.set_params(detector__n_estimators=30, contamination=0.3) is view
    assert view.detector.n_estimators == 30 and view.contamination == 0.3
    copy = sklearn.base.clone(view)
    assert isinstance(copy, PyODView) and copy.detector is not view.detector
    assert copy.detector.get_params() == view.detector.get_params()
    with pytest.raises(NotFittedError):
        view.decision_function(X[:3])
    with pytest.raises(ConfigError, match=r"contamination must be a number in \(0, 0.5\]"):
        as_pyod(make("iforest"), contamination=0.6)
    with pytest.raises(ConfigError, match="no parameter"):
        view.set_params(threshold=3)
    with pytest.raises(ConfigError, match="takes a sciood detector"):
        as_pyod(object(), 0.1)  # type: ignore[arg-type]
    labels = view.fit_predict(X)
    assert labels.shape == (len(X),) and set(np.unique(labels)) == {0, 1}
