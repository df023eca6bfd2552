"""The ``sciood`` command line (typer + rich).

Exit codes: 0 ok, 2 bad usage / config / input data, 1 runtime failure.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from sciood.errors import ConfigError, DataError, SciOODError

app = typer.Typer(
    name="sciood",
    help="Context-aware anomaly / OOD detection for scientific data (LHC jets first).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out_console = Console()


def _print_error(message: str) -> None:
    """``error: message`` on stderr: the message verbatim (no rich markup, so ``[a, b]`` in it
    survives) and never hard-wrapped (a path or key in it stays copyable)."""
    console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def _fail(exc: SciOODError) -> None:
    code = 2 if isinstance(exc, ConfigError | DataError) else 1
    _print_error(str(exc))
    raise typer.Exit(code)


@app.command()
def processes(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    process_file: Annotated[
        Path | None, typer.Option("--process-file", help="Also list processes from this file.")
    ] = None,
) -> None:
    """List the process catalogue with a one-line physics description."""
    from sciood.generate.processes import ALIASES, CATALOGUE, load_process_file

    try:
        procs = dict(CATALOGUE)
        if process_file is not None:
            procs.update(load_process_file(process_file))
    except SciOODError as exc:
        _fail(exc)
    if as_json:
        out_console.print_json(json.dumps({k: p.to_dict() for k, p in procs.items()}))
        return
    table = Table(title="sciood processes (pp, √s = 13 TeV)")
    table.add_column("name", style="bold")
    table.add_column("type")
    table.add_column("MPI")
    table.add_column("description")
    for name in sorted(procs, key=lambda n: (procs[n].is_signal, n)):
        p = procs[name]
        table.add_row(name, "signal" if p.is_signal else "background",
                      "on" if p.mpi else "off", p.description)
    out_console.print(table)
    aliases = ", ".join(f"{a} → {t}" for a, t in ALIASES.items())
    out_console.print(f"aliases: {aliases}")


def _progress_generate(process: str, events: int, **kwargs: object) -> object:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from sciood.generate.run import generate as run_generate

    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]} ev/s"), TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(*columns, console=console, disable=bool(kwargs.pop("quiet", False))) as bar:
        task = bar.add_task(process, total=events, rate="–")

        def update(n: int) -> None:
            bar.advance(task, n)
            t = bar.tasks[task]
            if t.elapsed:
                bar.update(task, rate=f"{t.completed / t.elapsed:,.0f}")

        return run_generate(process, events, progress=update, **kwargs)  # type: ignore[arg-type]


@app.command()
def generate(
    process: Annotated[str, typer.Argument(help="Process name (see `sciood processes`).")],
    events: Annotated[int, typer.Option("--events", "-n", min=1,
                                        help="Events passing the selection.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Run seed.")] = 1,
    variant: Annotated[str, typer.Option(
        "--variant", help="sim | data | sim_jes_up | sim_jes_down")] = "sim",
    out: Annotated[Path, typer.Option("--out", "-o", help="Output directory.")] = Path(
        "data/events"),
    workers: Annotated[int, typer.Option("--workers", min=1, help="Local processes.")] = 1,
    shard_size: Annotated[int, typer.Option("--shard-size", min=1,
                                            help="Selected events per shard.")] = 1000,
    process_file: Annotated[Path | None, typer.Option(
        "--process-file", help="TOML/YAML file defining extra processes.")] = None,
    mpi: Annotated[bool | None, typer.Option(
        "--mpi/--no-mpi", help="Override the process card's MPI setting.")] = None,
    no_constituents: Annotated[bool, typer.Option(
        "--no-constituents", help="Do not store jet constituents.")] = False,
    min_efficiency: Annotated[float | None, typer.Option(
        "--min-efficiency", min=0.0, max=1.0,
        help="Stop a p̂T slice whose selection efficiency is (almost surely) below this "
        "(selected per generated event; default 1e-4; 0 switches the check off).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (tcp://host:8786) or scheduler file: "
        "run the shards as tasks on that cluster (--workers is then ignored).")] = None,
) -> None:
    """Generate events with Pythia 8 + detector + FastJet into a sharded dataset.

    Resumable: re-run the same command after an interruption to finish only the missing shards.
    """
    from sciood.distributed import connect

    try:
        with connect(scheduler=scheduler) as client:
            es = _progress_generate(process, events, seed=seed, variant=variant, out=out,
                                    workers=workers, shard_size=shard_size,
                                    process_file=process_file, mpi=mpi,
                                    keep_constituents=not no_constituents, quiet=quiet,
                                    client=client,
                                    **({} if min_efficiency is None else
                                       {"min_efficiency": min_efficiency}))
    except SciOODError as exc:
        _fail(exc)
    if not quiet:
        _print_summary(es, title=f"{out}")


def _print_summary(es: object, title: str) -> None:
    from sciood.data.eventset import EventSet

    assert isinstance(es, EventSet)  # internal invariant, not input validation
    table = Table(title=title)
    for col in ("class", "type", "events", "Σw (events / fb⁻¹)", "median mjj (GeV)"):
        table.add_column(col)
    import numpy as np

    labels = es.labels
    mjj = es.column("mjj") if "mjj" in es.columns else None
    for row in es.summary():
        med = "–" if mjj is None else f"{np.median(mjj[labels == row['label']]):.0f}"
        table.add_row(row["label"], "signal" if row["is_signal"] else "background",
                      str(row["events"]), f"{row['sum_weights']:.4g}", med)
    out_console.print(table)


@app.command()
def info(path: Annotated[Path, typer.Argument(help="Dataset directory.")]) -> None:
    """Verify a dataset (manifest, checksums, weights) and print its summary and provenance.

    Exits with code 2, listing every problem, if anything is inconsistent.
    """
    from sciood.data import store
    from sciood.data.eventset import EventSet

    problems = store.verify(path)
    for problem in problems:
        _print_error(str(problem))
    if problems:
        raise typer.Exit(2)
    try:
        es = EventSet.read(path, verify=False)  # every shard was just verified
    except SciOODError as exc:
        _fail(exc)
    _print_summary(es, title=str(path))
    prov = es.provenance
    out_console.print({k: prov.get(k) for k in ("process", "variant", "seed", "mpi", "versions")
                       if k in prov})


# ----------------------------------------------------------------------------- pipeline
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
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="Run directory (default: "
                                             "`output` of the config, else runs/<name>).")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary on stdout.")]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Dask scheduler address (tcp://host:8786) or scheduler file.")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="Start a local Dask cluster with this many worker processes.")]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="The run directory holds the run of another config: replace that run's "
    "outputs (without --force such a directory is refused; a directory holding files sciood "
    "did not write is always refused).")]


def _load(config: Path, out: Path | None, scheduler: str | None = None,
          workers: int | None = None) -> object:
    from sciood.config import ComputeConfig, load_config

    try:
        cfg = load_config(config, output=str(out) if out is not None else None)
        if scheduler is not None or workers is not None:
            cfg.compute = ComputeConfig(scheduler=scheduler, workers=workers)
    except SciOODError as exc:
        _fail(exc)
    except ValueError as exc:  # pydantic ValidationError of the compute override
        _fail(ConfigError(f"invalid --scheduler/--workers: {exc}"))
    return cfg


def _run_stage(config: Path, until: str, *, out: Path | None = None, quiet: bool = False,
               as_json: bool = False, scheduler: str | None = None,
               workers: int | None = None, force: bool = False) -> None:
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

    cfg = _load(config, out, scheduler, workers)
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
        _fail(exc)
    except Exception as exc:  # a runtime failure: message + exit code 1
        _print_error(f"{type(exc).__name__}: {exc}")
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
                              f"{_num(hunt.get('local_z_observed'))} in "
                              f"{_window(hunt.get('best_window'))} GeV (mjj only: "
                              f"{_num(base.get('local_z_observed'))}; "
                              f"{stat['n_injected']} {stat['injection_process']} injected)")
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


@app.command()
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


@app.command()
def train(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
          as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Generate (or reuse) the events and train every detector of CONFIG (RUN/models/)."""
    _run_stage(config, "train", out=out, quiet=quiet, as_json=as_json, force=force)


