"""A tiny real run of the pipeline, done once per session and shared by the tests.

Generated samples go to the session-independent test cache (``.cache/test-samples/pipeline``,
git-ignored), so later sessions only re-train, re-evaluate and re-hunt.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sciood.config import RunConfig, parse_config
from sciood.pipeline import RunResult, run

CACHE = Path(__file__).resolve().parents[2] / ".cache" / "test-samples" / "pipeline"

#: The tiny run: real Pythia events (MPI off), two variants, three detectors.
TINY: dict[str, Any] = {
    "name": "tiny",
    "data": {
        "background": {"qcd": 300},
        "signals": {"wprime_wz_80": 150},
        "injection": {"process": "wprime_wz_80", "n": 20},
        "variants": ["sim", "data"],
        "seed": 3,
        "mpi": False,
        "shard_size": 150,
        "cache_dir": str(CACHE),
    },
    "representation": {"kind": "features", "features": ["mj1", "delta_mj", "tau21_j1",
                                                        "tau21_j2"]},
    "detectors": [
        {"name": "iforest", "params": {"n_estimators": 50}},
        {"name": "flow", "params": {"epochs": 5}},
        {"name": "supervised", "params": {"epochs": 5}},
    ],
    "evaluation": {"bootstrap": 20, "max_dcor": 200},
    # the Brazil band (6 limits, toys at these tiny counts) runs in the README demo test
    "statistics": {"toys": 3, "injection_scan": [20], "brazil": False},
}


def tiny_config(out: Path, **changes: Any) -> RunConfig:
    """The tiny configuration writing to ``out``, with top-level keys replaced."""
    body = copy.deepcopy(TINY)
    body.update(changes)
    body["output"] = str(out)
    return parse_config(body)


@dataclass
class TinyRun:
    """The session's first run and its wall time."""

    config: RunConfig
    result: RunResult
    seconds: float


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> TinyRun:
    """Run the tiny config end to end once (generation reused across sessions)."""
    cfg = tiny_config(tmp_path_factory.mktemp("pipeline") / "tiny")
    t0 = time.perf_counter()
    result = run(cfg, quiet=True)
    return TinyRun(cfg, result, time.perf_counter() - t0)
