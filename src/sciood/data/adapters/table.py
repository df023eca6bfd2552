"""One entry point for external tables: :func:`read_table` (CSV, Parquet, NumPy, HDF5, ROOT).

For scientists from any field (spectra, flattened images, detector read-outs): name the
label, weight and observable columns and every later sciood stage works on the result.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from sciood.data.adapters.assemble import NanPolicy, build_eventset
from sciood.data.adapters.formats import read_columns
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError

__all__ = ["Format", "read_table"]

Format = Literal["csv", "parquet", "npz", "npy", "hdf5", "root"]


def read_table(
    path: str | os.PathLike[str],
    *,
    format: Format | None = None,
    label: str | None = None,
    weight: str | None = None,
    observables: Sequence[str] = (),
    features: Sequence[str] | None = None,
    signal_labels: Collection[Any] = (),
    is_signal: str | None = None,
    label_names: Mapping[Any, str] | None = None,
    default_label: str = "data",
    tree: str | None = None,
    key: str | None = None,
    column_names: Sequence[str] | None = None,
    max_events: int | None = None,
    nan_policy: NanPolicy = "raise",
) -> EventSet:
    """Read an external table into an :class:`EventSet`.

    Parameters
    ----------
    path : path-like
        The file.
    format : {"csv", "parquet", "npz", "npy", "hdf5", "root"}, optional
        Default: from the suffix (``.csv[.gz]``, ``.parquet``/``.pq``, ``.npz``, ``.npy``,
        ``.h5``/``.hdf5``, ``.root``).
    label : str, optional
        Column with the class label (strings or integers; integers become ``"0"``, ``"1"``
        unless renamed by ``label_names``). ``None``: every event is ``default_label``.
    weight : str, optional
        Column with per-event weights (negative allowed, NaN/inf rejected). ``None``: 1.0.
    observables : sequence of str
        Search observable column(s), e.g. ``["mjj"]`` or ``["energy"]``.
    features : sequence of str, optional
        Feature columns. ``None``: every other numeric column.
    signal_labels : collection
        Label values counted as signal (raw or renamed), e.g. ``[1]`` or ``["xy_qqqq"]``.
    is_signal : str, optional
        A column holding the signal flag (booleans, 0/1, true/false), instead of
        ``signal_labels``.
    label_names : mapping, optional
        Renames label values, e.g. ``{0: "qcd", 1: "xy_qqqq"}``.
    default_label : str
        Class name when ``label`` is None.
    tree : str, optional
        ROOT: the TTree name (needed when the file holds several).
    key : str, optional
        HDF5: the pandas key or group (default ``"df"``, else the only frame / the root).
    column_names : sequence of str, optional
        Names for a header-less CSV or a plain 2-D ``.npy`` array (default ``x0, x1, …``).
    max_events : int, optional
        Read only the first ``max_events`` rows.
    nan_policy : {"raise", "drop"}
        Events with NaN/inf in features or observables raise (default) or are dropped.

    Returns
    -------
    EventSet
        With ``provenance`` recording the file, format and column roles.

    Raises
    ------
    CorruptDataError
        The file is missing or unreadable.
    UnknownNameError
        Unknown format (the valid ones are listed).
    DataError
        A named column is missing (the available ones are listed), a feature is not numeric,
        a weight is NaN, the file is empty, ...

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp(); p = os.path.join(d, "spectra.npz")
    >>> np.savez(p, X=np.ones((4, 3)), energy=np.arange(4.0), kind=np.array(["a", "a", "b", "a"]))
    >>> es = read_table(p, label="kind", observables=["energy"], signal_labels=["b"])
    >>> es.features, int(es.is_signal.sum())
    (('X_0', 'X_1', 'X_2'), 1)
    """
    if max_events is not None and max_events <= 0:
        raise ConfigError(f"max_events must be positive, got {max_events}")
    wanted = None
    if features is not None:
        if isinstance(features, str):
            raise ConfigError("features takes a list of column names, not a string")
        wanted = [c for c in (label, weight, is_signal, *observables, *features)
                  if c is not None]
    columns, fmt = read_columns(path, format, wanted, stop=max_events, tree=tree, key=key,
                                column_names=column_names)
    return build_eventset(
        columns, label=label, weight=weight, observables=observables, features=features,
        signal_labels=signal_labels, is_signal=is_signal, label_names=label_names,
        default_label=default_label, nan_policy=nan_policy,
        provenance={"adapter": "read_table", "path": str(Path(path).resolve()),
                    "format": fmt, "tree": tree, "key": key},
        source=f"{str(path)!r}",
    )
