"""Column readers for generic table formats: CSV, Parquet, NumPy (.npz/.npy), HDF5, ROOT.

Each reader returns ``dict[str, ndarray]`` (one 1-D array per column, rows ``[0, stop)``);
:func:`sciood.data.adapters.read_table` then assigns the roles. Readers never unpickle:
``np.load(allow_pickle=False)``, HDF5 via h5py, ROOT via uproot.

Conventions for arrays without column names:

* ``.npz``: each key is a column; a key holding a 2-D (or higher) array ``X`` of shape
  ``(n, ...)`` is flattened per event into columns ``X_0 .. X_{k-1}`` (images, spectra);
* ``.npy``: a structured array gives one column per field; a plain 2-D array gives columns
  ``x0 .. x{k-1}`` unless ``column_names`` is given;
* ``.csv`` without a header row: pass ``column_names``.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sciood.data.adapters.pandas_h5 import PandasFixedFrame, is_pandas_fixed
from sciood.errors import CorruptDataError, DataError, UnknownNameError, require

__all__ = ["FORMATS", "READERS", "format_from_suffix"]

Columns = dict[str, np.ndarray]

#: File suffix -> format name.
SUFFIXES: dict[str, str] = {
    ".csv": "csv", ".csv.gz": "csv", ".csv.bz2": "csv",
    ".parquet": "parquet", ".pq": "parquet",
    ".npz": "npz", ".npy": "npy",
    ".h5": "hdf5", ".hdf5": "hdf5", ".hdf": "hdf5",
    ".root": "root",
}


def format_from_suffix(path: Path) -> str:
    """Format name for a file suffix (``.csv``, ``.parquet``, ``.npz``, ``.npy``, ``.h5``,
    ``.root``, …); raises :class:`UnknownNameError` listing the valid ones."""
    name = path.name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return SUFFIXES[suffix]
    raise UnknownNameError("file format (from the file suffix; pass format=... to set it)",
                           path.suffix or path.name, sorted(set(SUFFIXES.values())))


def _want(all_names: Sequence[str], wanted: Sequence[str] | None, path: Path) -> list[str]:
    """The columns to read, in file order; every wanted column must exist."""
    if wanted is None:
        return list(all_names)
    missing = [c for c in wanted if c not in all_names]
    if missing:
        raise DataError(
            f"column(s) {missing} (named as label/weight/is_signal/observables/features) are "
            f"not in {str(path)!r}; available columns: {list(all_names)}"
        )
    return [c for c in all_names if c in wanted]


def read_csv(path: Path, *, columns: Sequence[str] | None = None, stop: int | None = None,
             column_names: Sequence[str] | None = None, delimiter: str = ",",
             **_: Any) -> Columns:
    """CSV via :mod:`pyarrow.csv` (header row unless ``column_names`` is given)."""
    from pyarrow import ArrowInvalid
    from pyarrow import csv as pacsv

    read = pacsv.ReadOptions(column_names=list(column_names) if column_names else None)
    try:
        head = pacsv.read_csv(path, read_options=read,
                              parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except ArrowInvalid as exc:
        raise DataError(f"cannot parse CSV {str(path)!r}: {exc}") from exc
    names = _want(head.column_names, columns, path)
    table = head.select(names)
    if stop is not None:
        table = table.slice(0, stop)
    return {c: table.column(c).to_numpy(zero_copy_only=False) for c in names}


def read_parquet(path: Path, *, columns: Sequence[str] | None = None,
                 stop: int | None = None, **_: Any) -> Columns:
    """Parquet via :mod:`pyarrow.parquet` (only the needed columns are read)."""
    import pyarrow.parquet as pq
    from pyarrow import ArrowInvalid

    try:
        schema_names = pq.read_schema(path).names
        table = pq.read_table(path, columns=_want(schema_names, columns, path))
    except ArrowInvalid as exc:
        raise CorruptDataError(f"cannot read Parquet {str(path)!r}: {exc}") from exc
    if stop is not None:
        table = table.slice(0, stop)
    return {c: table.column(c).to_numpy(zero_copy_only=False) for c in table.column_names}


def _expand(name: str, arr: np.ndarray) -> Columns:
    if arr.dtype.names:  # structured
        return {f: np.asarray(arr[f]) for f in arr.dtype.names}
    if arr.ndim == 1:
        return {name: arr}
    if arr.ndim == 0:
        raise DataError(f"array {name!r} is a scalar, not one value per event")
    flat = arr.reshape(len(arr), -1)
    return {f"{name}_{i}": flat[:, i] for i in range(flat.shape[1])}


_PICKLE_HINT = ("sciood does not unpickle files. Save plain numeric/string arrays "
                "(np.savez(path, x=..., label=...))")
_MAGIC = {".npy": b"\x93NUMPY", ".npz": b"PK"}


def _np_load(path: Path) -> Any:
    magic = _MAGIC[".npz" if path.suffix.lower() == ".npz" else ".npy"]
    with path.open("rb") as fh:
        if fh.read(len(magic)) != magic:
            raise CorruptDataError(f"cannot read {str(path)!r}: not a NumPy {path.suffix} file "
                                   "(wrong magic bytes); is it truncated or mislabelled?")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as exc:
        raise DataError(f"{str(path)!r} holds Python objects (pickled); {_PICKLE_HINT}") from exc
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise CorruptDataError(f"cannot read {str(path)!r} as NumPy data: {exc}") from exc


def read_npz(path: Path, *, columns: Sequence[str] | None = None, stop: int | None = None,
             **_: Any) -> Columns:
    """``.npz``: one column per key; 2-D keys ``X`` become ``X_0 .. X_{k-1}``."""
    out: Columns = {}
    with _np_load(path) as z:
        for key in z.files:
            try:
                arr = z[key]
            except ValueError as exc:
                raise DataError(f"array {key!r} of {str(path)!r} holds Python objects "
                                f"(pickled); {_PICKLE_HINT}") from exc
            out.update(_expand(key, arr[:stop]))
    return {c: out[c] for c in _want(list(out), columns, path)}


def read_npy(path: Path, *, columns: Sequence[str] | None = None, stop: int | None = None,
             column_names: Sequence[str] | None = None, **_: Any) -> Columns:
    """``.npy``: structured array fields, or a 2-D array's columns ``x0..`` / ``column_names``."""
    arr = np.asarray(_np_load(path))[:stop]
    if arr.dtype.names:
        out = _expand("x", arr)
    else:
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise DataError(f"{str(path)!r} holds an array of shape {arr.shape}; expected a 2-D "
                            "(events, columns) table; save images flattened or use .npz")
        names = list(column_names) if column_names else [f"x{i}" for i in range(arr.shape[1])]
        if len(names) != arr.shape[1]:
            raise DataError(f"column_names has {len(names)} names but {str(path)!r} has "
                            f"{arr.shape[1]} columns")
        out = {n: arr[:, i] for i, n in enumerate(names)}
    return {c: out[c] for c in _want(list(out), columns, path)}


