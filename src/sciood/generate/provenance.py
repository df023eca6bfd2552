"""The manifest of a generated dataset: per-slice cross-sections, weight scales, provenance.

Each shard stores Pythia's per-event weight; the manifest's per-shard ``weight_scale`` =
σ_slice / Σ_slice w_generated (in fb), where σ_slice is the generated-count-weighted mean of
the shards' Pythia σ estimates and the sum runs over *all* generated events of the slice
(selected or not). ``EventSet.read`` multiplies them, so ``weight`` = expected selected events
per fb⁻¹, exactly σ · L / N_generated.

The provenance also records what is needed to re-make the events by hand: √s, the exact
Pythia lines of every slice (the per-shard seed lines are given by ``seed_lines`` and the
shards' ``seed``), the jet, substructure and grooming parameters, and the code version
(package version and, when run from a git checkout, the commit and whether the tree was
modified).
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sciood.generate.detector import VARIANT_TUNES, get_card
from sciood.generate.plan import ShardSpec
from sciood.generate.process_model import Process
from sciood.generate.shards import OBSERVABLES
from sciood.reco.features import FEATURES

__all__ = ["build_manifest", "code_version", "dataset_hash", "jet_parameters", "sqrt_s",
           "versions"]


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


def sqrt_s(lines: Sequence[str]) -> float:
    """Centre-of-mass energy [GeV] set by the last ``Beams:eCM`` line (Pythia's default 13 TeV)."""
    value = 13000.0
    for line in lines:
        key, sep, rest = line.partition("=")
        if sep and key.strip().replace(" ", "").lower() == "beams:ecm":
            value = float(rest.split("!", 1)[0])
    return value


def jet_parameters() -> dict[str, Any]:
    """Jet clustering, substructure and grooming parameters, read from the code that uses them."""
    from sciood.reco._fastjet import R0, R_JET, RECLUSTER_R
    from sciood.reco.softdrop import softdrop_mass

    sd = inspect.signature(softdrop_mass).parameters
    return {
        "jets": {"algorithm": "anti-kt", "R": R_JET, "inputs": "detector-level particles"},
        "nsubjettiness": {"beta": 1.0, "R0": R0, "axes": "exclusive kT subjets",
                          "axes_recluster_R": RECLUSTER_R, "normalised": True},
        "softdrop": {"recluster": "cambridge-aachen", "recluster_R": RECLUSTER_R,
                     "beta": float(sd["beta"].default), "z_cut": float(sd["z_cut"].default),
                     "R0": R0},
    }


def code_version() -> dict[str, Any]:
    """sciood's version, and the git commit (and dirty flag) of the source tree if it is one."""
    out: dict[str, Any] = {"sciood": versions()["sciood"], "git_commit": None, "git_dirty": None}
    root = Path(__file__).resolve().parents[1]  # the sciood package directory
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True,
                                capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "."],
                               check=True, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return out  # not a git checkout (an installed wheel) or no git
    out.update(git_commit=commit, git_dirty=bool(dirty.strip()))
    return out


def _slice_lines(specs: list[ShardSpec]) -> dict[int, list[str]]:
    """The exact Pythia lines of each slice (seed lines excluded: they differ per shard)."""
    out: dict[int, list[str]] = {}
    for spec in specs:
        out.setdefault(spec.slice_index, spec.settings())
    return out


#: How each shard's Pythia seed is set (``{seed}`` = the shard's ``seed``), after the lines.
SEED_LINES = ("Random:setSeed = on", "Random:seed = {seed}")


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
    lines = _slice_lines(specs)
    for k, agg in sorted(slices.items()):
        sigma = agg["sigma_n"] / n_py[k]
        slice_info[k] = {"slice": k, "settings": list(proc.slices[k].settings),
                         "sigma_fb": sigma, "sigma_err_fb": math.sqrt(agg["var_n2"]) / n_py[k],
                         "n_generated": agg["n_generated"],
                         "sum_weights_generated": agg["sum_w"],
                         "weight_scale": sigma / agg["sum_w"],
                         "pythia_lines": lines[k]}
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
            "sqrt_s_gev": sqrt_s(next(iter(lines.values()))),
            "tune_settings": list(VARIANT_TUNES[str(body["variant"])]),
            "seed_lines": list(SEED_LINES),
            "jet_parameters": jet_parameters(),
            "code_version": code_version(),
            "detector_card": card.to_dict(),
            "slices": [slice_info[k] for k in sorted(slice_info)],
            "weight_unit": "expected selected events per fb^-1",
            "versions": versions(),
            "wall_seconds": round(seconds, 3),
        },
    }
