"""Lorentz-invariant set encoder: inner products, Lorentz / permutation invariance of the
encoder, of a classifier's score and of set_ae's latent code, masks, determinism, save/load
(real Pythia jets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, make
from sciood.detectors.lorentz import LorentzEncoder, lorentz_gram
from sciood.detectors.params import check_params
from sciood.detectors.part import ParticleTransformerEncoder
from sciood.errors import ConfigError
from sciood.represent.sets import jet_particle_features, particle_sets

CAP = 20


def _four_vectors(p: np.ndarray) -> np.ndarray:
    """(pT, η, φ) -> massless (E, px, py, pz), shape ``(..., 4)``."""
    pt, eta, phi = p[..., 0], p[..., 1], p[..., 2]
    return np.stack([pt * np.cosh(eta), pt * np.cos(phi), pt * np.sin(phi),
                     pt * np.sinh(eta)], -1)


def _pt_eta_phi(v: np.ndarray) -> np.ndarray:
    pt = np.hypot(v[..., 1], v[..., 2])
    return np.stack([pt, np.arcsinh(v[..., 3] / np.where(pt > 0, pt, 1.0)),
                     np.arctan2(v[..., 2], v[..., 1])], -1)


def _random_lorentz(rng: np.random.Generator, beta_max: float = 0.8) -> np.ndarray:
    """A random proper orthochronous Lorentz matrix: boost (random direction, β ≤ beta_max)
    times a random rotation, shape ``(4, 4)``."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] *= -1
    n = rng.normal(size=3)
    n /= np.linalg.norm(n)
    beta = rng.uniform(0.3, beta_max)
    gamma = 1.0 / np.sqrt(1.0 - beta**2)
    boost = np.eye(4)
    boost[0, 0] = gamma
    boost[0, 1:] = boost[1:, 0] = -gamma * beta * n
    boost[1:, 1:] += (gamma - 1.0) * np.outer(n, n)
    rot = np.eye(4)
    rot[1:, 1:] = q
    out: np.ndarray = boost @ rot
    return out


def _sets(events: EventSet, *, transform: bool, seed: int = 0) -> np.ndarray:
    """Particle sets ``(n, 2, CAP, 4)`` of the CAP hardest particles of each jet, optionally
    after an independent random Lorentz transformation of each jet's particles."""
    rng = np.random.default_rng(seed)
    jets = []
    for jet in (1, 2):
        p, m = events.constituents(jet, CAP)
        p = p.astype(np.float64)
        if transform:
            v = _four_vectors(p)
            v = np.stack([v[i] @ _random_lorentz(rng).T for i in range(len(v))])
            p = np.where(m[..., None], _pt_eta_phi(v), 0.0)
        jets.append(jet_particle_features(p, m))
    return np.stack(jets, 1)


