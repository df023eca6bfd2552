"""Hostile dataset stores: real stores written by ``sciood.generate`` / pyarrow, then damaged.

Every case copies one pristine generated store (``wprime_wz``, 4 shards, made once per module),
damages the manifest or a shard the way a hand edit, a bad copy or a bug would, and asserts the
exact outcome: :class:`CorruptDataError` (or :class:`DataError`) from ``EventSet.read`` with a
message naming the problem and the fix, the same problem from ``store.verify`` (which
``sciood info`` prints before exiting 2), or the correct numbers for legal input.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import sciood
from sciood.cli import app
from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import CorruptDataError, DataError

N, SHARD = 40, 10
FIX = r".*regenerate"

Manifest = dict[str, Any]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pristine") / "wz"
    sciood.generate("wprime_wz", N, seed=23, out=out, shard_size=SHARD, mpi=False)
    return out


@pytest.fixture
def damaged(pristine: Path, tmp_path: Path) -> Path:
    out = tmp_path / "wz"
    shutil.copytree(pristine, out)
    return out


def _load(d: Path) -> Manifest:
    return json.loads((d / "manifest.json").read_text())


def _put(d: Path, m: Any) -> None:
    """Write a hand-edited manifest (its manifest_sha256, if any, is now stale)."""
    (d / "manifest.json").write_text(json.dumps(m, indent=2))


def _seal(d: Path, m: Manifest) -> None:
    """Write an edited manifest with a *recomputed* checksum: only the other checks remain."""
    m[store.CHECKSUM_KEY] = store.manifest_checksum(m)
    _put(d, m)


def _rewrite_shard(d: Path, m: Manifest, i: int, table: pa.Table) -> None:
    """Replace shard ``i`` by ``table`` written with plain pyarrow; manifest updated + sealed."""
    entry = m["shards"][i]
    path = d / entry["file"]
    pq.write_table(table, path)
    entry["rows"], entry["sha256"] = table.num_rows, store.sha256_file(path)
    m["n_events"] = sum(e["rows"] for e in m["shards"])
    _seal(d, m)


def _shard(d: Path, m: Manifest, i: int = 0) -> pa.Table:
    return pq.read_table(d / m["shards"][i]["file"])


def _set_weight(t: pa.Table, row: int, value: float | None) -> pa.Table:
    w = t.column("weight").to_pylist()
    w[row] = value
    return t.set_column(t.column_names.index("weight"), "weight", pa.array(w, pa.float64()))


# ------------------------------------------------------------------ manifest damage
def _twice(d: Path, m: Manifest) -> None:
    m["shards"].append(m["shards"][0])
    _put(d, m)


def _twice_counted(d: Path, m: Manifest) -> None:
    m["shards"].append(m["shards"][0])
    m["n_events"] += m["shards"][0]["rows"]
    _put(d, m)


def _dropped(d: Path, m: Manifest) -> None:
    m["shards"].pop()
    _put(d, m)


def _dropped_counted(d: Path, m: Manifest) -> None:
    m["n_events"] -= m["shards"].pop()["rows"]
    _put(d, m)


def _dropped_counted_deleted(d: Path, m: Manifest) -> None:
    gone = m["shards"].pop()
    m["n_events"] -= gone["rows"]
    (d / gone["file"]).unlink()
    _put(d, m)


def _scale_one(d: Path, m: Manifest) -> None:
    m["shards"][1]["weight_scale"] *= 1000
    _put(d, m)


def _scale_all(d: Path, m: Manifest) -> None:
    for e in m["shards"]:
        e["weight_scale"] *= 1000
    for s in m["provenance"]["slices"]:
        s["weight_scale"] *= 1000
    _put(d, m)


def _scale_all_and_sigma(d: Path, m: Manifest) -> None:
    """×1000 everywhere, cross-sections included: self-consistent, only the checksum knows."""
    for e in m["shards"]:
        e["weight_scale"] *= 1000
    for s in m["provenance"]["slices"]:
        s["weight_scale"] *= 1000
        s["sigma_fb"] *= 1000
    s = m["provenance"]["slices"][0]
    s["weight_scale"] = s["sigma_fb"] / s["sum_weights_generated"]
    for e in m["shards"]:
        e["weight_scale"] = s["weight_scale"]
    _put(d, m)


def _edit(path: str, value: Any) -> Callable[[Path, Manifest], None]:
    """Set (or with ``...`` delete) the key at a dotted path like ``shards.0.rows``."""
    def damage(d: Path, m: Manifest) -> None:
        *parents, last = path.split(".")
        node: Any = m
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        key: Any = int(last) if isinstance(node, list) else last
        if value is ...:
            del node[key]
        else:
            node[key] = value
        _put(d, m)
    return damage


def _roles(role: str, names: list[str]) -> Callable[[Path, Manifest], None]:
    def damage(d: Path, m: Manifest) -> None:
        m[role] = names
        _seal(d, m)
    return damage


def _not_object(d: Path, m: Manifest) -> None:
    _put(d, [m])


def _truncated(d: Path, m: Manifest) -> None:
    text = (d / "manifest.json").read_bytes()
    (d / "manifest.json").write_bytes(text[: len(text) // 2])


def _empty(d: Path, m: Manifest) -> None:
    (d / "manifest.json").write_bytes(b"")


def _nested(d: Path, m: Manifest) -> None:
    (d / "manifest.json").write_text("[" * 100_000 + "]" * 100_000)


def _checksum_edited(d: Path, m: Manifest) -> None:
    m[store.CHECKSUM_KEY] = "0" * 64
    _put(d, m)


def _legacy_scale_one(d: Path, m: Manifest) -> None:
    del m[store.CHECKSUM_KEY]
    m["shards"][2]["weight_scale"] *= 1000
    _put(d, m)


def _symlink_out(d: Path, m: Manifest) -> None:
    target = d.parent / "elsewhere.parquet"
    shard = d / m["shards"][0]["file"]
    shutil.copy(shard, target)
    shard.unlink()
    shard.symlink_to(target)


# ------------------------------------------------------------------ shard damage
def _nan_weight(d: Path, m: Manifest) -> None:
    _rewrite_shard(d, m, 1, _set_weight(_shard(d, m, 1), 3, float("nan")))


def _inf_weight(d: Path, m: Manifest) -> None:
    _rewrite_shard(d, m, 0, _set_weight(_shard(d, m, 0), 0, float("-inf")))


def _overflow_weight(d: Path, m: Manifest) -> None:
    """A store whose finite weight 1e308 × its shard's weight_scale 10 overflows to inf."""
    shutil.rmtree(d)
    t = pa.table({"label": ["a"] * 4, "is_signal": [False] * 4,
                  "weight": [1.0, 1e308, 2.0, 3.0], "x": [1.0, 2.0, 3.0, 4.0]})
    EventSet(t).write(d, shard_size=2)
    m = _load(d)
    for e in m["shards"]:
        e["weight_scale"] = 10.0
    _seal(d, m)


