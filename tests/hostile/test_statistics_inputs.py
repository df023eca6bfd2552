"""Hostile inputs to the discovery statistics (sciood.stats).

Category "statistics": settings and spectra that make no sense are refused with a DataError /
StatisticsError / UnknownNameError naming the problem; legal-but-unusual inputs (low counts,
scaled or partly negative weights, a single window) give the right number or a flag.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sciood.errors import DataError, SciOODError, StatisticsError
from sciood.stats import (
    bump_hunt,
    counting_significance,
    dijet_function,
    fit_background,
    fit_spectrum,
    gross_vitells_p,
    judge_sculpting,
    observed_significance,
    select_function,
    spurious_signal,
)

RANGE = (2600.0, 5000.0)


def hostile(category: str, outcome: str):
    return pytest.mark.hostile(category, outcome)


@pytest.fixture(scope="module")
def mjj() -> np.ndarray:
    grid = np.linspace(*RANGE, 20001)
    cdf = np.cumsum(dijet_function(grid, (0.0, 10.0, 5.0, 0.0)))
    return np.interp(np.random.default_rng(0).random(20000), cdf / cdf[-1], grid)


BAD_SETTINGS = [
    {"n_toys": -1}, {"n_toys": 2.5}, {"n_toys": True}, {"windows": 0}, {"windows": -3},
    {"signal_rel_width": 0.0}, {"signal_rel_width": 1.5}, {"signal_rel_width": math.nan},
    {"window_rel_width": 0.0}, {"toy_rel_error": 0.0}, {"toy_rel_error": 1.0},
    {"sculpt_alpha": 0.0}, {"sculpt_z_threshold": math.inf}, {"luminosity": -1.0},
    {"luminosity": math.nan}, {"model": "dijet7"}, {"method": "sliding"},
    {"mjj_range": (5000.0, 2600.0)}, {"bins": [2600.0, 3000.0, 2900.0]}, {"edge_bins": -1},
    {"mask_pad_bins": -1}, {"cut_eff_b": 0.0}, {"cut_eff_b": 1.5},
]


@hostile("statistics", "error")
@pytest.mark.parametrize("kwargs", BAD_SETTINGS, ids=[str(k) for k in BAD_SETTINGS])
def test_nonsense_hunt_settings_are_refused(mjj: np.ndarray, kwargs: dict) -> None:
    score = np.random.default_rng(1).random(mjj.size)
    with pytest.raises(SciOODError) as info:
        bump_hunt(mjj, score, **{"mjj_range": RANGE, "n_toys": 0, **kwargs})
    assert not isinstance(info.value, StatisticsError) or "fit" in str(info.value)


BAD_ARRAYS = ["nan-observable", "inf-score", "short-weights", "empty", "hole", "2d"]


@hostile("statistics", "error")
@pytest.mark.parametrize("case", BAD_ARRAYS)
def test_broken_spectra_are_refused(mjj: np.ndarray, case: str) -> None:
    obs, score, w = mjj.copy(), None, None
    if case == "nan-observable":
        obs[3] = np.nan
    elif case == "inf-score":
        score = np.ones(obs.size)
        score[5] = np.inf
    elif case == "short-weights":
        w = np.ones(obs.size - 1)
    elif case == "empty":
        obs = obs[:0]
    elif case == "hole":
        obs = obs[(obs < 3300.0) | (obs > 3500.0)]
    elif case == "2d":
        obs = obs.reshape(2, -1)
    with pytest.raises(DataError):
        bump_hunt(obs, score, sample_weight=w, mjj_range=RANGE, n_toys=0)


BAD_NUMBERS = [
    lambda: gross_vitells_p(3.0, -1.0, 1.0), lambda: gross_vitells_p(3.0, 1.0, -1.0),
    lambda: gross_vitells_p(math.nan, 1.0, 1.0), lambda: gross_vitells_p(3.0, math.inf, 1.0),
    lambda: counting_significance(5.0, 0.0), lambda: counting_significance(5.0, 10.0, -1.0),
    lambda: counting_significance(math.nan, 10.0), lambda: observed_significance(-1.0, 10.0),
    lambda: judge_sculpting(np.full(3, np.nan), np.ones((3, 2)), 1.0, 1.0),
    lambda: judge_sculpting(np.ones(3), np.ones((3, 2)), 0.0, 1.0),
    lambda: fit_spectrum(np.geomspace(*RANGE, 11), np.r_[np.full(9, 50.0), np.nan],
                         np.full(10, 50.0)),
    lambda: fit_spectrum(np.geomspace(*RANGE, 11), np.full(9, 50.0), np.full(9, 50.0)),
    lambda: fit_spectrum(np.geomspace(*RANGE, 11)[::-1], np.full(10, 50.0), np.full(10, 50.0)),
    lambda: select_function(np.geomspace(*RANGE, 11), np.full(10, 50.0), np.full(10, 50.0),
                            alpha=0.0),
]


@hostile("statistics", "error")
@pytest.mark.parametrize("call", BAD_NUMBERS, ids=[f"n{i}" for i in range(len(BAD_NUMBERS))])
def test_nonsense_numbers_are_refused(call) -> None:
    with pytest.raises(SciOODError):
        call()


@hostile("statistics", "error")
def test_negative_bin_and_tiny_template_are_refused(mjj: np.ndarray) -> None:
    w = np.ones(mjj.size)
    w[(mjj > 3000.0) & (mjj < 3050.0)] = -5.0
    with pytest.raises(StatisticsError, match="negative"):
        fit_background(mjj, sample_weight=w, mjj_range=RANGE)
    edges = np.geomspace(*RANGE, 27)
    with pytest.raises(DataError, match="larger template"):
        spurious_signal(edges, np.full(26, 10.0), data_events=1e6)


@hostile("statistics", "correct")
def test_gross_vitells_without_upcrossings_is_the_local_p() -> None:
    from scipy import stats as sps

    assert gross_vitells_p(3.0, 0.0, 1.0) == pytest.approx(float(sps.norm.sf(3.0)))
    assert gross_vitells_p(0.5, 2.0, 1.0) == 1.0


@hostile("statistics", "correct")
def test_constant_weights_do_not_change_the_significance(mjj: np.ndarray) -> None:
    a = bump_hunt(mjj, mjj_range=RANGE, n_toys=0)
    b = bump_hunt(mjj, None, sample_weight=np.full(mjj.size, 1e-3), mjj_range=RANGE, n_toys=0)
    # scaled Poisson: Σw/k with k = c is the same count; every Z is unchanged
    assert np.allclose(a.z_local_observed, b.z_local_observed, atol=1e-6)


@hostile("statistics", "correct")
def test_partly_negative_weights_with_positive_bins_are_hunted(mjj: np.ndarray) -> None:
    w = np.ones(mjj.size)
    w[::50] = -0.5  # NLO-like: 2 % negative weights, every bin sum stays positive
    res = bump_hunt(mjj, None, sample_weight=w, mjj_range=RANGE, n_toys=0)
    assert np.all(np.isfinite(res.z_local_observed))
    assert res.background_fit.counts.sum() == pytest.approx(w[(mjj >= RANGE[0])].sum(), rel=1e-9)


@hostile("statistics", "correct")
def test_a_tiny_spectrum_is_flagged_not_trusted(mjj: np.ndarray) -> None:
    res = bump_hunt(mjj[:150], mjj_range=RANGE, n_toys=0)
    assert res.low_counts and any("low counts" in f for f in res.flags)


@hostile("statistics", "correct")
def test_a_single_explicit_window(mjj: np.ndarray) -> None:
    res = bump_hunt(mjj, mjj_range=RANGE, n_toys=0, windows=[(3300.0, 3700.0)])
    assert res.windows.shape == (1, 2) and res.best_index == 0
    assert res.masses is not None and 3300.0 < res.masses[0] < 3700.0
