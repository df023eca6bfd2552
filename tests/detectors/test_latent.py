"""Latent spaces (``Detector.latent`` / ``encode``) on real Pythia events.

Shapes, batch invariance, save/load, the flow's base space being N(0, 1) on its training
background, the VAE's latent being the encoder's μ, errors for detectors without one, and
``latent_view`` on a fitted detector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from scipy import stats

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, make
from sciood.detectors.inputs import SCORE_BLOCK
from sciood.detectors.latent import latent_detectors
from sciood.errors import ConfigError, NotFittedError
from sciood.evaluate.failure import latent_view

FAST: dict[str, dict[str, Any]] = {
    "ae": {"epochs": 3, "latent": 3},
    "vae": {"epochs": 3, "latent": 3},
    "flow": {"epochs": 3, "transforms": 2, "hidden": [16, 16]},
    "svdd": {"epochs": 3, "rep_dim": 5},
    "supervised": {"epochs": 3, "hidden": [16, 7]},
    "per_jet": {"n_components": 2},
}
#: expected latent width (per event; per jet for per_jet) given the FAST settings
WIDTH = {"ae": 3, "vae": 3, "svdd": 5, "supervised": 7}


@pytest.fixture(scope="module")
def events(make_sample: Any) -> EventSet:
    return EventSet.concat([make_sample("qcd", 300, 11), make_sample("wprime_wz_80", 150, 12)])


@pytest.fixture(scope="module")
def fitted(events: EventSet) -> dict[str, Detector]:
    out = {}
    for name, params in FAST.items():
        y = events.is_signal.astype(int) if name == "supervised" else None
        out[name] = make(name, seed=1, **params).fit(events, y)
    return out


@pytest.mark.parametrize("name", sorted(FAST))
def test_shape_dtype_and_batch_invariance(name: str, fitted: dict[str, Detector],
                                          events: EventSet) -> None:
    det = fitted[name]
    assert det.has_latent and det.latent_space
    z = det.encode(events)
    n = len(events)
    assert z.dtype == np.float64 and np.isfinite(z).all()
    if name == "per_jet":
        assert z.shape[:2] == (n, 2) and z.ndim == 3
    elif name == "flow":
        assert z.shape == (n, det.as_array(events).shape[1])
    else:
        assert z.shape == (n, WIDTH[name])
    X = det.as_array(events)
    np.testing.assert_array_equal(det.encode(X), z)  # EventSet == its array
    blocks = np.concatenate([det.encode(X[a:b]) for a, b in ((0, 1), (1, 77), (77, n))])
    np.testing.assert_array_equal(blocks, z)


def test_latent_method_where_no_parameter_hides_it(fitted: dict[str, Detector],
                                                   events: EventSet) -> None:
    # ae/vae have a ``latent`` parameter (bottleneck size): the attribute hides the method
    for name in ("flow", "svdd", "supervised", "per_jet"):
        np.testing.assert_array_equal(fitted[name].latent(events), fitted[name].encode(events))
    assert fitted["ae"].latent == 3 and fitted["ae"].get_params()["latent"] == 3
    np.testing.assert_array_equal(Detector.latent(fitted["ae"], events),
                                  fitted["ae"].encode(events))


def test_batch_invariance_across_a_score_block(make_sample: Any,
                                               events: EventSet) -> None:
    ev = EventSet.concat([make_sample("qcd_rnd", 3000, 41, mpi=False), events])
    det = make("svdd", seed=0, epochs=1).fit(events)
    X = det.as_array(ev)
    assert len(X) > SCORE_BLOCK
    z = det.encode(X)
    parts = np.concatenate([det.encode(X[:SCORE_BLOCK - 5]), det.encode(X[SCORE_BLOCK - 5:])])
    np.testing.assert_array_equal(parts, z)


@pytest.mark.parametrize("name", sorted(FAST))
def test_save_load_gives_the_same_latent(name: str, fitted: dict[str, Detector],
                                         events: EventSet, tmp_path: Path) -> None:
    det = fitted[name]
    det.save(tmp_path / name)
    loaded = Detector.load(tmp_path / name)
    np.testing.assert_array_equal(loaded.encode(events), det.encode(events))


def test_flow_base_space_of_training_background_is_standard_normal(make_sample: Any) -> None:
    bg = make_sample("qcd_rnd", 3000, 41, mpi=False)
    det = make("flow", seed=0, epochs=30, transforms=3, hidden=[32, 32]).fit(bg)
    z = det.latent(bg)
    assert np.abs(z.mean(0)).max() < 0.1 and np.abs(z.std(0) - 1).max() < 0.1
    # standardisation alone gives mean 0 / std 1: the flow must also make each coordinate
    # normal in shape — Kolmogorov–Smirnov distance to N(0, 1) well below the inputs'
    # (measured: z 0.049, standardised inputs 0.146, worst coordinate of 4)
    ks_z = max(stats.kstest(c, "norm").statistic for c in z.T)
    ks_x = max(stats.kstest(c, "norm").statistic for c in det._prepared(bg).T)
    assert ks_z < 0.08 and ks_z < 0.6 * ks_x, (ks_z, ks_x)
    # and far-out base points are the low-density events (measured r = 0.70)
    assert np.corrcoef((z**2).sum(1), det.score(bg))[0, 1] > 0.4


def test_vae_latent_is_the_encoder_mean(fitted: dict[str, Detector], events: EventSet) -> None:
    det = fitted["vae"]
    x = torch.as_tensor(det._prepared(events))
    with torch.no_grad():
        h = det._net.enc(x).double().numpy()
    mu = h[:, :3]
    np.testing.assert_allclose(det.encode(events), mu, rtol=1e-5, atol=1e-6)
    assert not np.allclose(det.encode(events), h[:, 3:])  # not the log-variance


def test_per_jet_latent_is_gaussianized_per_jet(fitted: dict[str, Detector],
                                                events: EventSet) -> None:
    z = fitted["per_jet"].latent(events)
    pooled = z[: 300].reshape(-1, z.shape[-1])  # the background jets, both jets pooled
    assert np.abs(np.median(pooled, 0)).max() < 0.3


def test_not_fitted_and_no_latent_space(events: EventSet) -> None:
    with pytest.raises(NotFittedError, match="not fitted"):
        make("flow").latent(events)
    with pytest.raises(NotFittedError):
        make("ae").encode(events)
    det = make("iforest", n_estimators=10, seed=0).fit(events)
    assert not det.has_latent
    with pytest.raises(ConfigError, match=r"iforest has no latent space; detectors with one: "
                                          r".*flow.*svdd") as err:
        det.latent(events)
    for name in ("ae", "vae", "per_jet", "supervised"):
        assert name in str(err.value)
    cw = make("cwola")  # boosted trees by default
    assert cw.latent_space and not cw.has_latent
    with pytest.raises(ConfigError, match=r"classifier='hgb'.*classifier='mlp'"):
        cw.latent(events)
    assert make("cwola", classifier="mlp").has_latent
    assert set(latent_detectors()) >= {"ae", "vae", "flow", "svdd", "supervised", "per_jet"}
    assert "iforest" not in latent_detectors()


def test_latent_view_on_a_detector(fitted: dict[str, Detector], events: EventSet) -> None:
    det = fitted["svdd"]
    view = latent_view(det, events, max_events=200)
    assert view.coords.shape == (200, 2)
    assert set(view.labels) == set(events.labels)
    same = latent_view(det.encode(events), events.labels, max_events=200)
    np.testing.assert_allclose(view.coords, same.coords)
    np.testing.assert_array_equal(latent_view(det, events=events, max_events=200).coords,
                                  view.coords)
    pj = latent_view(fitted["per_jet"], events)  # (n, 2, k) flattened to (n, 2k)
    assert pj.coords.shape == (len(events), 2)
    with pytest.raises(ConfigError, match="needs the events"):
        latent_view(det)
    with pytest.raises(ConfigError, match="no latent space"):
        latent_view(make("iforest", n_estimators=5, seed=0).fit(events), events)
