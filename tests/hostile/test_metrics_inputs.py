"""Hostile inputs to the public metrics (sciood.metrics.*) and the class-conditional table.

Category "metrics": malformed or degenerate inputs (a clear DataError / StatisticsError /
ConfigError naming the argument and the fix) and legal-but-unusual inputs (negative weights,
pandas, column vectors, booleans, ties) with the number checked against a reference.
Category "numerics": extreme magnitudes (weights 1e±200/1e±300, int64 scores beyond 2**53,
float16, signed zeros, denormals) that used to give NaN or silently tied results.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.evaluate import evaluate
from sciood.metrics import (
    ScoreHistogram,
    auc,
    average_precision,
    bootstrap,
    bootstrap_many,
    ece,
    efficiency_at,
    fpr_at_tpr,
    isotonic_calibrate,
    max_sic,
    ranking_curve,
    rejection_at,
    reliability_curve,
    roc_curve,
    sculpting_jsd,
    sic_curve,
    temperature_scale,
)
from sciood.metrics.bootstrap import poisson1
from sciood.metrics.ranking import sort_order
from sciood.metrics.sculpting import jsd

Y4 = np.array([0, 1, 0, 1])
S4 = np.array([0.1, 0.2, 0.05, 0.3])


def hostile(category: str, outcome: str):
    return pytest.mark.hostile(category, outcome)


def pairwise_auc(y, s, w=None):
    """O(n²) weighted Mann–Whitney reference (Python ints / floats compared exactly)."""
    y = np.asarray(y).astype(bool)
    w = np.ones(len(y)) if w is None else np.asarray(w, dtype=float)
    s = list(s)
    num = 0.0
    for i in np.flatnonzero(y):
        for j in np.flatnonzero(~y):
            num += w[i] * w[j] * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    return num / (w[y].sum() * w[~y].sum())


def rng_sample(n=400, seed=0, neg=0.0):
    rng = np.random.default_rng(seed)
    y = rng.uniform(size=n) < 0.4
    s = np.round(rng.normal(y * 1.0, 1.0), 2)
    w = rng.uniform(0.5, 1.5, n) * np.where(rng.uniform(size=n) < neg, -1.0, 1.0)
    return y, s, w


def small_eventset(weights=None, n=300, seed=1):
    rng = np.random.default_rng(seed)
    lab = np.array(["qcd"] * (n // 2) + ["ttbar"] * (n // 4) + ["sig"] * (n - n // 2 - n // 4))
    w = np.ones(lab.size) if weights is None else weights(lab.size)
    es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig", "weight": w,
                            "mj1": rng.normal(size=lab.size)}))
    s = np.round(rng.normal((lab == "sig") * 1.0, 1.0), 2)
    return es, s


# ----------------------------------------------------------------- clear errors (metrics)
ERRORS = [
    pytest.param(lambda: auc(Y4, [0.1, np.nan, 0.2, 0.3]), DataError,
                 r"score contains 1 non-finite values \(NaN/inf\); remove those events",
                 id="auc-nan-score", marks=hostile("metrics", "error")),
    pytest.param(lambda: roc_curve(Y4, [0.1, np.inf, 0.2, 0.3]), DataError,
                 r"score contains 1 non-finite.*fix the detector",
                 id="roc-inf-score", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc(Y4, S4, sample_weight=[1.0, np.nan, 1.0, 1.0]), DataError,
                 r"sample_weight contains 1 NaN or inf values; fix the event weights",
                 id="auc-nan-weight", marks=hostile("metrics", "error")),
    pytest.param(lambda: max_sic(Y4, S4, sample_weight=[1.0, 1.0, -np.inf, 1.0]), DataError,
                 r"sample_weight contains 1 NaN or inf",
                 id="max-sic-inf-weight", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc(Y4, S4[:3]), DataError,
                 r"length mismatch: score has 3 entries but there are 4 events",
                 id="auc-length-mismatch", marks=hostile("metrics", "error")),
    pytest.param(lambda: average_precision(Y4, S4, sample_weight=np.ones(5)), DataError,
                 r"length mismatch: sample_weight has 5 entries .* one sample_weight value",
                 id="ap-weight-length", marks=hostile("metrics", "error")),
    pytest.param(lambda: roc_curve(Y4, np.array([0.1, "x", 0.2, 0.3], dtype=object)),
                 DataError, r"score has dtype object, which is not a real number type",
                 id="roc-object-scores", marks=hostile("metrics", "error")),
    pytest.param(lambda: sic_curve(Y4, S4 + 1j), DataError,
                 r"score has dtype complex128.*pass a bool, integer or float array",
                 id="sic-complex-scores", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc(Y4, np.array(["a", "b", "c", "d"])), DataError,
                 r"score has dtype <U1",
                 id="auc-string-scores", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc(Y4, np.arange(4).astype("datetime64[s]")), DataError,
                 r"score has dtype datetime64\[s\]",
                 id="auc-datetime-scores", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc(Y4, S4, sample_weight=np.array(["1", "1", "1", "1"])), DataError,
                 r"sample_weight has dtype <U1",
                 id="auc-string-weights", marks=hostile("metrics", "error")),
    pytest.param(lambda: max_sic(np.array(["bkg", "sig", "bkg", "sig"]), S4), DataError,
                 r"y has dtype <U3: labels must be 0/1 or boolean; convert class names",
                 id="max-sic-string-labels", marks=hostile("metrics", "error")),
    pytest.param(lambda: rejection_at(np.array([-1, 1, -1, 1]), S4), DataError,
                 r"only 0 \(background\) and 1 \(signal\); found e.g. np.int64\(-1\).*-1/\+1",
                 id="rejection-minus-one-labels", marks=hostile("metrics", "error")),
    pytest.param(lambda: bootstrap("auc", np.array([0.0, 1.0, np.nan, 1.0]), S4), DataError,
                 r"only 0 \(background\) and 1 \(signal\); found e.g. np.float64\(nan\)",
                 id="bootstrap-nan-label", marks=hostile("metrics", "error")),
    pytest.param(lambda: efficiency_at(np.ones(4), S4), DataError,
                 r"only one class present: no background \(y=0\) events",
                 id="efficiency-one-class", marks=hostile("metrics", "error")),
    pytest.param(lambda: auc([1], [0.5]), DataError,
                 r"only one class present: no background",
                 id="auc-single-event", marks=hostile("metrics", "error")),
    pytest.param(lambda: fpr_at_tpr([], []), DataError,
                 r"no events: y and score are empty",
                 id="fpr-empty", marks=hostile("metrics", "error")),
    pytest.param(lambda: average_precision(Y4, S4, sample_weight=[1.0, -1.0, 1.0, 0.5]), DataError,
                 r"total weights must be positive for both classes, got signal -0.5",
                 id="ap-negative-signal-total", marks=hostile("metrics", "error")),
    pytest.param(lambda: ranking_curve(Y4, np.ones((4, 2))), DataError,
                 r"score must be 1-D \(one value per event\), got shape \(4, 2\)",
                 id="curve-2d-scores", marks=hostile("metrics", "error")),
    pytest.param(lambda: rejection_at(Y4, S4, 1.5), DataError,
                 r"working points must be efficiencies in \[0, 1\]",
                 id="rejection-bad-working-point", marks=hostile("metrics", "error")),
    pytest.param(lambda: max_sic(Y4, S4), StatisticsError,
                 r"no cut keeps >= 50 effective background events.*lower min_background",
                 id="max-sic-too-few-background", marks=hostile("metrics", "error")),
    pytest.param(lambda: bootstrap("auc", Y4, S4, n=1), ConfigError,
                 r"n \(bootstrap replicas\) must be >= 2",
                 id="bootstrap-one-replica", marks=hostile("metrics", "error")),
    pytest.param(lambda: ece(Y4, [0.1, 3.2, 0.4, 0.9]), DataError,
                 r"prob must lie in \[0, 1\].*probabilistic classifier outputs only",
                 id="ece-unbounded-score", marks=hostile("metrics", "error")),
    pytest.param(lambda: reliability_curve(Y4, [0.1, np.nan, 0.4, 0.9]), DataError,
                 r"prob contains NaN or inf; calibration needs finite probabilities",
                 id="reliability-nan-prob", marks=hostile("metrics", "error")),
    pytest.param(lambda: temperature_scale(Y4, [0.1, 0.2, 0.4, 0.9], sample_weight=[1.0, 1.0]),
                 DataError, r"length mismatch: sample_weight has 2 entries",
                 id="temperature-weight-length", marks=hostile("metrics", "error")),
    pytest.param(lambda: isotonic_calibrate(Y4, [0.1, 0.2, 0.4, 0.9], sample_weight=[1, -1, 1, 1]),
                 DataError, r"isotonic calibration needs non-negative weights",
                 id="isotonic-negative-weights", marks=hostile("metrics", "error")),
    pytest.param(lambda: ece(Y4, [0.1, 0.2, 0.4, 0.9], sample_weight=[-1, -1, 1, 0.5]), DataError,
                 r"total weight must be positive, got -0.5",
                 id="ece-negative-total", marks=hostile("metrics", "error")),
    pytest.param(lambda: sculpting_jsd(Y4, S4, [1.0, np.nan, 2.0, 3.0]), DataError,
                 r"observable contains NaN or inf",
                 id="sculpting-nan-observable", marks=hostile("metrics", "error")),
    pytest.param(lambda: ScoreHistogram.empty([0.0, 1.0, 2.0]).fill([0, 2], [0.5, 1.5]),
                 DataError, r"only 0 \(background\) and 1 \(signal\)",
                 id="histogram-bad-label", marks=hostile("metrics", "error")),
]


@pytest.mark.parametrize(("call", "exc", "pattern"), ERRORS)
def test_clear_error(call, exc, pattern):
    with pytest.raises(exc, match=pattern):
        call()


@hostile("metrics", "error")
def test_sculpting_negative_bin_is_an_error_not_clipped():
    rng = np.random.default_rng(2)
    n = 2000
    y = rng.uniform(size=n) < 0.3
    obs = rng.uniform(1000, 2000, n)
    s = rng.normal(y, 1.0)
    w = np.ones(n)
    w[~y & (obs > 1900)] = -1.0  # the top bin of the background is net negative
    with pytest.raises(StatisticsError, match=r"negative total weight.*fewer or wider bins"):
        sculpting_jsd(y, s, obs, bins=10, sample_weight=w)


@hostile("metrics", "error")
def test_evaluate_scores_wrong_length():
    es, s = small_eventset()
    with pytest.raises(DataError, match=r"scores has shape \(299,\) but the EventSet has 300"):
        evaluate(s[:-1], es, n_bootstrap=2)


@hostile("metrics", "error")
def test_evaluate_object_scores():
    es, s = small_eventset()
    bad = s.astype(object)
    bad[5] = None
    with pytest.raises(DataError, match=r"scores has dtype object.*\(scores passed to evaluate\)"):
        evaluate(bad, es, n_bootstrap=2)


@hostile("numerics", "error")
def test_histogram_rejects_unrepresentable_weight_squares():
    h = ScoreHistogram.empty([0.0, 1.0, 2.0])
    with pytest.raises(DataError, match=r"magnitudes must lie in \[1e-150, 1e\+150\].*rescale"):
        h.fill([0, 1], [0.5, 1.5], sample_weight=[1e200, 1e200])
    with pytest.raises(DataError, match=r"magnitudes must lie in"):
        h.fill([0, 1], [0.5, 1.5], sample_weight=[1e-200, 1.0])
    assert h.count.sum() == 0  # nothing was half-filled


# --------------------------------------------------------------- correct behaviour (metrics)
@hostile("metrics", "correct")
def test_negative_signal_efficiency_is_not_squared_into_a_high_sic():
    rng = np.random.default_rng(4)
    s = np.r_[rng.uniform(0, 1, 200), rng.uniform(0.7, 1, 40), rng.uniform(0, 1, 200)]
    y = np.r_[np.zeros(200, bool), np.ones(240, bool)]
    w = np.r_[np.ones(200), -3.0 * np.ones(40), np.ones(200)]
    assert max_sic(y, s, sample_weight=w, min_background=50) == pytest.approx(1.0, abs=1e-12)


@hostile("metrics", "correct")
def test_pandas_series_inputs():
    y, s, w = rng_sample()
    ref = (auc(y, s, sample_weight=w), max_sic(y, s, sample_weight=w, min_background=5))
    got = (auc(pd.Series(y), pd.Series(s), sample_weight=pd.Series(w)),
           max_sic(pd.Series(y.astype(int)), pd.Series(s), sample_weight=pd.Series(w),
                   min_background=5))
    assert got == ref


@hostile("metrics", "correct")
def test_column_vector_inputs():
    y, s, w = rng_sample()
    assert auc(y[:, None], s[:, None], sample_weight=w[:, None]) == auc(y, s, sample_weight=w)
    p = 1 / (1 + np.exp(-s))
    assert ece(y[:, None], p[:, None], sample_weight=w) == ece(y, p, sample_weight=w)


@hostile("metrics", "correct")
def test_boolean_scores():
    y, s, _ = rng_sample()
    b = s > 0.5
    assert auc(y, b) == pytest.approx(pairwise_auc(y, b.astype(int)), abs=1e-12)
    es, eb, t = roc_curve(y, b)
    assert t.tolist() == [np.inf, 1.0, 0.0]
    np.testing.assert_allclose(es, [0.0, b[y].mean(), 1.0], rtol=1e-15)
    np.testing.assert_allclose(eb, [0.0, b[~y].mean(), 1.0], rtol=1e-15)


@hostile("metrics", "correct")
def test_one_event_per_class():
    assert auc([0, 1], [0.2, 0.1]) == 0.0
    assert auc([0, 1], [0.2, 0.2]) == 0.5
    assert fpr_at_tpr([0, 1], [0.1, 0.2], 0.5) == 0.0


@hostile("metrics", "correct")
def test_huge_number_of_ties_on_the_packed_sort_path():
    n = 100_000  # above the packed-sort threshold
    y = np.arange(n) % 3 == 0
    es, eb, t = roc_curve(y, np.full(n, 0.25))
    assert es.tolist() == [0.0, 1.0] and eb.tolist() == [0.0, 1.0] and t.tolist() == [np.inf, 0.25]
    assert auc(y, np.full(n, 0.25)) == 0.5
    s = (np.arange(n) % 7).astype(float)  # 7 distinct values, all tied within
    c = ranking_curve(y, s)
    assert c.thresholds.tolist() == [6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    ref = [float(np.mean(s[y] >= v)) for v in c.thresholds]
    np.testing.assert_allclose(c.eps_s, ref, rtol=0, atol=1e-15)


@hostile("metrics", "correct")
def test_bootstrap_with_negative_weights_gives_nan_replicas_not_garbage():
    y = np.r_[np.zeros(60, bool), np.ones(4, bool)]
    s = np.r_[np.linspace(0, 1, 60), [0.9, 0.5, 0.7, 0.2]]
    w = np.r_[np.ones(60), [3.0, -1.0, -0.5, -0.5]]
    with pytest.warns(UserWarning, match=r"undefined in \d+% of the bootstrap replicas"):
        r = bootstrap_many({"auc": ("auc", {})}, y, s, sample_weight=w, n=40, seed=1)["auc"]
    order, _ = sort_order(s)
    undefined = []
    for ss in np.random.SeedSequence(1).spawn(40):  # replica weights, as the bootstrap draws
        wr = w.copy()
        wr[order] = w[order] * poisson1(ss, s.size)
        undefined.append(not wr[y].sum() > 0)
    assert 0 < sum(undefined) < 40
    np.testing.assert_array_equal(np.isnan(r.replicas), undefined)
    finite = r.replicas[~np.isnan(r.replicas)]
    assert r.lo == pytest.approx(np.percentile(finite, 16), abs=1e-12)


@hostile("metrics", "correct")
def test_evaluate_table_with_negative_weights():
    es, s = small_eventset(lambda n: np.where(np.arange(n) % 7 == 0, -0.5, 1.0))
    t = evaluate(s, es, metrics=["auc"], working_points={}, n_bootstrap=3, signal_fraction=None)
    lab, w = es.labels, es.weights
    for cell in t.cells:
        m = (lab == "sig") | ((lab == cell.background) if cell.background != "all_backgrounds"
                              else (lab != "sig"))
        assert cell.values["auc"][0] == pytest.approx(
            pairwise_auc(lab[m] == "sig", s[m], w[m]), abs=1e-12)


# -------------------------------------------------------------------------------- numerics
@pytest.mark.parametrize("scale", [
    pytest.param(1e200, id="weights-1e200", marks=hostile("numerics", "correct")),
    pytest.param(1e-200, id="weights-1e-200", marks=hostile("numerics", "correct")),
    pytest.param(1e300, id="weights-1e300", marks=hostile("numerics", "correct")),
    pytest.param(1e-300, id="weights-1e-300", marks=hostile("numerics", "correct")),
])
def test_extreme_weight_magnitudes(scale):
    y, s, w = rng_sample(neg=0.15)
    ref = (auc(y, s, sample_weight=w), max_sic(y, s, sample_weight=w, min_background=20),
           average_precision(y, s, sample_weight=w), fpr_at_tpr(y, s, 0.95, sample_weight=w))
    ws = w * scale
    got = (auc(y, s, sample_weight=ws), max_sic(y, s, sample_weight=ws, min_background=20),
           average_precision(y, s, sample_weight=ws), fpr_at_tpr(y, s, 0.95, sample_weight=ws))
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert np.isfinite(got).all()


@hostile("numerics", "correct")
def test_power_of_two_weight_scale_is_bit_identical():
    y, s, w = rng_sample(neg=0.15)
    r1 = bootstrap_many({"auc": ("auc", {}), "sic": ("max_sic", {"min_background": 20})},
                        y, s, sample_weight=w, n=10, seed=3)
    r2 = bootstrap_many({"auc": ("auc", {}), "sic": ("max_sic", {"min_background": 20})},
                        y, s, sample_weight=w * 2.0**-900, n=10, seed=3)
    for k in r1:
        np.testing.assert_array_equal(r1[k].replicas, r2[k].replicas)


@hostile("numerics", "correct")
def test_calibration_with_weights_1e300():
    y, s, w = rng_sample()
    p = 1 / (1 + np.exp(-s))
    assert ece(y, p, sample_weight=w * 1e300) == pytest.approx(ece(y, p, sample_weight=w),
                                                               rel=1e-12)
    t1 = temperature_scale(y, p, sample_weight=w)
    t2 = temperature_scale(y, p, sample_weight=w * 1e-300)
    assert t2.temperature == pytest.approx(t1.temperature, rel=1e-6)


@hostile("numerics", "correct")
def test_sculpting_with_weights_1e250():
    rng = np.random.default_rng(5)
    y = rng.uniform(size=3000) < 0.3
    obs = rng.exponential(300, 3000) + 1000
    s = rng.normal(y, 1.0)
    a = sculpting_jsd(y, s, obs, sample_weight=np.ones(3000))
    b = sculpting_jsd(y, s, obs, sample_weight=np.full(3000, 1e250))
    assert b.jsd == pytest.approx(a.jsd, rel=1e-12) and np.isfinite(b.floor)


@hostile("numerics", "correct")
def test_evaluate_with_weights_1e250():
    es, s = small_eventset(lambda n: np.full(n, 1e250))
    es1, _ = small_eventset()
    t = evaluate(s, es, metrics=["auc", "aupr"], working_points={}, n_bootstrap=3)
    t1 = evaluate(s, es1, metrics=["auc", "aupr"], working_points={}, n_bootstrap=3)
    for c, c1 in zip(t.cells, t1.cells, strict=True):
        np.testing.assert_allclose(c.values["auc"], c1.values["auc"], rtol=1e-12)
        np.testing.assert_allclose(c.values["aupr"], c1.values["aupr"], rtol=1e-12)


@hostile("numerics", "correct")
def test_int64_scores_beyond_2_53_keep_their_order():
    base = 2**60
    s = np.array([base, base + 1, base + 2, base + 3, base + 4, base + 5], dtype=np.int64)
    y = np.array([0, 1, 0, 1, 0, 1])
    assert np.unique(s.astype(np.float64)).size == 1  # a float cast would tie them all
    assert auc(y, s) == pytest.approx(pairwise_auc(y, s.tolist()), abs=1e-15)  # 2/3
    assert auc(y, s) == pytest.approx(2 / 3, abs=1e-15)
    c = ranking_curve(y, s)
    assert c.thresholds.dtype == np.int64 and c.thresholds.tolist() == sorted(s.tolist())[::-1]


@hostile("numerics", "correct")
def test_uint64_scores_near_2_64():
    s = np.array([2**64 - 1, 2**64 - 2, 2**64 - 3, 2**64 - 4], dtype=np.uint64)
    y = np.array([1, 0, 1, 0])
    assert auc(y, s) == pytest.approx(pairwise_auc(y, [int(v) for v in s]), abs=1e-15)


@hostile("numerics", "correct")
def test_int64_scores_in_evaluate_and_sculpting():
    es, _ = small_eventset()
    rng = np.random.default_rng(0)
    s = (2**62 + rng.integers(0, 50, len(es))).astype(np.int64)
    lab = es.labels
    t = evaluate(s, es, metrics=["auc"], working_points={}, n_bootstrap=2, signal_fraction=None)
    m = (lab == "sig") | (lab == "qcd")
    cell = next(c for c in t.cells if c.background == "qcd")
    assert cell.values["auc"][0] == pytest.approx(
        pairwise_auc(lab[m] == "sig", [int(v) for v in s[m]]), abs=1e-12)
    obs = es.column("mj1")
    r = sculpting_jsd(es.is_signal, s, obs, bins=5)
    sig = lab == "sig"
    si = [int(v) for v in s]  # exact Python integers
    cut = next(t for t in sorted(set(si), reverse=True)
               if np.mean([v >= t for v, g in zip(si, sig, strict=True) if g]) >= 0.5)
    assert r.threshold == float(cut)
    passing = np.array([v >= cut for v in si])
    edges = np.linspace(obs[~sig].min(), obs[~sig].max(), 6)
    hp, _ = np.histogram(obs[~sig & passing], edges)
    hf, _ = np.histogram(obs[~sig & ~passing], edges)
    assert r.jsd == pytest.approx(jsd(hp, hf), rel=1e-12)


@hostile("numerics", "correct")
def test_float16_and_float32_scores():
    y, s, w = rng_sample()
    s16, s32 = s.astype(np.float16), s.astype(np.float32)
    for low in (s16, s32):
        assert auc(y, low, sample_weight=w) == pytest.approx(
            pairwise_auc(y, low.astype(float), w), abs=1e-12)


@hostile("numerics", "correct")
def test_signed_zeros_tie_and_denormals_order():
    y = np.array([0, 1, 0, 1])
    assert auc(y, np.array([0.0, -0.0, -0.0, 0.0])) == 0.5  # -0.0 == +0.0: all tied
    tiny = np.array([0.0, 5e-324, 1e-320, 1e-310])  # denormals keep their order
    assert auc(y, tiny) == pytest.approx(pairwise_auc(y, tiny.tolist()), abs=0) == 0.75
    big = 40_000  # the packed-key sort path with a ±0 / denormal mix
    yy = np.arange(big) % 2
    ss = np.where(yy == 1, 5e-324, -0.0)
    assert auc(yy, ss) == 1.0
