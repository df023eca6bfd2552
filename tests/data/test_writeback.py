"""write_scores: friend trees beside ROOT inputs, Parquet beside tables, aligned and refused."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import uproot

from sciood.data.adapters.writeback import default_output, input_rows, write_scores
from sciood.errors import ConfigError, CorruptDataError, DataError

N = 40


def _root_input(path: Path, n: int = N, with_keys: bool = True) -> Path:
    rng = np.random.default_rng(1)
    branches = {"x": rng.normal(size=n)}
    if with_keys:
        branches.update({"run": np.full(n, 7, np.uint32),
                         "luminosityBlock": (np.arange(n) // 10).astype(np.uint32),
                         "event": (1000 + np.arange(n)[::-1]).astype(np.uint64)})
    out = path / "events.root"
    with uproot.recreate(out) as f:
        f["Events"] = branches
    return out


def test_root_friend_tree_is_aligned_and_keyed(tmp_path: Path) -> None:
    inp = _root_input(tmp_path)
    s = np.linspace(0, 1, N)
    out = write_scores(inp, {"score_a": s}, tree="Events")
    assert out == tmp_path / "events.scores.root"
    with uproot.open(inp) as f_in, uproot.open(out) as f_out:
        src = f_in["Events"].arrays(library="np")
        fr = f_out["scores"].arrays(library="np")
        assert f_out["scores"].num_entries == f_in["Events"].num_entries
    np.testing.assert_array_equal(fr["entry"], np.arange(N))
    for k in ("run", "luminosityBlock", "event"):
        np.testing.assert_array_equal(fr[k], src[k])
    np.testing.assert_array_equal(fr["score_a"], s)
    assert fr["scored"].all()


def test_partial_entries_fill_nan_and_flag(tmp_path: Path) -> None:
    inp = _root_input(tmp_path, with_keys=False)
    idx = np.array([3, 0, 10])
    out = write_scores(inp, {"s": [0.5, 0.1, 0.9]}, tmp_path / "f.root", entry=idx)
    with uproot.open(out) as f:
        fr = f["scores"].arrays(library="np")
        assert sorted(f["scores"].keys()) == ["entry", "s", "scored"]  # no keys in the input
    assert np.flatnonzero(fr["scored"]).tolist() == [0, 3, 10]
    assert fr["s"][3] == 0.5 and fr["s"][0] == 0.1 and fr["s"][10] == 0.9
    assert np.isnan(fr["s"][1])


def test_table_inputs_get_parquet_joinable_by_key(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    table = pa.table({"event": np.arange(N)[::-1] * 3, "x": rng.normal(size=N)})
    pq.write_table(table, tmp_path / "t.parquet")
    pacsv.write_csv(table, tmp_path / "t.csv")
    s = rng.normal(size=N)
    for name in ("t.parquet", "t.csv"):
        out = write_scores(tmp_path / name, {"score_x": s}, tmp_path / f"{name}.scores.parquet")
        got = pq.read_table(out).to_pandas()
        joined = table.to_pandas().merge(got, on="event")
        np.testing.assert_allclose(joined["score_x"], s)
        np.testing.assert_array_equal(got["entry"], np.arange(N))


def test_default_names_and_directory_output(tmp_path: Path) -> None:
    assert default_output("a/b.csv.gz") == Path("a/b.scores.parquet")
    assert default_output("a/b.root") == Path("a/b.scores.root")
    (tmp_path / "d").mkdir()
    assert default_output("x/y.parquet", tmp_path / "d") == tmp_path / "d" / "y.scores.parquet"


def test_refusals(tmp_path: Path) -> None:
    inp = _root_input(tmp_path)
    with pytest.raises(DataError, match=r"39 scores but .* has 40 rows"):
        write_scores(inp, {"s": np.zeros(N - 1)})
    with pytest.raises(DataError, match="1 NaN"):
        write_scores(inp, {"s": np.r_[np.zeros(N - 1), np.nan]})
    with pytest.raises(ConfigError, match=r"must end in .root"):
        write_scores(inp, {"s": np.zeros(N)}, tmp_path / "x.parquet")
    with pytest.raises(ConfigError, match="not allowed"):
        write_scores(inp, {"entry": np.zeros(N)})
    with pytest.raises(ConfigError, match="key columns"):
        write_scores(inp, {"event": np.zeros(N)})
    with pytest.raises(CorruptDataError, match="does not exist"):
        write_scores(tmp_path / "nope.root", {"s": np.zeros(N)})
    out = write_scores(inp, {"s": np.zeros(N)})
    with pytest.raises(DataError, match=r"already exists.*overwrite=True"):
        write_scores(inp, {"s": np.ones(N)})
    write_scores(inp, {"s": np.ones(N)}, overwrite=True)
    with uproot.open(out) as f:
        assert f["scores"]["s"].array(library="np").tolist() == [1.0] * N
    with pytest.raises(DataError, match="repeats"):
        write_scores(inp, {"s": [1.0, 2.0]}, tmp_path / "r.root", entry=[1, 1])


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_unwritable_directory_is_named(tmp_path: Path) -> None:
    inp = _root_input(tmp_path)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        with pytest.raises(DataError, match="not writable"):
            write_scores(inp, {"s": np.zeros(N)}, ro / "x.root")
    finally:
        ro.chmod(0o700)
    assert not list(ro.iterdir())


def test_not_what_the_extension_says(tmp_path: Path) -> None:
    fake = tmp_path / "fake.root"
    fake.write_text("run,event\n1,2\n")
    with pytest.raises(CorruptDataError, match="as a ROOT file"):
        input_rows(fake)


def test_output_under_a_file_is_refused_with_the_path(tmp_path: Path) -> None:
    inp = _root_input(tmp_path)
    (tmp_path / "afile").write_text("x")
    with pytest.raises(DataError, match=r"afile.*not writable"):
        write_scores(inp, {"s": np.zeros(N)}, tmp_path / "afile" / "x.root")
