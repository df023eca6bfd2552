"""How the pipeline tells the caller what it is doing.

The library never prints: it calls a :class:`Progress` object.  The default
(:class:`LogProgress`) writes ``logging`` records; the CLI passes a rich progress bar.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

__all__ = ["LogProgress", "Progress", "SilentProgress"]

log = logging.getLogger("sciood.pipeline")


class Progress(Protocol):
    """Receiver of stage progress."""

    def task(self, description: str,
             total: int | None) -> AbstractContextManager[Callable[[int], None]]:
        """Context manager around one unit of work; yields ``advance(n)``."""
        ...

    def message(self, text: str) -> None:
        """A one-line note (stage reused, stage skipped, ...)."""
        ...


class LogProgress:
    """Progress as ``logging`` INFO records (start and end of each task)."""

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """Log the start and the end of a unit of work."""
        log.info("%s ...", description)
        yield lambda n: None
        log.info("%s done", description)

    def message(self, text: str) -> None:
        """Log ``text``."""
        log.info("%s", text)


class SilentProgress:
    """No output at all (``quiet=True``)."""

    @contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        """Do nothing."""
        yield lambda n: None

    def message(self, text: str) -> None:
        """Do nothing."""
