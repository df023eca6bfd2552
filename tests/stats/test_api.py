"""The public names of ``sciood.stats`` and of each of its modules: exact lists, a contract.

Moving code between modules must not change them: the old paths (``sciood.stats.bumphunt``,
``.limits``, ``.background``, ``.significance``) re-export what they held, and every name is
the same object wherever it is imported from.
"""

from __future__ import annotations

import importlib

import pytest

import sciood.stats

#: module -> its exact ``__all__`` (sorted)
PUBLIC: dict[str, list[str]] = {
    "sciood.stats": [
        'BackgroundFit', 'BrazilResult', 'BumpHunterResult', 'FunctionChoice',
        'GlobalSignificance', 'HuntResult', 'HuntSettings', 'InjectionResult', 'JESResponse',
        'LRScanResult', 'LRTestResult', 'LimitResult',
        'METHODS', 'MODELS', 'SculptingCheck', 'SpuriousSignal', 'brazil_band', 'brazil_figure',
        'build_workspace', 'bump_hunt', 'bumphunter_scan', 'counting_significance',
        'cut_efficiencies', 'cut_threshold_for_efficiency', 'default_range', 'dijet_function',
        'exact_poisson_cls_limit', 'fit_background', 'fit_spectrum', 'fit_workspace',
        'global_significance', 'gross_vitells_p', 'injection_scan', 'jes_response',
        'judge_sculpting', 'limit_from_workspace', 'log_bins', 'lr_scan', 'lr_test_statistic',
        'observed_significance', 'p_to_z', 'select_function', 'signal_template', 'signal_window',
        'spread_modifiers', 'spurious_signal', 'upcrossings', 'upper_limit', 'z_to_p',
    ],
    "sciood.stats.bumphunt": [
        'BackgroundFit', 'HuntResult', 'HuntSettings', 'METHODS', 'bump_hunt',
        'cut_threshold_for_efficiency', 'default_range', 'dijet_function', 'fit_background',
        'log_bins',
    ],
    "sciood.stats.limits": [
        'LOW_COUNT_THRESHOLD', 'LimitResult', 'build_workspace', 'exact_poisson_cls_limit',
        'fit_workspace', 'limit_from_workspace', 'signal_window', 'upper_limit',
    ],
    "sciood.stats.background": [
        'BackgroundFit', 'FunctionChoice', 'MODELS', 'as_1d', 'default_range', 'dijet_function',
        'fit_background', 'fit_spectrum', 'histogram', 'log_bins', 'make_edges', 'scale_factors',
        'select_function', 'signal_template',
    ],
    "sciood.stats.significance": [
        'counting_significance', 'gross_vitells_p', 'observed_significance', 'p_to_z',
        'upcrossings', 'z_to_p',
    ],
    "sciood.stats.binning": [
        'as_1d', 'default_range', 'histogram', 'log_bins', 'make_edges', 'scale_factors',
        'signal_template',
    ],
    "sciood.stats.dijet": ['MODELS', 'dijet_function'],
    "sciood.stats.spectrum_fit": ['BackgroundFit', 'fit_spectrum'],
    "sciood.stats.function_choice": ['FunctionChoice', 'select_function'],
    "sciood.stats.settings": ['DEFAULTS', 'HuntSettings', 'METHODS', 'Method', 'Model'],
    "sciood.stats.cuts": ['cut_threshold_for_efficiency'],
    "sciood.stats.scan": ['METHODS'],
    "sciood.stats.hunt_result": ['HuntResult'],
    "sciood.stats.hunt_checks": [],
    "sciood.stats.toys": ['GlobalSignificance', 'global_significance'],
    "sciood.stats.sculpting": ['SculptingCheck', 'judge_sculpting'],
    "sciood.stats.limit_result": ['LimitResult'],
    "sciood.stats.cls": ['LOW_COUNT_THRESHOLD'],
    "sciood.stats.poisson_limits": ['exact_poisson_cls_limit'],
    "sciood.stats.workspace": ['build_workspace', 'fit_workspace', 'signal_window'],
    "sciood.stats.pyhf_limits": ['limit_from_workspace'],
    "sciood.stats.profile_limits": [],
    "sciood.stats.injection": ['BASELINE', 'InjectionResult', 'injection_scan'],
    "sciood.stats.spurious": ['SpuriousSignal', 'spurious_signal'],
    "sciood.stats.bumphunter": ['BumpHunterResult', 'bumphunter_scan'],
    "sciood.stats.lr_statistic": ['LRScanResult', 'LRTestResult', 'lr_scan', 'lr_test_statistic',
                                  'null_distribution'],
    "sciood.stats.detector_nuisances": ['JESResponse', 'cut_efficiencies', 'jes_response',
                                        'spread_modifiers'],
    "sciood.stats.brazil": ['BrazilResult', 'brazil_band', 'brazil_figure'],
}

#: names held by the old module paths before the split (must stay importable there)
OLD_PRIVATE = {"sciood.stats.bumphunt": ["_scan", "_as_1d", "_make_edges", "_histogram"]}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_exact_public_names(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == PUBLIC[module]
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_one_object_per_name(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        if hasattr(sciood.stats, name):
            assert getattr(mod, name) is getattr(sciood.stats, name), f"{module}.{name}"


def test_old_private_names_still_import() -> None:
    for module, names in OLD_PRIVATE.items():
        mod = importlib.import_module(module)
        for name in names:
            assert callable(getattr(mod, name)), f"{module}.{name}"


def test_report_imports_keep_working() -> None:
    from sciood.stats.brazil import BrazilResult
    from sciood.stats.bumphunt import HuntResult
    from sciood.stats.injection import BASELINE, InjectionResult
    from sciood.stats.limits import LimitResult

    assert HuntResult.__module__ == "sciood.stats.hunt_result"
    assert LimitResult.__module__ == "sciood.stats.limit_result"
    assert BASELINE == "mjj_only" and InjectionResult and BrazilResult
