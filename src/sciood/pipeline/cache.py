"""Stage cache: every stage output lives in its own directory with a ``stage.json`` marker.

A stage's *key* is the SHA-256 of everything its output depends on (its configuration
section, the keys of the stages it reads, the sciood version).  The marker holds the key and
is written last, atomically, so a directory whose marker is missing or holds another key is
incomplete or stale: it is wiped and recomputed.  A run killed in the middle of a stage
therefore leaves every *finished* stage reusable and redoes only the interrupted one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciood.data.store import atomic_write_bytes

__all__ = ["MARKER", "StageRecord", "is_done", "stage_dir", "stage_key"]

#: File that marks a finished stage directory.
MARKER = "stage.json"


def stage_key(*parts: Any) -> str:
    """Hash of the JSON form of ``parts`` (first 16 hex digits of SHA-256)."""
    from sciood import __version__

    text = json.dumps([__version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def is_done(directory: Path, key: str) -> bool:
    """Whether ``directory`` holds the finished output of the stage with this ``key``."""
    marker = directory / MARKER
    if not marker.is_file():
        return False
    try:
        return bool(json.loads(marker.read_text()).get("key") == key)
    except (OSError, ValueError):
        return False


@dataclass
class StageRecord:
    """What happened to one stage (or one unit of it) in a run.

    Attributes
    ----------
    name : str
        ``"train/flow"``, ``"score/flow/sim"``, ...
    key : str
        Cache key of its inputs.
    cached : bool
        The output was reused.
    seconds : float
        Wall time spent (loading the cache counts as nearly zero).
    """

    name: str
    key: str
    cached: bool
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"name": self.name, "key": self.key, "cached": self.cached,
                "seconds": round(self.seconds, 3), **self.extra}


@contextmanager
def stage_dir(directory: Path, key: str, name: str,
              records: list[StageRecord]) -> Iterator[tuple[Path, bool]]:
    """Open a stage directory: yield ``(directory, cached)``.

    When not cached the directory is emptied first, and the marker is written when the block
    ends without an exception.  A record is appended to ``records`` either way.
    """
    t0 = time.perf_counter()
    cached = is_done(directory, key)
    if not cached:
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
    yield directory, cached
    seconds = time.perf_counter() - t0
    if not cached:
        body = {"key": key, "stage": name, "seconds": round(seconds, 3),
                "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        atomic_write_bytes(directory / MARKER, json.dumps(body, indent=1).encode())
    records.append(StageRecord(name, key, cached, seconds))
