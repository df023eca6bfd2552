"""A whole run: :class:`RunConfig`, the top-level keys of the file and their cross-checks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sciood.config.base import LaxPath, _Strict, check_path_name
from sciood.config.compute import ComputeConfig
from sciood.config.data import DataConfig
from sciood.config.detectors import DetectorSpec
from sciood.config.evaluation import EvaluationConfig
from sciood.config.representation import RepresentationConfig
from sciood.config.statistics import StatisticsConfig

__all__ = ["RunConfig"]


def _default_detectors() -> list[DetectorSpec]:
    """The run's detectors when the config names none: ``sciood.detectors.DEFAULT_DETECTOR``."""
    from sciood.detectors.default import default_detector

    return [DetectorSpec(**default_detector())]


class RunConfig(_Strict):
    """A whole run (top-level keys of the config file)."""

    name: str = Field(description="Run name: letters, digits, '_', '.', '-' (NAME_PATTERN).")
    output: LaxPath | None = Field(default=None,
                                   description="Run directory; default runs/<name>.")
    data: DataConfig
    representation: RepresentationConfig = Field(default_factory=RepresentationConfig)
    detectors: list[DetectorSpec] = Field(
        default_factory=_default_detectors, min_length=1,
        description="Detectors of the run; without the key one detector, "
                    "sciood.detectors.DEFAULT_DETECTOR (label 'default'); an empty list is an "
                    "error.")
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    statistics: StatisticsConfig = Field(default_factory=StatisticsConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_path_name(value, "name")

    @model_validator(mode="after")
    def _cross(self) -> RunConfig:
        if self.output is None:
            self.output = Path("runs") / self.name
        labels = [d.key for d in self.detectors]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"detectors: labels {dup} repeat; give each a unique `label`")
        folded = [x.casefold() for x in labels]
        clash = sorted({x for x in labels if folded.count(x.casefold()) > 1})
        if clash:  # one directory on case-insensitive file systems (macOS, Windows)
            raise ValueError(f"detectors: labels {clash} differ only in letter case and would "
                             "share a directory on macOS / Windows; rename one `label`")
        stat = self.statistics.detector
        if stat is not None and stat not in labels:
            raise ValueError(f"statistics.detector: {stat!r} is not a detector label of this "
                             f"run; valid: {', '.join(labels)}")
        src = self.data.source
        if src is not None and src.luminosity_fb is not None:
            lumi = self.statistics.luminosity
            if lumi is not None and lumi != src.luminosity_fb:
                raise ValueError(f"statistics.luminosity ({lumi}) and data.source.luminosity_fb "
                                 f"({src.luminosity_fb}) differ; give one of them")
            if lumi is None:
                self.statistics.luminosity = src.luminosity_fb
        if self.evaluation.classes is not None and src is None:
            # with data.source the classes are known once the files are read (pipeline.data)
            self._check_classes(self.evaluation.classes)
        return self

    def _check_classes(self, classes: list[str]) -> None:
        from sciood.generate.processes import get_process, load_process_file

        extra = load_process_file(self.data.process_file) if self.data.process_file else None
        present = {get_process(p, extra=extra).class_name
                   for p in [*self.data.background, *self.data.signals]}
        bad = sorted(set(classes) - present)
        if bad:
            raise ValueError(f"evaluation.classes: {bad} are not classes of this run; valid: "
                             f"{', '.join(sorted(present))}")

    @property
    def run_dir(self) -> Path:
        """The run directory (``output``)."""
        return self.output if self.output is not None else Path("runs") / self.name

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as JSON-able data."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """SHA-256 of the resolved configuration (hex)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()
