"""Hostile model directories: hand-edited meta.json, parts that escape the directory,
unlisted parts, tampered arrays and skops files whose trees are corrupt.

Every hostile file is written by the real writers (json, safetensors, skops.io) after
corrupting the real fitted estimator, then *re-signed* (meta.json's SHA-256 updated) so
that only the structural check can refuse it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import skops.io as sio
from safetensors.numpy import load_file, save_file

from sciood.detectors import Detector, make
from sciood.detectors.sklearn_parts import TRUSTED_SKOPS_TYPES
from sciood.errors import CorruptDataError
from sciood.io import sha256_file

X = np.random.default_rng(0).normal(size=(300, 3))
MJJ = np.random.default_rng(1).uniform(2900.0, 4300.0, 300)


def hostile(outcome: str = "error") -> pytest.MarkDecorator:
    return pytest.mark.hostile("model-files", outcome)


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One saved model per kind of part (fitted once per module)."""
    root = tmp_path_factory.mktemp("models")
    out = {}
    out["iforest"] = make("iforest", n_estimators=4, seed=0).fit(X).save(root / "iforest")
    out["gmm"] = make("gmm", n_components=2, seed=0).fit(X).save(root / "gmm")
    out["mahalanobis"] = make("mahalanobis").fit(X).save(root / "mahalanobis")
    out["ae"] = make("ae", epochs=1, hidden=[8]).fit(X).save(root / "ae")
    out["cwola"] = make("cwola", members=1, sideband_width=None, seed=0).fit(
        X, observable=MJJ).save(root / "cwola")
    return out


@pytest.fixture
def model(templates: dict[str, Path], tmp_path: Path) -> Callable[[str], Path]:
    """``model(kind)``: a fresh copy of a saved model directory to corrupt."""

    def copy(kind: str) -> Path:
        dst = tmp_path / kind
        shutil.copytree(templates[kind], dst)
        return dst

    return copy


def read_meta(d: Path) -> dict[str, Any]:
    return json.loads((d / "meta.json").read_text())


def write_meta(d: Path, meta: Any) -> None:
    (d / "meta.json").write_text(json.dumps(meta))


def resign(d: Path) -> None:
    """Record the current SHA-256 of every listed part (so only structure checks remain)."""
    meta = read_meta(d)
    meta["parts"] = {f: sha256_file(d / f) for f in meta["parts"]}
    write_meta(d, meta)


def load_sk(path: Path) -> Any:
    return sio.load(path, trusted=list(TRUSTED_SKOPS_TYPES))


def corrupt_tree(d: Path, edit: Callable[[dict[str, Any]], None], tree: int = 0) -> None:
    """Edit the node array of one tree of the saved IsolationForest, dump it with skops."""
    forest = load_sk(d / "iforest.skops")
    t = forest.estimators_[tree].tree_
    state = t.__getstate__()
    state["nodes"] = state["nodes"].copy()
    edit(state)
    t.__setstate__(state)
    sio.dump(forest, d / "iforest.skops")
    resign(d)


def internal(nodes: np.ndarray) -> np.ndarray:
    return nodes["left_child"] != -1


