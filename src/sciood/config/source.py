"""The ``data.source`` section: the user's files instead of generated processes.

Files are read by :mod:`sciood.data.adapters` (see ``docs/your-data.md``): the LHC Olympics
R&D files, ROOT TTrees (flat branches, and jagged fat-jet / constituent collections in a
NanoAOD-like layout), Parquet / CSV / HDF5 / NumPy tables. One ``SourceConfig`` names the
files, the roles of their columns, the signal classes and, for files without weights, the
per-class cross-sections and the luminosity.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sciood.config.base import LaxPath, _Strict, check_path_name

__all__ = ["JetsConfig", "SourceConfig", "SourceFile", "SourceFormat"]

#: How the files are read: ``auto`` picks by suffix and content (an LHCO features / low-level
#: frame, a ROOT file with ``jets``, any other table).
SourceFormat = Literal["auto", "table", "lhco_features", "lhco_lowlevel", "root_jets"]


class SourceFile(_Strict):
    """One input file; ``label`` gives every event of the file one class."""

    path: LaxPath
    tree: str | None = Field(default=None, description="ROOT: the TTree (several in the file).")
    key: str | None = Field(default=None, description="HDF5: the pandas key / group.")
    label: str | None = Field(default=None,
                              description="Class of every event of this file (no label column).")

    @field_validator("label")
    @classmethod
    def _safe_label(cls, value: str | None) -> str | None:
        return None if value is None else check_path_name(value, "class label")


class JetsConfig(_Strict):
    """Jagged jet collections of a ROOT file (NanoAOD-like ``nFatJet``, ``FatJet_pt``, …).

    Per event the two leading jets by pT are kept (events with fewer are dropped, counted in
    the provenance) and ordered by mass: ``j1`` is the lighter (the sciood convention).
    """

    collection: str = Field(default="FatJet", description="Branch prefix of the jets.")
    mass: str = Field(default="mass", description="Jet mass branch suffix (FatJet_<mass>).")
    softdrop_mass: str | None = Field(default="msoftdrop",
                                      description="Soft-drop mass suffix, if present.")
    tau: list[str] = Field(default_factory=lambda: ["tau1", "tau2", "tau3"],
                           description="N-subjettiness suffixes τ1, τ2, τ3 (if present).")
    constituents: str | None = Field(default=None,
                                     description="Constituent prefix, e.g. PFCands.")
    jet_index: str = Field(default="jetIdx",
                           description="Constituent branch: index of its jet in the collection.")


class SourceConfig(_Strict):
    """The user's files and the roles of their columns (one set of roles for all files)."""

    files: list[SourceFile] = Field(min_length=1)
    format: SourceFormat = "auto"
    label: str | None = Field(default=None, description="Column with the class label.")
    label_names: dict[str, str] | None = Field(
        default=None, description="Rename label values, e.g. {'0': qcd, '1': sig}.")
    signal: list[str] = Field(min_length=1, description="Class names that are signal.")
    weight: str | None = Field(default=None, description="Per-event weight column.")
    observables: list[str] = Field(default_factory=lambda: ["mjj"], min_length=1)
    features: list[str] | None = Field(default=None,
                                       description="Feature columns (default: all numeric).")
    cross_sections_fb: dict[str, float] | None = Field(
        default=None, description="Per class σ [fb] -> weights σ/N per fb⁻¹ (no weight column).")
    luminosity_fb: float | None = Field(default=None, gt=0.0,
                                        description="Integrated luminosity [fb⁻¹] of the hunt.")
    jets: JetsConfig | None = None
    nan_policy: Literal["raise", "drop"] = "raise"
    max_events: int | None = Field(default=None, ge=2, description="Read at most this per file.")
    write_scores: bool = Field(default=False,
                               description="Write every detector's scores beside each file.")
    scores_dir: LaxPath | None = Field(default=None,
                                       description="Write them here instead of beside the file.")

    @field_validator("files", mode="before")
    @classmethod
    def _paths(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"path": v} if isinstance(v, str | Path) else v for v in value]
        return value

    @field_validator("label_names", mode="before")
    @classmethod
    def _text_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):  # YAML reads `0: qcd` with an integer key
            return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v
                    for k, v in value.items()}
        return value

    @field_validator("signal")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        for name in value:
            check_path_name(name, "signal class")
        return value

    @field_validator("cross_sections_fb")
    @classmethod
    def _positive(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        bad = {k: v for k, v in (value or {}).items() if not (v > 0.0 and v < float("inf"))}
        if bad:
            raise ValueError(f"cross-sections must be finite and > 0 fb, got {bad}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> SourceConfig:
        problems = []
        for i, f in enumerate(self.files):
            if not f.path.is_file():
                problems.append(f"data.source.files[{i}].path: {str(f.path)!r} does not exist; "
                                "check the path (relative paths start at the current directory)")
        paths = [str(f.path.resolve()) for f in self.files]
        if len(set(paths)) != len(paths):
            problems.append("data.source.files: a file is listed twice")
        if self.weight is not None and self.cross_sections_fb:
            problems.append("data.source: give a weight column or cross_sections_fb, not both "
                            "(cross-sections normalise files without weights)")
        if self.jets is not None and self.format not in ("auto", "root_jets"):
            problems.append(f"data.source.jets: only for ROOT jet collections, not format "
                            f"{self.format!r}")
        if self.format == "root_jets" and self.jets is None:
            problems.append("data.source.format root_jets needs data.source.jets "
                            "(at least `jets: {collection: FatJet}`)")
        if self.features is not None and not self.features:
            problems.append("data.source.features is empty; leave it out for every numeric "
                            "column")
        if problems:
            raise ValueError("\n".join(problems))
        return self