def _null_weight(d: Path, m: Manifest) -> None:
    _rewrite_shard(d, m, 0, _set_weight(_shard(d, m, 0), 2, None))


def _null_label(d: Path, m: Manifest) -> None:
    t = _shard(d, m, 0)
    labels = t.column("label").to_pylist()
    labels[0] = None
    _rewrite_shard(d, m, 0, t.set_column(t.column_names.index("label"), "label",
                                         pa.array(labels, pa.string())))


def _no_weight_column(d: Path, m: Manifest) -> None:
    t = _shard(d, m, 3)
    _rewrite_shard(d, m, 3, t.drop_columns(["weight"]))


def _other_columns(d: Path, m: Manifest) -> None:
    t = _shard(d, m, 2)
    _rewrite_shard(d, m, 2, t.drop_columns(["tau21_j1"]))


def _replaced_shard(d: Path, m: Manifest) -> None:
    shutil.copy(d / m["shards"][1]["file"], d / m["shards"][0]["file"])


def _truncated_shard(d: Path, m: Manifest) -> None:
    path = d / m["shards"][3]["file"]
    path.write_bytes(path.read_bytes()[:500])


def _not_parquet(d: Path, m: Manifest) -> None:
    path = d / m["shards"][1]["file"]
    path.write_bytes(b"PAR1 but not really a parquet file")
    m["shards"][1]["sha256"] = store.sha256_file(path)
    _seal(d, m)


