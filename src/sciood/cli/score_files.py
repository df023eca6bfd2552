"""Score an external file (ROOT, Parquet, CSV, HDF5, LHCO R&D, .npz) with a saved detector.

The file is read as a run's ``data.source`` reads it
(:func:`sciood.data.adapters.source.read_source_file`, reader chosen by suffix and content):
a plain table keeps every row and only the columns the model reads (NaN/inf there is an
error, never a silently dropped row); an HDF5 file in an LHC Olympics R&D layout goes through
the LHCO readers, which derive ``mjj``, ``tau21_j1``, … (the particle file is re-clustered);
a ROOT file with ``--jets COLLECTION`` goes through the jagged-collection reader. Each event
carries its input row (``entry``), so the scores are written next to the file, one row per
input row, with the event keys to join them back (rows without an event marked unscored).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

from sciood.errors import ConfigError, DataError

__all__ = ["output_path", "read_for_model", "score_column", "score_file"]

_MISSING_MARK = "are not in"  # the readers' wording for absent columns


def _absent(det: Any, model: Path, source: Path, needed: list[str], events: Any,
            layout: str) -> None:
    absent = [c for c in needed if c not in events.columns]
    if absent:
        raise DataError(
            f"INPUT {str(source)!r} ({layout}) lacks the column(s) {absent} that the model "
            f"{str(model)!r} ({det.name}) needs (it reads {needed}); read this way it "
            f"provides {list(events.features)}")


def read_for_model(det: Any, model: Path, source: Path, needed: list[str] | None, *,
                   fmt: str | None = None, tree: str | None = None, key: str | None = None,
                   jets: dict[str, Any] | None = None) -> Any:
    """The events of ``source`` with the columns ``needed`` by ``det``.

    The reader is chosen as for a run's ``data.source``
    (:func:`sciood.data.adapters.source.detect_format`): a plain table (every row kept), an
    LHC Olympics R&D features or particle file, or — with ``jets`` — a ROOT file's jagged
    jet collection (events without two jets are dropped; their rows are marked unscored).
    ``fmt`` forces a plain table of that file format.

    Raises
    ------
    ConfigError
        The model builds its inputs from jet constituents (``needed`` is None) and the file
        is read without them.
    DataError
        A needed column is missing: the message names it, the model and the file's columns.
    """
    from sciood.data.adapters import read_table
    from sciood.data.adapters.source import detect_format, read_source_file

    kind = "table" if fmt is not None else detect_format(source, key=key,
                                                          jets=jets is not None)
    with_constituents = kind == "lhco_lowlevel" or bool((jets or {}).get("constituents"))
    if needed is None and not with_constituents:
        raise ConfigError(
            f"the model {str(model)!r} ({det.name}, representation "
            f"{getattr(det, 'representation', '?')!r}) builds its inputs from jet constituents, "
            f"which {str(source)!r} read as a {kind} does not give (for a ROOT file name the "
            "collections: --jets FatJet --constituents PFCands); or read the file into an "
            "EventSet store with constituents (a run's data.source) and score that store")
    if kind != "table":
        events = read_source_file(source, format=kind, observables=(), tree=tree, key=key,
                                  jets=jets)
        if needed is not None:
            _absent(det, model, source, needed, events, {
                "lhco_features": "LHC Olympics R&D features layout",
                "lhco_lowlevel": "LHC Olympics R&D particle layout, re-clustered",
                "root_jets": f"jagged jets {(jets or {}).get('collection')}"}[kind])
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
               key: str | None = None, jets: dict[str, Any] | None = None,
               batch_size: int) -> tuple[int, Path]:
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
    events = read_for_model(det, model, source, needed, fmt=fmt, tree=tree, key=key,
                            jets=jets)
    scores = score_events(det, events, batch_size=batch_size)
    name = score_column(det)
    columns = {name if k == "score" else f"{name}_{k.removeprefix('score_')}": v
               for k, v in scores.items()}
    entry = (events.column("entry").astype(np.int64) if "entry" in events.columns else None)
    written = write_scores(source, columns, target, tree=tree, key=key, entry=entry,
                           overwrite=force)
    return len(events), written
