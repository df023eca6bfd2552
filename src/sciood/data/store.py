"""Sharded Parquet store with a checksummed, schema-validated manifest and atomic writes.

The store is one door onto five modules (this one re-exports their names):
:mod:`~sciood.data.layout` (file names, schema version), :mod:`~sciood.data.shards` (shard
files), :mod:`~sciood.data.manifest` (schema, checksum, read/write),
:mod:`~sciood.data.consistency` (do the manifest's numbers add up) and
:mod:`~sciood.data.verify` (every check over a directory). The file helpers
(:func:`atomic_write_bytes`, :func:`sha256_file`, :func:`check_writable`) live in
:mod:`sciood.io` and are re-exported here as before.

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

from sciood.data.layout import (
    CHECKSUM_KEY,
    FORMAT,
    MANIFEST_NAME,
    REQUIRED_COLUMNS,
    SCHEMA_VERSION,
)
from sciood.data.manifest import manifest_checksum, read_manifest, write_manifest
from sciood.data.shards import check_events_table, read_shard, write_shard
from sciood.data.verify import seal_manifest, verify
from sciood.io import atomic_write_bytes, check_writable, sha256_file

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