def _split(x: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.from_numpy(x)
    return t[..., :3].double(), t[..., 3] > 0.5


def _encoder(cls: type = LorentzEncoder) -> torch.nn.Module:
    torch.manual_seed(0)
    enc: torch.nn.Module = cls(3, 8, hidden=16, layers=2).double().eval()
    return enc


def test_gram_is_the_normalised_minkowski_product(small_dijet: EventSet) -> None:
    feats, mask = _split(particle_sets(small_dijet.select(np.arange(4)), max_particles=40)[:, 0])
    got = lorentz_gram(feats, mask).numpy()
    f, m = feats.numpy(), mask.numpy()
    for i in range(4):
        v = _four_vectors(f[i][m[i]])
        dot = v[:, None, 0] * v[None, :, 0] - (v[:, None, 1:] * v[None, :, 1:]).sum(-1)
        np.fill_diagonal(dot, 0.0)
        want = np.zeros_like(got[i])
        k = int(m[i].sum())
        want[:k, :k] = dot / dot.sum()
        np.testing.assert_allclose(got[i], want, rtol=1e-6, atol=1e-12)
        assert abs(got[i].sum() - 1.0) < 1e-12


def test_encoder_is_lorentz_invariant_and_part_is_not(small_dijet: EventSet) -> None:
    ev = small_dijet.select(np.arange(12))
    x0, x1 = _sets(ev, transform=False)[:, 0], _sets(ev, transform=True)[:, 0]
    assert np.abs(x0[..., :3] - x1[..., :3]).max() > 0.1  # the inputs did change
    for cls, invariant in ((LorentzEncoder, True), (ParticleTransformerEncoder, False)):
        enc = _encoder(cls)
        with torch.no_grad():
            a, b = enc(*_split(x0)), enc(*_split(x1))
        diff = float((a - b).abs().max() / a.abs().max())
        assert (diff < 1e-5) if invariant else (diff > 1e-2), (cls.__name__, diff)


def test_encoder_is_permutation_invariant_and_ignores_padding(small_dijet: EventSet) -> None:
    feats, mask = _split(particle_sets(small_dijet.select(np.arange(6)), max_particles=60)[:, 1])
    enc = _encoder()
    perm = torch.randperm(60, generator=torch.Generator().manual_seed(1))
    garbage = feats.clone()
    garbage[~mask] = torch.randn(int((~mask).sum()), 3, dtype=torch.float64)
    k = int(mask.sum(1).max())
    with torch.no_grad():
        full = enc(feats, mask)
        torch.testing.assert_close(enc(feats[:, perm], mask[:, perm]), full,
                                   rtol=1e-9, atol=1e-10)
        torch.testing.assert_close(enc(garbage, mask), full, rtol=1e-9, atol=1e-10)
        torch.testing.assert_close(enc(feats[:, :k], mask[:, :k]), full, rtol=1e-9, atol=1e-10)
        dropped = enc(feats, mask & (torch.arange(60) != 0))
        empty = enc(torch.zeros(2, 5, 3, dtype=torch.float64),
                    torch.zeros(2, 5, dtype=torch.bool))
        single = enc(feats[:, :1], mask[:, :1])  # a one-particle jet has mass 0
    assert not torch.allclose(full, dropped)
    assert torch.isfinite(empty).all() and torch.isfinite(single).all()


def _lorentz_classifier(small_dijet: EventSet) -> Detector:
    return make("supervised", representation="sets", encoder="lorentz", max_particles=CAP,
                hidden=[16], epochs=3, lr=1e-2, seed=1).fit(small_dijet)


@pytest.fixture(scope="module")
def probe(small_dijet: EventSet) -> dict[str, np.ndarray]:
    """Set arrays ``(n, 2, CAP, 4)``: every event, the particles of each event permuted, and
    30 events before / after a random Lorentz transformation of each jet."""
    ev = small_dijet.select(np.arange(0, 450, 15))
    X = particle_sets(small_dijet, max_particles=CAP)
    perm = np.random.default_rng(0).permutation(CAP)
    return {"all": X, "perm": X[:, :, perm], "x0": _sets(ev, transform=False),
            "x1": _sets(ev, transform=True, seed=3)}


def _scores(det: Detector, probe: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Scores of every probe array, in one call (one scoring block)."""
    s = det.score(np.concatenate(list(probe.values())))
    out, start = {}, 0
    for k, v in probe.items():
        out[k], start = s[start:start + len(v)], start + len(v)
    return out


@pytest.fixture(scope="module")
def lorentz_classifier(small_dijet: EventSet, probe: dict[str, np.ndarray]
                       ) -> tuple[Detector, dict[str, np.ndarray]]:
    det = _lorentz_classifier(small_dijet)
    return det, _scores(det, probe)


def test_classifier_score_is_lorentz_and_permutation_invariant(
        lorentz_classifier: tuple[Detector, dict[str, np.ndarray]], small_dijet: EventSet,
        probe: dict[str, np.ndarray]) -> None:
    _, s = lorentz_classifier
    spread = float(np.std(s["all"]))
    assert spread > 1e-3  # the classifier's score does vary between jets
    # measured: max |Δs| / spread = 3e-6 (float32 rounding of the boosted inputs)
    assert np.abs(s["x0"] - s["x1"]).max() < 1e-3 * spread
    assert np.abs(s["perm"] - s["all"]).max() < 1e-3 * spread
    # a deep-sets classifier sees the Lorentz transformation (measured: 3.2 spreads)
    ds = make("supervised", representation="sets", encoder="deepsets", max_particles=CAP,
              hidden=[16], epochs=3, lr=1e-2, seed=1).fit(small_dijet)
    d = _scores(ds, probe)
    assert np.abs(d["x0"] - d["x1"]).max() > 0.1 * float(np.std(d["all"]))


def test_classifier_is_deterministic_and_round_trips(
        lorentz_classifier: tuple[Detector, dict[str, np.ndarray]], small_dijet: EventSet,
        probe: dict[str, np.ndarray], tmp_path: Path) -> None:
    det, s = lorentz_classifier
    np.testing.assert_array_equal(det.score(small_dijet), s["all"])
    det.save(tmp_path / "m")
    loaded = Detector.load(tmp_path / "m")
    assert loaded.get_params()["encoder"] == "lorentz"
    np.testing.assert_array_equal(loaded.score(probe["all"]), s["all"])
    again = _lorentz_classifier(small_dijet)
    np.testing.assert_array_equal(again.score(probe["all"]), s["all"])


def test_set_ae_lorentz_latent_is_invariant_and_round_trips(
        small_dijet: EventSet, probe: dict[str, np.ndarray], tmp_path: Path) -> None:
    det = make("set_ae", encoder="lorentz", max_particles=CAP, hidden=16, latent=4, epochs=1,
               seed=2).fit(small_dijet.select(np.arange(300)))
    n = len(probe["x0"])
    z = det.encode(np.concatenate([probe["x0"], probe["x1"]]))
    assert z.shape == (2 * n, 2, 4)
    np.testing.assert_allclose(z[n:], z[:n], rtol=1e-4, atol=1e-4 * float(np.abs(z).max()))
    s = det.score(probe["x0"])
    assert np.isfinite(s).all() and s.std() > 0
    det.save(tmp_path / "ae")
    np.testing.assert_array_equal(Detector.load(tmp_path / "ae").score(probe["x0"]), s)


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="n_in"):
        LorentzEncoder(4, 8)
    with pytest.raises(ConfigError, match="edge >= 1"):
        LorentzEncoder(3, 8, edge=0)
    with pytest.raises(ConfigError, match="coord_step"):
        LorentzEncoder(3, 8, coord_step=float("nan"))
    for name in ("set_ae", "supervised", "msp"):
        with pytest.raises(ConfigError, match=r"encoder must be .*'lorentz'"):
            check_params(name, {"encoder": "pelican"})
