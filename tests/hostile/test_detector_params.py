"""Hostile detector parameters: caught by ``check_params`` without data (as the run-config
validation does), by ``set_params`` and by ``fit`` with the very same message, before any
training."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sciood.detectors import Detector, available, check_params, make
from sciood.errors import ConfigError, UnknownNameError

X = np.random.default_rng(0).normal(size=(120, 3))


def hostile(outcome: str = "error") -> pytest.MarkDecorator:
    return pytest.mark.hostile("detector-params", outcome)


CASES = [
    ("iforest", {"n_estimators": "many"},
     r"^iforest: n_estimators must be an integer, got 'many' \(str\)", "string-count"),
    ("ae", {"epochs": -1}, r"^ae: epochs must be >= 1, got -1", "negative-epochs"),
    ("iforest", {"n_estimators": True},
     r"^iforest: n_estimators must be an integer, got True \(bool\)", "bool-as-count"),
    ("ae", {"batch_size": 2.5}, r"^ae: batch_size must be an integer, got 2\.5", "float-count"),
    ("flow", {"lr": 0.0}, r"^flow: lr must be > 0, got 0\.0", "zero-learning-rate"),
    ("svdd", {"lr": float("nan")}, r"^svdd: lr must be a finite number, got nan",
     "nan-learning-rate"),
    ("ae", {"dropout": 1.0}, r"^ae: dropout must be in \[0, 1\), got 1\.0", "dropout-one"),
    ("gmm", {"covariance_type": "banana"},
     r"^gmm: covariance_type must be 'full', 'tied', 'diag' or 'spherical', got 'banana'",
     "bad-choice"),
    ("knn", {"seed": -1}, r"^knn: seed must be >= 0, got -1", "negative-seed"),
    ("ae", {"hidden": [16, 0]}, r"^ae: hidden must be >= 1, got \[16, 0\]", "zero-width-layer"),
    ("ae", {"hidden": "32,32"}, r"^ae: hidden must be a list of integers, got '32,32'",
     "layers-as-string"),
    ("mahalanobis", {"features": "nope"},
     r"features 'nope' is not a feature-set name \[.*'lhco'.*\]; give one or a list",
     "unknown-feature-set"),
    ("ae", {"representation": "graphs"},
     r"^ae: representation must be one of \['hlf', 'images', 'jets', 'sets'\], got 'graphs'",
     "unknown-representation"),
    ("knn", {"neighbours": 5}, r"detector 'knn' has no parameter\(s\) \['neighbours'\]; "
     r"valid parameters: \[.*'k'", "unknown-parameter"),
    ("ensemble", {"base": "ae", "epochs": -1},
     r"^ensemble base 'ae': ae: epochs must be >= 1, got -1", "ensemble-base-param"),
    ("ensemble", {"base": "iforest", "n_estimators": "lots"},
     r"^ensemble base 'iforest': iforest: n_estimators must be an integer, got 'lots'",
     "ensemble-base-type"),
    ("ensemble", {"base": "ae", "n": 1}, r"an ensemble needs n >= 2 members, got 1",
     "ensemble-one-member"),
    ("ensemble", {"base": "ensemble"}, r"ensemble base must be a plain detector",
     "ensemble-of-ensembles"),
    ("mc_dropout", {"base": "iforest"}, r"mc_dropout needs a torch detector with dropout; "
     r"'iforest' has none", "mc-dropout-no-dropout"),
    ("mc_dropout", {"base": "ae", "passes": 1},
     r"mc_dropout needs 0 < dropout < 1 and passes >= 2, got dropout=0\.1, passes=1",
     "mc-dropout-one-pass"),
    ("per_jet", {"base": "gmm", "n_components": 0},
     r"^per_jet base 'gmm': gmm: n_components must be >= 1, got 0", "per-jet-base-param"),
    ("per_jet", {"base": "knn", "space": "copula"},
     r"space='copula' needs a density base \('gmm', 'flow'\), got 'knn'; use space='gauss'",
     "per-jet-copula-knn"),
    ("ensemble", {"base": "per_jet", "n": 2, "aggregate": "median"},
     r"^ensemble base 'per_jet': per_jet: aggregate must be 'max', 'min', 'mean', 'fisher', "
     r"'stouffer', 'joint' or 'joint_sym', got 'median'", "nested-wrappers"),
    ("cathode", {"signal_region": [3700, 3300]}, r"signal_region needs low < high, got "
     r"\[3700\.0, 3300\.0\]", "reversed-signal-region"),
    ("cwola", {"signal_region": "SR"}, r"^cwola: signal_region must be a list of finite "
     r"numbers, got 'SR'", "signal-region-string"),
    ("anode", {"flow_kind": "glow"}, r"flow kind must be 'maf' or 'nsf', got 'glow'",
     "bad-flow-kind"),
    ("cathode", {"oversample": 0}, r"^cathode: oversample must be > 0, got 0",
     "zero-oversampling"),
    ("image_ae", {"npix": 30}, r"image_ae: npix must be divisible by 4 for the CNN, got 30",
     "image-size"),
    ("set_ae", {"encoder": "transformer", "hidden": 10},
     r"set_ae: hidden=10 must be divisible by heads=4", "transformer-heads"),
    ("iforest", {"max_samples": "half"}, r"max_samples must be 'auto' or an integer >= 1, "
     r"got 'half'", "max-samples-string"),
]


@pytest.mark.parametrize("name,params,match", [
    pytest.param(n, p, m, id=i, marks=hostile()) for n, p, m, i in CASES])
def test_bad_parameters_fail_before_any_data_and_again_at_fit(
        name: str, params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match) as without_data:
        check_params(name, params)
    with pytest.raises(ConfigError, match=match) as at_fit:
        make(name, **params).fit(X)
    assert str(at_fit.value) == str(without_data.value)  # one check, one message
    det = make(name)
    before = det.get_params()
    with pytest.raises(ConfigError, match=match) as at_set:
        det.set_params(**params)
    assert str(at_set.value) == str(without_data.value)
    assert det.get_params() == before  # a refused set_params sets nothing


@hostile()
def test_unknown_base_detector_is_an_unknown_name() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown detector 'xgboost'; valid detector "
                       r"names are: .*iforest"):
        check_params("ensemble", {"base": "xgboost"})


@hostile()
def test_parameters_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"ae: parameters must be a mapping of name to "
                       r"value, got list"):
        check_params("ae", [("epochs", 3)])  # type: ignore[arg-type]


@hostile()
def test_attribute_set_to_a_bad_value_after_make_fails_at_fit() -> None:
    """Before: sklearn's own InvalidParameterError traceback from inside fit."""
    det = make("iforest", n_estimators=5)
    det.n_estimators = "many"
    with pytest.raises(ConfigError, match=r"n_estimators must be an integer, got 'many'"):
        det.fit(X)


