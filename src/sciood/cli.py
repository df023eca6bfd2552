"""The ``sciood`` command line (typer + rich).

Exit codes: 0 ok, 2 bad usage / config / input data, 1 runtime failure.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

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


def _fail(exc: SciOODError) -> None:
    code = 2 if isinstance(exc, ConfigError | DataError) else 1
    console.print(f"[bold red]error:[/] {exc}")
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q")] = False,
) -> None:
    """Generate events with Pythia 8 + detector + FastJet into a sharded dataset.

    Resumable: re-run the same command after an interruption to finish only the missing shards.
    """
    try:
        es = _progress_generate(process, events, seed=seed, variant=variant, out=out,
                                workers=workers, shard_size=shard_size,
                                process_file=process_file, mpi=mpi,
                                keep_constituents=not no_constituents, quiet=quiet)
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
    """Verify a dataset's checksums and print its summary and provenance."""
    from sciood.data.eventset import EventSet

    try:
        es = EventSet.read(path)
    except SciOODError as exc:
        _fail(exc)
    _print_summary(es, title=str(path))
    prov = es.provenance
    out_console.print({k: prov.get(k) for k in ("process", "variant", "seed", "mpi", "versions")
                       if k in prov})


@app.command()
def demo(
    out: Annotated[Path, typer.Option("--out", help="Run directory.")] = Path("runs/demo"),
    events: Annotated[int, typer.Option("--events", min=10, help="Events per class.")] = 200,
    workers: Annotated[int, typer.Option("--workers", min=1)] = 2,
) -> None:
    """Small end-to-end demo: generate a small sample of each class and summarise it."""
    from sciood.data.eventset import EventSet
    from sciood.generate.processes import CATALOGUE

    parts = []
    try:
        for name in sorted(CATALOGUE, key=lambda n: (CATALOGUE[n].is_signal, n)):
            parts.append(_progress_generate(
                name, events, seed=1, variant="sim", out=out / "data" / name, workers=workers,
                shard_size=max(events // workers, 1), process_file=None, mpi=None,
                keep_constituents=True, quiet=False))
    except SciOODError as exc:
        _fail(exc)
    merged = EventSet.concat(parts)  # type: ignore[arg-type]
    _print_summary(merged, title=f"demo sample ({out / 'data'})")


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except SciOODError as exc:  # pragma: no cover - commands handle their own
        console.print(f"[bold red]error:[/] {exc}")
        sys.exit(2 if isinstance(exc, ConfigError | DataError) else 1)


if __name__ == "__main__":
    main()
