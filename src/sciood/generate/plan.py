"""The plan of a generation: selected events per p̂T slice, shards, and each shard's seed.

Shard ``i`` of slice ``k`` of a run with seed ``S`` gets the Pythia seed derived from
``(S, k, i, crc32(process name))`` by :class:`numpy.random.SeedSequence` (in [1, 9×10⁸], as
Pythia requires), so a shard's events do not depend on which worker makes them or when.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sciood.errors import ConfigError
from sciood.generate.detector import VARIANT_TUNES
from sciood.generate.efficiency import MIN_EFFICIENCY
from sciood.generate.process_model import Process
from sciood.generate.pythia import MAX_SEED

__all__ = ["SIDECAR_SUFFIX", "ShardSpec", "plan_shards", "shard_seed", "slice_counts"]

SIDECAR_SUFFIX = ".json"


def shard_seed(seed: int, slice_index: int, shard_index: int, process: str) -> int:
    """Pythia seed of one shard, derived from the run seed; in [1, 9×10⁸]."""
    ss = np.random.SeedSequence([seed, slice_index, shard_index, zlib.crc32(process.encode())])
    return int(ss.generate_state(1, dtype=np.uint32)[0]) % MAX_SEED + 1


@dataclass(frozen=True)
class ShardSpec:
    """Everything one shard needs; picklable so a worker process can run it."""

    process: Process
    slice_index: int
    shard_index: int
    n_selected: int
    seed: int
    variant: str
    mpi: bool
    directory: str
    keep_constituents: bool
    config_hash: str = ""
    min_efficiency: float = MIN_EFFICIENCY

    @property
    def stem(self) -> str:
        return f"shard-{self.slice_index}-{self.shard_index:05d}"

    @property
    def parquet(self) -> Path:
        return Path(self.directory) / f"{self.stem}.parquet"

    @property
    def sidecar(self) -> Path:
        return Path(self.directory) / f"{self.stem}{SIDECAR_SUFFIX}"

    def settings(self) -> list[str]:
        base = self.process.pythia_settings(self.slice_index, mpi=self.mpi)
        tune = list(VARIANT_TUNES[self.variant])
        # a Tune:pp line resets tune parameters: put it before the process lines
        return [*tune, *base]


def slice_counts(process: Process, n_events: int) -> list[int]:
    """Selected events per slice: ``floor(fraction · n)``, the remainder to slice 0.

    Raises
    ------
    ConfigError
        A slice would get no events (the stitched sample would silently miss its
        cross-section): the message says how many events are needed.
    """
    fractions = np.array([s.fraction for s in process.slices])
    per_slice = np.floor(fractions * n_events).astype(int)
    per_slice[0] += n_events - per_slice.sum()  # remainder to the first slice
    empty = [k for k, n_k in enumerate(per_slice.tolist()) if n_k == 0]
    if empty:
        need = math.ceil(1.0 / float(fractions[empty].min()) - 1e-9)  # slice 0: remainder
        raise ConfigError(
            f"{process.name}: {n_events} events leave p̂T slice(s) {empty} (fraction "
            f"{fractions[empty[0]]:g}) with no events, so the stitched sample would miss their "
            f"cross-section; request at least {need} events")
    return [int(n) for n in per_slice]


def plan_shards(process: Process, n_events: int, *, seed: int, variant: str, mpi: bool,
                directory: str, shard_size: int, keep_constituents: bool,
                config_hash: str = "", min_efficiency: float = MIN_EFFICIENCY
                ) -> list[ShardSpec]:
    """Split ``n_events`` selected events over slices (by fraction) and shards."""
    specs = []
    for k, n_k in enumerate(slice_counts(process, n_events)):
        for i in range(math.ceil(n_k / shard_size)):
            n_i = min(shard_size, n_k - i * shard_size)
            specs.append(ShardSpec(process, k, i, n_i, shard_seed(seed, k, i, process.name),
                                   variant, mpi, directory, keep_constituents, config_hash,
                                   min_efficiency))
    return specs
