"""Commands on events: ``processes`` (the catalogue), ``generate`` (Pythia 8), ``info`` (verify)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from sciood.cli._common import console, fail, out_console, print_error
from sciood.errors import ConfigError, SciOODError

__all__ = ["generate", "info", "processes"]


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
        fail(exc)
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


def generate(
    process: Annotated[str | None, typer.Argument(
        help="Process name (see `sciood processes`); omit it with --lhe.")] = None,
    events: Annotated[int | None, typer.Option(
        "--events", "-n", min=1, help="Events passing the selection (default 1000; not with "
        "--lhe, which reads the whole file).")] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Run seed.")] = 1,
    variant: Annotated[str, typer.Option(
        "--variant", help="detector card: sim | data | sim_jes_up | sim_jes_down | sim_jer_up | "
                     "sim_jms_up | sim_jms_down | sim_jmr_up")] = "sim",
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
    lhe: Annotated[Path | None, typer.Option(
        "--lhe", help="Shower and hadronise this Les Houches event file (e.g. from MadGraph) "
        "instead of a catalogue process; σ and weights come from the file.")] = None,
    label: Annotated[str, typer.Option(
        "--label", help="Class name of the events of an --lhe file.")] = "lhe",
    signal: Annotated[bool, typer.Option(
        "--signal", help="Mark the events of an --lhe file as signal.")] = False,
) -> None:
    """Generate events with Pythia 8 + detector + FastJet into a sharded dataset.

    Resumable: re-run the same command after an interruption to finish only the missing shards.
    With --lhe FILE, the events of a Les Houches file are showered instead.
    """
    from sciood.distributed import connect

    if lhe is not None:
        _generate_lhe(lhe, process=process, events=events, seed=seed, variant=variant, out=out,
                      mpi=mpi, label=label, signal=signal,
                      keep_constituents=not no_constituents, quiet=quiet)
        return
    if process is None:
        fail(ConfigError("give a process name (see `sciood processes`) or --lhe FILE"))
    events = 1000 if events is None else events
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
        fail(exc)
    if not quiet:
        _print_summary(es, title=f"{out}")


def _generate_lhe(lhe: Path, *, process: str | None, events: int | None, seed: int,
                  variant: str, out: Path, mpi: bool | None, label: str, signal: bool,
                  keep_constituents: bool, quiet: bool) -> None:
    from sciood.generate.lhe import generate_lhe

    try:
        if process is not None or events is not None:
            raise ConfigError("give either a process name or --lhe FILE, not both (and no "
                              "--events with --lhe: every event of the file is read)")
        es = generate_lhe(lhe, out=out, seed=seed, variant=variant, label=label, signal=signal,
                          mpi=True if mpi is None else mpi,
                          keep_constituents=keep_constituents)
    except SciOODError as exc:
        fail(exc)
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


def info(path: Annotated[Path, typer.Argument(help="Dataset directory.")]) -> None:
    """Verify a dataset (manifest, checksums, weights) and print its summary and provenance.

    Exits with code 2, listing every problem, if anything is inconsistent.
    """
    from sciood.data import store
    from sciood.data.eventset import EventSet

    problems = store.verify(path)
    for problem in problems:
        print_error(str(problem))
    if problems:
        raise typer.Exit(2)
    try:
        es = EventSet.read(path, verify=False)  # every shard was just verified
    except SciOODError as exc:
        fail(exc)
    _print_summary(es, title=str(path))
    prov = es.provenance
    keys = ("process", "variant", "seed", "mpi", "sqrt_s_gev", "lhe", "code_version", "versions")
    out_console.print({k: prov.get(k) for k in keys if k in prov})
