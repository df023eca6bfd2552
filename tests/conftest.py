"""Shared fixtures: small *real* samples (Pythia 8 + detector + FastJet), generated once.

Samples are deterministic (fixed seeds), so they are cached under ``.cache/test-samples``
(git-ignored) and reused by later runs; `sciood.generate` re-reads a complete dataset with
the same configuration instead of regenerating it, and regenerates if the code changed the
configuration hash.
"""

from __future__ import annotations

import os

# One BLAS / OpenMP thread per test process: `make test` runs two pytest-xdist workers on two
# cores, and a second thread per worker only oversubscribes them — OpenMP spin-waiting made
# HistGradientBoosting fits ~2x slower on a busy machine (test_weak: 21.9 s -> 12.7 s at load
# 2). Set before numpy / scikit-learn load their thread pools; inherited by the subprocesses
# the tests start (CLI runs, Dask workers). torch is already at one thread (TORCH_THREADS).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import contextlib  # noqa: E402
import fcntl  # noqa: E402
import shutil  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

import sciood  # noqa: E402
from sciood.data.eventset import EventSet  # noqa: E402
from sciood.errors import ConfigError  # noqa: E402

CACHE = Path(os.environ.get("SCIOOD_TEST_CACHE", Path(__file__).parent.parent / ".cache" /
                            "test-samples"))


def sample(process: str, n: int, seed: int, *, mpi: bool | None = None,
           variant: str = "sim") -> EventSet:
    """A small cached real sample of ``process`` (``n`` selected events)."""
    tag = f"{process}-{n}-{seed}-{variant}-{'def' if mpi is None else ('mpi' if mpi else 'nompi')}"
    kwargs = {"seed": seed, "variant": variant, "out": CACHE / tag, "mpi": mpi,
              "shard_size": max(n // 2, 1), "workers": 1}
    with cache_lock(tag):  # test workers (pytest-xdist) share the cache
        try:
            return sciood.generate(process, n, **kwargs)
        except ConfigError:  # the cached sample was made with other settings (code changed)
            shutil.rmtree(CACHE / tag)
            return sciood.generate(process, n, **kwargs)


@contextlib.contextmanager
def cache_lock(name: str) -> Iterator[None]:
    """Hold an exclusive lock on ``CACHE/.name.lock`` (one generator per cached sample)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --------------------------------------------------------------- test workers (pytest-xdist)
#: Tests that run the pipeline on the shared sample cache of tests/pipeline: one xdist worker
#: runs them all, in order (their session fixture `tiny_run` is then made once).
PIPELINE_GROUP = ("tests/pipeline/", "tests/hostile/test_pipeline_faults.py")

#: Modules whose expensive module/session fixtures would otherwise be built once on *each*
#: worker (xdist splits a module's tests between workers): path prefix -> group.  Measured
#: set-ups: the contract's 25 fitted detectors 42 s, the report inputs 30 s, the weak
#: detectors' samples and flows 20 s, per worker.
FIXTURE_GROUPS = {
    "tests/detectors/test_contract.py": "contract",
    "tests/report/": "report",
    "tests/detectors/test_weak.py": "weak",
    "tests/hostile/test_model_files.py": "model-files",
}


#: ``@pytest.mark.hostile(category, outcome)`` (tests/hostile/): the category of a hostile input
#: or fault, and its expected outcome — "error" (a SciOODError subclass whose message names the
#: problem and the fix) or "correct" (legal input, result checked against a reference).
CATEGORIES = ("metrics", "detector-inputs", "detector-params", "configs", "process-files",
              "stores", "model-files", "killed", "disk", "cluster", "numerics", "statistics")
OUTCOMES = ("error", "correct")


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """Warn when ``--dist loadgroup`` ignored the groups (each group's fixtures then run per
    worker: the tiny pipeline run twice).  pytest 9.2 derives ``nodeid`` from a new field that
    pytest-xdist 3.8 does not rewrite, hence the ``pytest<9.2`` pin of the test extra."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    grouped = [i for i in session.items if i.get_closest_marker("xdist_group")]
    if grouped and not any("@" in i.nodeid for i in grouped):
        import warnings

        warnings.warn("pytest-xdist --dist loadgroup did not group the tests (the xdist_group "
                      "marks are not in the node ids): shared fixtures run once per worker; "
                      "use the pytest versions the test extra pins", stacklevel=1)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks (loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath)).relative_to(config.rootpath).as_posix()
        if path.startswith(PIPELINE_GROUP):
            item.add_marker(pytest.mark.xdist_group("pipeline"))
        for prefix, group in FIXTURE_GROUPS.items():
            if path.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))
        mark = item.get_closest_marker("hostile")
        if mark is None:
            continue
        if len(mark.args) != 2 or mark.args[0] not in CATEGORIES or mark.args[1] not in OUTCOMES:
            raise pytest.UsageError(f"{item.nodeid}: hostile{mark.args!r} — category must be one "
                                    f"of {CATEGORIES}, outcome one of {OUTCOMES}")
        # user properties reach the xdist controller with the report (see the tally below)
        item.user_properties.append(("hostile", "/".join(mark.args)))


# ------------------------------------------------------------------ hostile-input tally
_TALLY: Counter[tuple[str, str]] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count each hostile case once (at its call phase, or its setup if skipped there)."""
    if report.when == "call" or (report.when == "setup" and not report.passed):
        for key, value in report.user_properties:
            if key == "hostile":
                category, outcome = str(value).split("/")
                _TALLY[(category, outcome)] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    tr = terminalreporter
    tr.section("hostile inputs and faults")
    for category in CATEGORIES:
        err, ok = _TALLY[(category, "error")], _TALLY[(category, "correct")]
        if err or ok:
            tr.write_line(f"{category:16s} clear error {err:4d}   correct behaviour {ok:4d}")
    total_err = sum(v for (_, o), v in _TALLY.items() if o == "error")
    total_ok = sum(v for (_, o), v in _TALLY.items() if o == "correct")
    tr.write_line(f"{'total':16s} clear error {total_err:4d}   correct behaviour {total_ok:4d}"
                  f"   ({total_err + total_ok} cases run)")


@pytest.fixture(scope="session")
def small_dijet() -> EventSet:
    """≈ 300 ``qcd`` + 150 ``wprime_wz_80`` real events with all SPEC features and constituents."""
    return EventSet.concat([sample("qcd", 300, 11), sample("wprime_wz_80", 150, 12)])


@pytest.fixture(scope="session")
def qcd_sample() -> EventSet:
    """400 real QCD dijet events (MPI on)."""
    return sample("qcd", 400, 21)


@pytest.fixture(scope="session")
def make_sample():
    """Factory fixture: ``make_sample(process, n, seed, mpi=None, variant="sim")``."""
    return sample
