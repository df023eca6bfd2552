"""The ``representation`` section: the model inputs."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    field_validator,
)

from sciood.config.base import _Strict, _unknown

__all__ = ["RepresentationConfig"]


class RepresentationConfig(_Strict):
    """Model inputs: ``kind: features`` with a feature-set name or a list of columns."""

    kind: Literal["features"] = "features"
    features: str | list[str] = "lhco"

    @field_validator("features")
    @classmethod
    def _known(cls, value: str | list[str]) -> str | list[str]:
        from sciood.reco.features import FEATURES
        from sciood.represent.hlf import FEATURE_SETS

        if isinstance(value, str):
            if value not in FEATURE_SETS:
                raise ValueError(_unknown("feature set", value, FEATURE_SETS))
            return value
        if not value:
            raise ValueError("features is empty; give a feature-set name or column names")
        bad = [f for f in value if f not in FEATURES]
        if bad:
            raise ValueError(_unknown("feature", bad[0], FEATURES))
        return value

    def columns(self) -> list[str]:
        """The feature columns, shape ``(n_features,)``."""
        from sciood.represent.hlf import resolve_features

        return list(resolve_features(self.features))
