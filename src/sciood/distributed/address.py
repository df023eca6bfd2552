"""Dask scheduler addresses and scheduler files, validated before anything connects.

An address is ``[PROTOCOL://]HOST:PORT`` (protocols ``tcp``, ``tls``, ``ucx``, ``ws``, ``wss``,
``inproc``; port 1–65535, Dask's default is 8786) or the path of a JSON scheduler file written
by ``dask scheduler --scheduler-file`` / ``dask-jobqueue`` (its ``address`` key is read).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from sciood.errors import ConfigError

__all__ = ["check_address", "check_scheduler", "is_scheduler_file", "read_scheduler_file"]

_ADDRESS = re.compile(
    r"^(?:(?P<scheme>[a-z][a-z0-9+.-]*)://)?(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?$"
)
_SCHEMES = ("tcp", "tls", "ucx", "ws", "wss", "inproc")


def check_scheduler(scheduler: Any) -> str:
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise ConfigError(
            f"--scheduler must be a Dask scheduler address such as 'tcp://host:8786' (or a "
            f"scheduler file), got {scheduler!r}"
        )
    return scheduler.strip()


def is_scheduler_file(address: str) -> bool:
    return (address.endswith(".json") or (os.sep in address and "://" not in address)
            or Path(address).is_file())


def check_address(address: str, *, source: str = "--scheduler") -> str:
    """Validate a Dask scheduler address (``tcp://HOST:PORT``, ``HOST:PORT``, ...).

    Raises
    ------
    ConfigError
        Malformed address, unknown protocol, or a port outside 1–65535; the message shows
        the expected form.
    """
    m = _ADDRESS.match(address)
    form = ("expected tcp://HOST:PORT (or HOST:PORT, or the path of a scheduler file "
            "ending in .json); the default port is 8786")
    if m is None:
        raise ConfigError(f"{source} {address!r} is not a Dask scheduler address: {form}")
    scheme, port = m.group("scheme"), m.group("port")
    if scheme is not None and scheme not in _SCHEMES:
        raise ConfigError(f"{source} {address!r} uses the unknown protocol {scheme!r} (valid: "
                          f"{', '.join(_SCHEMES)}); {form}")
    if port is not None and not 1 <= int(port) <= 65535:
        raise ConfigError(f"{source} {address!r} has port {port}, outside 1–65535; {form}")
    if port is None and scheme != "inproc":
        raise ConfigError(f"{source} {address!r} has no port; {form}")
    return address


def read_scheduler_file(path: str | os.PathLike[str]) -> str:
    """The scheduler address recorded in a scheduler file (``dask scheduler --scheduler-file``).

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not JSON, has no ``address`` string, or the address
        is malformed; the message names the file.
    """
    fix = ("start the scheduler with `dask scheduler --scheduler-file FILE` (on storage the "
           "client sees) and pass that FILE, or pass --scheduler tcp://HOST:PORT")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"scheduler file {str(path)!r} does not exist; {fix}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the scheduler file {str(path)!r} ({exc}); {fix}") \
            from exc
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"scheduler file {str(path)!r} is not JSON ({exc}); {fix}") from exc
    address = body.get("address") if isinstance(body, dict) else None
    if not isinstance(address, str) or not address:
        raise ConfigError(f"scheduler file {str(path)!r} has no 'address' string; {fix}")
    return check_address(address, source=f"the address in {str(path)!r}")
