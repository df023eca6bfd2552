"""sciood.stats — discovery statistics: bump hunt, significances, look-elsewhere, CLs limits.

One concept per module; imports point one way, from the bottom up (docs/statistics.md,
"Where the code lives"):

1. :mod:`~sciood.stats.significance` (p ↔ Z, counting significances, Gross–Vitells),
   :mod:`~sciood.stats.binning` (edges, ``(Σw, Σw²)``, Bohm–Zech scales),
   :mod:`~sciood.stats.sculpting` (the sculpting judgement);
2. background: :mod:`~sciood.stats.dijet` → :mod:`~sciood.stats.spectrum_fit` →
   :mod:`~sciood.stats.function_choice` → :mod:`~sciood.stats.background`;
3. limits: :mod:`~sciood.stats.limit_result` → :mod:`~sciood.stats.cls` →
   :mod:`~sciood.stats.poisson_limits`, :mod:`~sciood.stats.workspace` →
   :mod:`~sciood.stats.pyhf_limits` → :mod:`~sciood.stats.profile_limits` →
   :mod:`~sciood.stats.limits`;
4. bump hunt: :mod:`~sciood.stats.settings`, :mod:`~sciood.stats.cuts`,
   :mod:`~sciood.stats.toys` → :mod:`~sciood.stats.scan` → :mod:`~sciood.stats.hunt_result`
   → :mod:`~sciood.stats.hunt_checks` → :mod:`~sciood.stats.bumphunt` →
   :mod:`~sciood.stats.injection`; :mod:`~sciood.stats.spurious`,
   :mod:`~sciood.stats.bumphunter` beside it;
5. :mod:`~sciood.stats.brazil` (limits versus mass) on top.

Example
-------
>>> from sciood.stats import bump_hunt, counting_significance
>>> round(counting_significance(10.0, 20.0), 3)
2.08
>>> res = bump_hunt(es.column("mjj"), scores, sample_weight=es.weights,
...                 cut_eff_b=0.1)                                         # doctest: +SKIP
>>> res.local_z_observed, res.global_z_observed, res.fake_bump_z          # doctest: +SKIP
"""

from __future__ import annotations

from sciood.stats.background import (
    MODELS,
    BackgroundFit,
    FunctionChoice,
    default_range,
    dijet_function,
    fit_background,
    fit_spectrum,
    log_bins,
    select_function,
    signal_template,
)
from sciood.stats.brazil import BrazilResult, brazil_band, brazil_figure
from sciood.stats.bumphunt import METHODS, HuntResult, bump_hunt, cut_threshold_for_efficiency
from sciood.stats.bumphunter import BumpHunterResult, bumphunter_scan
from sciood.stats.detector_nuisances import (
    JESResponse,
    cut_efficiencies,
    jes_response,
    spread_modifiers,
)
from sciood.stats.injection import InjectionResult, injection_scan
from sciood.stats.limits import (
    LimitResult,
    build_workspace,
    exact_poisson_cls_limit,
    fit_workspace,
    limit_from_workspace,
    signal_window,
    upper_limit,
)
from sciood.stats.lr_statistic import LRScanResult, LRTestResult, lr_scan, lr_test_statistic
from sciood.stats.sculpting import SculptingCheck, judge_sculpting
from sciood.stats.settings import HuntSettings
from sciood.stats.significance import (
    counting_significance,
    gross_vitells_p,
    observed_significance,
    p_to_z,
    upcrossings,
    z_to_p,
)
from sciood.stats.spurious import SpuriousSignal, spurious_signal
from sciood.stats.toys import GlobalSignificance, global_significance

__all__ = [
    "METHODS",
    "MODELS",
    "BackgroundFit",
    "BrazilResult",
    "BumpHunterResult",
    "FunctionChoice",
    "GlobalSignificance",
    "HuntResult",
    "HuntSettings",
    "InjectionResult",
    "JESResponse",
    "LRScanResult",
    "LRTestResult",
    "LimitResult",
    "SculptingCheck",
    "SpuriousSignal",
    "brazil_band",
    "brazil_figure",
    "build_workspace",
    "bump_hunt",
    "bumphunter_scan",
    "counting_significance",
    "cut_efficiencies",
    "cut_threshold_for_efficiency",
    "default_range",
    "dijet_function",
    "exact_poisson_cls_limit",
    "fit_background",
    "fit_spectrum",
    "fit_workspace",
    "global_significance",
    "gross_vitells_p",
    "injection_scan",
    "jes_response",
    "judge_sculpting",
    "limit_from_workspace",
    "log_bins",
    "lr_scan",
    "lr_test_statistic",
    "observed_significance",
    "p_to_z",
    "select_function",
    "signal_template",
    "signal_window",
    "spread_modifiers",
    "spurious_signal",
    "upcrossings",
    "upper_limit",
    "z_to_p",
]
