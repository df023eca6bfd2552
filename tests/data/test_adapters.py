"""read_table: the same table written in every supported format reads back identically."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import h5py
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import uproot

from sciood.data.adapters import FORMATS, build_eventset, read_table
from sciood.data.adapters.assemble import label_strings
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, CorruptDataError, DataError, UnknownNameError

N = 50


def _columns(seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "y": np.arange(N) % 3,                       # class 0, 1, 2
        "w": rng.normal(1.0, 0.8, N),                # some negative weights
        "energy": rng.uniform(10, 100, N),
        "f0": rng.normal(size=N),
        "f1": rng.integers(0, 5, N).astype(np.int64),
    }


def _write(fmt: str, path: Path, cols: dict[str, np.ndarray]) -> Path:
    if fmt == "csv":
        out = path / "t.csv"
        pacsv.write_csv(pa.table(cols), out)
    elif fmt == "parquet":
        out = path / "t.parquet"
        pq.write_table(pa.table(cols), out)
    elif fmt == "npz":
        out = path / "t.npz"
        np.savez(out, **cols)
    elif fmt == "npy":
        out = path / "t.npy"
        rec = np.zeros(N, dtype=[(k, v.dtype) for k, v in cols.items()])
        for k, v in cols.items():
            rec[k] = v
        np.save(out, rec)
    elif fmt == "hdf5":
        out = path / "t.h5"
        with h5py.File(out, "w") as f:
            for k, v in cols.items():
                f[k] = v
    elif fmt == "root":
        out = path / "t.root"
        with uproot.recreate(out) as f:
            f.mktree("events", {k: v.dtype for k, v in cols.items()})
            f["events"].extend(cols)
    else:
        raise AssertionError(fmt)
    return out


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reads_the_same_events(tmp_path: Path, fmt: str) -> None:
    cols = _columns()
    path = _write(fmt, tmp_path, cols)
    es = read_table(path, label="y", weight="w", observables=["energy"],
                    label_names={0: "bkg_a", 1: "bkg_b", 2: "sig"}, signal_labels=["sig"])
    assert es.provenance["format"] == fmt
    assert es.features == ("f0", "f1")
    assert es.observables == ("energy",)
    np.testing.assert_array_equal(es.labels, np.array(["bkg_a", "bkg_b", "sig"])[cols["y"]])
    np.testing.assert_array_equal(es.is_signal, cols["y"] == 2)
    np.testing.assert_allclose(es.weights, cols["w"], rtol=1e-15)
    np.testing.assert_allclose(es.to_numpy(), np.column_stack([cols["f0"], cols["f1"]]),
                               rtol=1e-15)
    np.testing.assert_allclose(es.column("energy"), cols["energy"], rtol=1e-15)


def test_roundtrip_through_the_sciood_store(tmp_path: Path) -> None:
    path = _write("parquet", tmp_path, _columns())
    es = read_table(path, label="y", weight="w", observables=["energy"], signal_labels=[2])
    back = EventSet.read(es.write(tmp_path / "ds"))
    assert back.features == es.features and back.observables == ("energy",)
    np.testing.assert_array_equal(back.to_numpy(), es.to_numpy())
    assert back.provenance["adapter"] == "read_table"
    assert back.class_counts() == {"0": 17, "1": 17, "2": 16}


def test_string_labels_and_is_signal_column_from_csv(tmp_path: Path) -> None:
    p = tmp_path / "spectra.csv"
    p.write_text("kind,flag,peak,width,detector\n"
                 "star,0,1.5,0.2,A\nquasar,1,2.5,0.3,B\nstar,false,1.7,0.1,A\n")
    es = read_table(p, label="kind", is_signal="flag", observables=["peak"])
    assert es.labels.tolist() == ["star", "quasar", "star"]
    assert es.is_signal.tolist() == [False, True, False]
    assert es.features == ("width",)  # the string column is skipped, not an error
    assert np.all(es.weights == 1.0)
    with pytest.raises(DataError, match=r"'detector'.*not numeric"):
        read_table(p, label="kind", features=["width", "detector"])
    with pytest.raises(ConfigError, match="not both"):
        read_table(p, label="kind", is_signal="flag", signal_labels=["quasar"])


def test_headerless_csv_and_plain_npy_take_column_names(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    arr = np.column_stack([rng.integers(0, 2, 10), rng.normal(size=(10, 3))])
    np.save(tmp_path / "a.npy", arr)
    es = read_table(tmp_path / "a.npy", label="x0", signal_labels=[1])
    assert es.features == ("x1", "x2", "x3")
    np.testing.assert_array_equal(es.is_signal, arr[:, 0] == 1)
    named = read_table(tmp_path / "a.npy", column_names=["cls", "a", "b", "c"], label="cls")
    assert named.features == ("a", "b", "c")
    pacsv.write_csv(pa.table({"c0": arr[:, 0], "c1": arr[:, 1]}), tmp_path / "h.csv",
                    pacsv.WriteOptions(include_header=False))
    es = read_table(tmp_path / "h.csv", column_names=["lab", "v"], label="lab")
    np.testing.assert_allclose(es.column("v"), arr[:, 1])
    with pytest.raises(DataError, match="column_names has 2 names"):
        read_table(tmp_path / "a.npy", column_names=["a", "b"])


def test_images_in_npz_become_flat_features(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    images = rng.random((6, 4, 4))
    np.savez(tmp_path / "img.npz", image=images, y=np.array([0, 0, 0, 1, 1, 0]))
    es = read_table(tmp_path / "img.npz", label="y", signal_labels=[1])
    assert len(es.features) == 16 and es.features[0] == "image_0"
    np.testing.assert_array_equal(es.to_numpy(), images.reshape(6, 16))


def test_pandas_style_hdf5_via_read_table() -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "adapters" / "lhco_features_pandas.h5"
    es = read_table(fixture, label="label", observables=["mj1"], features=["pxj1", "tau2j2"],
                    signal_labels=[1])
    assert es.features == ("pxj1", "tau2j2") and len(es) == 8
    np.testing.assert_array_equal(es.is_signal, np.arange(8) % 3 == 0)


def test_root_tree_choice_and_jagged_branches(tmp_path: Path) -> None:
    p = tmp_path / "multi.root"
    with uproot.recreate(p) as f:
        f.mktree("sig", {"m": "float64", "hits": "var * float64", "cls": "int32"})
        f["sig"].extend({"m": np.array([1.0, 2.0, 3.0]), "cls": np.array([0, 1, 1], np.int32),
                         "hits": ak.Array([[1.0], [2.0, 3.0], []])})
        f.mktree("other", {"b": "int64"})
        f["other"].extend({"b": np.arange(3)})
    with pytest.raises(DataError, match=r"holds trees \['other', 'sig'\]; pass tree="):
        read_table(p, label="cls")
    with pytest.raises(DataError, match=r"tree 'nope' not in .* available trees"):
        read_table(p, tree="nope")
    es = read_table(p, tree="sig", label="cls", observables=["m"], signal_labels=[1])
    assert es.features == ("nhits",)  # uproot's counter branch; the jagged one is skipped
    assert es.is_signal.tolist() == [False, True, True]
    with pytest.raises(DataError, match=r"\['hits'\].*not flat"):
        read_table(p, tree="sig", label="cls", features=["hits"])


def test_max_events_and_nan_policy(tmp_path: Path) -> None:
    cols = _columns()
    cols["f0"][[3, 7]] = np.nan
    path = _write("parquet", tmp_path, cols)
    with pytest.raises(DataError, match=r"2 events .* NaN/inf in \['f0'\].*nan_policy='drop'"):
        read_table(path, label="y", weight="w")
    es = read_table(path, label="y", weight="w", nan_policy="drop")
    assert len(es) == N - 2 and es.provenance["n_dropped_nan"] == 2
    np.testing.assert_allclose(es.weights, np.delete(cols["w"], [3, 7]))
    assert len(read_table(path, label="y", weight="w", max_events=3)) == 3


# ---------------------------------------------------------------- bad input


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(CorruptDataError, match="does not exist"):
        read_table(tmp_path / "nope.csv")
    (tmp_path / "x.xlsx").write_text("")
    with pytest.raises(UnknownNameError, match="csv, hdf5, npy, npz, parquet, root"):
        read_table(tmp_path / "x.xlsx")
    with pytest.raises(UnknownNameError, match="valid file format names"):
        read_table(tmp_path / "x.xlsx", format="excel")  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["csv", "parquet", "npz", "root"])
def test_missing_column_lists_available(tmp_path: Path, fmt: str) -> None:
    path = _write(fmt, tmp_path, _columns())
    with pytest.raises(DataError, match=r"\['mass'\].*available columns.*'energy'"):
        read_table(path, label="y", observables=["mass"], features=["f0"])
    with pytest.raises(DataError, match=r"\['mass'\].*available columns.*'energy'"):
        read_table(path, label="y", observables=["mass"])


def test_nan_weight_is_rejected(tmp_path: Path) -> None:
    cols = _columns()
    cols["w"][5] = np.nan
    path = _write("npz", tmp_path, cols)
    with pytest.raises(DataError, match=r"weight column 'w'.*1 NaN/inf.*row 5"):
        read_table(path, label="y", weight="w")


def test_pickled_npz_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(DataError, match="does not unpickle"):
        read_table(tmp_path / "o.npz")


def test_corrupt_files(tmp_path: Path) -> None:
    for name in ("bad.parquet", "bad.h5", "bad.root", "bad.npy"):
        (tmp_path / name).write_bytes(b"not really " + name.encode())
        with pytest.raises(CorruptDataError, match="cannot"):
            read_table(tmp_path / name)


def test_config_errors(tmp_path: Path) -> None:
    path = _write("npz", tmp_path, _columns())
    with pytest.raises(ConfigError, match="list of column names"):
        read_table(path, features="f0")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_events"):
        read_table(path, max_events=0)
    with pytest.raises(ConfigError, match="nan_policy"):
        read_table(path, nan_policy="ignore")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="reserved"):
        build_eventset({"weight": np.ones(3), "y": np.zeros(3)}, label="y", features=["weight"])


# ---------------------------------------------------------------- helpers


def test_label_strings_normalises_integral_floats() -> None:
    assert label_strings(np.array([0.0, 1.0, 1.0])).tolist() == ["0", "1", "1"]
    assert label_strings(np.array([0.5, 1.0])).tolist() == ["0.5", "1.0"]
    assert label_strings(np.array([b"a", b"b"])).tolist() == ["a", "b"]
    assert label_strings(np.array([2, 3], dtype=np.int32)).tolist() == ["2", "3"]


def test_build_eventset_without_label_uses_default_and_warns_on_absent_signal(
        caplog: pytest.LogCaptureFixture) -> None:
    cols = {"x": np.arange(4.0), "y": np.array([0, 0, 1, 1])}
    es = build_eventset(cols, default_label="detector_run_7")
    assert es.classes == ["detector_run_7"] and not es.is_signal.any()
    assert es.features == ("x", "y")
    with caplog.at_level("WARNING"):
        es = build_eventset(cols, label="y", signal_labels=[1, 5])
    assert "['5']" in caplog.text
    assert es.is_signal.tolist() == [False, False, True, True]
    with pytest.raises(DataError, match="different lengths"):
        build_eventset({"x": np.arange(3.0), "y": np.arange(4)})
    with pytest.raises(DataError, match="no events"):
        build_eventset({"x": np.zeros(0)})
