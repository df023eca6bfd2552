"""Sculpting JSD: formula check, independent vs sculpting scores, statistical floor."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.errors import DataError, StatisticsError
from sciood.metrics import rejection_at, sculpting_jsd
from sciood.metrics.sculpting import jsd


def test_jsd_matches_definition():
    rng = np.random.default_rng(0)
    p, q = rng.uniform(size=50), rng.uniform(size=50)
    pn, qn = p / p.sum(), q / q.sum()
    m = 0.5 * (pn + qn)
    ref = 0.5 * np.sum(pn * np.log2(pn / m)) + 0.5 * np.sum(qn * np.log2(qn / m))
    assert jsd(p, q) == pytest.approx(ref, rel=1e-10)
    assert jsd(p, p) == pytest.approx(0.0, abs=1e-12)
    assert jsd([1, 0], [0, 1]) == pytest.approx(1.0)  # disjoint: log2 base gives 1


def events(seed: int, n: int = 40000):
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.2).astype(int)
    m = 1000 + rng.exponential(400, n)
    return rng, y, m


def test_independent_score_sits_at_floor_and_mass_score_sculpts():
    rng, y, m = events(0)
    indep = rng.normal(1.5 * y, 1.0)
    r = sculpting_jsd(y, indep, m)
    assert r.floor < r.floor_matched  # small passing sample fluctuates more than a half
    assert r.jsd < 3 * r.floor_matched
    assert r.r50 == pytest.approx(rejection_at(y, indep, 0.5))
    assert r.inv_jsd == pytest.approx(1 / r.jsd)
    sculpt = indep + m / 400.0  # score correlated with the observable
    r2 = sculpting_jsd(y, sculpt, m)
    assert r2.jsd > 20 * r2.floor_matched
    assert r2.inv_jsd < r.inv_jsd
    # threshold realises the working point on the signal
    assert np.mean(sculpt[y == 1] >= r2.threshold) == pytest.approx(0.5, abs=0.01)


def test_floor_shrinks_with_statistics_and_is_seeded():
    rng, y, m = events(1, n=4000)
    s = rng.normal(y, 1.0)
    small = sculpting_jsd(y, s, m, seed=3)
    assert small == sculpting_jsd(y, s, m, seed=3)
    _, y2, m2 = events(1, n=40000)
    big = sculpting_jsd(y2, np.random.default_rng(2).normal(y2, 1.0), m2, seed=3)
    assert big.floor < small.floor / 3


def test_bins_and_range_and_errors():
    rng, y, m = events(2, n=5000)
    s = rng.normal(y, 1.0)
    r = sculpting_jsd(y, s, m, bins=np.linspace(1000, 3000, 21), range=None)
    assert 0 <= r.jsd <= 1
    with pytest.raises(DataError):
        sculpting_jsd(y, s, m[:10])
    with pytest.raises(DataError):
        sculpting_jsd(y, s, np.full_like(m, np.nan))
    with pytest.raises(StatisticsError):  # a score cut where no background fails
        yy = np.r_[np.ones(10), np.zeros(10)].astype(int)
        sculpting_jsd(yy, np.r_[np.zeros(10), np.ones(10)], np.arange(20.0))
