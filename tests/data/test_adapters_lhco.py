"""LHC Olympics readers, cross-checked against real sciood samples and real pandas files.

* the pandas fixed-format layout is pinned by files written by real pandas + PyTables
  (``tests/fixtures/adapters``, made by ``make_fixtures.py``);
* the features reader is checked against the `vector` library and against real generated
  events converted to the LHCO layout (jets in pT order, as LHCO stores them);
* the low-level reader re-clusters particles written in the LHCO layout from real generated
  events and must give back the features computed at generation time.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import vector

from sciood.data.adapters import PandasFixedFrame, read_lhco_features, read_lhco_lowlevel
from sciood.data.adapters.lhco import FEATURES_FROM_JETS, LHCO_FEATURE_COLUMNS
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, CorruptDataError, DataError

FIXTURES = Path(__file__).parent.parent / "fixtures" / "adapters"


def write_pandas_fixed(path: Path, blocks: list[tuple[list, np.ndarray]], key: str = "df"
                       ) -> None:
    """Write a DataFrame exactly as pandas ``to_hdf`` (fixed format) lays it out.

    ``blocks``: (column labels, values of shape (n_rows, n_block_columns)) per dtype block.
    """
    def index(labels: list) -> np.ndarray:
        return (np.array(labels, dtype=np.int64) if isinstance(labels[0], int | np.integer)
                else np.array([str(c).encode() for c in labels]))

    n_rows = blocks[0][1].shape[0]
    with h5py.File(path, "w") as f:
        g = f.create_group(key)
        g.attrs.update({"CLASS": np.bytes_(b"GROUP"), "pandas_type": np.bytes_(b"frame"),
                        "ndim": np.int64(2), "nblocks": np.int64(len(blocks)),
                        "encoding": np.bytes_(b"UTF-8")})
        g["axis0"] = index([c for labels, _ in blocks for c in labels])
        g["axis1"] = np.arange(n_rows, dtype=np.int64)
        for i, (labels, values) in enumerate(blocks):
            g[f"block{i}_items"] = index(labels)
            g[f"block{i}_values"] = values
            g[f"block{i}_values"].attrs["transposed"] = np.uint8(1)


def lhco_feature_blocks(es: EventSet, label: np.ndarray | None) -> list[tuple[list, np.ndarray]]:
    """The LHCO features layout of a generated sample: jets in *pT* order, as LHCO has them."""
    j = {}
    for k in (1, 2):
        pt, eta, phi = (es.column(f"{q}_j{k}") for q in ("pt", "eta", "phi"))
        j[k] = {"px": pt * np.cos(phi), "py": pt * np.sin(phi), "pz": pt * np.sinh(eta),
                "m": es.column(f"mj{k}"), "pt": pt,
                **{f"tau{n}": es.column(f"tau{n}_j{k}") for n in (1, 2, 3)}}
    lead_is_2 = j[2]["pt"] > j[1]["pt"]
    cols = {}
    for q in ("px", "py", "pz", "m", "tau1", "tau2", "tau3"):
        cols[f"{q}j1"] = np.where(lead_is_2, j[2][q], j[1][q])
        cols[f"{q}j2"] = np.where(lead_is_2, j[1][q], j[2][q])
    values = np.column_stack([cols[c] for c in LHCO_FEATURE_COLUMNS])
    blocks = [(list(LHCO_FEATURE_COLUMNS), values)]
    if label is not None:
        blocks.append((["label"], label.reshape(-1, 1)))
    return blocks


def lhco_lowlevel_rows(es: EventSet, with_label: bool = True) -> np.ndarray:
    """(n, 2101) rows: 700 × (pT, η, φ) of both jets' constituents, zero-padded, + label."""
    ev = es.event_constituents(700).astype(np.float64).reshape(len(es), -1)
    return np.column_stack([ev, es.is_signal.astype(np.float64)]) if with_label else ev


# ---------------------------------------------------------------- pandas fixed layout


