"""Checksummed, atomic Parquet store."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest

from sciood.data import store
from sciood.errors import CorruptDataError


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
