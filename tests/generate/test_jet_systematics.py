"""JER / jet-mass-scale / jet-mass-resolution cards: each changes the jets by its stated amount."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from sciood.generate.detector import (
    CARDS,
    JER_SIGMA,
    JMR_SIGMA,
    JMS_SIGMA,
    VARIANT_TUNES,
    get_card,
    simulate,
)
from sciood.generate.processes import get_process
from sciood.generate.pythia import FinalState, PythiaSource
from sciood.reco.jets import cluster_and_select


@functools.cache
def _events(process: str, n_batches: int, seed: int) -> tuple[FinalState, ...]:
    proc = get_process(process)
    src = PythiaSource(proc.pythia_settings(0, mpi=False), seed=seed, where=process)
    return tuple(src.next_batch(100) for _ in range(n_batches))


def _pairs(card: str, process: str = "wprime_wz") -> dict[str, np.ndarray]:
    """pT, mass and soft-drop mass of the same jets under ``sim`` (``*0``) and ``card`` (``*1``).

    A jet is the same when its η is (a scale factor keeps η and φ exactly); the mass order
    j1/j2 may flip under a smear, so each nominal jet is looked up among both.
    """
    sel = get_process(process).selection
    out: dict[str, list[np.ndarray]] = {f"{k}{i}": [] for k in ("pt", "m", "sd") for i in "01"}
    for fs in _events(process, 2, 21):
        a = cluster_and_select(simulate(fs, get_card("sim"), np.random.default_rng(8)), sel)
        b = cluster_and_select(simulate(fs, get_card(card), np.random.default_rng(8)), sel)
        _, ia, ib = np.intersect1d(a.selected, b.selected, return_indices=True)
        assert len(ia) > 0.8 * len(a.selected)
        for j in (1, 2):
            eta = a.columns[f"eta_j{j}"][ia]
            for k in (1, 2):
                same = np.abs(b.columns[f"eta_j{k}"][ib] - eta) < 1e-9
                for key, name in (("pt", "pt_j{}"), ("m", "mj{}"), ("sd", "mj{}_sd")):
                    out[f"{key}0"].append(a.columns[name.format(j)][ia][same])
                    out[f"{key}1"].append(b.columns[name.format(k)][ib][same])
    return {k: np.concatenate(v) for k, v in out.items()}


def test_cards_and_tunes_list_the_jet_systematics():
    assert {"sim_jer_up", "sim_jms_up", "sim_jms_down", "sim_jmr_up"} <= set(CARDS)
    assert set(VARIANT_TUNES) == set(CARDS)
    assert CARDS["sim_jms_up"].jms == pytest.approx(1 + JMS_SIGMA)
    assert CARDS["sim_jms_down"].jms == pytest.approx(1 - JMS_SIGMA)


def test_jer_card_smears_jet_pt_and_mass_by_its_width():
    p = _pairs("sim_jer_up")
    r_pt, r_m = p["pt1"] / p["pt0"], p["m1"] / p["m0"]
    assert len(r_pt) > 200
    assert np.std(r_pt) == pytest.approx(JER_SIGMA, rel=0.15)
    assert np.mean(r_pt) == pytest.approx(1.0, abs=3 * JER_SIGMA / np.sqrt(len(r_pt)))
    np.testing.assert_allclose(r_m, r_pt, rtol=1e-9)  # the whole four-momentum scales


def test_jms_cards_scale_masses_and_keep_pt():
    for card, scale in (("sim_jms_up", 1 + JMS_SIGMA), ("sim_jms_down", 1 - JMS_SIGMA)):
        p = _pairs(card)
        np.testing.assert_allclose(p["pt1"], p["pt0"], rtol=1e-12)
        np.testing.assert_allclose(p["m1"], p["m0"] * scale, rtol=1e-9)
        np.testing.assert_allclose(p["sd1"], p["sd0"] * scale, rtol=1e-9)


def test_jmr_card_widens_the_mass_by_its_width():
    p = _pairs("sim_jmr_up")
    ratio = p["m1"] / p["m0"]
    np.testing.assert_allclose(p["pt1"], p["pt0"], rtol=1e-12)
    assert np.std(ratio) == pytest.approx(JMR_SIGMA, rel=0.15)
    np.testing.assert_allclose(p["sd1"] / p["sd0"], ratio, rtol=1e-9)


def test_nominal_card_has_no_jet_response():
    fs = _events("wprime_wz", 2, 21)[0]
    assert simulate(fs, get_card("sim"), np.random.default_rng(0)).jet_response is None
