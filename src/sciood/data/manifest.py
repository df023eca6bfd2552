"""The manifest of a dataset: schema, checksum, reading and writing (the commit point).

Reading checks, in this order, and refuses with a :class:`~sciood.errors.CorruptDataError`
naming the key or file and the fix:

1. the manifest's *structure* (a pydantic schema: keys, types, shard file names that stay
   inside the directory, finite positive ``weight_scale``);
2. its *consistency* (:mod:`sciood.data.consistency`);
3. its *checksum* ``manifest_sha256`` — the SHA-256 of the canonical JSON of every other key —
   so any hand edit that keeps the manifest self-consistent is still caught.  Manifests written
   before the checksum existed are read with a logged warning
   (:func:`sciood.data.verify.seal_manifest` adds it after a full verification).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sciood.data.consistency import consistency_problems, unlisted_shards
from sciood.data.layout import (
    CHECKSUM_KEY,
    FORMAT,
    HEX64,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    REGENERATE,
    SCHEMA_VERSION,
    SHARD_FILE,
)
from sciood.errors import CorruptDataError, DataError
from sciood.io import atomic_write_bytes

__all__ = ["Manifest", "ShardEntry", "manifest_checksum", "read_manifest", "validate_manifest",
           "write_manifest"]

log = logging.getLogger(__name__)
_warned_legacy: set[str] = set()


class ShardEntry(BaseModel):
    """One shard of the manifest (extra keys are kept; they are covered by the checksum)."""

    model_config = ConfigDict(strict=True, extra="allow")

    file: str
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=HEX64)
    weight_scale: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    slice: int | None = Field(default=None, ge=0)
    seed: int | None = None
    n_generated: int | None = Field(default=None, ge=0)

    @field_validator("file")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not SHARD_FILE.match(v):
            raise ValueError(
                "must be the plain name of a .parquet file inside the dataset directory (no "
                "'/', '..', absolute path or leading dot)"
            )
        return v


class Manifest(BaseModel):
    """The manifest of a dataset directory, ``schema_version`` 1."""

    model_config = ConfigDict(strict=True, extra="allow")

    schema_version: Literal[1]
    format: Literal["sciood.eventset"]
    n_events: int = Field(ge=0)
    shards: list[ShardEntry]
    observables: list[str] = Field(default_factory=list)
    features: list[str] = Field(default_factory=list)
    provenance: dict[str, Any] = Field(default_factory=dict)
    manifest_sha256: str | None = Field(default=None, pattern=HEX64)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate_manifest(raw: Any, path: Path) -> Manifest:
    if not isinstance(raw, dict):
        raise CorruptDataError(
            f"{str(path)!r} is not a JSON object (found {type(raw).__name__}); {REGENERATE}"
        )
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION or isinstance(version, bool):
        what = "has no schema_version" if "schema_version" not in raw \
            else f"has schema_version {version!r}"
        raise CorruptDataError(
            f"{str(path)!r} {what}; this sciood reads version {SCHEMA_VERSION} — regenerate "
            "the dataset or upgrade sciood"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        parts = []
        for err in exc.errors()[:3]:
            key = _loc(tuple(err["loc"]))
            if err["type"] == "missing":
                parts.append(f"key {key!r} is missing")
            else:
                got = repr(err.get("input"))
                got = got if len(got) <= 60 else got[:57] + "..."
                parts.append(f"key {key!r}: {err['msg'].rstrip('.')} (got {got})")
        more = f" (and {exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise CorruptDataError(
            f"{str(path)!r} is not a valid sciood manifest: {'; '.join(parts)}{more}; "
            f"{REGENERATE}"
        ) from None


def manifest_checksum(manifest: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``manifest`` without its ``manifest_sha256`` key.

    Canonical: keys sorted, no whitespace, UTF-8, floats in Python's shortest round-trip form —
    so the value does not depend on how the file was indented.
    """
    body = {k: v for k, v in manifest.items() if k != CHECKSUM_KEY}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def write_manifest(directory: str | os.PathLike[str], manifest: dict[str, Any]) -> Path:
    """Validate, seal and write ``manifest.json`` atomically; the commit point of a dataset.

    Missing ``schema_version``, ``format``, ``n_events`` (the sum of the shards' rows),
    ``observables``, ``features`` and ``provenance`` are filled in; ``manifest_sha256`` is
    (re)computed.

    Raises
    ------
    DataError
        The manifest would not pass :func:`read_manifest` (a writer bug: the message says
        which key), or the file cannot be written (disk full, read-only, ...).
    """
    body = dict(manifest)
    body.setdefault("schema_version", SCHEMA_VERSION)
    body.setdefault("format", FORMAT)
    shards = body.get("shards")
    if isinstance(shards, list):
        body.setdefault("n_events", sum(int(e.get("rows", 0)) for e in shards
                                        if isinstance(e, dict)))
    body.setdefault("observables", [])
    body.setdefault("features", [])
    body.setdefault("provenance", {})
    body.pop(CHECKSUM_KEY, None)
    body = json.loads(json.dumps(body, default=str))  # exactly what a reader will see
    path = Path(directory) / MANIFEST_NAME
    try:
        validate_manifest(body, path)
        problems = consistency_problems(body)
    except CorruptDataError as exc:
        raise DataError(f"refusing to write an invalid manifest: {exc}") from exc
    if problems:
        raise DataError(f"refusing to write an inconsistent manifest {str(path)!r}: "
                        + "; ".join(problems))
    body[CHECKSUM_KEY] = manifest_checksum(body)
    atomic_write_bytes(path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
    return path


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate ``DIR/manifest.json``: structure, consistency and checksum.

    Returns
    -------
    dict
        The manifest as stored (extra keys kept).

    Raises
    ------
    CorruptDataError
        If the directory or manifest is missing or unreadable, of an unknown schema, has a
        missing / mistyped key, is inconsistent (the first problems are listed), or its
        ``manifest_sha256`` does not match its content.
    """
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise CorruptDataError(
            f"dataset directory {str(directory)!r} does not exist; "
            "check the path or run `sciood generate` first"
        )
    if not path.is_file():
        raise CorruptDataError(
            f"{str(path)!r} is missing: {str(directory)!r} is not a complete sciood dataset "
            "(an interrupted `sciood generate` can be finished by re-running the same command)"
        )
    try:
        if path.stat().st_size > MAX_MANIFEST_BYTES:
            raise CorruptDataError(f"{str(path)!r} is larger than {MAX_MANIFEST_BYTES >> 20} "
                                   f"MiB, not a sciood manifest; {REGENERATE}")
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise CorruptDataError(f"cannot parse {str(path)!r}: {exc}; {REGENERATE}") from exc
    validate_manifest(raw, path)
    problems = consistency_problems(raw) + unlisted_shards(directory, raw)
    if problems:
        raise CorruptDataError(
            f"{str(path)!r} is inconsistent: {'; '.join(problems[:3])}"
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
            + f"; {REGENERATE}"
        )
    stored = raw.get(CHECKSUM_KEY)
    if stored is None:
        key = str(directory.resolve())
        if key not in _warned_legacy:
            _warned_legacy.add(key)
            log.warning("%s has no manifest_sha256 (written by an older sciood): its shards are "
                        "verified but hand edits of the manifest cannot all be detected; "
                        "sciood.data.store.seal_manifest(%r) adds the checksum", path,
                        str(directory))
    elif manifest_checksum(raw) != stored:
        raise CorruptDataError(
            f"{str(path)!r} was modified after it was written: its content does not match its "
            f"manifest_sha256 ({stored[:12]}…); {REGENERATE}"
        )
    return raw
