"""ParT-style encoder: pair features, permutation invariance, mask correctness (real jets)."""

from __future__ import annotations

import copy

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


def test_score_block_bounds_the_pair_tensors() -> None:
    from sciood.detectors.inputs import SCORE_BLOCK
    from sciood.detectors.part import PAIR_BUDGET, set_score_block

    assert set_score_block(100) == 192 and set_score_block(30) == 2112
    assert set_score_block(5) == SCORE_BLOCK and set_score_block(400) == 96
    for m in (1, 7, 26, 50, 100, 333):
        b = set_score_block(m)
        assert b % 96 == 0 and 96 <= b <= SCORE_BLOCK
        assert b * 2 * m * m <= PAIR_BUDGET or b == 96
        assert b == SCORE_BLOCK or (b + 96) * 2 * m * m > PAIR_BUDGET  # the largest one


def test_set_encoder_builds_every_kind_and_refuses_others() -> None:
    from sciood.detectors.lorentz import LorentzEncoder
    from sciood.detectors.nets import SetEncoder
    from sciood.detectors.part import SET_ENCODERS, set_encoder

    kinds = {"deepsets": SetEncoder, "transformer": SetEncoder,
             "part": ParticleTransformerEncoder, "lorentz": LorentzEncoder}
    assert set(SET_ENCODERS) == set(kinds)
    x, mask = torch.rand(3, 5, 3), torch.ones(3, 5, dtype=torch.bool)
    for kind, cls in kinds.items():
        enc = set_encoder(kind, 6, hidden=8, heads=2, layers=1)
        assert isinstance(enc, cls) and enc(x, mask).shape == (3, 6)
    with pytest.raises(ConfigError, match="encoder must be one of"):
        set_encoder("pfn", 6)


def test_set_ae_scores_in_small_blocks_without_depending_on_them(small_dijet: EventSet
                                                                 ) -> None:
    """At 100 particles a block is 192 events: windows across block boundaries score bit for
    bit as the whole sample does, and the old 3072-event block gives the same scores."""
    from sciood.detectors.autoencoder import SetAutoencoder

    det = make("set_ae", max_particles=100, hidden=8, latent=2, epochs=1).fit(
        small_dijet.select(np.arange(100)))
    assert det.score_batch_size == 192
    X = det.as_array(small_dijet)
    s = det.score(X)
    for k, length in ((0, 1), (150, 100), (191, 2), (7, 433)):
        np.testing.assert_array_equal(det.score(X[k:k + length]), s[k:k + length])
    legacy = type("Legacy", (SetAutoencoder,), {"score_batch_size": 3072})
    old = copy.copy(det)
    old.__class__ = legacy
    assert old.score_batch_size == 3072
    np.testing.assert_array_equal(old.score(X), s)
