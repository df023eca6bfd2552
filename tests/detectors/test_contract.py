"""One contract test over every registered detector, on real Pythia events (small_dijet).

The tests are parametrised over ``available()`` itself — built-in, runtime-registered and
entry-point detectors alike — so a newly registered detector cannot escape them; the checks
are plain functions (``check_*``) so that tests/detectors/test_registry.py runs them on a
third-party detector and on deliberately broken ones (they must fail there).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sklearn.base
import sklearn.exceptions
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

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
    "nuisance_param": {"epochs": 2},
    # PyOD's fit takes no weights and the contract sample is weighted: train on a resample
    "pyod:COPOD": {"weighting": "resample"},
    "pyod:ECOD": {"weighting": "resample"},
    "pyod:IForest": {"weighting": "resample", "n_estimators": 20},
    "pyod:KNN": {"weighting": "resample"},
}

EXPECTED = {
    "ae", "vae", "flow", "svdd", "supervised", "oe_vae", "msp", "energy", "set_ae",
    "image_ae", "iforest", "knn", "gmm", "mahalanobis", "ensemble", "mc_dropout", "per_jet",
    "cwola", "idealized", "cathode", "anode", "lacathode", "nuisance_param",
    "pyod:COPOD", "pyod:ECOD", "pyod:IForest", "pyod:KNN",
}


def labels_for(name: str, events: EventSet) -> np.ndarray | None:
    """Labels a detector needs in this test (exposure events for oe_vae: the signal here)."""
    if name in ("oe_vae", "supervised", "idealized"):
        return events.is_signal.astype(int)
    if name in ("msp", "energy"):
        return events.labels
    return None


#: detectors known at collection time: every test below runs for each of them
NAMES = available()


def build(name: str, seed: int = 3) -> Detector:
    return make(name, seed=seed, **FAST.get(name, {}))


def build_by_attributes(name: str, seed: int = 3) -> Detector:
    """``build(name, seed)``, but made with another seed and the defaults, then changed
    attribute by attribute (``det.seed = 3``, ``det.epochs = 2``, ...) before ``fit``."""
    det = make(name, seed=seed + 96)
    for key, value in {**FAST.get(name, {}), "seed": seed}.items():
        setattr(det, key, value)
    return det


@pytest.fixture(scope="module")
def fitted(small_dijet: EventSet) -> dict[str, tuple[Detector, np.ndarray, np.ndarray]]:
    """name -> (fitted detector, its input array, scores) — one fit per detector.

    Each detector's parameters are set as attributes after ``make`` (see
    :func:`build_by_attributes`); the contract checks that this is what ``fit``,
    ``get_params``, ``save`` and the loaded model see.
    """
    out = {}
    for name in available():
        det = build_by_attributes(name)
        det.fit(small_dijet, labels_for(name, small_dijet))
        X = det.as_array(small_dijet)
        out[name] = (det, X, det.score(X))
    return out


def check_params_follow_attributes(det: Detector, expected: dict[str, Any]) -> None:
    """get_params() reads the attributes; clone() and sklearn.base.clone() copy them."""
    assert det.get_params() == expected
    assert det.get_params(deep=False) == det.get_params(deep=True) == expected
    for copy in (det.clone(), sklearn.base.clone(det), make(det.name, **det.get_params())):
        assert type(copy) is type(det) and copy.get_params() == expected
        assert not copy._fitted


def check_save_load(det: Detector, X: np.ndarray, scores: np.ndarray, path: Path) -> None:
    """meta.json and the loaded model carry the parameters fit saw; identical scores."""
    det.save(path)
    meta = json.loads((path / "meta.json").read_text())
    assert meta["detector"] == det.name and meta["params"] == det.get_params()
    loaded = Detector.load(path)
    assert type(loaded) is type(det) and loaded.get_params() == det.get_params()
    np.testing.assert_array_equal(loaded.score(X), scores)
    np.testing.assert_array_equal(loaded.decision_function(X), scores)


#: (offset, length) windows of the contract sample scored on their own
WINDOWS = [(1, 1), (2, 5), (3, 64), (7, 200), (17, 433), (100, 350), (449, 1)]


def check_batch_invariance(det: Detector, X: np.ndarray, scores: np.ndarray) -> None:
    """score(X)[k:k+L] == score(X[k:k+L]) bit for bit, for every window."""
    for k, length in WINDOWS:
        np.testing.assert_array_equal(det.score(X[k:k + length]), scores[k:k + length],
                                      err_msg=f"window {k}:{k + length}")


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


def test_contract_runs_over_available_itself() -> None:
    assert available() == NAMES and set(NAMES) >= EXPECTED


@pytest.mark.parametrize("name", NAMES)
def test_constructor_only_stores_and_takes_seed(name: str) -> None:
    det = build(name, seed=11)
    assert det.get_params()["seed"] == 11
    clone = make(name, **det.get_params())
    assert clone.get_params() == det.get_params()
    with pytest.raises(NotFittedError):
        clone.score(np.zeros((3, 4)))


@pytest.mark.parametrize("name", NAMES)
def test_scikit_learn_conventions(name: str) -> None:
    """get_params(deep=...), set_params (checked, returns self), sklearn.base.clone."""
    det = build(name, seed=11)
    expected = build(name, seed=11).get_params()
    check_params_follow_attributes(det, expected)
    assert det.set_params(seed=5) is det and det.seed == 5
    assert det.get_params() == {**expected, "seed": 5}
    assert sklearn.base.clone(det).get_params()["seed"] == 5
    with pytest.raises(ConfigError, match="no parameter"):
        det.set_params(no_such_parameter=1)
    with pytest.raises(ConfigError, match="seed must be >= 0"):
        det.set_params(seed=-1)
    assert det.get_params() == {**expected, "seed": 5}  # a refused set_params sets nothing
    # scikit-learn's tags and fitted check (GridSearchCV / Pipeline read them)
    assert get_tags(det).target_tags.required == (det._label_kind() != "none")
    with pytest.raises(sklearn.exceptions.NotFittedError):
        check_is_fitted(det)


@pytest.mark.parametrize("name", NAMES)
def test_attribute_changed_before_fit_is_what_get_params_save_and_load_see(
        name: str, fitted: dict, tmp_path: Path) -> None:
    """The fixture set seed and the FAST parameters as attributes after make()."""
    det, X, scores = fitted[name]
    check_is_fitted(det)
    check_params_follow_attributes(det, build(name).get_params())
    check_save_load(det, X, scores, tmp_path / "model")
    det.seed = 4  # after fit: the saved file would describe another model than the fitted one
    try:
        with pytest.raises(ConfigError, match=r"\['seed'\] changed after fit \(seed: 3 -> 4\)"):
            det.save(tmp_path / "changed")
    finally:
        det.seed = 3
    assert not (tmp_path / "changed" / "meta.json").exists()


@pytest.mark.parametrize("name", NAMES)
def test_contract(name: str, fitted: dict, small_dijet: EventSet, tmp_path: Path) -> None:
    det, X, scores = fitted[name]
    n = len(small_dijet)
    # finite, one score per event, EventSet and array inputs agree; decision_function = score
    assert scores.shape == (n,) and scores.dtype == np.float64
    assert np.isfinite(scores).all()
    assert np.std(scores) > 0
    np.testing.assert_array_equal(det.score(small_dijet), scores)
    np.testing.assert_array_equal(det.decision_function(X), scores)
    # same seed -> same scores, and fit takes sample_weight= (a power-of-two multiple of the
    # events' own weights is normalised to exactly the same weights)
    labels = labels_for(name, small_dijet)
    again = build(name).fit(small_dijet, labels, sample_weight=4.0 * small_dijet.weights)
    np.testing.assert_array_equal(again.score(X), scores)
    with pytest.raises(DataError, match=r"weights has shape \(3,\), expected"):
        build(name).fit(small_dijet, labels, sample_weight=np.ones(3))
    # save / load round trip: identical scores
    check_save_load(det, X, scores, tmp_path / "model")
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


@pytest.mark.parametrize("name", NAMES)
def test_scores_do_not_depend_on_batch_or_offset(name: str, fitted: dict,
                                                 small_dijet: EventSet) -> None:
    """score(X)[k:k+L] == score(X[k:k+L]) bit for bit, and score_events at any batch size."""
    det, X, scores = fitted[name]
    check_batch_invariance(det, X, scores)
    for size in (97, 450):
        got = score_events(det, small_dijet, batch_size=size)["score"]
        np.testing.assert_array_equal(got, scores, err_msg=f"batch_size={size}")


def check_latent(det: Detector, X: np.ndarray) -> None:
    """latent works iff has_latent: float64, one finite row per event, batch-invariant; else a
    ConfigError naming the detectors that have one."""
    if not det.has_latent:
        with pytest.raises(ConfigError, match=r"has no latent space.*detectors with one"):
            det.encode(X)
        return
    z = det.encode(X)
    assert z.dtype == np.float64 and len(z) == len(X) and z.ndim in (2, 3)
    assert np.isfinite(z).all()
    np.testing.assert_array_equal(Detector.latent(det, X), z)  # ``latent`` may be a parameter
    for k, length in WINDOWS[:3]:
        np.testing.assert_array_equal(det.encode(X[k:k + length]), z[k:k + length])


@pytest.mark.parametrize("name", NAMES)
def test_latent_works_iff_has_latent(name: str, fitted: dict) -> None:
    det, X, _ = fitted[name]
    check_latent(det, X)


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
