"""Real Pythia batches with their hard-process truth, for the object / truth / systematics tests.

``truth_batches(process, n_batches, seed)`` runs Pythia (MPI off, the process's first p̂T
slice unless told) and attaches :func:`sciood.reco.truth.truth_from_record` of the very events
the final state came from, by recording the batch ``PythiaSource`` asks Pythia for. Cached per
test session: the tests of this directory share a handful of 100-event batches.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import pytest

from sciood.generate.pythia import FinalState


class _Recorder:
    """Stands in for a ``pythia8mc.Pythia``: remembers the last ``nextBatch`` result."""

    def __init__(self, pythia: Any) -> None:
        self._pythia = pythia
        self.last: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pythia, name)

    def nextBatch(self, n: int) -> Any:
        self.last = self._pythia.nextBatch(n)
        return self.last


@functools.cache
def truth_batches(process: str, n_batches: int, seed: int,
                  slice_index: int = 0) -> tuple[FinalState, ...]:
    """``n_batches`` batches of 100 real events of ``process`` with ``fs.truth`` attached."""
    import awkward as ak

    from sciood.generate.processes import get_process
    from sciood.generate.pythia import PythiaSource
    from sciood.reco.truth import NEUTRINOS, truth_from_record

    proc = get_process(process)
    src = PythiaSource(proc.pythia_settings(slice_index, mpi=False), seed=seed, where=process)
    recorder = _Recorder(src.pythia)
    src.pythia = recorder
    out = []
    for _ in range(n_batches):
        fs = src.next_batch(100)
        invisible = [*NEUTRINOS, *(u for u, v in src._visible.items() if not v)]
        fs.truth = truth_from_record(ak, recorder.last.prt,  # type: ignore[attr-defined]
                                     invisible_ids=invisible)
        out.append(fs)
    return tuple(out)


def concat_columns(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Column-wise concatenation of JetBatch columns (batches with no selected event skipped)."""
    parts = [p for p in parts if p]
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


@pytest.fixture(scope="session")
def batches() -> Any:
    """:func:`truth_batches` (cached real batches with truth)."""
    return truth_batches


@pytest.fixture(scope="session")
def concat() -> Any:
    """:func:`concat_columns`."""
    return concat_columns
