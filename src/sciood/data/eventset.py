"""EventSet: the one currency between pipeline stages.

An :class:`EventSet` is a columnar table (a :class:`pyarrow.Table`) with

* ``label`` (string) — the process / class name, e.g. ``"qcd"`` or ``"wprime_wz_80"``;
* ``is_signal`` (bool);
* ``weight`` (float64) — physical weight, expected events per fb⁻¹ for generated samples;
  negative Monte-Carlo weights are legal;
* observables (e.g. ``mjj``) — the variables a search is performed in;
* features — numeric per-event columns (expert high-level features);
* optional per-event columns that are neither features nor observables, e.g. ``lead_pt``,
  ``pthat`` and, for generated samples, the isolated leptons / photons, MET and per-jet truth
  labels (``n_electrons``, ``met``, ``truth_j1``, ...; ``sciood.reco.features.EVENT_COLUMNS``,
  docs/reconstruction.md) — sets written before those columns existed read as before;
* optional jagged constituents, one list column per jet and coordinate:
  ``j1_const_pt``, ``j1_const_eta``, ``j1_const_phi`` (and ``j2_…``), pT-ordered;
* ``provenance`` — a JSON-able dict (generator versions, settings, seed, detector card,
  config hash).

Example
-------
>>> import numpy as np, pyarrow as pa
>>> t = pa.table({"label": ["qcd", "sig"], "is_signal": [False, True],
...               "weight": [1.0, 1.0], "mjj": [3000.0, 3500.0], "mj1": [50.0, 100.0]})
>>> es = EventSet(t, observables=["mjj"])
>>> es.features
('mj1',)
>>> es.to_numpy(["mj1"]).shape
(2, 1)
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sciood import _repr
from sciood.data import store
from sciood.errors import CorruptDataError, DataError, MissingColumnError
from sciood.io import check_writable

__all__ = ["CONSTITUENT_COORDS", "EventSet", "constituent_column"]

REQUIRED = store.REQUIRED_COLUMNS
CONSTITUENT_COORDS = ("pt", "eta", "phi")


def constituent_column(jet: int, coord: str) -> str:
    """Name of the list column holding ``coord`` of jet ``jet``'s constituents."""
    return f"j{jet}_const_{coord}"


def _is_numeric_scalar(field: pa.Field) -> bool:
    t = field.type
    return bool(pa.types.is_floating(t) or pa.types.is_integer(t))


