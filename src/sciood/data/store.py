"""Sharded Parquet store with a checksummed, schema-validated manifest and atomic writes.

Layout of a dataset directory::

    DIR/manifest.json          schema version, shard list (file, rows, sha256, weight_scale),
                               column roles, provenance, and manifest_sha256 (its own checksum)
    DIR/shard-00000.parquet    one Parquet file per shard

Every file is written to a temporary name in the same directory, flushed, fsynced and
renamed into place (``os.replace`` is atomic on POSIX), so a crash or a full disk never leaves
a file that looks complete; the temporary file is removed and the error names the path.  The
manifest is written last: a directory without one is not a dataset.

Reading checks, in this order, and refuses with a :class:`~sciood.errors.CorruptDataError`
naming the key or file and the fix:

1. the manifest's *structure* (a pydantic schema: keys, types, shard file names that stay
   inside the directory, finite positive ``weight_scale``);
2. its *consistency* (``n_events`` equals the sum of the shards' rows, no shard listed twice,
   no unlisted shard file beside the listed ones, column roles without duplicates; for generated
   samples the per-shard ``weight_scale`` and ``n_generated`` agree with the per-slice
   cross-sections in the provenance);
3. its *checksum* ``manifest_sha256`` — the SHA-256 of the canonical JSON of every other key —
   so any hand edit that keeps the manifest self-consistent is still caught.  Manifests written
   before the checksum existed are read with a logged warning (:func:`seal_manifest` adds it
   after a full verification);
4. each shard's SHA-256 and row count, its required columns (no nulls) and finite weights.

:func:`verify` runs every check over a directory and returns the list of problems
(``sciood info`` exits non-zero when it is not empty).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sciood.errors import CorruptDataError, DataError
from sciood.io import (
    atomic_write_bytes,
    check_writable,
    sha256_file,
    temporary_path,
    write_error,
)

__all__ = [
    "CHECKSUM_KEY",
    "FORMAT",
    "MANIFEST_NAME",
    "REQUIRED_COLUMNS",
    "SCHEMA_VERSION",
    "atomic_write_bytes",
    "check_events_table",
    "check_writable",
    "manifest_checksum",
    "read_manifest",
    "read_shard",
    "seal_manifest",
    "sha256_file",
    "verify",
    "write_manifest",
    "write_shard",
]

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FORMAT = "sciood.eventset"
MANIFEST_NAME = "manifest.json"
CHECKSUM_KEY = "manifest_sha256"
REQUIRED_COLUMNS = ("label", "is_signal", "weight")
#: A manifest larger than this is not one sciood wrote (a million shards is ~200 MB).
MAX_MANIFEST_BYTES = 256 << 20
_HEX64 = r"^[0-9a-f]{64}$"
#: Shard files are plain names in the dataset directory: no separators, no leading dot.
_SHARD_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\.parquet$")
#: Names sciood's writers give shards; such a file not listed in the manifest is refused.
_WRITER_SHARD = re.compile(r"^(shard|scores)-[0-9][0-9-]*\.parquet$")
_REGENERATE = ("regenerate the dataset (re-run the command that wrote it); a manifest is "
               "written by sciood and must not be edited by hand")
_warned_legacy: set[str] = set()


# ---------------------------------------------------------------------------------- writing
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
    tmp = temporary_path(path)
    try:
        # Deterministic bytes: no timestamps in Parquet metadata; fixed compression.
        pq.write_table(table, tmp, compression="zstd", write_statistics=True)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        digest = sha256_file(tmp)
        os.replace(tmp, path)
    except OSError as exc:  # pyarrow's IO errors are OSError subclasses
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {"file": path.name, "rows": table.num_rows, "sha256": digest}


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
        _validate(body, path)
        problems = _consistency(body)
    except CorruptDataError as exc:
        raise DataError(f"refusing to write an invalid manifest: {exc}") from exc
    if problems:
        raise DataError(f"refusing to write an inconsistent manifest {str(path)!r}: "
                        + "; ".join(problems))
    body[CHECKSUM_KEY] = manifest_checksum(body)
    atomic_write_bytes(path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode())
    return path


# ---------------------------------------------------------------------------------- schema
class ShardEntry(BaseModel):
    """One shard of the manifest (extra keys are kept; they are covered by the checksum)."""

    model_config = ConfigDict(strict=True, extra="allow")

    file: str
    rows: int = Field(ge=0)
    sha256: str = Field(pattern=_HEX64)
    weight_scale: float = Field(default=1.0, gt=0, allow_inf_nan=False)
    slice: int | None = Field(default=None, ge=0)
    seed: int | None = None
    n_generated: int | None = Field(default=None, ge=0)

    @field_validator("file")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if not _SHARD_FILE.match(v):
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
    manifest_sha256: str | None = Field(default=None, pattern=_HEX64)


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validate(raw: Any, path: Path) -> Manifest:
    if not isinstance(raw, dict):
        raise CorruptDataError(
            f"{str(path)!r} is not a JSON object (found {type(raw).__name__}); {_REGENERATE}"
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
            f"{_REGENERATE}"
        ) from None


# ---------------------------------------------------------------------------- consistency
def _consistency(raw: dict[str, Any]) -> list[str]:
    """Problems of a structurally valid manifest that make its numbers untrustworthy."""
    problems = []
    shards = raw["shards"]
    rows = sum(int(e["rows"]) for e in shards)
    counts = Counter(e["file"] for e in shards)
    twice = {f: c for f, c in counts.items() if c > 1}
    for name, c in sorted(twice.items()):
        problems.append(f"shard {name!r} is listed {c} times (its events would be read {c}×)")
    if rows != raw["n_events"]:
        problems.append(f"n_events is {raw['n_events']} but the listed shards hold {rows} rows "
                        "(a shard listed twice, dropped or edited)")
    for role in ("observables", "features"):
        dup = sorted(n for n, c in Counter(raw.get(role, [])).items() if c > 1)
        if dup:
            problems.append(f"{role} lists {dup} more than once")
        req = sorted(set(raw.get(role, [])) & set(REQUIRED_COLUMNS))
        if req:
            problems.append(f"{role} names the required column(s) {req}, which are not "
                            f"{role}")
    problems += _generated_consistency(raw)
    return problems


def _generated_consistency(raw: dict[str, Any]) -> list[str]:
    """A generated sample's weight scales and event counts agree with its cross-sections."""
    prov = raw.get("provenance", {})
    if (prov.get("kind") != "generated" or "slices" not in prov
            or not any("slice" in e for e in raw["shards"])):
        return []  # not generated, or re-written by EventSet.write (weights already scaled)
    slices = prov["slices"]
    try:
        info = {int(s["slice"]): s for s in slices}
        problems = []
        for k, s in sorted(info.items()):
            expect = float(s["sigma_fb"]) / float(s["sum_weights_generated"])
            if not math.isclose(float(s["weight_scale"]), expect, rel_tol=1e-9):
                problems.append(
                    f"provenance.slices[{k}].weight_scale {s['weight_scale']!r} is not "
                    f"sigma_fb / sum_weights_generated = {expect!r}")
            shards = [e for e in raw["shards"] if e.get("slice") == k]
            n_gen = sum(int(e.get("n_generated", 0)) for e in shards)
            if n_gen != int(s["n_generated"]):
                problems.append(
                    f"the shards of slice {k} generated {n_gen} events but "
                    f"provenance.slices[{k}].n_generated is {s['n_generated']} (a shard "
                    "dropped or listed twice)")
        for e in raw["shards"]:
            k = e.get("slice")
            if k is None:
                continue
            if k not in info:
                problems.append(f"shard {e['file']!r} names slice {k}, which the provenance "
                                "does not list")
            elif float(e.get("weight_scale", 1.0)) != float(info[k]["weight_scale"]):
                problems.append(
                    f"shard {e['file']!r} has weight_scale {e.get('weight_scale', 1.0)!r} but "
                    f"its slice {k} has {info[k]['weight_scale']!r} (σ·L/N_generated)")
        return problems
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return [f"provenance.slices of this generated sample is malformed ({type(exc).__name__}:"
                f" {exc})"]


