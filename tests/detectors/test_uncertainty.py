"""Deep ensembles and MC dropout."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sciood.detectors import Detector, make
from sciood.detectors.uncertainty import member_seeds
from sciood.errors import ConfigError


def data(n: int = 300) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(n, 3))


def test_ensemble_mean_and_std_over_members() -> None:
    X = data()
    ens = make("ensemble", base="ae", n=3, epochs=2, seed=4).fit(X)
    members = ens.member_scores(X)
    assert members.shape == (3, len(X))
    mean, std = ens.score_with_uncertainty(X)
    np.testing.assert_allclose(mean, members.mean(0))
    np.testing.assert_allclose(std, members.std(0, ddof=1))
    assert (std > 0).all()
    # members are independent fits: each equals a standalone model with its seed
    s0 = member_seeds(4, 3)[0]
    np.testing.assert_array_equal(members[0], make("ae", epochs=2, seed=s0).fit(X).score(X))


def test_std_as_a_score(tmp_path: Path) -> None:
    X = data()
    det = make("ensemble", base="ae", n=3, epochs=2, score_mode="std").fit(X)
    np.testing.assert_array_equal(det.score(X), det.score_with_uncertainty(X)[1])
    det.save(tmp_path)
    np.testing.assert_array_equal(Detector.load(tmp_path).score(X), det.score(X))


def test_epistemic_std_grows_away_from_the_data() -> None:
    X = data(600)
    det = make("ensemble", base="ae", n=4, epochs=10).fit(X)
    _, std = det.score_with_uncertainty(np.r_[X[:50], np.full((50, 3), 6.0)])
    assert std[50:].mean() > 3 * std[:50].mean()


def test_mc_dropout() -> None:
    X = data()
    det = make("mc_dropout", base="ae", dropout=0.2, passes=8, epochs=2).fit(X)
    mean, std = det.score_with_uncertainty(X)
    assert mean.shape == std.shape == (len(X),) and (std > 0).all()
    again = make("mc_dropout", base="ae", dropout=0.2, passes=8, epochs=2).fit(X)
    np.testing.assert_array_equal(again.score_with_uncertainty(X)[1], std)


def test_uncertainty_errors() -> None:
    X = data(50)
    with pytest.raises(ConfigError, match="dropout"):
        make("mc_dropout", base="iforest").fit(X)
    with pytest.raises(ConfigError, match="n >= 2"):
        make("ensemble", base="ae", n=1).fit(X)
    with pytest.raises(ConfigError, match="score_mode"):
        make("ensemble", score_mode="median").fit(X)
    with pytest.raises(ConfigError, match="wrap it"):
        make("ae").score_with_uncertainty(X)
