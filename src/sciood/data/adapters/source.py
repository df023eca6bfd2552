"""One file of a run's ``data.source`` -> an :class:`EventSet` with its input rows.

:func:`read_source_file` picks the reader (``auto``: by suffix and content), reuses the
adapters — :func:`~sciood.data.adapters.read_lhco_features`,
:func:`~sciood.data.adapters.read_lhco_lowlevel`, the column readers of
:func:`~sciood.data.adapters.read_table` and :func:`~sciood.data.adapters.jagged.read_root_jets`
— and adds the int64 column ``entry``: the row (ROOT: entry) of each event in the file, so
scores can be written back aligned with the input (:mod:`sciood.data.adapters.writeback`).

Example
-------
>>> es = read_source_file("events.parquet", label="kind", signal=["sig"])  # doctest: +SKIP
>>> es.column("entry")[:3]                                                  # doctest: +SKIP
array([0, 1, 2])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data.adapters.assemble import NanPolicy, build_eventset
from sciood.data.adapters.formats import format_from_suffix, read_columns
from sciood.data.adapters.jagged import read_root_jets
from sciood.data.adapters.lhco import (
    LHCO_FEATURE_COLUMNS,
    N_PARTICLES,
    read_lhco_features,
    read_lhco_lowlevel,
)
from sciood.data.adapters.pandas_h5 import PandasFixedFrame
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, CorruptDataError, DataError

__all__ = ["SOURCE_FORMATS", "detect_format", "read_source_file"]

#: Readers of :func:`read_source_file`.
SOURCE_FORMATS = ("table", "lhco_features", "lhco_lowlevel", "root_jets")


def detect_format(path: Path, *, key: str | None = None, jets: bool = False) -> str:
    """``root_jets`` for a ROOT file read with ``jets``; ``lhco_features`` / ``lhco_lowlevel``
    for an HDF5 pandas frame with the LHCO R&D columns (14 jet columns, or 2100/2101 particle
    columns); else ``table``."""
    fmt = format_from_suffix(path)
    if fmt == "root":
        return "root_jets" if jets else "table"
    if fmt == "hdf5":
        try:
            columns = PandasFixedFrame(path, key).columns
        except CorruptDataError:
            raise
        except DataError:
            return "table"
        if all(c in columns for c in LHCO_FEATURE_COLUMNS):
            return "lhco_features"
        if len(columns) in (3 * N_PARTICLES, 3 * N_PARTICLES + 1):
            return "lhco_lowlevel"
    return "table"


def _relabel(es: EventSet, label: str, signal: Sequence[str]) -> EventSet:
    n = len(es)
    table = es.table.set_column(es.table.column_names.index("label"), "label",
                                pa.array([label] * n, pa.string()))
    table = table.set_column(table.column_names.index("is_signal"), "is_signal",
                             pa.array(np.full(n, label in signal)))
    return EventSet(table, observables=es.observables, features=es.features,
                    provenance=es.provenance)


def read_source_file(
    path: str | os.PathLike[str],
    *,
    format: str = "auto",
    signal: Sequence[str] = (),
    label: str | None = None,
    label_names: Mapping[Any, str] | None = None,
    file_label: str | None = None,
    weight: str | None = None,
    observables: Sequence[str] = ("mjj",),
    features: Sequence[str] | None = None,
    tree: str | None = None,
    key: str | None = None,
    jets: Mapping[str, Any] | None = None,
    nan_policy: NanPolicy = "raise",
    max_events: int | None = None,
) -> EventSet:
    """Read one input file of a ``data.source`` run.

    Parameters
    ----------
    path : path-like
        The file.
    format : {"auto", "table", "lhco_features", "lhco_lowlevel", "root_jets"}
        The reader (``auto``: :func:`detect_format`).
    signal : sequence of str
        Class names (after ``label_names``) that are signal.
    label, weight, observables, features, label_names, nan_policy
        Column roles, as :func:`~sciood.data.adapters.read_table` (table / ROOT readers; the
        LHCO readers know their layout and refuse ``label`` / ``weight`` / ``features``).
    file_label : str, optional
        Class of every event of the file (instead of a label column).
    tree, key : str, optional
        ROOT tree / HDF5 pandas key.
    jets : mapping, optional
        Options of :func:`~sciood.data.adapters.jagged.read_root_jets` (``collection``,
        ``mass``, ``softdrop_mass``, ``tau``, ``constituents``, ``jet_index``).
    max_events : int, optional
        Read the first ``max_events`` rows (entries) of the file.

    Returns
    -------
    EventSet
        With the int64 column ``entry`` (the event's row in the file) and ``provenance``
        naming the file and the reader.

    Raises
    ------
    ConfigError
        Options the chosen reader does not take.
    DataError, CorruptDataError
        As the readers: missing file or column (named, with the available ones), NaN
        weights, jagged branch without events, ...
    """
    p = Path(path)
    fmt = detect_format(p, key=key, jets=jets is not None) if format == "auto" else format
    if fmt not in SOURCE_FORMATS:
        raise ConfigError(f"unknown source format {fmt!r}; valid: auto, "
                          f"{', '.join(SOURCE_FORMATS)}")
    if label is not None and file_label is not None:
        raise ConfigError(f"{str(p)!r}: give the class by a label column or by the file's "
                          "`label`, not both")
    if fmt.startswith("lhco"):
        es = _read_lhco(p, fmt, key, max_events,
                        {"label": label, "weight": weight, "features": features})
    else:
        es = _read_columns(p, fmt, signal=signal, label=label, label_names=label_names,
                           weight=weight, observables=observables, features=features,
                           tree=tree, key=key, jets=jets, nan_policy=nan_policy,
                           max_events=max_events)
    if file_label is not None:
        es = _relabel(es, file_label, signal)
    es.provenance["source_format"] = fmt
    return es


def _read_lhco(p: Path, fmt: str, key: str | None, max_events: int | None,
               roles: Mapping[str, Any]) -> EventSet:
    given = [k for k, v in roles.items() if v is not None]
    if given:
        raise ConfigError(f"{str(p)!r} is read as an LHCO R&D file ({fmt}), whose layout is "
                          f"fixed: remove data.source {', '.join(given)} (or set format: table)")
    if fmt == "lhco_features":
        es = read_lhco_features(p, key=key, max_events=max_events)
        return es.with_columns(entry=np.arange(len(es), dtype=np.int64))
    return read_lhco_lowlevel(p, key=key, max_events=max_events)


def _read_columns(p: Path, fmt: str, *, signal: Sequence[str], label: str | None,
                  label_names: Mapping[Any, str] | None, weight: str | None,
                  observables: Sequence[str], features: Sequence[str] | None,
                  tree: str | None, key: str | None, jets: Mapping[str, Any] | None,
                  nan_policy: NanPolicy, max_events: int | None) -> EventSet:
    roles = [c for c in (label, weight) if c is not None]
    extra: dict[str, pa.Array] = {}
    if fmt == "root_jets":
        cols, extra, entry = read_root_jets(p, tree=tree, flat=roles, stop=max_events,
                                            **dict(jets or {}))
        provenance = {"adapter": "read_root_jets", "tree": tree, "jets": dict(jets or {}),
                      "n_entries_with_two_jets": len(entry)}
    else:
        if jets is not None:
            raise ConfigError(f"data.source.jets is for ROOT files; {str(p)!r} is a "
                              f"{format_from_suffix(p)} table")
        wanted = None if features is None else [*roles, *observables, *features]
        cols, raw_fmt = read_columns(p, None, wanted, stop=max_events, tree=tree, key=key)
        n = len(next(iter(cols.values()))) if cols else 0
        entry = np.arange(n, dtype=np.int64)
        provenance = {"adapter": "read_table", "format": raw_fmt, "tree": tree, "key": key}
    provenance["path"] = str(p.resolve())
    extra["entry"] = pa.array(entry)
    cols.pop("entry", None)  # a column of that name in the file is the row index's
    return build_eventset(
        cols, label=label, weight=weight, observables=list(observables),
        features=None if features is None else list(features), signal_labels=list(signal),
        label_names=label_names, default_label="data", nan_policy=nan_policy, extra=extra,
        provenance=provenance, source=f"{str(p)!r}")
