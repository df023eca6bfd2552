"""Sharded Parquet store with a checksummed manifest and atomic writes.

Layout of a dataset directory::

    DIR/manifest.json          schema version, shard list (file, rows, sha256, weight_scale),
                               column roles, provenance
    DIR/shard-00000.parquet    one Parquet file per shard

Every file is written to a temporary name in the same directory, flushed, fsynced and
renamed into place (``os.replace`` is atomic on POSIX), so a crash never leaves a file
that looks complete.  The manifest is written last: a directory without one is not a
dataset.  The reader re-hashes each shard and refuses any whose SHA-256 or row count
differs from the manifest, naming the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from sciood.errors import CorruptDataError, DataError

__all__ = [
    "MANIFEST_NAME",
    "SCHEMA_VERSION",
    "atomic_write_bytes",
    "check_writable",
    "read_manifest",
    "read_shard",
    "sha256_file",
    "write_manifest",
    "write_shard",
]

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def check_writable(directory: str | os.PathLike[str]) -> Path:
    """Create ``directory`` if needed and check that files can be written in it.

    Raises
    ------
    DataError
        If the directory cannot be created or written, with the path in the message.
    """
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataError(
            f"output directory {str(path)!r} is not writable ({exc.strerror}); "
            "choose another --out or fix its permissions"
        ) from exc
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory + rename)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_shard(table: pa.Table, path: str | os.PathLike[str]) -> dict[str, Any]:
    """Write one Parquet shard atomically.

    Parameters
    ----------
    table : pyarrow.Table
        The rows of this shard.
    path : path-like
        Final file name (``.parquet``).

    Returns
    -------
    dict
        ``{"file": name, "rows": n, "sha256": hex}`` — the manifest entry of the shard.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        # Deterministic bytes: no timestamps in Parquet metadata; fixed compression.
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        digest = sha256_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"file": path.name, "rows": table.num_rows, "sha256": digest}


def write_manifest(directory: str | os.PathLike[str], manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` atomically; this is the commit point of a dataset."""
    body = dict(manifest)
    body.setdefault("schema_version", SCHEMA_VERSION)
    body.setdefault("format", "sciood.eventset")
    path = Path(directory) / MANIFEST_NAME
    atomic_write_bytes(path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
    return path


def read_manifest(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate ``DIR/manifest.json``.

    Raises
    ------
    CorruptDataError
        If the directory or manifest is missing, unreadable, or of an unknown schema.
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
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise CorruptDataError(f"cannot parse {str(path)!r}: {exc}") from exc
    version = manifest.get("schema_version")
    if version != SCHEMA_VERSION:
        raise CorruptDataError(
            f"{str(path)!r} has schema_version {version!r}; this sciood reads version "
            f"{SCHEMA_VERSION} — regenerate the dataset or upgrade sciood"
        )
    if not isinstance(manifest.get("shards"), list):
        raise CorruptDataError(f"{str(path)!r} has no 'shards' list")
    return manifest


def read_shard(
    directory: str | os.PathLike[str],
    entry: dict[str, Any],
    *,
    columns: list[str] | None = None,
    verify: bool = True,
) -> pa.Table:
    """Read one shard named by its manifest entry, verifying checksum and row count.

    Raises
    ------
    CorruptDataError
        If the file is missing, its SHA-256 differs from the manifest (corrupted or
        truncated), or its row count differs.
    """
    path = Path(directory) / entry["file"]
    if not path.is_file():
        raise CorruptDataError(
            f"shard {str(path)!r} listed in the manifest is missing; regenerate the dataset"
        )
    if verify:
        digest = sha256_file(path)
        if digest != entry["sha256"]:
            raise CorruptDataError(
                f"shard {str(path)!r} is corrupted or truncated: SHA-256 {digest[:12]}… "
                f"does not match the manifest's {entry['sha256'][:12]}…; delete it and re-run "
                "the same `sciood generate` command to regenerate only that shard"
            )
    try:
        table = pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise CorruptDataError(f"shard {str(path)!r} cannot be read as Parquet: {exc}") from exc
    if table.num_rows != entry["rows"]:
        raise CorruptDataError(
            f"shard {str(path)!r} has {table.num_rows} rows, the manifest says {entry['rows']}"
        )
    return table
