"""Lock the public names of sciood.domains.gw (equality, not a superset)."""

from __future__ import annotations

import pytest

pytest.importorskip("pycbc")

import sciood.domains.gw as gw

NAMES = {
    "BACKGROUNDS", "BASELINE_COLUMN", "DETECTORS", "FEATURES", "PROCESSES", "REPRESENTATIONS",
    "SIGNALS", "STRAIN_COLUMNS", "VARIANTS", "FARResult", "GWSettings", "Process", "Sky",
    "Variant", "colored_noise", "design_psd", "estimate_psd", "excess_power_score",
    "excess_power_slides", "expert_features", "false_alarm_rate", "far_significance",
    "generate_gw", "generate_gw_sample", "get_process", "get_variant", "gw_represent",
    "light_travel_time", "optimal_snr", "project", "qmaps", "qtransform", "slide_pairs",
    "strain_windows", "time_slides", "whiten",
}


def test_public_names():
    assert set(gw.__all__) == NAMES
    for name in gw.__all__:
        assert hasattr(gw, name), name


def test_front_door_mirrors_sciood_generate():
    import inspect

    params = inspect.signature(gw.generate_gw).parameters
    assert list(params)[:2] == ["process", "n_events"]
    for kw in ("seed", "variant", "out", "settings"):
        assert params[kw].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["variant"].default == "sim"