def _err(id_: str, damage: Callable[[Path, Manifest], None], match: str,
         exc: type[Exception] = CorruptDataError) -> Any:
    return pytest.param(damage, exc, match, id=id_, marks=pytest.mark.hostile("stores", "error"))


CASES = [
    _err("shard-listed-twice", _twice, r"listed 2 times"),
    _err("shard-listed-twice-count-bumped", _twice_counted, r"listed 2 times"),
    _err("shard-dropped", _dropped, rf"n_events is {N} but the listed shards hold {N - SHARD}"),
    _err("shard-dropped-count-fixed", _dropped_counted,
         r"shard-0-00003\.parquet' is in the directory but not in the manifest"),
    _err("shard-dropped-count-fixed-file-deleted", _dropped_counted_deleted,
         r"slice 0 generated \d+ events but provenance\.slices\[0\]\.n_generated"),
    _err("weight-scale-x1000-one-shard", _scale_one,
         r"shard-0-00001\.parquet' has weight_scale .* but its slice 0 has"),
    _err("weight-scale-x1000-shards-and-slice", _scale_all,
         r"slices\[0\]\.weight_scale .* is not sigma_fb / sum_weights_generated"),
    _err("weight-scale-and-cross-section-x1000", _scale_all_and_sigma,
         r"modified after it was written: its content does not match its manifest_sha256"),
    _err("weight-scale-negative", _edit("shards.0.weight_scale", -16.0),
         r"shards\[0\]\.weight_scale': Input should be greater than 0"),
    _err("weight-scale-nan", _edit("shards.0.weight_scale", float("nan")),
         r"shards\[0\]\.weight_scale': Input should be a finite number"),
    _err("weight-scale-string", _edit("shards.1.weight_scale", "1.0"),
         r"shards\[1\]\.weight_scale': Input should be a valid number"),
    _err("key-shards-missing", _edit("shards", ...), r"key 'shards' is missing"),
    _err("shards-not-a-list", _edit("shards", {"file": "shard-0-00000.parquet"}),
         r"key 'shards': Input should be a valid list"),
    _err("entry-missing-sha256", _edit("shards.2.sha256", ...),
         r"key 'shards\[2\]\.sha256' is missing"),
    _err("entry-missing-rows", _edit("shards.0.rows", ...), r"key 'shards\[0\]\.rows' is missing"),
    _err("entry-missing-file", _edit("shards.3.file", ...), r"key 'shards\[3\]\.file' is missing"),
    _err("rows-negative", _edit("shards.0.rows", -10),
         r"shards\[0\]\.rows': Input should be greater than or equal to 0"),
    _err("rows-string", _edit("shards.0.rows", "10"),
         r"shards\[0\]\.rows': Input should be a valid integer"),
    _err("n-events-float", _edit("n_events", 40.0), r"key 'n_events': Input should be a valid int"),
    _err("sha256-not-hex", _edit("shards.1.sha256", "z" * 64),
         r"shards\[1\]\.sha256': String should match pattern"),
    _err("file-path-traversal", _edit("shards.0.file", "../elsewhere.parquet"),
         r"shards\[0\]\.file': Value error, must be the plain name of a \.parquet file inside"),
    _err("file-absolute-path", _edit("shards.0.file", "/etc/passwd.parquet"),
         r"shards\[0\]\.file': Value error, must be the plain name"),
    _err("file-symlink-out-of-the-directory", _symlink_out,
         r"shard-0-00000\.parquet' is a symbolic link .*must be regular files inside"),
    _err("schema-version-unknown", _edit("schema_version", 2),
         r"has schema_version 2; this sciood reads version 1 — regenerate"),
    _err("schema-version-missing", _edit("schema_version", ...), r"has no schema_version"),
    _err("format-wrong", _edit("format", "lhco"), r"key 'format': Input should be 'sciood\.event"),
    _err("manifest-not-an-object", _not_object, r"is not a JSON object \(found list\)"),
    _err("manifest-truncated", _truncated, r"cannot parse"),
    _err("manifest-empty", _empty, r"cannot parse"),
    _err("manifest-nested-100000-deep", _nested, r"cannot parse"),
    _err("manifest-checksum-edited", _checksum_edited, r"does not match its manifest_sha256"),
    _err("legacy-manifest-weight-scale-edited", _legacy_scale_one,
         r"shard-0-00002\.parquet' has weight_scale"),
    _err("features-name-missing-column", _roles("features", ["mj1", "no_such_column"]),
         r"names column\(s\) \['no_such_column'\] as observables/features, but its shards"),
    _err("features-duplicate", _roles("features", ["mj1", "mj1"]),
         r"features lists \['mj1'\] more than once"),
    _err("features-include-weight", _roles("features", ["mj1", "weight"]),
         r"features names the required column\(s\) \['weight'\]"),
    _err("observables-not-strings", _roles("observables", [1]),
         r"observables\[0\]': Input should be a valid string"),
    _err("shard-nan-weight", _nan_weight,
         r"shard-0-00001\.parquet': 1 weight\(s\) are not finite \(first at row 3: nan\)"),
    _err("shard-minus-inf-weight", _inf_weight, r"1 weight\(s\) are not finite .*-inf"),
    _err("shard-weight-overflows-with-scale", _overflow_weight,
         r"shard-00000\.parquet': 1 weight\(s\) are not finite after × weight_scale 10\.0 "
         r"\(first at row 1: 1e\+308\)"),
    _err("shard-null-weight", _null_weight, r"column 'weight' has 1 null value"),
    _err("shard-null-label", _null_label, r"column 'label' has 1 null value"),
    _err("shard-without-weight-column", _no_weight_column, r"required column 'weight' is missing"),
    _err("shard-with-other-columns", _other_columns, r"unlike the first shard's"),
    _err("shard-replaced-by-another", _replaced_shard, r"SHA-256 .* does not match"),
    _err("shard-truncated", _truncated_shard, r"corrupted or truncated"),
    _err("shard-not-parquet-checksum-updated", _not_parquet, r"cannot be read as Parquet"),
]


