"""The inverted task (complexity bias) for every density / autoencoder model, in one run.

Usage::

    python benchmarks/complexity_bias.py --background data/bench/qcd_agg \
        --signals data/bench [--names zprime_tt wprime_wz_80] [--max-signal 1500]

A density or reconstruction model trained on one kind of jet should call the *other* kind
anomalous, whichever way round.  Known failure (Nalisnick et al. 2019 for images; Dillon et al.
2021 for jets): models prefer "simple" inputs, so trained on complex jets (tops) they still
find simple QCD jets typical.  For each model and signal both directions, AUROC with the
anomaly class as positive (0.5 = blind, < 0.5 = the model prefers the anomaly):

* **normal**: train on the QCD train half, anomalies = the signal, normal = QCD test half;
* **inverted**: train on the signal's first half, anomalies = the QCD test half, normal =
  the signal's second half.

The models are the sciood density / autoencoder rows with default settings (plus the run's
default detector); no choice is made per signal.  Unit weights in the inverted task (the
signal sample is unweighted); QCD's cross-section weights in the normal one.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))
from detectors import concat, halves
from sciood.data.eventset import EventSet
from sciood.detectors import DEFAULT_DETECTOR, make
from sciood.metrics import auc

warnings.simplefilter("ignore")
torch.set_num_threads(1)

#: label -> (registry name, params): every density / autoencoder family at its defaults
MODELS: dict[str, tuple[str, dict[str, Any]]] = {
    "gmm/physics": ("gmm", {"features": "physics"}),
    "flow/physics": ("flow", {"features": "physics"}),
    "ae/physics": ("ae", {"features": "physics"}),
    "vae/physics": ("vae", {"features": "physics"}),
    "per_jet(flow,copula,min)": ("per_jet", {"base": "flow", "aggregate": "min"}),
    "per_jet(flow,copula,stouffer)": ("per_jet", {"base": "flow", "aggregate": "stouffer"}),
    "default": (str(DEFAULT_DETECTOR["name"]), dict(DEFAULT_DETECTOR["params"])),
}


def fitted(name: str, params: dict[str, Any], train: EventSet,
           weighted: bool) -> tuple[Any, float]:
    """The model fitted on ``train`` and its fit time [s]."""
    t0 = time.perf_counter()
    det = make(name, seed=0, **params).fit(
        train, sample_weight=train.weights if weighted else np.ones(len(train)))
    return det, time.perf_counter() - t0


def auroc(det: Any, normal: EventSet, anomalous: EventSet, weighted: bool) -> float:
    """AUROC with the anomalies positive (normal events weighted by cross-section if asked)."""
    test = concat([normal, anomalous])
    y = np.r_[np.zeros(len(normal), int), np.ones(len(anomalous), int)]
    w = np.r_[normal.weights if weighted else np.ones(len(normal)), np.ones(len(anomalous))]
    return float(auc(y, det.score(test), sample_weight=w))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--background", type=Path, default=Path("data/bench/qcd_agg"))
    ap.add_argument("--signals", type=Path, default=Path("data/bench"))
    ap.add_argument("--names", nargs="+", default=["zprime_tt", "wprime_wz_80"])
    ap.add_argument("--max-signal", type=int, default=1500)
    ap.add_argument("--only", nargs="*", default=None, help="model labels to run")
    args = ap.parse_args()

    qcd_train, qcd_test = halves(EventSet.read(args.background), 0)
    signals = {}
    for n in args.names:
        es = EventSet.read(args.signals / n)
        signals[n] = halves(es.select(np.arange(min(len(es), args.max_signal))), 1)
    print(f"qcd train {len(qcd_train)}, test {len(qcd_test)}; signals "
          + ", ".join(f"{k} {len(a)}+{len(b)}" for k, (a, b) in signals.items()))
    print("\n| model | " + " | ".join(f"{s} normal | {s} inverted" for s in signals)
          + " | fit s (QCD) |")
    print("|---|" + "---|---|" * len(signals) + "---|")
    for label, (name, params) in MODELS.items():
        if args.only and label not in args.only:
            continue
        on_qcd, fit_s = fitted(name, params, qcd_train, weighted=True)
        cells = []
        for sig_a, sig_b in signals.values():
            normal = auroc(on_qcd, qcd_test, concat([sig_a, sig_b]), weighted=True)
            on_sig, _ = fitted(name, params, sig_a, weighted=False)
            inverted = auroc(on_sig, sig_b, qcd_test, weighted=False)
            cells += [f"{normal:.3f}", f"{inverted:.3f}"]
        print(f"| {label} | " + " | ".join(cells) + f" | {fit_s:.0f} |", flush=True)


if __name__ == "__main__":
    main()
