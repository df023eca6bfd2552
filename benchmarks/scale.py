"""Scale-out benchmark: generation and scoring throughput with 1 and 2 Dask workers, and
out-of-core evaluation of 10⁸ synthetic scores with the peak RSS of every process.

Protocol
--------
Each generation / scoring setting runs ``--repeat`` times on one cluster; the minimum wall
time is kept (the machine is shared, so the minimum is the least-disturbed run).

* **Generation**: ``sciood.generate`` of ``--gen-events`` selected ``wprime_wz`` events (MPI
  on, shards of ``--shard-size``) in-process, then on a LocalCluster of 1 and of 2 worker
  processes (one thread each).  The workers are warmed up first (imports), so cluster start
  is not timed; Pythia initialisation *is* (it is part of every shard).
* **Scoring**: a zuko flow fitted on the generated events scores a store of ``--score-events``
  events (the generated scalar columns tiled, shards of ``--score-shard``) with
  :func:`sciood.scoring.score_store`, in-process and on 1 and 2 workers; every run's scores
  are checked to be bit-identical.
* **Evaluation**: ``--eval-events`` synthetic weighted scores (1 % signal) in
  ``--partitions`` partitions; each Dask task draws its partition from a seeded RNG, fills a
  :class:`~sciood.metrics.streaming.ScoreHistogram` and returns it; the client merges.  Edges
  come from a first pass over a 10⁶-score sample.  Peak RSS (``ru_maxrss``) of every worker and
  of the client is reported (target ≤ 4 GB per process).  The binning error is measured on a
  ``--exact-events`` subset against the exact in-memory metrics.

Load average is printed next to every number: the project machine is shared.

Run: ``nice -n 10 python benchmarks/scale.py`` (≈ 3–4 min on 2 idle cores).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

import sciood
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.distributed import connect
from sciood.metrics import ranking_curve
from sciood.metrics.streaming import ScoreHistogram, quantile_edges, summary
from sciood.scoring import score_store


def load() -> str:
    return "{:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())


def warm() -> None:
    import fastjet  # noqa: F401
    import torch  # noqa: F401

    import sciood.detectors.flow
    import sciood.generate.pythia
    import sciood.reco.jets
    import sciood.scoring  # noqa: F401


def peak_rss_mb() -> float:
    """Peak resident set size of this process since start or :func:`reset_peak` [MB]."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def reset_peak() -> None:
    """Reset the kernel's peak-RSS mark of this process (Linux; no-op elsewhere)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


# ---------------------------------------------------------------------------- generation
def bench_generation(args: argparse.Namespace, work: Path) -> tuple[list[list[Any]], Path]:
    rows = []
    ref = None
    for workers in (None, 1, 2):
        times, same = [], True
        with connect(workers=workers) as client:
            if client is not None:
                client.run(warm)
            warm()
            la = load()
            for r in range(args.repeat):
                out = work / f"gen-{workers}-{r}"
                t0 = time.perf_counter()
                sciood.generate("wprime_wz", args.gen_events, seed=1, out=out,
                                shard_size=args.shard_size, client=client)
                times.append(time.perf_counter() - t0)
                shas = [p.read_bytes() for p in sorted(out.glob("shard-*.parquet"))]
                ref = shas if ref is None else ref
                same = same and shas == ref
        dt = min(times)
        rows.append([workers or "in-process", dt, args.gen_events / dt, same, la])
    base = rows[1][1]
    for r in rows:
        r.insert(3, base / r[1])
    return rows, work / "gen-None-0"


# ---------------------------------------------------------------------------- scoring
def bench_scoring(args: argparse.Namespace, work: Path, gen: Path) -> list[list[Any]]:
    es = EventSet.read(gen)
    scalar = [c for c in es.columns if not c.startswith(("j1_const", "j2_const"))]
    small = EventSet(es.table.select(scalar), observables=es.observables, features=es.features)
    reps = -(-args.score_events // len(small))
    big = EventSet.concat([small] * reps).select(np.arange(args.score_events))
    store = big.write(work / "score-in", shard_size=args.score_shard)
    detectors = {
        "flow": make("flow", seed=0, epochs=3, features="physics"),
        "ensemble of 5 flows": make("ensemble", base="flow", n=5, seed=0, epochs=3,
                                    features="physics"),
    }
    rows = []
    for label, det in detectors.items():
        det.fit(small)
        ref, block = None, []
        for workers in (None, 1, 2):
            times, same = [], True
            with connect(workers=workers) as client:
                if client is not None:
                    client.run(warm)
                la = load()
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    out = score_store(det, store, work / f"score-{workers}", client=client)
                    times.append(time.perf_counter() - t0)
                    s = EventSet.read(out).column("score")
                    ref = s if ref is None else ref
                    same = same and bool(np.array_equal(s, ref))
            dt = min(times)
            block.append([label, workers or "in-process", dt, args.score_events / dt, same, la])
        base = block[1][2]
        for r in block:
            r.insert(4, base / r[2])
        rows += block
    return rows


# ---------------------------------------------------------------------------- evaluation
def synthetic(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n weighted synthetic events: 1 % signal N(2.5, 1), background N(0, 1), w ~ Exp(1)."""
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.01
    s = rng.standard_normal(n)
    s[y] += 2.5
    w = rng.exponential(1.0, n)
    return y, s, w


