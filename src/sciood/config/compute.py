"""The ``compute`` section: where the stages run."""

from __future__ import annotations

from pydantic import (
    Field,
    model_validator,
)

from sciood.config.base import _Strict

__all__ = ["ComputeConfig"]


class ComputeConfig(_Strict):
    """Where stages run: in-process (default), a local Dask cluster, or a scheduler."""

    scheduler: str | None = Field(default=None, description="Dask scheduler address or file.")
    workers: int | None = Field(default=None, ge=1, description="Local Dask worker processes.")

    @model_validator(mode="after")
    def _exclusive(self) -> ComputeConfig:
        if self.scheduler is not None and self.workers is not None:
            raise ValueError("give compute.scheduler (an existing cluster) or compute.workers "
                             "(a local cluster), not both")
        return self
