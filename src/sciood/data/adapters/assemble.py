"""Turn named columns read from any external file into a validated :class:`EventSet`.

Every adapter reads its format into ``dict[str, ndarray]`` (one 1-D array per column) and
hands it to :func:`build_eventset`, so the column roles, the signal definition and the
input checks are the same whatever the file format.

Example
-------
>>> import numpy as np
>>> cols = {"y": np.array([0, 1, 0]), "x": np.array([1.0, 2.0, 3.0]), "m": np.ones(3)}
>>> es = build_eventset(cols, label="y", observables=["m"], signal_labels=[1],
...                     label_names={0: "bkg", 1: "sig"}, source="example")
>>> es.classes, es.is_signal.tolist(), es.features
(['bkg', 'sig'], [False, True, False], ('x',))
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError

__all__ = ["NanPolicy", "build_eventset", "label_strings"]

log = logging.getLogger(__name__)

NanPolicy = Literal["raise", "drop"]
_TRUE_STRINGS = {"1", "true", "t", "yes", "y", "signal", "sig"}
_FALSE_STRINGS = {"0", "false", "f", "no", "n", "background", "bkg", ""}


def label_strings(values: np.ndarray) -> np.ndarray:
    """Class labels as strings; integral floats (``1.0``, as LHCO stores them) become ``"1"``.

    Parameters
    ----------
    values : ndarray, shape ``(n,)``

    Returns
    -------
    ndarray of object (str), shape ``(n,)``
    """
    arr = np.asarray(values)
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if finite.all() and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
    if arr.dtype.kind == "S":
        return np.array([b.decode("utf-8") for b in arr], dtype=object)
    return arr.astype(str).astype(object)


def _require_columns(columns: Mapping[str, np.ndarray], names: Sequence[str], role: str,
                     source: str) -> None:
    missing = [n for n in names if n not in columns]
    if missing:
        raise DataError(
            f"{role} column(s) {missing} not found in {source}; available columns: "
            f"{list(columns)}"
        )


def _numeric(name: str, values: np.ndarray, role: str, source: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise DataError(f"{role} column {name!r} of {source} has shape {arr.shape}; expected "
                        "one value per event (a flat column)")
    if arr.dtype.kind == "b":
        return arr.astype(np.float64)
    if arr.dtype.kind not in "iuf":
        raise DataError(
            f"{role} column {name!r} of {source} is not numeric (dtype {arr.dtype}, e.g. "
            f"{arr[:3].tolist()}); convert it to numbers or leave it out of the {role}s"
        )
    return arr


def _signal_flags(columns: Mapping[str, np.ndarray], labels: np.ndarray, raw_labels: np.ndarray
                  | None, is_signal: str | None, signal_labels: Collection[Any],
                  source: str) -> np.ndarray:
    n = len(labels)
    if is_signal is not None and signal_labels:
        raise ConfigError("give either is_signal=<column> or signal_labels=[...], not both")
    if is_signal is not None:
        _require_columns(columns, [is_signal], "is_signal", source)
        flag = np.asarray(columns[is_signal])
        if flag.dtype.kind in "biuf":
            num = flag.astype(np.float64)
            if not np.all(np.isin(num, (0.0, 1.0))):
                raise DataError(f"is_signal column {is_signal!r} of {source} must hold 0/1 or "
                                f"booleans; found values {np.unique(num)[:5].tolist()}")
            return num.astype(bool)
        text = np.char.lower(label_strings(flag).astype(str))
        bad = sorted(set(text.tolist()) - _TRUE_STRINGS - _FALSE_STRINGS)
        if bad:
            raise DataError(f"is_signal column {is_signal!r} of {source} holds {bad[:5]}; use "
                            "booleans, 0/1 or true/false")
        return np.isin(text, list(_TRUE_STRINGS))
    if not signal_labels:
        return np.zeros(n, dtype=bool)
    wanted = {str(s) for s in label_strings(np.asarray(list(signal_labels)))}
    flags = np.isin(labels.astype(str), list(wanted))
    if raw_labels is not None:  # also match the raw (unmapped) label values
        flags |= np.isin(label_strings(raw_labels).astype(str), list(wanted))
    absent = sorted(wanted - set(labels.astype(str).tolist())
                    - (set(label_strings(raw_labels).tolist()) if raw_labels is not None
                       else set()))
    if absent:
        log.warning("signal_labels %s do not occur in %s", absent, source)
    return flags


def build_eventset(
    columns: Mapping[str, np.ndarray],
    *,
    label: str | None = None,
    weight: str | None = None,
    observables: Sequence[str] = (),
    features: Sequence[str] | None = None,
    signal_labels: Collection[Any] = (),
    is_signal: str | None = None,
    label_names: Mapping[Any, str] | None = None,
    default_label: str = "data",
    nan_policy: NanPolicy = "raise",
    extra: Mapping[str, pa.Array] | None = None,
    provenance: Mapping[str, Any] | None = None,
    source: str = "the input",
) -> EventSet:
    """Build an :class:`EventSet` from named 1-D columns.

    Parameters
    ----------
    columns : mapping of str -> ndarray, each shape ``(n,)``
        All columns read from the file.
    label : str, optional
        Column with the class label (strings or integers). ``None``: every event gets
        ``default_label``.
    weight : str, optional
        Column with per-event weights (may be negative, must be finite). ``None``: 1.0.
    observables : sequence of str
        Search observable columns (e.g. ``["mjj"]``).
    features : sequence of str, optional
        Feature columns. ``None``: every other numeric column.
    signal_labels : collection
        Labels (raw value or mapped name) counted as signal.
    is_signal : str, optional
        Column with a per-event signal flag (instead of ``signal_labels``).
    label_names : mapping, optional
        Renames raw label values, e.g. ``{0: "qcd", 1: "xy_qqqq"}`` (keys compared as text).
    default_label : str
        Label when ``label`` is None.
    nan_policy : {"raise", "drop"}
        What to do with events whose features or observables are not finite.
    extra : mapping of str -> pyarrow.Array, optional
        Additional columns (e.g. constituent lists), each of length ``n``; kept as they are.
    provenance : mapping, optional
        Recorded in the EventSet (the adapter adds the source and the column roles).
    source : str
        Describes the input in error messages.

    Returns
    -------
    EventSet

    Raises
    ------
    DataError
        Missing named column (lists the available ones), non-numeric feature, NaN/inf weight,
        NaN in features/observables with ``nan_policy="raise"``, ragged columns, no events.
    ConfigError
        Contradictory options.
    """
    if nan_policy not in ("raise", "drop"):
        raise ConfigError(f"nan_policy must be 'raise' or 'drop', got {nan_policy!r}")
    if isinstance(observables, str) or isinstance(features, str):
        raise ConfigError("observables and features take a list of column names, not a string")
    lengths = {k: len(np.asarray(v)) for k, v in columns.items()}
    if len(set(lengths.values())) > 1:
        raise DataError(f"columns of {source} have different lengths: {lengths}")
    n = next(iter(lengths.values()), 0)
    if n == 0:
        raise DataError(f"{source} holds no events")

    roles = [c for c in (label, weight, is_signal) if c is not None]
    _require_columns(columns, roles, "label/weight/is_signal", source)
    _require_columns(columns, list(observables), "observable", source)
    reserved = {"label", "is_signal", "weight"}
    if features is None:
        taken = set(roles) | set(observables) | reserved
        features = [c for c, v in columns.items() if c not in taken
                    and np.asarray(v).ndim == 1 and np.asarray(v).dtype.kind in "biuf"]
    else:
        _require_columns(columns, list(features), "feature", source)
    clash = reserved & (set(features) | set(observables))
    if clash:
        raise DataError(f"column(s) {sorted(clash)} of {source} are reserved names and cannot "
                        "be features/observables; pass label=/weight=/is_signal= instead")

    raw = np.asarray(columns[label]) if label is not None else None
    if raw is None:
        labels = np.full(n, default_label, dtype=object)
    else:
        labels = label_strings(raw)
        if label_names:
            mapping = {str(k): v for k, v in zip(
                label_strings(np.asarray(list(label_names))), label_names.values(),
                strict=True)}
            labels = np.array([mapping.get(x, x) for x in labels], dtype=object)
    flags = _signal_flags(columns, labels, raw, is_signal, signal_labels, source)

    if weight is None:
        w = np.ones(n)
    else:
        w = _numeric(weight, columns[weight], "weight", source).astype(np.float64)
        bad = ~np.isfinite(w)
        if bad.any():
            raise DataError(
                f"weight column {weight!r} of {source} has {int(bad.sum())} NaN/inf values "
                f"(first at row {int(np.flatnonzero(bad)[0])}); fix or drop those events, or "
                "pass weight=None for unit weights"
            )

    values = {c: _numeric(c, columns[c], "observable", source) for c in observables}
    values.update({c: _numeric(c, columns[c], "feature", source) for c in features
                   if c not in values})
    keep = np.ones(n, dtype=bool)
    for v in values.values():
        if v.dtype.kind == "f":
            keep &= np.isfinite(v)
    if not keep.all():
        bad_cols = [c for c, v in values.items() if v.dtype.kind == "f"
                    and not np.isfinite(v).all()]
        if nan_policy == "raise":
            raise DataError(
                f"{int((~keep).sum())} events of {source} have NaN/inf in {bad_cols}; clean "
                "the file, or pass nan_policy='drop' to drop those events"
            )
        log.warning("dropping %d events of %s with NaN/inf in %s", int((~keep).sum()), source,
                    bad_cols)

    table_cols: dict[str, Any] = {
        "label": pa.array(labels[keep].tolist(), pa.string()),
        "is_signal": pa.array(flags[keep]),
        "weight": pa.array(w[keep]),
    }
    table_cols.update({c: pa.array(v[keep]) for c, v in values.items()})
    for name, arr in (extra or {}).items():
        if len(arr) != n:
            raise DataError(f"extra column {name!r} has {len(arr)} rows, expected {n}")
        table_cols[name] = arr.filter(pa.array(keep)) if not keep.all() else arr
    if not keep.any():
        raise DataError(f"no events of {source} are left after dropping NaN/inf rows")
    prov = dict(provenance or {})
    prov.update({
        "source": source,
        "columns": {"label": label, "weight": weight, "is_signal": is_signal,
                    "observables": list(observables), "features": list(features)},
        "signal_labels": [str(s) for s in signal_labels],
        "n_read": int(n),
        "n_dropped_nan": int((~keep).sum()),
    })
    return EventSet(pa.table(table_cols), observables=list(observables),
                    features=list(features), provenance=prov)
