"""Unbinned signal-fraction LR statistic: Wilks on background-only toys, μ̂ on injections."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

import sciood.stats
from sciood.errors import ConfigError, DataError
from sciood.metrics import calibrated_likelihood_ratio
from sciood.stats import lr_test_statistic
from sciood.stats.lr_statistic import null_distribution


def _ratio(x: np.ndarray) -> np.ndarray:
    """Analytic p_s/p_b for N(1,1) over N(0,1)."""
    return np.exp(x - 0.5)


def test_exported() -> None:
    assert sciood.stats.lr_test_statistic is lr_test_statistic
    assert "lr_test_statistic" in sciood.stats.__all__


def test_asymptotic_matches_background_only_toys() -> None:
    rng = np.random.default_rng(0)
    q = null_distribution(_ratio(rng.normal(size=200_000)), 300, n_toys=2000, seed=1)
    assert np.mean(q == 0.0) == pytest.approx(0.5, abs=0.04)
    for q_cut in (1.0, 2.706, 4.0):  # ½ χ²₁ tail: 0.159, 0.050, 0.023
        assert np.mean(q >= q_cut) == pytest.approx(0.5 * chi2.sf(q_cut, 1), abs=0.015)


def test_toy_p_value_agrees_with_asymptotic() -> None:
    rng = np.random.default_rng(3)
    x = np.r_[rng.normal(size=400), rng.normal(1.0, 1.0, 25)]
    pool = _ratio(rng.normal(size=100_000))
    res = lr_test_statistic(_ratio(x), background_r=pool, n_toys=2000, seed=4)
    assert res.q0 > 2.0 and 0.0 < res.mu_hat < 0.3
    assert res.z == pytest.approx(np.sqrt(res.q0))
    assert res.p_value_toys is not None and res.z_toys is not None
    assert abs(res.z_toys - res.z) < 0.3
    assert res.n_events == 425 and res.n_toys == 2000


def test_fraction_is_recovered_and_calibrated_ratio_works() -> None:
    """μ̂ ≈ injected fraction, with the analytic and with a calibrated r̂ (isotonic)."""
    rng = np.random.default_rng(5)
    n_cal = 20_000
    xc = np.r_[rng.normal(size=n_cal), rng.normal(1.0, 1.0, n_cal)]
    lr = calibrated_likelihood_ratio(np.r_[np.zeros(n_cal), np.ones(n_cal)], np.tanh(xc))
    x = np.r_[rng.normal(size=8000), rng.normal(1.0, 1.0, 2000)]  # μ = 0.2
    exact = lr_test_statistic(_ratio(x))
    calib = lr_test_statistic(lr(np.tanh(x)))
    assert exact.mu_hat == pytest.approx(0.2, abs=0.04)
    assert calib.mu_hat == pytest.approx(exact.mu_hat, abs=0.04)
    assert calib.z == pytest.approx(exact.z, rel=0.1)


def test_no_signal_preference_gives_zero() -> None:
    res = lr_test_statistic([0.1, 0.5, 0.9, 1.0])
    assert res.q0 == 0.0 and res.mu_hat == 0.0 and res.p_value == 0.5
    assert lr_test_statistic([0.0, 3.0, 5.0]).mu_hat < 1.0  # r = 0 keeps μ̂ below 1


def test_weights_act_as_repeats() -> None:
    r = np.array([0.3, 2.0, 5.0, 0.8])
    a = lr_test_statistic(r, sample_weight=[2, 1, 3, 1])
    b = lr_test_statistic(np.repeat(r, [2, 1, 3, 1]))
    assert a.q0 == pytest.approx(b.q0) and a.mu_hat == pytest.approx(b.mu_hat)


@pytest.mark.parametrize(
    ("r", "w", "match"),
    [
        ([], None, "empty"),
        ([1.0, np.nan], None, "NaN"),
        ([1.0, -2.0], None, "negative"),
        ([1.0, 2.0], [1.0, -1.0], "non-concave"),
        ([1.0, 2.0], [0.0, 0.0], "sums to 0"),
        ([1.0, 2.0], [1.0], "one weight per event"),
    ],
)
def test_bad_input(r: list, w: list | None, match: str) -> None:
    with pytest.raises(DataError, match=match):
        lr_test_statistic(r, sample_weight=w)


def test_bad_toys() -> None:
    with pytest.raises(ConfigError, match="n_toys"):
        lr_test_statistic([2.0], background_r=[1.0], n_toys=0)
