"""Leave one class out on real Pythia samples: table shape, no leak of the held-out class into
its fold, one cell against a manual refit + sciood.metrics, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone

from sciood import metrics
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.errors import ConfigError, DataError, UnknownNameError
from sciood.evaluate import LOCOTable, ResultTable, leave_one_class_out
from sciood.evaluate.loco import rest_name

SIG = "wprime_wz_80"


@pytest.fixture(scope="module")
def events(make_sample) -> EventSet:
    return EventSet.concat([make_sample("qcd", 300, 11), make_sample("ttbar", 200, 41),
                            make_sample(SIG, 150, 12)])


def gmm():
    return make("gmm", n_components=2, features="jetpair", seed=0)


class Spy(BaseEstimator):
    """Clonable wrapper that records which classes (and how many events) each fit saw."""

    seen: list[tuple[frozenset[str], int, float]] = []  # noqa: RUF012 - shared log on purpose

    def __init__(self, inner=None):
        self.inner = inner

    def fit(self, X, y=None, *, sample_weight=None):
        Spy.seen.append((frozenset(X.labels.tolist()), len(X), float(np.sum(sample_weight))))
        self.model_ = clone(self.inner).fit(X, sample_weight=sample_weight)
        return self

    def score(self, X):
        return self.model_.score(X)


def test_table_shape_classes_and_views(events) -> None:
    t = leave_one_class_out(events, gmm(), n_bootstrap=50)
    assert isinstance(t, LOCOTable) and isinstance(t, ResultTable)
    assert t.held_out_classes == ["qcd", "ttbar"] and t.meta["signals"] == [SIG]
    assert t.metrics == ["auc", "eff_s@eps_b=0.01", "eff_s@eps_b=0.001"]
    pairs = [(c.signal, c.background) for c in t.cells]
    assert pairs == [("qcd", "all_but_qcd"), (SIG, "all_but_qcd"),
                     ("ttbar", "all_but_ttbar"), (SIG, "all_but_ttbar")]
    # test_size=0.5: the cut is set on the unseen half of the training classes
    assert t.held_out("qcd").n_background == 100 and t.held_out("qcd").n_signal == 300
    assert t.held_out("ttbar").n_background == 150
    assert t.meta["n_fit"] == {"qcd": 100, "ttbar": 150}
    for c in t.cells:
        v, lo, hi = c.values["auc"]
        assert 0.0 <= lo <= v <= hi <= 1.0
        for m in t.metrics[1:]:
            v, lo, hi = c.values[m]
            assert 0.0 <= lo <= hi <= 1.0 and 0.0 <= v <= 1.0
    assert t.signal_in_fold(SIG, "ttbar") is t.cells[3]
    frame = t.summary("auc")
    assert frame.loc["qcd", "held-out class"] == t.get("qcd", "all_but_qcd", "auc")[0]
    assert frame.loc["ttbar", SIG] == t.get(SIG, "all_but_ttbar", "auc")[0]
    assert "2 folds" in repr(t) and "LOCOTable:" in t._repr_html_()
    back = LOCOTable.from_json(t.to_json())
    assert isinstance(back, LOCOTable) and back.held_out_classes == t.held_out_classes
    assert back.get("qcd", "all_but_qcd", "auc") == t.get("qcd", "all_but_qcd", "auc")
    with pytest.raises(UnknownNameError, match="qcd, ttbar"):
        t.held_out(SIG)


def test_each_fold_never_sees_its_held_out_class(events) -> None:
    Spy.seen.clear()
    w = events.weights
    leave_one_class_out(events, Spy(gmm()), n_bootstrap=10, test_size=None)
    assert Spy.seen == [
        (frozenset({"ttbar"}), 200, pytest.approx(float(w[events.labels == "ttbar"].sum()))),
        (frozenset({"qcd"}), 300, pytest.approx(float(w[events.labels == "qcd"].sum()))),
    ]
    Spy.seen.clear()
    leave_one_class_out(events, Spy(gmm()), classes=["qcd"], n_bootstrap=10)
    assert Spy.seen[0][:2] == (frozenset({"ttbar"}), 100)  # half of ttbar, never qcd or signal


def test_one_cell_matches_a_manual_refit_and_the_metric_functions(events) -> None:
    t = leave_one_class_out(events, gmm(), test_size=None, n_bootstrap=50,
                            working_points={"eps_b": [1e-2], "eff_s": [0.5]})
    assert t.metrics == ["auc", "eff_s@eps_b=0.01", "rejection@eff_s=0.5"]
    train = events.with_label("qcd")  # the fold leaving ttbar out trains on qcd only
    s = gmm().fit(train, sample_weight=train.weights).score(events)
    for tested in ("ttbar", SIG):
        mask = (events.labels == "qcd") | (events.labels == tested)
        y, w = events.labels[mask] == tested, events.weights[mask]
        cell = t.cell(tested, rest_name("ttbar"))
        assert cell.values["auc"][0] == pytest.approx(metrics.auc(y, s[mask], sample_weight=w),
                                                      rel=1e-12)
        assert cell.values["eff_s@eps_b=0.01"][0] == pytest.approx(
            metrics.efficiency_at(y, s[mask], 1e-2, sample_weight=w), rel=1e-12, abs=1e-15)
        assert cell.values["rejection@eff_s=0.5"][0] == pytest.approx(
            metrics.rejection_at(y, s[mask], 0.5, sample_weight=w), rel=1e-12)
    # other per-event weights change the weighted numbers (sample_weight is used)
    w2 = np.random.default_rng(3).uniform(0.1, 3.0, len(events)) * events.weights
    t2 = leave_one_class_out(events, gmm(), test_size=None, n_bootstrap=10, sample_weight=w2,
                             classes=["ttbar"])
    assert t2.get("ttbar", "all_but_ttbar", "auc") != t.get("ttbar", "all_but_ttbar", "auc")


def test_errors_name_the_problem_and_the_fix(events) -> None:
    only_qcd = events.select(np.flatnonzero(events.labels != "ttbar"))
    with pytest.raises(ConfigError, match=r"at least two background classes.*add another"):
        leave_one_class_out(only_qcd, gmm())
    with pytest.raises(UnknownNameError, match=r"'zjets'.*qcd, ttbar"):
        leave_one_class_out(events, gmm(), classes=["zjets"])
    with pytest.raises(UnknownNameError, match=SIG):  # a signal cannot be held out
        leave_one_class_out(events, gmm(), classes=[SIG])
    with pytest.raises(ConfigError, match="test_size"):
        leave_one_class_out(events, gmm(), test_size=1.0)
    keep = np.append(np.flatnonzero(events.labels != "ttbar")[:400],
                     np.flatnonzero(events.labels == "ttbar")[0])
    one_ttbar = events.select(keep)  # one ttbar event: no half left to set the cuts on
    with pytest.raises(DataError, match=r"fold without qcd: .* cuts on: 0;.*test_size=None"):
        leave_one_class_out(one_ttbar, gmm(), classes=["qcd"])


def test_the_given_detector_is_cloned_not_fitted(events) -> None:
    det = gmm()
    leave_one_class_out(events, det, classes=["ttbar"], n_bootstrap=10)
    assert not det.__sklearn_is_fitted__()
