"""What every command shares: the consoles, the error printer, exit codes, common options.

Exit codes: 0 ok, 2 bad usage / config / input data, 1 runtime failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from sciood.errors import ConfigError, DataError, SciOODError

__all__ = [
    "ForceOpt",
    "JsonOpt",
    "OutOpt",
    "QuietOpt",
    "SchedulerOpt",
    "WorkersOpt",
    "console",
    "fail",
    "out_console",
    "print_error",
]

#: progress bars, notes and errors (stderr); results go to ``out_console`` (stdout)
console = Console(stderr=True)
out_console = Console()


def print_error(message: str) -> None:
    """``error: message`` on stderr: the message verbatim (no rich markup, so ``[a, b]`` in it
    survives) and never hard-wrapped (a path or key in it stays copyable)."""
    console.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True)


def fail(exc: SciOODError) -> NoReturn:
    """Print ``exc`` and exit: code 2 for a config or data error, 1 for anything else."""
    code = 2 if isinstance(exc, ConfigError | DataError) else 1
    print_error(str(exc))
    raise typer.Exit(code)


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
