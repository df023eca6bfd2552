"""Jagged ROOT collections and the source-file reader: jets picked, ordered and matched by hand."""

from __future__ import annotations

from pathlib import Path

import awkward as ak
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import uproot

from sciood.data.adapters.jagged import read_root_jets
from sciood.data.adapters.source import detect_format, read_source_file

# per event: fat jets (pt, eta, phi, mass, msoftdrop, tau1, tau2, tau3)
EVENTS = [
    [(900.0, 0.1, 0.0, 300.0, 280.0, 0.4, 0.2, 0.1),
     (1000.0, -0.3, 3.0, 50.0, 40.0, 0.5, 0.4, 0.3)],
    [(100.0, 1.0, 1.0, 10.0, 9.0, 0.1, 0.1, 0.1)],                         # one jet: dropped
    [(300.0, 0.0, 0.0, 20.0, 18.0, 0.3, 0.1, 0.0),
     (1500.0, 0.5, -2.0, 90.0, 80.0, 0.2, 0.1, 0.05),
     (1200.0, -1.0, 1.0, 150.0, 140.0, 0.6, 0.3, 0.2)],
]
# per event: constituents (pt, jetIdx)
CANDS = [[(10.0, 0), (30.0, 1), (20.0, 0)], [(5.0, 0)], [(7.0, 2), (8.0, 1), (9.0, 0), (6.0, 2)]]


def _write(path: Path) -> Path:
    names = ("pt", "eta", "phi", "mass", "msoftdrop", "tau1", "tau2", "tau3")
    jets = ak.zip({q: ak.Array([[j[k] for j in ev] for ev in EVENTS])
                   for k, q in enumerate(names)})
    cands = ak.zip({"pt": ak.Array([[c[0] for c in ev] for ev in CANDS]),
                    "eta": ak.Array([[0.0 for _ in ev] for ev in CANDS]),
                    "phi": ak.Array([[0.0 for _ in ev] for ev in CANDS]),
                    "jetIdx": ak.Array([[c[1] for c in ev] for ev in CANDS])})
    with uproot.recreate(path) as f:
        f.mktree("Events", {"FatJet": jets, "PFCands": cands, "event": np.array([5, 6, 7]),
                            "y": np.array([0, 1, 1])},
                 field_name=lambda o, i: f"{o}_{i}", counter_name=lambda c: f"n{c}")
    return path


def _mjj(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    p = [np.array([np.sqrt((j[0] * np.cosh(j[1])) ** 2 + j[3] ** 2), j[0] * np.cos(j[2]),
                   j[0] * np.sin(j[2]), j[0] * np.sinh(j[1])]) for j in (a, b)]
    s = p[0] + p[1]
    return float(np.sqrt(s[0] ** 2 - s[1] ** 2 - s[2] ** 2 - s[3] ** 2))


def test_two_leading_jets_ordered_by_mass_with_their_constituents(tmp_path: Path) -> None:
    cols, extra, entry = read_root_jets(_write(tmp_path / "nano.root"), constituents="PFCands",
                                        flat=["event"])
    assert entry.tolist() == [0, 2]                    # event 1 has one jet
    assert cols["event"].tolist() == [5, 7]
    # event 0: the leading jets by pT are jet 1 (1000, m 50) and jet 0 (900, m 300) -> j1 = jet 1
    # event 2: leading are jet 1 (1500, m 90) and jet 2 (1200, m 150); jet 0 is the soft third
    assert cols["mj1"].tolist() == [50.0, 90.0] and cols["mj2"].tolist() == [300.0, 150.0]
    assert cols["mj1_sd"].tolist() == [40.0, 80.0] and cols["delta_mj"].tolist() == [250.0, 60.0]
    assert cols["pt_j1"].tolist() == [1000.0, 1500.0]
    np.testing.assert_allclose(cols["tau21_j1"], [0.8, 0.5])
    np.testing.assert_allclose(cols["tau32_j2"], [0.5, 0.2 / 0.3])
    np.testing.assert_allclose(cols["mjj"], [_mjj(EVENTS[0][0], EVENTS[0][1]),
                                             _mjj(EVENTS[2][1], EVENTS[2][2])], rtol=1e-10)
    assert extra["lead_pt"].to_pylist() == [1000.0, 1500.0]
    # constituents of j1 (jet index 1 / 1) and j2 (0 / 2), pT-ordered
    assert extra["j1_const_pt"].to_pylist() == [[30.0], [8.0]]
    assert extra["j2_const_pt"].to_pylist() == [[20.0, 10.0], [7.0, 6.0]]
    assert cols["nconst_j1"].tolist() == [1.0, 1.0] and cols["nconst_j2"].tolist() == [2.0, 2.0]


def test_source_reader_keeps_the_file_rows(tmp_path: Path) -> None:
    root = _write(tmp_path / "nano.root")
    assert detect_format(root, jets=True) == "root_jets" and detect_format(root) == "table"
    es = read_source_file(root, jets={"constituents": "PFCands"}, label="y",
                          label_names={0: "qcd", 1: "sig"}, signal=["sig"], tree="Events")
    assert es.column("entry").tolist() == [0, 2] and es.labels.tolist() == ["qcd", "sig"]
    assert es.is_signal.tolist() == [False, True] and es.has_constituents
    csv = tmp_path / "t.csv"
    pacsv.write_csv(pa.table({"mjj": [1.0, np.nan, 3.0, 4.0], "x": [1.0, 2.0, 3.0, 4.0]}), csv)
    es = read_source_file(csv, nan_policy="drop", file_label="bkg")
    assert es.column("entry").tolist() == [0, 2, 3]     # the NaN row is dropped, rows kept
    assert set(es.labels) == {"bkg"} and not es.is_signal.any()


def test_lhco_file_is_recognised(tmp_path: Path) -> None:
    fixture = Path(__file__).parent.parent / "fixtures" / "adapters" / "lhco_features_pandas.h5"
    assert detect_format(fixture) == "lhco_features"
    es = read_source_file(fixture, signal=["xy_qqqq"])
    assert es.column("entry").tolist() == list(range(8)) and set(es.classes) == {"qcd", "xy_qqqq"}
    from sciood.errors import ConfigError

    with pytest.raises(ConfigError, match=r"layout is fixed: remove data\.source weight"):
        read_source_file(fixture, weight="w")