def fill_partition(seed: int, n: int, edges: np.ndarray) -> ScoreHistogram:
    y, s, w = synthetic(seed, n)
    return ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)


def bench_evaluation(args: argparse.Namespace) -> tuple[list[list[Any]], dict[str, Any]]:
    from distributed import as_completed

    n_part = args.eval_events // args.partitions
    sample = np.concatenate([synthetic(10_000 + i, 10_000)[1] for i in range(100)])
    edges = quantile_edges(sample, args.bins, low=-10.0, high=15.0)
    rows = []
    reset_peak()
    with connect(workers=2) as client:
        la = load()
        t0 = time.perf_counter()
        total = ScoreHistogram.empty(edges)
        edges_f = client.scatter(edges, broadcast=True)
        futures = [client.submit(fill_partition, i, n_part, edges_f, pure=False)
                   for i in range(args.partitions)]
        for fut in as_completed(futures):
            total.merge(fut.result())
            fut.release()
        res = summary(total)
        dt = time.perf_counter() - t0
        worker_rss = client.run(peak_rss_mb)
    rows.append(["2 workers", args.partitions * n_part, dt, args.partitions * n_part / dt,
                 max(worker_rss.values()), peak_rss_mb(), la])
    return rows, {"summary": res, "edges": edges}


def binning_error(args: argparse.Namespace, edges: np.ndarray) -> list[list[Any]]:
    y, s, w = synthetic(123, args.exact_events)
    h = ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)
    c, exact = h.curve(), ranking_curve(y, s, sample_weight=w)
    rows = [
        ["AUC", exact.auc(), c.auc(), f"bound {h.auc_error_bound():.1e}"],
        ["max SIC", exact.max_sic(), c.max_sic(), "edge cuts only"],
        ["1/ε_B at ε_S = 0.3", exact.rejection_at([0.3])[0], c.rejection_at([0.3])[0], ""],
        ["ε_S at ε_B = 1e-4", exact.eps_s_at([1e-4])[0], c.eps_s_at([1e-4])[0], ""],
        ["ε_S at ε_B = 1e-5", exact.eps_s_at([1e-5])[0], c.eps_s_at([1e-5])[0], ""],
    ]
    for r in rows:
        r.insert(3, abs(float(r[2]) - float(r[1])) / abs(float(r[1])))
    return rows


def table(header: list[str], rows: list[list[Any]]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.3e}"
        return str(v)

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(fmt(v) for v in r) + " |" for r in rows]
    return "\n".join(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gen-events", type=int, default=1200)
    p.add_argument("--shard-size", type=int, default=150)
    p.add_argument("--score-events", type=int, default=800_000)
    p.add_argument("--score-shard", type=int, default=50_000)
    p.add_argument("--eval-events", type=int, default=100_000_000)
    p.add_argument("--partitions", type=int, default=100)
    p.add_argument("--bins", type=int, default=1 << 16)
    p.add_argument("--exact-events", type=int, default=10_000_000)
    p.add_argument("--repeat", type=int, default=2, help="runs per setting (minimum kept)")
    p.add_argument("--skip", nargs="*", default=[], choices=["gen", "score", "eval"])
    args = p.parse_args()
    print(f"# benchmarks/scale.py on {os.cpu_count()} cores, load average (1/5/15 min) "
          f"at start {load()}\n")
    work = Path(tempfile.mkdtemp(prefix="sciood-scale-"))
    try:
        if "gen" not in args.skip or "score" not in args.skip:
            rows, gen = bench_generation(args, work)
            print(f"## generation: wprime_wz, {args.gen_events} selected events, shards of "
                  f"{args.shard_size}, MPI on\n")
            print(table(["workers", "wall [s]", "events/s", "speed-up vs 1 worker",
                         "identical", "load"], rows), "\n")
            if "score" not in args.skip:
                rows = bench_scoring(args, work, gen)
                print(f"## scoring (physics features), {args.score_events} events, "
                      f"shards of {args.score_shard}\n")
                print(table(["detector", "workers", "wall [s]", "events/s",
                             "speed-up vs 1 worker", "identical", "load"], rows), "\n")
        if "eval" not in args.skip:
            rows, res = bench_evaluation(args)
            print(f"## evaluation: {args.eval_events:.0e} synthetic scores, {args.partitions} "
                  f"partitions, {len(res['edges']) - 1} bins\n")
            print(table(["cluster", "events", "wall [s]", "events/s", "peak RSS worker [MB]",
                         "peak RSS client [MB]", "load"], rows), "\n")
            s = res["summary"]
            print(f"AUC {s['auc']:.6f} (binning bound {s['auc_error_bound']:.1e}), max SIC "
                  f"{s['max_sic']:.3f}, ε_S at ε_B=1e-4: {s['efficiency_at']['0.0001']:.4f}\n")
            rows = binning_error(args, res["edges"])
            print(f"## binning error on {args.exact_events:.0e} events (same edges) vs exact\n")
            print(table(["metric", "exact", "histogram", "relative difference", "note"], rows))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
