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