def test_reader_understands_files_written_by_real_pandas() -> None:
    frame = PandasFixedFrame(FIXTURES / "lhco_features_pandas.h5")
    assert frame.columns == [*LHCO_FEATURE_COLUMNS, "label"]  # 2 dtype blocks, file order
    assert frame.n_rows == 8
    cols = frame.read()
    assert cols["label"].dtype == np.int64 and cols["pxj1"].dtype == np.float64
    part = frame.read(["label", "mj2"], 2, 5)
    np.testing.assert_array_equal(part["mj2"], cols["mj2"][2:5])
    np.testing.assert_array_equal(part["label"], [0, 1, 0])
    low = PandasFixedFrame(FIXTURES / "lhco_lowlevel_pandas.h5")
    assert low.columns == [str(i) for i in range(2101)] and low.n_rows == 2


def test_table_format_and_non_pandas_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"format='table'.*format='fixed'"):
        PandasFixedFrame(FIXTURES / "pandas_table_format.h5")
    with h5py.File(tmp_path / "plain.h5", "w") as f:
        f["x"] = np.arange(3)
        f.create_group("grp")["y"] = np.arange(3)
    with pytest.raises(DataError, match="not a pandas fixed-format DataFrame"):
        PandasFixedFrame(tmp_path / "plain.h5", key="grp")
    with pytest.raises(DataError, match="is a dataset, not a pandas frame group"):
        PandasFixedFrame(tmp_path / "plain.h5", key="x")
    with pytest.raises(DataError, match=r"key 'df' not in .*available keys: \['grp'\]"):
        PandasFixedFrame(tmp_path / "plain.h5", key="df")
    (tmp_path / "trunc.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 20)
    with pytest.raises(CorruptDataError, match="truncated or not an HDF5"):
        PandasFixedFrame(tmp_path / "trunc.h5")
    with pytest.raises(CorruptDataError, match="does not exist"):
        read_lhco_features(tmp_path / "missing.h5")


# ---------------------------------------------------------------- features file


def test_features_match_the_vector_library_and_sort_jets_by_mass() -> None:
    raw = PandasFixedFrame(FIXTURES / "lhco_features_pandas.h5").read()
    es = read_lhco_features(FIXTURES / "lhco_features_pandas.h5")
    j1 = vector.array({"px": raw["pxj1"], "py": raw["pyj1"], "pz": raw["pzj1"],
                       "M": raw["mj1"]})
    j2 = vector.array({"px": raw["pxj2"], "py": raw["pyj2"], "pz": raw["pzj2"],
                       "M": raw["mj2"]})
    np.testing.assert_allclose(es.column("mjj"), (j1 + j2).M, rtol=1e-12)
    swap = raw["mj1"] > raw["mj2"]
    assert swap.any() and (~swap).any()  # the fixture exercises both orders
    light = {q: np.where(swap, getattr(j2, q), getattr(j1, q)) for q in ("pt", "eta", "phi")}
    heavy = {q: np.where(swap, getattr(j1, q), getattr(j2, q)) for q in ("pt", "eta", "phi")}
    for q in ("pt", "eta", "phi"):
        np.testing.assert_allclose(es.column(f"{q}_j1"), light[q], rtol=1e-12)
        np.testing.assert_allclose(es.column(f"{q}_j2"), heavy[q], rtol=1e-12)
    assert np.all(es.column("mj1") <= es.column("mj2"))
    np.testing.assert_allclose(es.column("delta_mj"), np.abs(raw["mj1"] - raw["mj2"]))
    tau2_light = np.where(swap, raw["tau2j2"], raw["tau2j1"])
    tau1_light = np.where(swap, raw["tau1j2"], raw["tau1j1"])
    np.testing.assert_allclose(es.column("tau21_j1"), tau2_light / tau1_light, rtol=1e-12)
    assert es.features == FEATURES_FROM_JETS and es.observables == ("mjj",)
    assert es.class_counts() == {"qcd": 5, "xy_qqqq": 3}
    np.testing.assert_array_equal(es.is_signal, es.labels == "xy_qqqq")
    assert np.all(es.weights == 1.0)
    assert "unweighted" in es.provenance["weights"]


def test_features_reproduce_a_real_generated_sample(tmp_path: Path, small_dijet: EventSet
                                                    ) -> None:
    label = small_dijet.is_signal.astype(np.float64)
    write_pandas_fixed(tmp_path / "f.h5", lhco_feature_blocks(small_dijet, label))
    es = read_lhco_features(tmp_path / "f.h5")
    assert len(es) == len(small_dijet)
    for c in ("mjj", *FEATURES_FROM_JETS):
        np.testing.assert_allclose(es.column(c), small_dijet.column(c), rtol=1e-9, atol=1e-9,
                                   err_msg=c)
    np.testing.assert_array_equal(es.is_signal, small_dijet.is_signal)
    np.testing.assert_allclose(es.column("lead_pt"), small_dijet.column("lead_pt"), rtol=1e-9)


def test_features_hand_computed_event_and_row_range(tmp_path: Path) -> None:
    # back-to-back jets, |p| = 1000 GeV, masses 100 and 50: mjj = E1 + E2
    row_a = [1000, 0, 0, 100, .3, .1, .05, -1000, 0, 0, 50, .2, .1, .08]
    row_b = [0, 500, 500, 20, .4, .2, .1, 0, -500, 0, 30, .4, .3, .0]
    write_pandas_fixed(tmp_path / "hand.h5", [(list(LHCO_FEATURE_COLUMNS),
                                               np.array([row_a, row_b], dtype=np.float64))])
    es = read_lhco_features(tmp_path / "hand.h5")  # black-box layout: no label column
    assert es.classes == ["data"] and not es.is_signal.any()
    e1, e2 = np.sqrt(1000**2 + 100**2), np.sqrt(1000**2 + 50**2)
    assert es.column("mjj")[0] == pytest.approx(e1 + e2, rel=1e-12)
    assert es.column("mj1")[0] == 50 and es.column("tau21_j1")[0] == pytest.approx(0.5)
    assert es.column("eta_j1")[0] == 0 and es.column("phi_j2")[0] == 0
    assert es.column("eta_j1")[1] == pytest.approx(np.arcsinh(1.0))  # pz = pT
    assert es.column("tau32_j2")[1] == 0  # tau3 = 0: ratio defined as 0, not NaN
    one = read_lhco_features(tmp_path / "hand.h5", start=1, max_events=5)
    assert len(one) == 1 and one.column("mj1")[0] == 20


def test_features_bad_input(tmp_path: Path) -> None:
    cols = list(LHCO_FEATURE_COLUMNS)
    write_pandas_fixed(tmp_path / "lab.h5", [(cols, np.ones((3, 14))),
                                             (["label"], np.array([[0], [2], [1]]))])
    with pytest.raises(DataError, match=r"label values \[2\]; expected 0.*or 1"):
        read_lhco_features(tmp_path / "lab.h5")
    write_pandas_fixed(tmp_path / "short.h5", [(cols[:-1], np.ones((3, 13)))])
    with pytest.raises(DataError, match=r"lacks the LHCO feature columns \['tau3j2'\]"):
        read_lhco_features(tmp_path / "short.h5")
    with pytest.raises(ConfigError, match="outside"):
        read_lhco_features(tmp_path / "lab.h5", start=10)
    with pytest.raises(DataError, match="has 15 columns; the LHCO low-level file has 2101"):
        read_lhco_lowlevel(FIXTURES / "lhco_features_pandas.h5")


# ---------------------------------------------------------------- low-level file


def test_lowlevel_reclustering_reproduces_generated_features(tmp_path: Path,
                                                            small_dijet: EventSet) -> None:
    rows = lhco_lowlevel_rows(small_dijet)
    write_pandas_fixed(tmp_path / "ll.h5", [(list(range(2101)), rows)])
    es = read_lhco_lowlevel(tmp_path / "ll.h5", chunk_size=128)  # 4 chunks
    assert len(es) == len(small_dijet) == es.provenance["n_selected"]
    np.testing.assert_array_equal(es.is_signal, small_dijet.is_signal)
    assert set(es.classes) == {"qcd", "xy_qqqq"} and np.all(es.weights == 1.0)
    # kinematics: exact up to the float32 storage of the particles
    for c in ("mjj", "mj1", "mj2", "pt_j1", "eta_j2", "phi_j1"):
        np.testing.assert_allclose(es.column(c), small_dijet.column(c), rtol=1e-4, err_msg=c)
    np.testing.assert_array_equal(es.column("nconst_j1"), small_dijet.column("nconst_j1"))
    # grooming decisions and exclusive-kT axes can flip on float32 ties in a few events
    for c in ("mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2"):
        close = np.isclose(es.column(c), small_dijet.column(c), rtol=1e-4, atol=1e-3)
        assert close.mean() > 0.98, c
    p_new, m_new = es.constituents(2)
    p_old, m_old = small_dijet.constituents(2)
    np.testing.assert_array_equal(m_new, m_old)
    np.testing.assert_allclose(p_new, p_old, rtol=1e-6, atol=1e-6)


def test_lowlevel_file_written_by_real_pandas(make_sample) -> None:
    truth = EventSet.concat([make_sample("qcd", 300, 11).select(np.arange(1)),
                             make_sample("wprime_wz_80", 150, 12).select(np.arange(1))])
    es = read_lhco_lowlevel(FIXTURES / "lhco_lowlevel_pandas.h5")
    assert es.labels.tolist() == ["qcd", "xy_qqqq"]
    for c in ("mjj", "mj1", "mj2", "tau21_j1", "nconst_j2"):
        np.testing.assert_allclose(es.column(c), truth.column(c), rtol=1e-4, err_msg=c)


def test_lowlevel_chunking_range_and_selection(tmp_path: Path, small_dijet: EventSet) -> None:
    sub = small_dijet.select(np.arange(0, len(small_dijet), 8))  # 57 events, both classes
    rows = lhco_lowlevel_rows(sub, with_label=False)  # black-box layout: 2100 columns
    write_pandas_fixed(tmp_path / "bb.h5", [(list(range(2100)), rows)])
    whole = read_lhco_lowlevel(tmp_path / "bb.h5", chunk_size=1000, keep_constituents=False)
    chunked = read_lhco_lowlevel(tmp_path / "bb.h5", chunk_size=7, keep_constituents=False)
    assert whole.classes == ["data"] and not whole.has_constituents
    np.testing.assert_array_equal(whole.to_numpy(), chunked.to_numpy())
    parallel = read_lhco_lowlevel(tmp_path / "bb.h5", chunk_size=20, workers=2)
    np.testing.assert_array_equal(whole.to_numpy(), parallel.to_numpy())
    assert parallel.has_constituents
    stored = EventSet.read(parallel.write(tmp_path / "ds"))  # list columns survive the store
    np.testing.assert_array_equal(stored.constituents(1)[0], parallel.constituents(1)[0])
    assert stored.provenance["adapter"] == "read_lhco_lowlevel"
    part = read_lhco_lowlevel(tmp_path / "bb.h5", start=10, max_events=5, chunk_size=2)
    np.testing.assert_array_equal(part.column("mjj"), whole.column("mjj")[10:15])
    lead = np.sort(np.maximum(sub.column("pt_j1"), sub.column("pt_j2")))
    cut = float(lead[len(lead) // 2] + lead[len(lead) // 2 + 1]) / 2  # between two events
    hard = read_lhco_lowlevel(tmp_path / "bb.h5", leading_pt_min=cut, keep_constituents=False)
    assert len(hard) == len(lead) - len(lead) // 2 - 1
    assert hard.provenance["selection"]["leading_pt_min"] == cut
    with pytest.raises(DataError, match=r"no event .* passes the selection"):
        read_lhco_lowlevel(tmp_path / "bb.h5", leading_pt_min=1e6)
    with pytest.raises(ConfigError, match="chunk_size"):
        read_lhco_lowlevel(tmp_path / "bb.h5", chunk_size=0)
    with pytest.raises(ConfigError, match="max_events"):
        read_lhco_lowlevel(tmp_path / "bb.h5", max_events=-1)
    with pytest.raises(ConfigError, match="workers"):
        read_lhco_lowlevel(tmp_path / "bb.h5", workers=0)
