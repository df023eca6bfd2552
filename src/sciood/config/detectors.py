"""The ``detectors`` section: one :class:`DetectorSpec` per detector of the run."""

from __future__ import annotations

from typing import Any

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sciood.config.base import _UNSUPPORTED_LABEL_KINDS, _Strict, _unknown, check_path_name
from sciood.errors import ConfigError

__all__ = ["DetectorSpec"]


class DetectorSpec(_Strict):
    """One detector: a registry name, its parameters and an optional unique label.

    ``name`` is one of :func:`sciood.detectors.available` or any ``pyod:<ClassName>`` of
    PyOD (docs/detectors.md, "PyOD detectors").
    """

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(default=None, description="Name in the report and of its "
                              "directories (RUN/models/<label>); default `name`, with ':' "
                              "replaced by '-' (`pyod:ECOD` -> `pyod-ECOD`).")

    @field_validator("label")
    @classmethod
    def _safe_label(cls, value: str | None) -> str | None:
        return None if value is None else check_path_name(value, "label")

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        from sciood.detectors.registry import PYOD_PREFIX, available, detector_class
        from sciood.errors import UnknownNameError

        if value.startswith(PYOD_PREFIX):  # any PyOD class, not only the listed ones
            try:
                detector_class(value)
            except UnknownNameError as exc:
                raise ValueError(str(exc)) from None
            return value
        if value not in available():
            raise ValueError(_unknown("detector", value, available()))
        return value

    @model_validator(mode="after")
    def _params(self) -> DetectorSpec:
        from sciood.detectors.registry import detector_class

        cls = detector_class(self.name)
        if self.name == "idealized":
            raise ValueError(
                "detector 'idealized' needs an extra, independent background sample as its "
                "y = 0 class, which a run config does not provide (its labels would be signal "
                "truth, making it a supervised classifier); use 'supervised' for the "
                "reference, or benchmarks/rnd.py / the Python API for the idealized detector")
        if cls.label_kind in _UNSUPPORTED_LABEL_KINDS:
            raise ValueError(f"detector {self.name!r} needs "
                             f"{_UNSUPPORTED_LABEL_KINDS[cls.label_kind]}; choose another")
        from sciood.detectors import check_params

        valid = cls.param_names()
        bad = sorted(set(self.params) - set(valid))
        if bad and not cls.accepts_extra_params:
            raise ValueError(f"@params: detector {self.name!r} has no parameter(s) {bad}; "
                             f"valid parameters: {', '.join(sorted(valid))}")
        try:
            check_params(self.name, self.params)
        except ConfigError as exc:  # incl. UnknownNameError of an ensemble's base
            raise ValueError(f"@params: {exc}") from None
        return self

    @property
    def key(self) -> str:
        """The unique label of this detector in a run (it names a directory, so a ``:`` of a
        ``pyod:<ClassName>`` name becomes ``-``)."""
        return self.label or self.name.replace(":", "-")
