"""Honest (cross-fitted) max SIC: truth on a large Gaussian toy, determinism, weights, inputs.

Coverage on hundreds of toys is measured in ``benchmarks/max_sic_coverage.py``; here the
properties that a single computation can break.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.metrics import HONEST_METHOD, max_sic, max_sic_honest


def gaussian_toy(seed: int, nb: int, ns: int, d: float, weighted: bool = False):
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(nb, bool), np.ones(ns, bool)]
    s = np.r_[rng.normal(0.0, 1.0, nb), rng.normal(d, 1.0, ns)]
    w = rng.uniform(0.5, 1.5, nb + ns) if weighted else None
    return y, s, w


def true_max_sic(d: float) -> float:
    t = np.linspace(-3.0, 3.0, 60_001)
    return float(np.max(norm.sf(t - d) / np.sqrt(norm.sf(t))))


@pytest.fixture(scope="module")
def toy():
    return gaussian_toy(0, 20_000, 2_000, 1.5)


@pytest.mark.parametrize("weighted", [False, True])
def test_large_toy_interval_holds_analytic_truth(weighted: bool) -> None:
    # 10x the events of a typical table: the 95 % interval holds the truth, the in-sample
    # maximum is reported alongside
    y, s, w = gaussian_toy(3, 200_000, 20_000, 1.5, weighted)
    truth = true_max_sic(1.5)
    r = max_sic_honest(y, s, sample_weight=w, n_bootstrap=40, level=0.95, seed=5)
    assert r.lo <= truth <= r.hi
    assert r.naive == pytest.approx(max_sic(y, s, sample_weight=w))
    assert r.method == HONEST_METHOD


def test_mean_over_large_toys_is_unbiased_where_in_sample_max_is_not() -> None:
    # d = 1, 100k / 10k events, 12 toys: honest mean bias measured +0.1 +- 0.1 %, the
    # in-sample maximum +0.5 +- 0.1 % (the mean of 12 toys has an error of ~0.25 %)
    truth = true_max_sic(1.0)
    honest, naive = [], []
    for seed in range(12):
        y, s, _ = gaussian_toy(100 + seed, 100_000, 10_000, 1.0)
        r = max_sic_honest(y, s, n_bootstrap=2, seed=seed)
        honest.append(r.value / truth - 1.0)
        naive.append(r.naive / truth - 1.0)
    assert abs(np.mean(honest)) < 0.006
    assert np.mean(naive) > np.mean(honest)


def test_honest_is_below_in_sample_maximum_on_average() -> None:
    # the selection bias the method removes: in-sample max > out-of-sample SIC, toy by toy
    # on average (each toy 5k/500 events, where the in-sample bias is largest)
    diffs = []
    for seed in range(8):
        y, s, _ = gaussian_toy(seed, 5_000, 500, 1.5)
        r = max_sic_honest(y, s, n_bootstrap=2, seed=seed)
        diffs.append(r.naive - r.value)
    assert np.mean(diffs) > 0


def test_interval_brackets_value_and_level_orders_intervals(toy) -> None:
    y, s, w = toy
    r68 = max_sic_honest(y, s, sample_weight=w, n_bootstrap=100, seed=2, level=0.68)
    r95 = max_sic_honest(y, s, sample_weight=w, n_bootstrap=100, seed=2, level=0.95)
    assert r68.lo < r68.value < r68.hi
    assert r95.lo <= r68.lo and r68.hi <= r95.hi
    assert r68.value == r95.value
    assert np.isfinite(r68.replicas).all() and r68.replicas.shape == (100,)
    lo, hi = r68.thresholds
    assert np.isfinite(lo) and np.isfinite(hi)


def test_deterministic_and_independent_of_chunking(toy) -> None:
    y, s, w = toy
    a = max_sic_honest(y, s, sample_weight=w, n_bootstrap=30, seed=7)
    kw = {"sample_weight": w, "n_bootstrap": 30, "seed": 7}
    b = max_sic_honest(y, s, **kw, max_elements=50_000)  # 2 per chunk
    c = max_sic_honest(y, s, **kw, max_elements=1)  # one per chunk
    assert a.value == b.value == c.value
    assert np.array_equal(a.replicas, b.replicas) and np.array_equal(a.replicas, c.replicas)
    d = max_sic_honest(y, s, sample_weight=w, n_bootstrap=30, seed=8)
    assert d.value != a.value  # another split


def test_rank_based_and_weight_scale_invariant(toy) -> None:
    y, s, _ = toy
    w = np.random.default_rng(1).uniform(0.5, 1.5, y.size)
    ref = max_sic_honest(y, s, sample_weight=w, n_bootstrap=20, seed=3)
    # monotone transform; exact rescaling
    mono = max_sic_honest(y, np.exp(s), sample_weight=w, n_bootstrap=20, seed=3)
    scaled = max_sic_honest(y, s, sample_weight=w * 2.0**-20, n_bootstrap=20, seed=3)
    assert mono.value == ref.value and np.array_equal(mono.replicas, ref.replicas)
    assert scaled.value == pytest.approx(ref.value, rel=1e-12)
    unit = max_sic_honest(y, s, sample_weight=None, n_bootstrap=20, seed=3)
    assert unit.value != ref.value  # the weights are used


def test_weights_change_the_answer_like_duplication() -> None:
    # weight 0 on a random half of the background = dropping those events; min_background
    # refers to the remaining effective count
    y, s, _ = gaussian_toy(4, 20_000, 2_000, 1.0)
    keep = np.random.default_rng(9).uniform(size=y.size) < 0.5
    w = np.where(keep | y, 1.0, 0.0)
    r = max_sic_honest(y, s, sample_weight=w, n_bootstrap=2, seed=1)
    assert r.naive == pytest.approx(max_sic(y[keep | y], s[keep | y]))
    assert math.isfinite(r.value)


def test_ties_and_integer_scores(toy) -> None:
    y, s, w = toy
    coarse = np.round(s, 1)
    r = max_sic_honest(y, coarse, sample_weight=w, n_bootstrap=10, seed=1)
    assert math.isfinite(r.value) and r.lo <= r.hi
    ints = (coarse * 10).astype(np.int64)
    ri = max_sic_honest(y, ints, sample_weight=w, n_bootstrap=10, seed=1)
    assert ri.value == r.value  # same ranking, same groups


def test_input_validation(toy) -> None:
    y, s, _ = toy
    with pytest.raises(DataError):
        max_sic_honest(np.where(y, "sig", "bkg"), s)
    with pytest.raises(DataError):
        max_sic_honest(y, np.where(np.arange(y.size) == 3, np.nan, s))
    with pytest.raises(DataError):
        max_sic_honest(y, s, sample_weight=np.ones(y.size - 1))
    with pytest.raises(DataError):
        max_sic_honest(y, s, sample_weight=np.where(np.arange(y.size) == 0, np.inf, 1.0))
    with pytest.raises(ConfigError, match="n_bootstrap"):
        max_sic_honest(y, s, n_bootstrap=1)
    with pytest.raises(ConfigError, match="level"):
        max_sic_honest(y, s, level=1.0)
    with pytest.raises(ConfigError, match="smooth"):
        max_sic_honest(y, s, smooth=0.5)
    with pytest.raises(StatisticsError, match="min_background"):
        max_sic_honest(y[-2100:], s[-2100:], min_background=500)
    with pytest.raises(StatisticsError, match="2 signal"):
        max_sic_honest(np.r_[y[:100], True], np.r_[s[:100], 3.0])


def test_evaluate_reports_honest_max_sic_and_keeps_naive_column() -> None:
    import pyarrow as pa

    from sciood.data.eventset import EventSet
    from sciood.evaluate import evaluate

    rng = np.random.default_rng(0)
    lab = np.array(["qcd"] * 6000 + ["sig"] * 1000)
    es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig",
                            "weight": np.ones(lab.size)}))
    s = rng.normal(1.5 * (lab == "sig"), 1.0)
    t = evaluate(s, es, metrics=["max_sic", "max_sic_naive", "auc"], working_points={},
                 n_bootstrap=20, seed=4, inclusive=False)
    assert t.metrics == ["max_sic", "max_sic_naive", "auc"]
    y = lab == "sig"
    # evaluate rescales the signal weights (signal_fraction): efficiencies do not change
    ref = max_sic_honest(y, s, n_bootstrap=20,
                         seed=np.random.SeedSequence([4, 1], spawn_key=(0,)))
    v = t.get("sig", "qcd", "max_sic")
    assert v[0] == pytest.approx(ref.value, rel=1e-12)
    assert (v[1], v[2]) == pytest.approx((ref.lo, ref.hi), rel=1e-12)
    assert t.get("sig", "qcd", "max_sic_naive")[0] == pytest.approx(max_sic(y, s), rel=1e-12)
    assert t.meta["max_sic_method"] == HONEST_METHOD
    assert "cross-fit" in t.meta["metric_descriptions"]["max_sic"]
