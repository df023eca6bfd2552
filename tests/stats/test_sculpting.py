"""Sculpting guard: judged on the reference's own statistics, projected to the data's."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.errors import DataError
from sciood.stats import bump_hunt, dijet_function, judge_sculpting

WIN = np.array([[3000.0 + 100 * i, 3300.0 + 100 * i] for i in range(10)])


def test_projection_and_verdicts() -> None:
    z = np.r_[np.zeros(9), 6.0]
    null = np.random.default_rng(0).normal(1.5, 0.6, 2000).clip(0)
    big = judge_sculpting(z, WIN, 1e4, 5e4, null_max_z=null)  # reference 5x the data
    assert big.null == "toys" and big.p_reference < 0.01
    assert big.fake_bump_z == pytest.approx(6.0 * np.sqrt(0.2))
    assert big.sculpted and big.conclusive and big.fake_bump_window == (3900.0, 4200.0)
    assert any("SCULPTING" in m for m in big.messages())
    # significant in a 5x reference, but Z < 2 at the data's statistics: harmless
    mild = judge_sculpting(np.r_[np.zeros(9), 4.0], WIN, 1e4, 5e4, null_max_z=null)
    assert mild.p_reference < 0.01 and not mild.sculpted and mild.conclusive
    # a reference 5x smaller cannot see 3-sigma fake bumps: inconclusive, never "clean"
    small = judge_sculpting(np.zeros(10) + 0.5, WIN, 5e4, 1e4, null_max_z=null)
    assert not small.sculpted and not small.conclusive
    assert "inconclusive" in small.messages()[0]
    # the same events as the data (MC truth): conclusive by construction
    same = judge_sculpting(np.zeros(10) + 0.5, WIN, 1e4, 1e4, same_events=True)
    assert same.null == "bonferroni" and same.conclusive and not same.sculpted
    with pytest.raises(DataError):
        judge_sculpting(np.full(10, np.nan), WIN, 1e4, 1e4)
    with pytest.raises(DataError):
        judge_sculpting(z, WIN, 0.0, 1e4)


def _sample(n: int, rng: np.random.Generator) -> np.ndarray:
    grid = np.linspace(2600.0, 5000.0, 40001)
    cdf = np.cumsum(dijet_function(grid, (0.0, 10.0, 5.0, 0.0)))
    return np.interp(rng.random(n), cdf / cdf[-1], grid)


def test_hunt_flags_a_score_that_makes_a_bump_with_an_external_reference() -> None:
    rng = np.random.default_rng(1)
    data, ref = _sample(60_000, rng), _sample(300_000, rng)
    # the score prefers events near 3.5 TeV: a bump-making cut
    def score(m: np.ndarray) -> np.ndarray:
        return -np.abs(m - 3500.0) / 3500.0 + rng.normal(0, 0.02, m.size)

    res = bump_hunt(data, score(data), cut_eff_b=0.2, mjj_range=(2600.0, 5000.0), n_toys=0,
                    background_reference=(ref, score(ref), None))
    # the cut turns the falling spectrum into a peak: caught as a turning point
    assert res.sculpting_flag is True and res.sculpting["turning_point"] > 3000.0
    assert any("do not fall" in f for f in res.flags)

    # a milder cut: the efficiency is 1.4x higher near 3.5 TeV; the spectrum still falls
    def mild(m: np.ndarray) -> np.ndarray:
        return rng.random(m.size) + 0.12 * np.exp(-0.5 * ((m - 3500.0) / 175.0) ** 2)

    res = bump_hunt(data, mild(data), cut_eff_b=0.2, mjj_range=(2600.0, 5000.0), n_toys=0,
                    background_reference=(ref, mild(ref), None))
    assert res.sculpting is not None and res.sculpting["ratio"] == pytest.approx(0.2, rel=0.05)
    assert res.sculpting_flag is True and res.sculpting["conclusive"]
    assert 3200.0 < 0.5 * sum(res.fake_bump_window) < 3800.0
    # an mjj-independent score with the same reference: not sculpted, and conclusive
    flat_d, flat_r = rng.random(data.size), rng.random(ref.size)
    ok = bump_hunt(data, flat_d, cut_eff_b=0.2, mjj_range=(2600.0, 5000.0), n_toys=0,
                   background_reference=(ref, flat_r, None))
    assert ok.sculpting_flag is False and ok.sculpting["conclusive"]
