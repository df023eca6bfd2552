"""Nuisance-parameterised training (``nuisance_param``): validation, conditioning, inference."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import ks_2samp

from sciood.detectors import check_params, load, make
from sciood.detectors.invariance import environments
from sciood.errors import ConfigError, DataError
from sciood.represent.hlf import high_level_features


@pytest.fixture(scope="module")
def shifted(make_sample) -> tuple[np.ndarray, np.ndarray]:
    """400 real QCD events; the second half (ν = 1) with both jet masses shifted by 1 std."""
    X = high_level_features(make_sample("qcd", 400, 21), "physics").astype(np.float64).copy()
    nu = np.r_[np.zeros(200), np.ones(len(X) - 200)]
    X[nu == 1, :2] += X[:, :2].std(0)  # mj1_sd, mj2_sd: an exaggerated jet-energy-scale shift
    return X, nu


FLOW = {"base": "flow", "epochs": 40, "batch_size": 64, "transforms": 2, "seed": 0}


@pytest.fixture(scope="module")
def fitted_flow(shifted):
    X, nu = shifted
    return make("nuisance_param", **FLOW).fit(X, nuisance=nu)


def test_parameters_and_nuisance_validated(shifted) -> None:
    X, nu = shifted
    with pytest.raises(ConfigError, match="base must be"):
        check_params("nuisance_param", {"base": "iforest"})
    with pytest.raises(ConfigError, match="inference must be"):
        check_params("nuisance_param", {"inference": "max"})
    with pytest.raises(ConfigError, match="prior_width must be > 0"):
        check_params("nuisance_param", {"prior_width": 0.0})
    with pytest.raises(ConfigError, match="grid needs"):
        check_params("nuisance_param", {"grid": []})
    det = make("nuisance_param", epochs=1)
    with pytest.raises(ConfigError, match="not both"):
        det.fit(X, nuisance=nu, environment=nu.astype(int))
    with pytest.raises(DataError, match=r"shape \(400,\)"):
        det.fit(X, nuisance=nu[:10])
    with pytest.raises(DataError, match="NaN or Inf"):
        det.fit(X, nuisance=np.where(nu == 1, np.nan, 0.0))
    with pytest.raises(DataError, match=r"integers 0 \.\. 2"):
        det.fit(X, environment=(nu * 3).astype(int))
    with pytest.raises(DataError, match="finite"):
        make("nuisance_param", epochs=1).fit(X, nuisance=nu).score_at(X, float("nan"))


def test_environment_labels_map_through_nuisance_values(shifted, fitted_flow) -> None:
    X, nu = shifted
    # environment 0 -> ν = 0, environment 1 -> ν = +1 (the default nuisance_values)
    via_env = make("nuisance_param", **FLOW).fit(X, environment=nu.astype(int))
    np.testing.assert_array_equal(via_env.score(X), fitted_flow.score(X))
    assert fitted_flow.nuisance_grid == [0.0, 1.0]


def test_conditioning_learns_the_shift(shifted, fitted_flow) -> None:
    """Shifted events are likelier at ν = 1 than at ν = 0, nominal ones the reverse."""
    X, nu = shifted
    nom, sh = X[nu == 0], X[nu == 1]
    at = {v: (fitted_flow.score_at(nom, v), fitted_flow.score_at(sh, v)) for v in (0.0, 1.0)}
    assert np.median(at[1.0][1]) < np.median(at[0.0][1]) - 1.0  # −log p lower by > 1 nat
    assert np.median(at[0.0][0]) < np.median(at[1.0][0]) - 1.0
    # profiling removes much of the shift between the environments' score distributions
    ks_at0 = ks_2samp(*at[0.0]).statistic
    ks_prof = ks_2samp(fitted_flow.score(nom), fitted_flow.score(sh)).statistic
    assert ks_prof < 0.6 * ks_at0, (ks_prof, ks_at0)


@pytest.mark.parametrize("base", ["ae", "vae", "flow"])
def test_profile_and_marginal_combine_the_grid(shifted, base: str) -> None:
    X, nu = shifted
    kw = {"base": base, "epochs": 3, "seed": 1, "grid": [-1.0, 0.0, 0.5, 1.0]}
    prof = make("nuisance_param", inference="profile", **kw).fit(X, nuisance=nu)
    s = prof.grid_scores(X)
    assert s.shape == (4, len(X))
    np.testing.assert_array_equal(prof.score(X), s.min(0))
    np.testing.assert_array_equal(prof.score_at(X, 0.5), s[2])
    marg = make("nuisance_param", inference="marginal", **kw).fit(X, nuisance=nu)
    np.testing.assert_array_equal(marg.grid_scores(X), s)  # same seed: same network
    pi = np.exp(-0.5 * np.array([-1.0, 0.0, 0.5, 1.0]) ** 2)
    pi /= pi.sum()
    want = (-np.log((pi[:, None] * np.exp(-s)).sum(0)) if base == "flow"
            else (pi[:, None] * s).sum(0))
    np.testing.assert_allclose(marg.score(X), want, rtol=1e-10)
    assert np.all(marg.score(X) >= prof.score(X) - 1e-12)


def test_round_trip_and_batch_invariance(shifted, fitted_flow, tmp_path) -> None:
    X, _ = shifted
    scores = fitted_flow.score(X)
    fitted_flow.save(tmp_path / "m")
    back = load(tmp_path / "m")
    np.testing.assert_array_equal(back.score(X), scores)
    np.testing.assert_array_equal(back.score_at(X, 0.3), fitted_flow.score_at(X, 0.3))
    assert back.nuisance_grid == fitted_flow.nuisance_grid
    for k, n in ((0, 1), (5, 37), (100, 300)):
        np.testing.assert_array_equal(fitted_flow.score(X[k:k + n]), scores[k:k + n])


def test_environments_from_eventset_variants(make_sample) -> None:
    sim = make_sample("qcd", 300, 11)
    up = make_sample("qcd", 60, 11, variant="sim_jes_up")
    es, env, nu = environments([up, sim, up])
    assert len(es) == len(up) * 2 + len(sim)
    assert env.tolist() == [0] * len(up) + [1] * len(sim) + [0] * len(up)
    np.testing.assert_allclose(nu, np.r_[np.ones(len(up)), np.zeros(len(sim)),
                                         np.ones(len(up))], atol=1e-9)
    det = make("nuisance_param", epochs=1, seed=0, nuisance_values=[1.0, 0.0]).fit(
        es, environment=env)
    np.testing.assert_allclose(  # ν from the card is 1 up to rounding
        det.score(es), make("nuisance_param", epochs=1, seed=0).fit(es, nuisance=nu).score(es),
        rtol=1e-5)
    with pytest.raises(DataError, match="at least one"):
        environments([])
    mixed = type(sim).concat([sim, up])
    with pytest.raises(DataError, match="no single variant"):
        environments([mixed])