@pytest.mark.parametrize(("damage", "exc", "match"), CASES)
def test_damaged_store_is_refused(damaged: Path, damage: Callable[[Path, Manifest], None],
                                  exc: type[Exception], match: str) -> None:
    damage(damaged, _load(damaged))
    with pytest.raises(exc, match=match) as info:
        EventSet.read(damaged)
    fix = ("regenerate", "re-run", "copy the data in")
    assert any(f in str(info.value) for f in fix), str(info.value)
    problems = store.verify(damaged)  # what `sciood info` prints before exiting 2
    assert any(re.search(match, p) for p in problems), problems


@pytest.mark.hostile("stores", "error")
def test_sciood_info_exits_2_listing_the_problem(damaged: Path) -> None:
    _twice_counted(damaged, _load(damaged))
    result = CliRunner().invoke(app, ["info", str(damaged)])
    assert result.exit_code == 2
    assert "listed 2 times" in result.output


def test_sciood_info_exits_0_on_an_intact_store(pristine: Path) -> None:
    result = CliRunner().invoke(app, ["info", str(pristine)])
    assert result.exit_code == 0, result.output
    assert store.verify(pristine) == []


@pytest.mark.hostile("stores", "error")
def test_writing_a_nan_weight_is_refused(tmp_path: Path) -> None:
    t = pa.table({"label": ["a", "a"], "is_signal": [False, False], "weight": [1.0, np.nan],
                  "x": [1.0, 2.0]})
    with pytest.raises(DataError, match=r"1 weight\(s\) are not finite.*fix the weights"):
        EventSet(t).write(tmp_path / "d")
    assert not (tmp_path / "d" / "manifest.json").exists()


@pytest.mark.hostile("stores", "error")
def test_reading_an_absent_column_is_refused(pristine: Path) -> None:
    with pytest.raises(DataError, match=r"column\(s\) \['nope'\] are not in .*its columns"):
        EventSet.read(pristine, columns=["mj1", "nope"])