@hostile()
def test_base_parameter_set_on_an_ensemble_reaches_its_members() -> None:
    det = make("ensemble", base="knn", n=2, k=3)
    det.k = 0
    assert det.get_params()["k"] == 0 and det._base_params["k"] == 0
    with pytest.raises(ConfigError, match=r"ensemble base 'knn': knn: k must be >= 1, got 0"):
        det.fit(X)


@hostile("correct")
def test_parameter_set_before_fit_is_what_is_saved_and_loaded(tmp_path: Path) -> None:
    """``d.k = 1`` before fit: get_params, clone and the saved file all see k = 1, so the
    loaded model scores exactly as the fitted one (before: the file said k = 10)."""
    det = make("knn", k=10)
    det.k = 1
    assert det.get_params()["k"] == 1 and det.clone().k == 1
    fitted = det.fit(X).score(X)
    np.testing.assert_array_equal(fitted, 0.0)  # 1-NN of a training point is itself
    det.save(tmp_path / "m")
    loaded = Detector.load(tmp_path / "m")
    assert loaded.k == 1
    np.testing.assert_array_equal(loaded.score(X), fitted)
    np.testing.assert_array_equal(make("knn", k=1).fit(X).score(X), fitted)


@hostile("correct")
def test_every_detector_accepts_its_own_defaults_and_numpy_scalars() -> None:
    for name in available():
        check_params(name, {})
    check_params("iforest", {"n_estimators": np.int64(7), "seed": np.int32(3)})
    check_params("ae", {"lr": np.float32(1e-3), "hidden": (8, 4)})
    check_params("ensemble", {"base": "per_jet", "n": 3, "space": "gauss",
                              "n_components": 2})
