"""Data containers and on-disk storage: :class:`EventSet`, sharded Parquet store, adapters."""

from sciood.data.eventset import EventSet

__all__ = ["EventSet"]