# ---------------------------------------------------------------------------- the crash
def test_unchecked_corrupt_tree_segfaults_scikit_learn(model: Callable[[str], Path]) -> None:
    """The threat: scikit-learn itself follows a child index of 2**40 and crashes the
    interpreter (run in a subprocess so the test process survives)."""
    d = model("iforest")

    def far(state: dict[str, Any]) -> None:
        n = state["nodes"]
        n["left_child"][internal(n)] = 2**40
        n["right_child"][internal(n)] = 2**40

    corrupt_tree(d, far)
    code = ("import numpy as np, skops.io as sio, sys\n"
            f"m = sio.load({str(d / 'iforest.skops')!r}, trusted={list(TRUSTED_SKOPS_TYPES)!r})\n"
            "m.score_samples(np.zeros((50, 3)))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120)
    assert proc.returncode < 0 or proc.returncode == 139  # killed by SIGSEGV


# ---------------------------------------------------------------------------- hostile skops
def _far_children(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["left_child"][internal(n)] = 2**40
    n["right_child"][internal(n)] = 2**40


def _cycle(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["left_child"][0] = 0  # the root is its own child: apply() would never stop


def _negative_child(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["right_child"][0] = -7


def _one_child(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["right_child"][0] = -1


def _bad_feature(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["feature"][internal(n)] = 99


def _nan_threshold(state: dict[str, Any]) -> None:
    n = state["nodes"]
    n["threshold"][0] = np.nan


@pytest.mark.parametrize("edit,match", [
    pytest.param(_far_children, r"child index is outside", id="tree-child-2**40",
                 marks=hostile()),
    pytest.param(_cycle, r"not after its parent", id="tree-cycle", marks=hostile()),
    pytest.param(_negative_child, r"child index is outside", id="tree-child-negative",
                 marks=hostile()),
    pytest.param(_one_child, r"exactly one child", id="tree-one-child", marks=hostile()),
    pytest.param(_bad_feature, r"split feature index is outside \[0, 3\)",
                 id="tree-feature-99", marks=hostile()),
    pytest.param(_nan_threshold, r"threshold contains NaN", id="tree-nan-threshold",
                 marks=hostile()),
])
def test_corrupt_isolation_forest_tree_is_refused(
        model: Callable[[str], Path], edit: Callable[[dict[str, Any]], None], match: str
) -> None:
    d = model("iforest")
    corrupt_tree(d, edit, tree=1)
    with pytest.raises(CorruptDataError, match=rf"iforest\.skops.*corrupt estimator: .*{match}"
                       r".*refit and save the model again"):
        Detector.load(d)


@hostile()
def test_forest_feature_subset_out_of_range_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    forest = load_sk(d / "iforest.skops")
    forest.estimators_features_[2] = np.array([0, 1, 1 << 33])
    sio.dump(forest, d / "iforest.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"member 2 feature indices .* do not fit 3"):
        Detector.load(d)


@hostile()
def test_forest_path_length_table_too_short_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    forest = load_sk(d / "iforest.skops")
    lengths = list(forest._decision_path_lengths)
    lengths[0] = lengths[0][:2]
    forest._decision_path_lengths = lengths
    sio.dump(forest, d / "iforest.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"decision path lengths of tree 0 .*shape"):
        Detector.load(d)


@hostile()
def test_gmm_means_of_wrong_shape_are_refused(model: Callable[[str], Path]) -> None:
    d = model("gmm")
    gmm = load_sk(d / "gmm.skops")
    gmm.means_ = np.zeros((2, 4))
    sio.dump(gmm, d / "gmm.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"gmm\.skops.*means_ has .*shape \(2, 4\)"):
        Detector.load(d)


@hostile()
def test_gmm_nan_precision_is_refused(model: Callable[[str], Path]) -> None:
    d = model("gmm")
    gmm = load_sk(d / "gmm.skops")
    gmm.precisions_cholesky_[0, 0, 0] = np.nan
    sio.dump(gmm, d / "gmm.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"precisions_cholesky_ contains NaN"):
        Detector.load(d)


@hostile()
def test_boosted_tree_child_out_of_bounds_is_refused(model: Callable[[str], Path]) -> None:
    d = model("cwola")
    hgb = load_sk(d / "hgb0.skops")
    nodes = hgb._predictors[0][0].nodes
    nodes["right"][~nodes["is_leaf"].astype(bool)] = 2**31
    sio.dump(hgb, d / "hgb0.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"hgb0\.skops.*iteration 0: a right child"):
        Detector.load(d)


@hostile()
def test_boosted_tree_feature_out_of_bounds_is_refused(model: Callable[[str], Path]) -> None:
    d = model("cwola")
    hgb = load_sk(d / "hgb0.skops")
    nodes = hgb._predictors[-1][0].nodes
    nodes["feature_idx"][~nodes["is_leaf"].astype(bool)] = 1000
    sio.dump(hgb, d / "hgb0.skops")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"split feature index is outside \[0, 3\)"):
        Detector.load(d)


@hostile()
def test_trusted_but_unexpected_estimator_is_refused(model: Callable[[str], Path]) -> None:
    """A default-trusted scikit-learn type (a Pipeline) in place of the IsolationForest."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    d = model("iforest")
    sio.dump(make_pipeline(StandardScaler()).fit(X), d / "iforest.skops")
    resign(d)
    with pytest.raises(CorruptDataError,
                       match=r"holds a sklearn\.pipeline\.Pipeline, expected .*IsolationForest"):
        Detector.load(d)


@hostile()
def test_garbage_skops_file_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    (d / "iforest.skops").write_bytes(b"PK\x03\x04 not really a zip archive")
    resign(d)
    with pytest.raises(CorruptDataError, match=r"iforest\.skops' is not a readable skops file"):
        Detector.load(d)


@hostile()
def test_modified_skops_part_fails_its_checksum(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    sio.dump(make("iforest", n_estimators=2, seed=1).fit(X)._model, d / "iforest.skops")
    with pytest.raises(CorruptDataError, match=r"iforest\.skops.*SHA-256.*refusing to load"):
        Detector.load(d)


# ---------------------------------------------------------------------------- confinement
@hostile()
def test_part_with_parent_traversal_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    outside = d.parent / "outside.skops"
    shutil.copy(d / "iforest.skops", outside)
    meta = read_meta(d)
    meta["parts"]["../outside.skops"] = sha256_file(outside)
    write_meta(d, meta)
    with pytest.raises(CorruptDataError, match=r"'\.\./outside\.skops', which is not a plain "
                       r"file name .*outside the model directory"):
        Detector.load(d)


@hostile()
def test_part_with_absolute_path_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    meta = read_meta(d)
    absolute = str((d / "iforest.skops").resolve())
    meta["parts"][absolute] = meta["parts"].pop("iforest.skops")
    write_meta(d, meta)
    with pytest.raises(CorruptDataError, match=r"not a plain file name"):
        Detector.load(d)


@hostile()
def test_part_symlinked_out_of_the_directory_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    outside = d.parent / "elsewhere.skops"
    shutil.move(d / "iforest.skops", outside)
    os.symlink(outside, d / "iforest.skops")
    resign(d)  # the hash matches: only the link check can refuse it
    with pytest.raises(CorruptDataError, match=r"'iforest\.skops'.*is a symbolic link"):
        Detector.load(d)


@hostile()
def test_arrays_part_symlinked_is_refused(model: Callable[[str], Path]) -> None:
    d = model("mahalanobis")
    outside = d.parent / "arrays-elsewhere.safetensors"
    shutil.move(d / "arrays.safetensors", outside)
    os.symlink(outside, d / "arrays.safetensors")
    with pytest.raises(CorruptDataError, match=r"'arrays\.safetensors'.*is a symbolic link"):
        Detector.load(d)


@hostile()
def test_meta_json_symlink_is_refused(model: Callable[[str], Path]) -> None:
    d = model("mahalanobis")
    shutil.move(d / "meta.json", d.parent / "meta-elsewhere.json")
    os.symlink(d.parent / "meta-elsewhere.json", d / "meta.json")
    with pytest.raises(CorruptDataError, match=r"meta\.json is a symbolic link"):
        Detector.load(d)


@hostile()
def test_part_on_disk_but_not_listed_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    shutil.copy(d / "iforest.skops", d / "base.iforest.skops")
    with pytest.raises(CorruptDataError, match=r"\['base\.iforest\.skops'\] that meta\.json "
                       r"does not list.*remove them"):
        Detector.load(d)


@hostile()
def test_arrays_part_dropped_from_the_list_is_refused(model: Callable[[str], Path]) -> None:
    """Before: arrays.safetensors was loaded whether listed or not — i.e. unverified."""
    d = model("mahalanobis")
    meta = read_meta(d)
    del meta["parts"]["arrays.safetensors"]
    write_meta(d, meta)
    with pytest.raises(CorruptDataError, match=r"does not list 'arrays\.safetensors'"):
        Detector.load(d)


@hostile()
def test_missing_arrays_file_is_refused(model: Callable[[str], Path]) -> None:
    d = model("mahalanobis")
    (d / "arrays.safetensors").unlink()
    with pytest.raises(CorruptDataError, match=r"'arrays\.safetensors' is missing"):
        Detector.load(d)


# ---------------------------------------------------------------------------- meta.json edits
def _drop(key: str) -> Callable[[dict[str, Any]], Any]:
    def edit(meta: dict[str, Any]) -> Any:
        del meta[key]
        return meta
    return edit


def _set(path: tuple[str, ...], value: Any) -> Callable[[dict[str, Any]], Any]:
    def edit(meta: dict[str, Any]) -> Any:
        node = meta
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
        return meta
    return edit


META_CASES = [
    pytest.param(_drop("parts"), r"key 'parts': Field required", id="missing-parts"),
    pytest.param(_drop("params"), r"key 'params': Field required", id="missing-params"),
    pytest.param(_drop("state"), r"key 'state': Field required", id="missing-state"),
    pytest.param(_drop("detector"), r"key 'detector': Field required", id="missing-detector"),
    pytest.param(_drop("format"), r"format None; this sciood reads 'sciood-detector/1'",
                 id="missing-format"),
    pytest.param(_set(("format",), "sciood-detector/2"),
                 r"format 'sciood-detector/2'.*refit and save the model with this version",
                 id="future-format"),
    pytest.param(_set(("params",), [4, 0]), r"key 'params': Input should be a valid "
                 r"dictionary", id="params-a-list"),
    pytest.param(_set(("parts",), "iforest.skops"), r"key 'parts': Input should be a valid "
                 r"dictionary", id="parts-a-string"),
    pytest.param(_set(("parts", "iforest.skops"), 12345), r"key 'parts\.iforest\.skops': "
                 r"Input should be a valid string", id="digest-an-int"),
    pytest.param(_set(("parts", "iforest.skops"), "abc"), r"SHA-256 'abc', not 64 hex",
                 id="digest-not-hex"),
    pytest.param(_set(("detector",), "xgboost"), r"names detector 'xgboost', which this "
                 r"sciood does not have", id="unknown-detector"),
    pytest.param(_set(("detector",), "gmm"), r"key 'params': detector 'gmm' has no "
                 r"parameter\(s\) \['max_samples', 'n_estimators'\]", id="other-detector"),
    pytest.param(_set(("detector",), 7), r"key 'detector': Input should be a valid string",
                 id="detector-an-int"),
    pytest.param(_set(("params", "n_estimators"), "many"), r"key 'params': iforest: "
                 r"n_estimators must be an integer, got 'many'", id="param-wrong-type"),
    pytest.param(_set(("params", "n_estimators"), 0), r"n_estimators must be >= 1, got 0",
                 id="param-out-of-range"),
    pytest.param(_set(("params", "depth"), 3), r"has no parameter\(s\) \['depth'\]",
                 id="param-unknown"),
    pytest.param(_set(("extra",), 1), r"key 'extra': Extra inputs are not permitted",
                 id="unknown-top-level-key"),
    pytest.param(_set(("state", "input_shape"), "3"), r"key 'input_shape': Input should be "
                 r"a valid list", id="input-shape-a-string"),
    pytest.param(_set(("state", "input_shape"), [-3]), r"key 'input_shape\.0': Input should "
                 r"be greater than 0", id="input-shape-negative"),
    pytest.param(_set(("state", "input_shape"), [5]), r"X has per-event shape \(5,\) but .*"
                 r"fitted on|scaler array 'mean' is \(3,\), expected \(5,\)",
                 id="input-shape-inconsistent"),
    pytest.param(_set(("state", "model"), []), r"key 'model': Input should be a valid "
                 r"dictionary", id="state-model-a-list"),
    pytest.param(lambda meta: [meta], r"must hold a JSON object, got list", id="meta-a-list"),
]


@pytest.mark.parametrize("edit,match", [
    pytest.param(*p.values, id=p.id, marks=hostile()) for p in META_CASES])
def test_hand_edited_meta_json_is_refused(
        model: Callable[[str], Path], edit: Callable[[dict[str, Any]], Any], match: str
) -> None:
    d = model("iforest")
    write_meta(d, edit(read_meta(d)))
    with pytest.raises(CorruptDataError, match=match):
        Detector.load(d)


@hostile()
def test_meta_json_that_is_not_utf8_is_refused(model: Callable[[str], Path]) -> None:
    d = model("iforest")
    (d / "meta.json").write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(CorruptDataError, match=r"meta\.json is not valid JSON.*refit"):
        Detector.load(d)


@hostile()
def test_params_inconsistent_with_saved_torch_weights_are_refused(
        model: Callable[[str], Path]) -> None:
    d = model("ae")
    write_meta(d, _set(("params", "hidden"), [16])(read_meta(d)))
    with pytest.raises(CorruptDataError, match=r"saved state in .* does not fit a 'ae' "
                       r"detector \(RuntimeError: .*size mismatch"):
        Detector.load(d)


# ---------------------------------------------------------------------------- arrays edits
def rewrite_arrays(d: Path, edit: Callable[[dict[str, np.ndarray]], None]) -> None:
    arrays = load_file(str(d / "arrays.safetensors"))
    edit(arrays)
    save_file(arrays, str(d / "arrays.safetensors"))
    resign(d)


@pytest.mark.parametrize("edit,match", [
    pytest.param(lambda a: a.update({"scaler.mean": np.zeros(4)}),
                 r"scaler array 'mean' is \(4,\), expected \(3,\)", id="scaler-wrong-shape",
                 marks=hostile()),
    pytest.param(lambda a: a.update({"scaler.scale": np.ones(3, dtype=np.int64)}),
                 r"scaler array 'scale' .*expected \(3,\) floats", id="scaler-int-dtype",
                 marks=hostile()),
    pytest.param(lambda a: a.update({"scaler.scale": -np.ones(3)}),
                 r"'scale' has entries <= 0", id="scaler-negative-scale", marks=hostile()),
    pytest.param(lambda a: a.update({"model.precision": np.full((3, 3), np.nan)}),
                 r"'model\.precision' .*contains NaN or Inf", id="array-nan", marks=hostile()),
    pytest.param(lambda a: a.update({"model.mean": np.zeros(5)}),
                 r"does not fit a 'mahalanobis' detector \(ValueError", id="model-wrong-shape",
                 marks=hostile()),
    pytest.param(lambda a: a.pop("model.precision"),
                 r"does not fit a 'mahalanobis' detector \(KeyError: 'precision'",
                 id="model-array-missing", marks=hostile()),
])
def test_tampered_arrays_are_refused(model: Callable[[str], Path],
                                     edit: Callable[[dict[str, np.ndarray]], None],
                                     match: str) -> None:
    d = model("mahalanobis")
    rewrite_arrays(d, edit)
    with pytest.raises(CorruptDataError, match=match):
        Detector.load(d)


@hostile()
def test_arrays_file_that_is_not_safetensors_is_refused(model: Callable[[str], Path]) -> None:
    d = model("mahalanobis")
    (d / "arrays.safetensors").write_bytes(b"\xff" * 64)
    resign(d)
    with pytest.raises(CorruptDataError, match=r"not a readable safetensors file"):
        Detector.load(d)


# ---------------------------------------------------------------------------- legal input
@pytest.mark.parametrize("kind", [
    pytest.param(k, id=k, marks=hostile("correct"))
    for k in ("iforest", "gmm", "mahalanobis", "ae", "cwola")])
def test_genuine_models_still_load_and_score_identically(
        templates: dict[str, Path], kind: str) -> None:
    """The checks refuse no file sciood wrote (each part type: forest, mixture, boosted
    trees, arrays, torch weights)."""
    a, b = Detector.load(templates[kind]), Detector.load(templates[kind])
    np.testing.assert_array_equal(a.score(X), b.score(X))
    assert np.isfinite(a.score(X)).all()


@hostile("correct")
def test_resaving_another_detector_into_the_same_directory(tmp_path: Path) -> None:
    """The second save removes the first model's now-unlisted part, so the directory loads."""
    make("iforest", n_estimators=3).fit(X).save(tmp_path / "m")
    knn = make("knn", k=3).fit(X)
    knn.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "arrays.safetensors", "meta.json"]
    np.testing.assert_array_equal(Detector.load(tmp_path / "m").score(X), knn.score(X))


@hostile()
def test_hand_edited_ensemble_member_params_are_refused(tmp_path: Path) -> None:
    """The members' parameters live inside 'state': they pass the same check."""
    make("ensemble", base="knn", n=2, k=3).fit(X).save(tmp_path / "e")
    meta = read_meta(tmp_path / "e")
    meta["state"]["model"]["members"][1]["params"]["k"] = "three"
    write_meta(tmp_path / "e", meta)
    with pytest.raises(CorruptDataError, match=r"does not fit a 'ensemble' detector "
                       r"\(ConfigError: knn: k must be an integer, got 'three'"):
        Detector.load(tmp_path / "e")


@hostile()
def test_model_whose_extra_is_not_installed_names_the_extra(templates: dict[str, Path]) -> None:
    """A genuine ``ae`` model loaded where torch is missing: not "corrupt", not "unknown
    detector", but the extra to install (torch made missing by an import hook)."""
    code = f"""
import sys

class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

sys.meta_path.insert(0, NotInstalled())
from sciood.detectors import load
from sciood.errors import CorruptDataError, MissingDependencyError
try:
    load({str(templates["ae"])!r})
except CorruptDataError as exc:
    raise SystemExit(f"corrupt: {{exc}}")
except MissingDependencyError as exc:
    print(exc)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "detector 'ae' needs the optional dependency 'torch'" in proc.stdout
    assert "pip install 'sciood[ml]'" in proc.stdout
