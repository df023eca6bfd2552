"""score_store: shard-by-shard scoring of a real generated store into a row-aligned score store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sciood
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.errors import ConfigError, CorruptDataError, NotFittedError
from sciood.scoring import needed_columns, score_events, score_store

COLS = ["mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real generated store: 3 shards, per-shard weight_scale in the manifest."""
    out = tmp_path_factory.mktemp("gen") / "wz"
    sciood.generate("wprime_wz", 60, seed=3, out=out, shard_size=20, mpi=False)
    return out


def test_scores_aligned_with_the_store_and_equal_to_whole_set_scoring(store: Path,
                                                                      tmp_path: Path) -> None:
    es = EventSet.read(store)
    det = make("ae", epochs=2, seed=1, features="physics").fit(es)
    out = score_store(det, store, tmp_path / "s", batch_size=7)
    scores = EventSet.read(out)
    assert len(scores) == len(es) == 60
    assert scores.columns == ["label", "is_signal", "weight", "mjj", "score"]
    np.testing.assert_array_equal(scores.labels, es.labels)
    np.testing.assert_array_equal(scores.weights, es.weights)  # weight_scale applied
    np.testing.assert_array_equal(scores.column("mjj"), es.column("mjj"))
    # bit-identical to whole-set scoring, at any batch size, without pinning thread counts
    whole = det.score(es)
    np.testing.assert_array_equal(scores.column("score"), whole)
    for size in (1, 13, 5000):
        np.testing.assert_array_equal(score_events(det, es, batch_size=size)["score"], whole)
    man = json.loads((out / "manifest.json").read_text())
    assert [s["file"] for s in man["shards"]] == [f"scores-{i:05d}.parquet" for i in range(3)]
    prov = man["provenance"]
    assert prov["kind"] == "scores" and prov["detector"] == "ae" and prov["batch_size"] == 7
    assert prov["source"] == str(store.resolve())
    # a saved model directory scores identically
    det.save(tmp_path / "model")
    again = score_store(tmp_path / "model", store, tmp_path / "s2", batch_size=7)
    assert [s["sha256"] for s in json.loads((again / "manifest.json").read_text())["shards"]] \
        == [s["sha256"] for s in man["shards"]]


def test_column_representation_and_uncertainty(store: Path, tmp_path: Path) -> None:
    es = EventSet.read(store)
    X = es.to_numpy(COLS)
    det = make("ensemble", base="mahalanobis", n=3, seed=0).fit(X)
    out = score_store(det, store, tmp_path / "s", representation=COLS, batch_size=50)
    scores = EventSet.read(out)
    mean, std = det.score_with_uncertainty(X)
    np.testing.assert_allclose(scores.column("score"), mean, rtol=1e-12)
    np.testing.assert_allclose(scores.column("score_std"), std, rtol=1e-12)
    assert scores.features == ("score", "score_std")


@pytest.mark.parametrize("name", ["iforest", "flow", "svdd", "gmm", "knn"])
def test_batches_do_not_change_scores(store: Path, tmp_path: Path, name: str) -> None:
    es = EventSet.read(store)
    params = {"flow": {"epochs": 1, "transforms": 2, "hidden": [16, 16]},
              "svdd": {"epochs": 1}, "iforest": {"n_estimators": 20},
              "gmm": {"n_components": 2}}.get(name, {})
    det = make(name, seed=0, features="physics", **params).fit(es)
    one = score_events(det, es, batch_size=1)["score"]
    np.testing.assert_array_equal(one, score_events(det, es, batch_size=1000)["score"])
    np.testing.assert_array_equal(one, det.score(es))
    # shard boundaries (6 shards of 10) do not matter either
    es.write(tmp_path / "small-shards", shard_size=10)
    out = score_store(det, tmp_path / "small-shards", tmp_path / "s", batch_size=3)
    np.testing.assert_array_equal(EventSet.read(out).column("score"), one)


def test_rerun_replaces_a_larger_earlier_output(store: Path, tmp_path: Path) -> None:
    es = EventSet.read(store)
    det = make("mahalanobis", seed=0, features="physics").fit(es)
    big = tmp_path / "big"
    es.write(big, shard_size=10)  # 6 shards
    out = tmp_path / "s"
    score_store(det, big, out)
    assert len(list(out.glob("scores-*.parquet"))) == 6
    score_store(det, store, out)
    assert len(list(out.glob("scores-*.parquet"))) == 3
    assert len(EventSet.read(out)) == 60


def test_errors(store: Path, tmp_path: Path) -> None:
    det = make("mahalanobis", seed=0, features="physics")
    with pytest.raises(NotFittedError):
        score_store(det, store, tmp_path / "s")
    det.fit(EventSet.read(store))
    with pytest.raises(ConfigError, match="batch_size"):
        score_store(det, store, tmp_path / "s", batch_size=0)
    with pytest.raises(ConfigError, match="out must differ"):
        score_store(det, store, store)
    with pytest.raises(ConfigError, match="fitted sciood Detector"):
        score_store(42, store, tmp_path / "s")  # type: ignore[arg-type]
    with pytest.raises(CorruptDataError, match="does not exist"):
        score_store(det, tmp_path / "missing", tmp_path / "s")


def test_only_the_needed_columns_are_read() -> None:
    base = ["label", "is_signal", "weight", "mjj"]
    det = make("flow", features="physics")
    assert needed_columns(det, "features", ["mjj"]) == [*base, *COLS]
    ens = make("ensemble", base="ae", n=2, features=["mj1", "mj2"])
    assert needed_columns(ens, "features", ["mjj"]) == [*base, "mj1", "mj2"]
    assert needed_columns(make("iforest"), ["tau21_j1"], ["mjj"]) == [*base, "tau21_j1"]
    assert needed_columns(make("set_ae"), "features", ["mjj"]) is None  # constituents
    assert needed_columns(make("per_jet"), "features", ["mjj"]) is None  # own builder
    assert needed_columns(make("ae"), "jets", ["mjj"]) is None
