"""Generation speed per stage, MPI on/off, 1 vs 2 workers, and the trigger-plateau check.

Usage: python benchmarks/generation.py [--events 600] [--skip-workers] [--skip-plateau]

Prints tables (markdown) that go into benchmarks/RESULTS.md.
* Stage timing: ms per *generated* event of Pythia itself, our detector, jet clustering +
  selection, substructure (τ_N + soft drop, on selected events only), and Parquet storage.
  Target: our stages together ≤ 15 % of Pythia's ms/event with MPI on.
* Workers: wall time of `generate` with 1 and 2 local worker processes, same shards.
* Plateau: σ·ε of the 1.2 TeV selection per QCD p̂T slice (600–800, 800–1000, 1000–1500,
  > 1500 GeV): how much of the selected cross-section sits below the lowest generated edge.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pyarrow as pa

warnings.simplefilter("ignore", UserWarning)


def stage_times(process: str, n: int, mpi: bool, seed: int = 5,
                slice_index: int = 0) -> dict[str, float]:
    from sciood.data import store
    from sciood.generate.detector import get_card, simulate
    from sciood.generate.processes import get_process
    from sciood.generate.pythia import PythiaSource
    from sciood.reco.jets import cluster_and_select

    proc = get_process(process)
    src = PythiaSource(proc.pythia_settings(slice_index, mpi=mpi), seed=seed, where=process)
    rng = np.random.default_rng(seed)
    t = {"pythia": 0.0, "detector": 0.0, "clustering": 0.0, "substructure": 0.0,
         "storage": 0.0}
    n_sel = 0
    cols: list[dict[str, np.ndarray]] = []
    for _ in range(n // 100):
        t0 = time.perf_counter()
        fs = src.next_batch(100)
        t1 = time.perf_counter()
        reco = simulate(fs, get_card("sim"), rng)
        t2 = time.perf_counter()
        jb = cluster_and_select(reco, proc.selection, timings=t)
        t["pythia"] += t1 - t0
        t["detector"] += t2 - t1
        n_sel += len(jb.selected)
        cols.append(jb.columns)
    with tempfile.TemporaryDirectory() as d:
        table = pa.table({k: np.concatenate([c[k] for c in cols if c]) for k in cols[0]})
        store.write_shard(table.slice(0, 10), Path(d) / "warm.parquet")  # first-call costs
        t0 = time.perf_counter()
        store.write_shard(table, Path(d) / "s.parquet")
    t["storage"] = time.perf_counter() - t0
    out = {k: 1e3 * v / n for k, v in t.items()}
    out["selected_fraction"] = n_sel / n
    return out


STAGES = ("pythia", "detector", "clustering", "substructure", "storage")


def process_times(process: str, n: int, mpi: bool) -> list[tuple[str, dict[str, float]]]:
    """Stage times per slice, plus the mix a real ``generate`` pays (sliced processes).

    A slice with fraction f of the selected events and selection efficiency ε needs f/ε
    generated events per selected event, so the mix weights each slice's ms per generated
    event by f/ε; the result is ms per selected event × Σ f/ε (same ratio ours/Pythia).
    """
    from sciood.generate.processes import get_process

    proc = get_process(process)
    rows = [(f"slice {i}" if len(proc.slices) > 1 else "",
             stage_times(process, n, mpi, slice_index=i)) for i in range(len(proc.slices))]
    if len(rows) == 1:
        return rows
    mix = {k: 0.0 for k in (*STAGES, "selected_fraction")}
    norm = 0.0
    for sl, (_, r) in zip(proc.slices, rows, strict=True):
        g = sl.fraction / max(r["selected_fraction"], 1e-9)
        norm += g
        for k in STAGES:
            mix[k] += g * r[k]
    for k in STAGES:
        mix[k] /= norm
    mix["selected_fraction"] = 1.0 / norm
    return [*rows, ("mix", mix)]


def workers_speedup(events: int) -> tuple[float, float]:
    import sciood

    times = []
    for w in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            sciood.generate("wprime_wz", events, seed=3, out=Path(d) / "x",
                            shard_size=events // 4, workers=w)
            times.append(time.perf_counter() - t0)
    return times[0], times[1]


PLATEAU_SLICES = ((600.0, 800.0, 6000), (800.0, 1000.0, 3000), (1000.0, 1500.0, 1000),
                  (1500.0, None, 1000))


def plateau(scale: float) -> list[tuple[str, float, float, int, int]]:
    """Selected cross-section σ·ε per p̂T slice (QCD, MPI on), with its MC error."""
    from sciood.generate.detector import get_card, simulate
    from sciood.generate.processes import get_process
    from sciood.generate.pythia import PythiaSource
    from sciood.reco.jets import cluster_and_select

    proc = get_process("qcd")
    base = [s for s in proc.pythia_settings(0, mpi=True) if "pTHat" not in s]
    rows = []
    for lo, hi, n in PLATEAU_SLICES:
        n = max(100, int(n * scale) // 100 * 100)
        cuts = [f"PhaseSpace:pTHatMin = {lo}"] + ([f"PhaseSpace:pTHatMax = {hi}"] if hi else [])
        src = PythiaSource([*base, *cuts], seed=9, where="qcd-plateau")
        rng = np.random.default_rng(9)
        n_sel = 0
        for _ in range(n // 100):
            fs = src.next_batch(100)
            n_sel += len(cluster_and_select(simulate(fs, get_card("sim"), rng),
                                            proc.selection).selected)
        sigma, _ = src.sigma()
        label = f"{lo:.0f}–{hi:.0f}" if hi else f"> {lo:.0f}"
        rows.append((label, sigma * n_sel / n, sigma * np.sqrt(max(n_sel, 1)) / n, n_sel, n))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=600)
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-plateau", action="store_true")
    args = ap.parse_args()

    print("## Generation: ms per generated event, by stage\n")
    print("| process | MPI | Pythia | detector | clustering+selection | substructure | storage "
          "| ours total | ours / Pythia | selected |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for process in ("qcd", "wprime_wz"):
        for mpi in (True, False):
            for tag, r in process_times(process, args.events, mpi):
                name = f"{process} {tag}".strip()
                ours = r["detector"] + r["clustering"] + r["substructure"] + r["storage"]
                print(f"| {name} | {'on' if mpi else 'off'} | {r['pythia']:.2f} | "
                      f"{r['detector']:.3f} | {r['clustering']:.3f} | "
                      f"{r['substructure']:.3f} | {r['storage']:.3f} | {ours:.2f} | "
                      f"{100 * ours / r['pythia']:.1f} % | "
                      f"{100 * r['selected_fraction']:.0f} % |")
    if not args.skip_workers:
        t1, t2 = workers_speedup(max(args.events, 1000))
        print(f"\n## Workers\n\n| workers | wall [s] | speed-up |\n|---|---|---|\n"
              f"| 1 | {t1:.1f} | 1.00 |\n| 2 | {t2:.1f} | {t1 / t2:.2f} |")
    if not args.skip_plateau:
        rows = plateau(args.events / 1000)
        total = sum(r[1] for r in rows)
        print("\n## Trigger plateau: selected QCD cross-section by generator p̂T slice\n")
        print("| p̂T slice [GeV] | σ·ε [fb] | MC error [fb] | share | selected / generated |")
        print("|---|---|---|---|---|")
        for label, se, err, n_sel, n in rows:
            print(f"| {label} | {se:.4g} | {err:.2g} | {100 * se / total:.1f} % | {n_sel} / {n} |")


if __name__ == "__main__":
    main()
