"""BumpHunter cross-check: sciood.stats.bumphunter vs pyBumpHunter 0.5 on the same histograms.

Spectra: the 4-parameter dijet function (p1, p2, p3) = (10, 5, 0) on ~4 % log bins as the
known background, Poisson-fluctuated, with or without a Gaussian bump (5 % width).  Both
tools scan the same (data, background) histograms with the same window grid (widths
1 .. n_bins // 2, step 1) and the same number of toys; their toys are independent
(numpy Generator vs pyBumpHunter's legacy np.random.seed), so the global p-values agree
only within binomial errors.  pyBumpHunter runs with nworker=1 (one core).

Second table (``--fitted N``): the background is a dijet fit
(:func:`sciood.stats.fit_background`) to the same background-only events, and the toys
redraw that fit without refitting — how calibrated is the global p then?

Run:  .venv/bin/python benchmarks/bumphunter_crosscheck.py [--toys 10000] [--fitted 100]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import platform
import time

import numpy as np
from scipy import stats as sps

from sciood.stats import dijet_function, fit_background, log_bins
from sciood.stats.bumphunter import bumphunter_scan

PARAMS = (0.0, 10.0, 5.0, 0.0)


def background(lo: float, hi: float, rel: float, total: float) -> tuple[np.ndarray, np.ndarray]:
    """(edges, expected counts per bin) of the dijet shape normalised to ``total``."""
    edges = log_bins(lo, hi, rel)
    centres = np.sqrt(edges[1:] * edges[:-1])
    b = dijet_function(centres, PARAMS) * np.diff(edges)
    return edges, b * (total / b.sum())


SPECTRA = [
    # name, (lo, hi, rel width, expected background events), (n_signal, mass), seed
    ("background only, 2e5", (1500.0, 6500.0, 0.04, 2e5), (0.0, 3500.0), 100),
    ("bump 120 ev @ 3.5 TeV, 2e5", (1500.0, 6500.0, 0.04, 2e5), (120.0, 3500.0), 0),
    ("bump 250 ev @ 3.5 TeV, 2e5", (1500.0, 6500.0, 0.04, 2e5), (250.0, 3500.0), 0),
    ("bump 40 ev @ 2.5 TeV, 5e3", (1500.0, 6500.0, 0.04, 5e3), (40.0, 2500.0), 3),
    ("background only, 1e6, 2 % bins", (1500.0, 6500.0, 0.02, 1e6), (0.0, 3500.0), 7),
]


def run_pbh(data: np.ndarray, b: np.ndarray, edges: np.ndarray, npe: int, seed: int):
    from pyBumpHunter import BumpHunter1D

    bh = BumpHunter1D(npe=npe, nworker=1, seed=seed, bins=edges)
    with contextlib.redirect_stdout(io.StringIO()):
        bh.bump_scan(data, b, is_hist=True)
    return bh


def crosscheck(n_toys: int) -> None:
    print(f"## sciood vs pyBumpHunter 0.5.1 ({n_toys} toys each)\n")
    print(
        "| spectrum | bins | tool | best window [GeV] (bins) | local p | t | global p ± err "
        "| global Z | wall [s] |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (lo, hi, rel, total), (n_sig, mass), seed in SPECTRA:
        edges, b = background(lo, hi, rel, total)
        s = n_sig * np.diff(sps.norm.cdf(edges, mass, 0.05 * mass))
        data = np.random.default_rng(seed).poisson(b + s).astype(float)
        t0 = time.perf_counter()
        ours = bumphunter_scan(data, b, edges=edges, n_toys=n_toys, seed=seed + 1)
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = run_pbh(data, b, edges, n_toys, seed + 1)
        t_ref = time.perf_counter() - t0
        i0, w = int(ref.min_loc_ar[0]), int(ref.min_width_ar[0])
        p_ref = float(ref.global_Pval)
        err_ref = math.sqrt(p_ref * (1 - p_ref) / n_toys)
        z_ours = f"{'>' if ours.global_z_is_lower_limit else ''}{ours.global_z:.2f}"
        z_ref = f"{'>' if p_ref == 0 else ''}{ref.significance:.2f}"
        rows = [
            ("sciood", ours.best_start, ours.best_width, ours.min_local_p, ours.t,
             ours.global_p, ours.global_p_error, z_ours, t_ours),
            ("pyBumpHunter", i0, w, float(ref.min_Pval_ar[0]), float(ref.t_ar[0]),
             p_ref, err_ref, z_ref, t_ref),
        ]  # fmt: skip
        for tool, start, width, p_loc, t, p_g, err, z, wall in rows:
            win = f"{edges[start]:.0f}–{edges[start + width]:.0f} ({start}–{start + width - 1})"
            print(
                f"| {name} | {b.size} | {tool} | {win} | {p_loc:.4g} | {t:.4f} | "
                f"{p_g:.4f} ± {err:.4f} | {z} | {wall:.2f} |"
            )
    print()


def sample(n: int, lo: float, hi: float, rng: np.random.Generator) -> np.ndarray:
    grid = np.linspace(lo, hi, 100_001)
    dens = dijet_function(grid, PARAMS)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))])
    return np.interp(rng.random(n), cdf / cdf[-1], grid)


def fitted(n_spectra: int, n_toys: int) -> None:
    print(f"## fitted background, no-refit toys ({n_spectra} background-only spectra)\n")
    lo, hi = 1500.0, 6500.0
    edges = log_bins(lo, hi, 0.04)
    rng = np.random.default_rng(2026)
    p_fit, p_true = [], []
    t0 = time.perf_counter()
    for i in range(n_spectra):
        m = sample(int(rng.poisson(2e5)), lo, hi, rng)
        fit = fit_background(m, bins=edges, mjj_range=(lo, hi))
        b_fit = fit.expected()
        b_true = background(lo, hi, 0.04, 1.0)[1] * float(fit.counts.sum())
        p_fit.append(bumphunter_scan(fit.counts, b_fit, n_toys=n_toys, seed=i).global_p)
        p_true.append(bumphunter_scan(fit.counts, b_true, n_toys=n_toys, seed=i).global_p)
    wall = time.perf_counter() - t0
    print("| background | P(p ≤ 0.05) | P(p ≤ 0.1) | P(p ≤ 0.3) | median p |")
    print("|---|---|---|---|---|")
    for label, ps in (("true shape (normalised)", p_true), ("dijet fit to the data", p_fit)):
        a = np.asarray(ps)
        cells = []
        for alpha in (0.05, 0.1, 0.3):
            f = float(np.mean(a <= alpha))
            cells.append(f"{f:.3f} ± {math.sqrt(alpha * (1 - alpha) / a.size):.3f}")
        print(f"| {label} | {' | '.join(cells)} | {np.median(a):.3f} |")
    print(f"\n({n_toys} toys per spectrum, {wall:.1f} s total)\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--toys", type=int, default=10_000)
    ap.add_argument("--fitted", type=int, default=0, help="spectra for the fitted-background table")
    ap.add_argument("--fitted-toys", type=int, default=500)
    args = ap.parse_args()
    import pyBumpHunter

    print(
        f"python {platform.python_version()}, numpy {np.__version__}, "
        f"pyBumpHunter {pyBumpHunter.__version__}\n"
    )
    crosscheck(args.toys)
    if args.fitted > 0:
        fitted(args.fitted, args.fitted_toys)


if __name__ == "__main__":
    main()
