"""``sciood score``: run the pipeline up to scoring, or score events with a saved detector.

Two forms share the command (decided by the number of arguments, documented in
docs/pipeline.md, "Scoring with a saved detector"):

* ``sciood score CONFIG`` — the pipeline up to its score stage (unchanged since before
  ``MODEL INPUT`` existed; every option of that form is kept);
* ``sciood score MODEL INPUT --out OUT`` — load the detector saved in the directory MODEL
  (:func:`sciood.detectors.load`, checksums verified), read INPUT and write one score per event,
  row-aligned with INPUT:

  - INPUT an EventSet store (a directory with ``manifest.json``): OUT is a score store
    written by :func:`sciood.scoring.score_store` (``label``, ``is_signal``, ``weight``, the
    observables, ``score`` [, ``score_std``]), shard for shard and row for row the input's;
  - INPUT a file (ROOT, Parquet, CSV, HDF5 — the LHCO R&D features layout is recognised —,
    ``.npz``): only the columns the model needs are read (:mod:`sciood.data.adapters`), the
    events are scored with :func:`sciood.scoring.score_events` and the scores are written by
    :func:`sciood.data.adapters.writeback.write_scores` with the event-key columns needed to
    join them back: a ROOT friend tree for a ROOT INPUT, Parquet for a table
    (:mod:`sciood.cli.score_files`). ``--out`` is optional there: by default the scores go
    next to INPUT (``<stem>.scores.root`` / ``<stem>.scores.parquet``).

OUT must not exist; ``--force`` replaces a score file, or a score store sciood wrote (a
directory holding anything else is always refused).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from sciood.cli._common import (
    JsonOpt,
    QuietOpt,
    SchedulerOpt,
    WorkersOpt,
    fail,
    out_console,
)
from sciood.errors import ConfigError, CorruptDataError, DataError, SciOODError

__all__ = ["CONFIG_SUFFIXES", "score", "score_model"]

#: suffixes of a run configuration (the one-argument form)
CONFIG_SUFFIXES = (".yaml", ".yml", ".toml")
_MODEL_META = "meta.json"
_STORE_MANIFEST = "manifest.json"

TargetArg = Annotated[Path, typer.Argument(
    metavar="CONFIG|MODEL", show_default=False,
    help="A run configuration (.yaml/.toml: run the pipeline up to scoring, RUN/scores/), or "
    "a saved detector's directory (then give INPUT too).")]
InputArg = Annotated[Path | None, typer.Argument(
    metavar="INPUT", show_default=False,
    help="With MODEL: the events to score — an EventSet store directory, or a ROOT, Parquet, "
    "CSV, HDF5 (the LHCO R&D features layout included) or .npz file.")]
ScoreOutOpt = Annotated[Path | None, typer.Option(
    "--out", "-o", show_default=False,
    help="With CONFIG: the run directory (default: `output` of the config). With MODEL INPUT: "
    "where the scores go — a score store for a store INPUT (required); for a file INPUT a "
    ".root friend-tree file (ROOT INPUT) or a .parquet file, or a directory to put it in "
    "(default: <stem>.scores.root / <stem>.scores.parquet next to INPUT).")]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="INPUT file format when its suffix does not tell (csv, parquet, npz, npy, "
    "hdf5, root).")]
TreeOpt = Annotated[str | None, typer.Option("--tree", help="ROOT INPUT: the TTree name.")]
KeyOpt = Annotated[str | None, typer.Option("--hdf5-key", help="HDF5 INPUT: the pandas key.")]
ScoreForceOpt = Annotated[bool, typer.Option(
    "--force", help="With CONFIG: as for `sciood run --force`. With MODEL INPUT: replace an "
    "existing OUT that holds scores sciood wrote (anything else is refused).")]
JetsOpt = Annotated[str | None, typer.Option(
    "--jets", help="ROOT INPUT with jagged jet branches: the fat-jet collection (e.g. FatJet: "
    "FatJet_pt, _eta, _phi, _mass, _msoftdrop, _tau1..3); the two leading jets give mjj and "
    "the features.")]
ConstituentsOpt = Annotated[str | None, typer.Option(
    "--constituents", help="With --jets: the constituent collection (e.g. PFCands, with "
    "PFCands_jetIdx), for models on particles.")]
BatchOpt = Annotated[int | None, typer.Option(
    "--batch-size", min=1, help="Rows per scoring batch (memory only; never changes a score).")]


def score(target: TargetArg, input: InputArg = None, out: ScoreOutOpt = None,
          quiet: QuietOpt = False, as_json: JsonOpt = False, scheduler: SchedulerOpt = None,
          workers: WorkersOpt = None, force: ScoreForceOpt = False, fmt: FormatOpt = None,
          tree: TreeOpt = None, hdf5_key: KeyOpt = None, jets: JetsOpt = None,
          constituents: ConstituentsOpt = None, batch_size: BatchOpt = None) -> None:
    """Score events: the pipeline up to scoring, or a saved detector on your events.

    `sciood score CONFIG` runs the pipeline of CONFIG up to its score stage (RUN/scores/).
    `sciood score MODEL INPUT --out OUT` scores INPUT with the detector saved in MODEL; the
    scores are aligned with INPUT (a score store row for row with a store INPUT; for a file
    INPUT the scores plus the event-key columns to join them back). OUT must not exist
    (--force replaces scores sciood wrote there). Exit codes: 0 ok; 2 bad usage, MODEL not a
    saved detector, INPUT missing a column the model needs (named), existing OUT; 1 failure.
    """
    if input is None:
        if _is_model_dir(target):
            fail(ConfigError(f"{str(target)!r} is a saved detector: give the events to score "
                             f"too, `sciood score {target} INPUT --out OUT`"))
        if any(o is not None for o in (fmt, tree, hdf5_key, jets, constituents, batch_size)):
            fail(ConfigError("--format, --tree, --hdf5-key, --jets, --constituents and "
                             "--batch-size belong to "
                             "`sciood score MODEL INPUT --out OUT`, not to `sciood score CONFIG`"))
        from sciood.cli.pipeline_commands import run_until_score

        run_until_score(target, out, quiet=quiet, as_json=as_json, scheduler=scheduler,
                        workers=workers, force=force)
        return
    if target.suffix.lower() in CONFIG_SUFFIXES and target.is_file():
        fail(ConfigError(f"{str(target)!r} is a run configuration: `sciood score CONFIG` takes "
                         "no INPUT; to score a file with a saved detector use `sciood score "
                         "RUN/models/<label>/model INPUT --out OUT`"))
    if constituents is not None and jets is None:
        fail(ConfigError("--constituents needs --jets (the jet collection they belong to)"))
    jet_options = None if jets is None else {"collection": jets, "constituents": constituents}
    try:
        summary = score_model(target, input, out, force=force, fmt=fmt, tree=tree,
                              key=hdf5_key, jets=jet_options, batch_size=batch_size,
                              scheduler=scheduler, workers=workers)
    except SciOODError as exc:
        fail(exc)
    if as_json:
        out_console.print_json(json.dumps(summary))
    elif not quiet:
        out_console.print(f"{summary['n_events']} events scored by {summary['detector']} "
                          f"→ {summary['out']}")


def _is_model_dir(path: Path) -> bool:
    return path.is_dir() and (path / _MODEL_META).is_file()


def _is_store(path: Path) -> bool:
    return path.is_dir() and (path / _STORE_MANIFEST).is_file()


def _load_model(model: Path) -> Any:
    if not _is_model_dir(model):
        what = ("does not exist" if not model.exists() else
                "is a file" if not model.is_dir() else f"has no {_MODEL_META}")
        if _is_model_dir(model / "model"):  # a run's models/<label>/ rather than .../model
            what += f"; did you mean {str(model / 'model')!r}?"
        raise ConfigError(
            f"MODEL {str(model)!r} is not a saved sciood detector ({what}); give the directory "
            "written by Detector.save(path) or by a run, RUN/models/<label>/model")
    from sciood.detectors import load

    return load(model)


def _check_out(out: Path, *, force: bool, source: Path) -> None:
    """Refuse an existing OUT unless ``force`` and OUT holds scores sciood wrote."""
    if out.resolve() == source.resolve():
        raise ConfigError(f"--out {str(out)!r} is INPUT itself; choose another path")
    if not out.exists() and not out.is_symlink():
        return
    if not force:
        raise ConfigError(f"--out {str(out)!r} exists; choose another path, or pass --force to "
                          "replace the scores written there")
    if out.is_dir():
        if not _is_score_store(out):
            raise ConfigError(f"--out {str(out)!r} is a directory that does not hold a sciood "
                              "score store; sciood replaces only scores it wrote (also with "
                              "--force): choose another path")
    elif out.is_file():
        out.unlink()


def _is_score_store(path: Path) -> bool:
    try:
        manifest = json.loads((path / _STORE_MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and (manifest.get("provenance") or {}).get(
        "kind") == "scores"


def _needed_features(det: Any) -> list[str] | None:
    """Feature columns the model reads (``None``: it builds its inputs from constituents)."""
    from sciood.data.eventset import REQUIRED
    from sciood.scoring import needed_columns

    needed = needed_columns(det, "features", ())
    return None if needed is None else [c for c in needed if c not in REQUIRED]


def _missing(det: Any, model: Path, source: str, needed: list[str], have: list[str]
             ) -> DataError:
    absent = [c for c in needed if c not in have]
    return DataError(
        f"INPUT {source!r} lacks the column(s) {absent} that the model {str(model)!r} "
        f"({det.name}) needs (it reads {needed}); the input has {sorted(have)}")


def _store_columns(store: Path) -> list[str]:
    import pyarrow.parquet as pq

    from sciood.data.store import read_manifest

    manifest = read_manifest(store)
    if not manifest["shards"]:
        raise DataError(f"store {str(store)!r} lists no shards; nothing to score")
    first = store / manifest["shards"][0]["file"]
    try:
        return list(pq.read_schema(first).names)
    except (OSError, ValueError) as exc:
        raise CorruptDataError(f"cannot read the schema of {str(first)!r} ({exc}); check the "
                               f"store with `sciood info {store}`") from exc


def score_model(model: Path, source: Path, out: Path | None, *, force: bool = False,
                fmt: str | None = None, tree: str | None = None, key: str | None = None,
                jets: dict[str, Any] | None = None,
                batch_size: int | None = None, scheduler: str | None = None,
                workers: int | None = None) -> dict[str, Any]:
    """Score ``source`` with the detector saved in ``model``; write the scores to ``out``.

    ``out`` may be ``None`` for a file ``source``: the scores go next to it
    (``<stem>.scores.parquet``, or the friend tree ``<stem>.scores.root``).

    Returns a JSON-able summary (``detector``, ``input``, ``out``, ``n_events``, ``kind``).

    Raises
    ------
    ConfigError
        ``model`` is not a model directory; ``out`` exists (and not ``force``) or is the
        input; the model reads constituents and ``source`` is a flat file.
    DataError
        ``source`` lacks a column the model needs (the message names them).
    CorruptDataError
        The model or the input fails its checks.
    """
    from sciood.scoring import DEFAULT_BATCH_SIZE

    det = _load_model(model)
    if not source.exists():
        raise DataError(f"INPUT {str(source)!r} does not exist; check the path")
    size = DEFAULT_BATCH_SIZE if batch_size is None else batch_size
    needed = _needed_features(det)
    summary: dict[str, Any] = {"detector": det.name, "model": str(model),
                               "input": str(source), "out": str(out)}
    if source.is_dir():
        if not _is_store(source):
            raise DataError(f"INPUT {str(source)!r} is a directory without {_STORE_MANIFEST}: "
                            "give an EventSet store or a file")
        if out is None:
            raise ConfigError("--out OUT is required to score a store: the score store is "
                              "written there")
        _check_out(out, force=force, source=source)
        if needed is not None:
            have = _store_columns(source)
            if any(c not in have for c in needed):
                raise _missing(det, model, str(source), needed, have)
        from sciood.distributed import connect
        from sciood.scoring import score_store

        with connect(scheduler=scheduler, workers=workers) as client:
            path = score_store(det, source, out, batch_size=size, client=client)
        from sciood.data.store import read_manifest

        return {**summary, "kind": "score store", "out": str(path),
                "n_events": int(read_manifest(path)["n_events"])}
    from sciood.cli.score_files import score_file

    n, written = score_file(det, model, source, out, needed, force=force, fmt=fmt, tree=tree,
                            key=key, jets=jets, batch_size=size)
    return {**summary, "kind": "file", "out": str(written), "n_events": n}
