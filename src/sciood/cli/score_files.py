"""Score an external file (ROOT, Parquet, CSV, HDF5, LHCO R&D, .npz) with a saved detector.

Only the columns the model reads are taken from the file (:func:`sciood.data.adapters.read_table`;
an HDF5 file in the LHC Olympics R&D *features* layout goes through
:func:`~sciood.data.adapters.read_lhco_features`, which derives ``mjj``, ``tau21_j1``, … from the
per-jet columns). Every row of the file is kept (NaN/inf in a column the model reads is an
error, never a silently dropped row), so score ``i`` belongs to row ``i`` of the file; the
scores are then written next to it with the event keys to join them back.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from sciood.errors import ConfigError, DataError

__all__ = ["output_path", "read_for_model", "score_column", "score_file"]

_MISSING_MARK = "are not in"  # the readers' wording for absent columns


def _is_lhco_features(path: Path, fmt: str | None, key: str | None) -> bool:
    from sciood.data.adapters.formats import format_from_suffix
    from sciood.data.adapters.lhco import LHCO_FEATURE_COLUMNS

    if (fmt or format_from_suffix(path)) != "hdf5":
        return False
    from sciood.data.adapters import PandasFixedFrame

    try:
        frame = PandasFixedFrame(path, key)
    except DataError:  # not a pandas frame: a generic HDF5 table
        return False
    return set(LHCO_FEATURE_COLUMNS) <= set(frame.columns)


def read_for_model(det: Any, model: Path, source: Path, needed: list[str] | None, *,
                   fmt: str | None = None, tree: str | None = None,
                   key: str | None = None) -> Any:
    """The events of ``source`` with the columns ``needed`` by ``det``, every row kept.

    Raises
    ------
    ConfigError
        The model builds its inputs from jet constituents (``needed`` is None).
    DataError
        A needed column is missing: the message names it, the model and the file's columns.
    """
    from sciood.data.adapters import read_lhco_features, read_table

    if needed is None:
        raise ConfigError(
            f"the model {str(model)!r} ({det.name}, representation "
            f"{getattr(det, 'representation', '?')!r}) builds its inputs from jet constituents, "
            f"which a flat file such as {str(source)!r} does not hold; read the file into an "
            "EventSet store with constituents first (a run's data.source section, or "
            "sciood.data.adapters + EventSet.write) and score that store")
    if _is_lhco_features(source, fmt, key):
        events = read_lhco_features(source, key=key)
        absent = [c for c in needed if c not in events.columns]
        if absent:
            raise DataError(
                f"INPUT {str(source)!r} (LHC Olympics R&D features layout) lacks the "
                f"column(s) {absent} that the model {str(model)!r} ({det.name}) needs (it "
                f"reads {needed}); this layout provides {list(events.features)}")
        return events
    try:
        return read_table(source, format=fmt, features=needed,  # type: ignore[arg-type]
                          tree=tree, key=key)
    except DataError as exc:
        if _MISSING_MARK not in str(exc):
            raise
        raise DataError(f"INPUT {str(source)!r} lacks column(s) the model {str(model)!r} "
                        f"({det.name}) needs (it reads {needed}): {exc}") from exc


def score_column(det: Any) -> str:
    """Name of the score column for ``det``: ``score_<detector name>`` (``pyod:ECOD`` →
    ``score_pyod_ECOD``), so the scores of several models join the same input side by side."""
    return "score_" + re.sub(r"[^A-Za-z0-9_.-]", "_", str(det.name))


def output_path(source: Path, out: Path | None, *, force: bool) -> Path:
    """The file the scores of ``source`` go to (``out``, a name inside the directory ``out``,
    or ``<stem>.scores.parquet`` / ``<stem>.scores.root`` next to ``source``).

    Raises
    ------
    ConfigError
        That file exists and not ``force``, or it is ``source`` itself.
    """
    from sciood.data.adapters.writeback import default_output

    target = default_output(source, out)
    if target.resolve() == source.resolve():
        raise ConfigError(f"--out {str(target)!r} is INPUT itself; choose another path")
    if (target.exists() or target.is_symlink()) and not force:
        raise ConfigError(f"--out {str(target)!r} exists; choose another path, or pass --force "
                          "to replace it")
    return target


def score_file(det: Any, model: Path, source: Path, out: Path | None, needed: list[str] | None,
               *, force: bool = False, fmt: str | None = None, tree: str | None = None,
               key: str | None = None, batch_size: int) -> tuple[int, Path]:
    """Score every row of ``source`` and write the scores beside it (or to ``out``).

    Written by :func:`sciood.data.adapters.writeback.write_scores`: one row per input row, in
    the input's order — ``entry`` (the row number), the input's ``run``,
    ``luminosityBlock``, ``event`` columns when it has them, ``scored``, and
    ``score_<detector>`` (plus ``score_<detector>_std`` for detectors with an uncertainty);
    a ROOT friend tree ``scores`` for a ROOT input, Parquet for any other.

    Returns ``(number of events, path written)``.
    """
    from sciood.data.adapters.writeback import write_scores
    from sciood.scoring import score_events

    target = output_path(source, out, force=force)
    events = read_for_model(det, model, source, needed, fmt=fmt, tree=tree, key=key)
    scores = score_events(det, events, batch_size=batch_size)
    name = score_column(det)
    columns = {name if k == "score" else f"{name}_{k.removeprefix('score_')}": v
               for k, v in scores.items()}
    entry = (events.column("entry").astype(np.int64) if "entry" in events.columns else None)
    written = write_scores(source, columns, target, tree=tree, key=key, entry=entry,
                           overwrite=force)
    return len(events), written
