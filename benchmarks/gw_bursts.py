"""GW bursts side by side: sciood detectors vs excess power vs PyOD, at a false-alarm rate.

Usage::

    nice -n 19 env OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 \
        .venv/bin/python benchmarks/gw_bursts.py [--data data/gw] [--n-slides 1199] \
        [--far 1 0.1] [--detectors gmm flow ae] [--skip-pyod] [--json out.json]

Protocol (issue 20, "side by side in one run")
----------------------------------------------
* Background windows (noise + glitches, weights = windows per day, so rate-weighted) of the
  ``sim`` variant: a *training* set (seed 12) and a *slide* set (seed 11, the one cached by
  the domain's author under ``data/gw/bench_<variant>_<process>``); signals: 150 windows per
  family (seed 21), h_rss drawn by the catalogue.
* Every detector trains once, on the expert features of the ``sim`` training windows with
  their rate weights: sciood's ``make(name)`` (the per-class contract is domain-free) and PyOD
  through sciood's adapter (``pyod:IForest``, ``pyod:KNN``, ``pyod:ECOD``; PyOD takes no
  weights, so ``weighting="resample"``: a seeded resample ∝ rate).  The excess-power baseline
  (``loudest_tile``, the loudest coincident time–frequency tile) needs no training.
* Background at the working point: the slide set with L1 shifted against H1 by
  ``k = 1 … K`` windows (``K n`` pairs, weights from
  :func:`~sciood.domains.gw.slide_pairs`, Σ = the total window rate).  The pairs' expert
  features come from a fast slide path (:func:`slid_features`: the per-detector Q-planes are
  computed once per window; only the H1–L1 cross-correlation is per pair) that equals
  :func:`~sciood.domains.gw.time_slides` (checked on ``--check`` pairs at start-up; the
  maximum difference is printed), and the excess power from
  :func:`~sciood.domains.gw.excess_power_slides`.  Threshold at FAR ``f`` per day: the
  smallest score whose weighted slid count above it is ≤ ``f``.
* Per signal family: efficiency (fraction of windows above threshold) in 8 equal bins of
  log10 h_rss, made non-decreasing, and h_rss at 50 % efficiency by linear interpolation in
  log h_rss (``not reached`` when the top bin stays below 50 %).
* Per glitch class: the fraction of its (unslid, rate-weighted) windows flagged at the FAR.
* ``data`` variant (O3-like PSD, changed glitch rates): the same trained detectors with
  the thresholds fixed on ``sim``: the realised FAR on ``data``'s own time slides (the FAR
  drift), efficiencies at those thresholds, and h_rss50 with thresholds re-derived on
  ``data``'s slides (what a re-tuned search reaches).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.domains.gw import (
    BACKGROUNDS,
    BASELINE_COLUMN,
    FEATURES,
    SIGNALS,
    generate_gw,
    slide_pairs,
    time_slides,
)
from sciood.domains.gw.features import N_FREQ, N_POOL, Q_PLANES, _pool, _weighted_span
from sciood.domains.gw.qtransform import frequencies, qtransform
from sciood.domains.gw.represent import sample_rate, strain_windows
from sciood.errors import DataError

warnings.simplefilter("ignore")
torch.set_num_threads(1)

#: background windows per class in the training and in the slide set (rate weights are
#: carried by the events; the counts only set how well each class is sampled)
BKG = {"gaussian": 900, "blip": 100, "koi_fish": 50, "scattered_light": 100, "whistle": 50}
N_SIGNAL = 150
SEEDS = {"train": 12, "slide": 11, "signal": 21}
#: sciood rows: label -> (registry name, params)
OURS: dict[str, tuple[str, dict[str, Any]]] = {
    "gmm": ("gmm", {}),
    "flow": ("flow", {}),
    "ae": ("ae", {}),
    "mahalanobis": ("mahalanobis", {}),
}
PYOD: dict[str, tuple[str, dict[str, Any]]] = {
    f"pyod {n}": (f"pyod:{n}", {"weighting": "resample"}) for n in ("IForest", "KNN", "ECOD")
}
EXCESS_POWER = "excess power"
_XC_HALF, _MAX_LAG = 0.125, 0.0105  # as sciood.domains.gw.features._xcorr
_CHUNK = 2048


# ------------------------------------------------------------------ data
def load(variant: str, role: str, data: Path) -> EventSet:
    """Background of one variant and role (``train`` / ``slide``), rate-weighted."""
    parts = []
    for proc, n in BKG.items():
        base = "bench" if role == "slide" else "gw-bench-train"
        parts.append(generate_gw(proc, n, seed=SEEDS[role], variant=variant,
                                 out=data / f"{base}_{variant}_{proc}"))
    return EventSet.concat(parts)


def signals(variant: str, data: Path) -> dict[str, EventSet]:
    """150 windows per signal family (weights sum to 1 per family)."""
    return {f: generate_gw(f, N_SIGNAL, seed=SEEDS["signal"], variant=variant,
                           out=data / f"bench_{variant}_{f}") for f in SIGNALS}


# ------------------------------------------------------------------ fast slide features
def per_detector(events: EventSet) -> dict[str, np.ndarray]:
    """The single-detector parts of the expert features, per window and detector.

    Returns
    -------
    dict
        ``zmax, peak_freq, q, duration, bandwidth`` : shape ``(n, 2)``; ``t`` (sample of the
        loudest tile), shape ``(n, 2)``; ``maps`` (pooled Q-planes), ``(n, 2, n_tiles)``.
    """
    x = strain_windows(events).astype(np.float64)
    fs = sample_rate(events)
    freqs = frequencies(fs, N_FREQ)
    n = x.shape[0]
    out = {k: np.empty((n, 2)) for k in ("zmax", "peak_freq", "q", "duration", "bandwidth")}
    out["t"] = np.empty((n, 2), dtype=np.int64)
    maps = np.empty((n, 2, len(Q_PLANES) * N_FREQ * N_POOL),
                    dtype=np.float32)
    for i in range(n):
        planes = [qtransform(x[i], fs, q=q, n_freq=N_FREQ) for q in Q_PLANES]
        stack = np.stack(planes)  # (n_q, 2, F, n_samples)
        maps[i] = _pool(planes).transpose(1, 0, 2, 3).reshape(2, -1)
        for d in range(2):
            zd = stack[:, d]
            k, j, t = np.unravel_index(int(np.argmax(zd)), zd.shape)
            zmax = float(zd.max())
            plane = zd[k]
            rows, cols = np.nonzero(plane >= max(zmax / 4.0, 8.0))
            wts = plane[rows, cols].astype(np.float64)
            out["zmax"][i, d], out["t"][i, d] = zmax, t
            out["peak_freq"][i, d], out["q"][i, d] = freqs[j], Q_PLANES[k]
            out["duration"][i, d] = _weighted_span(cols / fs, wts)
            out["bandwidth"][i, d] = _weighted_span(freqs[rows], wts)
    out["maps"] = maps  # type: ignore[assignment]
    return out


def _xcorr_pairs(h: np.ndarray, v: np.ndarray, centre: np.ndarray,
                 fs: float) -> tuple[np.ndarray, np.ndarray]:
    """``features._xcorr`` of many pairs at once; ``h, v`` shape ``(p, n)``, ``centre`` ``(p,)``."""
    p, n = h.shape
    half, m = int(_XC_HALF * fs), int(np.ceil(_MAX_LAG * fs))
    lo, hi = np.maximum(m, centre - half), np.minimum(n - m, centre + half)
    short = hi - lo < 8
    lo, hi = np.where(short, m, lo), np.where(short, n - m, hi)
    width = int((hi - lo).max())
    s = np.arange(width)
    valid = s[None, :] < (hi - lo)[:, None]
    rows = np.arange(p)[:, None]
    a = np.where(valid, h[rows, np.minimum(lo[:, None] + s, n - 1)], 0.0)
    span = np.arange(width + 2 * m)
    seg = v[rows, np.clip(lo[:, None] - m + span, 0, n - 1)]
    win = np.lib.stride_tricks.sliding_window_view(seg, width, axis=1)  # (p, 2m+1, width)
    c = np.einsum("ps,pts->pt", a, win)
    vv = np.einsum("ps,pts->pt", valid.astype(np.float64), win * win)
    norms = np.sqrt(np.einsum("ps,ps->p", a, a)[:, None] * vv)
    c = np.abs(c / np.maximum(norms, 1e-300))
    best = np.argmax(c, axis=1)
    inner = (best > 0) & (best < c.shape[1] - 1)
    b = np.clip(best, 1, c.shape[1] - 2)
    y0, y1, y2 = c[np.arange(p), b - 1], c[np.arange(p), b], c[np.arange(p), b + 1]
    den = y0 - 2 * y1 + y2
    off = np.where(inner & (den != 0), 0.5 * (y0 - y2) / np.where(den != 0, den, 1.0), 0.0)
    return (best - m + off) / fs, c[np.arange(p), best]


def slid_features(events: EventSet, n_slides: int) -> tuple[EventSet, np.ndarray]:
    """Expert features of every slid pair (as :func:`time_slides`), fast.

    Returns
    -------
    EventSet
        ``n_slides · n`` rows, label ``"timeslide"``, features = the expert features,
        weights = pair weights (windows per day).
    ndarray, shape ``(n_slides · n,)``
        The excess-power statistic of the pairs (``loudest_tile``).
    """
    idx_h, idx_l, _, weight = slide_pairs(events, n_slides)
    det = per_detector(events)
    x = strain_windows(events).astype(np.float64)
    fs = sample_rate(events)
    zh, zl = det["zmax"][idx_h, 0], det["zmax"][idx_l, 1]
    louder_h = zh >= zl  # np.argmax picks H1 on a tie
    feats: dict[str, np.ndarray] = {
        "snr_h1": np.sqrt(2.0 * np.maximum(zh - 1.0, 0.0)),
        "snr_l1": np.sqrt(2.0 * np.maximum(zl - 1.0, 0.0)),
    }
    feats["snr_net"] = np.hypot(feats["snr_h1"], feats["snr_l1"])
    for k in ("peak_freq", "q", "duration", "bandwidth"):
        feats[k] = np.where(louder_h, det[k][idx_h, 0], det[k][idx_l, 1])
    centre = np.where(louder_h, det["t"][idx_h, 0], det["t"][idx_l, 1])
    lag, xc = np.empty(idx_h.size), np.empty(idx_h.size)
    for start in range(0, idx_h.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        lag[sl], xc[sl] = _xcorr_pairs(x[idx_h[sl], 0], x[idx_l[sl], 1], centre[sl], fs)
    feats["lag"], feats["xcorr"] = lag, xc
    maps = det["maps"]
    ep = np.empty(idx_h.size)
    for start in range(0, idx_h.size, _CHUNK):
        sl = slice(start, start + _CHUNK)
        ep[sl] = np.minimum(maps[idx_h[sl], 0], maps[idx_l[sl], 1]).max(axis=1)
    cols: dict[str, pa.Array] = {
        "label": pa.array(np.full(idx_h.size, "timeslide")),
        "is_signal": pa.array(np.zeros(idx_h.size, bool)),
        "weight": pa.array(weight),
        **{k: pa.array(feats[k]) for k in FEATURES},
    }
    return EventSet(pa.table(cols), features=list(FEATURES)), ep


def check_fast_path(events: EventSet, n_pairs: int) -> float:
    """Largest relative difference of :func:`slid_features` vs :func:`time_slides` on a subset."""
    labs = np.asarray(events.labels)
    keep = np.concatenate([np.flatnonzero(labs == c)[: max(2, n_pairs // 5)] for c in BKG])
    sub = events.select(np.isin(np.arange(len(events)), keep))
    fast, ep = slid_features(sub, 1)
    ref = time_slides(sub, 1)
    def rel(a: np.ndarray, b: np.ndarray) -> float:
        return float(np.max(np.abs(a - b) / (1.0 + np.abs(b))))

    diffs = [rel(fast.column(k), ref.column(k)) for k in FEATURES]
    diffs.append(rel(ep, ref.column(BASELINE_COLUMN)))
    worst = float(max(diffs))
    print(f"fast slide path vs time_slides on {len(sub)} pairs: max |Δ|/(1+|ref|) = {worst:.2e} "
          f"(per feature: {', '.join(f'{d:.1e}' for d in diffs)})", flush=True)
    if worst > 1e-5:  # float32 Q-planes: ~1 ulp
        raise DataError(f"the fast slide path differs from time_slides by {worst:.3g}; "
                        "the features module changed — update benchmarks/gw_bursts.py")
    return worst


# ------------------------------------------------------------------ metrics
def threshold_at(scores: np.ndarray, weights: np.ndarray, far_per_day: float) -> float:
    """Smallest threshold whose weighted slid count strictly above it is ≤ ``far_per_day``."""
    o = np.argsort(-scores, kind="stable")
    s, cum = scores[o], np.cumsum(weights[o])
    k = int(np.searchsorted(cum, far_per_day, side="right"))  # cum[k-1] ≤ far < cum[k]
    return float(s[min(k, s.size - 1)])


def realised_far(scores: np.ndarray, weights: np.ndarray, thr: float) -> float:
    """Weighted count per day of background above ``thr``."""
    return float(weights[scores > thr].sum())


def h50(h_rss: np.ndarray, detected: np.ndarray, n_bins: int = 8) -> float:
    """h_rss at 50 % efficiency (log-interpolated), NaN when not reached."""
    lh = np.log10(h_rss)
    edges = np.linspace(lh.min(), lh.max() + 1e-12, n_bins + 1)
    b = np.clip(np.digitize(lh, edges) - 1, 0, n_bins - 1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    eff = np.array([detected[b == i].mean() if np.any(b == i) else np.nan
                    for i in range(n_bins)])
    ok = ~np.isnan(eff)
    c, e = centres[ok], np.maximum.accumulate(eff[ok])
    if e[-1] < 0.5:
        return float("nan")
    if e[0] >= 0.5:
        return float(10 ** c[0])
    return float(10 ** np.interp(0.5, e, c))


def fmt(h: float) -> str:
    return "not reached" if not np.isfinite(h) else f"{h:.2e}"


# ------------------------------------------------------------------ run
def score_all(rows: dict[str, Any], sets: dict[str, EventSet]) -> dict[str, dict[str, np.ndarray]]:
    """``{detector: {set name: scores}}`` of every fitted detector on every set."""
    out: dict[str, dict[str, np.ndarray]] = {}
    for label, det in rows.items():
        t0 = time.perf_counter()
        out[label] = {k: np.asarray(det.score(v), dtype=np.float64) for k, v in sets.items()}
        print(f"  scored {label:14s} in {time.perf_counter() - t0:6.1f} s", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("data/gw"))
    ap.add_argument("--n-slides", type=int, default=None, help="default n - 1")
    ap.add_argument("--far", type=float, nargs="+", default=[1.0, 0.1],
                    help="working points, per day")
    ap.add_argument("--detectors", nargs="+", default=list(OURS))
    ap.add_argument("--skip-pyod", action="store_true")
    ap.add_argument("--check", type=int, default=60, help="pairs checked against time_slides")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    t_start = time.perf_counter()

    train = load("sim", "train", args.data)
    print(f"train: {len(train)} sim background windows, Σw = {train.weights.sum():.0f}/day",
          flush=True)
    fitted: dict[str, Any] = {}
    specs = {k: OURS[k] for k in args.detectors} | ({} if args.skip_pyod else PYOD)
    for label, (name, params) in specs.items():
        t0 = time.perf_counter()
        fitted[label] = make(name, seed=0, features=list(FEATURES), **params).fit(train)
        print(f"  fit {label:14s} in {time.perf_counter() - t0:6.1f} s", flush=True)
    labels = [*fitted, EXCESS_POWER]

    result: dict[str, Any] = {"far_per_day": args.far, "variants": {}}
    thresholds: dict[tuple[str, float], float] = {}
    for variant in ("sim", "data"):
        t0 = time.perf_counter()
        bkg = load(variant, "slide", args.data)
        sig = signals(variant, args.data)
        if variant == "sim" and args.check:
            check_fast_path(bkg, args.check)
        k = args.n_slides or len(bkg) - 1
        slid, ep = slid_features(bkg, k)
        live = len(slid) / 86400
        print(f"\n[{variant}] {len(bkg)} background windows, {k} slides → {len(slid)} pairs "
              f"({live:.1f} d livetime) in {time.perf_counter() - t0:.0f} s", flush=True)
        scores = score_all(fitted, {"slid": slid, "zero": bkg, **sig})
        scores[EXCESS_POWER] = {"slid": ep, "zero": bkg.column(BASELINE_COLUMN),
                                **{f: s.column(BASELINE_COLUMN) for f, s in sig.items()}}
        w_slid = slid.weights
        vres: dict[str, Any] = {"pairs": len(slid), "livetime_days": live, "rows": {}}
        for far in args.far:
            print(f"\n[{variant}] FAR = 1/{1 / far:g} d: h_rss at 50 % efficiency "
                  f"(overall detected fraction)", flush=True)
            fams = list(SIGNALS)
            head = "| detector | thr from | realised FAR/day | " + " | ".join(fams) + " |"
            print(head + "\n|" + "---|" * (3 + len(fams)))
            cls_rows = []
            for label in labels:
                sc = scores[label]
                own = threshold_at(sc["slid"], w_slid, far)
                if variant == "sim":
                    thresholds[(label, far)] = own
                    choices = [("sim", own)]
                else:
                    choices = [("sim (fixed)", thresholds[(label, far)]), ("data", own)]
                for src, thr in choices:
                    far_real = realised_far(sc["slid"], w_slid, thr)
                    cells, rec = [], {}
                    for f in fams:
                        det = sc[f] > thr
                        h = h50(sig[f].column("h_rss"), det)
                        rec[f] = {"h50": h, "eff": float(det.mean())}
                        cells.append(f"{fmt(h)} ({det.mean():.2f})")
                    print(f"| {label} | {src} | {far_real:.3g} | " + " | ".join(cells) + " |",
                          flush=True)
                    vres["rows"][f"{label}|{src}|{far:g}"] = {"thr": thr, "far": far_real,
                                                             **rec}
                    labs = np.asarray(bkg.labels)
                    w0 = bkg.weights
                    frac = {c: float(w0[(labs == c) & (sc["zero"] > thr)].sum()
                                     / w0[labs == c].sum()) for c in BACKGROUNDS}
                    vres["rows"][f"{label}|{src}|{far:g}"]["glitch_fraction"] = frac
                    cls_rows.append(f"| {label} | {src} | " + " | ".join(
                        f"{frac[c]:.3f}" for c in BACKGROUNDS) + " |")
            print(f"\n[{variant}] FAR = 1/{1 / far:g} d: fraction of each background class's "
                  "(unslid) windows flagged")
            print("| detector | thr from | " + " | ".join(BACKGROUNDS) + " |\n|"
                  + "---|" * (2 + len(BACKGROUNDS)))
            print("\n".join(cls_rows), flush=True)
        result["variants"][variant] = vres
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s", flush=True)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float))


if __name__ == "__main__":
    main()
