"""ParT-style encoder: pair features, permutation invariance, mask correctness (real jets)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.detectors.part import ParticleTransformerEncoder, pair_features
from sciood.errors import ConfigError
from sciood.represent.sets import particle_sets


def _jets(events: EventSet, cap: int) -> tuple[torch.Tensor, torch.Tensor]:
    s = torch.from_numpy(particle_sets(events, max_particles=cap)[:, 0])  # leading jets j1
    return s[..., :3], s[..., 3] > 0.5


def _brute_force(f: np.ndarray, mask: np.ndarray) -> np.ndarray:
    m = len(mask)
    out = np.zeros((m, m, 4))
    for a in range(m):
        for b in range(m):
            if a == b or not (mask[a] and mask[b]):
                continue
            za, zb = float(f[a, 0]), float(f[b, 0])
            deta = float(f[a, 1]) - float(f[b, 1])
            dphi = (float(f[a, 2]) - float(f[b, 2]) + np.pi) % (2 * np.pi) - np.pi
            dr = np.hypot(deta, dphi)
            m2 = 2 * za * zb * (np.cosh(deta) - np.cos(dphi))
            out[a, b] = [np.log(max(dr, 1e-8)), np.log(max(min(za, zb) * dr, 1e-8)),
                         np.log(min(za, zb) / (za + zb)), np.log(max(m2, 1e-8))]
    return out


def test_pair_features_match_brute_force_on_a_real_jet(small_dijet: EventSet) -> None:
    feats, mask = _jets(small_dijet.select(np.arange(3)), 40)
    got = pair_features(feats.double(), mask).numpy()
    for i in range(3):
        assert mask[i].sum() > 2
        np.testing.assert_allclose(got[i], _brute_force(feats[i].double().numpy(),
                                                        mask[i].numpy()), rtol=1e-9, atol=1e-9)


def _encoder() -> ParticleTransformerEncoder:
    torch.manual_seed(0)
    return ParticleTransformerEncoder(3, 8, hidden=16, heads=2, layers=2).double().eval()


def test_output_is_permutation_invariant(small_dijet: EventSet) -> None:
    feats, mask = _jets(small_dijet.select(np.arange(6)), 60)
    feats = feats.double()
    enc = _encoder()
    perm = torch.randperm(60, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        a, b = enc(feats, mask), enc(feats[:, perm], mask[:, perm])
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-10)


def test_padded_particles_do_not_change_the_output(small_dijet: EventSet) -> None:
    feats, mask = _jets(small_dijet.select(np.arange(6)), 100)
    feats = feats.double()
    n = mask.sum(1)
    k = int(n.max())
    enc = _encoder()
    garbage = feats.clone()
    garbage[~mask] = torch.randn(int((~mask).sum()), 3, dtype=torch.float64)
    with torch.no_grad():
        full = enc(feats, mask)
        tight = enc(feats[:, :k], mask[:, :k])  # fewer padding slots
        noisy = enc(garbage, mask)  # junk in the padded slots
    torch.testing.assert_close(full, tight, rtol=1e-9, atol=1e-10)
    torch.testing.assert_close(full, noisy, rtol=1e-9, atol=1e-10)
    # and a real particle does change it
    with torch.no_grad():
        dropped = enc(feats, mask & (torch.arange(100) != 0))
    assert not torch.allclose(full, dropped)


def test_empty_set_gives_finite_output() -> None:
    enc = _encoder()
    with torch.no_grad():
        out = enc(torch.zeros(2, 5, 3, dtype=torch.float64), torch.zeros(2, 5, dtype=torch.bool))
    assert torch.isfinite(out).all()


def test_set_ae_with_part_encoder_fits_and_scores(small_dijet: EventSet) -> None:
    det = make("set_ae", encoder="part", max_particles=20, hidden=16, heads=2, epochs=1)
    det.fit(small_dijet.select(np.arange(120)))
    s = det.score(small_dijet.select(np.arange(120, 160)))
    assert s.shape == (40,) and np.isfinite(s).all()
    assert det.get_params()["max_particles"] == 20


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match="divisible"):
        ParticleTransformerEncoder(3, 8, hidden=15, heads=2)
    with pytest.raises(ConfigError, match="n_in"):
        ParticleTransformerEncoder(4, 8)
