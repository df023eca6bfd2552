"""Stage cache: every stage output lives in its own directory with a ``stage.json`` marker.

A stage's *key* is the SHA-256 of everything its output depends on (its configuration
section, the keys of the stages it reads, and the *code* that computes it — the fingerprint of
:mod:`sciood.pipeline.fingerprint`, not a hand-bumped version string) — and of nothing else: wall
times, dates, host names and other non-deterministic fields never enter a key
(:func:`deterministic`), so identical data give identical keys.  The marker holds the key
and the SHA-256 of every file the stage wrote; it is written last, atomically.  A directory
whose marker is missing, holds another key, or lists a file that is now missing or differs
(a damaged cache entry) is incomplete, stale or corrupt: it is wiped (only inside the run
directory, :func:`sciood.pipeline.rundir.remove_inside`) and recomputed, with a logged
warning for a damaged one.  A run killed in the middle of a stage therefore leaves every
*finished* stage reusable and redoes only the interrupted one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sciood.io import atomic_write_bytes, sha256_file
from sciood.pipeline.fingerprint import stage_fingerprint
from sciood.pipeline.rundir import output_errors, remove_inside

__all__ = ["MARKER", "StageRecord", "check_done", "deterministic", "is_done", "stage_dir",
           "stage_key"]

log = logging.getLogger("sciood.pipeline")

#: File that marks a finished stage directory.
MARKER = "stage.json"
#: Keys that describe *when / where / how long*, not *what*: never part of a cache key.
VOLATILE_KEYS = frozenset({
    "wall_seconds", "seconds", "elapsed", "duration", "time", "timestamp", "date", "created",
    "started", "finished", "host", "hostname", "user", "pid", "cwd", "timings",
})


def deterministic(obj: Any) -> Any:
    """``obj`` (JSON data) without its non-deterministic fields, at any depth.

    Drops keys in :data:`VOLATILE_KEYS` and keys ending in ``_seconds``, ``_time``, ``_at``,
    ``_date`` or ``_host`` (wall times, dates, host names).
    """
    if isinstance(obj, dict):
        return {k: deterministic(v) for k, v in obj.items() if not _volatile(str(k))}
    if isinstance(obj, list | tuple):
        return [deterministic(v) for v in obj]
    return obj


def _volatile(key: str) -> bool:
    return key in VOLATILE_KEYS or key.endswith(("_seconds", "_time", "_at", "_date", "_host"))


def stage_key(stage: str, *parts: Any) -> str:
    """Cache key of ``stage``: hash of the stage's code fingerprint and the JSON form of ``parts``.

    Parameters
    ----------
    stage : str
        A stage of :data:`sciood.pipeline.fingerprint.STAGE_CODE` (``"dataset"``, ``"train"``, …).
    *parts
        JSON-able inputs of the stage (config section, keys of the stages it reads, …).

    Returns
    -------
    str
        First 16 hex digits of the SHA-256.
    """
    text = json.dumps([stage, stage_fingerprint(stage), *parts], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _files(directory: Path, extra: Sequence[Path]) -> dict[str, str]:
    """SHA-256 of every file below ``directory`` (and of ``extra``), by path relative to it."""
    out: dict[str, str] = {}
    for dirpath, _, names in os.walk(directory):
        for n in names:
            path = Path(dirpath) / n
            rel = path.relative_to(directory).as_posix()
            if rel != MARKER:
                out[rel] = sha256_file(path)
    for path in extra:
        if path.is_file():
            out[os.path.relpath(path, directory)] = sha256_file(path)
    return out


def check_done(directory: Path, key: str) -> tuple[bool, str | None]:
    """``(done, damage)``: whether ``directory`` holds the intact output of stage ``key``.

    ``damage`` says what is wrong when the marker has the right key but a file it lists is
    missing or differs (``None`` otherwise).
    """
    marker = directory / MARKER
    if not marker.is_file():
        return False, None
    try:
        body = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False, f"{marker} is unreadable"
    if not isinstance(body, dict) or body.get("key") != key:
        return False, None
    files = body.get("files")
    if not isinstance(files, dict):
        return False, f"{marker} lists no checksums (written by an older sciood)"
    for rel, sha in files.items():
        path = directory / str(rel)
        if not path.is_file():
            return False, f"{path} is missing"
        try:
            if sha256_file(path) != sha:
                return False, f"{path} fails its checksum"
        except OSError as exc:
            return False, f"{path} cannot be read ({exc.strerror})"
    return True, None


def is_done(directory: Path, key: str) -> bool:
    """Whether ``directory`` holds the finished, intact output of the stage with this ``key``."""
    return check_done(directory, key)[0]


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
    extra : dict
        More facts (``path`` of a sample, ``recomputed``: why a damaged entry was redone).
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
def stage_dir(directory: Path, key: str, name: str, records: list[StageRecord], *,
              root: Path, extra: Sequence[Path] = ()) -> Iterator[tuple[Path, bool]]:
    """Open a stage directory: yield ``(directory, cached)``.

    When not cached (or damaged) the directory is emptied first (only inside ``root``, the
    run directory), and the marker — key and checksums of every file in ``directory`` and
    of the ``extra`` files — is written when the block ends without an exception.  A record
    is appended to ``records`` either way.  An ``OSError`` in the block (disk full, read-only)
    becomes an :class:`~sciood.errors.OutputError` naming the path.
    """
    t0 = time.perf_counter()
    cached, damage = check_done(directory, key)
    info: dict[str, Any] = {}
    with output_errors(root, name):
        if damage is not None:
            log.warning("stage %s: cached output damaged (%s); recomputing it", name, damage)
            info["recomputed"] = damage
        if not cached:
            remove_inside(directory, root)
            directory.mkdir(parents=True)
        yield directory, cached
        seconds = time.perf_counter() - t0
        if not cached:
            body = {"key": key, "stage": name, "seconds": round(seconds, 3),
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "files": _files(directory, extra)}
            atomic_write_bytes(directory / MARKER, json.dumps(body, indent=1).encode())
    records.append(StageRecord(name, key, cached, seconds, info))
