"""Bump-hunt benchmark on toy dijet spectra.

Background: events drawn from the 4-parameter dijet function (parameters typical of
13 TeV dijet fits) in 2.6–5 TeV.  Signal: a Gaussian at 3.5 TeV with 5 % width (the
dijet mass resolution).  The "cut" emulates an anomaly detector independent of mjj that
keeps 10 % of the background and 60 % of the signal (each event kept at random).

For every (background size, injected signal) the script runs the full hunt twice,
mjj-only and after the cut, and prints observed local / global significance, the
expected (Asimov, MC-truth) local significance, the BumpHunter statistic, the fit
χ²/ndf, the sculpting-guard fake-bump Z, the 95 % CLs limit on the signal count and
the wall time.  A toy reruns every masked-window fit and the scan (no retraining).

Run:  .venv/bin/python benchmarks/stats.py [--n-bkg 100000 1000000] [--toys 100]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from scipy import stats as sps

from sciood.stats import bump_hunt, dijet_function, upper_limit

RANGE = (2600.0, 5000.0)
PARAMS = (0.0, 10.0, 5.0, 0.0)  # (ln_p0, p1, p2, p3); ln_p0 is irrelevant for sampling
MASS, WIDTH = 3500.0, 0.05 * 3500.0
EFF_B, EFF_S = 0.10, 0.60


def sample_background(n: int, rng: np.random.Generator) -> np.ndarray:
    """Inverse-CDF sampling of the dijet density on a fine grid, shape (n,)."""
    grid = np.linspace(*RANGE, 100_001)
    dens = dijet_function(grid, PARAMS)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))])
    return np.interp(rng.random(n), cdf / cdf[-1], grid)


def run(n_bkg: int, n_sig: int, n_toys: int, seed: int) -> list[dict[str, object]]:
    rng = np.random.default_rng(seed)
    bkg = sample_background(n_bkg, rng)
    sig = rng.normal(MASS, WIDTH, n_sig)
    mjj = np.concatenate([bkg, sig])
    truth = np.r_[np.zeros(n_bkg, bool), np.ones(n_sig, bool)]
    # emulated detector: pass probability 10 % (background) / 60 % (signal), score in {0, 1}
    u = rng.random(mjj.size)
    score = np.where(truth, u < EFF_S, u < EFF_B).astype(float)
    rows = []
    for label, sc, thr in (("mjj only", None, None), ("cut 10%B/60%S", score, 0.5)):
        t0 = time.perf_counter()
        res = bump_hunt(
            mjj,
            sc,
            is_signal=truth,
            cut_threshold=thr,
            mjj_range=RANGE,
            n_toys=n_toys,
            seed=seed,
        )
        t_hunt = time.perf_counter() - t0
        edges = res.edges
        eff = 1.0 if sc is None else EFF_S
        shape = np.diff(sps.norm.cdf(edges, MASS, WIDTH))
        t0 = time.perf_counter()
        lim = upper_limit(shape, res.background_fit)  # mu = number of signal events passing
        t_lim = time.perf_counter() - t0
        rows.append(
            {
                "n_bkg": n_bkg,
                "n_sig": n_sig,
                "selection": label,
                "Z_loc_obs": res.local_z_observed,
                "Z_loc_exp": res.local_z_expected if n_sig else 0.0,
                "Z_glob_obs": res.global_z_observed,
                "glob_method": res.global_method,
                "BH_t": res.bumphunter_t,
                "BH_p_glob": res.bumphunter_global_p,
                "window": f"{res.best_window[0]:.0f}-{res.best_window[1]:.0f}",
                "chi2_ndf": res.background_fit.chi2_ndf,
                "fake_Z": res.fake_bump_z,
                "N95_obs": lim.observed / eff,
                "N95_exp": lim.expected / eff,
                "t_hunt_s": t_hunt,
                "t_limit_s": t_lim,
            }
        )
    return rows


def seed_spread(n_bkg: int, n_sig: int, n_seeds: int) -> dict[str, str]:
    """Median [16 %, 84 %] of the observed local Z over background realisations (no toys)."""
    out: dict[str, list[float]] = {"mjj only": [], "cut 10%B/60%S": []}
    exp: dict[str, list[float]] = {"mjj only": [], "cut 10%B/60%S": []}
    for seed in range(100, 100 + n_seeds):
        rng = np.random.default_rng(seed)
        mjj = np.concatenate([sample_background(n_bkg, rng), rng.normal(MASS, WIDTH, n_sig)])
        truth = np.r_[np.zeros(n_bkg, bool), np.ones(n_sig, bool)]
        u = rng.random(mjj.size)
        score = np.where(truth, u < EFF_S, u < EFF_B).astype(float)
        for label, sc, thr in (("mjj only", None, None), ("cut 10%B/60%S", score, 0.5)):
            res = bump_hunt(mjj, sc, is_signal=truth, cut_threshold=thr, mjj_range=RANGE, n_toys=0)
            out[label].append(res.local_z_observed)
            exp[label].append(res.local_z_expected if n_sig else 0.0)
    summary = {}
    for label, zs in out.items():
        q16, q50, q84 = np.percentile(zs, [16, 50, 84])
        summary[label] = f"{q50:.2f} [{q16:.2f}, {q84:.2f}] | {np.median(exp[label]):.2f}"
    return summary


def fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}" if abs(v) < 1e4 else f"{v:.3g}"
    return str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-bkg", type=int, nargs="+", default=[100_000, 1_000_000])
    ap.add_argument("--toys", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seeds", type=int, default=10, help="realisations for the spread table")
    args = ap.parse_args()
    print(
        f"# sciood.stats benchmark — {platform.processor() or platform.machine()}, "
        f"{args.toys} toys per hunt, signal {MASS:.0f} GeV (σ = {WIDTH:.0f} GeV), "
        f"cut keeps {EFF_B:.0%} B / {EFF_S:.0%} S"
    )
    print(
        "# N95: 95 % CLs limit on the number of produced signal events (CLs,"
        " profile likelihood over the hunt's background function: the data used once)"
    )
    cols = [
        "n_bkg",
        "n_sig",
        "selection",
        "Z_loc_obs",
        "Z_loc_exp",
        "Z_glob_obs",
        "glob_method",
        "BH_t",
        "BH_p_glob",
        "window",
        "chi2_ndf",
        "fake_Z",
        "N95_obs",
        "N95_exp",
        "t_hunt_s",
        "t_limit_s",
    ]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n_bkg in args.n_bkg:
        # injections sized so the mjj-only expected local Z is ~0, ~2 and ~4
        scale = np.sqrt(n_bkg / 100_000)
        for n_sig in (0, int(300 * scale), int(600 * scale)):
            for row in run(n_bkg, n_sig, args.toys, args.seed):
                print("| " + " | ".join(fmt(row[c]) for c in cols) + " |", flush=True)
    if args.seeds > 0:
        print(
            f"\n# observed local Z over {args.seeds} background realisations: "
            "median [16 %, 84 %] | median expected (Asimov) local Z"
        )
        print("| n_bkg | n_sig | mjj only | cut 10%B/60%S |")
        print("|---|---|---|---|")
        for n_bkg in args.n_bkg:
            scale = np.sqrt(n_bkg / 100_000)
            for n_sig in (0, int(300 * scale), int(600 * scale)):
                sm = seed_spread(n_bkg, n_sig, args.seeds)
                print(
                    f"| {n_bkg} | {n_sig} | {sm['mjj only']} | {sm['cut 10%B/60%S']} |", flush=True
                )


if __name__ == "__main__":
    main()
