"""Parametrised detector: resolutions, efficiencies, JES/JER cards, invisibles."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sciood.errors import UnknownNameError
from sciood.generate.detector import CARDS, get_card, simulate
from sciood.generate.pythia import FinalState


def _single(pid: int, charge: float, pt: float, eta: float, n: int, seed: int = 0) -> FinalState:
    rng = np.random.default_rng(seed)
    phi = rng.uniform(-np.pi, np.pi, n)
    px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(np.full(n, eta))
    e = np.sqrt(px**2 + py**2 + pz**2)
    return FinalState(counts=np.ones(n, dtype=np.int64), px=px, py=py, pz=pz, e=e,
                      charge=np.full(n, charge), pid=np.full(n, pid), weight=np.ones(n),
                      pthat=np.zeros(n))


@pytest.mark.parametrize("card", ["sim", "data"])
def test_photon_energy_resolution_matches_card(card):
    # the calorimeter towers of photons (an isolated photon is an object, not a tower: keep it)
    c = replace(get_card(card), remove_isolated=False)
    fs = _single(22, 0.0, pt=100.0, eta=0.3, n=20000)
    reco = simulate(fs, c, np.random.default_rng(1))
    assert (reco.counts == 1).all()
    e_true = fs.e
    ratio = reco.e / e_true / c.jes - 1.0
    expected = c.resolution_scale * np.hypot(c.ecal_stochastic / np.sqrt(e_true[0]),
                                            c.ecal_constant)
    assert np.std(ratio) == pytest.approx(expected, rel=0.05)
    assert np.mean(ratio) == pytest.approx(0.0, abs=5 * expected / np.sqrt(len(ratio)))


def test_track_efficiency_and_untracked_reach_calorimeter():
    c = get_card("sim")
    fs = _single(211, 1.0, pt=20.0, eta=1.0, n=20000)
    reco = simulate(fs, c, np.random.default_rng(2))
    eta = np.arcsinh(reco.pz / np.hypot(reco.px, reco.py))
    tracked = np.isclose(eta, 1.0, atol=1e-9)  # towers sit at tower centres
    assert tracked.mean() == pytest.approx(c.track_eff, abs=0.01)
    assert reco.counts.sum() > 0.99 * len(fs)  # the rest are calorimeter towers


def test_jes_cards_scale_every_object():
    fs = _single(211, 1.0, pt=50.0, eta=0.5, n=500)
    nominal = simulate(fs, get_card("sim"), np.random.default_rng(3))
    up = simulate(fs, get_card("sim_jes_up"), np.random.default_rng(3))
    down = simulate(fs, get_card("sim_jes_down"), np.random.default_rng(3))
    np.testing.assert_allclose(up.e, nominal.e * CARDS["sim_jes_up"].jes)
    np.testing.assert_allclose(down.e, nominal.e * CARDS["sim_jes_down"].jes)
    assert CARDS["data"].jes == pytest.approx(1.03)
    assert CARDS["data"].resolution_scale == pytest.approx(1.2)


def test_outside_acceptance_is_lost():
    fs = _single(22, 0.0, pt=50.0, eta=5.5, n=50)
    assert simulate(fs, get_card("sim"), np.random.default_rng(0)).counts.sum() == 0


def test_unknown_card():
    with pytest.raises(UnknownNameError, match="sim_jes_down"):
        get_card("truth")


def test_invisible_particles_dropped_by_source():
    from sciood.generate.processes import get_process
    from sciood.generate.pythia import PythiaSource

    p = get_process("dark_shower_0.6")
    src = PythiaSource(p.pythia_settings(0, mpi=False), seed=3, where=p.name)
    fs = src.next_batch(5)
    ids = np.abs(fs.pid)
    assert not np.isin(ids, [12, 14, 16, 4900211, 4900213]).any()
    assert len(fs.weight) == 5 and fs.counts.sum() == len(fs.px)
