"""Throughput and cost of the set encoders: Deep Sets / transformer vs the ParT-style encoder.

Usage::

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/encoders.py \
        --background data/robust/qcd_sim --signal data/robust/wprime_sim \
        [--n-train 2000] [--epochs 3] [--caps 30 100] [--encoders deepsets transformer part]

For each (encoder, cap): ``set_ae`` with that encoder and ``max_particles`` is trained on the
first ``--n-train`` QCD events (unit weights) and scores the remaining QCD events and the
signal.  Printed per row: the fraction of leading jets the cap truncates, training time,
train events/s (events x epochs / time), score events/s, the size of the set array, peak
RSS of the process so far (monotonic: rows are run in the order given), and the AUROC with
the signal positive.  One torch thread; device = the library's pick (CUDA when present).
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.metrics import auc
from sciood.represent.sets import particle_sets, truncated_fraction


def _row(bkg_train: EventSet, bkg_test: EventSet, sig: EventSet, encoder: str, cap: int,
         epochs: int) -> dict[str, float | str | int]:
    test = EventSet.concat([bkg_test, sig])
    y = np.r_[np.zeros(len(bkg_test)), np.ones(len(sig))]
    det = make("set_ae", encoder=encoder, max_particles=cap, epochs=epochs, seed=0)
    t0 = time.perf_counter()
    det.fit(bkg_train, sample_weight=np.ones(len(bkg_train)))
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    s = det.score(test)
    t_score = time.perf_counter() - t0
    mb = particle_sets(bkg_train, max_particles=cap).nbytes / 2**20
    return {
        "encoder": encoder, "cap": cap,
        "trunc": truncated_fraction(bkg_train, cap),
        "fit_s": t_fit, "train_ev_s": len(bkg_train) * epochs / t_fit,
        "score_ev_s": len(test) / t_score, "set_MB": mb,
        "rss_MB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "auroc": auc(y, s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--background", default="data/robust/qcd_sim")
    ap.add_argument("--signal", default="data/robust/wprime_sim")
    ap.add_argument("--n-train", type=int, default=2000)
    ap.add_argument("--n-test", type=int, default=1500)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--caps", type=int, nargs="+", default=[30, 100])
    ap.add_argument("--encoders", nargs="+", default=["deepsets", "transformer", "part"])
    a = ap.parse_args()
    torch.set_num_threads(1)
    bkg = EventSet.read(a.background)
    sig = EventSet.read(a.signal)
    n = a.n_train
    train = bkg.select(np.arange(n))
    test = bkg.select(np.arange(n, min(len(bkg), n + a.n_test)))
    sig = sig.select(np.arange(min(len(sig), a.n_test)))
    cols = ["encoder", "cap", "trunc", "fit_s", "train_ev_s", "score_ev_s", "set_MB",
            "rss_MB", "auroc"]
    print(f"train {len(train)} QCD, test {len(test)} QCD + {len(sig)} signal, "
          f"{a.epochs} epochs, torch threads {torch.get_num_threads()}")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for cap in a.caps:
        for enc in a.encoders:
            r = _row(train, test, sig, enc, cap, a.epochs)
            print("| " + " | ".join(f"{r[c]:.3g}" if isinstance(r[c], float) else str(r[c])
                                    for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
