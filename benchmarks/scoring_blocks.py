"""Batch-invariant scoring: what the fixed scoring blocks cost, and what they buy.

Run:  .venv/bin/python benchmarks/scoring_blocks.py [--n 300000] [--repeat 3]

For a few detectors fitted on Gaussian features (4 columns, 5000 training events), prints a
Markdown table of

* throughput of ``Detector.score`` (fixed blocks of ``SCORE_BLOCK`` rows, padded) against the
  model called on plain 65 536-row chunks, which is what scoring did before — the cost of
  invariance;
* how many of 48 offset × 7 length windows ``score(X)[k:k+L]`` differ bit-wise from
  ``score(X[k:k+L])`` with the blocks and with plain 65 536-row chunks — what it buys.

Timings are the minimum of ``--repeat`` interleaved runs (the machine may be shared); one
torch thread, as in scoring.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from sciood.detectors import make
from sciood.detectors.inputs import SCORE_BLOCK
from sciood.detectors.torchbase import TorchDetector, threads

DETECTORS: dict[str, dict[str, Any]] = {
    "ae": {"epochs": 2},
    "flow": {"epochs": 2},
    "svdd": {"epochs": 2},
    "mahalanobis": {},
    "gmm": {"n_components": 4},
    "iforest": {"n_estimators": 100},
}
OLD_CHUNK = 65_536


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _unblocked(det: Any, a: np.ndarray) -> np.ndarray:
    """The model on ``a`` in one call, without any fixed blocks (scoring before blocks)."""
    if not isinstance(det, TorchDetector):
        return np.asarray(det._score_arrays(a))
    with torch.inference_mode(), threads():
        out = det._batch_score(det._net.eval(), torch.as_tensor(a)).double().numpy()
    if det.name == "flow":  # Flow._score_arrays adds the standardiser's log-Jacobian
        out = out + float(np.log(np.asarray(det._scaler.scale_)).sum())
    return np.asarray(out)


def _windows_differ(score: Callable[[np.ndarray], np.ndarray], X: np.ndarray) -> int:
    whole = score(X)
    rng = np.random.default_rng(1)
    offsets = rng.integers(0, len(X) // 2, 48)
    lengths = (1, 7, 95, 769, 3071, 3073, 10_000)
    return sum(not np.array_equal(whole[k:k + L], score(X[k:k + L]))
               for k in offsets for L in lengths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300_000, help="events scored")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    train = rng.normal(size=(5000, 4))
    X = rng.normal(size=(args.n, 4))
    window_X = X[:40_000]
    print(f"scoring {args.n} events, SCORE_BLOCK = {SCORE_BLOCK}\n")
    print("| detector | blocks [M ev/s] | 65 536-row chunks [M ev/s] | ratio | windows differing: "
          "blocks / chunks (of 336) |")
    print("|---|---|---|---|---|")
    for name, params in DETECTORS.items():
        det = make(name, seed=0, **params).fit(train)
        arr = det._prepared(X)

        def chunked(a: np.ndarray, det: Any = det) -> np.ndarray:
            return np.concatenate([_unblocked(det, a[i:i + OLD_CHUNK])
                                   for i in range(0, len(a), OLD_CHUNK)])

        t_blocks = _best(lambda det=det: det.score(X), args.repeat)
        t_chunks = _best(lambda chunked=chunked, arr=arr: chunked(arr), args.repeat)
        differ_blocks = _windows_differ(det.score, window_X)
        differ_chunks = _windows_differ(lambda a, det=det, chunked=chunked:
                                        chunked(det._prepared(a)), window_X)
        note = "" if isinstance(det, TorchDetector) or not det.invariant_scoring else \
            " (tree traversal: no blocks)"
        print(f"| {name}{note} | {args.n / t_blocks / 1e6:.3f} | {args.n / t_chunks / 1e6:.3f} "
              f"| {t_blocks / t_chunks:.2f}× | {differ_blocks} / {differ_chunks} |")


if __name__ == "__main__":
    main()
