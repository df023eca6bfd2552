"""Ranking metrics: cross-checks against scikit-learn and brute force, invariances, edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm
from hypothesis import given, settings
from hypothesis import strategies as st

from sciood.errors import DataError, StatisticsError
from sciood.metrics import (
    MetricWarning,
    auc,
    average_precision,
    efficiency_at,
    fpr_at_tpr,
    max_sic,
    ranking_curve,
    rejection_at,
    roc_curve,
    sic_curve,
)


def weighted_ties(seed: int, n: int = 3000, neg: float = 0.0):
    """Random weighted data with many tied scores (rounded) and optional negative weights."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    s = np.round(rng.normal(0.7 * y, 1.0), 1)
    w = rng.uniform(0.1, 3.0, n)
    if neg:
        w[rng.uniform(size=n) < neg] *= -0.5
    return y, s, w


def pairwise_auc(y, s, w):
    """Weighted Mann–Whitney statistic by brute force (O(n²)), ties count 1/2."""
    sig, bkg = y == 1, y == 0
    ss, sb = s[sig][:, None], s[bkg][None, :]
    ww = w[sig][:, None] * w[bkg][None, :]
    num = np.sum(ww * ((ss > sb) + 0.5 * (ss == sb)))
    return num / (w[sig].sum() * w[bkg].sum())


