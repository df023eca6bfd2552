"""File helpers shared by every stage: SHA-256 of a file, a writability check, atomic writes.

They sit at the bottom of the package (nothing but :mod:`sciood.errors` below them), so the
statistics, the report and the pipeline write files without importing the data layer.
Every failure is a :class:`~sciood.errors.DataError` that names the path, the cause
(disk full, read-only file system, permission) and the fix.

>>> from sciood.io import atomic_write_bytes, sha256_file   # doctest: +SKIP
>>> atomic_write_bytes("out/result.json", b"{}")            # doctest: +SKIP
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sciood.errors import DataError

__all__ = ["atomic_write_bytes", "check_writable", "replacing", "sha256_file", "temporary_path",
           "write_error"]

_CHUNK = 1 << 20
_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Return the hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_error(path: Path, exc: OSError) -> DataError:
    """A :class:`DataError` naming ``path``, the cause and the fix of a failed write."""
    # pyarrow's messages wrap the errno text in a long "Error writing bytes ..." sentence
    reason = os.strerror(exc.errno) if exc.errno else (exc.strerror or str(exc))
    if exc.errno in _DISK_FULL:
        what = ("disk full or file-size limit reached" if exc.errno == errno.EFBIG
                else "disk full")
        return DataError(
            f"cannot write {str(path)!r}: {what} ({reason}); nothing partial was kept — free "
            "space (or raise the quota / `ulimit -f`) or choose another output directory, "
            "then re-run the same command"
        )
    if exc.errno == errno.EROFS:
        return DataError(
            f"cannot write {str(path)!r}: the file system is read-only ({reason}); choose an "
            "output directory on writable storage"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return DataError(
            f"cannot write {str(path)!r}: permission denied ({reason}); choose another output "
            "directory or fix its permissions"
        )
    return DataError(
        f"cannot write {str(path)!r} ({reason}); check the output directory and re-run"
    )


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
        if exc.errno in _DISK_FULL or exc.errno == errno.EROFS:
            raise write_error(path, exc) from exc
        raise DataError(
            f"output directory {str(path)!r} is not writable ({exc.strerror}); "
            "choose another --out or fix its permissions"
        ) from exc
    return path


def temporary_path(path: Path) -> str:
    """Create an empty temporary file beside ``path`` (same directory, hidden name); return it."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise write_error(path, exc) from exc
    os.close(fd)
    return tmp


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[str]:
    """Write a file atomically: yield a temporary path beside ``path``, then fsync and rename it.

    Whatever the block writes to the yielded path replaces ``path`` only if the block succeeds;
    on any error the temporary file is removed (``path`` keeps its old content) and an
    :class:`OSError` becomes a :class:`DataError` naming ``path``, the cause and the fix.

    >>> with replacing("out/scores.parquet") as tmp:   # doctest: +SKIP
    ...     pq.write_table(table, tmp)
    """
    path = Path(path)
    tmp = temporary_path(path)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:  # pyarrow's and uproot's IO errors are OSError subclasses
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, exc) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same directory + rename).

    Raises
    ------
    DataError
        The write failed (disk full, read-only file system, ...); the message names the path
        and the temporary file is removed, so ``path`` is either the old or the new content.
    """
    with replacing(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