class EventSet:
    """Columnar events with labels, weights, observables, features and provenance.

    Parameters
    ----------
    table : pyarrow.Table
        Must contain ``label`` (string), ``is_signal`` (bool) and ``weight`` (float).
    observables : sequence of str, optional
        Names of the search observable columns (e.g. ``["mjj"]``).
    features : sequence of str, optional
        Feature columns. Default: every numeric scalar column that is not required or an
        observable.
    provenance : dict, optional
        JSON-serialisable description of where the events came from.

    Raises
    ------
    DataError
        If a required column is missing or has the wrong type, or a named column is absent.
    """

    def __init__(
        self,
        table: pa.Table,
        *,
        observables: Sequence[str] = (),
        features: Sequence[str] | None = None,
        provenance: dict[str, Any] | None = None,
    ) -> None:
        missing = [c for c in REQUIRED if c not in table.column_names]
        if missing:
            raise DataError(
                f"EventSet table lacks required column(s) {missing}; every EventSet needs "
                "'label' (class name), 'is_signal' (bool) and 'weight' (float)"
            )
        table = table.cast(self._canonical_schema(table))
        self._table = table
        self._observables = tuple(observables)
        unknown = [c for c in self._observables if c not in table.column_names]
        if features is None:
            features = [
                f.name
                for f in table.schema
                if f.name not in REQUIRED
                and f.name not in self._observables
                and _is_numeric_scalar(f)
            ]
        else:
            unknown += [c for c in features if c not in table.column_names]
        if unknown:
            raise DataError(
                f"columns {unknown} named as observables/features are not in the table; "
                f"available columns: {table.column_names}"
            )
        self._features = tuple(features)
        self.provenance: dict[str, Any] = dict(provenance or {})

    @staticmethod
    def _canonical_schema(table: pa.Table) -> pa.Schema:
        fields = []
        for f in table.schema:
            if f.name == "label":
                f = f.with_type(pa.string())
            elif f.name == "is_signal":
                f = f.with_type(pa.bool_())
            elif f.name == "weight":
                f = f.with_type(pa.float64())
            fields.append(f)
        return pa.schema(fields)

    # ------------------------------------------------------------------ basic views
    @property
    def table(self) -> pa.Table:
        """The underlying :class:`pyarrow.Table` (read-only by convention)."""
        return self._table

    @property
    def columns(self) -> list[str]:
        """All column names."""
        return list(self._table.column_names)

    @property
    def observables(self) -> tuple[str, ...]:
        """Search observable column names."""
        return self._observables

    @property
    def features(self) -> tuple[str, ...]:
        """Feature column names."""
        return self._features

    def __len__(self) -> int:
        return self._table.num_rows

    # notebook views: per-class counts without copying columns to numpy
    def _class_rows(self) -> list[tuple[str, bool, int, float]]:
        """``(class, is signal, events, Σw)`` per class label, sorted by label."""
        agg = self._table.select(["label", "is_signal", "weight"]).group_by("label").aggregate(
            [("is_signal", "any"), ("weight", "count", pc.CountOptions(mode="all")),
             ("weight", "sum")]).to_pydict()
        rows = zip(agg["label"], agg["is_signal_any"], agg["weight_count"], agg["weight_sum"],
                   strict=True)
        return sorted((str(c), bool(s), int(n), float(w or 0.0)) for c, s, n, w in rows)

    def __repr__(self) -> str:
        rows = self._class_rows()
        shown = ", ".join(f"{c!r}: {n}" for c, _, n, _ in rows[:6])
        more = f", … +{len(rows) - 6}" if len(rows) > 6 else ""
        return (f"EventSet(n={len(self)}, classes={{{shown}{more}}}, "
                f"Σw={_repr.num(sum(r[3] for r in rows))}, observables={list(self._observables)}"
                f", features={len(self._features)}, columns={self._table.num_columns})")

    def _repr_html_(self, max_rows: int = 20) -> str:
        """Notebook view: one line per class (events, Σw), then the column roles."""
        rows, p = self._class_rows(), _repr.plural
        title = (f"EventSet: {p(len(self), 'event')}, {p(len(rows), 'class')}, Σw = "
                 f"{_repr.num(sum(r[3] for r in rows))}, {p(self._table.num_columns, 'column')}")
        body = [(c, "signal" if s else "background", n, _repr.num(w)) for c, s, n, w in rows]
        notes = [f"{k}: {_repr.short_list(v, 8)}" for k, v in (
            ("observables", self._observables), (f"features ({len(self._features)})",
             self._features), ("provenance", self.provenance))]
        return _repr.html_table(title, ["class", "kind", "events", "Σw"], body, max_rows=max_rows,
                                notes=[*notes, f"constituents: {self.has_constituents}"])

    @property
    def labels(self) -> np.ndarray:
        """Class name per event, shape ``(n,)``, dtype object (str)."""
        return np.asarray(self._table.column("label").to_pylist(), dtype=object)

    @property
    def is_signal(self) -> np.ndarray:
        """Signal flag per event, shape ``(n,)``, bool."""
        return self._table.column("is_signal").to_numpy(zero_copy_only=False).astype(bool)

    @property
    def weights(self) -> np.ndarray:
        """Physical weight per event, shape ``(n,)``, float64."""
        return self._table.column("weight").to_numpy(zero_copy_only=False).astype(np.float64)

    @property
    def classes(self) -> list[str]:
        """Distinct class labels, sorted."""
        return sorted(pc.unique(self._table.column("label")).to_pylist())

    def class_counts(self) -> dict[str, int]:
        """Number of events per class label."""
        counts = pc.value_counts(self._table.column("label")).to_pylist()
        return {d["values"]: int(d["counts"]) for d in sorted(counts, key=lambda d: d["values"])}

    def column(self, name: str) -> np.ndarray:
        """One scalar column as a numpy array, shape ``(n,)``."""
        self._check_columns([name])
        return self._table.column(name).to_numpy(zero_copy_only=False)

    def to_numpy(
        self, columns: Sequence[str] | None = None, *, dtype: Any = np.float64
    ) -> np.ndarray:
        """Stack scalar columns into a 2-D array.

        Parameters
        ----------
        columns : sequence of str, optional
            Columns to stack, in order. Default: :attr:`features`.
        dtype : numpy dtype
            Output dtype (default float64).

        Returns
        -------
        ndarray, shape ``(n_events, len(columns))``
        """
        cols = list(self._features if columns is None else columns)
        if isinstance(columns, str):
            raise DataError("to_numpy takes a list of column names, not a single string")
        self._check_columns(cols)
        out = np.empty((len(self), len(cols)), dtype=dtype)
        for j, c in enumerate(cols):
            col = self._table.column(c)
            if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)
                    or pa.types.is_boolean(col.type)):
                raise DataError(
                    f"column {c!r} has type {col.type}, not a numeric scalar; use "
                    "`constituents()` for particle lists"
                )
            out[:, j] = col.to_numpy(zero_copy_only=False)
        return out

    def _check_columns(self, cols: Iterable[str]) -> None:
        missing = [c for c in cols if c not in self._table.column_names]
        if missing:
            raise MissingColumnError(f"unknown column(s) {missing}; available: {self.columns}")

    # ------------------------------------------------------------------ constituents
    @property
    def has_constituents(self) -> bool:
        """Whether per-jet constituent list columns are present."""
        return constituent_column(1, "pt") in self._table.column_names

    def constituents(self, jet: int = 1, max_particles: int | None = None) -> tuple[
        np.ndarray, np.ndarray
    ]:
        """Zero-padded constituents of one jet.

        Parameters
        ----------
        jet : {1, 2}
            Jet index: 1 = the lighter of the two leading-pT jets by ungroomed mass,
            2 = the heavier.
        max_particles : int, optional
            Pad/truncate to this many (pT-ordered, hardest kept). Default: the maximum.

        Returns
        -------
        particles : ndarray, shape ``(n, max_particles, 3)``, float32
            (pT, η, φ) per particle; zeros where padded.
        mask : ndarray, shape ``(n, max_particles)``, bool
            True for real particles.
        """
        if not self.has_constituents:
            raise DataError(
                "this EventSet has no constituent columns; generate with constituents "
                "(the default) or read a low-level file"
            )
        cols = [self._table.column(constituent_column(jet, c)) for c in CONSTITUENT_COORDS]
        counts = pc.list_value_length(cols[0]).to_numpy(zero_copy_only=False).astype(np.int64)
        width = int(counts.max(initial=0)) if max_particles is None else int(max_particles)
        n = len(self)
        out = np.zeros((n, width, 3), dtype=np.float32)
        mask = np.arange(width)[None, :] < np.minimum(counts, width)[:, None]
        rows = np.repeat(np.arange(n), counts)
        starts = np.cumsum(counts) - counts  # (n,), also for n = 0 events
        pos = np.arange(counts.sum()) - np.repeat(starts, counts)
        keep = pos < width
        for k, col in enumerate(cols):
            flat = pc.list_flatten(col).to_numpy(zero_copy_only=False)
            out[rows[keep], pos[keep], k] = flat[keep]
        return out, mask

    def event_constituents(self, max_particles: int = 700) -> np.ndarray:
        """Event-level zero-padded particle array as in the LHCO low-level file.

        The two leading jets' constituents are merged and pT-ordered.

        Returns
        -------
        ndarray, shape ``(n, max_particles, 3)``, float32
        """
        p1, _ = self.constituents(1)
        p2, _ = self.constituents(2)
        both = np.concatenate([p1, p2], axis=1)
        order = np.argsort(-both[:, :, 0], axis=1, kind="stable")
        both = np.take_along_axis(both, order[:, :, None], axis=1)
        out = np.zeros((len(self), max_particles, 3), dtype=np.float32)
        m = min(max_particles, both.shape[1])
        out[:, :m] = both[:, :m]
        return out

    # ------------------------------------------------------------------ transforms
    def _derive(self, table: pa.Table, provenance: dict[str, Any] | None = None) -> EventSet:
        features = [f for f in self._features if f in table.column_names]
        observables = [o for o in self._observables if o in table.column_names]
        return EventSet(
            table,
            observables=observables,
            features=features,
            provenance=self.provenance if provenance is None else provenance,
        )

    def select(self, mask_or_index: np.ndarray) -> EventSet:
        """Subset of events by boolean mask ``(n,)`` or integer indices."""
        idx = np.asarray(mask_or_index)
        if idx.dtype == bool:
            if idx.shape != (len(self),):
                raise DataError(f"mask has shape {idx.shape}, expected ({len(self)},)")
            idx = np.flatnonzero(idx)
        return self._derive(self._table.take(pa.array(idx, type=pa.int64())))

    def with_label(self, *labels: str) -> EventSet:
        """Events whose class label is one of ``labels``."""
        unknown = set(labels) - set(self.classes)
        if unknown:
            raise DataError(f"labels {sorted(unknown)} not present; classes: {self.classes}")
        return self.select(np.isin(self.labels, list(labels)))

    def with_columns(self, **columns: np.ndarray) -> EventSet:
        """A copy with scalar columns added or replaced (each shape ``(n,)``)."""
        table = self._table
        for name, values in columns.items():
            arr = np.asarray(values)
            if arr.shape != (len(self),):
                raise DataError(f"column {name!r} has shape {arr.shape}, expected ({len(self)},)")
            if name in table.column_names:
                table = table.set_column(table.column_names.index(name), name, pa.array(arr))
            else:
                table = table.append_column(name, pa.array(arr))
        return self._derive(table)

    def with_weights(self, weights: np.ndarray) -> EventSet:
        """A copy with the ``weight`` column replaced, shape ``(n,)``."""
        return self.with_columns(weight=np.asarray(weights, dtype=np.float64))

    @classmethod
    def concat(cls, sets: Sequence[EventSet]) -> EventSet:
        """Concatenate event sets with identical columns; provenance kept per part."""
        if not sets:
            raise DataError("concat needs at least one EventSet")
        first = sets[0]
        names = first.table.column_names
        for s in sets[1:]:
            if sorted(s.table.column_names) != sorted(names):
                raise DataError(
                    "cannot concatenate EventSets with different columns: "
                    f"{sorted(set(names) ^ set(s.table.column_names))} differ"
                )
        tables = [s.table.select(names) for s in sets]
        table = pa.concat_tables(tables, promote_options="permissive")
        prov = {"parts": [s.provenance for s in sets]} if len(sets) > 1 else first.provenance
        return cls(table, observables=first.observables, features=first.features,
                   provenance=prov)

    def to_pandas(self, columns: Sequence[str] | None = None) -> Any:
        """A :class:`pandas.DataFrame` of the scalar columns (or ``columns``)."""
        cols = columns or [c for c in self.columns if not c.startswith(("j1_const", "j2_const"))]
        return self._table.select(list(cols)).to_pandas()

    # ------------------------------------------------------------------ I/O
    def write(self, path: str | os.PathLike[str], *, shard_size: int = 100_000) -> Path:
        """Write as sharded Parquet + ``manifest.json`` (atomic per file, manifest last).

        Parameters
        ----------
        path : path-like
            Output directory (created). An existing manifest there is replaced.
        shard_size : int
            Rows per shard.

        Raises
        ------
        DataError
            ``shard_size`` is not a positive integer; a weight is NaN or ±inf (negative
            weights are legal); the directory cannot be written (disk full, read-only, ...:
            the path is named and no partial file is left).
        """
        if isinstance(shard_size, bool) or not isinstance(shard_size, int) or shard_size <= 0:
            raise DataError(f"shard_size must be a positive integer, got {shard_size!r}")
        problems = store.check_events_table(self._table, "the EventSet")
        if problems:
            raise DataError(f"cannot write {str(path)!r}: {'; '.join(problems)}; fix the "
                            "weights (or drop those events) before writing")
        directory = check_writable(path)
        # The old manifest, if any, is invalid from the first shard on: remove it first, so an
        # interrupted write (disk full, kill) leaves "not a complete dataset", never a mix.
        (directory / store.MANIFEST_NAME).unlink(missing_ok=True)
        entries = []
        for i, start in enumerate(range(0, max(len(self), 1), shard_size)):
            part = self._table.slice(start, shard_size)
            entries.append(store.write_shard(part, directory / f"shard-{i:05d}.parquet"))
        keep = {e["file"] for e in entries}
        for stale in directory.glob("shard-*.parquet"):  # shards of an earlier, larger set
            if stale.name not in keep:
                stale.unlink(missing_ok=True)
        store.write_manifest(directory, self.manifest_body(entries))
        return directory

    def manifest_body(self, shards: list[dict[str, Any]]) -> dict[str, Any]:
        """Manifest content for this set's column roles and provenance."""
        return {
            "n_events": int(sum(e["rows"] for e in shards)),
            "shards": shards,
            "observables": list(self._observables),
            "features": list(self._features),
            "provenance": json.loads(json.dumps(self.provenance, default=str)),
        }

    @classmethod
    def read(
        cls,
        path: str | os.PathLike[str],
        *,
        columns: Sequence[str] | None = None,
        verify: bool = True,
    ) -> EventSet:
        """Read a dataset directory written by :meth:`write` or ``sciood generate``.

        Every shard's SHA-256 and row count are checked against the manifest (``verify``).
        A shard entry may carry ``weight_scale`` (generated samples: σ·L/N_generated), which
        multiplies the stored per-event generator weight.

        Raises
        ------
        CorruptDataError
            Missing, malformed, inconsistent or modified manifest; missing, corrupted or
            truncated shard (the file is named); a shard with null labels / flags / weights or
            a non-finite weight (negative weights are legal); shards with different columns.
            See :mod:`sciood.data.store`.
        DataError
            A requested column is not in the store.
        """
        manifest = store.read_manifest(path)
        if not manifest["shards"]:
            raise DataError(f"dataset {str(path)!r} lists no shards")
        want = None
        if columns is not None:
            if isinstance(columns, str):
                raise DataError("columns takes a list of column names, not a single string")
            want = list(dict.fromkeys([*REQUIRED, *columns]))
        tables: list[pa.Table] = []
        for entry in manifest["shards"]:
            t = store.read_shard(path, entry, columns=want, verify=verify)
            scale = float(entry.get("weight_scale", 1.0))
            problems = store.check_events_table(t, f"shard {entry['file']!r}", scale)
            if problems:
                raise CorruptDataError(f"dataset {str(path)!r}: {'; '.join(problems)}; "
                                       "regenerate the dataset (or fix the weights at source)")
            if tables and not t.schema.remove_metadata().equals(
                    tables[0].schema.remove_metadata()):
                raise CorruptDataError(
                    f"dataset {str(path)!r}: shard {entry['file']!r} has columns "
                    f"{t.schema.names} (or types) unlike the first shard's "
                    f"{tables[0].schema.names}; regenerate the dataset")
            if scale != 1.0:
                w = pc.multiply(t.column("weight").cast(pa.float64()), pa.scalar(scale))
                t = t.set_column(t.column_names.index("weight"), "weight", w)
            tables.append(t)
        table = pa.concat_tables(tables)
        roles = [*manifest.get("observables", []), *manifest.get("features", [])]
        absent = [c for c in roles if c not in table.column_names]
        if absent and columns is None:
            raise CorruptDataError(
                f"the manifest of {str(path)!r} names column(s) {absent} as observables/"
                f"features, but its shards have no such columns; regenerate the dataset")
        feats = [f for f in manifest.get("features", []) if f in table.column_names]
        obs = [o for o in manifest.get("observables", []) if o in table.column_names]
        return cls(table, observables=obs, features=feats,
                   provenance=manifest.get("provenance", {}))

    # ------------------------------------------------------------------ summaries
    def summary(self) -> list[dict[str, Any]]:
        """Per-class rows: events, Σ weights (expected events), signal flag."""
        labels, sig, w = self.labels, self.is_signal, self.weights
        rows = []
        for c in self.classes:
            m = labels == c
            rows.append({
                "label": c,
                "is_signal": bool(sig[m].any()),
                "events": int(m.sum()),
                "sum_weights": float(w[m].sum()),
            })
        return rows
