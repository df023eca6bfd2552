"""Calibrated classifier likelihood ratio and the unbinned LR statistic, on Gaussian toys.

Classes: background x ~ N(0, 1), signal x ~ N(1, 1); analytic ``log r(x) = x − 1/2``.  The
"classifier" outputs ``s = sigmoid(3x − 1)`` (monotone in r, not calibrated).

1. Calibration: ``sciood.metrics.calibrated_likelihood_ratio`` (isotonic and histogram) fitted
   on ``--n-cal`` events per class; on an independent pooled test sample, per decile of the
   true log r: median |log r̂ − log r| and the mean bias.
2. Discovery power: toys of ``--n-bkg`` Poisson background events plus ``s`` injected signal
   events; median Z over ``--toys`` toys of
   * ``lr_test_statistic`` (Z = √q0) with the analytic r and with the calibrated r̂;
   * cut-and-count at the best cut ``x > c`` (c chosen on the expected Asimov Z, known b):
     ``observed_significance(n_pass, b_pass)``.
   Also the median Z under background only (should be ~0) and the fraction with Z > 1.645
   (should be ~5 % for a calibrated p-value).

Run:  nice -n 10 .venv/bin/python benchmarks/likelihood_ratio.py [--toys 300]
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from scipy.special import expit
from scipy.stats import norm

from sciood.metrics import calibrated_likelihood_ratio
from sciood.stats import counting_significance, lr_test_statistic, observed_significance


def score(x: np.ndarray) -> np.ndarray:
    return np.asarray(expit(3.0 * x - 1.0))


def calibration_table(n_cal: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xc = np.r_[rng.normal(size=n_cal), rng.normal(1.0, 1.0, n_cal)]
    yc = np.r_[np.zeros(n_cal), np.ones(n_cal)]
    xt = np.r_[rng.normal(size=n_cal), rng.normal(1.0, 1.0, n_cal)]
    true = xt - 0.5
    edges = np.quantile(true, np.linspace(0, 1, 11))
    dec = np.clip(np.searchsorted(edges, true, side="right") - 1, 0, 9)
    fits = {m: calibrated_likelihood_ratio(yc, score(xc), method=m)
            for m in ("isotonic", "histogram")}
    est = {m: lr.log_ratio(score(xt)) for m, lr in fits.items()}
    print(f"\n## Calibration of log r̂ vs analytic log r ({n_cal} calibration events per class)")
    print("| decile | log r range | isotonic median abs err | isotonic bias "
          "| histogram median abs err | histogram bias |")
    print("|---|---|---|---|---|---|")
    for d in range(10):
        m = dec == d
        row = [f"{d + 1}", f"[{edges[d]:+.2f}, {edges[d + 1]:+.2f}]"]
        for name in ("isotonic", "histogram"):
            diff = est[name][m] - true[m]
            row += [f"{np.median(np.abs(diff)):.3f}", f"{np.mean(diff):+.3f}"]
        print("| " + " | ".join(row) + " |")
    for name in ("isotonic", "histogram"):
        diff = est[name] - true
        print(f"overall {name}: median |err| {np.median(np.abs(diff)):.3f}")


def best_cut(n_bkg: float, n_sig: float) -> float:
    grid = np.linspace(-1.0, 4.0, 201)
    z = [counting_significance(n_sig * norm.sf(c - 1.0), n_bkg * norm.sf(c)) for c in grid]
    return float(grid[int(np.argmax(z))])


def power_table(n_bkg: int, signals: list[int], toys: int, n_cal: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    xc = np.r_[rng.normal(size=n_cal), rng.normal(1.0, 1.0, n_cal)]
    lr = calibrated_likelihood_ratio(np.r_[np.zeros(n_cal), np.ones(n_cal)], score(xc))
    print(f"\n## Discovery power: median Z over {toys} toys, {n_bkg} background events "
          "(Poisson)")
    print("| injected s | LR stat (analytic r) | LR stat (calibrated r̂) | cut-and-count "
          "best cut | cut | frac Z>1.645 LR r̂ | frac Z>1.645 cut |")
    print("|---|---|---|---|---|---|---|")
    for n_sig in signals:
        c = best_cut(n_bkg, max(n_sig, 1))
        b_pass = n_bkg * norm.sf(c)
        z_true, z_cal, z_cut = [], [], []
        for _ in range(toys):
            x = np.r_[rng.normal(size=rng.poisson(n_bkg)),
                      rng.normal(1.0, 1.0, rng.poisson(n_sig) if n_sig else 0)]
            z_true.append(lr_test_statistic(np.exp(x - 0.5)).z)
            z_cal.append(lr_test_statistic(lr(score(x))).z)
            z_cut.append(observed_significance(float(np.sum(x > c)), b_pass))
        zt, zc, zk = (np.asarray(v) for v in (z_true, z_cal, z_cut))
        print(f"| {n_sig} | {np.median(zt):.2f} | {np.median(zc):.2f} | {np.median(zk):.2f} "
              f"| x>{c:.2f} | {np.mean(zc > 1.645):.3f} | {np.mean(zk > 1.645):.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-cal", type=int, default=50_000)
    ap.add_argument("--n-bkg", type=int, default=2000)
    ap.add_argument("--signals", type=int, nargs="+", default=[0, 40, 80, 160])
    ap.add_argument("--toys", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    t0 = time.perf_counter()
    print(f"# likelihood_ratio benchmark — {platform.node()} {platform.processor()}")
    calibration_table(a.n_cal, a.seed)
    power_table(a.n_bkg, a.signals, a.toys, a.n_cal, a.seed + 1)
    print(f"\nwall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
