"""Unsupervised detectors against every signal of the catalogue, beside PyOD, in one run.

Usage::

    python benchmarks/detectors_signals.py --background data/bench/qcd_v2 \
        --signals data/bench data/signals [--max-signal 2000] [--skip-pyod] [--json out.json] \
        [--extra DIR ...] [--rule LABEL] [--supervised]

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
* ``--rule LABEL``: one sciood row fixed *before* the run; its ratio to PyOD's best per
  signal, median / min over the catalogue signals and over each group of ``--extra`` signals
  (EventSets of processes outside the catalogue, e.g. made with ``sciood generate NAME
  --process-file F``; named by their label, grouped by their parent directory).  Default
  ``default``: the row of ``sciood.detectors.DEFAULT_DETECTOR``, the detector ``sciood run``
  uses when a config names none, so the benchmark measures exactly what a run picks
  (docs/detectors.md, "The default detector and why").
* ``--supervised``: the rule against a supervised classifier on the same inputs
  (``supervised/jetpair``, an MLP trained on the background train half + one half of each
  signal); both are measured on the background test half + the other half of the signal.
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
from sciood.detectors import DEFAULT_DETECTOR, make
from sciood.generate.processes import CATALOGUE
from sciood.represent.hlf import Standardizer, high_level_features

warnings.simplefilter("ignore")
torch.set_num_threads(1)

FEATURES = ("physics", "jetpair", "substructure")
JET4 = ["mj{j}_sd", "tau21_j{j}", "tau32_j{j}", "nconst_j{j}"]
#: the one event rule fixed before the run (see --rule): what ``sciood run`` picks by default
RULE = str(DEFAULT_DETECTOR["label"])

#: sciood rows: label -> (registry name, params)
OURS: dict[str, tuple[str, dict[str, Any]]] = {
    RULE: (DEFAULT_DETECTOR["name"], DEFAULT_DETECTOR["params"]),
    "per_jet(flow,copula,min)": ("per_jet", {"base": "flow", "aggregate": "min"}),
    # rules without a per-signal choice of min / max (issue "signals nobody trained for")
    **{f"per_jet(flow,copula,{a})": ("per_jet", {"base": "flow", "aggregate": a})
       for a in ("max", "fisher", "stouffer", "joint", "joint_sym")},
    "per_jet(gmm,copula,joint_sym)": ("per_jet", {"aggregate": "joint_sym"}),
    # Stouffer over 4 per-jet p-values: copula (m_sd, nconst) + raw (m_sd, τ21, τ32, nconst)
    "per_jet(flow,copula,stouffer)+raw/4": (
        "per_jet", {"base": "flow", "aggregate": "stouffer",
                    "members": [{"space": "raw", "jet_features": JET4}]}),
    "per_jet(flow,copula,fisher)/4": ("per_jet", {"base": "flow", "aggregate": "fisher",
                                                  "jet_features": JET4}),
    "per_jet(flow,copula,joint_sym)/4": ("per_jet", {"base": "flow", "aggregate": "joint_sym",
                                                     "jet_features": JET4}),
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


def read_extra(dirs: list[Path], max_signal: int) -> dict[str, EventSet]:
    """EventSets of signals outside the catalogue, keyed by their (single) label."""
    out: dict[str, EventSet] = {}
    for d in dirs:
        es = EventSet.read(d)
        names = sorted(set(es.labels.tolist()))
        if len(names) != 1 or names[0] in out or names[0] in CATALOGUE:
            raise SystemExit(f"--extra {d}: need one label not in the catalogue, got {names}")
        out[names[0]] = es.select(np.arange(min(len(es), max_signal)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--background", type=Path, default=Path("data/bench/qcd_v2"))
    ap.add_argument("--signals", type=Path, nargs="+",
                    default=[Path("data/bench"), Path("data/signals")])
    ap.add_argument("--max-signal", type=int, default=2000)
    ap.add_argument("--skip-pyod", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--extra", type=Path, nargs="*", default=[],
                    help="EventSet directories of signals outside the catalogue")
    ap.add_argument("--rule", default=RULE, help="sciood row fixed before the run")
    ap.add_argument("--supervised", action="store_true",
                    help="also the rule vs a supervised classifier on the same inputs")
    args = ap.parse_args()

    bg_train, bg_test = halves(EventSet.read(args.background), 0)
    signals = find_signals(args.signals, args.max_signal)
    extra = read_extra(args.extra, args.max_signal)
    signals.update(extra)
    groups = {name: d.parent.name for name, d in zip(extra, args.extra, strict=True)}
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

    rule_scores: np.ndarray | None = None
    for label, (name, params) in OURS.items():
        t0 = time.perf_counter()
        det = make(name, seed=0, **params).fit(bg_train)
        fitted = time.perf_counter() - t0
        scores = det.score(test)
        record(label, "sciood", scores, fitted)
        print(f"{'':28s} fit {fitted:6.1f} s, score {time.perf_counter() - t0 - fitted:5.2f} s "
              f"({len(test)} events)", flush=True)
        if label == args.rule:
            rule_scores = scores
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

    catalogue = [s for s in signals if s not in extra]
    print_tables(rows, side, list(signals), catalogue)
    if args.rule in rows and any(side[r] == "pyod" for r in rows):
        print_rule(rows, side, args.rule, catalogue, groups)
    sup: dict[str, dict[str, float]] = {}
    if args.supervised and rule_scores is not None:
        sup = supervised_reference(bg_train, bg_test, signals, test, rule_scores, w, args.rule)
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "side": side, "fit_s": fit_s,
                                         "extra": groups, "rule": args.rule,
                                         "supervised": sup}, indent=1))


def print_rule(rows: dict[str, dict[str, dict[str, float]]], side: dict[str, str], rule: str,
               catalogue: list[str], groups: dict[str, str]) -> None:
    """The pre-fixed rule against PyOD's best per signal: table, median / min per group."""
    pyod_rows = [r for r in rows if side[r] == "pyod"]
    print(f"\n| signal | {rule} | best PyOD | ratio |")
    print("|---|---|---|---|")
    ratios: dict[str, float] = {}
    for s in [*catalogue, *groups]:
        bp = max(pyod_rows, key=lambda r: rows[r][s]["max_sic"])
        ratios[s] = rows[rule][s]["max_sic"] / rows[bp][s]["max_sic"]
        tag = f" (outside the catalogue, {groups[s]})" if s in groups else ""
        print(f"| {s}{tag} | {rows[rule][s]['max_sic']:.2f} | {bp}: "
              f"{rows[bp][s]['max_sic']:.2f} | {ratios[s]:.2f} |")
    by_group = {g: [s for s in groups if groups[s] == g] for g in dict.fromkeys(groups.values())}
    for group, names in (("catalogue", catalogue),
                         *((f"outside the catalogue ({g})", n) for g, n in by_group.items())):
        if names:
            r = [ratios[s] for s in names]
            print(f"{rule} vs PyOD's best, {group} ({len(r)} signals): median "
                  f"{np.median(r):.2f}, min {min(r):.2f}, max {max(r):.2f}")