def _unlisted_shards(directory: Path, raw: dict[str, Any]) -> list[str]:
    listed = {e["file"] for e in raw["shards"]}
    try:
        names = sorted(p.name for p in directory.iterdir() if _WRITER_SHARD.match(p.name))
    except OSError:
        return []
    return [f"{n!r} is in the directory but not in the manifest (a shard dropped from the "
            "manifest, or a stray file: delete it if it is not part of this dataset)"
            for n in names if n not in listed]


# ---------------------------------------------------------------------------------- reading
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
                                   f"MiB, not a sciood manifest; {_REGENERATE}")
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise CorruptDataError(f"cannot parse {str(path)!r}: {exc}; {_REGENERATE}") from exc
    _validate(raw, path)
    problems = _consistency(raw) + _unlisted_shards(directory, raw)
    if problems:
        raise CorruptDataError(
            f"{str(path)!r} is inconsistent: {'; '.join(problems[:3])}"
            + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
            + f"; {_REGENERATE}"
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
            f"manifest_sha256 ({stored[:12]}…); {_REGENERATE}"
        )
    return raw


def _shard_path(directory: Path, entry: dict[str, Any]) -> Path:
    name = entry.get("file")
    if not isinstance(name, str) or not _SHARD_FILE.match(name):
        raise CorruptDataError(
            f"shard file name {name!r} in {str(directory / MANIFEST_NAME)!r} is not a plain "
            f".parquet name inside the dataset directory; {_REGENERATE}"
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
                               + "; ".join(problems[:3]) + f"; {_REGENERATE}")
    raw = read_manifest(directory)
    if raw.get(CHECKSUM_KEY) is not None:
        raise CorruptDataError(f"{str(directory / MANIFEST_NAME)!r} already has a "
                               "manifest_sha256; nothing to do")
    return write_manifest(directory, raw)

