"""Detector benchmark: qcd vs wprime_wz_80, every sciood detector beside PyOD baselines.

Usage::

    python benchmarks/detectors.py DATA_DIR [--max-events N] [--only ae,flow] [--json out.json]

``DATA_DIR`` holds one EventSet directory per process (``qcd``, ``wprime_wz_80`` and,
optionally, ``zprime_tt`` for the inverted task and the outlier-exposure set, and further
backgrounds ``ttbar``/``wjets``/``zjets`` for ``msp``/``energy``).

Protocol
--------
* Background ``qcd`` is split 50/50 (seeded) into train and test; every unsupervised
  detector trains on the background train half only (with its event weights: the sample is
  p̂T-sliced).  Signal: half for ``supervised`` training, the other half is the test signal.
* Metrics on the test set, weighted by the background event weights (signal events weight
  1): AUC, max SIC (maximum only where the background passing the cut has ≥ 50 effective
  events, (Σw)²/Σw²), rejection 1/ε_B at ε_S = 0.3.
* PyOD baselines (IForest, KNN, ECOD, AutoEncoder, DeepSVDD) run with their defaults on the
  same standardised features in the same run; sciood detectors also run with defaults —
  the only choice made is the input feature set, reported per row.
* ``oe_vae`` exposure set: ``zprime_tt`` (fully hadronic tops: three-prong, m ≈ 174 GeV),
  disjoint from the test signal (W'→WZ, two-prong, 80/91 GeV).
* Cross-check signal: the same scores on ``qcd`` vs a held-out half of ``zprime_tt`` (the
  per-jet feature choice was made on W'→WZ; Z'→tt̄ is the unseen check).
* Inverted task: ``ae``, ``vae``, ``flow`` trained on ``zprime_tt``, detecting ``qcd``.
* Decorrelation: ``ae`` (lhco features) with and without DisCo / adversary on the
  lighter-jet mass ``mj1`` (a feature itself): 1/JSD of background ``mj1`` passing vs
  failing the cut at ε_S = 0.5, and R50.
* Speed: fit time per detector; scoring throughput of ``ae`` on ≥ 1M events.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.represent.hlf import Standardizer, high_level_features

warnings.simplefilter("ignore")
torch.set_num_threads(1)  # same for PyOD and sciood; small nets are faster single-threaded
log = logging.getLogger("bench")

N_MIN = 50.0


# ------------------------------------------------------------------ metrics
def metrics(scores: np.ndarray, is_sig: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """AUC, max SIC (background ≥ 50 effective events) and 1/ε_B at ε_S = 0.3.

    All from :mod:`sciood.metrics` (weighted; ``rejection_at`` is ``inf`` when no background
    passes the cut, i.e. limited by background statistics).
    """
    from sciood.metrics import auc, max_sic, rejection_at

    y = np.asarray(is_sig).astype(int)
    return {
        "auc": float(auc(y, scores, sample_weight=w)),
        "max_sic": float(max_sic(y, scores, sample_weight=w, min_background=N_MIN)),
        "rej30": float(rejection_at(y, scores, 0.3, sample_weight=w)),
    }


def sculpting(scores: np.ndarray, is_sig: np.ndarray, w: np.ndarray, obs: np.ndarray
              ) -> tuple[float, float, float]:
    """(JSD of background obs passing vs failing at ε_S = 0.5, R50, floor of random halves)."""
    from sciood.metrics import sculpting_jsd

    r = sculpting_jsd(np.asarray(is_sig).astype(int), scores, obs, 0.5, 50, sample_weight=w)
    return r.jsd, r.r50, r.floor


# ------------------------------------------------------------------ data
def load(data: Path, process: str, max_events: int | None) -> EventSet | None:
    path = data / process
    if not (path / "manifest.json").is_file():
        return None
    es = EventSet.read(path)
    if max_events and len(es) > max_events:
        es = es.select(np.sort(np.random.default_rng(1).choice(len(es), max_events, False)))
    return es


def concat(sets: list[EventSet]) -> EventSet:
    """Concatenate on the columns all sets share (constituents only if every set has them)."""
    common = [c for c in sets[0].columns if all(c in s.columns for s in sets)]
    parts = [EventSet(s.table.select(common), observables=s.observables,
                      features=[f for f in s.features if f in common]) for s in sets]
    return EventSet.concat(parts)


def halves(es: EventSet, seed: int) -> tuple[EventSet, EventSet]:
    m = np.random.default_rng(seed).random(len(es)) < 0.5
    return es.select(m), es.select(~m)


# ------------------------------------------------------------------ runners
def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def pyod_models(d: int) -> dict[str, Callable[[], Any]]:
    from pyod.models.auto_encoder import AutoEncoder
    from pyod.models.deep_svdd import DeepSVDD
    from pyod.models.ecod import ECOD
    from pyod.models.iforest import IForest
    from pyod.models.knn import KNN

    return {
        "pyod IForest": lambda: IForest(random_state=0),
        "pyod KNN": lambda: KNN(),
        "pyod ECOD": lambda: ECOD(),
        "pyod AutoEncoder": lambda: AutoEncoder(random_state=0, verbose=0),
        "pyod DeepSVDD": lambda: DeepSVDD(n_features=d, random_state=0, verbose=0),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data", type=Path)
    ap.add_argument("--max-events", type=int, default=None,
                    help="cap events read per process (quick runs)")
    ap.add_argument("--only", default="", help="';'-separated row labels to run")
    ap.add_argument("--backgrounds", type=Path, default=None,
                    help="directory with extra background processes (ttbar, wjets, zjets) "
                         "for msp / energy; default DATA")
    ap.add_argument("--constituents", type=Path, default=None,
                    help="directory like DATA with constituents, for set_ae / image_ae")
    ap.add_argument("--skip-pyod", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    qcd = load(args.data, "qcd", args.max_events)
    sig = load(args.data, "wprime_wz_80", args.max_events)
    top = load(args.data, "zprime_tt", args.max_events)
    if qcd is None or sig is None:
        raise SystemExit(f"need {args.data}/qcd and {args.data}/wprime_wz_80 datasets")
    bg_train, bg_test = halves(qcd, 0)
    sig_train, sig_test = halves(sig, 1)
    parts = [bg_test, sig_test]
    top_train = top_test = None
    if top is not None:
        top_train, top_test = halves(top, 2)
        parts.append(top_test)
    test = concat(parts)
    labels = test.labels
    is_bg = labels == "qcd"
    w_all = np.where(is_bg, test.weights, 1.0)  # background: physical weights; signal: 1
    main_sel = is_bg | (labels == "wprime_wz_80")
    top_sel = is_bg | (labels == "zprime_tt")
    print(f"train: {len(bg_train)} qcd (Σw = {bg_train.weights.sum():.4g}); test: "
          f"{len(bg_test)} qcd + {len(sig_test)} wprime_wz_80"
          + (f" (+ {len(top_test)} zprime_tt cross-check)" if top_test is not None else "")
          + f"; supervised also trains on {len(sig_train)} signal events")
    results: list[dict[str, Any]] = []
    only = {s.strip() for s in args.only.split(";") if s.strip()}

    def record(label: str, feats: str, scores: np.ndarray, fit_s: float, extra: str = "",
               cross: bool = True) -> None:
        scores = np.asarray(scores, float)
        m = metrics(scores[main_sel], ~is_bg[main_sel], w_all[main_sel])
        row: dict[str, Any] = {"detector": label, "features": feats, **m, "fit_s": fit_s,
                               "note": extra}
        ct = ""
        if cross and top_test is not None:
            mt = metrics(scores[top_sel], ~is_bg[top_sel], w_all[top_sel])
            row.update({"top_auc": mt["auc"], "top_max_sic": mt["max_sic"]})
            ct = f"{mt['auc']:.3f} | {mt['max_sic']:5.2f}"
        else:
            ct = "- | -"
        results.append(row)
        print(f"| {label:30s} | {feats:8s} | {m['auc']:.3f} | {m['max_sic']:5.2f} | "
              f"{m['rej30']:8.1f} | {ct} | {fit_s:6.1f} | {extra}", flush=True)

    def ours(label: str, name: str, feats: str, *, y_train: Any = None,
             train: EventSet | None = None, extra: str = "", cross: bool = True,
             **params: Any) -> Any:
        if only and label not in only:
            return None
        if name != "per_jet":
            params["features"] = feats
        det = make(name, **params)
        tr = train if train is not None else bg_train
        _, fit_s = timed(lambda: det.fit(tr, y_train))
        record(label, feats, det.score(test), fit_s, extra, cross)
        return det

    print("\n| detector | features | AUC | max SIC | 1/eps_B @ eps_S=0.3 | Z'->tt AUC | "
          "Z'->tt max SIC | fit [s] | note |")
    print("|---|---|---|---|---|---|---|---|---|")
    jets_note = "per-jet copula of (m_sd, nconst)"
    ours("per_jet(gmm,copula,min)", "per_jet", "jets", aggregate="min",
         extra=jets_note + "; event = min over jets")
    ours("per_jet(gmm,copula,max)", "per_jet", "jets", aggregate="max",
         extra=jets_note + "; event = max over jets (default)")
    ours("per_jet(flow,copula,min)", "per_jet", "jets", base="flow", aggregate="min",
         extra=jets_note)
    ours("per_jet(gmm,copula,min)+tau21", "per_jet", "jets", aggregate="min",
         jet_features=["mj{j}_sd", "tau21_j{j}", "nconst_j{j}"], extra="(m_sd, tau21, nconst)")
    ours("per_jet(gmm,raw,min)", "per_jet", "jets", space="raw", aggregate="min",
         extra="plain density, no copula")
    for feats in ("lhco", "physics", "jetpair"):
        ours(f"iforest/{feats}", "iforest", feats)
        ours(f"knn/{feats}", "knn", feats)
        ours(f"gmm/{feats}", "gmm", feats)
        ours(f"mahalanobis/{feats}", "mahalanobis", feats)
        ours(f"ae/{feats}", "ae", feats)
        ours(f"vae-input/{feats}", "vae", feats)
        ours(f"vae-latent/{feats}", "vae", feats, score_space="latent")
        ours(f"flow/{feats}", "flow", feats)
        ours(f"svdd/{feats}", "svdd", feats)
    ours("flow-nsf/physics", "flow", "physics", kind="nsf")
    ours("ensemble(ae,5)/physics", "ensemble", "physics", base="ae", n=5)
    ours("ensemble(ae,5)-std/physics", "ensemble", "physics", base="ae", n=5,
         score_mode="std", extra="epistemic std as score")
    ours("ensemble(flow,5)/physics", "ensemble", "physics", base="flow", n=5)
    ours("mc_dropout(ae)/physics", "mc_dropout", "physics", base="ae")
    if top_train is not None:
        tr = concat([bg_train, top_train])
        y_oe = np.r_[np.zeros(len(bg_train), int), np.ones(len(top_train), int)]
        for feats in ("physics", "jetpair"):
            ours(f"oe_vae/{feats}", "oe_vae", feats, y_train=y_oe, train=tr, cross=False,
                 extra="exposure: zprime_tt (train half)")
    bg_dir = args.backgrounds or args.data
    bgs = [p for p in ("ttbar", "wjets", "zjets") if (bg_dir / p / "manifest.json").is_file()]
    if bgs:
        extra_bg = [load(bg_dir, p, args.max_events) for p in bgs]
        tr = concat([bg_train, *[e for e in extra_bg if e is not None]])
        classes = "+".join(["qcd", *bgs])
        for name in ("msp", "energy"):
            for feats in ("physics", "jetpair"):
                ours(f"{name}/{feats}", name, feats, train=tr, y_train=tr.labels,
                     extra=f"classes {classes}, class-balanced")
    else:
        print("| msp, energy | - | - | - | - | - | - | - | n/a: one background class (qcd) |")
    sup_train = concat([bg_train, sig_train])
    for feats in ("lhco", "physics", "jetpair"):
        ours(f"supervised/{feats}", "supervised", feats, train=sup_train,
             y_train=sup_train.is_signal.astype(int), extra="upper bound (sees W' signal)")
    if qcd.has_constituents and sig.has_constituents:
        ours("set_ae(deepsets)", "set_ae", "sets")
        ours("set_ae(transformer)", "set_ae", "sets", encoder="transformer")
        ours("image_ae", "image_ae", "images")
    else:
        print("| set_ae, image_ae | - | - | - | - | - | - | - | no constituents here: see the "
              "constituent table |")

    if not args.skip_pyod:
        for feats in ("lhco", "physics", "jetpair"):
            Xtr = high_level_features(bg_train, feats)
            sc = Standardizer().fit(Xtr, sample_weight=bg_train.weights)
            Xtr, Xte = sc.transform(Xtr), sc.transform(high_level_features(test, feats))
            for label, factory in pyod_models(Xtr.shape[1]).items():
                if only and label not in only:
                    continue
                model = factory()
                _, fit_s = timed(lambda m=model, x=Xtr: m.fit(x))
                record(f"{label}/{feats}", feats, model.decision_function(Xte), fit_s,
                       "PyOD defaults, unweighted")

    # ---------------- inverted task: train on zprime_tt, detect qcd
    inverted = []
    if top_train is not None and top_test is not None and (not only or "inverted" in only):
        inv = concat([top_test, bg_test])
        inv_is_sig = inv.labels == "qcd"
        inv_w = np.ones(len(inv))
        print("\nInverted task (train on zprime_tt, qcd is the anomaly)\n")
        print("| detector | features | AUC | max SIC | normal-task AUC |")
        print("|---|---|---|---|---|")
        for name, row in (("ae", "ae"), ("vae", "vae-input"), ("flow", "flow")):
            det = make(name, features="physics").fit(top_train)
            m = metrics(det.score(inv), inv_is_sig, inv_w)
            normal = next((r["auc"] for r in results if r["detector"] == f"{row}/physics"),
                          float("nan"))
            inverted.append({"detector": name, **m, "normal_auc": normal})
            print(f"| {name} | physics | {m['auc']:.3f} | {m['max_sic']:.2f} | {normal:.3f} |")

    # ---------------- decorrelation: ae with / without DisCo on mj1
    decor = []
    if not only or "decor" in only:
        print("\nDecorrelation (observable: mj1, a feature itself; cut at eps_S = 0.5)\n")
        print("| detector | AUC | max SIC | R50 | 1/JSD | 1/JSD floor |")
        print("|---|---|---|---|---|---|")
        obs = test.column("mj1")[main_sel]
        for label, params in (("ae", {}),
                              ("ae + DisCo(mj1)", {"decorrelate": "disco",
                                                   "decor_strength": 100.0}),
                              ("ae + adversary(mj1)", {"decorrelate": "adversarial",
                                                       "decor_strength": 10.0})):
            det = make("ae", features="lhco", **params).fit(
                bg_train, observable=bg_train.column("mj1"))
            s = det.score(test)[main_sel]
            y, w = ~is_bg[main_sel], w_all[main_sel]
            m = metrics(s, y, w)
            jsd, r50, floor = sculpting(s, y, w, obs)
            decor.append({"detector": label, **m, "R50": r50, "inv_jsd": 1 / jsd,
                          "inv_jsd_floor": 1 / floor})
            print(f"| {label} | {m['auc']:.3f} | {m['max_sic']:.2f} | {r50:.1f} | "
                  f"{1 / jsd:.1f} | {1 / floor:.0f} |")

    # ---------------- throughput
    speed = {}
    if not only or "speed" in only:
        det = make("ae", features="physics").fit(bg_train)
        X = det.as_array(test)
        big = np.tile(X, (max(1, 1_000_000 // len(X)), 1))
        det.score(big[:1000])
        _, dt = timed(lambda: det.score(big))
        speed = {"ae_events_per_s": len(big) / dt, "n": len(big)}
        print(f"\nae scoring throughput: {len(big) / dt:,.0f} events/s "
              f"({len(big):,} events, {torch.get_num_threads()} torch thread)")

    constituent_rows = constituent_models(args.constituents, args.max_events, only) \
        if args.constituents else []

    if args.json:
        args.json.write_text(json.dumps({"main": results, "inverted": inverted,
                                         "decorrelation": decor, "speed": speed,
                                         "constituents": constituent_rows}, indent=2))


def constituent_models(data: Path, max_events: int | None, only: set[str]
                       ) -> list[dict[str, Any]]:
    """set_ae / image_ae on a (smaller) sample with constituents, beside feature models."""
    from pyod.models.knn import KNN

    qcd, sig = load(data, "qcd", max_events), load(data, "wprime_wz_80", max_events)
    if qcd is None or sig is None or not qcd.has_constituents:
        print(f"\nno constituent sample in {data}")
        return []
    bg_train, bg_test = halves(qcd, 0)
    test = concat([bg_test, sig])
    y = test.is_signal
    w = np.where(y, 1.0, test.weights)
    print(f"\nConstituent models ({len(bg_train)} qcd train; test {len(bg_test)} qcd + "
          f"{len(sig)} wprime_wz_80)\n")
    print("| detector | input | AUC | max SIC | 1/eps_B @ eps_S=0.3 | fit [s] | "
          "score [events/s] |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    configs: list[tuple[str, str, dict[str, Any]]] = [
        ("set_ae(deepsets)", "set_ae", {}),
        ("set_ae(transformer)", "set_ae", {"encoder": "transformer"}),
        ("image_ae", "image_ae", {}),
        ("per_jet(gmm,copula,min)", "per_jet", {"aggregate": "min"}),
        ("flow/physics", "flow", {"features": "physics"}),
    ]
    for label, name, params in configs:
        if only and label not in only and "constituents" not in only:
            continue
        det = make(name, **params)
        _, fit_s = timed(lambda d=det: d.fit(bg_train))
        X = det.as_array(test)
        s, score_s = timed(lambda d=det, x=X: d.score(x))
        m = metrics(s, y, w)
        rows.append({"detector": label, **m, "fit_s": fit_s, "events_per_s": len(X) / score_s})
        print(f"| {label} | {det.representation if name != 'per_jet' else 'jets'} | "
              f"{m['auc']:.3f} | {m['max_sic']:.2f} | {m['rej30']:.1f} | {fit_s:.1f} | "
              f"{len(X) / score_s:,.0f} |", flush=True)
    Xtr = high_level_features(bg_train, "physics")
    sc = Standardizer().fit(Xtr, sample_weight=bg_train.weights)
    knn = KNN().fit(sc.transform(Xtr))
    m = metrics(knn.decision_function(sc.transform(high_level_features(test, "physics"))), y, w)
    rows.append({"detector": "pyod KNN/physics", **m})
    print(f"| pyod KNN/physics | hlf | {m['auc']:.3f} | {m['max_sic']:.2f} | {m['rej30']:.1f} "
          "| - | - |")
    return rows


if __name__ == "__main__":
    main()
