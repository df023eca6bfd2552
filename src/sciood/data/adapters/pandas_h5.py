"""Read pandas ``to_hdf`` files written in the PyTables *fixed* format, with h5py only.

pandas + PyTables are not dependencies of sciood, and the public LHC Olympics files are
written by ``DataFrame.to_hdf(path, key="df")`` (fixed format). That layout is simple and
stable, so it is read here directly (checked against files written by pandas 3.1 +
PyTables 3.11, see ``tests/fixtures/adapters``):

* group ``/<key>`` with attributes ``pandas_type = b"frame"`` and ``nblocks``;
* ``axis0``: the column labels (bytes strings or integers), ``axis1``: the row index;
* for each block ``i``: ``block{i}_items`` (the block's column labels) and
  ``block{i}_values``, a 2-D dataset of shape ``(n_rows, n_block_columns)`` (pandas stores
  the block transposed, attribute ``transposed = 1``).

The *table* format (``format="table"``, ``pandas_type = b"frame_table"``) keeps its column
names pickled; sciood never unpickles files, so it is rejected with a message saying how to
convert the file.

Example
-------
>>> frame = PandasFixedFrame("events_anomalydetection_v2.features.h5")  # doctest: +SKIP
>>> frame.columns[:3], frame.n_rows                                     # doctest: +SKIP
(['pxj1', 'pyj1', 'pzj1'], 1100000)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sciood.errors import CorruptDataError, DataError, require

__all__ = ["PandasFixedFrame", "is_pandas_fixed"]


def _label(item: Any) -> str:
    """Column label as ``str`` (pandas stores strings as bytes, integer labels as int64)."""
    if isinstance(item, bytes | np.bytes_):
        return bytes(item).decode("utf-8")
    if isinstance(item, np.integer):
        return str(int(item))
    return str(item)


def _attr_str(attrs: Any, name: str) -> str:
    value = attrs.get(name, b"")
    return _label(value) if isinstance(value, bytes | np.bytes_ | str) else ""


def is_pandas_fixed(group: Any) -> bool:
    """Whether an h5py group holds a pandas fixed-format DataFrame."""
    return _attr_str(group.attrs, "pandas_type") == "frame" or "block0_values" in group


@dataclass(frozen=True)
class _Block:
    dataset: str
    columns: tuple[str, ...]


class PandasFixedFrame:
    """Lazy view of one DataFrame stored by pandas in the PyTables fixed format.

    Parameters
    ----------
    path : path-like
        The ``.h5`` file.
    key : str, optional
        The pandas key (HDF5 group). Default: ``"df"`` if present, else the only group.

    Raises
    ------
    CorruptDataError
        If the file is missing or is not readable HDF5.
    DataError
        If the key is absent, or the group is not a fixed-format DataFrame.
    """

    def __init__(self, path: str | os.PathLike[str], key: str | None = None) -> None:
        h5py: Any = require("h5py", "io")
        self.path = Path(path)
        if not self.path.is_file():
            raise CorruptDataError(f"file {str(self.path)!r} does not exist; check the path")
        try:
            with h5py.File(self.path, "r") as f:
                self.key = self._pick_key(f, key)
                group = f[self.key]
                self._check_layout(group)
                self.columns, self._blocks, self.n_rows = self._layout(group)
        except OSError as exc:
            raise CorruptDataError(
                f"cannot read {str(self.path)!r} as HDF5 ({exc}); is it truncated or not an "
                "HDF5 file?"
            ) from exc

    def _pick_key(self, f: Any, key: str | None) -> str:
        groups = [k for k in f if hasattr(f[k], "keys")]
        if key is None:
            if "df" in groups:
                return "df"
            if len(groups) == 1:
                return str(groups[0])
            raise DataError(
                f"{str(self.path)!r} holds several pandas keys {groups}; pass key=... to choose"
            )
        if key not in f:
            raise DataError(f"key {key!r} not in {str(self.path)!r}; available keys: {groups}")
        return key

    def _check_layout(self, group: Any) -> None:
        if not hasattr(group, "keys"):
            raise DataError(f"{group.name!r} in {str(self.path)!r} is a dataset, not a pandas "
                            "frame group; pass the frame's key (e.g. key='df')")
        ptype = _attr_str(group.attrs, "pandas_type")
        if ptype == "frame_table" or "table" in group:
            raise DataError(
                f"{str(self.path)!r} was written with pandas format='table', whose column names "
                "are pickled and are not read by sciood; re-save it with "
                "df.to_hdf(path, key='df', format='fixed') or df.to_parquet(path)"
            )
        if not is_pandas_fixed(group):
            raise DataError(
                f"group {group.name!r} of {str(self.path)!r} is not a pandas fixed-format "
                f"DataFrame (no 'block0_values'; found {list(group)})"
            )

    @staticmethod
    def _layout(group: Any) -> tuple[list[str], list[_Block], int]:
        nblocks = int(group.attrs.get("nblocks", 0)) or sum(
            1 for k in group if k.startswith("block") and k.endswith("_values"))
        blocks = []
        n_rows: int | None = None
        for i in range(nblocks):
            values = group[f"block{i}_values"]
            items = tuple(_label(x) for x in group[f"block{i}_items"][()])
            if values.ndim != 2 or values.shape[1] != len(items):
                raise CorruptDataError(
                    f"block{i}_values has shape {values.shape} but block{i}_items lists "
                    f"{len(items)} columns; the file is not a valid pandas fixed frame"
                )
            if n_rows is not None and values.shape[0] != n_rows:
                raise CorruptDataError(f"block{i}_values has {values.shape[0]} rows, "
                                       f"block0 has {n_rows}")
            n_rows = int(values.shape[0])
            blocks.append(_Block(f"block{i}_values", items))
        if "axis0" in group:
            columns = [_label(x) for x in group["axis0"][()]]
        else:
            columns = [c for b in blocks for c in b.columns]
        return columns, blocks, int(n_rows or 0)

    def read(self, columns: Sequence[str] | None = None, start: int = 0,
             stop: int | None = None) -> dict[str, np.ndarray]:
        """Read rows ``[start, stop)`` of some columns.

        Parameters
        ----------
        columns : sequence of str, optional
            Default: all, in file order.
        start, stop : int
            Row range (``stop=None``: to the end).

        Returns
        -------
        dict of str -> ndarray, each shape ``(stop - start,)``
        """
        want = list(self.columns if columns is None else columns)
        missing = [c for c in want if c not in self.columns]
        if missing:
            raise DataError(f"columns {missing} not in {str(self.path)!r}; "
                            f"available: {self.columns}")
        h5py: Any = require("h5py", "io")
        out: dict[str, np.ndarray] = {}
        with h5py.File(self.path, "r") as f:
            group = f[self.key]
            for block in self._blocks:
                pos = [block.columns.index(c) for c in want if c in block.columns]
                if not pos:
                    continue
                # contiguous row slab, then pick columns in memory (h5py fancy indexing on
                # the second axis is slow and needs increasing indices)
                slab = group[block.dataset][start:stop]
                for p in pos:
                    out[block.columns[p]] = slab[:, p]
        return {c: out[c] for c in want}

    def read_matrix(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``[start, stop)`` of a single-block frame as one 2-D array.

        Returns
        -------
        ndarray, shape ``(stop - start, n_columns)``
        """
        if len(self._blocks) != 1:
            return np.column_stack(list(self.read(None, start, stop).values()))
        h5py: Any = require("h5py", "io")
        with h5py.File(self.path, "r") as f:
            arr = f[self.key][self._blocks[0].dataset][start:stop]
        order = [self._blocks[0].columns.index(c) for c in self.columns]
        return np.asarray(arr if order == sorted(order) else arr[:, order])
