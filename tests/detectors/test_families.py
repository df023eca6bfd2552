"""Family-specific checks against reference implementations and known answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import multivariate_normal, spearmanr

from sciood.data.eventset import EventSet
from sciood.detectors import make


def standardised(n: int, d: int, seed: int) -> np.ndarray:
    """Exactly zero-mean unit-variance columns, so sciood's scaler is the identity."""
    X = np.random.default_rng(seed).normal(size=(n, d))
    return (X - X.mean(0)) / X.std(0)


def test_knn_matches_pyod() -> None:
    from pyod.models.knn import KNN

    X, T = standardised(300, 3, 0), np.random.default_rng(1).normal(size=(50, 3))
    for method in ("largest", "mean"):
        ours = make("knn", k=7, method=method).fit(X).score(T)
        ref = KNN(n_neighbors=7, method=method).fit(X).decision_function(T)
        np.testing.assert_allclose(ours, ref, rtol=1e-10)


def test_iforest_ranks_like_pyod() -> None:
    from pyod.models.iforest import IForest

    X = standardised(300, 3, 2)
    ours = make("iforest", n_estimators=50, seed=5).fit(X).score(X)
    ref = IForest(n_estimators=50, random_state=5).fit(X).decision_function(X)
    assert spearmanr(ours, ref).statistic > 0.999


def test_mahalanobis_matches_scipy() -> None:
    from scipy.spatial.distance import mahalanobis

    X = standardised(500, 3, 3) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0, 0, 1.0]])
    T = np.random.default_rng(4).normal(size=(20, 3))
    det = make("mahalanobis", reg=0.0).fit(X)
    # reference in sciood's standardised space
    Xs, Ts = det._scaler.transform(X), det._scaler.transform(T)
    vi = np.linalg.inv(np.cov(Xs.T, bias=True))
    ref = [mahalanobis(t, Xs.mean(0), vi) ** 2 for t in Ts]
    np.testing.assert_allclose(det.score(T), ref, rtol=1e-8)


def test_gmm_one_component_is_gaussian_nll() -> None:
    X = standardised(2000, 2, 5)
    det = make("gmm", n_components=1).fit(X)
    Xs = det._scaler.transform(X)
    ref = -multivariate_normal(Xs.mean(0), np.cov(Xs.T, bias=True)).logpdf(Xs)
    np.testing.assert_allclose(det.score(X), ref, rtol=1e-3)


def test_flow_learns_a_known_density() -> None:
    rng = np.random.default_rng(6)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    X = rng.multivariate_normal([1.0, -2.0], cov, size=3000)
    T = rng.multivariate_normal([1.0, -2.0], cov, size=2000)
    det = make("flow", epochs=15, seed=0).fit(X)
    true_nll = -multivariate_normal([1.0, -2.0], cov).logpdf(T)
    # mean −log p on held-out events within 0.1 nat of the truth (in original units)
    assert abs(det.score(T).mean() - true_nll.mean()) < 0.1
    np.testing.assert_allclose(det.log_prob(T), -det.score(T))


def test_vae_score_spaces_are_consistent() -> None:
    X = standardised(400, 4, 7)
    det = make("vae", epochs=3, beta=0.5).fit(X)
    comp = det.score_components(X)
    np.testing.assert_allclose(comp["combined"], comp["input"] + 0.5 * comp["latent"], rtol=1e-6)
    np.testing.assert_allclose(det.score(X), comp["input"], rtol=1e-6)
    lat = make("vae", epochs=3, beta=0.5, score_space="latent").fit(X)
    np.testing.assert_allclose(lat.score(X), lat.score_components(X)["latent"], rtol=1e-6)
    assert (comp["latent"] >= 0).all()


def test_autoencoders_flag_far_events() -> None:
    X = standardised(2000, 4, 8)
    far = np.full((1, 4), 8.0)
    for name in ("ae", "vae", "svdd"):
        det = make(name, epochs=10).fit(X)
        assert det.score(far)[0] > np.quantile(det.score(X), 0.99), name


