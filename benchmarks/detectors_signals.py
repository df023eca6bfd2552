"""Unsupervised detectors against every signal of the catalogue, beside PyOD, in one run.

Usage::

    python benchmarks/detectors_signals.py --background data/bench/qcd_v2 \
        --signals data/bench data/signals [--max-signal 2000] [--skip-pyod] [--json out.json]

Protocol (issue 4, "on wprime_wz and on every other signal of the catalogue")
------------------------------------------------------------------------------
* Background ``qcd`` (p̂T-sliced, weighted) split 50/50 by a seeded mask (the helpers of
  ``benchmarks/detectors.py``): every detector trains once on the train half (with weights),
  never sees a signal, and scores the test half and every signal sample found under the
  ``--signals`` directories (one EventSet per catalogue process, at most ``--max-signal``).
* Per signal: max SIC (background ≥ 50 effective events passing), AUC; background weighted
  by its cross-section weights, signal events weight 1.
* Both sides get the same budget: defaults, the same three feature sets
  (``physics`` = soft-drop masses + τ21 of both jets, ``jetpair`` = soft-drop masses +
  constituent counts, ``substructure``), standardised the same way. sciood's list also
  has the per-jet models, whose input is per-jet (m_sd, nconst) or (m_sd, τ21, τ32, nconst).
* Summary: for each signal the best of each side (max over its rows, chosen *after* seeing
  the signal, the same for both sides), their ratio (target ≥ 2), and the best *single*
  sciood detector fixed in advance over all signals (median ratio).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from detectors import concat, halves, metrics, pyod_models
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.generate.processes import CATALOGUE
from sciood.represent.hlf import Standardizer, high_level_features

warnings.simplefilter("ignore")
torch.set_num_threads(1)

FEATURES = ("physics", "jetpair", "substructure")
JET4 = ["mj{j}_sd", "tau21_j{j}", "tau32_j{j}", "nconst_j{j}"]

#: sciood rows: label -> (registry name, params)
OURS: dict[str, tuple[str, dict[str, Any]]] = {
    "per_jet(flow,copula,min)": ("per_jet", {"base": "flow", "aggregate": "min"}),
    "per_jet(gmm,raw,min)": ("per_jet", {"space": "raw", "aggregate": "min"}),
    "per_jet(gmm,raw,max)": ("per_jet", {"space": "raw", "aggregate": "max"}),
    "per_jet(gmm,raw,min)/4": ("per_jet", {"space": "raw", "aggregate": "min",
                                           "jet_features": JET4}),
    "per_jet(flow,raw,min)/4": ("per_jet", {"base": "flow", "space": "raw", "aggregate": "min",
                                            "jet_features": JET4}),
    **{f"{n}/{f}": (n, {"features": f}) for f in FEATURES for n in ("gmm", "flow", "knn")},
}


def find_signals(dirs: list[Path], max_signal: int) -> dict[str, EventSet]:
    """Every catalogue signal with an EventSet in one of ``dirs`` (first found wins)."""
    out: dict[str, EventSet] = {}
    for name in (n for n, p in CATALOGUE.items() if p.is_signal):
        for d in dirs:
            if (d / name / "manifest.json").is_file() and name not in out:
                es = EventSet.read(d / name)
                out[name] = es.select(np.arange(min(len(es), max_signal)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--background", type=Path, default=Path("data/bench/qcd_v2"))
    ap.add_argument("--signals", type=Path, nargs="+",
                    default=[Path("data/bench"), Path("data/signals")])
    ap.add_argument("--max-signal", type=int, default=2000)
    ap.add_argument("--skip-pyod", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    bg_train, bg_test = halves(EventSet.read(args.background), 0)
    signals = find_signals(args.signals, args.max_signal)
    test = concat([bg_test, *signals.values()])
    labels = test.labels
    is_bg = labels == "qcd"
    w = np.where(is_bg, test.weights, 1.0)
    print(f"train {len(bg_train)} qcd; test {len(bg_test)} qcd + "
          + ", ".join(f"{len(v)} {k}" for k, v in signals.items()))

    rows: dict[str, dict[str, dict[str, float]]] = {}
    side: dict[str, str] = {}
    fit_s: dict[str, float] = {}

    def record(label: str, who: str, scores: np.ndarray, seconds: float) -> None:
        rows[label] = {}
        for name in signals:
            sel = is_bg | (labels == name)
            rows[label][name] = metrics(np.asarray(scores, float)[sel], ~is_bg[sel], w[sel])
        side[label], fit_s[label] = who, seconds
        print(f"{label:28s} {seconds:6.1f} s  " + "  ".join(
            f"{rows[label][s]['max_sic']:.2f}" for s in signals), flush=True)

    for label, (name, params) in OURS.items():
        t0 = time.perf_counter()
        det = make(name, seed=0, **params).fit(bg_train)
        record(label, "sciood", det.score(test), time.perf_counter() - t0)
    if not args.skip_pyod:
        for feats in FEATURES:
            Xtr = high_level_features(bg_train, feats)
            sc = Standardizer().fit(Xtr, sample_weight=bg_train.weights)
            Xtr, Xte = sc.transform(Xtr), sc.transform(high_level_features(test, feats))
            for label, factory in pyod_models(Xtr.shape[1]).items():
                t0 = time.perf_counter()
                model = factory()
                model.fit(Xtr)
                record(f"{label}/{feats}", "pyod", model.decision_function(Xte),
                       time.perf_counter() - t0)

    print_tables(rows, side, list(signals))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "side": side, "fit_s": fit_s}, indent=1))


def print_tables(rows: dict[str, dict[str, dict[str, float]]], side: dict[str, str],
                 signals: list[str]) -> None:
    """Markdown: max SIC matrix (rows × signals), then the per-signal best-vs-best summary."""
    print("\n| detector | " + " | ".join(signals) + " |")
    print("|---|" + "---|" * len(signals))
    for label, per in rows.items():
        print(f"| {label} | " + " | ".join(f"{per[s]['max_sic']:.2f}" for s in signals) + " |")
    print("\n| signal | best sciood (max SIC, AUC) | best PyOD (max SIC, AUC) | ratio |")
    print("|---|---|---|---|")
    ours_rows = [r for r in rows if side[r] == "sciood"]
    pyod_rows = [r for r in rows if side[r] == "pyod"]
    for s in signals:
        bo = max(ours_rows, key=lambda r: rows[r][s]["max_sic"])
        if not pyod_rows:
            print(f"| {s} | {bo}: {rows[bo][s]['max_sic']:.2f}, {rows[bo][s]['auc']:.3f} | – | – |")
            continue
        bp = max(pyod_rows, key=lambda r: rows[r][s]["max_sic"])
        ratio = rows[bo][s]["max_sic"] / rows[bp][s]["max_sic"]
        print(f"| {s} | {bo}: {rows[bo][s]['max_sic']:.2f}, {rows[bo][s]['auc']:.3f} | "
              f"{bp}: {rows[bp][s]['max_sic']:.2f}, {rows[bp][s]['auc']:.3f} | {ratio:.2f} |")
    if pyod_rows:
        best_p = {s: max(rows[r][s]["max_sic"] for r in pyod_rows) for s in signals}
        fixed = max(ours_rows, key=lambda r: np.median(
            [rows[r][s]["max_sic"] / best_p[s] for s in signals]))
        ratios = [rows[fixed][s]["max_sic"] / best_p[s] for s in signals]
        print(f"\nbest single sciood detector over all signals: {fixed} — ratio to PyOD's best "
              f"per signal: median {np.median(ratios):.2f}, min {min(ratios):.2f}, "
              f"max {max(ratios):.2f}")


if __name__ == "__main__":
    main()
