"""Cache keys depend on what the data are, never on when or where they were made."""

from __future__ import annotations

import json
import shutil

from sciood.pipeline.cache import deterministic
from sciood.pipeline.data import content_key

from .conftest import CACHE


def _sample_copy(tmp_path):
    src = next(p for p in sorted(CACHE.glob("qcd-sim-300-*")) if (p / "manifest.json").is_file())
    dst = tmp_path / "sample"
    shutil.copytree(src, dst)
    return dst


def _edit(directory, fn):
    path = directory / "manifest.json"
    body = json.loads(path.read_text())
    fn(body)
    path.write_text(json.dumps(body))


def test_wall_time_and_host_do_not_change_the_content_key(tiny_run, tmp_path):
    sample = _sample_copy(tmp_path)
    key = content_key(sample)
    _edit(sample, lambda b: b["provenance"].update(wall_seconds=12345.6, host="elsewhere",
                                                   created="2031-01-01T00:00:00Z"))
    assert content_key(sample) == key
    _edit(sample, lambda b: b["shards"][0].update(sha256="0" * 64))   # other events
    assert content_key(sample) != key


def test_deterministic_drops_volatile_fields_at_any_depth():
    body = {"a": 1, "wall_seconds": 2.0, "x": [{"fit_seconds": 1, "host": "h", "n": 3}],
            "started_at": "t", "nested": {"date": "d", "seed": 4}}
    assert deterministic(body) == {"a": 1, "x": [{"n": 3}], "nested": {"seed": 4}}
