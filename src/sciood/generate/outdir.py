"""The output directory of a generation: who owns it, whether it already holds the dataset.

A partially filled directory carries a claim (``generation.json``: the run's configuration hash
and status); a second run with other settings is refused while the first can still complete,
and takes over (removing the first run's shard files) only once that one failed
deterministically or left no shard file.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, CorruptDataError
from sciood.io import atomic_write_bytes

__all__ = ["CLAIM_NAME", "claim", "finished_dataset", "remove_stale_temporaries", "write_claim"]

log = logging.getLogger(__name__)
CLAIM_NAME = "generation.json"
_SHARD_FILE = re.compile(r"(shard-\d+-\d{5}\.(parquet|json)|\.shard-.*\.tmp)")


def finished_dataset(directory: Path, chash: str) -> EventSet | None:
    """The dataset if ``directory`` already holds this exact run, else None.

    Raises ConfigError if it holds a *different* complete dataset.
    """
    if not (directory / store.MANIFEST_NAME).is_file():
        return None
    manifest = store.read_manifest(directory)
    if manifest.get("provenance", {}).get("config_hash") != chash:
        raise ConfigError(
            f"{str(directory)!r} already holds a different dataset (other process, events, seed "
            "or settings); choose another --out or delete that directory"
        )
    try:
        return EventSet.read(directory)
    except CorruptDataError as exc:  # same run, damaged shard: regenerate what is broken
        log.warning("%s; regenerating the damaged shards", exc)
        return None


def shard_files(directory: Path) -> list[Path]:
    """Shard files, sidecars and shard temporaries directly in ``directory`` (no others)."""
    return sorted(p for p in directory.iterdir() if _SHARD_FILE.fullmatch(p.name)
                  and (p.is_file() or p.is_symlink()))


def claim(directory: Path, chash: str, body: Mapping[str, Any]) -> None:
    """Record which run owns a partially filled directory; refuse to mix two runs.

    A claim of another configuration is taken over (its shard files removed) only if that
    generation failed deterministically (status ``failed``: it can never complete) or left
    no shard file; otherwise its completed shards are protected.
    """
    claim = directory / CLAIM_NAME
    if claim.is_file():
        try:
            info = json.loads(claim.read_text())
            owner, status = info.get("config_hash"), info.get("status", "running")
        except (ValueError, AttributeError, UnicodeDecodeError):
            owner, status = None, "running"
        if owner not in (None, chash):
            leftovers = shard_files(directory)
            if status != "failed" and leftovers:
                raise ConfigError(
                    f"{str(directory)!r} holds an unfinished generation with other settings "
                    f"({len(leftovers)} shard files); re-run that command to finish it, or "
                    "choose another --out")
            if leftovers:
                log.warning("%s: replacing %d shard files of a failed generation with other "
                            "settings", directory, len(leftovers))
            for path in leftovers:
                path.unlink(missing_ok=True)
    write_claim(directory, chash, body, status="running")


def write_claim(directory: Path, chash: str, body: Mapping[str, Any], *, status: str,
                 error: str = "") -> None:
    info = {"config_hash": chash, **body, "status": status}
    if error:
        info["error"] = error
    atomic_write_bytes(directory / CLAIM_NAME,
                             json.dumps(info, sort_keys=True, default=str).encode())


def remove_stale_temporaries(directory: Path) -> None:
    """Delete temporary files left by a shard writer that was killed mid-write.

    Called once every shard is in, so no live writer owns them.
    """
    for tmp in directory.glob(".shard-*.tmp"):
        tmp.unlink(missing_ok=True)