def first_crossing(x, yv, t):
    """Reference: walk the ROC in threshold order, interpolate at the first crossing of t."""
    for i in range(1, len(x)):
        if x[i] >= t:
            return yv[i - 1] + (t - x[i - 1]) / (x[i] - x[i - 1]) * (yv[i] - yv[i - 1])
    raise AssertionError("no crossing")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_matches_sklearn_with_ties_and_weights(seed):
    y, s, w = weighted_ties(seed)
    es, eb, th = roc_curve(y, s, sample_weight=w)
    fpr, tpr, th_sk = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    np.testing.assert_allclose(es, tpr, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(eb, fpr, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(th[1:], th_sk[1:])
    assert len(th) == len(np.unique(s)) + 1  # one point per distinct threshold + origin
    assert auc(y, s, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert average_precision(y, s, sample_weight=w) == pytest.approx(
        skm.average_precision_score(y, s, sample_weight=w), abs=1e-12
    )


def test_unweighted_matches_sklearn():
    y, s, _ = weighted_ties(5)
    assert auc(y, s) == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert average_precision(y, s) == pytest.approx(skm.average_precision_score(y, s), abs=1e-12)


@pytest.mark.parametrize("neg", [0.0, 0.15])
def test_auc_equals_weighted_mann_whitney_even_with_negative_weights(neg):
    y, s, w = weighted_ties(7, n=800, neg=neg)
    assert auc(y, s, sample_weight=w) == pytest.approx(pairwise_auc(y, s, w), rel=1e-10)


def test_negative_weights_nonmonotone_roc_does_not_crash():
    y, s, w = weighted_ties(3, n=2000, neg=0.3)
    es, eb, _ = roc_curve(y, s, sample_weight=w)
    assert (np.diff(eb) < 0).any() or (np.diff(es) < 0).any()  # genuinely non-monotone
    with pytest.raises(ValueError):  # scikit-learn refuses such a curve ...
        skm.auc(eb, es)
    # ... ours integrates it by the documented rule
    assert np.isfinite(auc(y, s, sample_weight=w))
    assert np.isfinite(average_precision(y, s, sample_weight=w))
    assert np.isfinite(fpr_at_tpr(y, s, 0.95, sample_weight=w))
    assert np.all(np.isfinite(efficiency_at(y, s, [0.1, 0.3], sample_weight=w)))
    assert np.isfinite(max_sic(y, s, sample_weight=w, min_background=10))


def test_working_points_first_crossing_interpolation():
    y, s, w = weighted_ties(11, n=1500, neg=0.1)
    es, eb, _ = roc_curve(y, s, sample_weight=w)
    for t in (0.2, 0.3, 0.5, 0.95):
        ref = first_crossing(es, eb, t)
        assert 1.0 / rejection_at(y, s, t, sample_weight=w) == pytest.approx(ref, rel=1e-12)
        assert fpr_at_tpr(y, s, t, sample_weight=w) == pytest.approx(ref, rel=1e-12)
    for t in (0.01, 0.05, 0.2):
        assert efficiency_at(y, s, t, sample_weight=w) == pytest.approx(
            first_crossing(eb, es, t), rel=1e-12)
    vec = rejection_at(y, s, [0.2, 0.3, 0.5], sample_weight=w)
    assert vec.shape == (3,) and np.all(np.diff(vec) < 0)


def test_hand_computed_small_example():
    # thresholds 0.9 (S), 0.8 (B), 0.7 (S), 0.2 (B): ROC (0,0),(.5,0),(.5,.5),(1,.5),(1,1)
    y = np.array([1, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.2])
    assert auc(y, s) == pytest.approx(0.75)
    with pytest.warns(MetricWarning):
        assert rejection_at(y, s, 0.5) == np.inf
    assert rejection_at(y, s, 0.75) == pytest.approx(2.0)  # eps_b = 0.5 on the segment
    with pytest.warns(MetricWarning, match="resolution"):  # 2 background events only
        assert efficiency_at(y, s, 0.25) == pytest.approx(0.5)
    assert fpr_at_tpr(y, s, 1.0) == pytest.approx(0.5)


def test_sic_curve_and_perfect_classifier():
    rng = np.random.default_rng(0)
    nb = 5000
    y = np.r_[np.zeros(nb), np.ones(200)]
    s = np.r_[rng.uniform(0, 1, nb), rng.uniform(2, 3, 200)]
    es, sic, _ = sic_curve(y, s)
    c = ranking_curve(y, s)
    pos = c.eps_b > 0
    np.testing.assert_allclose(sic[pos], es[pos] / np.sqrt(c.eps_b[pos]))
    assert np.isnan(sic[c.eps_b == 0]).all()
    # perfect separation: best allowed cut keeps exactly N_min background at eps_s = 1
    assert max_sic(y, s) == pytest.approx(np.sqrt(nb / 50))
    assert max_sic(y, s, min_background=500) == pytest.approx(np.sqrt(nb / 500))
    assert auc(y, s) == 1.0


def test_max_sic_uses_kish_effective_count():
    rng = np.random.default_rng(1)
    y = np.r_[np.zeros(1000), np.ones(100)]
    s = np.r_[rng.uniform(0, 1, 1000), rng.uniform(2, 3, 100)]
    w = np.ones(1100)
    w[:1000] = np.where(np.argsort(np.argsort(-s[:1000])) < 10, 10.0, 1.0)  # 10 large weights
    c = ranking_curve(y, s, sample_weight=w)
    neff = c.n_eff_background()
    ok = neff >= 50
    best = np.nanmax(np.where(ok, c.sic(), np.nan))
    assert max_sic(y, s, sample_weight=w) == pytest.approx(best)
    # with unit weights the same cut count would qualify much earlier: the result differs
    assert max_sic(y, s) > max_sic(y, s, sample_weight=w)


SCORES = st.lists(st.integers(-6, 6), min_size=6, max_size=60)


@pytest.mark.filterwarnings("ignore::sciood.metrics.MetricWarning")
@settings(max_examples=60, deadline=None)
@given(scores=SCORES, seed=st.integers(0, 2**16), c=st.floats(0.01, 1000.0))
def test_invariances(scores, seed, c):
    rng = np.random.default_rng(seed)
    s = np.asarray(scores, dtype=float)
    n = s.size
    y = np.r_[0, 1, rng.integers(0, 2, n - 2)]
    w = rng.uniform(0.1, 2.0, n)
    perm = rng.permutation(n)
    ref = (auc(y, s, sample_weight=w), average_precision(y, s, sample_weight=w),
           fpr_at_tpr(y, s, 0.5, sample_weight=w), efficiency_at(y, s, 0.5, sample_weight=w),
           max_sic(y, s, sample_weight=w, min_background=1))
    for yy, ss, ww in (
        (y[perm], s[perm], w[perm]),  # event order
        (y, s**3 + 2 * s + 7.0, w),  # strictly increasing transform (exact on small ints)
        (y, s, c * w),  # global weight scale
    ):
        got = (auc(yy, ss, sample_weight=ww), average_precision(yy, ss, sample_weight=ww),
               fpr_at_tpr(yy, ss, 0.5, sample_weight=ww),
               efficiency_at(yy, ss, 0.5, sample_weight=ww),
               max_sic(yy, ss, sample_weight=ww, min_background=1))
        np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


def test_degenerate_inputs_raise():
    y = np.array([0, 1, 0, 1])
    s = np.array([0.1, 0.2, 0.3, 0.4])
    with pytest.raises(DataError, match="only one class"):
        auc(np.zeros(4), s)
    with pytest.raises(DataError, match="positive"):
        auc(y, s, sample_weight=np.zeros(4))
    with pytest.raises(DataError, match="non-finite"):
        auc(y, np.array([0.1, np.nan, 0.3, 0.4]))
    with pytest.raises(DataError, match="length mismatch"):
        auc(y, s[:3])
    with pytest.raises(DataError, match="sample_weight"):
        auc(y, s, sample_weight=np.ones(3))
    with pytest.raises(DataError, match=r"0 \(background"):
        auc(np.array([0, 1, 2, 1]), s)
    with pytest.raises(DataError, match="empty"):
        auc([], [])
    with pytest.raises(DataError, match="working points"):
        rejection_at(y, s, 1.5)
    with pytest.raises(StatisticsError, match="min_background"):
        max_sic(y, s)  # 2 background events < 50


def test_efficiency_below_resolution_warns():
    y, s, _ = weighted_ties(0, n=400)
    with pytest.warns(MetricWarning, match="resolution"):
        efficiency_at(y, s, 1e-4)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=True, width=64), min_size=2,
                max_size=300))
