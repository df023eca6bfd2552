"""``run(config)``: the stages in order, each reused when its inputs did not change.

Before anything is written the run directory is claimed (:func:`sciood.pipeline.rundir.claim`:
empty, or a run of the same config ``name``; another config's run only with ``force``) and
locked for the whole run (:func:`sciood.pipeline.rundir.locked`: a second run into it is
refused; the lock dies with its process).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sciood.config import RunConfig, load_config
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError
from sciood.io import atomic_write_bytes
from sciood.pipeline import rundir
from sciood.pipeline.cache import MARKER, StageRecord, is_done, stage_dir, stage_key
from sciood.pipeline.compute import Compute
from sciood.pipeline.data import generate_samples, split_samples
from sciood.pipeline.evaluation import evaluate_models, evaluation_key
from sciood.pipeline.hunt import HuntOutput, hunt_key, run_hunt
from sciood.pipeline.models import read_scores, score_key, score_models, train_models
from sciood.pipeline.progress import LogProgress, Progress, SilentProgress
from sciood.pipeline.results import build_report_inputs, build_results, provenance

__all__ = ["STAGES", "RunResult", "Stage", "run"]

log = logging.getLogger("sciood.pipeline")

Stage = Literal["generate", "split", "train", "score", "evaluate", "hunt", "report"]
#: The stages in order.
STAGES: tuple[Stage, ...] = ("generate", "split", "train", "score", "evaluate", "hunt", "report")


@dataclass
class RunResult:
    """Outcome of :func:`run`.

    Attributes
    ----------
    run_dir : Path
        The run directory.
    results : dict or None
        The ``results.json`` document (``None`` if the run stopped before the report stage).
    report : Path or None
        ``report.html`` (``None`` if the report could not be written; see ``notes``).
    stages : list of StageRecord
        Every cache unit of this run, reused or computed, with its wall time.
    seconds : float
        Wall time of this call.
    notes : list of str
    """

    run_dir: Path
    results: dict[str, Any] | None
    report: Path | None
    stages: list[StageRecord]
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def results_path(self) -> Path:
        """``RUN/results.json``."""
        return self.run_dir / "results.json"

    @property
    def cached(self) -> bool:
        """Every stage was reused."""
        return all(r.cached for r in self.stages)

    def to_dict(self) -> dict[str, Any]:
        """JSON summary (for ``sciood run --json``)."""
        return {
            "run_dir": str(self.run_dir),
            "results": str(self.results_path) if self.results is not None else None,
            "report": None if self.report is None else str(self.report),
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
            "stages": [r.to_dict() for r in self.stages],
            "notes": self.notes,
        }


def _progress(quiet: bool, progress: Progress | None) -> Progress:
    if progress is not None:
        return progress
    if quiet:
        return SilentProgress()
    return LogProgress()


def _resolve(config: RunConfig | str | Path, out: str | Path | None) -> RunConfig:
    if isinstance(config, RunConfig):
        cfg = config.model_copy(deep=True)
    elif isinstance(config, str | Path):
        cfg = load_config(config)
    else:
        raise ConfigError(f"config must be a RunConfig or the path of a YAML/TOML file, got "
                          f"{type(config).__name__}")
    if out is not None:
        cfg.output = Path(out)
    return cfg


def _write_report(run_dir: Path, inputs: Any, notes: list[str]) -> Path | None:
    try:
        from sciood.report import write_report
    except ImportError:
        notes.append("report.html not written: sciood.report.write_report is not available "
                     "in this installation")
        return None
    path: Path = write_report(run_dir, inputs)
    return path


def run(config: RunConfig | str | Path, *, out: str | Path | None = None, quiet: bool = False,
        until: Stage = "report", progress: Progress | None = None,
        force: bool = False) -> RunResult:
    """Run the pipeline of ``config``: generate -> split -> train -> score -> evaluate -> hunt
    -> report.

    Every stage caches its output in the run directory under a key of its inputs; a re-run
    redoes only stages whose inputs changed, and a run killed mid-stage resumes at that stage.

    Parameters
    ----------
    config : RunConfig or path-like
        A validated configuration or the path of a YAML/TOML file.
    out : path-like, optional
        Run directory (default ``config.output``, itself ``runs/<name>`` by default).
    quiet : bool
        No progress output (the default logs each stage at INFO level).
    until : str
        Stop after this stage (one of :data:`STAGES`).
    progress : Progress, optional
        Receiver of progress (the CLI's rich bars).
    force : bool
        The run directory may hold the run of *another* config: its sciood outputs
        (:data:`sciood.pipeline.rundir.SCIOOD_ENTRIES`) are deleted first.  Without it such a
        directory is refused.  A directory holding files sciood did not write is always
        refused.

    Returns
    -------
    RunResult

    Raises
    ------
    ConfigError
        Invalid configuration (nothing is written).
    RunDirectoryError
        The run directory holds another config's run (without ``force``) or foreign files.
    RunLockedError
        Another process is running into the same directory.
    OutputError
        The run directory cannot be written (disk full, read-only, ...), naming the path.
    SciOODError
        A stage failed (finished stages stay cached).

    Examples
    --------
    >>> res = run("examples/demo.yaml")                         # doctest: +SKIP
    >>> res.results["detectors"][0]["summary"]                  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    if until not in STAGES:
        raise ConfigError(f"until must be one of {', '.join(STAGES)}, got {until!r}")
    cfg = _resolve(config, out)
    prog = _progress(quiet, progress)
    run_dir = cfg.run_dir
    rundir.claim(run_dir, cfg.name, force=force)  # before anything is written
    with rundir.output_errors(run_dir, "setup"):
        run_dir.mkdir(parents=True, exist_ok=True)
    with rundir.locked(run_dir):
        if rundir.claim(run_dir, cfg.name, force=force) == "replace":  # again, locked
            rundir.replace(run_dir)
        with rundir.output_errors(run_dir, "setup"):
            atomic_write_bytes(run_dir / "config.json",
                               json.dumps(cfg.to_dict(), indent=1).encode())
        return _stages(cfg, run_dir, prog, until, t0)


def _stages(cfg: RunConfig, run_dir: Path, prog: Progress, until: Stage,
            t0: float) -> RunResult:
    """The stages of :func:`run` (the run directory is claimed and locked)."""
    records: list[StageRecord] = []

    def done(results: dict[str, Any] | None = None, report: Path | None = None,
             notes: list[str] | None = None) -> RunResult:
        return RunResult(run_dir, results, report, records, time.perf_counter() - t0,
                         notes or [])

    with Compute(cfg.compute.scheduler, cfg.compute.workers) as compute:
        samples = generate_samples(cfg, prog, compute, records)
        if until == "generate":
            return done()
        split = split_samples(cfg, samples, run_dir, prog, records)
        if until == "split":
            return done()
        models = train_models(cfg, split, run_dir, prog, records)
        if until == "train":
            return done()
        stores = score_models(models, split, run_dir, prog, compute, records)
    if until == "score":
        return done()
    skeys = {m.label: [score_key(m, split, v) for v in split.variants] for m in models}
    ekeys = {m.label: evaluation_key(cfg, m, skeys[m.label]) for m in models}
    hkey = hunt_key(cfg, {m.label: score_key(m, split, "sim") for m in models}, split.key,
                    _search_detectors(models))
    # where the stages ran (compute) does not change the results
    rkey = stage_key("report", ekeys, hkey,
                     {k: v for k, v in cfg.to_dict().items() if k != "compute"})
    report_cached = (is_done(run_dir / "report", rkey) and (run_dir / "results.json").is_file()
                     and (run_dir / "report.html").is_file())
    results, tests, notes = evaluate_models(
        cfg, models, stores, skeys, split, run_dir, prog, records,
        load=not report_cached and until == "report")
    if until == "evaluate":
        return done(notes=notes)
    need = not report_cached and until == "report"
    sim, scores = None, None
    if need or not is_done(run_dir / "hunt", hkey):
        sim = EventSet.read(split.test("sim"))
        scores = {m.label: read_scores(stores[m.label]["sim"]) for m in models}
    show = cfg.statistics.enabled and sim is not None
    with (prog.task("bump hunt, limit and injection scan", None) if show
          else contextlib.nullcontext()):
        hunt, hunt_summary = run_hunt(cfg, sim, scores, hkey, run_dir, records,
                                      candidates=_search_detectors(models),
                                      need_objects=need)
    if hunt_summary is not None:
        notes = [*notes, *hunt_summary.get("notes", [])]
    if until == "hunt":
        return done(notes=notes)
    if not report_cached and is_done(run_dir / "report", rkey):
        # an output the marker does not list is missing (report.html of an older run):
        # redo the stage although its key matches (a listed one is caught by its checksum)
        rundir.remove_inside(run_dir / "report" / MARKER, run_dir)
    return _report(cfg, run_dir, rkey, split, models, results, tests, hunt, hunt_summary, notes,
                   records, prog, t0)


def _search_detectors(models: list[Any]) -> list[str]:
    """Detectors the hunt may cut on by default: not the supervised (signal-label) ones."""
    search = [m.label for m in models if m.label_kind != "binary"]
    return search or [m.label for m in models]


def _report(cfg: RunConfig, run_dir: Path, rkey: str, split: Any, models: list[Any],
            results: Any, tests: Any, hunt: HuntOutput | None, hunt_summary: Any,
            notes: list[str], records: list[StageRecord], prog: Progress,
            t0: float) -> RunResult:
    html = run_dir / "report.html"
    with stage_dir(run_dir / "report", rkey, "report", records, root=run_dir,
                   extra=[run_dir / "results.json", html]) as (_, cached):
        if cached:
            document = json.loads((run_dir / "results.json").read_text())
            report = html if html.is_file() else None
            notes = list(document.get("notes", notes))
        else:
            prov = provenance(cfg, records)
            workspace = run_dir / "hunt" / "workspace.json"
            prov["limit_workspace"] = str(workspace) if workspace.is_file() else None
            data = split.summary()
            test_events = {v: len(es) for v, es in tests.items()}
            document = build_results(cfg, prov, data, test_events, models, results,
                                     hunt_summary, notes)
            atomic_write_bytes(run_dir / "results.json",
                               json.dumps(document, indent=1, allow_nan=False).encode())
            inputs = build_report_inputs(cfg, prov, data, tests, results, hunt, document,
                                         notes)
            with prog.task("write report.html", None):
                report = _write_report(run_dir, inputs, notes)
            if report is None and notes and notes[-1] not in document["notes"]:
                document["notes"].append(notes[-1])
                atomic_write_bytes(run_dir / "results.json",
                                   json.dumps(document, indent=1, allow_nan=False).encode())
    return RunResult(run_dir, document, report, records, time.perf_counter() - t0, notes)
