"""Throughput, memory and detection power of the set encoders (deepsets, transformer, ParT,
Lorentz) in ``set_ae``, per particle cap.

Usage::

    nice -n 19 env OMP_NUM_THREADS=1 python benchmarks/encoders.py \
        --background data/encoders/qcd \
        --signal wprime=data/encoders/wprime --signal zprime_tt=data/encoders/zprime_tt \
        [--n-train 3000] [--n-test 2000] [--epochs 3] [--caps 30 100] \
        [--encoders deepsets transformer part lorentz] [--legacy-block-cap 100]

For each (encoder, cap), in a fresh process (so the peak RSS is that row's own): ``set_ae``
with that encoder and ``max_particles`` is trained on the first ``--n-train`` QCD events
(unit weights) and scores the next ``--n-test`` QCD events and every signal.  Printed per
row: the fraction of the training jets the cap truncates, fit time, train events/s
(events × epochs / fit time), score events/s (QCD test + signals), the scoring block
(:func:`sciood.detectors.part.set_score_block`), the peak RSS after fitting and after
scoring, and per signal the AUROC and max SIC (signal positive; unit weights; max SIC with
at least 50 background events passing, the library default).

With ``--legacy-block-cap C``, rows at cap ``C`` also score once more in the old fixed
block of 3072 events (:data:`sciood.detectors.inputs.SCORE_BLOCK`) after the normal
scoring, on the first 384 test events (one block, padded to 3072 rows): ``rss_legacy_MB`` is
the peak after that pass (RSS peaks are monotonic, so it is the old block's peak whenever it
exceeds the others), ``block_dscore`` the largest relative score difference between the two
blocks.  Device: the library's pick (CUDA when present); one torch thread.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
from typing import Any

import numpy as np

Row = dict[str, Any]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(args: dict[str, Any]) -> Row:
    """One (encoder, cap) measurement; runs in its own process."""
    import torch

    from sciood.data.eventset import EventSet
    from sciood.detectors import make
    from sciood.detectors.autoencoder import SetAutoencoder
    from sciood.detectors.inputs import SCORE_BLOCK
    from sciood.detectors.torchbase import pick_device
    from sciood.metrics import auc, max_sic
    from sciood.represent.sets import truncated_fraction

    torch.set_num_threads(1)
    n_train, n_test = args["n_train"], args["n_test"]
    bkg = EventSet.read(args["background"])
    train = bkg.select(np.arange(n_train))
    test = bkg.select(np.arange(n_train, min(len(bkg), n_train + n_test)))
    sigs = {name: EventSet.read(path) for name, path in args["signals"]}
    sigs = {k: v.select(np.arange(min(len(v), n_test))) for k, v in sigs.items()}
    enc, cap, epochs = args["encoder"], args["cap"], args["epochs"]
    det = make("set_ae", encoder=enc, max_particles=cap, epochs=epochs, seed=0)
    t0 = time.perf_counter()
    det.fit(train, sample_weight=np.ones(len(train)))
    t_fit = time.perf_counter() - t0
    rss_fit = _rss_mb()
    allev = EventSet.concat([test, *sigs.values()])
    X = det.as_array(allev)
    t0 = time.perf_counter()
    s = det.score(X)
    t_score = time.perf_counter() - t0
    row: Row = {
        "encoder": enc, "cap": cap, "device": str(pick_device(None)),
        "trunc": truncated_fraction(train, cap), "fit_s": t_fit,
        "train_ev_s": len(train) * epochs / t_fit, "score_ev_s": len(X) / t_score,
        "block": det.score_batch_size, "rss_fit_MB": rss_fit, "rss_score_MB": _rss_mb(),
    }
    n0 = start = len(test)
    for name, sig in sigs.items():
        ss = np.r_[s[:n0], s[start:start + len(sig)]]
        y = np.r_[np.zeros(n0), np.ones(len(sig))]
        start += len(sig)
        row[f"auroc_{name}"] = auc(y, ss)
        row[f"maxsic_{name}"] = max_sic(y, ss)
    if args["legacy"]:
        SetAutoencoder.score_batch_size = SCORE_BLOCK  # type: ignore[assignment]
        k = min(len(X), 384)  # one block: the peak is the block's, whatever the rows
        old = det.score(X[:k])
        row["rss_legacy_MB"] = _rss_mb()
        row["block_dscore"] = float(np.max(np.abs(old - s[:k]) / np.maximum(np.abs(s[:k]),
                                                                             1e-12)))
    return row


def _fmt(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--background", default="data/encoders/qcd")
    ap.add_argument("--signal", action="append", metavar="NAME=PATH",
                    help="signal sample (repeat); default wprime and zprime_tt of data/encoders")
    ap.add_argument("--n-train", type=int, default=3000)
    ap.add_argument("--n-test", type=int, default=1500)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--caps", type=int, nargs="+", default=[30, 100])
    ap.add_argument("--encoders", nargs="+",
                    default=["deepsets", "transformer", "part", "lorentz"])
    ap.add_argument("--legacy-block-cap", type=int, default=None,
                    help="at this cap, also score in the old 3072-event block (peak RSS)")
    a = ap.parse_args()
    signals = [tuple(s.split("=", 1)) for s in (a.signal or [
        "wprime=data/encoders/wprime", "zprime_tt=data/encoders/zprime_tt"])]
    names = [n for n, _ in signals]
    cols = ["encoder", "cap", "device", "trunc", "fit_s", "train_ev_s", "score_ev_s", "block",
            "rss_fit_MB", "rss_score_MB"]
    cols += [f"{m}_{n}" for n in names for m in ("auroc", "maxsic")]
    if a.legacy_block_cap is not None:
        cols += ["rss_legacy_MB", "block_dscore"]
    print(f"train {a.n_train} QCD, test up to {a.n_test} QCD + {a.n_test} per signal "
          f"({', '.join(names)}), {a.epochs} epochs, 1 torch thread, one process per row")
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols), flush=True)
    ctx = mp.get_context("spawn")
    for cap in a.caps:
        for enc in a.encoders:
            job = {"background": a.background, "signals": signals, "n_train": a.n_train,
                   "n_test": a.n_test, "encoder": enc, "cap": cap, "epochs": a.epochs,
                   "legacy": cap == a.legacy_block_cap}
            with ctx.Pool(1) as pool:
                r = pool.apply(_row, (job,))
            print("| " + " | ".join(_fmt(r.get(c, "-")) for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
