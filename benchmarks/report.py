"""Report benchmark: time to write ``report.html`` and its size.

The inputs are the real ones of the report tests (``tests/report/conftest.py``: detectors fitted
on generated QCD, real evaluation, sim -> data comparison, bump hunt, CLs limit, injection
scan).  For the timing at larger sizes the ``sim`` test set and the scores are tiled ``k``
times (with a 1e-3 jitter on the scores so ties do not flatter the sort): the figures and
bootstrap bands then cost what they cost on ``k`` times more events.

The docs' screenshots are of the demo report: docs/figures/report_screenshots.py.

Run:  .venv/bin/python benchmarks/report.py [--tile 1 10 100]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _inputs():  # -> ReportInputs
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import sample  # the session-cached real samples of the test suite

    spec = importlib.util.spec_from_file_location("report_conftest",
                                                  ROOT / "tests" / "report" / "conftest.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(sample)


def _tiled(inputs, k: int):
    from sciood.data.eventset import EventSet

    if k == 1:
        return inputs
    sim = EventSet.concat([inputs.test_sets["sim"]] * k)
    rng = np.random.default_rng(0)
    dets = [dataclasses.replace(
        d, scores={"sim": np.tile(d.scores["sim"], k) + 1e-3 * rng.normal(size=len(sim))},
        probability=None if d.probability is None else np.tile(d.probability, k))
        for d in inputs.detectors]
    return dataclasses.replace(inputs, test_sets={"sim": sim}, detectors=dets)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tile", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--out", type=Path, default=ROOT / "runs" / "report-benchmark")
    args = ap.parse_args()

    from sciood.report import write_report

    t0 = time.perf_counter()
    inputs = _inputs()
    print(f"inputs built in {time.perf_counter() - t0:.1f} s "
          f"({platform.processor() or platform.machine()})")
    print("| sim test events | detectors | signals | write_report [s] | report.html [MB] |")
    print("|---|---|---|---|---|")
    for k in args.tile:
        inp = _tiled(inputs, k)
        sim = inp.test_sets["sim"]
        n_sig = len(set(sim.labels[sim.is_signal].tolist()))
        t = time.perf_counter()
        path = write_report(args.out / f"tile{k}", inp)
        dt = time.perf_counter() - t
        print(f"| {len(sim):,} | {len(inp.detectors)} | {n_sig} | {dt:.1f} | "
              f"{path.stat().st_size / 1e6:.2f} |")


if __name__ == "__main__":
    main()
