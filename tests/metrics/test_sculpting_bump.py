"""Bump-making vs smooth sculpting: sculpting_bump ranks them, the JSD does not."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.errors import ConfigError, DataError, StatisticsError
from sciood.metrics import sculpting_bump, sculpting_jsd

N = 100_000
RANGE = (1000.0, 4000.0)


def sculpted(eff_fn, seed: int = 0, weights: bool = False):
    """Background mjj ~ 1 TeV + Exp(600 GeV) passing the ε_S = 0.5 cut with prob eff(mjj).

    Passing background scores lie in [1.5, 1.6], failing in [0, 0.1]; half of the signal
    scores in [1, 2] and half in [-1, 0], so the cut at ε_S = 0.5 keeps exactly the
    passing background.
    """
    rng = np.random.default_rng(seed)
    m = 1000.0 + rng.exponential(600.0, N)
    passing = rng.uniform(size=N) < eff_fn(m)
    s_b = np.where(passing, 1.5, 0.0) + rng.uniform(0.0, 0.1, N)
    s_s = np.r_[rng.uniform(1.0, 2.0, 1000), rng.uniform(-1.0, 0.0, 1000)]
    obs = np.r_[m, rng.uniform(1000.0, 3000.0, 2000)]
    y = np.r_[np.zeros(N, bool), np.ones(2000, bool)]
    # background weights only: the signal's ε_S = 0.5 cut stays between its two halves
    w = np.r_[rng.uniform(0.5, 1.5, N), np.ones(2000)] if weights else None
    return obs, np.r_[s_b, s_s], y, w


def x_of(m):
    return np.clip((m - 1000.0) / 3000.0, 0.0, 1.0)


SMOOTH = {
    "flat": lambda m: np.full(m.shape, 0.10),
    "linear": lambda m: 0.05 + 0.20 * x_of(m),
    "exponential": lambda m: 0.04 * np.exp(2.5 * x_of(m)),
}


def bump(m):
    return 0.10 * (1.0 + 0.5 * np.exp(-0.5 * ((m - 2000.0) / 80.0) ** 2))


def both(eff_fn, **kw):
    obs, s, y, w = sculpted(eff_fn, **kw)
    args = dict(eff_s=0.5, bins=40, range=RANGE, sample_weight=w)
    return sculpting_jsd(y, s, obs, **args), sculpting_bump(y, s, obs, n_null=100, **args)


def test_bump_ranks_above_smooth_sculpting_while_jsd_ranks_it_below() -> None:
    j_bump, b_bump = both(bump)
    for name in ("linear", "exponential"):
        j, b = both(SMOOTH[name])
        assert b.z < b_bump.z, name
        assert b.p_value > 0.01, name  # smooth efficiency: compatible with the null
        assert j.jsd > j_bump.jsd, name  # the failure of the JSD this measure fixes
        assert b.jsd == pytest.approx(j.jsd, rel=1e-12)  # reported alongside
    assert b_bump.z > 2 * b_bump.floor
    assert b_bump.p_value < 0.02  # smaller than every null toy: (0 + 1) / (100 + 1)
    lo, hi = b_bump.location
    assert lo <= 2000.0 <= hi and hi - lo <= 5 * 75.0
    assert b_bump.amplitude > 0.1


def test_flat_efficiency_sits_at_the_null() -> None:
    _, b = both(SMOOTH["flat"], seed=1)
    assert b.p_value > 0.01 and b.z < b.floor + 1.0
    assert 1.5 < b.floor < 4.0  # 40 bins x 5 widths: look-elsewhere of a few sigma


def test_weighted_events_and_determinism() -> None:
    _, b1 = both(bump, weights=True)
    _, b2 = both(bump, weights=True)
    assert b1 == b2
    assert b1.z > 2 * b1.floor
    _, flat = both(SMOOTH["exponential"], weights=True)
    assert flat.z < b1.z


def test_input_validation() -> None:
    obs, s, y, _ = sculpted(bump)
    with pytest.raises(ConfigError):
        sculpting_bump(y, s, obs, eff_s=1.0)
    with pytest.raises(ConfigError):
        sculpting_bump(y, s, obs, degree=-1)
    with pytest.raises(ConfigError):
        sculpting_bump(y, s, obs, n_null=0)
    with pytest.raises(DataError):
        sculpting_bump(y, s, np.where(np.arange(obs.size) == 5, np.nan, obs))
    with pytest.raises(DataError):
        sculpting_bump(y, s, obs[:-1])
    with pytest.raises(StatisticsError, match="bins"):
        sculpting_bump(y, s, obs, bins=4)


def test_sculpting_table_reports_bump_beside_jsd() -> None:
    import pyarrow as pa

    from sciood.data.eventset import EventSet
    from sciood.evaluate import sculpting_table

    obs, s, y, _ = sculpted(bump)
    lab = np.where(y, "sig", "qcd")
    es = EventSet(pa.table({"label": lab, "is_signal": y, "weight": np.ones(y.size),
                            "mjj": obs}), observables=["mjj"])
    df = sculpting_table(s, es, bins=40)
    assert {"jsd", "bump_z", "bump_p", "bump_floor"} <= set(df.columns)
    row = df.iloc[0]
    assert row["bump_z"] > 2 * row["bump_floor"] and row["bump_p"] < 0.02
