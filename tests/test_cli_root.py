"""The top level of the command: --version, -v/-q verbosity, shell completion."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from typer.testing import CliRunner

import sciood
from sciood.cli import app


@pytest.fixture(autouse=True)
def _restore_sciood_logger():
    logger = logging.getLogger("sciood")
    level, handlers = logger.level, list(logger.handlers)
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers


def test_version_prints_the_distribution_version() -> None:
    res = CliRunner().invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout == f"sciood {sciood.__version__}\n"
    proc = subprocess.run([sys.executable, "-m", "sciood.cli", "--version"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"sciood {sciood.__version__}\n"


@pytest.mark.parametrize(("flags", "level"), [
    ([], logging.WARNING), (["-v"], logging.INFO), (["-vv"], logging.DEBUG),
    (["--verbose", "--verbose", "-v"], logging.DEBUG), (["-q"], logging.ERROR),
])
def test_verbosity_sets_the_sciood_logger_level(flags, level) -> None:
    res = CliRunner().invoke(app, [*flags, "processes", "--json"])
    assert res.exit_code == 0, res.output
    logger = logging.getLogger("sciood.pipeline.runner")
    assert logger.getEffectiveLevel() == level
    assert logger.isEnabledFor(logging.INFO) == (level <= logging.INFO)


def test_verbose_and_quiet_exclude_each_other() -> None:
    res = CliRunner().invoke(app, ["-v", "-q", "processes"])
    assert res.exit_code == 2
    assert "exclude each other" in res.output


def test_an_info_message_reaches_stderr_with_v_only() -> None:
    # the command line (with its flags) runs, then a sciood module logs at INFO
    code = ("import logging, sys; from typer.main import get_command; from sciood.cli import app; "
            "get_command(app).main([*sys.argv[1:], 'processes', '--json'], "
            "standalone_mode=False); logging.getLogger('sciood.test').info('hello from sciood')")
    quiet = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=120, check=False)
    loud = subprocess.run([sys.executable, "-c", code, "-v"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert quiet.returncode == 0 and loud.returncode == 0, loud.stderr
    assert "hello from sciood" not in quiet.stderr
    assert "INFO sciood.test: hello from sciood" in loud.stderr


def test_show_completion_prints_a_bash_script(monkeypatch: pytest.MonkeyPatch) -> None:
    # `--show-completion SHELL` takes the shell by name only with typer's shell detection off;
    # with it on, typer detects the shell from the parent processes, which fails where the
    # tests run without a shell ancestor (a detached job)
    monkeypatch.setenv("_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION", "1")
    res = CliRunner().invoke(app, ["--show-completion", "bash"], prog_name="sciood")
    assert res.exit_code == 0, res.output
    assert "complete -o default -F _sciood_completion sciood" in res.stdout
    assert "_SCIOOD_COMPLETE=complete_bash" in res.stdout


@pytest.mark.parametrize(("words", "cword", "expected"), [
    ("sciood sc", "1", "score"), ("sciood score --hd", "2", "--hdf5-key"),
])
def test_completion_completes_commands_and_options(words, cword, expected) -> None:
    env = {"_SCIOOD_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": cword}
    res = CliRunner().invoke(app, [], prog_name="sciood", env=env)
    assert res.exit_code == 0
    assert res.stdout.split() == [expected]