def test_packed_sort_is_exact_on_adversarial_floats(values):
    from sciood.metrics import sorting

    s = np.asarray(values, dtype=np.float64)
    old = sorting._PACKED_SORT_MIN
    sorting._PACKED_SORT_MIN = 0
    try:
        order, s_sorted = sorting.argsort_desc(s)
    finally:
        sorting._PACKED_SORT_MIN = old
    assert np.array_equal(np.sort(order), np.arange(s.size))
    np.testing.assert_array_equal(s_sorted, s[order])
    np.testing.assert_array_equal(s_sorted, np.sort(s)[::-1])


@pytest.mark.parametrize("kind", ["normal", "rounded", "ulp_steps", "signed_zeros"])
def test_packed_sort_large_inputs(kind):
    from sciood.metrics import ranking, sorting

    rng = np.random.default_rng(0)
    n = 200_000
    s = {
        "normal": rng.normal(size=n),
        "rounded": np.round(rng.normal(size=n), 2),
        # values 1 ulp apart share the truncated key prefix: exercises the exact fix-up
        "ulp_steps": np.r_[1.0 + rng.integers(0, 5000, n // 4) * np.finfo(float).eps,
                           rng.normal(size=n)],
        "signed_zeros": np.r_[np.zeros(500), -np.zeros(500), [5e-324, -5e-324],
                              rng.normal(size=n) * 1e-300],
    }[kind]
    assert s.size >= sorting._PACKED_SORT_MIN
    order, s_sorted = ranking.argsort_desc(s)
    assert np.array_equal(np.sort(order), np.arange(s.size))
    np.testing.assert_array_equal(s_sorted, np.sort(s)[::-1])


def test_large_sample_matches_sklearn_through_packed_sort():
    y, s, w = weighted_ties(9, n=120_000)
    s = s + np.random.default_rng(1).normal(0, 1e-3, s.size) * (np.arange(s.size) % 3 == 0)
    assert auc(y, s, sample_weight=w) == pytest.approx(
        skm.roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    es, eb, _ = roc_curve(y, s, sample_weight=w)
    fpr, tpr, _ = skm.roc_curve(y, s, sample_weight=w, drop_intermediate=False)
    np.testing.assert_allclose(es, tpr, atol=1e-12)
    np.testing.assert_allclose(eb, fpr, atol=1e-12)
