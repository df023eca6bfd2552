"""Integrity of a whole dataset directory: :func:`verify` (every check) and :func:`seal_manifest`.

:func:`verify` runs every check over a directory and returns the list of problems
(``sciood info`` exits non-zero when it is not empty).
"""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from sciood.data.layout import CHECKSUM_KEY, MANIFEST_NAME, REGENERATE
from sciood.data.manifest import read_manifest, write_manifest
from sciood.data.shards import check_events_table, read_shard
from sciood.errors import CorruptDataError, DataError

__all__ = ["seal_manifest", "verify"]


def verify(directory: str | os.PathLike[str]) -> list[str]:
    """Run every integrity check over a dataset directory; an empty list means intact.

    Checks the manifest (structure, consistency, checksum), every shard (file inside the
    directory, SHA-256, rows, Parquet, required columns without nulls, finite weights), that
    every shard has the same columns and that the column roles name existing columns.

    Returns
    -------
    list of str
        One message per problem found (the manifest's first problem stops the scan).
    """
    directory = Path(directory)
    try:
        raw = read_manifest(directory)
    except CorruptDataError as exc:
        return [str(exc)]
    problems: list[str] = []
    schema: pa.Schema | None = None
    for entry in raw["shards"]:
        try:
            table = read_shard(directory, entry)
        except DataError as exc:
            problems.append(str(exc))
            continue
        problems += check_events_table(table, f"shard {entry['file']!r}",
                                       float(entry.get("weight_scale", 1.0)))
        if schema is None:
            schema = table.schema
            missing = [c for c in [*raw.get("observables", []), *raw.get("features", [])]
                       if c not in schema.names]
            if missing:
                problems.append(f"the manifest names column(s) {missing} as observables/"
                                "features, but its shards have no such columns")
        elif not table.schema.remove_metadata().equals(schema.remove_metadata()):
            problems.append(f"shard {entry['file']!r} has columns {table.schema.names} (or "
                            f"types) unlike the first shard's {schema.names}")
    if not raw["shards"]:
        problems.append(f"{str(directory)!r} lists no shards")
    return problems


def seal_manifest(directory: str | os.PathLike[str]) -> Path:
    """Add ``manifest_sha256`` to a manifest written by an older sciood, after verifying it.

    Raises
    ------
    CorruptDataError
        The dataset fails :func:`verify` (nothing is written), or it is already sealed.
    """
    directory = Path(directory)
    problems = verify(directory)
    if problems:
        raise CorruptDataError(f"{str(directory)!r} is not intact, not sealing it: "
                               + "; ".join(problems[:3]) + f"; {REGENERATE}")
    raw = read_manifest(directory)
    if raw.get(CHECKSUM_KEY) is not None:
        raise CorruptDataError(f"{str(directory / MANIFEST_NAME)!r} already has a "
                               "manifest_sha256; nothing to do")
    return write_manifest(directory, raw)
