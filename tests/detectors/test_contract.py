"""One contract test over every registered detector, on real Pythia events (small_dijet)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, available, make
from sciood.errors import ConfigError, DataError, NotFittedError, UnknownNameError
from sciood.scoring import score_events

# tiny settings so the whole contract runs in seconds; every other parameter is the default
FAST: dict[str, dict[str, Any]] = {
    "ae": {"epochs": 2},
    "vae": {"epochs": 2},
    "flow": {"epochs": 2, "transforms": 2, "hidden": [16, 16]},
    "svdd": {"epochs": 2},
    "supervised": {"epochs": 2},
    "oe_vae": {"epochs": 2},
    "msp": {"epochs": 2},
    "energy": {"epochs": 2},
    "set_ae": {"epochs": 1, "max_particles": 12, "hidden": 16},
    "image_ae": {"epochs": 1, "npix": 8, "channels": 4},
    "iforest": {"n_estimators": 20},
    "gmm": {"n_components": 2},
    "per_jet": {"n_components": 2},
    "ensemble": {"base": "ae", "n": 2, "epochs": 1},
    "mc_dropout": {"base": "ae", "epochs": 1, "passes": 4},
    "cwola": {"epochs": 2},
    "idealized": {"epochs": 2},
    "cathode": {"epochs": 2, "flow_epochs": 2, "flow_transforms": 2, "flow_hidden": [16, 16]},
    "anode": {"flow_epochs": 2, "flow_transforms": 2, "flow_hidden": [16, 16], "n_grid": 4},
}

EXPECTED = {
    "ae", "vae", "flow", "svdd", "supervised", "oe_vae", "msp", "energy", "set_ae",
    "image_ae", "iforest", "knn", "gmm", "mahalanobis", "ensemble", "mc_dropout", "per_jet",
    "cwola", "idealized", "cathode", "anode",
}


def labels_for(name: str, events: EventSet) -> np.ndarray | None:
    """Labels a detector needs in this test (exposure events for oe_vae: the signal here)."""
    if name in ("oe_vae", "supervised", "idealized"):
        return events.is_signal.astype(int)
    if name in ("msp", "energy"):
        return events.labels
    return None


def build(name: str, seed: int = 3) -> Detector:
    return make(name, seed=seed, **FAST.get(name, {}))


@pytest.fixture(scope="module")
def fitted(small_dijet: EventSet) -> dict[str, tuple[Detector, np.ndarray, np.ndarray]]:
    """name -> (fitted detector, its input array, scores) — one fit per detector."""
    out = {}
    for name in available():
        det = build(name)
        det.fit(small_dijet, labels_for(name, small_dijet))
        X = det.as_array(small_dijet)
        out[name] = (det, X, det.score(X))
    return out


def test_registry_lists_every_family() -> None:
    assert set(available()) >= EXPECTED
    assert available() == sorted(available())


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"valid detector names are: .*iforest"):
        make("isolation_forrest")


def test_unknown_parameter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="valid parameters"):
        make("iforest", n_trees=10)


def test_ensemble_by_name() -> None:
    det = make("ensemble", base="ae", n=5)
    assert det.get_params()["n"] == 5 and det.get_params()["base"] == "ae"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_constructor_only_stores_and_takes_seed(name: str) -> None:
    det = build(name, seed=11)
    assert det.get_params()["seed"] == 11
    clone = make(name, **det.get_params())
    assert clone.get_params() == det.get_params()
    with pytest.raises(NotFittedError):
        clone.score(np.zeros((3, 4)))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_contract(name: str, fitted: dict, small_dijet: EventSet, tmp_path: Path) -> None:
    det, X, scores = fitted[name]
    n = len(small_dijet)
    # finite, one score per event, EventSet and array inputs agree
    assert scores.shape == (n,) and scores.dtype == np.float64
    assert np.isfinite(scores).all()
    assert np.std(scores) > 0
    np.testing.assert_array_equal(det.score(small_dijet), scores)
    # same seed -> same scores
    again = build(name).fit(small_dijet, labels_for(name, small_dijet)).score(X)
    np.testing.assert_array_equal(again, scores)
    # save / load round trip: identical scores
    det.save(tmp_path / "model")
    loaded = Detector.load(tmp_path / "model")
    assert type(loaded) is type(det) and loaded.get_params() == det.get_params()
    np.testing.assert_array_equal(loaded.score(X), scores)
    # NaN / Inf and wrong width -> clear DataError
    bad = X[:5].copy()
    bad.reshape(5, -1)[2, 0] = np.nan
    with pytest.raises(DataError, match="NaN or Inf"):
        det.score(bad)
    bad.reshape(5, -1)[2, 0] = np.inf
    with pytest.raises(DataError, match="NaN or Inf"):
        det.score(bad)
    wrong = X[:5, :-1] if X.ndim == 2 else X[:, :, :-1]
    with pytest.raises(DataError, match="fitted on"):
        det.score(wrong)
    X_nan = X.copy()
    X_nan.reshape(n, -1)[3, -1] = np.nan
    with pytest.raises(DataError, match="NaN or Inf"):
        build(name).fit(X_nan, labels_for(name, small_dijet))


#: (offset, length) windows of the contract sample scored on their own
WINDOWS = [(1, 1), (2, 5), (3, 64), (7, 200), (17, 433), (100, 350), (449, 1)]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_scores_do_not_depend_on_batch_or_offset(name: str, fitted: dict,
                                                 small_dijet: EventSet) -> None:
    """score(X)[k:k+L] == score(X[k:k+L]) bit for bit, and score_events at any batch size."""
    det, X, scores = fitted[name]
    for k, length in WINDOWS:
        np.testing.assert_array_equal(det.score(X[k:k + length]), scores[k:k + length],
                                      err_msg=f"window {k}:{k + length}")
    for size in (97, 450):
        got = score_events(det, small_dijet, batch_size=size)["score"]
        np.testing.assert_array_equal(got, scores, err_msg=f"batch_size={size}")


def test_jet_level_models_expose_per_jet_scores(fitted: dict) -> None:
    for name in ("set_ae", "image_ae", "per_jet"):
        det, X, scores = fitted[name]
        assert det.jet_level and det.aggregate == "max"
        per_jet = det.score_jets(X)
        assert per_jet.shape == (len(X), 2)
        np.testing.assert_allclose(per_jet.max(1), scores, rtol=1e-6)
        assert fitted[name][0].get_params()["aggregate"] == "max"


def test_supervised_separates_real_signal(fitted: dict, small_dijet: EventSet) -> None:
    from sklearn.metrics import roc_auc_score

    det = make("supervised", seed=0, epochs=40).fit(small_dijet)
    auc = roc_auc_score(small_dijet.is_signal, det.score(small_dijet))
    assert auc > 0.85
