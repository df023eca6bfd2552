"""Dijet R&D benchmark: weakly supervised resonant anomaly detection against the supervised limit.

Usage::

    python benchmarks/rnd_data.py --root data/rnd            # generate / resume the samples
    python benchmarks/rnd.py run --root data/rnd --part nominal --seeds 3
    python benchmarks/rnd.py run --root data/rnd --part correlated --seeds 3
    python benchmarks/rnd.py run --root data/rnd --part scan
    python benchmarks/rnd.py run --root data/rnd --part sliding
    python benchmarks/rnd.py report [--plot docs/figures/rnd_sic.png]

``run`` appends every finished (method, injection, seed) to ``benchmarks/out/rnd.json`` and
skips the ones already there, so parts can run in parallel processes and a killed run
resumes; ``report`` prints the tables (median over seeds, with min–max) and draws the SIC
curves.

Protocol (issue 5)
------------------
* Samples (``rnd_data.py``; MPI off, ``sim`` detector): background ``qcd_rnd`` (QCD dijets,
  2.6 < m̂ < 4.6 TeV) in 50k-event chunks, signal ``xy_qqqq``.  Everything is analysed in
  2.9 < mjj < 4.3 TeV; SR 3.3–3.7 TeV.  The events of all finished chunks are split at
  random (seeded): 20 % independent *test* background, 20 % *extra* background (idealized
  AD and the supervised reference), 60 % pseudo-*data*.  Signal: 10k injection pool, 10k
  supervised training, the rest test.
* Injection: the R&D default is 1000 signal per 1M background, S/B ≈ 0.64 % in the SR.
  Our background is generated only around the SR, so **S/B in the SR is held fixed**:
  ``n_equiv`` R&D-equivalent injected events put ``0.0064 · n_equiv / 1000 · B_SR`` signal
  events into the data SR (signal outside the SR comes along as generated).  S/√B is then
  lower than the R&D's 2.2 when our SR holds fewer than its ≈ 120k background events.
* Features: mj1, Δm = mj2 − mj1, τ21 j1, τ21 j2 (the LHC Olympics R&D feature set); mjj is
  the conditional / search observable.  ``correlated``: mj1 and Δm shifted by 0.1 · mjj,
  which makes them depend on mjj as in the CATHODE paper's §5.3 stress test (our choice of factor).
* Methods: ``supervised`` (extra-background SR vs signal, the Neyman–Pearson reference),
  ``idealized`` (data SR vs extra-background SR), ``cathode``, ``lacathode`` (CATHODE's
  classifier in the sideband flow's latent space), ``anode``, ``cwola``
  (SR ± 200 GeV sidebands), unsupervised ``flow`` (on the data SR) and ``per_jet`` (per-jet
  copula density on both jets' soft-drop mass, τ21 and multiplicity, data SR), ``random``.
* Metric: max SIC on the independent SR test set (test background + test signal, never the
  injected events), cuts with ≥ 25 background events (≈ 20 % relative uncertainty, as in
  the CATHODE paper).
* Sculpting (``cathode``, ``lacathode``, ``random``): the independent test background at every
  mjj of the window (SR and sidebands) is scored and cut at the 20 % highest scores; ``jsd``
  is the Jensen–Shannon divergence (base 2) of its mjj histogram (100 GeV bins) after vs
  before the cut, reported as 1/JSD (higher = less sculpting; ``random`` gives the
  finite-sample floor).
* ``--injection N`` runs a part at N R&D-equivalent injected events instead of 1000 (tagged
  ``+injN``), for samples too small for the default S/B to be learnt.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.metrics import auc, max_sic, sic_curve

warnings.simplefilter("ignore")
torch.set_num_threads(1)

FEATURES = ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]
WINDOW = (2900.0, 4300.0)
SR = (3300.0, 3700.0)
SB_PER_1000 = 0.0064  # R&D: S/B in the SR per 1000 injected events per 1M background
MIN_BKG = 25.0
METHODS = ["supervised", "idealized", "cathode", "lacathode", "anode", "cwola", "flow", "per_jet",
           "random"]
#: methods whose cut's mjj sculpting is measured (see the module docstring)
SCULPT_METHODS = ("cathode", "lacathode", "random")
SCULPT_KEEP = 0.2
SCAN = [0, 300, 600, 1000, 2000, 3000]
SCAN_METHODS = ["idealized", "cathode", "cwola", "anode"]
WINDOWS = [(3100.0, 3500.0), (3300.0, 3700.0), (3500.0, 3900.0)]
SLIDING_METHODS = ["cwola", "cathode"]
SLIDING_EFF_B = 0.01
OUT = Path(__file__).parent / "out" / "rnd.json"

# training settings (CPU budget: the whole benchmark in ≈ 1 h on 2 cores)
CLASSIFIER: dict[str, Any] = {"hidden": [64, 64], "epochs": 20, "batch_size": 256,
                              "classifier": "hgb", "members": 5}
FLOW: dict[str, Any] = {"flow_kind": "nsf", "flow_transforms": 4, "flow_hidden": [64, 64],
                        "flow_epochs": 20, "flow_batch_size": 512}


@dataclass
class Samples:
    """The benchmark's independent samples, each restricted to the analysed mjj window."""

    data: EventSet
    extra: EventSet
    test: EventSet
    sig_pool: EventSet
    sig_train: EventSet
    sig_test: EventSet
    chunks: int


