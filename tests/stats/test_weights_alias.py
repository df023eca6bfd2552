"""Per-event weights are ``sample_weight=`` (keyword-only); ``weights=`` still works and warns."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from sciood.stats import (
    bump_hunt,
    cut_threshold_for_efficiency,
    default_range,
    dijet_function,
    fit_background,
    injection_scan,
)
from sciood.stats.binning import histogram, make_edges

RANGE = (2600.0, 5000.0)
WEIGHTED = [bump_hunt, cut_threshold_for_efficiency, default_range, fit_background,
            injection_scan, histogram, make_edges]


@pytest.fixture(scope="module")
def events() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    grid = np.linspace(*RANGE, 20001)
    pdf = dijet_function(grid, (0.0, 10.0, 5.0, 0.0))
    obs = np.interp(rng.random(20_000), np.cumsum(pdf) / pdf.sum(), grid)
    w = rng.uniform(0.5, 1.5, obs.size)
    return obs, w


@pytest.mark.parametrize("fn", WEIGHTED, ids=lambda f: f.__name__)
def test_sample_weight_is_keyword_only(fn) -> None:
    params = inspect.signature(fn).parameters
    assert params["sample_weight"].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["weights"].kind is inspect.Parameter.KEYWORD_ONLY


def test_deprecated_weights_alias_warns_and_gives_the_same_result(events) -> None:
    obs, w = events
    new = bump_hunt(obs, sample_weight=w, mjj_range=RANGE, n_toys=0, model="dijet4")
    with pytest.warns(FutureWarning, match="sample_weight"):
        old = bump_hunt(obs, weights=w, mjj_range=RANGE, n_toys=0, model="dijet4")
    np.testing.assert_array_equal(new.z_local_observed, old.z_local_observed)
    # the weights really enter: unit weights give another background fit
    unit = bump_hunt(obs, mjj_range=RANGE, n_toys=0, model="dijet4")
    assert not np.allclose(unit.background_fit.counts, new.background_fit.counts)
    with pytest.warns(FutureWarning, match="fit_background"):
        f_old = fit_background(obs, weights=w, mjj_range=RANGE)
    f_new = fit_background(obs, sample_weight=w, mjj_range=RANGE)
    np.testing.assert_array_equal(f_old.values, f_new.values)
    score = obs / obs.max()
    with pytest.warns(FutureWarning, match="cut_threshold_for_efficiency"):
        t_old = cut_threshold_for_efficiency(score, 0.2, weights=w)
    assert t_old == cut_threshold_for_efficiency(score, 0.2, sample_weight=w)
    with pytest.warns(FutureWarning, match="default_range"):
        assert default_range(obs, weights=w) == default_range(obs, sample_weight=w)


def test_both_spellings_or_positional_weights_are_refused(events) -> None:
    obs, w = events
    with pytest.raises(TypeError, match="both"):
        bump_hunt(obs, sample_weight=w, weights=w, mjj_range=RANGE, n_toys=0)
    with pytest.raises(TypeError):
        bump_hunt(obs, None, w)  # type: ignore[misc]  # weights were the 3rd positional
    with pytest.raises(TypeError):
        cut_threshold_for_efficiency(obs, w, 0.1)  # type: ignore[call-arg]
