"""Benchmark of sciood.metrics: sort-bound ranking metrics and the vectorised bootstrap.

Run:  .venv/bin/python benchmarks/metrics.py [--n 10000000] [--n-boot-events 1000000]

Prints a Markdown table:
* 10^7 weighted events: ROC + SIC curve + max SIC + rejection at ε_S ∈ {0.2, 0.3, 0.5} +
  ε_S at ε_B ∈ {1e-2 … 1e-5} + AUC + FPR@95 from ONE ranking curve, versus one
  ``np.argsort`` of the scores (target ≤ 1.3×) and versus scikit-learn's weighted
  ``roc_curve`` + ``auc`` (which gives only the ROC and its area);
* 200 Poisson-bootstrap replicas of AUC and max SIC on 10^6 events (target ≤ 15 s, 2 cores);
* peak traced memory (tracemalloc: NumPy reports its buffers) and the process peak RSS.

Timings are the minimum of ``--repeat`` runs, interleaved, because the machine may be shared.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn.metrics as skm

from sciood.metrics import bootstrap_many, ranking_curve

EFF_S = (0.2, 0.3, 0.5)
EPS_B = (1e-2, 1e-3, 1e-4, 1e-5)


def make_data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """10 % signal shifted by 1σ, weights U(0.5, 1.5) (positive, so scikit-learn can run)."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(size=n) < 0.1
    s = rng.normal(y * 1.0, 1.0)
    w = rng.uniform(0.5, 1.5, n)
    return y, s, w


def all_metrics(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    """Everything from one sort: ROC, SIC curve, max SIC, working points, AUC, FPR@95."""
    c = ranking_curve(y, s, sample_weight=w)
    return {
        "roc": (c.eps_s, c.eps_b),
        "sic": c.sic(),
        "max_sic": float(c.max_sic()),
        "rejection": c.rejection_at(EFF_S),
        "eff_s": c.eps_s_at(EPS_B),
        "auc": float(c.auc()),
        "fpr95": float(c.eps_b_at(0.95)[0]),
    }


def sklearn_roc_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> float:
    fpr, tpr, _ = skm.roc_curve(y, s, sample_weight=w)
    return float(skm.auc(fpr, tpr))


def timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def peak_traced(fn: Callable[[], Any]) -> float:
    """Peak memory (MB) allocated while ``fn`` runs (inputs excluded)."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000_000)
    ap.add_argument("--n-boot-events", type=int, default=1_000_000)
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    y, s, w = make_data(args.n)
    res = all_metrics(y, s, w)
    assert abs(res["auc"] - sklearn_roc_auc(y, s, w)) < 1e-9  # same number as scikit-learn

    t_sort, t_ours, t_sk, t_mem = [], [], [], []
    for _ in range(args.repeat):  # interleaved: load changes hit all three alike
        t_sort.append(timed(lambda: np.argsort(s)))
        t_ours.append(timed(lambda: all_metrics(y, s, w)))
        t_sk.append(timed(lambda: sklearn_roc_auc(y, s, w)))
        t_mem.append(timed(lambda: np.ones(args.n)))  # page-fault cost of fresh memory
    ts, to, tk = min(t_sort), min(t_ours), min(t_sk)
    spread = f"{min(t_ours) / ts:.2f}–{max(o / a for o, a in zip(t_ours, t_sort, strict=True)):.2f}"
    mem_curve = peak_traced(lambda: all_metrics(y, s, w))

    yb, sb, wb = make_data(args.n_boot_events, seed=1)
    req = {"auc": ("auc", {}), "max_sic": ("max_sic", {})}
    t_boot = timed(lambda: bootstrap_many(req, yb, sb, sample_weight=wb, n=args.n_boot, seed=0))
    mem_boot = peak_traced(
        lambda: bootstrap_many(req, yb, sb, sample_weight=wb, n=args.n_boot, seed=0))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n7, n6 = f"{args.n:.0e}", f"{args.n_boot_events:.0e}"
    rows = [
        ("one np.argsort of the scores", n7, f"{ts:.3f} s", "1.00× (reference)"),
        ("sciood: ROC+SIC+max SIC+R@{.2,.3,.5}+ε_S@{1e-2..1e-5}+AUC+FPR95", n7,
         f"{to:.3f} s", f"{to / ts:.2f}× argsort (target ≤ 1.3×; per-run {spread}×)"),
        ("scikit-learn weighted roc_curve + auc (ROC and AUC only)", n7, f"{tk:.3f} s",
         f"{tk / ts:.2f}× argsort; sciood is {tk / to:.2f}× faster"),
        (f"bootstrap: {args.n_boot} replicas of AUC + max SIC", n6, f"{t_boot:.2f} s",
         "target ≤ 15 s on 2 cores"),
        ("peak traced memory, all metrics", n7, f"{mem_curve:.0f} MB",
         f"{mem_curve / (args.n * 8 / 1e6):.1f}× one float64 column"),
        ("peak traced memory, bootstrap", n6, f"{mem_boot:.0f} MB", "chunks of replicas"),
        ("process peak RSS (whole run)", "", f"{rss:.0f} MB", ""),
        ("allocate + touch one fresh float64 column (environment)", n7,
         f"{min(t_mem):.3f}–{max(t_mem):.3f} s", "page-fault cost; sciood touches ~7 columns"),
    ]
    print("| measurement | events | value | ratio / note |")
    print("|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\nAUC = {res['auc']:.6f} (scikit-learn agrees to 1e-9), max SIC = "
          f"{res['max_sic']:.3f}, R50 = {res['rejection'][2]:.2f}; timings: min of "
          f"{args.repeat} interleaved runs; numpy {np.__version__}")


if __name__ == "__main__":
    main()
