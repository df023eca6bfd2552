"""PyOD inside sciood: ``make("pyod:<ClassName>")`` on real Pythia events (small_dijet).

The scores must be PyOD's own: the same numbers as fitting PyOD's class directly with the
same parameters and seed on the same array (ECOD / COPOD: as PyOD scores each event in a
batch of its own — PyOD's batch scores are transductive, shown below).
"""

from __future__ import annotations

import importlib.util
import pickle
from pathlib import Path

import numpy as np
import pytest
import sklearn.base

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, available, make, registry
from sciood.detectors import pyod_adapter as adapter
from sciood.errors import ConfigError, MissingDependencyError, UnknownNameError

pyod = pytest.importorskip("pyod")

from pyod.models.copod import COPOD  # noqa: E402
from pyod.models.ecod import ECOD  # noqa: E402
from pyod.models.hbos import HBOS  # noqa: E402
from pyod.models.iforest import IForest  # noqa: E402
from pyod.models.knn import KNN  # noqa: E402
from pyod.models.lof import LOF  # noqa: E402


@pytest.fixture(scope="module")
def arrays(small_dijet: EventSet) -> tuple[np.ndarray, np.ndarray]:
    """(training background ``(300, d)``, every event ``(450, d)``): real high-level features."""
    from sciood.represent import represent

    X = represent(small_dijet, "hlf")
    return X[~small_dijet.is_signal], X


def one_by_one(model: object, X: np.ndarray) -> np.ndarray:
    return np.array([model.decision_function(x[None])[0] for x in X])  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "params", "direct"), [
    ("IForest", {"n_estimators": 40, "seed": 7}, lambda: IForest(n_estimators=40,
                                                                   random_state=7)),
    ("KNN", {"n_neighbors": 7, "method": "mean"}, lambda: KNN(n_neighbors=7, method="mean")),
    ("LOF", {"n_neighbors": 15}, lambda: LOF(n_neighbors=15)),
])
def test_scores_are_pyods_decision_function(name, params, direct, arrays) -> None:
    train, X = arrays
    ours = make(f"pyod:{name}", **params).fit(train).score(X)
    theirs = direct().fit(train).decision_function(X)
    np.testing.assert_array_equal(ours, theirs)
    assert np.std(ours) > 0


@pytest.mark.parametrize(("name", "cls"), [("ECOD", ECOD), ("COPOD", COPOD)])
def test_ecdf_models_score_each_event_as_pyod_scores_it_alone(name, cls, arrays) -> None:
    train, X = arrays
    det = make(f"pyod:{name}").fit(train)
    ours = det.score(X)
    model = cls().fit(train)
    np.testing.assert_allclose(ours, one_by_one(model, X), rtol=1e-12, atol=0)
    # a batch of one event is PyOD's batch call itself
    np.testing.assert_allclose(det.score(X[5:6]), model.decision_function(X[5:6]),
                               rtol=1e-12, atol=0)
    # PyOD's batch scores depend on the batch (ECDF of train ∪ batch) — sciood's do not
    batch = model.decision_function(X)
    assert np.abs(batch - ours).max() > 1e-3
    np.testing.assert_array_equal(det.score(X[:17]), ours[:17])


def test_pyod_parameters_follow_scikit_learn_conventions() -> None:
    det = make("pyod:IForest", n_estimators=30, contamination=0.05)
    params = det.get_params()
    assert params["n_estimators"] == 30 and params["contamination"] == 0.05
    assert params["seed"] == 0 and params["weighting"] == "refuse"
    assert "random_state" not in params  # seed feeds it: one name per concept
    assert set(params) >= {"max_samples", "max_features", "bootstrap", "n_jobs"}
    copy = sklearn.base.clone(det)
    assert type(copy) is type(det) and copy.get_params() == params
    assert det.set_params(n_estimators=10) is det and det.n_estimators == 10
    with pytest.raises(ConfigError, match="no parameter"):
        det.set_params(random_state=3)
    with pytest.raises(ConfigError, match=r"PyOD refuses the parameters: contamination"):
        make("pyod:ECOD", contamination=0.9).fit(np.zeros((10, 2)) + np.arange(10)[:, None])
    with pytest.raises(ConfigError, match=r"has no parameter\(s\) \['n_trees'\]"):
        make("pyod:IForest", n_trees=3)
    assert pickle.loads(pickle.dumps(det)).get_params() == det.get_params()
    # a constructor argument PyOD requires is None until set, and PyOD names it when missing
    from sciood.detectors import check_params

    assert make("pyod:DeepSVDD", n_features=4).get_params()["n_features"] == 4
    check_params("pyod:DeepSVDD", {"n_features": 4})
    with pytest.raises(ConfigError, match="missing 1 required positional argument: 'n_features'"):
        check_params("pyod:DeepSVDD", {})


