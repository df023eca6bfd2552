"""Safe model files, out-of-fold scoring, weights and input handling of the base contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.ensemble import IsolationForest

from sciood.detectors import Detector, make
from sciood.detectors.base import sklearn_score
from sciood.errors import ConfigError, CorruptDataError, DataError
from sciood.io import sha256_file


def gaussian(n: int = 400, d: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d))


class Evil(IsolationForest):
    """A class skops does not know: loading it would import and run arbitrary code."""


def test_tampered_array_part_is_refused(tmp_path: Path) -> None:
    X = gaussian()
    make("ae", epochs=1).fit(X).save(tmp_path)
    part = tmp_path / "arrays.safetensors"
    data = bytearray(part.read_bytes())
    data[-3] ^= 0xFF
    part.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match=r"SHA-256.*refusing to load"):
        Detector.load(tmp_path)


def test_missing_part_and_missing_meta_are_refused(tmp_path: Path) -> None:
    make("iforest", n_estimators=5).fit(gaussian()).save(tmp_path / "m")
    (tmp_path / "m" / "iforest.skops").unlink()
    with pytest.raises(CorruptDataError, match="missing"):
        Detector.load(tmp_path / "m")
    with pytest.raises(CorruptDataError, match="not a saved detector"):
        Detector.load(tmp_path / "nothing")


def test_untrusted_type_inside_skops_part_is_refused(tmp_path: Path) -> None:
    X = gaussian()
    make("iforest", n_estimators=5).fit(X).save(tmp_path)
    part = tmp_path / "iforest.skops"
    part.write_bytes(sio.dumps(Evil(n_estimators=5).fit(X)))
    # re-sign the part so the hash check passes and only the type check can refuse it
    meta = json.loads((tmp_path / "meta.json").read_text())
    meta["parts"]["iforest.skops"] = sha256_file(part)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match=r"untrusted type\(s\) \[.*Evil"):
        Detector.load(tmp_path)


def test_model_files_are_safetensors_skops_and_json(tmp_path: Path) -> None:
    make("iforest", n_estimators=5).fit(gaussian()).save(tmp_path / "a")
    make("flow", epochs=1).fit(gaussian()).save(tmp_path / "b")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == [
        "arrays.safetensors", "iforest.skops", "meta.json"]
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == [
        "arrays.safetensors", "meta.json"]
    meta = json.loads((tmp_path / "b" / "meta.json").read_text())
    assert meta["detector"] == "flow" and set(meta["parts"]) == {"arrays.safetensors"}


def test_fit_score_is_out_of_fold() -> None:
    # 1-NN distance of a training point to its own training set is 0: out-of-fold it is not
    X = gaussian(200)
    det = make("knn", k=1)
    in_sample = make("knn", k=1).fit(X).score(X)
    oof = det.fit_score(X, folds=4)
    assert np.allclose(in_sample, 0.0)
    assert (oof > 0).all()
    assert not det._fitted  # fit_score leaves the detector itself untouched
    np.testing.assert_array_equal(oof, make("knn", k=1).fit_score(X, folds=4))


def test_fit_score_stratifies_labels() -> None:
    rng = np.random.default_rng(1)
    X = np.r_[rng.normal(size=(150, 2)), rng.normal(3, 1, size=(50, 2))]
    y = np.r_[np.zeros(150), np.ones(50)]
    s = make("supervised", epochs=10).fit_score(X, y, folds=3)
    assert s.shape == (200,) and s[150:].mean() > s[:150].mean()
    with pytest.raises(ConfigError):
        make("knn").fit_score(X, folds=1)


def test_sklearn_sign_is_flipped_in_one_place() -> None:
    assert sklearn_score(np.array([1.0, -2.0])).tolist() == [-1.0, 2.0]
    X = gaussian(500)
    for name in ("iforest", "gmm", "knn", "mahalanobis"):
        det = make(name).fit(X)
        far, centre = det.score(np.array([[6.0, 6.0, 6.0], [0.0, 0.0, 0.0]]))
        assert far > centre, name


def test_old_base_module_still_provides_every_name_it_had() -> None:
    """detectors.base is a shim: each old name is the object of its new module."""
    from sciood.detectors import base, contract, inputs, params, persistence, registry
    from sciood.detectors import sklearn_parts as parts

    moved = {"Detector": contract, "load": contract, "available": registry, "make": registry,
             "register": registry, "detector_class": registry, "check_params": params,
             "check_base_params": params, "extra_params": params, "SCORE_BLOCK": inputs,
             "score_in_blocks": inputs, "LabelKind": inputs, "MAX_ABS_INPUT": inputs,
             "MAX_STANDARDISED": inputs, "MODEL_FORMAT": persistence,
             "TRUSTED_SKOPS_TYPES": parts}
    for name, module in moved.items():
        assert getattr(base, name) is getattr(module, name), name
    assert set(base.__all__) <= set(moved)


def test_sklearn_score_left_the_public_api_but_old_imports_work() -> None:
    import sciood.detectors as detectors
    from sciood.detectors.classical import _sklearn_score

    assert "sklearn_score" not in detectors.__all__
    assert sklearn_score is _sklearn_score  # the old module path still gives it
    with pytest.warns(FutureWarning, match="private"):
        assert detectors.sklearn_score is _sklearn_score


def test_weights_keyword_is_a_deprecated_alias_of_sample_weight() -> None:
    X = gaussian(200)
    w = np.linspace(0.5, 2.0, 200)
    new = make("mahalanobis").fit(X, sample_weight=w).score(X)
    with pytest.warns(FutureWarning, match=r"fit\(\): `weights=` is deprecated.*sample_weight"):
        old = make("mahalanobis").fit(X, weights=w).score(X)
    np.testing.assert_array_equal(old, new)
    assert not np.allclose(new, make("mahalanobis").fit(X).score(X))
    with pytest.raises(TypeError, match="both `sample_weight=` and"):
        make("mahalanobis").fit(X, sample_weight=w, weights=w)
    with pytest.warns(FutureWarning, match=r"fit_score\(\)"):
        oof = make("knn", k=3).fit_score(X, folds=3, weights=w)
    np.testing.assert_array_equal(oof, make("knn", k=3).fit_score(X, folds=3, sample_weight=w))


def test_weights_enter_the_fit() -> None:
    X = gaussian(400)
    w = np.r_[np.ones(200), np.zeros(200)]
    a = make("mahalanobis").fit(X, sample_weight=w).score(X)
    b = make("mahalanobis").fit(X[:200]).score(X)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    # an overall scale of the weights does not matter (normalised to mean 1) ...
    s1 = make("ae", epochs=2).fit(X, sample_weight=np.full(400, 3.0)).score(X)
    s2 = make("ae", epochs=2).fit(X).score(X)
    np.testing.assert_array_equal(s1, s2)
    # ... but their shape does
    s3 = make("ae", epochs=2).fit(X, sample_weight=w + 0.01).score(X)
    assert not np.allclose(s2, s3)


def test_bad_weights_and_labels_are_clear_errors() -> None:
    X = gaussian(50)
    with pytest.raises(DataError, match="expected \\(50,\\)"):
        make("ae").fit(X, sample_weight=np.ones(10))
    with pytest.raises(DataError, match="positive sum"):
        make("ae").fit(X, sample_weight=-np.ones(50))
    with pytest.raises(DataError, match="needs labels"):
        make("supervised").fit(X)
    with pytest.raises(DataError, match="only 0 and 1"):
        make("supervised").fit(X, np.full(50, 2))
    with pytest.raises(DataError, match="empty"):
        make("knn").fit(np.zeros((0, 3)))
    with pytest.raises(DataError, match="dimensions"):
        make("knn").fit(np.zeros((10, 3, 2)))
    with pytest.raises(DataError, match="at least two background classes"):
        make("msp", epochs=1).fit(X, np.array(["qcd"] * 50))
    with pytest.raises(DataError, match="needs the observable"):
        make("ae", decorrelate="disco", epochs=1).fit(X)


def test_negative_weights_are_legal() -> None:
    X = gaussian(300)
    w = np.where(np.arange(300) % 10 == 0, -0.5, 1.0)
    for name in ("ae", "flow", "mahalanobis", "iforest", "gmm"):
        s = make(name, **({"epochs": 1} if name in ("ae", "flow") else {})).fit(
            X, sample_weight=w).score(X)
        assert np.isfinite(s).all()


def test_detectors_work_inside_scikit_learn_model_selection_and_pipelines() -> None:
    """GridSearchCV clones, set_params and scores exactly as a hand-written loop does."""
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import GridSearchCV, KFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(3)
    X = np.r_[rng.normal(size=(300, 3)), rng.normal(2.5, 1, size=(40, 3))]
    y = np.r_[np.zeros(300), np.ones(40)]

    def auc_scorer(est: Detector, X: np.ndarray, y: np.ndarray) -> float:
        return float(roc_auc_score(y, est.decision_function(X)))

    cv = KFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(make("knn"), {"k": [1, 20]}, scoring=auc_scorer, cv=cv).fit(X, y)
    by_hand = [np.mean([auc_scorer(make("knn", k=k).fit(X[tr]), X[te], y[te])
                        for tr, te in cv.split(X)]) for k in (1, 20)]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], by_hand, rtol=1e-12)
    assert search.best_params_ == {"k": 20} and search.best_estimator_.k == 20
    w = np.linspace(0.5, 1.5, len(X))
    pipe = make_pipeline(StandardScaler(), make("mahalanobis"))
    pipe.fit(X, mahalanobis__sample_weight=w)
    direct = make("mahalanobis").fit(StandardScaler().fit_transform(X), sample_weight=w)
    np.testing.assert_allclose(pipe.decision_function(X),
                               direct.score(StandardScaler().fit(X).transform(X)), rtol=1e-9)
