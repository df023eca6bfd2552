"""Worked example: one inclusive AUROC versus the class-conditional, weighted table.

Usage::

    python examples/class_conditional.py [--data data/bench] [--extra data/bench-extra-bg]

Needs generated EventSets (``sciood generate``): ``qcd``, ``ttbar``, ``wjets`` backgrounds
and ``wprime_wz_80``, ``zprime_tt``, ``xy_qqqq`` signals, each in ``DIR/<process>``. A normalizing
flow on the ``physics`` features (soft-drop masses, τ21 of both jets) is trained on half of the
QCD sample only — the usual "train on QCD" anomaly detector — and scored on the rest.

It prints three numbers that an ML paper would report and the table a physicist needs:
the unweighted class-inclusive AUROC (every test event counts once, backgrounds pooled by
how many events happened to be generated), the cross-section-weighted inclusive AUROC
(what a search sees), and the (signal × background class) table of ``sciood.evaluate``.
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.evaluate import evaluate

warnings.simplefilter("ignore")
torch.set_num_threads(1)

BACKGROUNDS = ("qcd", "ttbar", "wjets")
SIGNALS = ("wprime_wz_80", "zprime_tt", "xy_qqqq")


def halves(es: EventSet, seed: int) -> tuple[EventSet, EventSet]:
    """Seeded 50/50 split (train, test)."""
    perm = np.random.default_rng(seed).permutation(len(es))
    return es.select(np.sort(perm[: len(es) // 2])), es.select(np.sort(perm[len(es) // 2:]))


def load(name: str, dirs: list[Path]) -> EventSet:
    """The first ``DIR/name`` among ``dirs`` (``qcd_v2`` preferred over ``qcd``)."""
    for d in dirs:
        for sub in (f"{name}_v2", name):
            if (d / sub / "manifest.json").exists():
                return EventSet.read(d / sub)
    raise SystemExit(f"no EventSet for {name!r} under {', '.join(map(str, dirs))}: "
                     f"generate it with `sciood generate {name} --events N --out DIR/{name}`")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=Path("data/bench"))
    ap.add_argument("--extra", type=Path, default=Path("data/bench-extra-bg"))
    ap.add_argument("--max-signal", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    dirs = [args.data, args.extra]

    train_qcd, test_qcd = halves(load("qcd", dirs), args.seed)
    tests = [test_qcd] + [halves(load(b, dirs), args.seed)[1] for b in BACKGROUNDS[1:]]
    tests += [load(s, dirs).select(np.arange(args.max_signal)) for s in SIGNALS]
    test = EventSet.concat(tests)

    det = make("flow", representation="hlf", features="physics", seed=args.seed)
    det.fit(train_qcd)
    score = det.score(test)

    y = test.is_signal.astype(int)
    print(f"unweighted class-inclusive AUROC (ML convention): {roc_auc_score(y, score):.3f}")
    table = evaluate(score, test, n_bootstrap=200, seed=args.seed)
    print(table.to_markdown(metrics=["auc", "max_sic", "rejection@eff_s=0.3"]))


if __name__ == "__main__":
    main()