def _window(es: EventSet) -> EventSet:
    mjj = es.column("mjj")
    return es.select(np.flatnonzero((mjj >= WINDOW[0]) & (mjj < WINDOW[1])))


def in_sr(es: EventSet) -> np.ndarray:
    """Boolean mask of SR events, shape ``(n,)``."""
    mjj = es.column("mjj")
    return (mjj >= SR[0]) & (mjj < SR[1])


def load_samples(root: Path, max_chunks: int | None = None) -> Samples:
    """Assign the finished background chunks to data / extra / test (see the docstring)."""
    from rnd_data import finished_chunks

    chunks = finished_chunks(root)[:max_chunks]
    if not chunks:
        raise SystemExit(f"{root}: no finished background chunk; run benchmarks/rnd_data.py")
    bkg = _window(EventSet.concat([EventSet.read(p) for p in chunks]))
    perm = np.random.default_rng(0).permutation(len(bkg))
    fifth = len(bkg) // 5

    def part(idx: np.ndarray) -> EventSet:
        return bkg.select(np.sort(idx))

    sig = _window(EventSet.read(root / "signal"))
    n = len(sig)
    return Samples(data=part(perm[2 * fifth:]), extra=part(perm[fifth:2 * fifth]),
                   test=part(perm[:fifth]), sig_pool=sig.select(np.arange(0, 10_000)),
                   sig_train=sig.select(np.arange(10_000, 20_000)),
                   sig_test=sig.select(np.arange(20_000, n)), chunks=len(chunks))


def features(es: EventSet, part: str) -> np.ndarray:
    """The four R&D features, shape ``(n, 4)``; ``correlated`` shifts mj1 and Δm by 0.1 mjj."""
    X = np.column_stack([es.column(f) for f in FEATURES]).astype(np.float64)
    if part == "correlated":
        X[:, 0] += 0.1 * es.column("mjj")
        X[:, 1] += 0.1 * es.column("mjj")
    return X


def n_signal_sr(n_equiv: int, b_sr: int) -> int:
    """Signal events in the data SR for ``n_equiv`` R&D-equivalent injected events."""
    return round(SB_PER_1000 * n_equiv / 1000 * b_sr)


def inject(s: Samples, n_equiv: int) -> EventSet:
    """Pseudo-data: data background + the first pool events giving the wanted SR count."""
    want = n_signal_sr(n_equiv, int(in_sr(s.data).sum()))
    if want == 0:
        return s.data
    cum = np.cumsum(in_sr(s.sig_pool))
    if cum[-1] < want:
        raise SystemExit(f"signal pool holds {cum[-1]} SR events, {want} needed")
    last = int(np.searchsorted(cum, want)) + 1
    return EventSet.concat([s.data, s.sig_pool.select(np.arange(last))])


def _sr_only(es: EventSet) -> EventSet:
    return es.select(np.flatnonzero(in_sr(es)))


def _rows(method: str, es: EventSet, part: str) -> np.ndarray:
    """A method's input rows: the features, plus mjj as last column for ``lacathode``."""
    X = features(es, part)
    return np.c_[X, es.column("mjj")] if method == "lacathode" else X


