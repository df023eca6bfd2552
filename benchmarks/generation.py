"""Generation speed per stage, MPI on/off, 1 vs 2 workers, trigger plateaus, QCD sampling cost.

Usage: python benchmarks/generation.py [--events 600] [--skip-stages] [--skip-workers]
       [--skip-plateau] [--plateau-processes qcd,ttbar,wjets,zjets] [--plateau-mpi]
       [--plateau-scale X] [--cost --cost-events 1000 --bias-powers 4,5]

Prints tables (markdown) that go into benchmarks/RESULTS.md and docs/generation.md.
* Stage timing: ms per *generated* event of Pythia itself, our detector, jet clustering +
  selection, substructure (τ_N + soft drop, on selected events only), and Parquet storage.
* Workers: wall time of `generate` with 1 and 2 local worker processes, same shards.
* Plateau: σ·ε of the 1.2 TeV selection per p̂T slice, for QCD (600–800, 800–1000,
  1000–1500, > 1500 GeV) and tt̄ / W + jet / Z + jet (500–700, 700–1000, > 1000 GeV): how much
  of the selected cross-section each slice below the lowest generated edge adds (MPI off by
  default: the ratios barely move, and it is 3× cheaper). For QCD, also the predicted CPU per
  selected and per Σw²-effective selected event of the catalogue's slices and of p̂T-biased
  sampling (``PhaseSpace:bias2Selection``) with several powers.
* Cost (``--cost``): real `generate` runs of QCD (MPI on, in-process CPU time) with the
  catalogue's slices and with biased sampling; ms per selected and per effective selected
  event ((Σw)²/Σw²), selected σ·ε and a χ² of the weighted mjj spectra.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

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


def print_stages(events: int) -> None:
    print("## Generation: ms per generated event, by stage\n")
    print("| process | MPI | Pythia | detector | clustering+selection | substructure | storage "
          "| ours total | ours / Pythia | selected |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for process in ("qcd", "wprime_wz"):
        for mpi in (True, False):
            for tag, r in process_times(process, events, mpi):
                name = f"{process} {tag}".strip()
                ours = r["detector"] + r["clustering"] + r["substructure"] + r["storage"]
                print(f"| {name} | {'on' if mpi else 'off'} | {r['pythia']:.2f} | "
                      f"{r['detector']:.3f} | {r['clustering']:.3f} | "
                      f"{r['substructure']:.3f} | {r['storage']:.3f} | {ours:.2f} | "
                      f"{100 * ours / r['pythia']:.1f} % | "
                      f"{100 * r['selected_fraction']:.0f} % |")


def workers_speedup(events: int) -> tuple[float, float]:
    from sciood.generate.run import generate

    times = []
    for w in (1, 2):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            generate("wprime_wz", events, seed=3, out=Path(d) / "x",
                     shard_size=events // 4, workers=w)
            times.append(time.perf_counter() - t0)
    return times[0], times[1]


#: (p̂T low, p̂T high or None, generated events at --events 1000) per process for --plateau;
#: the lowest slice of each lies below the catalogue's lowest edge.
PLATEAU_SLICES: dict[str, tuple[tuple[float, float | None, int], ...]] = {
    "qcd": ((600.0, 800.0, 6000), (800.0, 1000.0, 4000), (1000.0, 1500.0, 2000),
            (1500.0, None, 1000)),
    **dict.fromkeys(("ttbar", "wjets", "zjets"),
                    ((500.0, 700.0, 6000), (700.0, 1000.0, 3000), (1000.0, None, 1000))),
}


def slice_records(process: str, lo: float, hi: float | None, n: int, *, mpi: bool,
                  seed: int = 9, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Generate ``n`` events of ``process`` in lo < p̂T < hi; per-event p̂T, weight, selected.

    Returns a dict with arrays ``pthat``, ``weight``, ``selected`` (bool), ``mjj`` (NaN if not
    selected), Pythia's ``sigma_fb`` and the CPU seconds spent (Pythia + our stages).
    """
    from sciood.generate.detector import get_card, simulate
    from sciood.generate.processes import get_process
    from sciood.generate.pythia import PythiaSource
    from sciood.reco.jets import cluster_and_select

    proc = get_process(process)
    base = [s for s in proc.pythia_settings(0, mpi=mpi) if "pTHat" not in s]
    cuts = [f"PhaseSpace:pTHatMin = {lo}"] + ([f"PhaseSpace:pTHatMax = {hi}"] if hi else [])
    t0 = time.process_time()
    src = PythiaSource([*base, *cuts, *extra], seed=seed, where=f"{process}-plateau")
    rng = np.random.default_rng(seed)
    rec: dict[str, list[np.ndarray]] = {"pthat": [], "weight": [], "selected": [], "mjj": []}
    for _ in range(max(1, n // 100)):
        fs = src.next_batch(100)
        jb = cluster_and_select(simulate(fs, get_card("sim"), rng), proc.selection)
        sel = np.zeros(len(fs), bool)
        sel[jb.selected] = True
        mjj = np.full(len(fs), np.nan)
        if len(jb.selected):
            mjj[jb.selected] = jb.columns["mjj"]
        for key, val in (("pthat", fs.pthat), ("weight", fs.weight), ("selected", sel),
                         ("mjj", mjj)):
            rec[key].append(val)
    out: dict[str, Any] = {k: np.concatenate(v) for k, v in rec.items()}
    out["sigma_fb"] = src.sigma()[0]
    out["cpu_s"] = time.process_time() - t0
    return out


def sigma_eff(r: dict[str, Any]) -> tuple[float, float]:
    """Selected cross-section σ·ε [fb] of one slice's records, and its MC error."""
    w = r["weight"] * r["sigma_fb"] / r["weight"].sum()
    ws = w[r["selected"]]
    return float(ws.sum()), float(np.sqrt((ws**2).sum()))


def plateau(process: str, scale: float, mpi: bool
            ) -> list[tuple[str, float, float, int, int, dict[str, Any]]]:
    """Selected cross-section σ·ε per p̂T slice, with its MC error, and the raw records."""
    rows = []
    for lo, hi, n in PLATEAU_SLICES[process]:
        n = max(100, int(n * scale) // 100 * 100)
        r = slice_records(process, lo, hi, n, mpi=mpi)
        se, err = sigma_eff(r)
        label = f"{lo:.0f}–{hi:.0f}" if hi else f"> {lo:.0f}"
        rows.append((label, se, err, int(r["selected"].sum()), n, r))
    return rows


def print_plateau(process: str, rows: list[tuple[str, float, float, int, int, Any]]) -> None:
    """Table of σ·ε per slice, and the selected σ·ε with and without the lowest slices."""
    total = sum(r[1] for r in rows)
    print(f"\n### {process}\n")
    print("| p̂T slice [GeV] | σ·ε [fb] | MC error [fb] | share | selected / generated |")
    print("|---|---|---|---|---|")
    for label, se, err, n_sel, n, _ in rows:
        print(f"| {label} | {se:.4g} | {err:.2g} | {100 * se / total:.1f} % | {n_sel} / {n} |")
    # gain of adding slice k (below the old lowest edge) relative to the slices above it
    for k in range(len(rows) - 1):
        above = sum(r[1] for r in rows[k + 1:])
        err_above = float(np.sqrt(sum(r[2] ** 2 for r in rows[k + 1:])))
        gain = rows[k][1] / above
        err = gain * float(np.hypot(rows[k][2] / max(rows[k][1], 1e-300), err_above / above))
        print(f"\nσ·ε of slice {rows[k][0]} relative to everything above it: "
              f"+{100 * gain:.1f} ± {100 * err:.1f} %")


#: Lowest generated p̂T edge of each background in the catalogue (the old one was 1 TeV).
CATALOGUE_EDGE = {"qcd": 800.0, "ttbar": 700.0, "wjets": 700.0, "zjets": 700.0}


def plateau_figure(all_rows: dict[str, list[tuple[str, float, float, int, int, Any]]],
                   path: Path) -> None:
    """dσ·ε/dp̂T of the selected events per background, slices stitched, edges marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(all_rows), figsize=(4.2 * len(all_rows), 3.6),
                             squeeze=False)
    bins = np.arange(500.0, 2525.0, 50.0)
    for ax, (process, rows) in zip(axes[0], all_rows.items(), strict=True):
        h, v = np.zeros(len(bins) - 1), np.zeros(len(bins) - 1)
        for *_, r in rows:
            w = r["weight"] * r["sigma_fb"] / r["weight"].sum()
            sel = r["selected"]
            h += np.histogram(r["pthat"][sel], bins, weights=w[sel])[0]
            v += np.histogram(r["pthat"][sel], bins, weights=w[sel] ** 2)[0]
        width = np.diff(bins)
        ax.errorbar(0.5 * (bins[1:] + bins[:-1]), h / width, yerr=np.sqrt(v) / width,
                    fmt="o", ms=3, color="k")
        ax.axvline(1000.0, ls=":", color="grey", label="old lowest edge")
        ax.axvline(CATALOGUE_EDGE.get(process, 1000.0), ls="--", color="C3",
                   label="catalogue lowest edge")
        ax.set_yscale("log")
        ax.set_title(f"{process}: selected σ·ε (lead jet > 1.2 TeV)")
        ax.set_xlabel("generator p̂T [GeV]")
        ax.set_ylabel("dσ·ε / dp̂T [fb / GeV]")
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bias_settings(power: float, ref: float = 1000.0) -> tuple[str, ...]:
    """Pythia lines for p̂T-biased sampling: density × (p̂T/ref)^power, weight × inverse."""
    return ("PhaseSpace:bias2Selection = on", f"PhaseSpace:bias2SelectionPow = {power:g}",
            f"PhaseSpace:bias2SelectionRef = {ref:g}")


def predicted_cost(rows: list[tuple[str, float, float, int, int, dict[str, Any]]],
                   fractions: tuple[float, ...], powers: tuple[float, ...]
                   ) -> list[tuple[str, float, float]]:
    """CPU per selected and per Σw²-effective selected event, from unbiased slice records.

    ``rows`` are QCD plateau slices covering p̂T > 800 GeV (unbiased, unit weights).
    Stratified (fractions f_k of the selected events, slice σ·ε s_k, efficiency ε_k): cost
    per selected = Σ f_k/ε_k generated events, N/N_eff = Σ (s_k²/f_k) / (Σ s_k)². Biased
    single slice with density × b(p̂T), b = p̂T^power: weights 1/b, so per generated event
    N_eff/N = ε² / (E[b]·E[s/b]) and selected/generated = E[s·b]/E[b] (expectations over
    the physical p̂T > 800 GeV spectrum, estimated from the slices by σ-weighting).
    Returns (scheme, ms per selected event, ms per effective selected event).
    """
    ms_gen = 1e3 * sum(r[5]["cpu_s"] for r in rows) / sum(r[4] for r in rows)
    s = np.array([r[1] for r in rows])
    eff = np.array([r[5]["selected"].mean() for r in rows])
    f = np.array(fractions)
    per_sel = float((f / eff).sum())
    inflate = float((s**2 / f).sum() / s.sum() ** 2)
    out = [("slices " + "/".join(f"{x:g}" for x in fractions), ms_gen * per_sel,
            ms_gen * per_sel * inflate)]
    sig = np.array([r[5]["sigma_fb"] for r in rows])
    pth = [r[5]["pthat"] / 1000.0 for r in rows]
    sel = [r[5]["selected"] for r in rows]
    for power in powers:
        def expect(vals: list[np.ndarray]) -> float:
            return float(sum(sg * v.mean() for sg, v in zip(sig, vals, strict=True)) / sig.sum())
        e_b = expect([p**power for p in pth])
        e_sb = expect([s_ * p**power for s_, p in zip(sel, pth, strict=True)])
        e_s_over_b = expect([s_ / p**power for s_, p in zip(sel, pth, strict=True)])
        e_s = expect([s_.astype(float) for s_ in sel])
        sel_per_gen = e_sb / e_b
        neff_per_gen = e_s**2 / (e_b * e_s_over_b)
        out.append((f"bias p̂T^{power:g}, p̂T > 800", ms_gen / sel_per_gen,
                    ms_gen / neff_per_gen))
    return out


QCD_BIASED = """[[process]]
name = "qcd_bias{tag}"
signal = false
description = "QCD, p̂T > 800 GeV, biased sampling"
settings = ["HardQCD:all = on", {lines}]
slices = [{{settings = ["PhaseSpace:pTHatMin = 800."], fraction = 1.0}}]
"""


def cost_runs(events: int, powers: tuple[float, ...], mpi: bool, seed: int = 11
              ) -> list[dict[str, Any]]:
    """Real ``generate`` runs of QCD: the catalogue's slices vs biased single-slice samples.

    CPU time is this process's (workers = 1, in-process), so it covers Pythia and our stages.
    """
    from sciood.generate.run import generate

    out = []
    with tempfile.TemporaryDirectory() as d:
        for power in (None, *powers):
            kwargs: dict[str, Any] = {}
            name = "qcd"
            if power is not None:
                tag = f"{power:g}".replace(".", "p")
                lines = ", ".join(f'"{x}"' for x in bias_settings(power))
                pf = Path(d) / f"b{tag}.toml"
                pf.write_text(QCD_BIASED.format(tag=tag, lines=lines))
                kwargs = {"process_file": pf}
                name = f"qcd_bias{tag}"
            t0 = time.process_time()
            es = generate(name, events, seed=seed, out=Path(d) / name, mpi=mpi,
                          shard_size=events, keep_constituents=False, **kwargs)
            cpu = time.process_time() - t0
            w = es.weights
            out.append({"scheme": "catalogue slices" if power is None else
                        f"bias p̂T^{power:g} (ref 1 TeV), p̂T > 800",
                        "cpu_s": cpu, "n": len(es), "n_eff": float(w.sum() ** 2 / (w**2).sum()),
                        "sigma_eff": float(w.sum()), "sigma_eff_err": float(np.sqrt((w**2).sum())),
                        "mjj": es.column("mjj"), "w": w,
                        "n_generated": sum(s["n_generated"] for s in
                                           es.provenance["slices"])})
    return out


MJJ_BINS = np.array([1500, 2000, 2250, 2500, 2750, 3000, 3500, 4000, 5000, 8000.0])


def mjj_chi2(a: dict[str, Any], b: dict[str, Any]) -> tuple[float, int]:
    """χ² between two weighted mjj spectra (per-bin σ·ε, Σw² errors); bins with content."""
    ha = np.histogram(a["mjj"], MJJ_BINS, weights=a["w"])[0]
    hb = np.histogram(b["mjj"], MJJ_BINS, weights=b["w"])[0]
    va = np.histogram(a["mjj"], MJJ_BINS, weights=a["w"] ** 2)[0]
    vb = np.histogram(b["mjj"], MJJ_BINS, weights=b["w"] ** 2)[0]
    ok = (va + vb) > 0
    return float(((ha - hb)[ok] ** 2 / (va + vb)[ok]).sum()), int(ok.sum())


def print_cost(runs: list[dict[str, Any]]) -> None:
    ref = runs[0]
    print("\n## QCD cost per selected event (real `generate`, in-process CPU time)\n")
    print("| scheme | selected | generated | ms / selected | Σw²-effective | ms / effective "
          "| gain | σ·ε [fb] | mjj χ² / bins vs slices |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        ms_eff = 1e3 * r["cpu_s"] / r["n_eff"]
        gain = (1e3 * ref["cpu_s"] / ref["n_eff"]) / ms_eff
        chi2 = "–" if r is ref else "{:.1f} / {}".format(*mjj_chi2(ref, r))
        print(f"| {r['scheme']} | {r['n']} | {r['n_generated']} | "
              f"{1e3 * r['cpu_s'] / r['n']:.1f} | {r['n_eff']:.0f} | {ms_eff:.1f} | "
              f"{gain:.2f}× | {r['sigma_eff']:.0f} ± {r['sigma_eff_err']:.0f} | {chi2} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=600)
    ap.add_argument("--skip-stages", action="store_true")
    ap.add_argument("--skip-workers", action="store_true")
    ap.add_argument("--skip-plateau", action="store_true")
    ap.add_argument("--plateau-processes", default="qcd,ttbar,wjets,zjets")
    ap.add_argument("--plateau-mpi", action="store_true",
                    help="MPI on in the plateau runs (default off: the σ·ε ratios barely move)")
    ap.add_argument("--plateau-scale", type=float, default=None,
                    help="Generated events per plateau slice ÷ the built-in numbers "
                         "(default --events / 1000).")
    ap.add_argument("--plateau-figure", type=Path, default=None,
                    help="Save the dσ·ε/dp̂T plot of every plateau process to this PNG.")
    ap.add_argument("--cost", action="store_true",
                    help="QCD cost: catalogue slices vs biased sampling (real generate runs)")
    ap.add_argument("--cost-events", type=int, default=500)
    ap.add_argument("--bias-powers", default="4")
    args = ap.parse_args()

    if not args.skip_stages:
        print_stages(args.events)
    if not args.skip_workers:
        t1, t2 = workers_speedup(max(args.events, 1000))
        print(f"\n## Workers\n\n| workers | wall [s] | speed-up |\n|---|---|---|\n"
              f"| 1 | {t1:.1f} | 1.00 |\n| 2 | {t2:.1f} | {t1 / t2:.2f} |")
    powers = tuple(float(x) for x in args.bias_powers.split(",") if x)
    if not args.skip_plateau:
        scale = args.plateau_scale or args.events / 1000
        print("\n## Trigger plateau: selected cross-section by generator p̂T slice "
              f"(MPI {'on' if args.plateau_mpi else 'off'})")
        all_rows = {}
        for process in args.plateau_processes.split(","):
            rows = plateau(process, scale, args.plateau_mpi)
            all_rows[process] = rows
            print_plateau(process, rows)
            if process == "qcd":
                print("\nPredicted QCD cost from these records (CPU ms, Pythia + ours):\n")
                print("| scheme | ms / selected | ms / effective selected |\n|---|---|---|")
                for scheme, a, b in predicted_cost(rows[1:], (0.1, 0.7, 0.2),
                                                   (0.0, 2.0, 3.0, 4.0, 5.0, 6.0, *powers)):
                    print(f"| {scheme} | {a:.1f} | {b:.1f} |")
        if args.plateau_figure is not None:
            plateau_figure(all_rows, args.plateau_figure)
    if args.cost:
        print_cost(cost_runs(args.cost_events, powers, mpi=True))


if __name__ == "__main__":
    main()
