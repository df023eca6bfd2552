"""Training over environments (``invariance=``): validation, round trip, determinism, effect."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import ks_2samp

from sciood.detectors import check_params, load, make
from sciood.detectors.invariance import check_environment, grad_reverse
from sciood.errors import ConfigError, DataError
from sciood.represent.hlf import high_level_features


@pytest.fixture(scope="module")
def two_envs(make_sample) -> tuple[np.ndarray, np.ndarray]:
    """300 real QCD events: half as simulated, half with both jet masses scaled by 1.5."""
    X = high_level_features(make_sample("qcd", 300, 11), "physics").astype(np.float64)
    X = X.copy()
    env = np.r_[np.zeros(150, np.int64), np.ones(len(X) - 150, np.int64)]
    X[env == 1, :2] *= 1.5  # mj1_sd, mj2_sd: an exaggerated jet-energy-scale shift
    return X, env


def test_grad_reverse_flips_and_scales_gradient() -> None:
    x = torch.arange(3.0, requires_grad=True)
    y = grad_reverse(x, 0.5)
    assert torch.equal(y, x)
    (y * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad is not None and x.grad.tolist() == [-0.5, -1.0, -1.5]


def test_option_and_environment_validated(two_envs) -> None:
    X, env = two_envs
    with pytest.raises(ConfigError, match="invariance"):
        check_params("ae", {"invariance": "mmd"})
    with pytest.raises(ConfigError, match="invariance"):
        make("ae", invariance="mmd").fit(X, environment=env)
    with pytest.raises(ConfigError, match="invariance_strength must be >= 0"):
        check_params("flow", {"invariance_strength": -1.0})
    with pytest.raises(ConfigError, match="invariance_strength must be >= 0"):
        make("ae", invariance="irm", invariance_strength=-1.0).fit(X, environment=env)
    with pytest.raises(ConfigError, match="no parameter"):
        check_params("knn", {"invariance": "irm"})
    with pytest.raises(DataError, match="needs the environment"):
        make("ae", invariance="irm", epochs=1).fit(X)
    with pytest.raises(DataError, match="at least 2 environments"):
        make("ae", invariance="adversarial", epochs=1).fit(X, environment=np.zeros(len(X), int))
    with pytest.raises(DataError, match=r"shape \(300,\)"):
        make("ae", invariance="irm", epochs=1).fit(X, environment=env[:10])
    with pytest.raises(DataError, match="integer labels"):
        make("ae", invariance="irm", epochs=1).fit(X, environment=env + 0.5)
    with pytest.raises(ConfigError, match="invariance is None"):
        make("ae", epochs=1).fit(X, environment=env)
    assert check_environment(np.r_[7, 3, 7], 3, "irm").tolist() == [1, 0, 1]


def test_default_unchanged_and_penalty_changes_training(two_envs) -> None:
    X, env = two_envs
    plain = make("ae", seed=1, epochs=2).fit(X).score(X)
    same = make("ae", seed=1, epochs=2, invariance=None).fit(X).score(X)
    assert np.array_equal(plain, same)
    irm = make("ae", seed=1, epochs=2, invariance="irm", invariance_strength=10.0)
    assert not np.array_equal(plain, irm.fit(X, environment=env).score(X))


@pytest.mark.parametrize("method", ["adversarial", "irm"])
def test_round_trip_and_determinism(two_envs, tmp_path, method: str) -> None:
    X, env = two_envs
    kw = {"seed": 3, "epochs": 2, "invariance": method, "invariance_strength": 2.0}
    a = make("vae", **kw).fit(X, environment=env)
    b = make("vae", **kw).fit(X, environment=env)
    sa = a.score(X)
    assert np.array_equal(sa, b.score(X))
    assert np.array_equal(sa[:7], a.score(X[:7]))  # scores do not depend on the batch
    a.save(tmp_path / "m")
    back = load(tmp_path / "m")
    assert back.get_params()["invariance"] == method
    assert back.get_params()["invariance_strength"] == 2.0
    assert np.array_equal(back.score(X), sa)


def test_adversarial_flow_score_differs_less_between_environments(two_envs) -> None:
    X, env = two_envs
    kw = {"seed": 0, "epochs": 40, "batch_size": 32, "transforms": 2, "hidden": [32, 32]}
    plain = make("flow", **kw).fit(X).score(X)
    adv = make("flow", invariance="adversarial", invariance_strength=10.0, **kw).fit(
        X, environment=env).score(X)
    ks_plain = ks_2samp(plain[env == 0], plain[env == 1]).statistic
    ks_adv = ks_2samp(adv[env == 0], adv[env == 1]).statistic
    assert ks_adv < 0.7 * ks_plain, (ks_plain, ks_adv)
