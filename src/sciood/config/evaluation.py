"""The ``evaluation`` section: working points, bootstrap, classes and metrics."""

from __future__ import annotations

from pydantic import (
    Field,
    field_validator,
)

from sciood.config.base import _Strict, _unknown

__all__ = ["EvaluationConfig", "WorkingPoints"]


class WorkingPoints(_Strict):
    """Working points: rejection at signal efficiencies, efficiency at background efficiencies."""

    eff_s: list[float] = Field(default_factory=lambda: [0.2, 0.3, 0.5])
    eps_b: list[float] = Field(default_factory=lambda: [1e-2, 1e-3])

    @field_validator("eff_s", "eps_b")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        bad = [v for v in value if not 0.0 < v < 1.0]
        if bad:
            raise ValueError(f"working points are efficiencies in (0, 1), got {bad}")
        return value


class EvaluationConfig(_Strict):
    """Class-conditional evaluation settings (see :func:`sciood.evaluate.evaluate`)."""

    working_points: WorkingPoints = Field(default_factory=WorkingPoints)
    bootstrap: int = Field(default=100, ge=2, description="Poisson-bootstrap replicas (>= 2).")
    classes: list[str] | None = Field(
        default=None, description="Restrict the evaluation to these class labels.")
    metrics: list[str] | None = None
    top_k: int = Field(default=20, ge=1)
    max_dcor: int = Field(default=1000, ge=10)
    seed: int = Field(default=0, ge=0)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        from sciood.evaluate import available_metrics

        bad = [m for m in value if m not in available_metrics()]
        if bad:
            raise ValueError(_unknown("metric", bad[0], available_metrics()))
        return value
