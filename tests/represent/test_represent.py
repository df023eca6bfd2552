"""Representations: high-level features + scaler, particle sets, jet images."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import UnknownNameError
from sciood.represent import (
    FEATURE_SETS,
    Gaussianizer,
    Standardizer,
    available,
    high_level_features,
    jet_features,
    jet_images,
    jet_particle_features,
    particle_sets,
    represent,
)
from sciood.represent.sets import jet_centroid


def test_registry() -> None:
    assert available() == ["hlf", "images", "jets", "sets"]
    with pytest.raises(UnknownNameError, match="valid representation names"):
        represent(None, "graphs")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="lhco"):
        high_level_features(None, "nope")  # type: ignore[arg-type]


def test_high_level_features(small_dijet: EventSet) -> None:
    X = high_level_features(small_dijet)
    assert X.shape == (len(small_dijet), 4)
    np.testing.assert_array_equal(X[:, 1], small_dijet.column("delta_mj"))
    assert high_level_features(small_dijet, "substructure").shape[1] == len(
        FEATURE_SETS["substructure"])
    assert high_level_features(small_dijet, ["mjj"]).shape == (len(small_dijet), 1)


def test_standardizer_weighted_and_round_trip() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(3, 2, size=(500, 2))
    w = rng.uniform(0.5, 2, size=500)
    s = Standardizer().fit(X, sample_weight=w)
    Z = s.transform(X)
    np.testing.assert_allclose(np.average(Z, axis=0, weights=w), 0, atol=1e-12)
    np.testing.assert_allclose(np.average(Z**2, axis=0, weights=w), 1, rtol=1e-12)
    s2 = Standardizer.from_state(s.state())
    np.testing.assert_array_equal(s2.transform(X), Z)
    const = Standardizer().fit(np.ones((10, 1)))
    assert np.isfinite(const.transform(np.ones((3, 1)))).all()


def test_centroid_handles_phi_wrap() -> None:
    p = np.array([[[100.0, 0.0, 3.1], [100.0, 0.0, -3.1]]])
    _, phi = jet_centroid(p, np.ones((1, 2), bool))
    assert abs(abs(phi[0]) - np.pi) < 1e-6


def test_particle_sets_real_events(small_dijet: EventSet) -> None:
    S = particle_sets(small_dijet, max_particles=20)
    assert S.shape == (len(small_dijet), 2, 20, 4) and S.dtype == np.float32
    mask = S[..., 3] > 0
    counts = np.minimum(small_dijet.column("nconst_j1"), 20)
    np.testing.assert_array_equal(mask[:, 0].sum(1), counts)
    # padded entries are zero; z is pT-ordered and sums to 1 over the full jet
    assert (S[~mask] == 0).all()
    z = S[:, 0, :, 0]
    assert (np.diff(z, axis=1)[mask[:, 0, 1:]] <= 1e-7).all()
    full = particle_sets(small_dijet, max_particles=400)
    np.testing.assert_allclose(full[:, :, :, 0].sum(2), 1.0, rtol=1e-5)
    # jet-relative coordinates: pT-weighted centroid at zero
    np.testing.assert_allclose((full[..., 0] * full[..., 1]).sum(2), 0, atol=1e-4)


def test_jet_particle_features_reference() -> None:
    p = np.array([[[300.0, 0.1, 0.2], [100.0, -0.1, 0.1], [0.0, 0.0, 0.0]]])
    m = np.array([[True, True, False]])
    f = jet_particle_features(p, m)
    np.testing.assert_allclose(f[0, :2, 0], [0.75, 0.25])
    np.testing.assert_allclose(f[0, :2, 1], [0.05, -0.15], atol=1e-6)
    np.testing.assert_allclose(f[0, :2, 2], [0.025, -0.075], atol=1e-6)
    assert (f[0, 2] == 0).all()


def test_jet_image_preprocessing() -> None:
    # two-prong jet along the φ direction with the harder prong at negative φ
    p = np.array([[[300.0, 0.0, -0.2], [100.0, 0.0, 0.4], [50.0, 0.3, 0.0]]])
    img = jet_images(p, np.ones((1, 3), bool), npix=16, extent=1.0)
    assert img.shape == (1, 16, 16) and img.sum() == pytest.approx(1.0)
    # principal axis vertical (along axis 2), harder half at positive coordinates
    rows, cols = np.nonzero(img[0])
    spread_axis1 = np.ptp(rows)
    spread_axis2 = np.ptp(cols)
    assert spread_axis2 > spread_axis1
    w = img[0]
    centre = (16 - 1) / 2
    assert (w.sum(0) * (np.arange(16) - centre)).sum() >= 0
    assert (w.sum(1) * (np.arange(16) - centre)).sum() >= 0
    # rotation/flip invariance: a rotated copy gives the same image
    ang = 0.7
    eta, phi = p[0, :, 1], p[0, :, 2]
    q = p.copy()
    q[0, :, 1] = np.cos(ang) * eta - np.sin(ang) * phi + 1.0
    q[0, :, 2] = np.sin(ang) * eta + np.cos(ang) * phi
    np.testing.assert_allclose(jet_images(q, np.ones((1, 3), bool), npix=16), img, atol=1e-6)


def test_event_images_real(small_dijet: EventSet) -> None:
    imgs = represent(small_dijet, "images", npix=16)
    assert imgs.shape == (len(small_dijet), 2, 16, 16)
    np.testing.assert_allclose(imgs.sum((2, 3)), 1.0, rtol=1e-5)


def test_jet_features(small_dijet: EventSet) -> None:
    J = jet_features(small_dijet)
    assert J.shape == (len(small_dijet), 2, 2)
    np.testing.assert_array_equal(J[:, 1, 0], small_dijet.column("mj2_sd"))
    np.testing.assert_array_equal(J[:, 0, 1], small_dijet.column("nconst_j1"))
    J3 = jet_features(small_dijet, ["mj{j}_sd", "tau21_j{j}", "nconst_j{j}"])
    np.testing.assert_array_equal(J3[:, 0, 1], small_dijet.column("tau21_j1"))
    with pytest.raises(Exception, match="must each contain"):
        jet_features(small_dijet, ["mj1"])


def test_gaussianizer_matches_sklearn_and_honours_weights() -> None:
    from sklearn.preprocessing import QuantileTransformer

    rng = np.random.default_rng(0)
    X = np.c_[rng.exponential(size=5000), rng.poisson(5, size=5000)]
    T = np.c_[rng.exponential(size=200), rng.poisson(5, size=200)]
    g = Gaussianizer().fit(X)
    ref = QuantileTransformer(output_distribution="normal", n_quantiles=1000).fit(X)
    # sklearn sends the lowest training value to the clip bound; we use the middle of its
    # tie plateau (better for integer features), so compare inside the training range
    inside = (X.min(0) < T) & (X.max(0) > T)
    np.testing.assert_allclose(g.transform(T)[inside], ref.transform(T)[inside], atol=0.05)
    Z = g.transform(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=0.05)
    np.testing.assert_allclose(Z[:, 0].std(), 1, atol=0.05)
    # integer weights = duplicated events
    w = rng.integers(1, 4, size=5000)
    gw = Gaussianizer().fit(X, sample_weight=w)
    gd = Gaussianizer().fit(np.repeat(X, w, axis=0))
    np.testing.assert_allclose(gw.transform(T), gd.transform(T), atol=0.05)
    g2 = Gaussianizer.from_state(g.state())
    np.testing.assert_array_equal(g2.transform(T), g.transform(T))


# ---------------------------------------------------------------------------- 0 events
@pytest.fixture(scope="module")
def no_events(small_dijet: EventSet) -> EventSet:
    """A real EventSet (all columns, constituents) with 0 events."""
    return small_dijet.select(np.zeros(len(small_dijet), bool))


@pytest.mark.parametrize("name,options,shape,dtype", [
    ("hlf", {}, (0, 4), np.float64),
    ("jets", {}, (0, 2, 2), np.float64),
    ("sets", {"max_particles": 7}, (0, 2, 7, 4), np.float32),
    ("images", {"npix": 8}, (0, 2, 8, 8), np.float32),
])
def test_every_representation_of_zero_events_is_empty_of_the_right_shape(
        no_events: EventSet, name: str, options: dict, shape: tuple, dtype: type) -> None:
    """Decision: representations are plain transforms — 0 events give a (0, ...) array
    (before: sets/images raised a raw numpy broadcast error); detectors refuse it."""
    out = represent(no_events, name, **options)
    assert out.shape == shape and out.dtype == dtype


def test_constituent_arrays_of_zero_events(no_events: EventSet, small_dijet: EventSet) -> None:
    assert no_events.event_constituents(50).shape == (0, 50, 3)
    p, m = no_events.constituents(1, 9)
    assert p.shape == (0, 9, 3) and m.shape == (0, 9)
    # the fix (start offsets from cumsum - counts) changes nothing for real events
    few = small_dijet.select(np.arange(5))
    np.testing.assert_array_equal(few.event_constituents(), small_dijet.event_constituents()[:5])
    np.testing.assert_array_equal(few.constituents(2, 40)[0],
                                  small_dijet.constituents(2, 40)[0][:5])


def test_jets_without_particle_slots() -> None:
    """(n, 0, 3) particle arrays: sets of width 0, all-zero images, no IndexError."""
    particles, mask = np.zeros((3, 0, 3)), np.zeros((3, 0), bool)
    assert jet_particle_features(particles, mask).shape == (3, 0, 4)
    img = jet_images(particles, mask, npix=4)
    assert img.shape == (3, 4, 4) and not img.any()


@pytest.mark.parametrize("name,params", [
    ("mahalanobis", {}),
    ("per_jet", {"base": "gmm", "n_components": 1}),
    ("set_ae", {"epochs": 1, "max_particles": 5, "latent": 2, "hidden": 8}),
    ("image_ae", {"epochs": 1, "npix": 8, "latent": 2, "channels": 2}),
])
def test_detectors_refuse_zero_events_at_fit_and_score(
        no_events: EventSet, small_dijet: EventSet, name: str, params: dict) -> None:
    """Decision: fit and score both raise DataError on 0 events (never a numpy error)."""
    from sciood.detectors import make
    from sciood.errors import DataError

    with pytest.raises(DataError, match=r"empty \(shape \(0, .*pass at least one event"):
        make(name, **params).fit(no_events)
    det = make(name, **params).fit(small_dijet.select(np.arange(40)))
    with pytest.raises(DataError, match=r"empty \(shape \(0, .*pass at least one event"):
        det.score(no_events)


@pytest.mark.parametrize("cls", [Standardizer, Gaussianizer])
def test_fit_weights_keyword_only_with_deprecated_alias(cls: type) -> None:
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    w = rng.uniform(0.1, 3.0, size=200)
    new = cls().fit(X, sample_weight=w).transform(X)
    with pytest.warns(FutureWarning, match="sample_weight"):
        old = cls().fit(X, weights=w).transform(X)
    np.testing.assert_array_equal(old, new)
    assert not np.allclose(new, cls().fit(X).transform(X))  # the weights do matter
    with pytest.raises(TypeError):
        cls().fit(X, w)  # keyword-only
    with pytest.raises(TypeError, match="both"):
        cls().fit(X, sample_weight=w, weights=w)