def sculpting_jsd(mjj: np.ndarray, score: np.ndarray, keep: float = SCULPT_KEEP) -> float:
    """JSD (base 2) of the mjj histogram after a cut keeping ``keep`` of ``score``, vs before.

    ``mjj`` and ``score``: shape ``(n,)``, background events over the whole window.
    """
    from scipy.spatial.distance import jensenshannon

    bins = np.arange(WINDOW[0], WINDOW[1] + 1.0, 100.0)
    cut = score > np.quantile(score, 1 - keep)
    after = np.histogram(mjj[cut], bins)[0] / max(int(cut.sum()), 1)
    before = np.histogram(mjj, bins)[0] / len(mjj)
    return float(jensenshannon(after, before, base=2) ** 2)


def train_and_score(method: str, s: Samples, data: EventSet, test: EventSet, part: str,
                    seed: int, sculpt: EventSet | None = None) -> Any:
    """Fit ``method`` (see the module docstring) and score the SR test events.

    With ``sculpt`` (events over the whole window) return ``(scores, scores of sculpt)``.
    """
    Xt, ones = features(test, part), np.ones
    if method == "random":
        score = np.random.default_rng(seed).random(len(test))
        if sculpt is None:
            return score
        return score, np.random.default_rng(seed + 1).random(len(sculpt))
    if method in ("cathode", "lacathode", "anode", "cwola"):
        X = _rows(method, data, part)
        params: dict[str, Any] = {"signal_region": list(SR)}
        if method != "anode":
            params.update(CLASSIFIER)
        if method != "cwola":
            params.update({k: v for k, v in FLOW.items()
                           if k != "oversample" or method in ("cathode", "lacathode")})
        det = make(method, seed=seed, **params).fit(X, observable=data.column("mjj"),
                                                    sample_weight=ones(len(X)))
        score = det.score(_rows(method, test, part))
        if sculpt is None:
            return score
        return score, det.score(_rows(method, sculpt, part))
    if method in ("supervised", "idealized"):
        pos = _sr_only(s.sig_train if method == "supervised" else data)
        neg = _sr_only(s.extra)
        X = np.r_[features(pos, part), features(neg, part)]
        y = np.r_[ones(len(pos), int), np.zeros(len(neg), int)]
        # the supervised reference with trees: the idealized detector's classifier fitted on
        # signal-vs-background labels is exactly that (no observable given: no SR cut)
        if method == "supervised" and CLASSIFIER["classifier"] == "mlp":
            det = make("supervised", seed=seed, **{k: v for k, v in CLASSIFIER.items()
                                                   if k not in ("classifier", "members")})
        else:
            det = make("idealized", seed=seed, **CLASSIFIER)
        return det.fit(X, y, sample_weight=ones(len(X))).score(Xt)
    sr = _sr_only(data)
    if method == "flow":
        det = make("flow", seed=seed, transforms=4, hidden=[64, 64], epochs=20,
                   batch_size=512).fit(features(sr, part), sample_weight=ones(len(sr)))
        return det.score(Xt)
    if method == "per_jet":
        det = make("per_jet", seed=seed).fit(sr, sample_weight=ones(len(sr)))
        return det.score(test)
    raise SystemExit(f"unknown method {method}")


