"""Pipeline wall time: first run versus a fully cached re-run (target: re-run < 10 %).

Usage::

    python benchmarks/pipeline.py [--config examples/demo.yaml] [--fresh]

Runs ``sciood run CONFIG`` twice in a subprocess (so Python start-up and imports count, as
for a user) into a temporary run directory.  ``--fresh`` also generates into a temporary
sample cache (the "fresh clone" case: generation included); without it the samples in the
config's ``data.cache_dir`` are reused if present.  Prints a Markdown table and the slowest
stage units of the first run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml


def _run(config: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sciood.cli", "run", str(config), "--quiet"],
                   check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", type=Path, default=Path("examples/demo.yaml"))
    ap.add_argument("--fresh", action="store_true", help="generate into an empty cache")
    args = ap.parse_args()
    body = yaml.safe_load(args.config.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        body["output"] = str(Path(tmp) / "run")
        if args.fresh:
            body["data"]["cache_dir"] = str(Path(tmp) / "cache")
        cfg = Path(tmp) / args.config.name
        cfg.write_text(yaml.safe_dump(body))
        first = _run(cfg)
        again = _run(cfg)
        doc = json.loads((Path(tmp) / "run" / "results.json").read_text())
    print(f"# {args.config} ({'fresh sample cache' if args.fresh else 'samples reused'})")
    print("| run | wall [s] | ratio to first |")
    print("|---|---|---|")
    print(f"| first | {first:.1f} | 1.00 |")
    print(f"| cached re-run | {again:.1f} | {again / first:.3f} (target < 0.10) |")
    stages = sorted(doc["provenance"]["stages"], key=lambda s: -s["seconds"])[:8]
    print("\nslowest stage units of the first run:")
    for s in stages:
        print(f"  {s['name']:32s} {s['seconds']:7.1f} s")


if __name__ == "__main__":
    main()