def test_weights_are_refused_or_resampled_on_request(arrays) -> None:
    train, _ = arrays
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(train))
    with pytest.raises(ConfigError, match=r"pyod:ECOD: PyOD's ECOD.fit takes no per-event "
                                          r"weights.*weighting='resample'"):
        make("pyod:ECOD").fit(train, sample_weight=w)
    # uniform weights (any constant) and None are the unweighted fit
    plain = make("pyod:ECOD").fit(train).score(train)
    np.testing.assert_array_equal(
        make("pyod:ECOD").fit(train, sample_weight=np.full(len(train), 3.0)).score(train), plain)
    resampled = make("pyod:ECOD", weighting="resample", seed=2).fit(train, sample_weight=w)
    assert not np.array_equal(resampled.score(train), plain)
    with pytest.raises(ConfigError, match="weighting must be"):
        make("pyod:ECOD", weighting="ignore").fit(train)


def test_unknown_pyod_name_lists_close_matches() -> None:
    with pytest.raises(UnknownNameError, match=r"did you mean pyod:ECOD.*PyOD's detector "
                                               r"classes are: .*IForest"):
        make("pyod:ECDO")
    with pytest.raises(UnknownNameError, match="did you mean pyod:IForest"):
        make("pyod:iforest")
    with pytest.raises(UnknownNameError):
        make("pyod:BaseDetector")  # a base class is not a detector


def test_missing_pyod_names_the_extra(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyod" else real(name, *a))
    adapter.pyod_models.cache_clear()
    monkeypatch.delitem(registry._LOADED, "pyod:LODA", raising=False)
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'sciood\[pyod\]'"):
            make("pyod:LODA")
    finally:
        adapter.pyod_models.cache_clear()
        registry._LOADED.pop("pyod:LODA", None)


def test_available_lists_the_documented_subset_and_any_class_still_works() -> None:
    listed = [n for n in available() if n.startswith("pyod:")]
    assert listed == list(registry.PYOD_LISTED) == [f"pyod:{n}" for n in adapter.LISTED]
    assert "pyod:LOF" not in available()
    make("pyod:LOF")  # made, still not listed (available() stays what the contract covers)
    assert "pyod:LOF" not in available()
    assert set(adapter.pyod_models()) >= {"ECOD", "IForest", "KNN", "LOF", "AutoEncoder"}


@pytest.mark.parametrize("name", ["ECOD", "COPOD", "IForest", "KNN", "LOF", "GMM"])
def test_save_load_without_pickle(name, arrays, tmp_path: Path) -> None:
    train, X = arrays
    det = make(f"pyod:{name}", seed=1, **({"n_estimators": 20} if name == "IForest" else {}))
    det.fit(train)
    path = det.save(tmp_path / name)
    files = sorted(p.name for p in path.iterdir())
    expected = ["arrays.safetensors", "meta.json"]
    skops = {"IForest": "iforest.skops", "GMM": "gmm.skops"}
    assert files == (sorted([*expected, skops[name]]) if name in skops else expected)
    loaded = Detector.load(path)
    assert type(loaded) is type(det) and loaded.get_params() == det.get_params()
    np.testing.assert_array_equal(loaded.score(X), det.score(X))
    # PyOD's own fitted attributes come back too
    np.testing.assert_array_equal(loaded._model.decision_scores_, det._model.decision_scores_)
    assert loaded._model.threshold_ == det._model.threshold_


def test_hbos_scores_and_state_are_pyods(arrays, tmp_path: Path) -> None:
    """HBOS: not listed (its numba code compiles for seconds on the first fit), but saveable."""
    train, X = arrays
    det = make("pyod:HBOS", n_bins=12).fit(train)
    np.testing.assert_array_equal(det.score(X), HBOS(n_bins=12).fit(train).decision_function(X))
    loaded = Detector.load(det.save(tmp_path / "hbos"))
    np.testing.assert_array_equal(loaded.score(X), det.score(X))


def test_save_is_refused_where_the_state_is_not_arrays(arrays, tmp_path: Path) -> None:
    train, _ = arrays
    det = make("pyod:OCSVM").fit(train)
    with pytest.raises(ConfigError, match=r"pyod:OCSVM cannot be saved without pickle: .*"
                                          r"detector_ \(sklearn.svm._classes.OneClassSVM\)"):
        det.save(tmp_path / "ocsvm")
    assert not (tmp_path / "ocsvm" / "meta.json").exists()


def test_tampered_state_is_refused(arrays, tmp_path: Path) -> None:
    import json

    from sciood.errors import CorruptDataError

    train, _ = arrays
    path = make("pyod:ECOD").fit(train).save(tmp_path / "m")
    meta = json.loads((path / "meta.json").read_text())
    meta["state"]["model"]["scalars"]["__class__"] = {"value": 1, "dtype": None}
    (path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(CorruptDataError, match="not a plain identifier"):
        Detector.load(path)


def test_a_run_config_accepts_any_pyod_class() -> None:
    from sciood.config.detectors import DetectorSpec

    spec = DetectorSpec(name="pyod:LOF", params={"n_neighbors": 5})
    assert spec.key == "pyod-LOF"  # the label names a directory: no ':'
    with pytest.raises(ValueError, match="did you mean pyod:LOF"):
        DetectorSpec(name="pyod:LOFF")
    with pytest.raises(ValueError, match="contamination must be in"):
        DetectorSpec(name="pyod:ECOD", params={"contamination": 0.7})