def _curve(y: np.ndarray, score: np.ndarray) -> dict[str, list[float]]:
    eps_s, sic, _ = sic_curve(y, score)
    eps_b = np.where(sic > 0, (eps_s / np.where(sic > 0, sic, 1.0)) ** 2, np.nan)
    keep = eps_b * (y == 0).sum() >= MIN_BKG
    idx = np.flatnonzero(keep)[:: max(1, int(keep.sum()) // 300)]
    return {"eps_s": eps_s[idx].round(5).tolist(), "sic": sic[idx].round(4).tolist()}


def _load_results() -> dict[str, Any]:
    """Every part's results (one file per part, so parallel processes never share one)."""
    out: dict[str, Any] = {}
    for path in sorted(OUT.parent.glob(f"{OUT.stem}*.json")):
        out.update(json.loads(path.read_text()))
    return out


def _save_result(key: str, value: dict[str, Any], part: str) -> None:
    path = OUT.parent / f"{OUT.stem}-{part}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = json.loads(path.read_text()) if path.is_file() else {}
    results[key] = value
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(results, indent=1, sort_keys=True))
    os.replace(tmp, path)


def run(root: Path, part: str, seeds: int, max_chunks: int | None, classifier: str,
        only: list[str] | None = None, oversample: float = 4.0, flow_epochs: int = 20,
        injection: int = 1000) -> None:
    """Run one part (nominal, correlated, scan, sliding), skipping finished entries.

    ``only`` restricts the methods; ``oversample`` / ``flow_epochs`` / ``injection`` other
    than the defaults are tagged into the result keys (``nominal+os10+fe40|cathode|…``).
    """
    CLASSIFIER["classifier"] = classifier
    FLOW["flow_epochs"] = flow_epochs
    FLOW["oversample"] = oversample
    s = load_samples(root, max_chunks)
    test = EventSet.concat([_sr_only(s.test), _sr_only(s.sig_test)])
    y = test.is_signal.astype(int)
    b_sr = int(in_sr(s.data).sum())
    print(f"chunks {s.chunks}: data {len(s.data)} (SR {b_sr}), extra {len(s.extra)}, "
          f"test SR {int((y == 0).sum())} bkg + {int(y.sum())} sig", flush=True)
    if part == "sliding":
        sliding(s)
        return
    if part == "scan":
        plan = [(m, n, 0) for n in SCAN for m in SCAN_METHODS]
    else:
        methods = METHODS if part == "nominal" else [m for m in METHODS if m != "per_jet"]
        plan = [(m, injection, sd) for sd in range(seeds) for m in methods
                if m in (only or methods)]
    feat = "correlated" if part == "correlated" else "nominal"
    tag = "" if classifier == "hgb" else f"+{classifier}"
    tag += "" if oversample == 4.0 else f"+os{oversample:g}"
    tag += "" if flow_epochs == 20 else f"+fe{flow_epochs}"
    tag += "" if injection == 1000 or part == "scan" else f"+inj{injection}"
    for method, n_equiv, seed in plan:
        key = f"{feat}{tag}|{method}|{n_equiv}|{seed}|{s.chunks}"
        if key in _load_results():
            continue
        data = inject(s, n_equiv)
        t0 = time.perf_counter()
        sculpt = s.test if method in SCULPT_METHODS else None
        out = train_and_score(method, s, data, test, feat, seed, sculpt)
        score, jsd = (out, 0.0) if sculpt is None else (
            out[0], sculpting_jsd(s.test.column("mjj"), out[1]))
        value: dict[str, Any] = {
            "max_sic": max_sic(y, score, min_background=MIN_BKG), "auc": auc(y, score),
            "seconds": round(time.perf_counter() - t0, 1), "b_sr": b_sr,
            "s_sr": n_signal_sr(n_equiv, b_sr)}
        if sculpt is not None:
            value["jsd"] = jsd
        if seed == 0:
            value["curve"] = _curve(y, score)
        _save_result(key, value, part)
        print(f"{key}: max SIC {value['max_sic']:.2f}  AUC {value['auc']:.3f}  "
              + (f"1/JSD {1 / max(jsd, 1e-12):.0f}  " if sculpt is not None else "")
              + f"{value['seconds']} s", flush=True)


def _in(es: EventSet, lo: float, hi: float) -> EventSet:
    mjj = es.column("mjj")
    return es.select(np.flatnonzero((mjj >= lo) & (mjj < hi)))


def sliding(s: Samples) -> None:
    """Sliding SR scan: each window trained on half the data, counted on the other half.

    The method is trained with every window in turn as its SR (default injection).  A cut
    keeping ``SLIDING_EFF_B`` of the independent test background in that window (a truth-based
    threshold: the benchmark's simplification of the background estimate) is applied to the
    *other* half of the data; the excess over ``SLIDING_EFF_B × background count`` is the
    window's significance.  Only the window holding the signal should show one.
    """
    data = inject(s, 1000)
    perm = np.random.default_rng(1).permutation(len(data))
    a, b = data.select(np.sort(perm[::2])), data.select(np.sort(perm[1::2]))
    for lo, hi in WINDOWS:
        for method in SLIDING_METHODS:
            key = f"sliding|{method}|{lo:.0f}-{hi:.0f}|0|{s.chunks}"
            if key in _load_results():
                continue
            t0 = time.perf_counter()
            params: dict[str, Any] = {"signal_region": [lo, hi], **CLASSIFIER}
            if method == "cathode":
                params.update(FLOW)
            det = make(method, seed=0, **params).fit(
                features(a, "nominal"), observable=a.column("mjj"), sample_weight=np.ones(len(a)))
            test = EventSet.concat([_in(s.test, lo, hi), _in(s.sig_test, lo, hi)])
            y = test.is_signal.astype(int)
            st = det.score(features(test, "nominal"))
            thr = float(np.quantile(st[y == 0], 1 - SLIDING_EFF_B))
            bw = _in(b, lo, hi)
            passed = det.score(features(bw, "nominal")) > thr
            expected = SLIDING_EFF_B * float((~bw.is_signal).sum())
            value = {"max_sic": max_sic(y, st, min_background=MIN_BKG),
                     "n_pass": int(passed.sum()), "expected": expected,
                     "z": float((int(passed.sum()) - expected) / np.sqrt(expected)),
                     "signal_pass": int((passed & bw.is_signal).sum()),
                     "signal_in_window": int(bw.is_signal.sum()),
                     "seconds": round(time.perf_counter() - t0, 1)}
            _save_result(key, value, "sliding")
            print(f"{key}: {value}", flush=True)


def _injection(feat: str) -> int:
    """The injection of a feature tag (``nominal+inj5000`` -> 5000; default 1000)."""
    tags = [t[3:] for t in feat.split("+")[1:] if t.startswith("inj")]
    return int(tags[0]) if tags else 1000


def _median(results: dict[str, Any], feat: str, method: str, chunks: int) -> float:
    vals = [v["max_sic"] for k, v in results.items()
            if k.startswith(f"{feat}|{method}|{_injection(feat)}|") and k.endswith(f"|{chunks}")]
    return float(np.median(vals)) if vals else float("nan")


def _table(results: dict[str, Any], feat: str, chunks: int) -> list[str]:
    inj = _injection(feat)
    sculpt = any("jsd" in v for k, v in results.items()
                 if k.startswith(f"{feat}|") and k.endswith(f"|{chunks}"))
    extra = " median 1/JSD (20 % cut) | min–max |" if sculpt else ""
    rows = ["| method | median max SIC | min–max | AUC | ratio to supervised | s/fit |" + extra,
            "|---|---|---|---|---|---|" + ("---|---|" if sculpt else "")]
    # a variant run of some methods (e.g. nominal+os10+fe40) is compared with its base's
    # supervised reference, unless the variant ran its own (the supervised classifier does not
    # depend on the injection)
    ref = _median(results, feat, "supervised", chunks)
    med: dict[str, float] = {"supervised": ref if np.isfinite(ref) else _median(
        results, feat.split("+")[0], "supervised", chunks)}
    for m in METHODS:
        vals = [v for k, v in results.items()
                if k.startswith(f"{feat}|{m}|{inj}|") and k.endswith(f"|{chunks}")]
        if not vals:
            continue
        sic = np.array([v["max_sic"] for v in vals])
        med[m] = float(np.median(sic))
        ratio = med[m] / med["supervised"]
        row = (f"| {m} | {med[m]:.2f} | {sic.min():.2f}–{sic.max():.2f} | "
               f"{np.median([v['auc'] for v in vals]):.3f} | {ratio:.2f} | "
               f"{np.median([v['seconds'] for v in vals]):.0f} |")
        if sculpt:
            inv = np.array([1 / max(v["jsd"], 1e-12) for v in vals if "jsd" in v])
            row += (f" {np.median(inv):.0f} | {inv.min():.0f}–{inv.max():.0f} |" if len(inv)
                    else " | |")
        rows.append(row)
    return rows


def report(plot: Path | None) -> None:
    """Print the tables from ``benchmarks/out/rnd.json`` and draw the SIC curves."""
    results = _load_results()
    chunks = max(int(k.rsplit("|", 1)[1]) for k in results)
    b_sr = next((v["b_sr"] for k, v in results.items()
                 if k.endswith(f"|{chunks}") and "b_sr" in v), 0)
    print(f"background chunks: {chunks} × 50k generated; data SR background {b_sr}; "
          f"injection 1000 R&D-equivalent = {n_signal_sr(1000, b_sr)} SR signal events "
          f"(S/B {SB_PER_1000:.2%}, S/√B {n_signal_sr(1000, b_sr) / np.sqrt(b_sr):.2f})\n")
    feats = sorted({k.split("|")[0] for k in results
                    if k.split("|")[2] == str(_injection(k.split("|")[0]))
                    and k.endswith(f"|{chunks}") and "+mlp" not in k},
                   key=lambda f: (f.split("+")[0] != "nominal", f))
    for feat in feats:
        print(f"### {feat} features\n")
        print("\n".join(_table(results, feat, chunks)) + "\n")
    print("### injection scan (seed 0): max SIC\n")
    print("| injected (R&D-equiv.) | S/B in SR | " + " | ".join(SCAN_METHODS) + " |")
    print("|---|---|" + "---|" * len(SCAN_METHODS))
    for n in SCAN:
        cells = [results.get(f"nominal|{m}|{n}|0|{chunks}", {}).get("max_sic", float("nan"))
                 for m in SCAN_METHODS]
        print(f"| {n} | {SB_PER_1000 * n / 1000:.2%} | "
              + " | ".join(f"{c:.2f}" for c in cells) + " |")
    sizes = sorted({int(k.rsplit("|", 1)[1]) for k in results if k.startswith("nominal|")})
    if len(sizes) > 1:
        print("\n### background size (seed 0, default injection, S/B in the SR fixed)\n")
        print("| chunks | data SR background | S/√B | supervised | idealized | cathode | cwola |"
              " cathode / supervised | cwola / supervised |")
        print("|---|---|---|---|---|---|---|---|---|")
        for c in sizes:
            v = {m: results.get(f"nominal|{m}|1000|0|{c}", {}).get("max_sic", float("nan"))
                 for m in ("supervised", "idealized", "cathode", "cwola")}
            b = next((r["b_sr"] for k, r in results.items()
                      if k.startswith("nominal|") and k.endswith(f"|{c}")), 0)
            print(f"| {c} | {b} | {n_signal_sr(1000, b) / np.sqrt(max(b, 1)):.2f} | "
                  + " | ".join(f"{v[m]:.2f}" for m in v)
                  + f" | {v['cathode'] / v['supervised']:.2f} | "
                  f"{v['cwola'] / v['supervised']:.2f} |")
    print("\n### sliding SR scan (seed 0; trained on half the data, counted on the other)\n")
    print(f"| SR window [GeV] | method | max SIC (test) | data passing the {SLIDING_EFF_B:.0%} "
          "cut | expected background | excess Z | true signal passing / in window |")
    print("|---|---|---|---|---|---|---|")
    for lo, hi in WINDOWS:
        for m in SLIDING_METHODS:
            row = results.get(f"sliding|{m}|{lo:.0f}-{hi:.0f}|0|{chunks}")
            if row:
                print(f"| {lo:.0f}–{hi:.0f} | {m} | {row['max_sic']:.2f} | {row['n_pass']} | "
                      f"{row['expected']:.0f} | {row['z']:.1f} | {row['signal_pass']} / "
                      f"{row['signal_in_window']} |")
    if plot:
        _plot(results, chunks, plot)


def _plot(results: dict[str, Any], chunks: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    for ax, feat in zip(axes[:2], ("nominal", "correlated"), strict=True):
        for m in METHODS:
            v = results.get(f"{feat}|{m}|1000|0|{chunks}")
            if v and "curve" in v:
                ax.plot(v["curve"]["eps_s"], v["curve"]["sic"], label=m)
        ax.set(xlabel="signal efficiency ε_S", ylabel="SIC = ε_S / √ε_B",
               title=f"{feat} features, default injection, seed 0")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    ax = axes[2]
    for m in SCAN_METHODS:
        pts = [(100 * SB_PER_1000 * n / 1000, results[f"nominal|{m}|{n}|0|{chunks}"]["max_sic"])
               for n in SCAN if f"nominal|{m}|{n}|0|{chunks}" in results]
        if pts:
            ax.plot(*zip(*pts, strict=True), "o-", label=m)
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set(xlabel="S/B in the signal region [%]", ylabel="max SIC", title="signal-injection scan")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--root", type=Path, default=Path("data/rnd"))
    r.add_argument("--part", choices=["nominal", "correlated", "scan", "sliding"],
                   default="nominal")
    r.add_argument("--seeds", type=int, default=3)
    r.add_argument("--max-chunks", type=int, default=None)
    r.add_argument("--classifier", choices=["mlp", "hgb"], default="hgb",
                   help="classifier of cwola / cathode / idealized / supervised")
    r.add_argument("--methods", nargs="+", default=None, help="run only these methods")
    r.add_argument("--oversample", type=float, default=4.0, help="cathode samples per SR event")
    r.add_argument("--flow-epochs", type=int, default=20)
    r.add_argument("--injection", type=int, default=1000,
                   help="R&D-equivalent injected signal events (1000 = the R&D's S/B)")
    p = sub.add_parser("report")
    p.add_argument("--plot", type=Path, default=None)
    args = ap.parse_args()
    if args.cmd == "run":
        run(args.root, args.part, args.seeds, args.max_chunks, args.classifier, args.methods,
            args.oversample, args.flow_epochs, args.injection)
    else:
        report(args.plot)


if __name__ == "__main__":
    main()
