"""Physics validation figures for docs/generation.md.

Generates (or reuses) samples under data/validation/ and writes docs/figures/*.png:
* jet masses of xy_qqqq with MPI on and off (ungroomed vs soft-drop);
* soft-drop masses of wprime_wz_80 and zprime_tt vs QCD, τ21 and τ32 vs QCD.
Also prints the numbers (medians / modes) that go into docs/generation.md.

Usage: python benchmarks/validation_plots.py [--events 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mplhep
import numpy as np

import sciood

FIG = Path(__file__).resolve().parent.parent / "docs" / "figures"


def get(process: str, n: int, workers: int, mpi: bool | None = None):
    tag = f"{process}-{n}-{'def' if mpi is None else ('mpi' if mpi else 'nompi')}"
    return sciood.generate(process, n, seed=101, out=Path("data/validation") / tag, mpi=mpi,
                           workers=workers, shard_size=max(n // workers, 1))


def mode(x: np.ndarray, lo: float, hi: float, w: float) -> float:
    c, e = np.histogram(x, bins=np.arange(lo, hi + w, w))
    return float(0.5 * (e[np.argmax(c)] + e[np.argmax(c) + 1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    plt.style.use(mplhep.style.CMS)
    FIG.mkdir(parents=True, exist_ok=True)
    n = a.events
    on, off = get("xy_qqqq", n, a.workers, True), get("xy_qqqq", n, a.workers, False)
    fig, axes = plt.subplots(1, 2, figsize=(16, 7))
    bins = np.linspace(0, 700, 71)
    for ax, (col1, col2), title in zip(axes, [("mj1", "mj2"), ("mj1_sd", "mj2_sd")],
                                       ["ungroomed", "soft drop (β=0, z=0.1)"], strict=True):
        for es, ls, lab in ((on, "-", "MPI on"), (off, "--", "MPI off")):
            m = np.concatenate([es.column(col1), es.column(col2)])
            ax.hist(m, bins=bins, histtype="step", ls=ls, lw=2, density=True, label=lab)
        ax.set_xlabel(f"jet mass, {title} [GeV]")
        ax.set_ylabel("a.u.")
        ax.legend(title="xy_qqqq: X(500) Y(100)")
    fig.savefig(FIG / "xy_qqqq_mpi_masses.png", dpi=60, bbox_inches="tight")
    print("xy_qqqq medians mj1 / mj1_sd [GeV]: MPI on "
          f"{np.median(on.column('mj1')):.1f} / {np.median(on.column('mj1_sd')):.1f}; MPI off "
          f"{np.median(off.column('mj1')):.1f} / {np.median(off.column('mj1_sd')):.1f}")
    print(f"xy_qqqq (MPI off) modes: mj1_sd {mode(off.column('mj1_sd'), 0, 300, 10):.0f}, "
          f"mj2_sd {mode(off.column('mj2_sd'), 200, 700, 20):.0f}, median mjj "
          f"{np.median(off.column('mjj')):.0f} GeV")

    qcd, wz, tt = get("qcd", n, a.workers), get("wprime_wz_80", n, a.workers), \
        get("zprime_tt", n, a.workers)
    fig, axes = plt.subplots(1, 3, figsize=(24, 7))
    for es, lab in ((qcd, "qcd"), (wz, "wprime_wz_80"), (tt, "zprime_tt")):
        msd = np.concatenate([es.column("mj1_sd"), es.column("mj2_sd")])
        axes[0].hist(msd, bins=np.linspace(0, 400, 41), histtype="step", lw=2, density=True,
                     label=lab)
        for ax, col in ((axes[1], "tau21"), (axes[2], "tau32")):
            t = np.concatenate([es.column(f"{col}_j1"), es.column(f"{col}_j2")])
            ax.hist(t, bins=np.linspace(0, 1, 41), histtype="step", lw=2, density=True,
                    label=lab)
        print(f"{lab}: soft-drop mass mode {mode(msd, 0, 400, 10):.0f} GeV, median τ21 "
              f"{np.median(np.concatenate([es.column('tau21_j1'), es.column('tau21_j2')])):.3f}"
              f", median τ32 "
              f"{np.median(np.concatenate([es.column('tau32_j1'), es.column('tau32_j2')])):.3f}")
    for ax, xl in zip(axes, ["soft-drop jet mass [GeV]", "τ21", "τ32"], strict=True):
        ax.set_xlabel(xl)
        ax.legend()
    fig.savefig(FIG / "substructure.png", dpi=60, bbox_inches="tight")


if __name__ == "__main__":
    main()