@pytest.mark.hostile("stores", "correct")
def test_negative_weights_are_legal_and_summed_exactly(damaged: Path, pristine: Path) -> None:
    """Negative Monte-Carlo weights (HEP): read, scaled and summed like any other weight."""
    m = _load(damaged)
    flips = []
    for i in range(len(m["shards"])):
        t = _shard(damaged, m, i)
        w = t.column("weight").to_numpy().copy()
        w[::3] *= -1.0
        flips.append(w * m["shards"][i]["weight_scale"])
        t = t.set_column(t.column_names.index("weight"), "weight", pa.array(w))
        _rewrite_shard(damaged, m, i, t)
    es = EventSet.read(damaged)
    expect = np.concatenate(flips)
    np.testing.assert_array_equal(es.weights, expect)
    assert (es.weights < 0).sum() == sum(len(range(0, len(f), 3)) for f in flips)
    assert store.verify(damaged) == []
    np.testing.assert_array_equal(np.abs(es.weights), EventSet.read(pristine).weights)


@pytest.mark.hostile("stores", "correct")
def test_legacy_manifest_without_checksum_reads_with_a_warning_and_can_be_sealed(
        damaged: Path, pristine: Path, caplog: pytest.LogCaptureFixture) -> None:
    m = _load(damaged)
    del m[store.CHECKSUM_KEY]
    (damaged / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True))
    with caplog.at_level(logging.WARNING, logger="sciood.data.store"):
        es = EventSet.read(damaged)
    assert "has no manifest_sha256" in caplog.text and "seal_manifest" in caplog.text
    assert es.table.equals(EventSet.read(pristine).table)
    store.seal_manifest(damaged)
    assert _load(damaged)[store.CHECKSUM_KEY] == _load(pristine)[store.CHECKSUM_KEY]
    with pytest.raises(CorruptDataError, match="already has a manifest_sha256"):
        store.seal_manifest(damaged)


@pytest.mark.hostile("stores", "error")
def test_sealing_a_damaged_legacy_manifest_is_refused(damaged: Path) -> None:
    m = _load(damaged)
    del m[store.CHECKSUM_KEY]
    m["shards"].append(m["shards"][0])
    _put(damaged, m)
    with pytest.raises(CorruptDataError, match=r"not intact, not sealing it: .*listed 2 times"):
        store.seal_manifest(damaged)
    assert store.CHECKSUM_KEY not in _load(damaged)


@pytest.mark.hostile("stores", "correct")
def test_reindented_manifest_keeps_its_checksum(damaged: Path, pristine: Path) -> None:
    """The checksum is over canonical JSON: re-indenting or re-ordering keys is not an edit."""
    m = _load(damaged)
    (damaged / "manifest.json").write_text(json.dumps(dict(reversed(list(m.items())))))
    assert store.verify(damaged) == []
    assert EventSet.read(damaged).table.equals(EventSet.read(pristine).table)


@pytest.mark.hostile("stores", "correct")
def test_rewriting_a_smaller_set_removes_the_old_shards(tmp_path: Path, pristine: Path) -> None:
    es = EventSet.read(pristine)
    es.write(tmp_path / "d", shard_size=5)  # 8 shards
    es.select(np.arange(12)).write(tmp_path / "d", shard_size=5)  # 3 shards
    assert sorted(p.name for p in (tmp_path / "d").glob("*.parquet")) == [
        f"shard-{i:05d}.parquet" for i in range(3)]
    back = EventSet.read(tmp_path / "d")
    assert back.table.equals(es.select(np.arange(12)).table)


@pytest.mark.hostile("stores", "error")
def test_scoring_a_store_with_a_nan_weight_is_refused_before_writing(damaged: Path,
                                                                     tmp_path: Path) -> None:
    from sciood.detectors import make
    from sciood.scoring import score_store

    det = make("mahalanobis", features="physics").fit(EventSet.read(damaged))
    _nan_weight(damaged, _load(damaged))
    with pytest.raises(CorruptDataError, match=r"shard-0-00001\.parquet: 1 weight\(s\) are not "
                                               r"finite .*regenerate the dataset"):
        score_store(det, damaged, tmp_path / "scores")
    assert not (tmp_path / "scores" / "manifest.json").exists()
