"""Generate (and resume) the samples of the dijet R&D benchmark (``benchmarks/rnd.py``).

Usage::

    python benchmarks/rnd_data.py --root data/rnd [--chunks 20] [--chunk-size 50000] \
        [--signal 40000] [--workers 1] [--first 0]

Samples (the R&D-like card: MPI off, ``sim`` detector, no constituents stored):

* ``signal/`` — ``xy_qqqq`` (3.5 TeV → X(500) Y(100)), ``--signal`` selected events;
* ``bkg-NN/`` — ``qcd_rnd`` chunks of ``--chunk-size`` selected events, seed ``1000 + NN``.

Each sample is one :func:`sciood.generate` run, so a killed run resumes shard by shard when the
same command is repeated, and a finished chunk is only read.  The background is cut into
chunks so that the benchmark can use every chunk finished so far while generation goes on in
the background (it can take longer than one session); ``rnd.py`` assigns chunks to the
pseudo-data, the extra background and the test set.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import sciood
from sciood.data.eventset import EventSet

SIGNAL = "xy_qqqq"
BACKGROUND = "qcd_rnd"
CHUNK_SEED = 1000
SIGNAL_SEED = 7


def chunk_dir(root: Path, index: int) -> Path:
    """Directory of background chunk ``index``."""
    return root / f"bkg-{index:02d}"


def finished_chunks(root: Path) -> list[Path]:
    """Background chunks whose manifest is written (complete), in index order."""
    return sorted(p for p in root.glob("bkg-*") if (p / "manifest.json").is_file())


def _generate(process: str, n: int, seed: int, out: Path, workers: int) -> EventSet:
    t0 = time.perf_counter()
    es = sciood.generate(process, n, seed=seed, out=out, mpi=False, shard_size=2000,
                         workers=workers, keep_constituents=False)
    print(f"{out.name}: {len(es)} events ({time.perf_counter() - t0:.0f} s)", flush=True)
    return es


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=Path("data/rnd"))
    ap.add_argument("--chunks", type=int, default=20)
    ap.add_argument("--chunk-size", type=int, default=50_000)
    ap.add_argument("--signal", type=int, default=40_000)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--first", type=int, default=0,
                    help="first chunk index (a second process can take the upper half)")
    args = ap.parse_args()
    args.root.mkdir(parents=True, exist_ok=True)
    _generate(SIGNAL, args.signal, SIGNAL_SEED, args.root / "signal", args.workers)
    for i in range(args.first, args.chunks):
        _generate(BACKGROUND, args.chunk_size, CHUNK_SEED + i, chunk_dir(args.root, i),
                  args.workers)


if __name__ == "__main__":
    main()
