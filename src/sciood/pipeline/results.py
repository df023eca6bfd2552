"""``results.json`` (schema ``sciood.results`` version 1) and the report's inputs.

The schema is documented in ``docs/results-schema.md``; bump :data:`SCHEMA_VERSION` on any
change that renames or removes a key (adding keys keeps the version).
"""

from __future__ import annotations

import math
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from sciood.config import RunConfig
from sciood.pipeline.cache import StageRecord
from sciood.pipeline.hunt import HuntOutput
from sciood.pipeline.models import TrainedModel
from sciood.report.inputs import DetectorResult

__all__ = ["SCHEMA", "SCHEMA_VERSION", "build_results", "clean_json", "provenance"]

SCHEMA = "sciood.results"
SCHEMA_VERSION = 1

_PACKAGES = ("numpy", "scipy", "pyarrow", "torch", "scikit-learn", "zuko", "pythia8mc",
             "fastjet", "awkward", "pyhf", "iminuit", "dask", "matplotlib", "mplhep",
             "pydantic")
#: Headline metrics per signal (inclusive row against all backgrounds).
HEADLINE = ("auc", "max_sic", "aupr", "fpr@tpr=0.95")


def clean_json(value: Any) -> Any:
    """``value`` with NaN/inf floats replaced by ``None`` and NumPy scalars by Python ones."""
    import numpy as np

    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def provenance(cfg: RunConfig, records: list[StageRecord]) -> dict[str, Any]:
    """Versions, seeds, git commit, host, config hash, stage keys and timings; with
    ``data.source`` also ``data_source``: every input file's path and SHA-256."""
    from sciood._version import __version__

    versions = {"sciood": __version__, "python": sys.version.split()[0]}
    for pkg in _PACKAGES:
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    out: dict[str, Any] = {
        "versions": versions,
        "git_commit": _git_commit(),
        "host": platform.node(),
        "platform": platform.platform(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "config_sha256": cfg.digest(),
        "seeds": {"data": cfg.data.seed, "evaluation": cfg.evaluation.seed,
                  "statistics": cfg.statistics.seed},
        "stages": [r.to_dict() for r in records],
    }
    if cfg.data.source is not None:  # the input files instead of a generator card
        from sciood.pipeline.source import recorded_files

        out["data_source"] = {"files": recorded_files(cfg.data.source, records),
                              "format": cfg.data.source.format}
    return out


def _headline(r: DetectorResult) -> dict[str, dict[str, float | None]]:
    from sciood.evaluate import ALL_BACKGROUNDS

    out: dict[str, dict[str, float | None]] = {}
    for cell in r.table.cells:
        if cell.background != ALL_BACKGROUNDS:
            continue
        out[cell.signal] = {m: clean_json(cell.values[m][0]) for m in HEADLINE
                            if m in cell.values}
    return out


def _detector_block(m: TrainedModel, r: DetectorResult) -> dict[str, Any]:
    import dataclasses

    return {
        "label": m.label, "name": m.name, "params": m.params, "label_kind": m.label_kind,
        "train_seconds": round(m.train_seconds, 3),
        "summary": _headline(r),
        "table": r.table.to_dict(),
        "robustness": None if r.robustness is None else r.robustness.to_dict(),
        "sculpting": None if r.sculpting is None else dataclasses.asdict(r.sculpting),
    }


def build_results(cfg: RunConfig, prov: dict[str, Any], data: list[dict[str, Any]],
                  test_events: dict[str, int], models: list[TrainedModel],
                  results: list[DetectorResult], hunt: dict[str, Any] | None,
                  notes: list[str]) -> dict[str, Any]:
    """The ``results.json`` document (strict JSON: NaN/inf become ``null``).

    With ``data.source.write_scores`` the scores of every detector
    are written beside each input file first (:func:`sciood.pipeline.scores_out.write_back_scores`;
    so they are rewritten whenever the report is) and listed under ``data.scores_written``.
    """
    data_block: dict[str, Any] = {"samples": data, "test_events": test_events}
    src = cfg.data.source
    if src is not None:
        data_block["source_files"] = prov.get("data_source", {}).get("files", [])
        if src.write_scores:
            from sciood.pipeline.scores_out import write_back_scores

            data_block["scores_written"] = write_back_scores(cfg, models,
                                                             cfg.run_dir / "split")
    return clean_json({
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "name": cfg.name,
        "created_utc": prov["created_utc"],
        "config_sha256": prov["config_sha256"],
        "config": cfg.to_dict(),
        "provenance": prov,
        "data": data_block,
        "detectors": [_detector_block(m, r) for m, r in zip(models, results, strict=True)],
        "statistics": hunt,
        "notes": notes,
    })


def build_report_inputs(cfg: RunConfig, prov: dict[str, Any], data: list[dict[str, Any]],
                        tests: dict[str, Any], results: list[DetectorResult],
                        hunt: HuntOutput | None, document: dict[str, Any],
                        notes: list[str]) -> Any:
    """:class:`~sciood.report.inputs.ReportInputs` for :func:`sciood.report.write_report`."""
    import pandas as pd

    from sciood.report.inputs import ReportInputs

    inputs = ReportInputs(title=cfg.name, config=cfg.to_dict(), provenance=prov,
                          data_summary=pd.DataFrame.from_records(data), test_sets=tests,
                          detectors=results, results=document, notes=list(notes))
    if hunt is not None:
        inputs.hunt = hunt.hunt
        inputs.hunt_baseline = hunt.baseline
        inputs.hunt_detector = hunt.detector
        inputs.limit = hunt.limit
        inputs.brazil = hunt.brazil
        inputs.injection = hunt.injection
    inputs.shift = _shift(cfg, tests, inputs.notes)
    return inputs


def _shift(cfg: RunConfig, tests: dict[str, Any], notes: list[str]) -> Any:
    """Sim-vs-data diagnostics of the test sets (``None`` without a ``data`` variant)."""
    from sciood.errors import SciOODError
    from sciood.evaluate.shift import shift_diagnostic

    if "sim" not in tests or "data" not in tests:
        return None
    try:
        return shift_diagnostic(tests["sim"], tests["data"],
                                features=cfg.representation.columns(), seed=cfg.data.seed)
    except SciOODError as exc:
        notes.append(f"sim-vs-data diagnostics skipped: {exc}")
        return None
