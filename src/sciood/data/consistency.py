"""Consistency of a structurally valid manifest: do its numbers add up?

* ``n_events`` equals the sum of the shards' rows, and no shard is listed twice;
* column roles (observables, features) have no duplicates and do not name a required column;
* for generated samples, each slice's ``weight_scale`` = σ_fb / Σ w_generated, the shards'
  ``n_generated`` add up to the slice's, and every shard's ``weight_scale`` is its slice's;
* no file named like a shard sciood writes lies in the directory unlisted.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from sciood.data.layout import REQUIRED_COLUMNS, WRITER_SHARD

__all__ = ["consistency_problems", "unlisted_shards"]


def consistency_problems(raw: dict[str, Any]) -> list[str]:
    """Problems of a structurally valid manifest that make its numbers untrustworthy."""
    problems = []
    shards = raw["shards"]
    rows = sum(int(e["rows"]) for e in shards)
    counts = Counter(e["file"] for e in shards)
    twice = {f: c for f, c in counts.items() if c > 1}
    for name, c in sorted(twice.items()):
        problems.append(f"shard {name!r} is listed {c} times (its events would be read {c}×)")
    if rows != raw["n_events"]:
        problems.append(f"n_events is {raw['n_events']} but the listed shards hold {rows} rows "
                        "(a shard listed twice, dropped or edited)")
    for role in ("observables", "features"):
        dup = sorted(n for n, c in Counter(raw.get(role, [])).items() if c > 1)
        if dup:
            problems.append(f"{role} lists {dup} more than once")
        req = sorted(set(raw.get(role, [])) & set(REQUIRED_COLUMNS))
        if req:
            problems.append(f"{role} names the required column(s) {req}, which are not "
                            f"{role}")
    problems += _generated_consistency(raw)
    return problems


def _generated_consistency(raw: dict[str, Any]) -> list[str]:
    """A generated sample's weight scales and event counts agree with its cross-sections."""
    prov = raw.get("provenance", {})
    if (prov.get("kind") != "generated" or "slices" not in prov
            or not any("slice" in e for e in raw["shards"])):
        return []  # not generated, or re-written by EventSet.write (weights already scaled)
    slices = prov["slices"]
    try:
        info = {int(s["slice"]): s for s in slices}
        problems = []
        for k, s in sorted(info.items()):
            expect = float(s["sigma_fb"]) / float(s["sum_weights_generated"])
            if not math.isclose(float(s["weight_scale"]), expect, rel_tol=1e-9):
                problems.append(
                    f"provenance.slices[{k}].weight_scale {s['weight_scale']!r} is not "
                    f"sigma_fb / sum_weights_generated = {expect!r}")
            shards = [e for e in raw["shards"] if e.get("slice") == k]
            n_gen = sum(int(e.get("n_generated", 0)) for e in shards)
            if n_gen != int(s["n_generated"]):
                problems.append(
                    f"the shards of slice {k} generated {n_gen} events but "
                    f"provenance.slices[{k}].n_generated is {s['n_generated']} (a shard "
                    "dropped or listed twice)")
        for e in raw["shards"]:
            k = e.get("slice")
            if k is None:
                continue
            if k not in info:
                problems.append(f"shard {e['file']!r} names slice {k}, which the provenance "
                                "does not list")
            elif float(e.get("weight_scale", 1.0)) != float(info[k]["weight_scale"]):
                problems.append(
                    f"shard {e['file']!r} has weight_scale {e.get('weight_scale', 1.0)!r} but "
                    f"its slice {k} has {info[k]['weight_scale']!r} (σ·L/N_generated)")
        return problems
    except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
        return [f"provenance.slices of this generated sample is malformed ({type(exc).__name__}:"
                f" {exc})"]


def unlisted_shards(directory: Path, raw: dict[str, Any]) -> list[str]:
    listed = {e["file"] for e in raw["shards"]}
    try:
        names = sorted(p.name for p in directory.iterdir() if WRITER_SHARD.match(p.name))
    except OSError:
        return []
    return [f"{n!r} is in the directory but not in the manifest (a shard dropped from the "
            "manifest, or a stray file: delete it if it is not part of this dataset)"
            for n in names if n not in listed]
