"""sciood.stats — discovery statistics: bump hunt, significances, look-elsewhere, CLs limits.

Example
-------
>>> from sciood.stats import bump_hunt, counting_significance
>>> round(counting_significance(10.0, 20.0), 3)
2.08
>>> res = bump_hunt(es.column("mjj"), scores, es.weights, cut_eff_b=0.1)  # doctest: +SKIP
>>> res.local_z_observed, res.global_z_observed, res.fake_bump_z          # doctest: +SKIP
"""

from __future__ import annotations

from sciood.stats.bumphunt import (
    BackgroundFit,
    HuntResult,
    bump_hunt,
    cut_threshold_for_efficiency,
    default_range,
    dijet_function,
    fit_background,
    log_bins,
)
from sciood.stats.injection import InjectionResult, injection_scan
from sciood.stats.significance import (
    LimitResult,
    build_workspace,
    counting_significance,
    gross_vitells_p,
    observed_significance,
    p_to_z,
    upcrossings,
    upper_limit,
    z_to_p,
)

__all__ = [
    "BackgroundFit",
    "HuntResult",
    "InjectionResult",
    "LimitResult",
    "build_workspace",
    "bump_hunt",
    "counting_significance",
    "cut_threshold_for_efficiency",
    "default_range",
    "dijet_function",
    "fit_background",
    "gross_vitells_p",
    "injection_scan",
    "log_bins",
    "observed_significance",
    "p_to_z",
    "upcrossings",
    "upper_limit",
    "z_to_p",
]
