"""Calibrated classifier likelihood ratio on Gaussian classes with the analytic ratio."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.metrics import LikelihoodRatio, calibrated_likelihood_ratio

N = 20_000


def _gaussians(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0,1) background, N(1,1) signal: log r(x) = x − 1/2."""
    rng = np.random.default_rng(seed)
    x = np.r_[rng.normal(0.0, 1.0, N), rng.normal(1.0, 1.0, N)]
    return x, np.r_[np.zeros(N), np.ones(N)]


def _score(x: np.ndarray) -> np.ndarray:
    """A monotone but uncalibrated classifier output (not itself a ratio)."""
    return 1.0 / (1.0 + np.exp(-3.0 * x + 1.0))


@pytest.mark.parametrize("method", ["isotonic", "histogram"])
def test_matches_the_analytic_ratio(method: str) -> None:
    x, y = _gaussians()
    lr = calibrated_likelihood_ratio(y, _score(x), method=method)  # type: ignore[arg-type]
    xt, _ = _gaussians(seed=1)
    xt = xt[(xt > -1.5) & (xt < 2.5)]
    err = np.abs(lr.log_ratio(_score(xt)) - (xt - 0.5))
    assert np.median(err) < 0.08
    assert np.quantile(err, 0.9) < 0.3


def test_prior_ratio_is_divided_out() -> None:
    """Three times more signal in the calibration set must not change r̂."""
    x, y = _gaussians()
    keep = (y == 0) | (np.arange(y.size) < N + N // 3)
    lr_all = calibrated_likelihood_ratio(y, x)
    lr_few = calibrated_likelihood_ratio(y[keep], x[keep])
    grid = np.linspace(-1.0, 2.0, 13)
    assert np.median(np.abs(lr_few.log_ratio(grid) - lr_all.log_ratio(grid))) < 0.15
    assert lr_few.prior_ratio_ == pytest.approx(1 / 3, rel=1e-3)


def test_isotonic_is_monotone() -> None:
    x, y = _gaussians()
    lr = calibrated_likelihood_ratio(y, x)
    assert np.all(np.diff(lr.ratio(np.linspace(-5, 5, 501))) >= 0)


def test_histogram_negative_weights() -> None:
    """A few negative weights (NLO-like) are fine for the histogram method; r̂ stays close."""
    x, y = _gaussians()
    rng = np.random.default_rng(2)
    w = np.where(rng.random(y.size) < 0.1, -1.0, 1.0)
    lr = calibrated_likelihood_ratio(y, x, sample_weight=w, method="histogram", bins=10)
    grid = np.linspace(-1.0, 2.0, 7)
    assert np.median(np.abs(lr.log_ratio(grid) - (grid - 0.5))) < 0.2
    with pytest.raises(DataError, match="isotonic regression needs non-negative"):
        calibrated_likelihood_ratio(y, x, sample_weight=w)


@pytest.mark.parametrize(
    ("y", "s", "w", "match"),
    [
        ([0, 1, 0, 1], [0.1, np.nan, 0.3, 0.4], None, "non-finite"),
        ([0, 0, 0, 0], [0.1, 0.2, 0.3, 0.4], None, "only one class"),
        ([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4], [1, -1, 1, 0.5], "total weights must be positive"),
        ([0, 1, 0, 1], [0.1, 0.2, 0.3], None, "length|entries|shape"),
    ],
)
def test_bad_input(y: list, s: list, w: list | None, match: str) -> None:
    with pytest.raises(DataError, match=match):
        calibrated_likelihood_ratio(y, s, sample_weight=w, method="histogram", bins=2)


def test_bad_config_and_unfitted() -> None:
    with pytest.raises(ConfigError, match="method"):
        LikelihoodRatio(method="spline")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="bins"):
        LikelihoodRatio(method="histogram", bins=0)
    with pytest.raises(NotFittedError, match="fit"):
        LikelihoodRatio().ratio([0.0])


def test_empty_bin_is_refused() -> None:
    y = np.r_[np.zeros(50), np.ones(50)]
    s = np.r_[np.linspace(0, 1, 50), np.linspace(2, 3, 50)]  # perfectly separated classes
    with pytest.raises(DataError, match="fewer"):
        calibrated_likelihood_ratio(y, s, method="histogram", bins=4)


def _separated(n: int, d: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return np.r_[rng.normal(size=n), rng.normal(d, 1.0, n)], np.r_[np.zeros(n), np.ones(n)]


@pytest.mark.parametrize("method", ["isotonic", "histogram"])
def test_ratio_identities_hold_on_held_out_events(method: str) -> None:
    """E_b[r̂] = 1 and E_s[1/r̂] = 1: exactly on the calibration events, ≈ on new ones.

    Without the per-block event floor the isotonic top block (a handful of background
    events) gave E_b[r̂] ≈ 10 here.
    """
    x, y = _separated(3000, 1.5, seed=3)
    lr = calibrated_likelihood_ratio(y, x, method=method)  # type: ignore[arg-type]
    r_cal = lr(x)
    assert r_cal[y == 0].mean() == pytest.approx(1.0, rel=1e-9)
    assert (1.0 / r_cal[y == 1]).mean() == pytest.approx(1.0, rel=1e-9)
    xt, yt = _separated(50_000, 1.5, seed=4)
    r = lr(xt)
    assert r[yt == 0].mean() == pytest.approx(1.0, abs=0.12)
    assert (1.0 / r[yt == 1]).mean() == pytest.approx(1.0, abs=0.12)
    assert np.all(lr.block_events_ >= 10.0 - 1e-9)


def test_event_floor_sets_the_blocks() -> None:
    x, y = _separated(3000, 1.5, seed=3)
    fine = calibrated_likelihood_ratio(y, x, min_events=10)
    coarse = calibrated_likelihood_ratio(y, x, min_events=200)
    assert np.all(coarse.block_events_ >= 200.0 - 1e-9)
    assert 2 <= coarse.block_events_.shape[0] < fine.block_events_.shape[0]
    # the largest ratio is bounded by the floor: at most (all signal) / (200 of 3000 bkg)
    assert coarse.ratio([10.0])[0] <= 3000 / 200
    assert np.all(np.diff(coarse.ratio(np.linspace(-4, 6, 201))) >= 0)


def test_weighted_events_count_as_effective_events() -> None:
    """One background event of weight 50 among weight-1 events is ~1 effective event."""
    x, y = _separated(400, 1.0, seed=5)
    w = np.ones_like(x)
    w[np.argmax(np.where(y == 0, x, -np.inf))] = 50.0  # the most signal-like background
    lr = calibrated_likelihood_ratio(y, x, sample_weight=w, method="histogram", bins=10)
    assert np.all(lr.block_events_ >= 10.0 - 1e-9)
    assert lr(x[y == 0]) @ w[y == 0] / w[y == 0].sum() == pytest.approx(1.0, rel=1e-9)


def test_separated_classes_are_refused_by_isotonic() -> None:
    y = np.r_[np.zeros(50), np.ones(50)]
    s = np.r_[np.linspace(0, 1, 50), np.linspace(2, 3, 50)]
    with pytest.raises(DataError, match="min_events"):
        calibrated_likelihood_ratio(y, s)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), True, "10"])
def test_bad_min_events(bad: object) -> None:
    with pytest.raises(ConfigError, match="min_events"):
        LikelihoodRatio(min_events=bad)  # type: ignore[arg-type]
