"""Conformal p-values: brute-force cross-checks, the false-alarm guarantee, Mondrian classes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.metrics import ConformalPValues, MetricWarning, conformal_pvalues

LEVELS = (0.1, 0.01, 0.001)


def assert_uniform(p: np.ndarray, n_cal: int) -> None:
    """KS distance of ``p`` to U(0, 1) below its 99.9 % critical value.

    Given one calibration set, the test p-values share its empirical-CDF fluctuation, so the
    distance is that of a two-sample KS test (calibration vs test): c(0.001) = 1.95 times
    sqrt(1/n_cal + 1/n_test).  A one-sample bound would be wrong (too strict) here.
    """
    d = stats.kstest(p, "uniform").statistic
    limit = 1.95 * np.sqrt(1.0 / n_cal + 1.0 / len(p))
    assert d < limit, (d, limit)


def _brute(cal, w, s, w_new):
    return np.array([(w_new + w[cal >= x].sum()) / (w_new + w.sum()) for x in s])


def test_unit_weights_are_the_split_conformal_rank() -> None:
    rng = np.random.default_rng(1)
    cal = rng.integers(0, 20, 500).astype(float)          # many ties
    s = np.r_[rng.integers(-2, 23, 300).astype(float), cal[:5]]
    p = conformal_pvalues(cal, s)
    expect = np.array([(1 + np.sum(cal >= x)) / (len(cal) + 1) for x in s])
    np.testing.assert_allclose(p, expect, rtol=0, atol=1e-15)


def test_weighted_pvalues_match_brute_force() -> None:
    rng = np.random.default_rng(2)
    cal, w = rng.normal(size=400).round(1), rng.exponential(size=400)
    s = rng.normal(size=200).round(1)
    np.testing.assert_allclose(conformal_pvalues(cal, s, sample_weight=w),
                               _brute(cal, w, s, w.max()), rtol=1e-12)
    np.testing.assert_allclose(conformal_pvalues(cal, s, sample_weight=w, new_weight=0.5),
                               _brute(cal, w, s, 0.5), rtol=1e-12)


def test_background_pvalues_are_uniform_and_the_false_alarm_rate_is_guaranteed() -> None:
    rng = np.random.default_rng(3)
    cal = ConformalPValues().fit(rng.gamma(2.0, size=20_000))
    p = cal.pvalues(rng.gamma(2.0, size=50_000))
    assert_uniform(p, 20_000)
    n = len(p)
    for alpha in LEVELS:
        k = int(np.sum(p <= alpha))
        lo, hi = stats.binom.ppf([5e-4, 1 - 5e-4], n, alpha)   # 99.9 % band
        assert lo <= k <= hi, (alpha, k, lo, hi)


def test_threshold_cut_is_exactly_the_pvalue_cut() -> None:
    rng = np.random.default_rng(4)
    calib = rng.normal(size=5_000).round(2)
    s = rng.normal(size=20_000).round(2)
    cal = ConformalPValues().fit(calib)
    p = cal.pvalues(s)
    for alpha in LEVELS:
        np.testing.assert_array_equal(s > cal.threshold(alpha), p <= alpha)
    with pytest.warns(MetricWarning, match="too small"):
        assert cal.threshold(1e-5) == np.inf


def test_mondrian_pvalues_are_uniform_per_class_where_pooled_ones_are_not() -> None:
    rng = np.random.default_rng(5)
    # two background classes with different score distributions and cross-sections
    n = {"qcd": 20_000, "ttbar": 12_000}
    shift = {"qcd": 0.0, "ttbar": 1.5}
    cal_s = np.concatenate([rng.normal(shift[c], size=n[c]) for c in n])
    cal_c = np.repeat(list(n), list(n.values()))
    weight = np.where(cal_c == "qcd", 1.0, 0.01)
    test_c = np.repeat(list(n), [30_000, 15_000])
    test_s = np.concatenate([rng.normal(shift[c], size=k) for c, k in
                             zip(n, [30_000, 15_000], strict=True)])
    per_class = conformal_pvalues(cal_s, test_s, sample_weight=weight,
                                  calibration_classes=cal_c, classes=test_c)
    pooled = conformal_pvalues(cal_s, test_s, sample_weight=weight)
    for c in n:
        rows = test_c == c
        assert_uniform(per_class[rows], n[c])
        for alpha in LEVELS:
            k, m = int(np.sum(per_class[rows] <= alpha)), int(rows.sum())
            lo, hi = stats.binom.ppf([5e-4, 1 - 5e-4], m, alpha)
            assert lo <= k <= hi, (c, alpha, k)
    # the cross-section mixture is dominated by QCD: tt̄ raises far more alarms than alpha
    assert np.mean(pooled[test_c == "ttbar"] <= 0.01) > 0.05
    d = stats.kstest(pooled[test_c == "ttbar"], "uniform").statistic
    assert d > 10 * 1.95 * np.sqrt(1 / 12_000 + 1 / 15_000), d


def test_pvalues_are_per_event_whatever_the_batch() -> None:
    rng = np.random.default_rng(6)
    cal = ConformalPValues().fit(rng.normal(size=1000), sample_weight=rng.uniform(size=1000))
    s = rng.normal(size=3001)
    whole = cal.pvalues(s)
    parts = np.concatenate([cal.pvalues(s[i:i + 97]) for i in range(0, len(s), 97)])
    np.testing.assert_array_equal(whole, parts)
    assert cal.effective_size() < 1000


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"calibration": [], "score": [1.0]}, "empty"),
    ({"calibration": [1.0, np.nan], "score": [1.0]}, "non-finite"),
    ({"calibration": [1.0, 2.0], "score": [1.0], "sample_weight": [1.0, -0.5]},
     "negative weights"),
    ({"calibration": [1.0, 2.0], "score": [1.0], "sample_weight": [0.0, 0.0]}, "sum to zero"),
    ({"calibration": [1.0, 2.0], "score": [1.0], "calibration_classes": ["a", "b"]},
     "pass classes="),
    ({"calibration": [1.0, 2.0], "score": [1.0], "calibration_classes": ["a", "b"],
      "classes": ["c"]}, r"classes \['c'\] have no calibration"),
    ({"calibration": [1.0, 2.0], "score": [1.0], "classes": ["a"]}, "calibration has none"),
])
def test_bad_inputs_name_the_problem(kwargs, match) -> None:
    with pytest.raises(DataError, match=match):
        conformal_pvalues(**kwargs)


def test_misuse_is_refused() -> None:
    with pytest.raises(NotFittedError, match="fit"):
        ConformalPValues().pvalues([1.0])
    with pytest.raises(ConfigError, match="alpha"):
        ConformalPValues().fit([1.0, 2.0]).threshold(0.0)
    with pytest.raises(ConfigError, match="new_weight"):
        ConformalPValues(new_weight=-1.0)
