"""Hostile ``data.source`` inputs: every case is refused naming the file, the column and the fix.

Each case writes a small real file (pyarrow, uproot, h5py, NumPy), validates a run config with
it and reads it as the pipeline's generate stage does (:func:`sciood.pipeline.source.read_source`);
nothing is trained.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import awkward as ak
import h5py
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import uproot

from sciood.config import parse_config
from sciood.errors import ConfigError, CorruptDataError, DataError
from sciood.pipeline.progress import SilentProgress
from sciood.pipeline.source import read_source

N = 30


def H(case_id: str, *values: Any, outcome: str = "error") -> Any:
    return pytest.param(*values, id=case_id, marks=pytest.mark.hostile("configs", outcome))


def _table(**over: Any) -> dict[str, Any]:
    rng = np.random.default_rng(0)
    cols: dict[str, Any] = {"kind": np.where(np.arange(N) % 5 == 0, "sig", "qcd"),
                            "w": np.ones(N), "mjj": rng.uniform(2000, 4000, N),
                            "mj1": rng.uniform(10, 200, N)}
    cols.update(over)
    return cols


def _parquet(path: Path, **over: Any) -> Path:
    pq.write_table(pa.table(_table(**over)), path)
    return path


def _root_jets(path: Path, n_jets: list[int]) -> Path:
    counts = np.array(n_jets)
    flat = np.linspace(100, 900, counts.sum())
    jets = ak.zip({q: ak.unflatten(flat, counts) for q in ("pt", "eta", "phi", "mass")})
    with uproot.recreate(path) as f:
        f.mktree("Events", {"FatJet": jets, "lab": np.arange(len(counts)) % 2},
                 field_name=lambda o, i: f"{o}_{i}", counter_name=lambda c: f"n{c}")
    return path


def _lhco_file(path: Path, label: np.ndarray) -> Path:
    """The LHCO R&D features layout (pandas fixed format: a float block and a label block)."""
    from sciood.data.adapters.lhco import LHCO_FEATURE_COLUMNS

    rng = np.random.default_rng(1)
    values = rng.uniform(0.1, 1000, (N, len(LHCO_FEATURE_COLUMNS)))
    with h5py.File(path, "w") as f:
        g = f.create_group("df")
        g.attrs.update({"pandas_type": np.bytes_(b"frame"), "nblocks": np.int64(2)})
        g["axis0"] = np.array([c.encode() for c in (*LHCO_FEATURE_COLUMNS, "label")])
        g["axis1"] = np.arange(N)
        g["block0_items"] = np.array([c.encode() for c in LHCO_FEATURE_COLUMNS])
        g["block0_values"] = values
        g["block1_items"] = np.array([b"label"])
        g["block1_values"] = label.astype(np.int64)[:, None]
    return path


def _config(tmp: Path, source: dict[str, Any]) -> Any:
    source = dict(source)
    classes = source.pop("_classes", None)
    body: dict[str, Any] = {"name": "t",
                            "data": {"source": source, "cache_dir": str(tmp / "cache")},
                            "detectors": [{"name": "iforest"}]}
    if classes is not None:
        body["evaluation"] = {"classes": classes}
    return parse_config(copy.deepcopy(body))


def _read(tmp: Path, source: dict[str, Any]) -> list[Any]:
    return read_source(_config(tmp, source), SilentProgress(), [])


def _flat(exc: pytest.ExceptionInfo[Any]) -> str:
    return " ".join(str(exc.value).split())


# ------------------------------------------------------------------- the config itself
@pytest.mark.parametrize(("source", "extra", "message"), [
    H("missing-file", {"files": ["nope.parquet"], "signal": ["sig"]}, {},
      r"data\.source\.files\[0\]\.path: '.*nope\.parquet' does not exist; check the path"),
    H("source-and-background", {"files": ["ok.parquet"], "signal": ["sig"]},
      {"background": {"qcd": 10}}, r"give either data\.source .* not both"),
    H("source-and-variants", {"files": ["ok.parquet"], "signal": ["sig"]},
      {"variants": ["sim", "data"]}, r"data\.variants: \['data'\] are generator variants"),
    H("weight-and-cross-sections", {"files": ["ok.parquet"], "signal": ["sig"], "weight": "w",
                                    "cross_sections_fb": {"qcd": 1.0}}, {},
      r"weight column or cross_sections_fb, not both"),
    H("no-signal-class", {"files": ["ok.parquet"], "signal": []}, {},
      r"data\.source\.signal"),
    H("negative-cross-section", {"files": ["ok.parquet"], "signal": ["sig"],
                                 "cross_sections_fb": {"qcd": -1.0}}, {},
      r"cross-sections must be finite and > 0 fb"),
    H("injection-not-a-signal", {"files": ["ok.parquet"], "signal": ["sig"]},
      {"injection": {"process": "qcd", "n": 5}},
      r"data\.injection\.process: 'qcd' is not in data\.source\.signal"),
    H("root-jets-without-jets", {"files": ["ok.parquet"], "signal": ["sig"],
                                 "format": "root_jets"}, {}, r"root_jets needs data\.source\.jets"),
])
def test_bad_source_sections_are_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               source: dict[str, Any], extra: dict[str, Any],
                                               message: str) -> None:
    monkeypatch.chdir(tmp_path)
    _parquet(tmp_path / "ok.parquet")
    body = {"name": "t", "data": {"source": source, **extra}, "detectors": [{"name": "iforest"}]}
    with pytest.raises(ConfigError) as exc:
        parse_config(body)
    assert re.search(message, _flat(exc)), _flat(exc)


# ------------------------------------------------------------------- the files
def _case_missing_column(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet")
    return ({"files": [str(p)], "signal": ["sig"], "label": "klass"},
            r"column\(s\) \['klass'\] not found in '.*t\.parquet'; available columns: "
            r"\['kind', 'w', 'mjj'")


def _case_nan_weight(tmp: Path) -> tuple[dict[str, Any], str]:
    w = np.ones(N)
    w[3] = np.nan
    p = _parquet(tmp / "t.parquet", w=w)
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind", "weight": "w"},
            r"weight column 'w' of '.*t\.parquet' has 1 NaN/inf values \(first at row 3\); fix")


def _case_negative_class_weight(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet", w=-np.ones(N))
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind", "weight": "w"},
            r"weights of class 'qcd' \(column 'w'\) sum to -24\.0; .* positive total weight")


def _case_label_not_a_class_name(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet", kind=np.arange(N) % 3 - 1)  # -1, 0, 1
    return ({"files": [str(p)], "signal": ["1"], "label": "kind"},
            r"class labels \['-1'\] read from '.*t\.parquet' \(column 'kind'\) are not usable "
            r"class names .* map the values with data\.source\.label_names")


def _case_signal_absent(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet")
    return ({"files": [str(p)], "signal": ["wprime"], "label": "kind"},
            r"data\.source\.signal \['wprime'\] do not occur in the files "
            r"\('.*t\.parquet'\); classes found: \['qcd', 'sig'\]")


def _case_only_signal(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet", kind=np.full(N, "sig"))
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind"},
            r"\('.*t\.parquet'\) hold only signal classes \['sig'\]; a run needs background events")


def _case_evaluation_class_not_in_files(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet")
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind", "_classes": ["ttbar"]},
            r"evaluation\.classes: \['ttbar'\] are not classes of the files \('.*t\.parquet'\)")


def _case_cross_section_missing_class(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _parquet(tmp / "t.parquet")
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind",
             "cross_sections_fb": {"qcd": 10.0}},
            r"no cross-section for classes \['sig'\]; give one for every class")


def _case_lhco_label_not_01(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _lhco_file(tmp / "lhco.h5", label=np.arange(N) % 3)
    return ({"files": [str(p)], "signal": ["xy_qqqq"]},
            r"LHCO file '.*lhco\.h5' has label values \[2\]; expected 0 \(background\) or 1")


def _case_mismatched_lengths(tmp: Path) -> tuple[dict[str, Any], str]:
    p = tmp / "t.npz"
    np.savez(p, kind=np.array(["qcd", "sig"] * 10), mjj=np.ones(21), mj1=np.ones(20))
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind"},
            r"columns of '.*t\.npz' have different lengths: \{'kind': 20, 'mjj': 21")


def _case_jagged_no_events(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _root_jets(tmp / "j.root", [1, 0, 1, 1])
    return ({"files": [str(p)], "signal": ["1"], "label": "lab", "jets": {}},
            r"no entry of '.*j\.root' \(4 read\) has two FatJet jets; check "
            r"data\.source\.jets\.collection")


def _case_jagged_wrong_collection(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _root_jets(tmp / "j.root", [2, 3, 2, 2])
    return ({"files": [str(p)], "signal": ["1"], "label": "lab",
             "jets": {"collection": "AK8Jet"}},
            r"jet branch\(es\) \['AK8Jet_pt', .* are not in '.*j\.root'; branches include "
            r"\['FatJet_eta'.* set data\.source\.jets")


def _case_jagged_label_branch(tmp: Path) -> tuple[dict[str, Any], str]:
    p = _root_jets(tmp / "j.root", [2, 3, 2, 2])
    return ({"files": [str(p)], "signal": ["1"], "label": "FatJet_pt", "jets": {}},
            r"branch 'FatJet_pt' of '.*j\.root' is jagged .* name a flat branch")


def _case_parquet_is_csv(tmp: Path) -> tuple[dict[str, Any], str]:
    p = tmp / "t.parquet"
    p.write_text("kind,mjj\nqcd,1\n")
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind"},
            r"cannot read Parquet '.*t\.parquet'")


def _case_root_is_text(tmp: Path) -> tuple[dict[str, Any], str]:
    p = tmp / "t.root"
    p.write_text("not a ROOT file")
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind"},
            r"cannot open '.*t\.root' as a ROOT file")


def _case_h5_is_parquet(tmp: Path) -> tuple[dict[str, Any], str]:
    p = tmp / "t.h5"
    pq.write_table(pa.table(_table()), p)
    return ({"files": [str(p)], "signal": ["sig"], "label": "kind"},
            r"cannot read '.*t\.h5' as HDF5")


CASES = {name[len("_case_"):]: fn for name, fn in globals().items() if name.startswith("_case_")}


@pytest.mark.parametrize("case", [H(name, name) for name in CASES])
def test_hostile_source_files_are_refused_naming_file_and_column(tmp_path: Path,
                                                                 case: str) -> None:
    source, message = CASES[case](tmp_path)
    with pytest.raises(DataError) as exc:
        _read(tmp_path, source)
    assert re.search(message, _flat(exc)), _flat(exc)
    if case.endswith(("is_csv", "is_text", "is_parquet")):
        assert isinstance(exc.value, CorruptDataError)


@pytest.mark.parametrize("case", [H("negative-event-weights", "neg", outcome="correct")])
def test_individual_negative_weights_are_legal(tmp_path: Path, case: str) -> None:
    w = np.ones(N)
    w[[1, 2]] = -0.5
    p = _parquet(tmp_path / "t.parquet", w=w)
    samples = _read(tmp_path, {"files": [str(p)], "signal": ["sig"], "label": "kind",
                               "weight": "w"})
    from sciood.data.eventset import EventSet

    qcd = EventSet.read(dict((c, path) for c, _, path in samples)["qcd"])
    np.testing.assert_allclose(np.sort(qcd.weights)[:2], [-0.5, -0.5])
    assert qcd.column("entry").tolist() == [i for i in range(N) if i % 5]