def supervised_reference(bg_train: EventSet, bg_test: EventSet, signals: dict[str, EventSet],
                         test: EventSet, rule_scores: np.ndarray, w: np.ndarray,
                         rule: str) -> dict[str, dict[str, float]]:
    """Rule vs ``supervised/jetpair`` trained per signal on one half, both tested on the other."""
    labels = test.labels
    is_bg = labels == "qcd"
    out: dict[str, dict[str, float]] = {}
    print(f"\n| signal | {rule} max SIC | supervised/jetpair max SIC | ratio |")
    print("|---|---|---|---|")
    for name, sig in signals.items():
        half = np.random.default_rng(1).random(len(sig)) < 0.5
        train = concat([bg_train, sig.select(half)])
        t0 = time.perf_counter()
        clf = make("supervised", seed=0, features="jetpair").fit(
            train, train.is_signal.astype(int))
        fit = time.perf_counter() - t0
        ev = concat([bg_test, sig.select(~half)])
        y = ev.labels != "qcd"
        wv = np.where(y, 1.0, ev.weights)
        ms = metrics(clf.score(ev), y, wv)["max_sic"]
        sig_idx = np.flatnonzero(labels == name)[~half]
        sel = np.r_[np.flatnonzero(is_bg), sig_idx]
        mr = metrics(rule_scores[sel], ~is_bg[sel], w[sel])["max_sic"]
        out[name] = {"rule": mr, "supervised": ms, "fit_s": fit}
        print(f"| {name} | {mr:.2f} | {ms:.2f} | {mr / ms:.2f} |", flush=True)
    return out


def print_tables(rows: dict[str, dict[str, dict[str, float]]], side: dict[str, str],
                 signals: list[str], catalogue: list[str] | None = None) -> None:
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
        cat = signals if catalogue is None else catalogue
        best_p = {s: max(rows[r][s]["max_sic"] for r in pyod_rows) for s in cat}
        fixed = max(ours_rows, key=lambda r: np.median(
            [rows[r][s]["max_sic"] / best_p[s] for s in cat]))
        ratios = [rows[fixed][s]["max_sic"] / best_p[s] for s in cat]
        print(f"\nbest single sciood detector over the catalogue signals (chosen after the "
              f"fact): {fixed} — ratio to PyOD's best "
              f"per signal: median {np.median(ratios):.2f}, min {min(ratios):.2f}, "
              f"max {max(ratios):.2f}")


if __name__ == "__main__":
    main()
