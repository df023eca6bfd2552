"""Coverage of the CLs limits of a fitted dijet spectrum: old (template + histosys) vs new.

Toy spectra: the 4-parameter dijet function (the parameters of benchmarks/stats.py) in
2.6–5 TeV, 2.5 % log bins (``sciood.stats.log_bins``), Poisson counts with ~1e5 expected
background events; signal: a Gaussian at 3.5 TeV with 5 % width (template = its fraction
per bin, so ``mu`` is a number of signal events).  Every toy is fitted with the dijet
function (background only, as the hunt does) and handed to

* **old**: the limit of the code before issue 14 — the fit's prediction as a fixed
  template with its four ±1σ eigen-variations as constrained ``histosys`` (the data used
  twice), pyhf ``toms748_scan`` started at ``mu = 0``;
* **new**: ``sciood.stats.upper_limit(signal, fit)`` — profile likelihood with the dijet
  function floating (the data used once), bracketed from ``mu-hat``.

Tables: (1) background-only toys: median expected limit, fraction of observed limits in the
±1σ / ±2σ bands (68.3 / 95.4 % nominal), failures; (2) toys with a true signal equal to the
method's own median expected limit: fraction excluded (CLs promises ≤ 5 %); (3) new vs the
sideband pyhf workspace (ratio); (4) low counts: one bin, n observed, b known, vs exact
Poisson CLs; (5) timing.  Binomial errors are sqrt(p(1-p)/N).

Run:  .venv/bin/python benchmarks/limits_coverage.py [--toys 300] [--old-toys 100]
"""

from __future__ import annotations

import argparse
import logging
import math
import platform
import time

import numpy as np

from sciood.stats import (
    build_workspace,
    exact_poisson_cls_limit,
    fit_spectrum,
    log_bins,
    signal_template,
    upper_limit,
)
from sciood.stats.background import dijet_function

PARAMS = (0.0, 10.0, 5.0, 0.0)
EDGES = log_bins(2600.0, 5000.0)
MASS, WIDTH = 3500.0, 0.05 * 3500.0
N_BKG = 1.0e5


def background_expectation() -> np.ndarray:
    lo, hi = EDGES[:-1], EDGES[1:]
    t, w = np.polynomial.legendre.leggauss(8)
    nodes = 0.5 * (hi + lo)[:, None] + 0.5 * (hi - lo)[:, None] * t[None, :]
    dens = (dijet_function(nodes.ravel(), PARAMS).reshape(nodes.shape) * w).sum(axis=1)
    dens = dens * 0.5 * (hi - lo)
    return np.asarray(dens * N_BKG / dens.sum())


def old_limit(signal: np.ndarray, fit, counts: np.ndarray) -> tuple[float, np.ndarray]:
    """The pre-issue-14 upper_limit(signal, BackgroundFit), verbatim in effect."""
    import pyhf

    bkg = fit.expected()
    up, down = fit.eigen_variations()
    var = [(np.clip(u, 1e-9, None), np.clip(d, 1e-9, None)) for u, d in zip(up, down, strict=True)]
    spec = build_workspace(signal, bkg, counts, background_variations=var)
    pyhf.set_backend("numpy")
    ws = pyhf.Workspace(spec)
    model, data = ws.model(), ws.data(ws.model())
    s_tot, b_tot = float(signal.sum()), float(bkg.sum())
    mu_max = 10.0 * (max(float(counts.sum()) - b_tot, 0.0) + 3.0 * math.sqrt(b_tot) + 3.0) / s_tot
    bounds = model.config.suggested_bounds()
    bounds[model.config.poi_index] = (0.0, max(mu_max * 2.0, 1.0))
    obs, exp = pyhf.infer.intervals.upper_limits.toms748_scan(
        data, model, 0.0, mu_max, level=0.05, rtol=1e-3, test_stat="qtilde", par_bounds=bounds
    )
    return float(obs), np.array([float(x) for x in exp])


def run(method: str, lam: np.ndarray, sig: np.ndarray, n: int, seed: int):
    """Limits on ``n`` Poisson toys of ``lam``: (observed (n,), band (n, 5), failures, s)."""
    rng = np.random.default_rng(seed)
    obs = np.full(n, np.nan)
    band = np.full((n, 5), np.nan)
    fails, times = 0, []
    for i in range(n):
        counts = rng.poisson(lam).astype(float)
        fit = fit_spectrum(EDGES, counts, counts.copy())
        t0 = time.perf_counter()
        try:
            if method == "old":
                o, b = old_limit(sig, fit, counts)
            else:
                r = upper_limit(sig, fit, workspace_limit=False)
                o, b = r.observed, r.expected_band
            if not (math.isfinite(o) and np.all(np.isfinite(b))):
                raise ValueError("NaN limit")
            obs[i], band[i] = o, b
        except Exception:  # a benchmark counts every failure
            fails += 1
        times.append(time.perf_counter() - t0)
    return obs, band, fails, float(np.median(times))


