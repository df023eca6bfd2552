"""Where the stages run: a Dask client opened on first need (see :mod:`sciood.distributed`).

A fully cached re-run never starts a cluster: :meth:`Compute.client` opens
:func:`sciood.distributed.connect` only when a stage that can use it has work to do.
"""

from __future__ import annotations

import contextlib
from types import TracebackType
from typing import Any

__all__ = ["Compute"]


class Compute:
    """Lazily opened Dask client for ``scheduler`` / ``workers`` (``None``: in-process).

    Use as a context manager; the client (and a local cluster it started) is closed on exit.
    """

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self._stack = contextlib.ExitStack()
        self._client: Any = None
        self._opened = False

    @property
    def distributed(self) -> bool:
        """Whether a Dask cluster is requested."""
        return self.scheduler is not None or self.workers is not None

    def client(self) -> Any:
        """The ``distributed.Client`` (opened now if needed), or ``None`` for in-process."""
        if not self.distributed:
            return None
        if not self._opened:
            from sciood.distributed import connect

            self._client = self._stack.enter_context(
                connect(scheduler=self.scheduler, workers=self.workers))
            self._opened = True
        return self._client

    def __enter__(self) -> Compute:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stack.close()
