"""The run directory: who owns it, who is writing in it, and the only way to delete in it.

* :func:`claim` — a run writes only into an empty directory, or one holding a run of the
  *same* config ``name``.  A directory holding another config's run is refused (``force``
  replaces that run's sciood outputs); a non-empty directory that is not a sciood run is
  always refused: sciood never deletes files it did not write.
* :func:`locked` — an exclusive ``fcntl.flock`` on ``RUN/.sciood.lock`` for the whole run.  A
  second ``sciood run`` into the same directory is refused at once with the first one's pid;
  the kernel releases the lock when its process dies, so a killed run never blocks a re-run.
* :func:`remove_inside` — every delete of the pipeline: only paths strictly inside the run
  directory (after resolving symbolic links), never the run directory itself, never through a
  link that leads outside it (a link is removed as a link, its target is left alone).
* :func:`output_errors` — an ``OSError`` while a stage writes (disk full, file too large,
  read-only file system, permission) becomes one :class:`~sciood.errors.OutputError` naming
  the path, the stage and the fix.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sciood.errors import (
    CorruptDataError,
    DataError,
    OutputError,
    RunDirectoryError,
    RunLockedError,
)

__all__ = ["LOCK_NAME", "SCIOOD_ENTRIES", "claim", "is_write_error", "locked", "output_errors",
           "remove_inside"]

log = logging.getLogger("sciood.pipeline")

#: Lock file inside the run directory (never deleted: deleting lock files races).
LOCK_NAME = ".sciood.lock"
#: What a run writes at the top of its directory (what ``force`` replaces).
SCIOOD_ENTRIES = ("config.json", "split", "models", "scores", "evaluate", "hunt", "report",
                  "results.json", "report.html")
_WRITE_ERRNOS = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
                 errno.EFBIG: "a file exceeds the size limit (ulimit -f) or the file system's",
                 errno.EROFS: "the file system is read-only",
                 errno.EACCES: "permission denied", errno.EPERM: "operation not permitted"}
#: errnos of a failed write (what :func:`output_errors` converts); ENOENT / ENOTDIR: the output
#: path cannot exist (under /proc, below a file). Anything else (a timeout, a closed
#: connection, errno None) is not a write failure and passes through unchanged.
_CONVERTED = frozenset(_WRITE_ERRNOS) | {errno.ENOENT, errno.ENOTDIR}


def is_write_error(exc: OSError) -> bool:
    """Whether ``exc`` is a failed write whose fix is space, permissions or another path."""
    return exc.errno in _CONVERTED and not isinstance(exc, TimeoutError | ConnectionError)


# --------------------------------------------------------------------------- deleting
def remove_inside(path: Path, root: Path) -> None:
    """Delete the file, link or directory ``path``, which must lie strictly inside ``root``.

    Parameters
    ----------
    path : Path
        What to delete (missing is fine).
    root : Path
        The run directory.

    Raises
    ------
    RunDirectoryError
        ``path`` is ``root`` itself, outside it, or reached through a link leading outside.
    """
    root_r = root.resolve()
    name = path.name
    if name in ("", ".", ".."):
        raise RunDirectoryError(f"refusing to delete {str(path)!r}: not a plain entry of the "
                                f"run directory {str(root)!r} (sciood deletes nothing else)")
    try:
        parent_r = path.parent.resolve(strict=True)
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there to delete
    if parent_r != root_r and root_r not in parent_r.parents:
        raise RunDirectoryError(
            f"refusing to delete {str(path)!r}: it resolves to {str(parent_r / name)!r}, "
            f"outside the run directory {str(root_r)!r} (a symbolic link in the way?); "
            "sciood deletes only inside its run directory: remove the link")
    target = parent_r / name
    if target.is_symlink() or target.is_file():
        target.unlink()  # a link is removed as a link: its target is not touched
    elif target.is_dir():
        shutil.rmtree(target)  # does not follow links inside the tree


# --------------------------------------------------------------------------- ownership
def _owner(run_dir: Path) -> str | None:
    """The config name of the run in ``run_dir`` (``None``: not a sciood run)."""
    try:
        body = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = body.get("name") if isinstance(body, dict) else None
    return name if isinstance(name, str) else None


def _entries(run_dir: Path) -> list[str]:
    return sorted(p.name for p in run_dir.iterdir() if p.name != LOCK_NAME)


def claim(run_dir: Path, name: str, *, force: bool = False) -> str:
    """Check that the run of config ``name`` may write into ``run_dir``.

    Returns
    -------
    str
        ``"new"`` (empty or missing), ``"same"`` (a run of ``name``: its stages are reused)
        or ``"replace"`` (another config's run, ``force`` given: its outputs will be replaced).

    Raises
    ------
    RunDirectoryError
        ``run_dir`` is a file, a non-empty directory that is not a sciood run, or holds a run
        of another config and ``force`` is false.
    """
    if not run_dir.exists():
        return "new"
    if not run_dir.is_dir():
        raise RunDirectoryError(f"run directory {str(run_dir)!r} exists and is not a "
                                "directory; choose another --out")
    try:
        entries = _entries(run_dir)
    except OSError as exc:
        raise RunDirectoryError(f"run directory {str(run_dir)!r} cannot be listed "
                                f"({exc.strerror}); choose another --out") from None
    if not entries:
        return "new"
    owner = _owner(run_dir)
    if owner is None:
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise RunDirectoryError(
            f"run directory {str(run_dir)!r} is not empty ({shown}) and holds no sciood run "
            "(no readable config.json); sciood never writes into or deletes from a directory "
            "it did not create: choose another --out (or empty that directory yourself)")
    if owner == name:
        return "same"
    if force:
        return "replace"
    raise RunDirectoryError(
        f"run directory {str(run_dir)!r} holds the run of another config, {owner!r} (this "
        f"config is {name!r}); running here would replace its split/, models/, scores/, "
        "evaluate/, hunt/ and results: choose another --out, or pass --force (run(..., "
        "force=True)) to replace that run")


def replace(run_dir: Path) -> None:
    """Delete the sciood outputs (:data:`SCIOOD_ENTRIES`) of the run in ``run_dir``."""
    for entry in SCIOOD_ENTRIES:
        remove_inside(run_dir / entry, run_dir)
    log.warning("run directory %s: the previous run's outputs were replaced (--force)", run_dir)


# --------------------------------------------------------------------------- lock
@contextlib.contextmanager
def locked(run_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``run_dir`` for the block.

    Raises
    ------
    RunLockedError
        Another process holds the lock (its pid and start time are in the message).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks, run unprotected
        log.warning("no file locking on this platform: do not run two `sciood run` into %s "
                    "at once", run_dir)
        yield
        return
    path = run_dir / LOCK_NAME
    with output_errors(run_dir, "lock"):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = _holder(path)
            raise RunLockedError(
                f"run directory {str(run_dir)!r} is in use by another sciood run ({holder}); "
                "wait for it to finish and re-run (its finished stages will be reused), or "
                "choose another --out") from None
        body = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
        with contextlib.suppress(OSError):  # informative only
            os.ftruncate(fd, 0)
            os.pwrite(fd, body.encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def _holder(path: Path) -> str:
    try:
        body: Any = json.loads(path.read_text(encoding="utf-8") or "{}")
        return f"pid {body['pid']} on {body['host']}, started {body['started']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "pid unknown"


# --------------------------------------------------------------------------- write errors
@contextlib.contextmanager
def output_errors(run_dir: Path, stage: str) -> Iterator[None]:
    """Turn an ``OSError`` raised in the block into an :class:`OutputError` naming the path."""
    try:
        yield
    except OutputError:
        raise
    except OSError as exc:
        if not is_write_error(exc):
            raise
        raise output_error(exc, run_dir, stage) from exc
    except DataError as exc:  # a store's own message for a failed write: keep it, one class
        cause = exc.__cause__
        if (isinstance(exc, CorruptDataError) or not isinstance(cause, OSError)
                or not is_write_error(cause)):
            raise
        raise OutputError(cause.errno or 0, f"stage {stage}: {exc}",
                          cause.filename) from exc


def output_error(exc: OSError, run_dir: Path, stage: str, *,
                 option: str = "--out") -> OutputError:
    """The :class:`OutputError` for ``exc`` raised while ``stage`` wrote into ``run_dir``.

    ``option`` is the setting that chooses that directory (``--out``, ``data.cache_dir``).
    """
    where = exc.filename if exc.filename is not None else run_dir
    why = _WRITE_ERRNOS.get(exc.errno or -1, exc.strerror or str(exc))
    return OutputError(
        exc.errno or 0,
        f"stage {stage}: cannot write {str(where)!r} ({why}: {exc.strerror or exc}); free "
        f"space or fix the permissions, or choose another {option} than {str(run_dir)!r}, then "
        "re-run: finished stages are kept, the interrupted one is redone",
        str(where))