def _pandas_key(f: Any, key: str | None) -> str | None:
    """The pandas key to read, or None if the file is plain datasets."""
    def is_frame(g: Any) -> bool:
        return hasattr(g, "keys") and ("pandas_type" in g.attrs or is_pandas_fixed(g))

    if key is not None:
        return key if is_frame(f[key]) else None
    frames = [k for k in f if is_frame(f[k])]
    if "df" in frames:
        return "df"
    return frames[0] if len(frames) == 1 else None


def read_hdf5(path: Path, *, columns: Sequence[str] | None = None, stop: int | None = None,
              key: str | None = None, **_: Any) -> Columns:
    """HDF5: a pandas fixed-format frame (``to_hdf``) or a group of 1-D/2-D datasets."""
    h5py: Any = require("h5py", "io")
    try:
        with h5py.File(path, "r") as f:
            if key is not None and key not in f:
                raise DataError(f"key {key!r} not in {str(path)!r}; available: {list(f)}")
            pkey = _pandas_key(f, key)
            if pkey is None:
                group = f if key is None else f[key]
                out: Columns = {}
                for name in group:
                    if not hasattr(group[name], "keys"):
                        out.update(_expand(name, np.asarray(group[name][:stop])))
                if not out:
                    raise DataError(f"no datasets found in {str(path)!r} (key={key!r}); "
                                    f"entries: {list(group)}")
                return {c: out[c] for c in _want(list(out), columns, path)}
    except OSError as exc:
        raise CorruptDataError(f"cannot read {str(path)!r} as HDF5: {exc}") from exc
    frame = PandasFixedFrame(path, pkey)
    return frame.read(_want(frame.columns, columns, path), 0, stop)


