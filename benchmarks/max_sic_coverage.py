"""Coverage of max SIC estimators on Gaussian toys with a known truth; sculpting ranking.

Toys: background scores N(0, 1), signal N(d, 1), d = 1.0 and 1.5, unit weights or weights
U(0.5, 1.5) (both classes), 20k background and 2k signal events by default.  The truth is the
population SIC ``(1 − Φ(t − d)) / √(1 − Φ(t))`` maximised over cuts that keep the
``min_background`` rule of ``max_sic`` in expectation: ``ε_B(t) · N_eff ≥ min_background``
with ``N_eff = n_b E[w]² / E[w²]``.  Methods:

* old — in-sample ``max_sic`` with the Poisson-bootstrap percentile interval (replicas keep
  the nominal eligible cuts), as the evaluation tables used before issue 14;
* basic-bc — the same replicas, bias-corrected: ``2 v − mean(v*)`` and the basic interval
  ``[2 v − q_hi, 2 v − q_lo]`` (a candidate, shown for comparison);
* honest — ``max_sic_honest`` (cross-fit, bootstrap repeating the selection, percentile).

The AUC interval is the Poisson-bootstrap percentile interval of the same replicas, truth
``Φ(d / √2)``.  The second table ranks sculpting scenarios (flat efficiency, smooth linear /
exponential efficiency in mjj, a Gaussian bump in the efficiency) by ``sculpting_jsd`` and by
``sculpting_bump``.

Run: ``python benchmarks/max_sic_coverage.py [--toys 200] [--boot 200] [--quick]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy.stats import norm

from sciood.metrics import bootstrap_many, max_sic_honest, sculpting_bump, sculpting_jsd
from sciood.metrics.ranking import DEFAULT_MIN_BACKGROUND

LEVELS = (0.68, 0.95)


def true_max_sic(d: float, n_eff_b: float, min_background: float) -> float:
    """Population max SIC over cuts with ε_B ≥ min_background / n_eff_b (fine grid)."""
    t_max = norm.isf(min_background / n_eff_b)
    t = np.linspace(-3.0, t_max, 200_001)
    return float(np.max(norm.sf(t - d) / np.sqrt(norm.sf(t))))


def toy(rng: np.random.Generator, d: float, nb: int, ns: int, weighted: bool):
    y = np.r_[np.zeros(nb, bool), np.ones(ns, bool)]
    s = np.r_[rng.normal(0.0, 1.0, nb), rng.normal(d, 1.0, ns)]
    w = rng.uniform(0.5, 1.5, nb + ns) if weighted else None
    return y, s, w


def _interval(reps: np.ndarray, level: float) -> tuple[float, float]:
    r = reps[np.isfinite(reps)]
    lo, hi = np.percentile(r, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def one_setting(d: float, weighted: bool, n_toys: int, n_boot: int, nb: int, ns: int,
                seed: int) -> dict[str, object]:
    n_eff_b = nb / (1.0 + 1.0 / 12.0) if weighted else float(nb)
    truth = true_max_sic(d, n_eff_b, DEFAULT_MIN_BACKGROUND)
    auc_true = float(norm.cdf(d / np.sqrt(2.0)))
    est: dict[str, list[float]] = {"old": [], "basic-bc": [], "honest": []}
    cov: dict[str, dict[float, list[bool]]] = {
        k: {lv: [] for lv in LEVELS} for k in (*est, "auc")}
    rng = np.random.default_rng(seed)
    for i in range(n_toys):
        y, s, w = toy(rng, d, nb, ns, weighted)
        res = bootstrap_many({"sic": ("max_sic", {}), "auc": ("auc", {})}, y, s, sample_weight=w,
                             n=n_boot, seed=seed * 100_003 + i)
        v, reps = float(res["sic"].value), res["sic"].replicas
        hon = max_sic_honest(y, s, sample_weight=w, n_bootstrap=n_boot,
                             seed=seed * 100_003 + i)
        est["old"].append(v)
        est["basic-bc"].append(2 * v - float(np.nanmean(reps)))
        est["honest"].append(hon.value)
        for lv in LEVELS:
            lo, hi = _interval(reps, lv)
            cov["old"][lv].append(lo <= truth <= hi)
            cov["basic-bc"][lv].append(2 * v - hi <= truth <= 2 * v - lo)
            lo, hi = _interval(hon.replicas, lv)
            cov["honest"][lv].append(lo <= truth <= hi)
            lo, hi = _interval(res["auc"].replicas, lv)
            cov["auc"][lv].append(lo <= auc_true <= hi)
    return {"truth": truth, "est": est, "cov": cov}


def _pm(x: list[bool]) -> str:
    p = float(np.mean(x))
    return f"{100 * p:.1f} ± {100 * np.sqrt(p * (1 - p) / len(x)):.1f}"


def coverage_table(n_toys: int, n_boot: int, nb: int, ns: int) -> None:
    print(f"### Max SIC on Gaussian toys ({n_toys} toys, {n_boot} replicas, {nb} background, "
          f"{ns} signal, min_background {DEFAULT_MIN_BACKGROUND:g})\n")
    print("| setting | true max SIC | method | mean estimate ± error | bias % | cover 68 % "
          "| cover 95 % | AUC cover 68 % | AUC cover 95 % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k, (d, weighted) in enumerate([(1.0, False), (1.0, True), (1.5, False), (1.5, True)]):
        t0 = time.perf_counter()
        out = one_setting(d, weighted, n_toys, n_boot, nb, ns, seed=17 + k)
        name = f"d={d:g}, {'w~U(0.5,1.5)' if weighted else 'unit w'}"
        truth = float(out["truth"])  # type: ignore[arg-type]
        est, cov = out["est"], out["cov"]
        for m in ("old", "basic-bc", "honest"):
            e = np.asarray(est[m])  # type: ignore[index]
            mean, err = e.mean(), e.std(ddof=1) / np.sqrt(e.size)
            print(f"| {name} | {truth:.4f} | {m} | {mean:.4f} ± {err:.4f} | "
                  f"{100 * (mean / truth - 1):+.2f} ± {100 * err / truth:.2f} | "
                  f"{_pm(cov[m][0.68])} | {_pm(cov[m][0.95])} | "  # type: ignore[index]
                  f"{_pm(cov['auc'][0.68])} | {_pm(cov['auc'][0.95])} |")  # type: ignore[index]
        print(f"<!-- {name}: {time.perf_counter() - t0:.0f} s -->", flush=True)


def sculpting_rows(n: int, seed: int) -> None:
    """Background mjj (falling exponential) with four cut efficiencies; JSD vs bump measure."""
    rng = np.random.default_rng(seed)
    m = 1000.0 + rng.exponential(600.0, n)
    x = np.clip((m - 1000.0) / 3000.0, 0.0, 1.0)
    effs = {
        "flat 10 %": np.full(n, 0.10),
        "smooth linear 5→25 %": 0.05 + 0.20 * x,
        "smooth exponential": 0.04 * np.exp(2.5 * x),
        "weak Gaussian bump (+20 %) at 2.5 TeV": 0.10 * (
            1.0 + 0.2 * np.exp(-0.5 * ((m - 2500.0) / 100.0) ** 2)),
        "Gaussian bump (+60 %) at 2 TeV": 0.10 * (
            1.0 + 0.6 * np.exp(-0.5 * ((m - 2000.0) / 80.0) ** 2)),
    }
    print(f"\n### Sculpting ranking ({n} background events, mjj = 1 TeV + Exp(600 GeV))\n")
    print("| scenario | JSD | JSD / floor | bump Z (max local excess) | bump p (null toys) "
          "| bump at [GeV] |")
    print("|---|---|---|---|---|---|")
    for name, eff in effs.items():
        obs, sc, y = sculpted_sample(rng, m, eff)
        j = sculpting_jsd(y, sc, obs, eff_s=0.5, bins=40, range=(1000.0, 4000.0))
        b = sculpting_bump(y, sc, obs, eff_s=0.5, bins=40, range=(1000.0, 4000.0))
        print(f"| {name} | {j.jsd:.2e} | {j.jsd / j.floor_matched:.1f} | {b.z:.2f} "
              f"(floor {b.floor:.2f}) | {b.p_value:.3g} | "
              f"{b.location[0]:.0f}–{b.location[1]:.0f} |")


def sculpted_sample(rng: np.random.Generator, m: np.ndarray, eff: np.ndarray):
    """Background passing a cut with probability ``eff(mjj)``; the ε_S = 0.5 cut is that cut.

    Passing background scores lie in [1.5, 1.6], failing ones in [0, 0.1]; half of the 2000
    signal events score in [1, 2] and half in [-1, 0], so the cut at ε_S = 0.5 sits just
    below 1.5·(lowest upper signal) and keeps exactly the passing background.
    """
    n = m.size
    passing = rng.uniform(size=n) < eff
    s_b = np.where(passing, 1.5, 0.0) + rng.uniform(0.0, 0.1, n)
    s_s = np.r_[rng.uniform(1.0, 2.0, 1000), rng.uniform(-1.0, 0.0, 1000)]
    obs = np.r_[m, rng.uniform(1000.0, 3000.0, 2000)]
    y = np.r_[np.zeros(n, bool), np.ones(2000, bool)]
    return obs, np.r_[s_b, s_s], y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--toys", type=int, default=200)
    ap.add_argument("--boot", type=int, default=200)
    ap.add_argument("--nb", type=int, default=20_000)
    ap.add_argument("--ns", type=int, default=2_000)
    ap.add_argument("--quick", action="store_true", help="20 toys, 50 replicas")
    ap.add_argument("--skip-coverage", action="store_true")
    a = ap.parse_args()
    if a.quick:
        a.toys, a.boot = 20, 50
    if not a.skip_coverage:
        coverage_table(a.toys, a.boot, a.nb, a.ns)
    sculpting_rows(200_000, seed=3)


if __name__ == "__main__":
    main()
