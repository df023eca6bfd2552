"""Write per-event scores back beside the file the events came from.

:func:`write_scores` writes one row per row (entry) of the input file, **in the input's
order**, so the scores join the input by position *and* by key columns:

* a ROOT input (``.root``) gets a **friend tree** (uproot), by default
  ``<stem>.scores.root`` next to the input holding the tree ``scores``; in ROOT:
  ``events->AddFriend("scores", "events.scores.root")``, then ``scores.score_iforest``;
* a table input (Parquet, CSV, HDF5, NumPy) gets a **Parquet file**, by default
  ``<stem>.scores.parquet``, holding the key and score columns only (not a copy of the
  input: join it on the keys, or column-wise by position, e.g.
  ``pandas.concat([inp, out], axis=1)``).

Columns of the output (Parquet: in this order):

* ``entry`` — the row / entry index in the input (always written);
* the key columns: ``keys=`` if given, else those of :data:`KEY_COLUMNS`
  (``run``, ``luminosityBlock``, ``event``: the NanoAOD event identifiers) that the input has;
* ``scored`` — True for the rows that have a score (see ``entry=``);
* one float64 column per score (the mapping's names), NaN where ``scored`` is False.

Example
-------
>>> out = write_scores("events.root", {"score_iforest": s}, tree="Events")  # doctest: +SKIP
>>> out.name                                                                   # doctest: +SKIP
'events.scores.root'
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sciood.data.adapters.formats import format_from_suffix, read_columns
from sciood.data.adapters.pandas_h5 import PandasFixedFrame
from sciood.errors import ConfigError, CorruptDataError, DataError, require
from sciood.io import check_writable, replacing

__all__ = ["FRIEND_TREE", "KEY_COLUMNS", "default_output", "input_rows", "write_scores"]

#: Event-identifier columns copied from the input when present (NanoAOD names).
KEY_COLUMNS: tuple[str, ...] = ("run", "luminosityBlock", "event")
#: Name of the friend tree written beside a ROOT input.
FRIEND_TREE = "scores"
_RESERVED = ("entry", "scored")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def default_output(input_path: str | os.PathLike[str], out: str | os.PathLike[str] | None
                   = None) -> Path:
    """Where :func:`write_scores` writes for ``input_path``.

    ``out=None``: ``<stem>.scores.root`` (ROOT input) or ``<stem>.scores.parquet`` (any other)
    next to the input; an existing directory: the same name inside it; else ``out`` itself.
    """
    p = Path(input_path)
    fmt = format_from_suffix(p)
    stem = p.name[: len(p.name) - len(_suffix(p))] if _suffix(p) else p.stem
    name = f"{stem}.scores.{'root' if fmt == 'root' else 'parquet'}"
    if out is None:
        return p.parent / name
    o = Path(out)
    return o / name if o.is_dir() else o


def _suffix(p: Path) -> str:
    low = p.name.lower()
    for s in (".csv.gz", ".csv.bz2"):
        if low.endswith(s):
            return p.name[-len(s):]
    return p.suffix


def _tree_name(f: Any, path: Path, tree: str | None) -> str:
    from sciood.data.adapters.formats import TREE_CLASSES

    trees = sorted({k.split(";")[0] for k, cls in f.classnames().items() if cls in TREE_CLASSES})
    if tree is None:
        if len(trees) != 1:
            raise DataError(f"{str(path)!r} holds trees {trees}; pass tree=<name>")
        return trees[0]
    if tree not in trees:
        raise DataError(f"tree {tree!r} not in {str(path)!r}; available trees: {trees}")
    return tree


def input_rows(input_path: str | os.PathLike[str], *, tree: str | None = None,
               key: str | None = None) -> tuple[int, dict[str, np.ndarray]]:
    """Number of rows of the input and its :data:`KEY_COLUMNS` that exist.

    Returns
    -------
    n_rows : int
    keys : dict of str -> ndarray, each shape ``(n_rows,)``
    """
    p = Path(input_path)
    if not p.is_file():
        raise CorruptDataError(f"input file {str(p)!r} does not exist; check the path")
    fmt = format_from_suffix(p)
    if fmt == "root":
        uproot: Any = require("uproot", "io")
        try:
            f = uproot.open(p)
        except Exception as exc:  # uproot raises several types for non-ROOT files
            raise CorruptDataError(f"cannot open {str(p)!r} as a ROOT file: {exc}") from exc
        with f:
            t = f[_tree_name(f, p, tree)]
            names = [k for k in KEY_COLUMNS if k in t.keys()]  # noqa: SIM118 (a TTree, not a dict)
            arrays = t.arrays(names, library="np") if names else {}
            return int(t.num_entries), {k: np.asarray(arrays[k]) for k in names}
    keys: dict[str, np.ndarray] = {}
    for name in KEY_COLUMNS:
        try:
            keys.update(read_columns(p, fmt, [name], key=key)[0])
        except DataError as exc:
            if isinstance(exc, CorruptDataError):
                raise
    if keys:
        return len(next(iter(keys.values()))), keys
    return _count_rows(p, fmt, key), keys


def _count_rows(p: Path, fmt: str, key: str | None) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq
        from pyarrow import ArrowInvalid

        try:
            return int(pq.read_metadata(p).num_rows)
        except ArrowInvalid as exc:
            raise CorruptDataError(f"cannot read Parquet {str(p)!r}: {exc}") from exc
    if fmt == "hdf5":
        try:
            return PandasFixedFrame(p, key).n_rows
        except DataError:
            pass
    cols = read_columns(p, fmt, None, key=key)[0]
    return len(next(iter(cols.values()))) if cols else 0


def _check_scores(scores: Mapping[str, Any], n: int, input_path: Path) -> dict[str, np.ndarray]:
    if not scores:
        raise ConfigError("write_scores needs at least one score column")
    out: dict[str, np.ndarray] = {}
    for name, values in scores.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
            raise ConfigError(
                f"score column name {name!r} is not allowed: use letters, digits and _ . - "
                f"(starting with a letter or _), not {list(_RESERVED)}")
        arr = np.asarray(values, dtype=np.float64)
        if arr.ndim != 1:
            raise DataError(f"scores {name!r} have shape {arr.shape}; expected one value per "
                            "event (a 1-D array)")
        if len(arr) != n:
            raise DataError(
                f"scores {name!r} have {len(arr)} values but {n} are expected for "
                f"{str(input_path)!r}; score every event of the file in its order, or pass "
                "entry= (the input row of each score)")
        bad = np.isnan(arr)
        if bad.any():
            raise DataError(
                f"scores {name!r} hold {int(bad.sum())} NaN values (first at score row "
                f"{int(np.flatnonzero(bad)[0])}); a detector returned NaN — check its inputs "
                "for NaN/inf features before writing scores")
        out[name] = arr
    return out


def _entries(entry: Any, n_scores: int, n_rows: int, input_path: Path) -> np.ndarray:
    if entry is None:
        if n_scores != n_rows:
            raise DataError(
                f"{n_scores} scores but {str(input_path)!r} has {n_rows} rows; give one score "
                "per row in the input's order, or pass entry= (the input row of each score)")
        return np.arange(n_rows)
    idx = np.asarray(entry)
    if idx.dtype.kind not in "iu" or idx.ndim != 1:
        raise DataError("entry= must be a 1-D integer array (the input row of each score)")
    if len(idx) != n_scores:
        raise DataError(f"entry= has {len(idx)} rows but there are {n_scores} scores")
    if len(idx) and (idx.min() < 0 or idx.max() >= n_rows):
        raise DataError(f"entry= holds rows outside [0, {n_rows}) of {str(input_path)!r}")
    if len(np.unique(idx)) != len(idx):
        raise DataError("entry= repeats an input row; each row can have one score")
    return idx.astype(np.int64)


def _check_keys(keys: Mapping[str, Any], n_rows: int, path: Path) -> dict[str, np.ndarray]:
    out = {}
    for name, values in keys.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
            raise ConfigError(f"key column name {name!r} is not allowed (not {list(_RESERVED)})")
        arr = np.asarray(values)
        if arr.ndim != 1 or len(arr) != n_rows:
            raise DataError(f"key column {name!r} has shape {arr.shape}; expected ({n_rows},), "
                            f"one value per row of {str(path)!r}")
        out[name] = arr
    return out


def write_scores(
    input_path: str | os.PathLike[str],
    scores: Mapping[str, Any],
    out: str | os.PathLike[str] | None = None,
    *,
    keys: Mapping[str, Any] | None = None,
    tree: str | None = None,
    key: str | None = None,
    entry: Any = None,
    friend: str = FRIEND_TREE,
    overwrite: bool = False,
) -> Path:
    """Write per-event scores aligned with ``input_path`` (ROOT friend tree or Parquet).

    Parameters
    ----------
    input_path : path-like
        The file the scored events were read from (``.root``, ``.parquet``, ``.csv``,
        ``.h5``, ``.npz``, ``.npy``).
    scores : mapping of str -> array, each shape ``(n,)``
        Column name -> per-event scores (float; NaN refused). ``n`` = the input's rows, or
        ``len(entry)``.
    out : path-like, optional
        Output file, or an existing directory to write the default name into. Default:
        :func:`default_output` (next to the input). A ROOT input needs a ``.root`` output,
        any other input a ``.parquet`` / ``.pq`` output.
    keys : mapping of str -> array, each shape ``(n_rows,)``, optional
        Event key columns, one value per *input row*. Default: the input's
        :data:`KEY_COLUMNS` that exist. ``entry`` (the row index) is always written.
    tree : str, optional
        ROOT: the input's TTree (needed when the file holds several).
    key : str, optional
        HDF5: the pandas key / group of the input.
    entry : array of int, shape ``(n,)``, optional
        The input row of each score (events dropped by a selection have no score: their
        score columns are NaN and ``scored`` False). Default: ``arange(n_rows)``.
    friend : str
        Name of the tree written into a ROOT output.
    overwrite : bool
        Replace an existing output (default: refuse).

    Returns
    -------
    Path
        The file written (atomically: a temporary file beside it, then a rename).

    Raises
    ------
    ConfigError
        Bad column names, an output suffix that does not match the input kind, no scores.
    DataError
        Length mismatch, NaN scores, existing output without ``overwrite``, unwritable
        directory (the message names the path and the fix).
    CorruptDataError
        The input is missing or unreadable.
    """
    inp = Path(input_path)
    if not scores:
        raise ConfigError("write_scores needs at least one score column")
    n_rows, found_keys = input_rows(inp, tree=tree, key=key)
    n_scores = len(np.atleast_1d(np.asarray(next(iter(scores.values())))))
    idx = _entries(entry, n_scores, n_rows, inp)
    checked = _check_scores(scores, len(idx), inp)
    key_cols = _check_keys(keys, n_rows, inp) if keys is not None else found_keys
    clash = sorted(set(checked) & set(key_cols))
    if clash:
        raise ConfigError(f"score columns {clash} have the names of key columns; rename them")
    target = default_output(inp, out)
    is_root = format_from_suffix(inp) == "root"
    want = (".root",) if is_root else (".parquet", ".pq")
    if not target.name.lower().endswith(want):
        raise ConfigError(
            f"scores of {'a ROOT' if is_root else 'a table'} input are written as "
            f"{'a ROOT friend tree' if is_root else 'Parquet'}: the output must end in "
            f"{' or '.join(want)}, got {str(target)!r}")
    if target.resolve() == inp.resolve():
        raise ConfigError(f"the output {str(target)!r} is the input itself; choose another path")
    if target.exists() and not overwrite:
        raise DataError(f"{str(target)!r} already exists; delete it, choose another output or "
                        "pass overwrite=True (--force)")
    check_writable(target.parent)
    columns: dict[str, np.ndarray] = {"entry": np.arange(n_rows, dtype=np.int64), **key_cols}
    scored = np.zeros(n_rows, dtype=bool)
    scored[idx] = True
    columns["scored"] = scored
    for name, arr in checked.items():
        full = np.full(n_rows, np.nan)
        full[idx] = arr
        columns[name] = full
    _write(target, columns, friend if is_root else None)
    return target


def _write(target: Path, columns: dict[str, np.ndarray], friend: str | None) -> None:
    with replacing(target) as tmp:
        if friend is not None:
            uproot: Any = require("uproot", "io")
            with uproot.recreate(tmp) as f:
                f[friend] = columns
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            pq.write_table(pa.table(columns), tmp)
