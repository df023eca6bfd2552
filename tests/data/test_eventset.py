"""EventSet: columns, numpy views, constituents, transforms, round trip."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import DataError


def _toy(n: int = 6) -> EventSet:
    rng = np.random.default_rng(0)
    counts = np.array([3, 0, 2, 1, 4, 2])[:n]
    pt = [sorted(rng.uniform(1, 100, c), reverse=True) for c in counts]
    t = pa.table({
        "label": ["qcd", "qcd", "sig", "qcd", "sig", "ttbar"][:n],
        "is_signal": [False, False, True, False, True, False][:n],
        "weight": [1.0, -0.5, 2.0, 1.0, 1.0, 0.1][:n],
        "mjj": rng.uniform(2000, 4000, n),
        "mj1": rng.uniform(10, 200, n),
        "nconst_j1": counts.astype(float),
        "j1_const_pt": pa.array(pt, pa.list_(pa.float32())),
        "j1_const_eta": pa.array([[0.1] * c for c in counts], pa.list_(pa.float32())),
        "j1_const_phi": pa.array([[0.2] * c for c in counts], pa.list_(pa.float32())),
    })
    return EventSet(t, observables=["mjj"], provenance={"seed": 1})


def test_roles_and_views():
    es = _toy()
    assert es.features == ("mj1", "nconst_j1")
    assert es.observables == ("mjj",)
    assert "j1_const_pt" in es.columns
    assert es.to_numpy().shape == (6, 2)
    assert es.to_numpy(["mjj", "mj1"]).dtype == np.float64
    assert es.classes == ["qcd", "sig", "ttbar"]
    assert es.class_counts() == {"qcd": 3, "sig": 2, "ttbar": 1}
    np.testing.assert_array_equal(es.weights, [1.0, -0.5, 2.0, 1.0, 1.0, 0.1])
    assert es.is_signal.dtype == bool and es.is_signal.sum() == 2


def test_bad_columns():
    with pytest.raises(DataError, match="required column"):
        EventSet(pa.table({"label": ["a"], "weight": [1.0]}))
    es = _toy()
    with pytest.raises(DataError, match="unknown column"):
        es.to_numpy(["nope"])
    with pytest.raises(DataError, match="not a numeric scalar"):
        es.to_numpy(["j1_const_pt"])
    with pytest.raises(DataError, match="list of column names"):
        es.to_numpy("mj1")  # type: ignore[arg-type]


def test_constituents_padding_and_truncation():
    es = _toy()
    arr, mask = es.constituents(1)
    assert arr.shape == (6, 4, 3) and mask.sum() == 12
    assert (arr[1] == 0).all()
    np.testing.assert_allclose(arr[0, :3, 0], es.table.column("j1_const_pt")[0].as_py())
    arr2, mask2 = es.constituents(1, max_particles=2)
    assert arr2.shape == (6, 2, 3) and mask2[4].tolist() == [True, True]
    np.testing.assert_allclose(arr2[4, :, 0], es.table.column("j1_const_pt")[4].as_py()[:2])


def test_select_concat_and_with_columns():
    es = _toy()
    sub = es.with_label("sig")
    assert len(sub) == 2 and sub.is_signal.all()
    both = EventSet.concat([es, sub])
    assert len(both) == 8 and both.features == es.features
    es2 = es.with_columns(score=np.arange(6.0))
    assert "score" in es2.columns and "score" not in es.columns
    with pytest.raises(DataError, match="shape"):
        es.with_columns(score=np.arange(5.0))


def test_write_read_round_trip(tmp_path):
    es = _toy()
    es.write(tmp_path / "d", shard_size=4)
    back = EventSet.read(tmp_path / "d")
    assert back.features == es.features and back.observables == es.observables
    assert back.provenance == {"seed": 1}
    assert back.table.equals(es.table)
    assert len(list((tmp_path / "d").glob("shard-*.parquet"))) == 2
    sub = EventSet.read(tmp_path / "d", columns=["mj1"])
    assert sub.columns == ["label", "is_signal", "weight", "mj1"]
