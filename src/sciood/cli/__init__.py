"""The ``sciood`` command line (typer + rich): thin wrappers over the packages below.

Exit codes: 0 ok, 2 bad usage / config / input data, 1 runtime failure.

Top-level options: ``--version``; ``-v`` / ``-vv`` (INFO / DEBUG messages of the ``sciood``
loggers), ``-q`` (errors only); ``--install-completion`` / ``--show-completion [SHELL]``
(bash, zsh, fish, PowerShell; typer's completion).

Modules: :mod:`~sciood.cli._common` (consoles, error printer, shared options),
:mod:`~sciood.cli.data_commands` (``processes``, ``generate``, ``info``),
:mod:`~sciood.cli.pipeline_commands` (``run``, ``train``, ``evaluate``, ``hunt``, ``report``,
``demo``), :mod:`~sciood.cli.score` and :mod:`~sciood.cli.score_files` (``score``, both forms).
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from sciood.cli._common import console, out_console, print_error
from sciood.cli._common import fail as _fail
from sciood.cli.data_commands import generate, info, processes
from sciood.cli.pipeline_commands import _demo_config as _demo_config
from sciood.cli.pipeline_commands import demo, evaluate, hunt, report, run, train
from sciood.cli.score import score
from sciood.errors import ConfigError, DataError, SciOODError

__all__ = ["app", "main"]

_print_error = print_error  # the name tests and older callers use

app = typer.Typer(
    name="sciood",
    help="Context-aware anomaly / OOD detection for scientific data (LHC jets first).",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

#: ``-v`` count → level of the ``sciood`` logger (``-q`` → ERROR)
_LEVELS = {0: logging.WARNING, 1: logging.INFO}


def _version(value: bool) -> None:
    if value:
        from sciood._version import __version__  # = sciood.__version__ (the facade re-exports it)

        out_console.print(f"sciood {__version__}", highlight=False)
        raise typer.Exit()


def _set_verbosity(verbose: int, quiet: bool) -> int:
    """Set the level of the ``sciood`` logger from ``-v`` (count) and ``-q``; return it."""
    if verbose and quiet:
        _fail(ConfigError("-v/--verbose and -q/--quiet exclude each other; give one"))
    level = logging.ERROR if quiet else _LEVELS.get(verbose, logging.DEBUG)
    logger = logging.getLogger("sciood")
    logger.setLevel(level)
    if not logging.getLogger().handlers and not logger.handlers:  # not started by main()
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    return level


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True,
        help="Print `sciood <version>` and exit.")] = False,
    verbose: Annotated[int, typer.Option(
        "--verbose", "-v", count=True,
        help="More messages: -v info, -vv debug (of the sciood loggers).")] = 0,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", help="Only errors from the sciood loggers (each command's own "
        "-q/--quiet switches off its progress bars).")] = False,
) -> None:
    """Context-aware anomaly / OOD detection for scientific data (LHC jets first)."""
    _set_verbosity(verbose, quiet)


for _command in (processes, generate, info, run, train, score, evaluate, hunt, report, demo):
    app.command()(_command)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except SciOODError as exc:  # pragma: no cover - commands handle their own
        print_error(str(exc))
        sys.exit(2 if isinstance(exc, ConfigError | DataError) else 1)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        console.print("[bold red]interrupted[/]: re-run the same command to resume")
        sys.exit(130)


if __name__ == "__main__":
    main()
