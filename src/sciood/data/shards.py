"""Shard files: atomic, deterministic Parquet writes and verified reads.

Every file is written to a temporary name in the same directory, flushed, fsynced and
renamed into place (``os.replace`` is atomic on POSIX), so a crash or a full disk never leaves
a file that looks complete; the temporary file is removed and the error names the path.
Reading a shard checks its SHA-256 and row count against its manifest entry;
:func:`check_events_table` checks the EventSet columns (required columns without nulls,
finite weights).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sciood.data.layout import MANIFEST_NAME, REGENERATE, SHARD_FILE
from sciood.errors import CorruptDataError, DataError
from sciood.io import replacing, sha256_file

__all__ = ["check_events_table", "read_shard", "write_shard"]


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

    Raises
    ------
    DataError
        The write failed (disk full, read-only file system, ...); nothing is left at ``path``
        or beside it.
    """
    path = Path(path)
    with replacing(path) as tmp:
        # Deterministic bytes: no timestamps in Parquet metadata; fixed compression.
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        digest = sha256_file(tmp)
    return {"file": path.name, "rows": table.num_rows, "sha256": digest}


def _shard_path(directory: Path, entry: dict[str, Any]) -> Path:
    name = entry.get("file")
    if not isinstance(name, str) or not SHARD_FILE.match(name):
        raise CorruptDataError(
            f"shard file name {name!r} in {str(directory / MANIFEST_NAME)!r} is not a plain "
            f".parquet name inside the dataset directory; {REGENERATE}"
        )
    path = directory / name
    if path.is_symlink():
        raise CorruptDataError(
            f"shard {str(path)!r} is a symbolic link (to {os.readlink(path)!r}); shards must be "
            "regular files inside the dataset directory — copy the data in or regenerate the "
            "dataset"
        )
    return path


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
        If the file name leaves the directory, the file is missing, its SHA-256 differs from
        the manifest (corrupted or truncated), it is not Parquet, or its row count differs.
    DataError
        A requested column is not in the shard.
    """
    directory = Path(directory)
    path = _shard_path(directory, entry)
    if not path.is_file():
        raise CorruptDataError(
            f"shard {str(path)!r} listed in the manifest is missing; regenerate the dataset"
        )
    if verify:
        try:
            digest = sha256_file(path)
        except OSError as exc:
            raise CorruptDataError(f"shard {str(path)!r} cannot be read ({exc.strerror}); "
                                   "check its permissions or regenerate the dataset") from exc
        if digest != entry["sha256"]:
            raise CorruptDataError(
                f"shard {str(path)!r} is corrupted or truncated: SHA-256 {digest[:12]}… "
                f"does not match the manifest's {str(entry['sha256'])[:12]}…; delete it and "
                "re-run the same `sciood generate` command to regenerate only that shard"
            )
    try:
        if columns is not None:
            names = pq.read_schema(path).names
            absent = [c for c in columns if c not in names]
            if absent:
                raise DataError(f"column(s) {absent} are not in {str(path)!r}; its columns are "
                                f"{names}")
        table = pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as exc:
        raise CorruptDataError(f"shard {str(path)!r} cannot be read as Parquet: {exc}; "
                               "regenerate the dataset") from exc
    if table.num_rows != entry["rows"]:
        raise CorruptDataError(
            f"shard {str(path)!r} has {table.num_rows} rows, the manifest says {entry['rows']}"
        )
    return table


def check_events_table(table: pa.Table, name: str, weight_scale: float = 1.0) -> list[str]:
    """Problems of one shard's EventSet columns: missing/mistyped/null required columns, and
    non-finite weights after multiplying by ``weight_scale`` (negative weights are legal)."""
    problems = []
    kinds = {"label": (pa.types.is_string, pa.types.is_large_string, pa.types.is_dictionary),
             "is_signal": (pa.types.is_boolean,),
             "weight": (pa.types.is_floating, pa.types.is_integer)}
    for col, ok in kinds.items():
        if col not in table.column_names:
            problems.append(f"{name}: required column {col!r} is missing")
            continue
        c = table.column(col)
        if not any(f(c.type) for f in ok):
            problems.append(f"{name}: column {col!r} has type {c.type}")
        elif c.null_count:
            problems.append(f"{name}: column {col!r} has {c.null_count} null value(s)")
    if "weight" in table.column_names and not problems:
        w = table.column("weight").to_numpy(zero_copy_only=False).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            bad = np.flatnonzero(~np.isfinite(w * weight_scale))
        if bad.size:
            raw_bad = not np.isfinite(w[bad[0]])
            problems.append(
                f"{name}: {bad.size} weight(s) are not finite"
                + ("" if raw_bad else f" after × weight_scale {weight_scale!r}")
                + f" (first at row {int(bad[0])}: {float(w[bad[0]])!r}); negative weights are "
                "legal, NaN and ±inf are not")
    return problems
