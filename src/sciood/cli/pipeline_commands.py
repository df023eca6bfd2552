"""Commands that run the pipeline: ``run``, ``train``, the config form of ``score``,
``evaluate``, ``hunt``, ``report`` and ``demo`` (see docs/pipeline.md)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sciood.cli._common import (
    ForceOpt,
    JsonOpt,
    OutOpt,
    QuietOpt,
    SchedulerOpt,
    WorkersOpt,
    console,
    fail,
    out_console,
    print_error,
)
from sciood.errors import ConfigError, SciOODError

__all__ = ["demo", "evaluate", "hunt", "report", "run", "run_until_score", "train"]


class _RichProgress:
    """The pipeline's progress as rich bars (a spinner for work of unknown size)."""

    def __init__(self, bar: object) -> None:
        self.bar = bar

    @contextlib.contextmanager
    def task(self, description: str, total: int | None) -> Iterator[Callable[[int], None]]:
        from rich.progress import Progress

        bar = self.bar
        assert isinstance(bar, Progress)  # internal invariant, not input validation
        task = bar.add_task(description, total=total)

        def advance(n: int) -> None:
            bar.advance(task, n)

        yield advance
        bar.update(task, total=bar.tasks[task].completed or 1, completed=bar.tasks[task].completed
                   or 1)

    def message(self, text: str) -> None:
        from rich.progress import Progress

        assert isinstance(self.bar, Progress)  # internal invariant
        self.bar.console.print(f"[dim]{text}[/]")


ConfigArg = Annotated[Path, typer.Argument(help="Run configuration (.yaml / .toml); see "
                                           "examples/demo.yaml and docs/pipeline.md.")]


def _load(config: Path, out: Path | None, scheduler: str | None = None,
          workers: int | None = None, cache_dir: Path | None = None) -> object:
    from sciood.config import ComputeConfig, load_config

    try:
        cfg = load_config(config, output=str(out) if out is not None else None)
        if scheduler is not None or workers is not None:
            cfg.compute = ComputeConfig(scheduler=scheduler, workers=workers)
        if cache_dir is not None:
            cfg.data.cache_dir = Path(cache_dir)
    except SciOODError as exc:
        fail(exc)
    except ValueError as exc:  # pydantic ValidationError of the compute override
        fail(ConfigError(f"invalid --scheduler/--workers: {exc}"))
    return cfg


