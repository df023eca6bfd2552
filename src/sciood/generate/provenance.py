"""The manifest of a generated dataset: per-slice cross-sections, weight scales, provenance.

Each shard stores Pythia's per-event weight; the manifest's per-shard ``weight_scale`` =
σ_slice / Σ_slice w_generated (in fb), where σ_slice is the generated-count-weighted mean of
the shards' Pythia σ estimates and the sum runs over *all* generated events of the slice
(selected or not). ``EventSet.read`` multiplies them, so ``weight`` = expected selected events
per fb⁻¹, exactly σ · L / N_generated.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from sciood.generate.detector import VARIANT_TUNES, get_card
from sciood.generate.plan import ShardSpec
from sciood.generate.process_model import Process
from sciood.generate.shards import OBSERVABLES
from sciood.reco.features import FEATURES

__all__ = ["build_manifest", "dataset_hash", "versions"]


def dataset_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("sciood", "pythia8mc", "fastjet", "awkward", "numpy", "pyarrow"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def build_manifest(proc: Process, specs: list[ShardSpec], stats: list[dict[str, Any]],
              body: Mapping[str, Any], chash: str, seconds: float) -> dict[str, Any]:
    slices: dict[int, dict[str, float]] = {}
    for st in stats:
        agg = slices.setdefault(st["slice"], {"n_generated": 0, "sum_w": 0.0, "sigma_n": 0.0,
                                              "var_n2": 0.0})
        agg["n_generated"] += st["n_generated"]
        agg["sum_w"] += st["sum_weights_generated"]
        agg["sigma_n"] += st["sigma_fb"] * st["n_pythia"]
        agg["var_n2"] += (st["sigma_err_fb"] * st["n_pythia"]) ** 2
    n_py = {k: sum(s["n_pythia"] for s in stats if s["slice"] == k) for k in slices}
    slice_info: dict[int, dict[str, Any]] = {}
    for k, agg in sorted(slices.items()):
        sigma = agg["sigma_n"] / n_py[k]
        slice_info[k] = {"slice": k, "settings": list(proc.slices[k].settings),
                         "sigma_fb": sigma, "sigma_err_fb": math.sqrt(agg["var_n2"]) / n_py[k],
                         "n_generated": agg["n_generated"],
                         "sum_weights_generated": agg["sum_w"],
                         "weight_scale": sigma / agg["sum_w"]}
    shards = []
    for spec, st in zip(specs, stats, strict=True):
        shards.append({"file": st["file"], "rows": st["rows"], "sha256": st["sha256"],
                       "weight_scale": slice_info[spec.slice_index]["weight_scale"],
                       "slice": spec.slice_index, "seed": st["seed"],
                       "n_generated": st["n_generated"]})
    card = get_card(str(body["variant"]))
    return {
        "n_events": int(body["n_events"]),
        "shards": shards,
        "observables": list(OBSERVABLES),
        "features": list(FEATURES),
        "provenance": {
            "kind": "generated",
            "config_hash": chash,
            "process": body["process"],
            "seed": body["seed"],
            "variant": body["variant"],
            "mpi": body["mpi"],
            "tune_settings": list(VARIANT_TUNES[str(body["variant"])]),
            "detector_card": card.to_dict(),
            "slices": [slice_info[k] for k in sorted(slice_info)],
            "weight_unit": "expected selected events per fb^-1",
            "versions": versions(),
            "wall_seconds": round(seconds, 3),
        },
    }
