"""Classifier heads on particle sets with every shared set encoder (real Pythia events)."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.detectors.lorentz import LorentzEncoder
from sciood.detectors.nets import SetEncoder
from sciood.detectors.params import check_params
from sciood.detectors.part import SET_ENCODERS, ParticleTransformerEncoder
from sciood.errors import ConfigError
from sciood.represent.sets import DEFAULT_MAX_PARTICLES

KINDS = {"deepsets": SetEncoder, "transformer": SetEncoder,
         "part": ParticleTransformerEncoder, "lorentz": LorentzEncoder}


@pytest.mark.parametrize("encoder", SET_ENCODERS)
def test_supervised_uses_the_chosen_encoder(small_dijet: EventSet, encoder: str) -> None:
    det = make("supervised", representation="sets", encoder=encoder, max_particles=12,
               hidden=[16], epochs=1, seed=0).fit(small_dijet)
    assert isinstance(det._net.encoder, KINDS[encoder])
    X = det.as_array(small_dijet)
    assert X.shape == (len(small_dijet), 2, 12, 4)
    s = det.score(X)
    assert s.shape == (len(X),) and np.isfinite(s).all() and s.std() > 0
    z = det.encode(X[:5])
    assert z.shape == (5, 16) and np.isfinite(z).all()


def test_msp_on_sets_with_the_part_encoder(small_dijet: EventSet) -> None:
    det = make("msp", representation="sets", encoder="part", max_particles=12, hidden=[16],
               epochs=1, seed=0).fit(small_dijet, small_dijet.labels)
    p = det.predict_proba(small_dijet)
    assert p.shape == (len(small_dijet), 2)
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-6)


def test_set_classifier_blocks_follow_the_cap(small_dijet: EventSet) -> None:
    assert make("supervised").get_params()["max_particles"] == DEFAULT_MAX_PARTICLES
    det = make("supervised", representation="sets", max_particles=100, hidden=[16],
               epochs=1, seed=0).fit(small_dijet)
    assert det.score_batch_size == 192
    X = det.as_array(small_dijet)
    s = det.score(X)
    for k, length in ((0, 1), (150, 100), (191, 2)):
        np.testing.assert_array_equal(det.score(X[k:k + length]), s[k:k + length])
    assert make("supervised", epochs=1).fit(small_dijet).score_batch_size == 3072  # hlf


def test_bad_encoder_settings_are_refused() -> None:
    for name in ("supervised", "msp", "energy"):
        with pytest.raises(ConfigError, match=r"encoder must be .*'part'.*'lorentz'"):
            check_params(name, {"encoder": "gnn"})
    with pytest.raises(ConfigError, match="hidden=18 must be divisible by heads=4"):
        check_params("supervised", {"encoder": "part", "hidden": [18]})
