"""Exception hierarchy of sciood.

Every error raised on bad input is a :class:`SciOODError` subclass whose message says
what was wrong *and* how to fix it.  The CLI maps :class:`ConfigError` and
:class:`DataError` to exit code 2 (bad usage / input) and everything else to 1.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "CorruptDataError",
    "DataError",
    "GenerationError",
    "MissingColumnError",
    "MissingDependencyError",
    "NotFittedError",
    "OutputError",
    "RunDirectoryError",
    "RunLockedError",
    "SciOODError",
    "StatisticsError",
    "UnknownNameError",
]


class SciOODError(Exception):
    """Base class of every error sciood raises on purpose."""


class ConfigError(SciOODError, ValueError):
    """A configuration value, argument or option is invalid."""


class UnknownNameError(ConfigError, KeyError):
    """A name (process, detector, card, metric, ...) is not in its registry.

    The message lists the valid names.
    """

    def __init__(self, kind: str, name: str, valid: list[str] | tuple[str, ...]) -> None:
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        super().__init__(
            f"unknown {kind} {name!r}; valid {kind} names are: {', '.join(self.valid)}"
        )

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0])


class DataError(SciOODError, ValueError):
    """Input data are malformed: wrong shape, NaN, missing column, empty, ..."""


class MissingColumnError(DataError):
    """An event set lacks a column a detector or representation needs (its message lists
    the missing and the available columns)."""


class CorruptDataError(DataError):
    """A file on disk is missing, truncated or fails its checksum."""


class GenerationError(SciOODError, RuntimeError):
    """Event generation failed (Pythia refused a setting, initialisation failed, ...)."""


class NotFittedError(SciOODError, RuntimeError):
    """A detector or calibrator was used before ``fit``."""


class StatisticsError(SciOODError, RuntimeError):
    """A statistical procedure cannot give a trustworthy number (fit failed, empty window)."""


class RunDirectoryError(ConfigError):
    """A run directory (``--out``) may not be used: it holds another config's run or files
    sciood did not write, or a delete would leave it.  Exit code 2 (bad usage)."""


class RunLockedError(SciOODError, RuntimeError):
    """Another process is running into the same run directory (its lock is held)."""


class OutputError(SciOODError, OSError):
    """Output cannot be written: disk full, file too large, read-only file system, permission.

    Constructed like ``OSError(errno, message, filename)``; ``str()`` is the message, which
    names the path and the fix.
    """

    def __str__(self) -> str:
        return str(self.strerror) if self.strerror else super().__str__()


class MissingDependencyError(SciOODError, ImportError):
    """An optional dependency is not installed; the message names the extra."""


def require(module: str, extra: str) -> object:
    """Import an optional dependency or raise a message naming the extra.

    Parameters
    ----------
    module : str
        Importable module name, e.g. ``"fastjet"``.
    extra : str
        The sciood extra that installs it, e.g. ``"gen"``.

    Returns
    -------
    module
        The imported module.
    """
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise MissingDependencyError(
            f"{module!r} is needed here but not installed; install it with "
            f"`pip install 'sciood[{extra}]'`"
        ) from exc
