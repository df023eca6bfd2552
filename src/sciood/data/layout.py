"""Names and formats of a dataset directory (the constants every store module shares).

Layout of a dataset directory::

    DIR/manifest.json          schema version, shard list (file, rows, sha256, weight_scale),
                               column roles, provenance, and manifest_sha256 (its own checksum)
    DIR/shard-00000.parquet    one Parquet file per shard
"""

from __future__ import annotations

import re

__all__ = [
    "CHECKSUM_KEY",
    "FORMAT",
    "HEX64",
    "MANIFEST_NAME",
    "MAX_MANIFEST_BYTES",
    "REGENERATE",
    "REQUIRED_COLUMNS",
    "SCHEMA_VERSION",
    "SHARD_FILE",
    "WRITER_SHARD",
]

SCHEMA_VERSION = 1
FORMAT = "sciood.eventset"
MANIFEST_NAME = "manifest.json"
CHECKSUM_KEY = "manifest_sha256"
REQUIRED_COLUMNS = ("label", "is_signal", "weight")
#: A manifest larger than this is not one sciood wrote (a million shards is ~200 MB).
MAX_MANIFEST_BYTES = 256 << 20
#: A SHA-256 in lower-case hex.
HEX64 = r"^[0-9a-f]{64}$"
#: Shard files are plain names in the dataset directory: no separators, no leading dot.
SHARD_FILE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]*\.parquet$")
#: Names sciood's writers give shards; such a file not listed in the manifest is refused.
WRITER_SHARD = re.compile(r"^(shard|scores)-[0-9][0-9-]*\.parquet$")
#: The fix every refusal of a damaged dataset names.
REGENERATE = ("regenerate the dataset (re-run the command that wrote it); a manifest is "
              "written by sciood and must not be edited by hand")
