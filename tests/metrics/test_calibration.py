"""Calibration: cross-check with scikit-learn, recovery of a known temperature, refusals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression

from sciood.errors import DataError
from sciood.metrics import auc, ece, isotonic_calibrate, reliability_curve, temperature_scale


def overconfident(seed: int, n: int = 20000, t: float = 2.0):
    """Labels drawn from sigmoid(z); the 'classifier' reports sigmoid(t·z) (over-confident)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 1.5, n)
    y = (rng.uniform(size=n) < expit(z)).astype(int)
    return y, expit(t * z), expit(z)


def test_reliability_uniform_matches_sklearn():
    y, p, _ = overconfident(0)
    mean_pred, frac, _ = reliability_curve(y, p, n_bins=10, strategy="uniform")
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    np.testing.assert_allclose(frac, prob_true, rtol=1e-12)
    np.testing.assert_allclose(mean_pred, prob_pred, rtol=1e-12)


def test_reliability_quantile_close_to_sklearn_and_equal_mass():
    y, p, _ = overconfident(1)
    mean_pred, frac, wt = reliability_curve(y, p, n_bins=10)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=10, strategy="quantile")
    np.testing.assert_allclose(mean_pred, prob_pred, atol=2e-3)
    np.testing.assert_allclose(frac, prob_true, atol=2e-3)
    np.testing.assert_allclose(wt, len(y) / 10, rtol=0.01)  # equal-mass bins


def test_ece_brute_force_and_weights():
    y, p, _ = overconfident(2, n=3000)
    w = np.random.default_rng(0).uniform(0.2, 2.0, y.size)
    edges = np.quantile(p, np.linspace(0, 1, 6), weights=w, method="inverted_cdf")
    ids = np.searchsorted(edges[1:-1], p)
    ref = 0.0
    for b in range(5):
        sel = ids == b
        conf = np.average(p[sel], weights=w[sel])
        freq = np.average(y[sel], weights=w[sel])
        ref += abs(conf - freq) * w[sel].sum() / w.sum()
    assert ece(y, p, sample_weight=w, n_bins=5) == pytest.approx(ref, rel=1e-12)
    assert ece(y, p, sample_weight=7.0 * w, n_bins=5) == pytest.approx(ref, rel=1e-12)


def test_ece_separates_calibrated_from_overconfident():
    y, p_over, p_true = overconfident(3)
    assert ece(y, p_true) < 0.015
    assert ece(y, p_over) > 0.05


def test_temperature_recovers_known_temperature_and_keeps_ranking():
    y, p_over, _ = overconfident(4, n=40000, t=2.0)
    cal = temperature_scale(y, p_over)
    assert cal.temperature == pytest.approx(2.0, rel=0.05)
    p_cal = cal(p_over)
    assert ece(y, p_cal) < ece(y, p_over) / 3
    assert auc(y, p_cal) == pytest.approx(auc(y, p_over), abs=1e-12)


def test_isotonic_matches_sklearn_and_improves_ece():
    y, p_over, _ = overconfident(5)
    w = np.random.default_rng(1).uniform(0.5, 1.5, y.size)
    cal = isotonic_calibrate(y, p_over, sample_weight=w)
    ref = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(p_over, y, sample_weight=w)
    grid = np.linspace(0, 1, 101)
    np.testing.assert_allclose(cal(grid), ref.predict(grid))
    assert ece(y, cal(p_over), sample_weight=w) < ece(y, p_over, sample_weight=w) / 3


def test_refuses_non_probability_scores():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 100)
    ae_score = rng.exponential(3.0, 100)  # reconstruction errors, not probabilities
    for fn in (ece, reliability_curve, temperature_scale, isotonic_calibrate):
        with pytest.raises(DataError, match="probabilistic classifier"):
            fn(y, ae_score)
    with pytest.raises(DataError, match="non-negative"):
        isotonic_calibrate(y, rng.uniform(size=100), sample_weight=np.r_[-1.0, np.ones(99)])
    with pytest.raises(DataError):
        ece(y, np.full(100, np.nan))
    with pytest.raises(DataError):
        ece(y[:50], rng.uniform(size=100))


def _shifted(n: int, prior: float, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Two unit Gaussians at ±1: a classifier calibrated at 50 % signal, used at ``prior``."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(size=n) < prior
    x = rng.normal(np.where(y, 1.0, -1.0))
    return y, expit(2.0 * x), expit(2.0 * x + np.log(prior / (1 - prior)))  # p_train, truth


def test_prior_shift_repairs_a_classifier_used_at_another_signal_fraction():
    from sciood.metrics import platt_scale, prior_shift

    y, p_train, truth = _shifted(200_000, 0.05, 11)
    assert ece(y, p_train) > 0.1                          # calibrated at 50 %, used at 5 %
    temp = temperature_scale(y, p_train)
    assert ece(y, temp(p_train)) > 0.5 * ece(y, p_train)  # a temperature cannot move the prior
    shifted = prior_shift(train_prior=0.5, target_prior=0.05)
    np.testing.assert_allclose(shifted(p_train), truth, rtol=1e-9)   # Bayes' rule, exact
    assert ece(y, shifted(p_train)) < 0.01
    platt = platt_scale(y, p_train)
    assert platt.slope == pytest.approx(1.0, abs=0.03)
    assert platt.intercept == pytest.approx(np.log(0.05 / 0.95), abs=0.05)
    assert ece(y, platt(p_train)) < 0.01
    assert auc(y, platt(p_train)) == pytest.approx(auc(y, p_train), abs=1e-12)


def test_platt_matches_scikit_learn_logistic_regression():
    from scipy.special import logit
    from sklearn.linear_model import LogisticRegression

    from sciood.metrics import platt_scale

    y, p, _ = _shifted(20_000, 0.2, 12)
    w = np.random.default_rng(13).uniform(0.5, 2.0, size=len(y))
    ours = platt_scale(y, p, sample_weight=w)
    ref = LogisticRegression(C=1e12, tol=1e-12, max_iter=1000).fit(
        logit(p)[:, None], y, sample_weight=w)
    assert ours.slope == pytest.approx(ref.coef_[0, 0], rel=1e-4)
    assert ours.intercept == pytest.approx(ref.intercept_[0], abs=1e-4)


def test_prior_shift_refuses_fractions_outside_0_1():
    from sciood.errors import ConfigError
    from sciood.metrics import prior_shift

    for bad in (0.0, 1.0, -0.1, float("nan")):
        with pytest.raises(ConfigError, match="signal fraction"):
            prior_shift(train_prior=bad, target_prior=0.1)


def test_platt_refuses_what_is_not_a_probability():
    from sciood.metrics import platt_scale

    with pytest.raises(DataError, match=r"prob must lie in \[0, 1\]"):
        platt_scale([0, 1, 1], [0.2, 1.5, 0.7])
    with pytest.raises(DataError, match="NaN"):
        platt_scale([0, 1], [0.2, float("nan")])
    with pytest.raises(DataError, match="empty"):
        platt_scale([], [])
