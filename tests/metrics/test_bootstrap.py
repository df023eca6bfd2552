"""Poisson bootstrap: vectorised path == per-replica loop, determinism, coverage, errors."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from scipy.stats import norm

from sciood.errors import ConfigError, UnknownNameError
from sciood.metrics import (
    auc,
    bootstrap,
    bootstrap_many,
    max_sic,
    ranking_curve,
    rejection_at,
)
from sciood.metrics.bootstrap import CURVE_METRICS


def data(seed: int, n: int = 4000, shift: float = 1.0, neg: float = 0.0):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(int)
    s = np.round(rng.normal(shift * y, 1.0), 2)
    w = rng.uniform(0.5, 1.5, n)
    if neg:
        w[rng.uniform(size=n) < neg] *= -0.3
    return y, s, w


@pytest.mark.parametrize(
    ("fast", "kw"),
    [(auc, {}), (max_sic, {"min_background": 30}), (rejection_at, {"eff_s": 0.3})],
)
def test_vectorised_equals_per_replica_loop(fast, kw):
    """Same replica streams: the batched curve path must equal calling the metric per replica.

    The fast path draws each replica's Poisson counts in descending-score order (iid counts,
    so statistically equivalent); presorting distinct scores makes the two paths see the same
    count for the same event, so they must agree to rounding.
    """
    y, s, w = data(1, neg=0.05)
    s = s + np.arange(s.size) * 1e-9  # distinct scores
    order = np.argsort(-s)
    y, s, w = y[order], s[order], w[order]

    nominal_ok = ranking_curve(y, s, sample_weight=w).eligible(kw.get("min_background", 50.0))

    def slow(yy, ss, sample_weight=None, **k):  # opaque callable -> slow path
        if fast is max_sic:  # replicas keep the nominal sample's eligible cuts
            return ranking_curve(yy, ss, sample_weight=sample_weight).max_sic(eligible=nominal_ok)
        return fast(yy, ss, sample_weight=sample_weight, **k)

    with np.errstate(divide="ignore"):
        f = bootstrap_many({"m": (fast, kw)}, y, s, sample_weight=w, n=12, seed=4,
                           max_elements=7000)["m"]
        sl = bootstrap_many({"m": (slow, kw)}, y, s, sample_weight=w, n=12, seed=4)["m"]
    np.testing.assert_allclose(f.replicas.ravel(), sl.replicas.ravel(), rtol=1e-10)
    assert float(f.value) == pytest.approx(float(sl.value))


def test_independent_of_chunking_and_threads():
    y, s, w = data(2)
    metrics = {
        "auc": ("auc", {}), "sic": ("max_sic", {}), "eff": ("efficiency_at", {"eps_b": 0.01})
    }
    a = bootstrap_many(metrics, y, s, sample_weight=w, n=20, seed=9, max_elements=10**8,
                       n_threads=1)
    b = bootstrap_many(metrics, y, s, sample_weight=w, n=20, seed=9, max_elements=9000, n_threads=2)
    for k in metrics:
        np.testing.assert_array_equal(a[k].replicas, b[k].replicas)
    c = bootstrap_many(metrics, y, s, sample_weight=w, n=20, seed=10)
    assert not np.array_equal(a["auc"].replicas, c["auc"].replicas)


def test_partial_and_name_resolve_to_fast_path():
    y, s, w = data(3)
    v1 = bootstrap(functools.partial(rejection_at, eff_s=0.3), y, s, sample_weight=w, n=10, seed=1)
    v2 = bootstrap("rejection_at", y, s, sample_weight=w, n=10, seed=1, eff_s=0.3)
    assert v1 == v2
    assert v1[0] == pytest.approx(rejection_at(y, s, 0.3, sample_weight=w))


def test_random_classifier_auc_half_inside_interval():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 5000)
    s = rng.normal(size=5000)
    value, lo, hi = bootstrap(auc, y, s, n=200, seed=0, level=0.95)
    assert lo < 0.5 < hi
    assert lo < value < hi


def test_interval_width_matches_hanley_mcneil():
    """Bootstrap std of AUC vs the analytic Hanley–McNeil (1982) standard error."""
    y, s, _ = data(4, n=6000)
    a = auc(y, s)
    res = bootstrap_many({"auc": ("auc", {})}, y, s, n=200, seed=3)["auc"]
    n1, n0 = int((y == 1).sum()), int((y == 0).sum())
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    se = np.sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0))
    assert np.std(res.replicas) == pytest.approx(se, rel=0.25)
    # 68 % interval ~ ±1 sigma
    assert (float(res.hi) - float(res.lo)) / 2 == pytest.approx(se, rel=0.3)


def test_max_sic_interval_brackets_nominal():
    """Replicas must not be biased by the Kish count of Poisson weights (≈ n/2)."""
    for seed in range(3):
        y, s, w = data(20 + seed, n=3000, shift=1.5)
        res = bootstrap_many({"m": ("max_sic", {})}, y, s, sample_weight=w, n=100, seed=seed)["m"]
        assert float(res.lo) < float(res.value) < float(res.hi)
        assert abs(np.median(res.replicas) - float(res.value)) < float(res.hi - res.lo)


def test_coverage_of_true_auc():
    """Over independent samples, the 68 % interval covers the true AUC about 68 % of the time."""
    true = norm.cdf(0.8 / np.sqrt(2))  # AUC of N(0.8,1) vs N(0,1)
    hits = 0
    trials = 40
    for k in range(trials):
        rng = np.random.default_rng(100 + k)
        y = rng.integers(0, 2, 600)
        s = rng.normal(0.8 * y, 1.0)
        _, lo, hi = bootstrap(auc, y, s, n=100, seed=k)
        hits += lo <= true <= hi
    assert 0.45 <= hits / trials <= 0.9


def test_errors():
    y, s, _ = data(5, n=300)
    with pytest.raises(UnknownNameError, match="valid metric names are: auc"):
        bootstrap("aucc", y, s)
    with pytest.raises(ConfigError):
        bootstrap(auc, y, s, n=1)
    with pytest.raises(ConfigError):
        bootstrap(auc, y, s, level=1.5)
    assert set(CURVE_METRICS) >= {"auc", "max_sic", "rejection_at", "efficiency_at"}


def test_poisson1_distribution_matches_scipy():
    from scipy.stats import chisquare, poisson

    from sciood.metrics.bootstrap import poisson1

    k = poisson1(np.random.SeedSequence(0), 400_000)
    assert k.dtype == np.uint8
    obs = np.bincount(k, minlength=8)[:8].astype(float)
    exp = poisson.pmf(np.arange(8), 1.0) * k.size
    exp[-1] = poisson.sf(6, 1.0) * k.size  # last bin collects K >= 7
    obs[-1] = (k >= 7).sum()
    assert chisquare(obs, exp).pvalue > 1e-3
    assert k.mean() == pytest.approx(1.0, abs=0.01) and k.var() == pytest.approx(1.0, abs=0.01)


def test_interval_beyond_every_finite_replica_is_infinite_not_float_max():
    """Rejection at ε_S = 0.25 on 60 background events: 16 % of the replicas keep no
    background (rejection = inf), so the 84th percentile lies between the last finite replica
    and an infinite one — the upper end is inf, not an interpolated 2.9e307."""
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(60), np.ones(400)]
    s = np.r_[rng.normal(0, 1, 60), rng.normal(1.0, 1, 400)]
    res = bootstrap_many({"m": ("rejection_at", {"eff_s": 0.25})}, y, s, n=200, seed=8,
                         undefined="nan")["m"]
    assert np.isinf(res.replicas).mean() == pytest.approx(0.16)
    assert res.hi == np.inf and np.isfinite(res.lo) and res.lo < res.value
    for seed in range(12):                       # never a finite end beyond the finite replicas
        r = bootstrap_many({"m": ("rejection_at", {"eff_s": 0.25})}, y, s, n=200, seed=seed,
                           undefined="nan")["m"]
        finite = r.replicas[np.isfinite(r.replicas)]
        for end in (r.lo, r.hi):
            assert np.isinf(end) or (finite.size and end <= finite.max()), (seed, end)
