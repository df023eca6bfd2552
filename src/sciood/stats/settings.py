"""The bump hunt's settings as one typed, frozen, validated object (:class:`HuntSettings`).

Every setting of :func:`sciood.stats.bump_hunt` that is not data lives here once, with its
default and its check; ``bump_hunt``'s keyword defaults are read from :data:`DEFAULTS`, and
the run configuration's ``statistics`` section (:class:`sciood.config.StatisticsConfig`)
takes the defaults it shares from here and converts to a ``HuntSettings`` with
``to_settings()``.

Field names are ``bump_hunt``'s keywords; they are the config keys of the same meaning,
except ``n_toys`` (config key ``toys``).  Settings in a ``HuntSettings`` are validated when
it is built (``DataError`` / ``UnknownNameError`` naming the field), so a wrong value fails
before any fit.

>>> from sciood.stats import HuntSettings
>>> s = HuntSettings(n_toys=200, cut_eff_b=0.1)
>>> s.replace(n_toys=0).n_toys, s.method
(0, 'signal-fit')
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from sciood.errors import DataError, UnknownNameError
from sciood.stats.dijet import MODELS

__all__ = ["DEFAULTS", "METHODS", "HuntSettings", "Method", "Model"]

#: Scan methods of the hunt: a signal + background fit per mass hypothesis, or a
#: background fit with the window masked and a counting experiment in it.
Method = Literal["signal-fit", "masked-window"]
METHODS: tuple[str, ...] = get_args(Method)
#: Background functions of the hunt: one of :data:`sciood.stats.MODELS`, or ``"auto"``
#: (F-tests between them).
Model = Literal["auto", "dijet3", "dijet4", "dijet5"]

Bins = int | tuple[float, ...] | None
Windows = int | tuple[tuple[float, float], ...] | None


@dataclass(frozen=True)
class HuntSettings:
    """Settings of :func:`~sciood.stats.bump_hunt` (see its docstring for each one).

    Attributes
    ----------
    cut_eff_b, cut_threshold : float or None
        The score cut: background fraction kept (in (0, 1]), or a threshold (not both).
    bins : int, tuple of float or None
        Number of log bins, or bin edges [GeV] (stored as a tuple); default ~2.5 % log bins.
    mjj_range : (float, float) or None
        Hunt range [GeV]; default :func:`~sciood.stats.default_range` of the data.
    windows : int, tuple of (lo, hi) or None
        Window width in bins, or explicit windows [GeV]; default from ``window_rel_width``.
    window_rel_width, signal_rel_width : float
        Window ``Δm/m`` and Gaussian signal ``σ/m``, each in (0, 1).
    edge_bins, mask_pad_bins : int
        Sideband bins kept at each end; guard bins of the masked-window scan (>= 0).
    sqrt_s : float
        √s [GeV].
    n_toys, toy_rel_error, gv_u0, min_toys_above
        Toy budget (>= 0) and target relative error of the global p-value, the
        Gross–Vitells reference level, the toys needed above the observed Z.
    sculpt_z_threshold, sculpt_alpha : float
        Sculpting guard: fake-bump Z that matters, and its false-alarm probability.
    model : {"auto", "dijet3", "dijet4", "dijet5"}
        Background function (``"auto"``: F-tests).
    method : {"signal-fit", "masked-window"}
        Scan method.
    luminosity : float or None
        Luminosity of the expected (Asimov) significance (> 0).
    seed : int
        Seed of the toys.
    """

    cut_eff_b: float | None = None
    cut_threshold: float | None = None
    bins: Bins = None
    mjj_range: tuple[float, float] | None = None
    windows: Windows = None
    window_rel_width: float = 0.10
    edge_bins: int = 2
    mask_pad_bins: int = 0
    sqrt_s: float = 13000.0
    n_toys: int = 1000
    toy_rel_error: float = 0.2
    gv_u0: float = 1.0
    min_toys_above: int = 10
    sculpt_z_threshold: float = 2.0
    sculpt_alpha: float = 0.05
    model: Model = "auto"
    method: Method = "signal-fit"
    signal_rel_width: float = 0.05
    luminosity: float | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.bins is not None and np.ndim(self.bins) == 1:
            set_(self, "bins", tuple(float(x) for x in np.asarray(self.bins, dtype=float)))
        if self.windows is not None and not isinstance(self.windows, int | np.integer):
            set_(self, "windows", tuple((float(lo), float(hi)) for lo, hi in self.windows))
        if self.mjj_range is not None:
            lo, hi = self.mjj_range
            set_(self, "mjj_range", (float(lo), float(hi)))
        _check(self)

    def replace(self, **changes: Any) -> HuntSettings:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Field name -> value (tuples as stored), e.g. for ``bump_hunt(**s.to_dict())``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def _check(s: HuntSettings) -> None:
    """Raise ``UnknownNameError`` / ``DataError`` naming the first invalid setting."""
    if s.method not in METHODS:
        raise UnknownNameError("bump-hunt method", s.method, list(METHODS))
    if s.model != "auto" and s.model not in MODELS:
        raise UnknownNameError("background model", s.model, [*MODELS, "auto"])
    n = s.n_toys
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise DataError(f"n_toys = {n!r} must be an integer >= 0 (0: no global p-value)")
    if not 0.0 < s.toy_rel_error < 1.0:
        raise DataError(f"toy_rel_error = {s.toy_rel_error} must be in (0, 1), e.g. 0.2")
    for name in ("window_rel_width", "signal_rel_width"):
        v = getattr(s, name)
        if not (math.isfinite(v) and 0.0 < v < 1.0):
            raise DataError(f"{name} = {v} must be a relative width in (0, 1), e.g. 0.1")
    if s.edge_bins < 0:
        raise DataError(f"edge_bins = {s.edge_bins} must be >= 0")
    if int(s.mask_pad_bins) < 0:
        raise DataError(f"mask_pad_bins = {s.mask_pad_bins} must be >= 0")
    lumi = s.luminosity
    if lumi is not None and not (math.isfinite(lumi) and lumi > 0):
        raise DataError(f"luminosity = {lumi} must be a positive number (e.g. in fb^-1)")
    if not math.isfinite(s.sculpt_z_threshold):
        raise DataError(f"sculpt_z_threshold = {s.sculpt_z_threshold} must be finite")
    if not 0.0 < s.sculpt_alpha < 1.0:
        raise DataError(f"sculpt_alpha = {s.sculpt_alpha} must be in (0, 1)")
    if s.cut_eff_b is not None and not 0.0 < s.cut_eff_b <= 1.0:
        raise DataError(f"cut efficiency {s.cut_eff_b} must be in (0, 1]")


#: The default settings; ``bump_hunt``'s keyword defaults are read from here.
DEFAULTS = HuntSettings()


def merge(settings: HuntSettings | None, keywords: dict[str, Any]) -> HuntSettings:
    """The settings of one ``bump_hunt`` call from ``settings=`` and its setting keywords.

    Without ``settings`` the keywords build a :class:`HuntSettings`.  With it, every keyword
    must be left at its default: a keyword that differs is a conflict (``TypeError``), not
    a silent override, because the call would say two things.
    """
    if settings is None:
        return HuntSettings(**keywords)
    if not isinstance(settings, HuntSettings):
        raise TypeError(f"settings must be a HuntSettings, got {type(settings).__name__}")
    clash = sorted(k for k, v in keywords.items() if _differs(v, getattr(DEFAULTS, k)))
    if clash:
        raise TypeError(
            f"bump_hunt() got settings= and the setting keyword(s) {', '.join(clash)}; pass "
            f"one of them, e.g. settings=settings.replace({clash[0]}=...)")
    return settings


def _differs(value: Any, default: Any) -> bool:
    if value is default:
        return False
    if value is None or default is None or np.ndim(value) != 0:
        return True
    return bool(value != default)
