"""The ``statistics`` section: the bump hunt, the limits and the injection scan of a run.

The hunt's keys mirror :class:`sciood.stats.HuntSettings`, the one home of the hunt's
settings: the keys shared with it (``toy_rel_error``, ``method``, ``model``,
``signal_rel_width``, ``seed``) take its defaults, and :meth:`StatisticsConfig.to_settings`
converts the section to a ``HuntSettings`` (validated there once more).  Three defaults are
the pipeline's own choices and differ from the library's on purpose: a run always cuts
(``cut_eff_b: 0.1``; the library's default is no cut), hunts a fixed range
(``mjj_range: [2800, 6500]``; the library's default is the data's range above the trigger
turn-on) and budgets 200 toys (``toys``; the library's ``n_toys`` is 1000).  The config
key ``toys`` is the hunt's ``n_toys``.  ``luminosity`` scales the event weights before the
hunt (the pipeline's pseudo-data are ``weight × luminosity``), so it is not passed on as
the hunt's ``luminosity``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sciood.config.base import _Strict
from sciood.errors import SciOODError
from sciood.stats.settings import DEFAULTS, HuntSettings, Method, Model

__all__ = ["StatisticsConfig"]

#: The pipeline's own defaults (module docstring: why they differ from the library's).
PIPELINE_CUT_EFF_B = 0.1
PIPELINE_MJJ_RANGE = (2800.0, 6500.0)
PIPELINE_TOYS = 200


class StatisticsConfig(_Strict):
    """Bump hunt on the observable after a cut on the score (see :func:`sciood.stats.bump_hunt`).

    The hunted pseudo-data are the ``sim`` background test events (weights × luminosity)
    plus ``data.injection.n`` signal events of ``data.injection.process``.
    """

    enabled: bool = True
    observable: Literal["mjj"] = "mjj"
    cut_eff_b: float = Field(default=PIPELINE_CUT_EFF_B, gt=0.0, le=1.0,
                             description="Background efficiency kept by the score cut.")
    mjj_range: tuple[float, float] = Field(
        default=PIPELINE_MJJ_RANGE, description="[lo, hi] in GeV (a list in YAML / TOML).")
    luminosity: float | None = Field(
        default=None, gt=0.0,
        description="fb^-1; default: the MC background count (weights ≈ 1 per event).")
    toys: int = Field(
        default=PIPELINE_TOYS, ge=0,
        description="Toy budget for the global p-value (adaptive: stops at toy_rel_error).")
    toy_rel_error: float = Field(default=DEFAULTS.toy_rel_error, gt=0.0, lt=1.0,
                                 description="Target relative error of the toy global p.")
    method: Method = Field(
        default=DEFAULTS.method, description="Scan: S+B fit per mass, or masked-window fits.")
    model: Model = Field(
        default=DEFAULTS.model, description="Background function; auto = F-test choice.")
    signal_rel_width: float = Field(
        default=DEFAULTS.signal_rel_width, gt=0.0, lt=1.0,
        description="Gaussian signal width sigma/m of the scan (the mjj resolution).")
    detector: str | None = Field(
        default=None, description="Detector label to cut on; default the best max SIC.")
    injection_scan: list[int] = Field(default_factory=lambda: [0, 20, 50, 100])
    limit: bool = True
    brazil: bool = Field(
        default=True, description="Limits vs mass (Brazil band, fb; HEPData + workspaces).")
    seed: int = Field(default=DEFAULTS.seed, ge=0)

    @field_validator("mjj_range", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        # YAML / TOML have lists, not tuples; the elements stay strictly typed
        return tuple(value) if isinstance(value, list) else value

    @field_validator("mjj_range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0.0 <= lo < hi:
            raise ValueError(f"mjj_range must be [lo, hi] in GeV with 0 <= lo < hi, got {value}")
        return value

    @field_validator("injection_scan")
    @classmethod
    def _counts(cls, value: list[int]) -> list[int]:
        if any(v < 0 for v in value):
            raise ValueError(f"injection_scan counts must be >= 0, got {value}")
        return sorted(set(value))

    @model_validator(mode="after")
    def _hunt(self) -> StatisticsConfig:
        try:
            self.to_settings()
        except SciOODError as exc:
            raise ValueError(str(exc)) from None
        return self

    def to_settings(self) -> HuntSettings:
        """The hunt's settings of this section (``toys`` → ``n_toys``; module docstring).

        Returns
        -------
        HuntSettings
            With this section's cut, range, toys, scan and seed; every other setting at
            the library default.
        """
        return HuntSettings(
            cut_eff_b=self.cut_eff_b, mjj_range=self.mjj_range, n_toys=self.toys,
            toy_rel_error=self.toy_rel_error, method=self.method, model=self.model,
            signal_rel_width=self.signal_rel_width, seed=self.seed)