@pytest.mark.parametrize("encoder", ["deepsets", "transformer"])
def test_set_ae_is_permutation_invariant(small_dijet: EventSet, encoder: str) -> None:
    det = make("set_ae", encoder=encoder, epochs=1, max_particles=10, hidden=16).fit(
        small_dijet.select(np.arange(100)))
    X = det.as_array(small_dijet.select(np.arange(100, 140)))
    perm = np.random.default_rng(0).permutation(10)
    Xp = X.copy()
    # permute the particles (padding included) of jet 1 of every event
    Xp[:, 0] = X[:, 0, perm]
    np.testing.assert_allclose(det.score_jets(Xp), det.score_jets(X), rtol=2e-4, atol=1e-6)


def test_supervised_on_particle_sets_reuses_the_set_encoder(small_dijet: EventSet) -> None:
    from sciood.detectors.nets import SetEncoder

    det = make("supervised", representation="sets", max_particles=10, epochs=1,
               hidden=[16]).fit(small_dijet)
    assert any(isinstance(m, SetEncoder) for m in det._net.modules())
    assert det.score(small_dijet).shape == (len(small_dijet),)


def test_msp_and_energy_flag_an_unseen_class() -> None:
    rng = np.random.default_rng(9)
    X = np.r_[rng.normal(-3, 0.5, size=(300, 2)), rng.normal(3, 0.5, size=(300, 2))]
    y = np.array(["qcd"] * 300 + ["ttbar"] * 300)
    ood = np.array([[0.0, 0.0]])  # between the two classes: ambiguous
    for name in ("msp", "energy"):
        det = make(name, epochs=20).fit(X, y)
        assert det.classes == ["qcd", "ttbar"]
        assert det.score(ood)[0] > np.quantile(det.score(X), 0.9), name
    p = det.predict_proba(X)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)


def test_outlier_exposure_raises_exposed_scores() -> None:
    rng = np.random.default_rng(10)
    X = np.r_[rng.normal(size=(600, 3)), rng.normal(0, 1, size=(200, 3)) * [1, 1, 0.2] + [0, 0, 1]]
    y = np.r_[np.zeros(600), np.ones(200)]
    plain = make("vae", epochs=10).fit(X[:600])
    oe = make("oe_vae", epochs=10, oe_strength=5.0).fit(X, y)
    gap = lambda d: d.score(X[600:]).mean() - d.score(X[:600]).mean()  # noqa: E731
    assert gap(oe) > gap(plain)


def test_per_jet_copula_score_is_density_minus_marginals() -> None:
    from scipy.stats import norm

    rng = np.random.default_rng(11)
    X = rng.normal(size=(600, 2, 2)) * [1.0, 3.0] + [0.0, 5.0]
    det = make("per_jet", base="gmm", n_components=1, space="copula", aggregate="min").fit(X)
    gauss = make("per_jet", base="gmm", n_components=1, space="gauss").fit(X)
    z = det._gauss.transform(X.reshape(-1, 2))
    expected = (gauss.score_jets(X).reshape(-1) + norm.logpdf(z).sum(1)).reshape(600, 2)
    np.testing.assert_allclose(det.score_jets(X), expected, rtol=1e-6)
    np.testing.assert_allclose(det.score(X), expected.min(1), rtol=1e-6)
    # independent Gaussian features: the copula is flat, so copula scores are ~constant
    assert det.score_jets(X).std() < 0.2 * gauss.score_jets(X).std()


def test_per_jet_options() -> None:
    from sciood.errors import ConfigError

    X = np.random.default_rng(0).normal(size=(50, 2, 3))
    with pytest.raises(ConfigError, match="density base"):
        make("per_jet", base="knn", space="copula").fit(X)
    with pytest.raises(ConfigError, match="unsupervised"):
        make("per_jet", base="supervised", space="raw").fit(X)
    with pytest.raises(ConfigError, match="aggregate"):
        make("per_jet", aggregate="median").fit(X)
