"""The installed distribution's version: ``pyproject.toml``'s ``version`` is its single source.

>>> from sciood._version import __version__
>>> __version__ != ""
True
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["__version__"]


def _version() -> str:
    try:
        return metadata.version("sciood")
    except metadata.PackageNotFoundError:  # pragma: no cover - a source tree, not installed
        return "0+unknown"


__version__ = _version()