@app.command()
def score(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
          as_json: JsonOpt = False, scheduler: SchedulerOpt = None,
          workers: WorkersOpt = None, force: ForceOpt = False) -> None:
    """Run up to scoring: every detector scores every test variant (RUN/scores/)."""
    _run_stage(config, "score", out=out, quiet=quiet, as_json=as_json, scheduler=scheduler,
               workers=workers, force=force)


@app.command()
def evaluate(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
             as_json: JsonOpt = False, scheduler: SchedulerOpt = None,
             workers: WorkersOpt = None, force: ForceOpt = False) -> None:
    """Run up to the evaluation: per-class metrics, robustness, sculpting (RUN/evaluate/)."""
    _run_stage(config, "evaluate", out=out, quiet=quiet, as_json=as_json, scheduler=scheduler,
               workers=workers, force=force)


@app.command()
def hunt(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
         as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Run up to the bump hunt, CLs limit and injection scan (RUN/hunt/hunt.json)."""
    _run_stage(config, "hunt", out=out, quiet=quiet, as_json=as_json, force=force)


@app.command()
def report(config: ConfigArg, out: OutOpt = None, quiet: QuietOpt = False,
           as_json: JsonOpt = False, force: ForceOpt = False) -> None:
    """Write RUN/results.json and RUN/report.html (running any stage not yet cached)."""
    _run_stage(config, "report", out=out, quiet=quiet, as_json=as_json, force=force)


def _demo_config() -> Path:
    """The demo config shipped inside the package (works from a wheel, outside a checkout)."""
    from importlib.resources import files

    shipped = files("sciood") / "examples" / "demo.yaml"
    if not shipped.is_file():  # pragma: no cover - a broken installation
        _fail(ConfigError("the demo config sciood/examples/demo.yaml is missing from this "
                          "installation; reinstall sciood (`pip install --force-reinstall "
                          "sciood`) or run `sciood run CONFIG`"))
    return Path(str(shipped))


@app.command()
def demo(out: Annotated[Path, typer.Option("--out", "-o", help="Run directory.")] = Path(
             "runs/demo"),
         quiet: QuietOpt = False, as_json: JsonOpt = False) -> None:
    """The small end-to-end demo (examples/demo.yaml, a few minutes on 2 cores).

    Produces runs/demo/report.html and runs/demo/results.json; a second call reuses
    every stage.
    """
    _run_stage(_demo_config(), "report", out=out, quiet=quiet, as_json=as_json)

def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except SciOODError as exc:  # pragma: no cover - commands handle their own
        _print_error(str(exc))
        sys.exit(2 if isinstance(exc, ConfigError | DataError) else 1)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        console.print("[bold red]interrupted[/]: re-run the same command to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