def _run_stage(config: Path, until: str, *, out: Path | None = None, quiet: bool = False,
               as_json: bool = False, scheduler: str | None = None,
               workers: int | None = None, force: bool = False,
               cache_dir: Path | None = None) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from sciood.config import RunConfig
    from sciood.pipeline import run

    cfg = _load(config, out, scheduler, workers, cache_dir)
    assert isinstance(cfg, RunConfig)  # internal invariant
    # dask.distributed logs every connection at INFO; keep the terminal for the progress bars
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
    columns = [SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn()]
    try:
        with Progress(*columns, console=console, disable=quiet or as_json) as bar:
            silent = quiet or as_json
            result = run(cfg, until=until,  # type: ignore[arg-type]
                         quiet=silent, progress=None if silent else _RichProgress(bar),
                         force=force)
    except SciOODError as exc:
        fail(exc)
    except Exception as exc:  # a runtime failure: message + exit code 1
        print_error(f"{type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        out_console.print_json(json.dumps(result.to_dict()))
    elif not quiet:
        _print_run(result)


def _print_run(result: object) -> None:
    from sciood.pipeline import RunResult

    assert isinstance(result, RunResult)  # internal invariant
    reused = sum(r.cached for r in result.stages)
    out_console.print(f"[bold]{result.run_dir}[/]: {len(result.stages)} stage units, "
                      f"{reused} reused, {result.seconds:.1f} s")
    if result.results is not None:
        table = Table(title="detectors (signal vs all backgrounds, sim test set)")
        for col in ("detector", "signal", "AUROC", "max SIC"):
            table.add_column(col)
        for det in result.results["detectors"]:
            for sig, vals in det["summary"].items():
                table.add_row(det["label"], sig, _num(vals.get("auc")), _num(vals.get("max_sic")))
        out_console.print(table)
        stat = result.results.get("statistics") or {}
        hunt = stat.get("hunt")
        if hunt:
            base = stat.get("baseline") or {}
            out_console.print(f"bump hunt after the {stat['detector']} cut: local Z = "
                              f"{_num(hunt.get('local_z_observed'))} at mjj = "
                              f"{_num(hunt.get('best_mass'))} GeV, window "
                              f"{_window(hunt.get('best_window'))} (mjj only: "
                              f"{_num(base.get('local_z_observed'))} at "
                              f"{_num(base.get('best_mass'))} GeV; "
                              f"{stat['n_injected']} {stat['injection_process']} injected)")
        limit = stat.get("limit")
        if limit:
            fb = limit.get("observed_limit_fb")
            xs = (f"{limit.get('cross_section_quantity')} < {_num(fb)} fb (expected "
                  f"{_num(limit.get('expected_limit_fb'))}), " if fb is not None else "")
            out_console.print(f"95 % CL limit on {stat['injection_process']}: {xs}"
                              f"< {_num(limit.get('observed_limit_events'))} signal events "
                              f"after the cut")
    for note in result.notes:
        out_console.print(f"[yellow]note:[/] {note}")
    if result.results is not None:
        out_console.print(f"results: {result.results_path}")
    if result.report is not None:
        out_console.print(f"report:  {result.report}")


def _num(x: object) -> str:
    return "–" if not isinstance(x, int | float) else f"{x:.3g}"


def _window(w: object) -> str:
    if isinstance(w, list | tuple) and len(w) == 2:
        return f"[{w[0]:.0f}, {w[1]:.0f}]"
    return "–"


def run(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False, as_json: JsonOpt = False,
        scheduler: SchedulerOpt = None, workers: WorkersOpt = None,
        force: ForceOpt = False) -> None:
    """Run the whole pipeline: generate, split, train, score, evaluate, hunt, report.

    Every stage is cached in the run directory under a hash of its inputs: re-running
    redoes only what changed, and a killed run resumes at the interrupted stage.
    Writes RUN/results.json and RUN/report.html. Exit codes: 0 ok, 2 bad config or an --out
    that holds another config's run (see --force) or foreign files, 1 failure (incl. another
    run already writing into --out, disk full, read-only output).
    """
    _run_stage(config, "report", out=out, quiet=quiet, as_json=as_json, scheduler=scheduler,
               workers=workers, force=force)


def train(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
          as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Generate (or reuse) the events and train every detector of CONFIG (RUN/models/)."""
    _run_stage(config, "train", out=out, quiet=quiet, as_json=as_json, force=force)


def run_until_score(config: Path, out: Path | None = None, quiet: bool = False,
                    as_json: bool = False, scheduler: str | None = None,
                    workers: int | None = None, force: bool = False) -> None:
    """Run up to scoring: every detector scores every test variant (RUN/scores/).

    The one-argument form of ``sciood score`` (:mod:`sciood.cli.score` dispatches).
    """
    _run_stage(config, "score", out=out, quiet=quiet, as_json=as_json, scheduler=scheduler,
               workers=workers, force=force)


def evaluate(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
             as_json: JsonOpt = False, scheduler: SchedulerOpt = None,
             workers: WorkersOpt = None, force: ForceOpt = False) -> None:
    """Run up to the evaluation: per-class metrics, robustness, sculpting (RUN/evaluate/)."""
    _run_stage(config, "evaluate", out=out, quiet=quiet, as_json=as_json, scheduler=scheduler,
               workers=workers, force=force)


def hunt(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
         as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Run up to the bump hunt, CLs limit and injection scan (RUN/hunt/hunt.json)."""
    _run_stage(config, "hunt", out=out, quiet=quiet, as_json=as_json, force=force)


def report(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
           as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Write RUN/results.json and RUN/report.html (running any stage not yet cached)."""
    _run_stage(config, "report", out=out, quiet=quiet, as_json=as_json, force=force)


def _demo_config() -> Path:
    """The demo config shipped inside the package (works from a wheel, outside a checkout)."""
    from importlib.resources import files

    shipped = files("sciood") / "examples" / "demo.yaml"
    if not shipped.is_file():  # pragma: no cover - a broken installation
        fail(ConfigError("the demo config sciood/examples/demo.yaml is missing from this "
                          "installation; reinstall sciood (`pip install --force-reinstall "
                          "sciood`) or run `sciood run CONFIG`"))
    return Path(str(shipped))


def demo(out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path(
             "runs/demo"),
         cache_dir: Annotated[Path | None, typer.Option(
             "--cache-dir", help="Where the generated samples go (default: data/cache, "
             "relative to the current directory like every sciood path).")] = None,
         quiet: QuietOpt = False, as_json: JsonOpt = False) -> None:
    """The small end-to-end demo (≈ 3–4 minutes on 2 cores): report.html from scratch.

    Runs the demo config shipped inside sciood (package data sciood/examples/demo.yaml),
    so it works from any directory, with or without a git checkout.
    Produces OUT/report.html and OUT/results.json (OUT: runs/demo); the generated samples go
    to data/cache (or --cache-dir), both relative to the current directory. A second call
    reuses every stage.
    """
    _run_stage(_demo_config(), "report", out=out, quiet=quiet, as_json=as_json,
               cache_dir=cache_dir)
