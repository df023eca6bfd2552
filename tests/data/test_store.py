"""Checksummed, atomic Parquet store."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from sciood.data import store
from sciood.errors import CorruptDataError, DataError


def test_shard_entry_and_verification(tmp_path):
    t = pa.table({"x": list(range(100))})
    entry = store.write_shard(t, tmp_path / "s.parquet")
    assert entry["rows"] == 100 and entry["sha256"] == store.sha256_file(tmp_path / "s.parquet")
    assert store.read_shard(tmp_path, entry).equals(t)
    bad = dict(entry, rows=99)
    with pytest.raises(CorruptDataError, match="has 100 rows"):
        store.read_shard(tmp_path, bad)
    with pytest.raises(CorruptDataError, match="missing"):
        store.read_shard(tmp_path, dict(entry, file="other.parquet"))
    assert not list(tmp_path.glob(".*tmp"))


def test_same_table_same_bytes(tmp_path):
    t = pa.table({"x": [1.5, 2.5], "y": ["a", "b"]})
    a = store.write_shard(t, tmp_path / "a.parquet")
    b = store.write_shard(t, tmp_path / "b.parquet")
    assert a["sha256"] == b["sha256"]


def test_manifest_schema_version(tmp_path):
    store.write_manifest(tmp_path, {"shards": []})
    assert store.read_manifest(tmp_path)["schema_version"] == store.SCHEMA_VERSION
    body = json.loads((tmp_path / "manifest.json").read_text())
    body["schema_version"] = 99
    (tmp_path / "manifest.json").write_text(json.dumps(body))
    with pytest.raises(CorruptDataError, match="schema_version 99"):
        store.read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(CorruptDataError, match="cannot parse"):
        store.read_manifest(tmp_path)


def test_manifest_checksum_is_canonical_and_written(tmp_path):
    entry = store.write_shard(pa.table({"x": [1.0, 2.0]}), tmp_path / "shard-00000.parquet")
    store.write_manifest(tmp_path, {"shards": [entry], "provenance": {"b": 1, "a": [0.1, 2]}})
    m = json.loads((tmp_path / "manifest.json").read_text())
    assert m["n_events"] == 2 and m[store.CHECKSUM_KEY] == store.manifest_checksum(m)
    assert store.manifest_checksum(dict(reversed(list(m.items())))) == m[store.CHECKSUM_KEY]
    m["provenance"]["a"][0] = 0.1000000001
    assert store.manifest_checksum(m) != m[store.CHECKSUM_KEY]


def test_write_manifest_refuses_what_read_would_refuse(tmp_path):
    entry = store.write_shard(pa.table({"x": [1.0]}), tmp_path / "shard-00000.parquet")
    with pytest.raises(DataError, match="listed 2 times"):
        store.write_manifest(tmp_path, {"shards": [entry, entry]})
    with pytest.raises(DataError, match=r"weight_scale.*finite number"):
        store.write_manifest(tmp_path, {"shards": [dict(entry, weight_scale=float("nan"))]})
    assert not (tmp_path / "manifest.json").exists()
