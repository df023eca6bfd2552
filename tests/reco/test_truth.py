"""Per-jet truth labels (b-hadron / top / W / Z by ΔR to the decay products) on real events."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.generate.detector import get_card, simulate
from sciood.generate.processes import get_process
from sciood.reco.event import Reconstructed
from sciood.reco.jets import cluster_and_select
from sciood.reco.truth import (
    TRUTH_COLUMNS,
    TRUTH_LABELS,
    TruthParticles,
    is_b_hadron,
    jet_truth_labels,
)

TOP, W, Z, B, LIGHT = (TRUTH_LABELS[k] for k in ("top", "W", "Z", "b", "light"))


def _jets(batches, concat, process, n_batches, seed, slice_index=0):
    sel = get_process(process).selection
    parts = [cluster_and_select(simulate(fs, get_card("sim"), np.random.default_rng(5)),
                                sel).columns
             for fs in batches(process, n_batches, seed, slice_index)]
    cols = concat(parts)
    label = np.concatenate([cols["truth_j1"], cols["truth_j2"]])
    msd = np.concatenate([cols["mj1_sd"], cols["mj2_sd"]])
    nb = np.concatenate([cols["nb_j1"], cols["nb_j2"]])
    return cols, label, msd, nb


def test_b_hadron_ids():
    yes = [511, -521, 531, 541, 553, 5122, -5232, 10511, 20523]
    no = [5, -5, 5101, 5503, 211, 421, 4122, 4900101, 22]
    assert is_b_hadron(np.array(yes)).all()
    assert not is_b_hadron(np.array(no)).any()


def test_ttbar_jets_are_tops_with_top_mass_and_b_hadrons(batches, concat):
    cols, label, msd, nb = _jets(batches, concat, "ttbar", 4, 31)
    assert set(TRUTH_COLUMNS) <= set(cols)
    top = label == TOP
    assert top.mean() > 0.3  # boosted tops: often fully contained (and hadronic: 2/3 × 2/3)
    assert 150 < np.median(msd[top]) < 200  # m_t = 172.5-174 GeV
    assert np.mean(nb[top] >= 1) > 0.8  # the top's b-hadron is inside
    # a top decaying leptonically or not contained keeps its b-hadron: a lighter "b" jet
    assert (label == B).sum() > 0.1 * top.sum()
    assert np.median(msd[label == B]) < np.median(msd[top]) - 30


def test_wprime_jets_are_w_and_z(batches, concat):
    _, label, msd, _ = _jets(batches, concat, "wprime_wz", 3, 32)
    boson = np.isin(label, (W, Z))
    assert boson.mean() > 0.6
    assert 75 < np.median(msd[label == W]) < 95
    assert 80 < np.median(msd[label == Z]) < 100
    assert (label == TOP).sum() == 0


def test_qcd_jets_are_light_or_b(batches, concat):
    _, label, _, nb = _jets(batches, concat, "qcd", 3, 33, slice_index=1)
    assert np.isin(label, (LIGHT, B)).all()
    assert 0.005 < (label == B).mean() < 0.2  # g -> bb and b-quark jets
    np.testing.assert_array_equal(label == B, nb > 0)


def test_labels_by_hand():
    # one event, one hadronic W at η = 0 with products at ΔR 0.3 and 0.9 from a jet at (0, 0),
    # one b-hadron at (0, 2.0)
    nan = np.nan
    truth = TruthParticles(
        n_events=1, event=np.array([0, 0]), kind=np.array([W, B]), decay=np.array([1, 0]),
        pt=np.array([500.0, 40.0]), eta=np.array([0.0, 0.0]), phi=np.array([0.0, 2.0]),
        prod_eta=np.array([[0.3, 0.0, nan], [nan, nan, nan]]),
        prod_phi=np.array([[0.0, -0.9, nan], [nan, nan, nan]]),
        met_x=np.zeros(1), met_y=np.zeros(1))
    eta, phi = np.array([[0.0, 0.0]]), np.array([[0.0, 2.0]])
    label, nb = jet_truth_labels(truth, np.array([0]), eta, phi, radius=1.0)
    np.testing.assert_array_equal(label, [[W, B]])
    np.testing.assert_array_equal(nb, [[0, 1]])
    label, _ = jet_truth_labels(truth, np.array([0]), eta, phi, radius=0.8)  # 0.9 outside
    np.testing.assert_array_equal(label, [[LIGHT, B]])
    leptonic = TruthParticles(**{**truth.__dict__, "decay": np.array([11, 0])})
    label, _ = jet_truth_labels(leptonic, np.array([0]), eta, phi, radius=1.0)
    np.testing.assert_array_equal(label, [[LIGHT, B]])  # a W -> e nu is not a W jet


def test_no_truth_no_truth_columns():
    reco = Reconstructed.from_pt_eta_phi(np.array([2]), np.array([1500.0, 1400.0]),
                                         np.array([0.1, -0.2]), np.array([0.0, 3.0]))
    cols = cluster_and_select(reco, get_process("qcd").selection).columns
    assert not set(TRUTH_COLUMNS) & set(cols)
    assert "met" not in cols


@pytest.mark.parametrize("process", ["zjets"])
def test_truth_met_is_the_neutrinos(batches, process):
    fs = batches(process, 6, 12)[0]
    t = fs.truth
    nunu = np.zeros(t.n_events, bool)
    nunu[t.event[(t.kind == Z) & np.isin(t.decay, (12, 14, 16))]] = True
    met = np.hypot(t.met_x, t.met_y)
    assert nunu.sum() > 5
    assert (met[nunu] > 500).all()  # p̂T > 1 TeV: the Z's pT goes to the neutrinos
