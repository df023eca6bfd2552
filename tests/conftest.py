"""Shared fixtures: small *real* samples (Pythia 8 + detector + FastJet), generated once.

Samples are deterministic (fixed seeds), so they are cached under ``.cache/test-samples``
(git-ignored) and reused by later runs; `sciood.generate` re-reads a complete dataset with
the same configuration instead of regenerating it, and regenerates if the code changed the
configuration hash.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import sciood
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError

CACHE = Path(os.environ.get("SCIOOD_TEST_CACHE", Path(__file__).parent.parent / ".cache" /
                            "test-samples"))


def sample(process: str, n: int, seed: int, *, mpi: bool | None = None,
           variant: str = "sim") -> EventSet:
    """A small cached real sample of ``process`` (``n`` selected events)."""
    tag = f"{process}-{n}-{seed}-{variant}-{'def' if mpi is None else ('mpi' if mpi else 'nompi')}"
    kwargs = {"seed": seed, "variant": variant, "out": CACHE / tag, "mpi": mpi,
              "shard_size": max(n // 2, 1), "workers": 1}
    try:
        return sciood.generate(process, n, **kwargs)
    except ConfigError:  # the cached sample was made with other settings (code changed)
        shutil.rmtree(CACHE / tag)
        return sciood.generate(process, n, **kwargs)


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