def frac(mask: np.ndarray) -> str:
    n = mask.size
    p = float(mask.mean()) if n else float("nan")
    return f"{100 * p:.1f} ± {100 * math.sqrt(max(p * (1 - p), 1e-12) / n):.1f} %"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--toys", type=int, default=300, help="toys per setting, new method")
    ap.add_argument("--old-toys", type=int, default=100, help="toys per setting, old method")
    ap.add_argument("--ws-toys", type=int, default=30, help="toys for the workspace ratio")
    args = ap.parse_args()
    logging.getLogger("pyhf").setLevel(logging.CRITICAL)
    b = background_expectation()
    sig = signal_template(EDGES, MASS, WIDTH)
    print(f"# limits coverage ({platform.node()}, {len(EDGES) - 1} bins, "
          f"{b.sum():.0f} background events, signal at {MASS:.0f} GeV ± {WIDTH:.0f})\n")
    rows, timing = [], {}
    for method, n in (("old", args.old_toys), ("new", args.toys)):
        obs, band, fails, t_med = run(method, b, sig, n, seed=1)
        ok = np.isfinite(obs)
        med = float(np.nanmedian(band[ok, 2]))
        in1 = (obs[ok] >= band[ok, 1]) & (obs[ok] <= band[ok, 3])
        in2 = (obs[ok] >= band[ok, 0]) & (obs[ok] <= band[ok, 4])
        o_inj, _, f_inj, _ = run(method, b + med * sig, sig, n, seed=2)
        ok_inj = np.isfinite(o_inj)
        excl = o_inj[ok_inj] < med
        rows.append((method, n, med, frac(in1), frac(in2), fails, frac(excl), f_inj))
        timing[method] = t_med
    print("| method | toys | median expected limit [events] | obs in ±1σ (68.3 %) | "
          "obs in ±2σ (95.4 %) | failed (b-only) | true signal excluded (≤ 5 %) | "
          "failed (s+b) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.1f} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]} |")
    ratio_old_new = rows[0][2] / rows[1][2]
    print(f"\nold / new median expected limit: {ratio_old_new:.3f}\n")

    # sideband workspace vs profile
    rng = np.random.default_rng(3)
    ro, re, tw = [], [], []
    for _ in range(args.ws_toys):
        counts = rng.poisson(b).astype(float)
        fit = fit_spectrum(EDGES, counts, counts.copy())
        t0 = time.perf_counter()
        r = upper_limit(sig, fit)
        tw.append(time.perf_counter() - t0)
        ro.append(r.workspace_observed / r.observed)
        re.append(r.workspace_expected / r.expected)
    print("| sideband pyhf workspace / profile limit | mean ± sd | toys |")
    print("|---|---|---|")
    print(f"| observed | {np.mean(ro):.3f} ± {np.std(ro):.3f} | {args.ws_toys} |")
    print(f"| expected (median) | {np.mean(re):.3f} ± {np.std(re):.3f} | {args.ws_toys} |\n")

    print("| n | b | exact Poisson CLs | asymptotic | asym / exact | auto (method) | "
          "auto / exact |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for n_obs, b0 in ((0, 0.5), (0, 3.0), (1, 3.0), (2, 1.0), (3, 5.0), (5, 5.0), (7, 10.0),
                      (10, 10.0), (10, 5.0)):
        ex = exact_poisson_cls_limit(n_obs, b0)
        a = upper_limit([1.0], [b0], [float(n_obs)], method="asymptotic").observed
        r = upper_limit([1.0], [b0], [float(n_obs)])
        worst = max(worst, abs(r.observed / ex - 1.0))
        print(f"| {n_obs} | {b0:g} | {ex:.3f} | {a:.3f} | {a / ex:.3f} | {r.observed:.3f} "
              f"({r.method}) | {r.observed / ex:.3f} |")
    print(f"\nlargest |auto / exact − 1| for n ≤ 10: {100 * worst:.1f} %\n")
    import pyhf

    print("| high counts (one bin, b = n) | sciood auto | pyhf upper_limit | ratio |")
    print("|---|---|---|---|")
    for b0 in (100.0, 1.0e4):
        r = upper_limit([1.0], [b0], [b0])
        spec = {"channels": [{"name": "c", "samples": [
            {"name": "s", "data": [1.0],
             "modifiers": [{"name": "mu", "type": "normfactor", "data": None}]},
            {"name": "b", "data": [b0], "modifiers": []}]}]}
        model = pyhf.Model(spec, poi_name="mu")
        top = 6.0 * math.sqrt(b0)
        ref, _ = pyhf.infer.intervals.upper_limits.upper_limit(
            [b0], model, scan=np.linspace(0.0, top, 601), par_bounds=[(0.0, 2.0 * top)]
        )
        print(f"| {b0:g} | {r.observed:.3f} ({r.method}) | {float(ref):.3f} | "
              f"{r.observed / float(ref):.4f} |")
    print("\n| timing per limit (median) | s |")
    print("|---|---|")
    print(f"| old (pyhf template + 4 histosys) | {timing['old']:.2f} |")
    print(f"| new (profile likelihood) | {timing['new']:.3f} |")
    print(f"| new + sideband workspace limit | {float(np.median(tw)):.2f} |")


if __name__ == "__main__":
    main()
