"""Robustness to the simulation→data shift: plain vs invariance options of torch detectors.

Options per detector (``ae``, ``vae``, ``flow``): plain; ``invariance="adversarial"``
(λ = 1, 10); ``invariance="irm"`` (λ = 10, 100); ``nuisance_param`` (the JES shift ν as a
conditioning input, ν = 0 / +1 / −1 for sim / JES up / JES down), scored profiled (min over
the ν grid) and marginalised (Gaussian prior of width 1 over it), on the training ν and on
ν ∈ [−2, 2] in steps of 0.5 — one fit, four scores.

Protocol (honest transfer: the environments used in training never include ``data``):

* training background: the first half of ``qcd_sim`` (environment 0) plus ``qcd_jes_up`` (1)
  and ``qcd_jes_down`` (2), the JES ±1σ variants — the plain model is trained on the same
  events without environment labels;
* the cut is fixed on held-out sim (the second half of ``qcd_sim``, plus ``qcd_sim_test`` if
  present) at background efficiency ε_B = 1e-2, 1e-1, 3e-1;
* applied to the ``data`` variant (``qcd_data`` plus ``qcd_data_test`` if present: the
  data-like tune, JES +1.5σ, 20 % worse resolution, never seen in training): the signed drift
  ``ε_B(data)/ε_B(sim) − 1`` (the false-alarm change that fakes or hides a bump) and its
  statistical σ (Poisson bootstrap of the sim and data events, 200 replicas, per fit);
* max SIC (in-sample, >= 20 effective background events) on sim (held-out sim vs
  ``wprime_sim`` / ``xy_sim``) and on data (data vs ``wprime_data`` / ``xy_data``);
* 1/JSD of the data mjj distribution passing vs failing the cut at ε_S = 0.5 (W' signal).

Target (issue 18): the best option halves the false-alarm drift of the plain model at
<= 10 % loss of max SIC (data).  Events are unweighted (the samples' weights are uniform).
Metrics are means over ``--seeds`` (default 3), with the seed spread of the drift.  Run:
``nice -n 19 python benchmarks/robustness.py [--data data/robust] > log``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.detectors.torchbase import TorchDetector
from sciood.metrics import max_sic, sculpting_jsd
from sciood.represent.hlf import high_level_features

torch.set_num_threads(1)

DETECTORS = ("ae", "vae", "flow")
#: (label, make() keyword arguments beyond the detector's own, scorings of that one fit)
OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("plain", {}),
    ("adversarial λ=1", {"invariance": "adversarial", "invariance_strength": 1.0}),
    ("adversarial λ=10", {"invariance": "adversarial", "invariance_strength": 10.0}),
    ("irm λ=10", {"invariance": "irm", "invariance_strength": 10.0}),
    ("irm λ=100", {"invariance": "irm", "invariance_strength": 100.0}),
    ("nuisance_param", {}),
)
#: nuisance_param scorings of one fit: (inference, ν grid); None = the training ν (−1, 0, 1);
#: the wide grid (±2σ in steps of 0.5) also reaches the data's JES shift (+1.5σ)
SCORINGS: tuple[tuple[str, list[float] | None], ...] = (
    ("profile", None), ("marginal", None),
    ("profile", [x / 2 for x in range(-4, 5)]), ("marginal", [x / 2 for x in range(-4, 5)]))
EFFS = (1e-2, 1e-1, 3e-1)
N_BOOT = 200
BOOT_SEED = 2026
#: nuisance value of each training environment (0 = sim, 1 = JES up, 2 = JES down)
NU_OF_ENV = [0.0, 1.0, -1.0]

Sample = tuple[np.ndarray, np.ndarray]  # (features (n, d), mjj (n,))


def features(es: EventSet, feats: str) -> np.ndarray:
    """High-level feature matrix ``(n, d)`` of ``es``."""
    return np.asarray(high_level_features(es, feats), dtype=np.float64)


def load(data: Path, names: list[str], feats: str) -> Sample:
    """Features and mjj of the named samples under ``data`` that exist, concatenated."""
    sets = [EventSet.read(data / n) for n in names if (data / n).exists()]
    return (np.vstack([features(s, feats) for s in sets]),
            np.concatenate([np.asarray(s.column("mjj")) for s in sets]))


def drift_at(s_sim: np.ndarray, s_data: np.ndarray, eff: float) -> tuple[float, np.ndarray]:
    """Signed drift ``ε_B(data)/ε_B(sim) − 1`` at the cut giving ``eff`` on the sim scores,
    and its :data:`N_BOOT` Poisson-bootstrap replicas (the cut re-fixed on every sim replica).

    The replicas' event weights come from a fixed seed, so replica ``k`` reweights the same
    events for every fit: averaged over seeds and subtracted between options they give the
    statistical σ of the seed mean and of a difference of drifts (paired bootstrap).
    """
    order = np.argsort(s_sim)[::-1]  # descending sim scores (the same for every replica)
    top = s_sim[order]

    def one(ws: np.ndarray, wd: np.ndarray) -> float:
        cw = np.cumsum(ws[order])  # sim weight at or above each sorted score
        cut = top[min(int(np.searchsorted(cw, eff * ws.sum())), len(cw) - 1)]
        e_sim = float(ws[s_sim > cut].sum() / ws.sum())
        return float(wd[s_data > cut].sum() / wd.sum()) / e_sim - 1.0

    rng = np.random.default_rng(BOOT_SEED)
    boots = [one(rng.poisson(1.0, len(s_sim)).astype(float),
                 rng.poisson(1.0, len(s_data)).astype(float)) for _ in range(N_BOOT)]
    return one(np.ones(len(s_sim)), np.ones(len(s_data))), np.asarray(boots)


def evaluate(score: Callable[[np.ndarray], np.ndarray], bg_sim: np.ndarray, bg_data: Sample,
             signals: dict[str, tuple[np.ndarray, Sample]], seed: int) -> dict[str, Any]:
    """Max SIC (sim, data) per signal, ε_B drift at the sim-fixed cuts, 1/JSD (W' cut)."""
    s_bs, s_bd = score(bg_sim), score(bg_data[0])
    out: dict[str, Any] = {}
    for tag, (x_ss, (x_sd, mjj_sig)) in signals.items():
        s_ss, s_sd = score(x_ss), score(x_sd)
        y_s = np.r_[np.zeros(len(s_bs)), np.ones(len(s_ss))]
        y_d = np.r_[np.zeros(len(s_bd)), np.ones(len(s_sd))]
        out[f"sic_sim_{tag}"] = max_sic(y_s, np.r_[s_bs, s_ss], min_background=20)
        out[f"sic_data_{tag}"] = max_sic(y_d, np.r_[s_bd, s_sd], min_background=20)
        if tag == "wprime":
            sj = sculpting_jsd(y_d, np.r_[s_bd, s_sd], np.r_[bg_data[1], mjj_sig], eff_s=0.5,
                               seed=seed)
            out["inv_jsd"] = sj.inv_jsd
    for eff in EFFS:
        out[f"drift@{eff:g}"], out[f"boot@{eff:g}"] = drift_at(s_bs, s_bd, eff)
    return out


def fit(name: str, label: str, extra: dict[str, Any], seed: int, epochs: int,
        X: np.ndarray, env: np.ndarray) -> TorchDetector:
    """One fit of ``name`` with option ``label``."""
    common = {"seed": seed, "epochs": epochs, "batch_size": 128}
    if label == "nuisance_param":
        own = {"base": name, "nuisance_values": NU_OF_ENV, "prior_width": 1.0}
        if name == "flow":  # the plain flow's architecture
            own |= {"hidden": [64, 64], "transforms": 4}
        det = make("nuisance_param", **common, **own)
        assert isinstance(det, TorchDetector)
        return det.fit(X, environment=env)
    det = make(name, **common, **extra)
    assert isinstance(det, TorchDetector)
    return det.fit(X, environment=env if extra else None)


def run(data: Path, feats: str, epochs: int, seeds: list[int]) -> list[dict[str, Any]]:
    """One row per (detector, option, scoring)."""
    sim = EventSet.read(data / "qcd_sim")
    X_sim = features(sim, feats)
    half = len(X_sim) // 2
    X_up, X_down = (features(EventSet.read(data / n), feats)
                    for n in ("qcd_jes_up", "qcd_jes_down"))
    X_train = np.vstack([X_sim[:half], X_up, X_down])
    env = np.r_[np.zeros(half, int), np.ones(len(X_up), int), np.full(len(X_down), 2)]
    extra_sim = load(data, ["qcd_sim_test"], feats)[0] if (data / "qcd_sim_test").exists() \
        else np.zeros((0, X_sim.shape[1]))
    bg_sim = np.vstack([X_sim[half:], extra_sim])
    bg_data = load(data, ["qcd_data", "qcd_data_test"], feats)
    print(f"training: {half} sim + {len(X_up)} JES up + {len(X_down)} JES down; held-out sim "
          f"{len(bg_sim)}; data {len(bg_data[0])}")
    print("| " + " | ".join(COLS) + " |")
    print("|" + "---|" * len(COLS))
    signals = {tag: (features(EventSet.read(data / f"{tag}_sim"), feats),
                     load(data, [f"{tag}_data"], feats)) for tag in ("wprime", "xy")}
    rows: list[dict[str, Any]] = []
    for name in DETECTORS:
        for label, extra in OPTIONS:
            t0 = time.time()
            per: dict[str, list[dict[str, Any]]] = {}
            for sd in seeds:
                det = fit(name, label, extra, sd, epochs, X_train, env)
                for mode, grid in (SCORINGS if label == "nuisance_param" else (("", None),)):
                    if mode:  # scoring only: the same fitted network
                        det.inference, det.grid = mode, grid
                    tag = " ν∈[-2,2]" if grid else ""
                    per.setdefault(f"{label} {mode}{tag}".strip(), []).append(
                        evaluate(det.score, bg_sim, bg_data, signals, sd))
            sec = (time.time() - t0) / len(per)
            for opt, results in per.items():
                row = summarise(name, opt, results)
                row["sec"] = sec
                rows.append(row)
                print(fmt(row), flush=True)
    return rows


def summarise(name: str, opt: str, per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    """Means over seeds; per drift its statistical σ (bootstrap of the seed mean), its seed
    spread (std over seeds, ddof=1) and the seed-mean replicas (``boot@``, for the verdict)."""
    row: dict[str, Any] = {"detector": name, "option": opt}
    for k in per_seed[0]:
        row[k] = np.mean([p[k] for p in per_seed], axis=0)
    for eff in EFFS:
        d = [p[f"drift@{eff:g}"] for p in per_seed]
        row[f"seedsd@{eff:g}"] = float(np.std(d, ddof=1)) if len(d) > 1 else 0.0
        row[f"stat@{eff:g}"] = float(np.std(row[f"boot@{eff:g}"], ddof=1))
    return row


COLS = ("detector", "option", "sic_sim_wprime", "sic_data_wprime", "sic_sim_xy", "sic_data_xy",
        "drift@0.01", "stat@0.01", "drift@0.1", "stat@0.1", "seedsd@0.1",
        "drift@0.3", "stat@0.3", "inv_jsd", "sec")


def fmt(row: dict[str, Any]) -> str:
    """One markdown table row."""
    cells = [row[c] if isinstance(row[c], str) else f"{float(row[c]):.3g}" for c in COLS]
    return "| " + " | ".join(str(c) for c in cells) + " |"


def verdict(rows: list[dict[str, Any]], n_seeds: int) -> list[str]:
    """Per working point, detector and option: the drift against the plain model's, with the
    σ of the difference (paired bootstrap ⊕ seed spreads / √n_seeds), and the worst max SIC
    (data) loss.  The target is met only if the plain drift is measurable (> 2σ), the option
    halves it, the reduction exceeds 2σ of the difference and max SIC drops by <= 10 %."""
    out = []
    for eff in EFFS:
        k, b, sd = f"drift@{eff:g}", f"boot@{eff:g}", f"seedsd@{eff:g}"
        for name in DETECTORS:
            mine = [r for r in rows if r["detector"] == name]
            plain = mine[0]
            d0 = abs(float(plain[k]))
            noise0 = float(np.hypot(plain[f"stat@{eff:g}"], plain[sd] / np.sqrt(n_seeds)))
            measurable = d0 > 2 * noise0
            out.append(f"ε_B={eff:g} {name} plain: drift {float(plain[k]):+.3f} ± {noise0:.3f} "
                       f"({'measurable' if measurable else 'NOT measurable beyond noise'})")
            for r in mine[1:]:
                d = abs(float(r[k]))
                diff_sd = float(np.hypot(np.std(np.abs(plain[b]) - np.abs(r[b]), ddof=1),
                                         np.hypot(plain[sd], r[sd]) / np.sqrt(n_seeds)))
                loss = max(1.0 - float(r[f"sic_data_{t}"]) / float(plain[f"sic_data_{t}"])
                           for t in ("wprime", "xy"))
                met = measurable and d <= 0.5 * d0 and d0 - d > 2 * diff_sd and loss <= 0.10
                out.append(f"ε_B={eff:g} {name} {r['option']}: |drift| {d:.3f} (reduction "
                           f"{d0 - d:+.3f} ± {diff_sd:.3f}), worst max SIC (data) loss "
                           f"{100 * loss:+.1f} % -> target {'MET' if met else 'not met'}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/robust"))
    ap.add_argument("--features", default="physics")
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = ap.parse_args()
    rows = run(args.data, args.features, args.epochs, args.seeds)
    print()
    for line in verdict(rows, len(args.seeds)):
        print(line)


if __name__ == "__main__":
    main()