TREE_CLASSES = ("TTree", "TNtuple", "TNtupleD", "ROOT::RNTuple")


def _is_flat(values: np.ndarray) -> bool:
    """One number (or string) per entry; jagged branches come back as object arrays of arrays."""
    if values.ndim != 1:
        return False
    if values.dtype.kind != "O":
        return True
    return all(isinstance(v, str | bytes) for v in values[:100])


def _flat_branches(tree: Any) -> list[str] | None:
    """Flat TTree branches by their interpretation (None for RNTuples: decided after reading)."""
    uproot: Any = require("uproot", "io")
    if not hasattr(tree, "keys") or tree.classname.startswith("ROOT::RNTuple"):
        return None
    flat = []
    for name in tree.keys(recursive=True):
        interp = getattr(tree[name], "interpretation", None)
        scalar = (isinstance(interp, uproot.interpretation.numerical.AsDtype)
                  and interp.to_dtype.shape == ())
        if scalar or isinstance(interp, uproot.interpretation.strings.AsStrings):
            flat.append(name)
    return flat


def read_root(path: Path, *, columns: Sequence[str] | None = None, stop: int | None = None,
              tree: str | None = None, **_: Any) -> Columns:
    """ROOT TTree (or RNTuple) with flat branches, via uproot (``tree`` names it)."""
    uproot: Any = require("uproot", "io")
    try:
        f = uproot.open(path)
    except Exception as exc:  # uproot raises several types for non-ROOT/truncated files
        raise CorruptDataError(f"cannot open {str(path)!r} as a ROOT file: {exc}") from exc
    with f:
        trees = sorted({k.split(";")[0] for k, cls in f.classnames().items()
                        if cls in TREE_CLASSES})
        if tree is None:
            if len(trees) != 1:
                raise DataError(f"{str(path)!r} holds trees {trees}; pass tree=<name>")
            tree = trees[0]
        if tree not in trees:
            raise DataError(f"tree {tree!r} not in {str(path)!r}; available trees: {trees}")
        t = f[tree]
        keys = t.keys()  # TTree and RNTuple both provide keys(); RNTuple is not iterable
        all_branches = [str(k) for k in keys]
        names = _want(all_branches, columns, path)
        flat = _flat_branches(t)
        if flat is not None and columns is None:
            names = [n for n in names if n in flat]
        arrays = t.arrays(names, library="np", entry_stop=stop)
    out = {n: np.asarray(arrays[n]) for n in names}
    jagged = sorted(n for n, v in out.items() if not _is_flat(v))
    if jagged and columns is not None:
        raise DataError(
            f"branches {jagged} of tree {tree!r} are not flat (one number per entry); "
            "sciood reads flat branches only: flatten them or leave them out"
        )
    return {n: v for n, v in out.items() if n not in jagged}


#: Format name -> reader.
READERS: dict[str, Callable[..., Columns]] = {
    "csv": read_csv, "parquet": read_parquet, "npz": read_npz, "npy": read_npy,
    "hdf5": read_hdf5, "root": read_root,
}
FORMATS: tuple[str, ...] = tuple(sorted(READERS))


def read_columns(path: str | os.PathLike[str], fmt: str | None,
                 columns: Sequence[str] | None, **options: Any) -> tuple[Columns, str]:
    """Read columns of a file; returns ``(columns, format)``."""
    p = Path(path)
    if not p.is_file():
        raise CorruptDataError(f"file {str(p)!r} does not exist; check the path")
    fmt = format_from_suffix(p) if fmt is None else fmt
    if fmt not in READERS:
        raise UnknownNameError("file format", fmt, list(FORMATS))
    return READERS[fmt](p, columns=columns, **options), fmt
