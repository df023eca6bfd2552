"""Jet clustering, selection, N-subjettiness and soft drop against hand calculations."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.generate.detector import Reconstructed
from sciood.generate.jets import cluster_and_select, nsubjettiness, softdrop_mass
from sciood.generate.processes import Selection


def _four(pt, eta, phi):
    pt, eta, phi = map(np.asarray, (pt, eta, phi))
    return pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta), pt * np.cosh(eta)


def _rap_phi(px, py, pz, e):
    return 0.5 * np.log((e + pz) / (e - pz)), np.arctan2(py, px)


def _tau(parts_pt, parts, axes):
    y, phi = _rap_phi(*parts)
    d = [np.hypot(y - ay, (phi - aphi + np.pi) % (2 * np.pi) - np.pi) for ay, aphi in axes]
    return float(np.sum(parts_pt * np.min(d, axis=0)) / np.sum(parts_pt))


def test_nsubjettiness_matches_hand_kt_axes():
    pt = np.array([100.0, 50.0, 80.0])
    eta = np.array([0.0, 0.3, 0.0])
    phi = np.array([0.0, 0.0, 0.8])
    px, py, pz, e = _four(pt, eta, phi)
    # kT distances: d_AB = 50²·0.09 < d_BC = 50²·0.73 < d_AC = 80²·0.64 -> A+B merge first
    ab = [px[:2].sum(), py[:2].sum(), pz[:2].sum(), e[:2].sum()]
    allp = [px.sum(), py.sum(), pz.sum(), e.sum()]
    tau1 = _tau(pt, (px, py, pz, e), [_rap_phi(*allp)])
    tau2 = _tau(pt, (px, py, pz, e), [_rap_phi(*ab), _rap_phi(px[2], py[2], pz[2], e[2])])
    got = nsubjettiness(np.array([3]), px, py, pz, e)
    assert got[0, 0] == pytest.approx(tau1, rel=1e-9)
    assert got[0, 1] == pytest.approx(tau2, rel=1e-9)
    assert got[0, 2] == 0.0  # N constituents = N axes


def test_nsubjettiness_guard_small_jets_and_batches():
    px, py, pz, e = _four([10.0, 20.0, 30.0], [0.1, 0.2, -0.1], [0.0, 0.5, 1.0])
    got = nsubjettiness(np.array([1, 2]), px, py, pz, e)
    assert got[0].tolist() == [0.0, 0.0, 0.0]
    assert got[1, 0] > 0 and got[1, 1] == 0.0 and got[1, 2] == 0.0


def test_softdrop_removes_soft_wide_angle_particle():
    pt = np.array([500.0, 500.0, 5.0])
    eta = np.array([0.0, 0.4, 0.0])
    phi = np.array([0.0, 0.0, 0.9])
    px, py, pz, e = _four(pt, eta, phi)
    m_pair = np.sqrt(e[:2].sum() ** 2 - px[:2].sum() ** 2 - py[:2].sum() ** 2 - pz[:2].sum() ** 2)
    m_all = np.sqrt(e.sum() ** 2 - px.sum() ** 2 - py.sum() ** 2 - pz.sum() ** 2)
    got = softdrop_mass(np.array([3]), px, py, pz, e)
    assert got[0] == pytest.approx(m_pair, rel=1e-9)
    assert m_all > m_pair + 1.0


def test_softdrop_mass_is_never_negative():
    # collinear massless particles: m^2 of the sum is zero up to rounding, FastJet may return
    # -sqrt(|m^2|); many random near-collinear jets must all come out >= 0
    rng = np.random.default_rng(3)
    n_jets, per = 200, 2
    pt = rng.uniform(100.0, 2000.0, n_jets * per)
    eta = np.repeat(rng.uniform(-2, 2, n_jets), per) + rng.normal(0, 1e-9, n_jets * per)
    phi = np.repeat(rng.uniform(-3, 3, n_jets), per)
    px, py, pz, e = _four(pt, eta, phi)
    got = softdrop_mass(np.full(n_jets, per), px, py, pz, e)
    assert got.shape == (n_jets,)
    assert np.all(got >= 0.0)
    assert np.all(got < 1.0)


def _event(jets):
    cols = [np.concatenate(c) for c in zip(*[_four(*j) for j in jets], strict=True)]
    return cols, sum(len(j[0]) for j in jets)


def test_selection_ordering_and_mjj():
    # event 0: two hard jets (1300 and 1250 GeV), the second one heavier; event 1: lead 1000
    j_a = ([700.0, 600.0], [0.0, 0.05], [0.0, 0.05])       # light jet (narrow)
    j_b = ([650.0, 600.0], [0.5, 0.8], [np.pi, np.pi - 0.3])  # heavier jet (wide)
    (a_cols, n_a) = _event([j_a, j_b])
    (b_cols, n_b) = _event([([500.0, 500.0], [0.0, 0.05], [0.0, 0.05]),
                            ([900.0], [0.3], [np.pi])])
    px, py, pz, e = (np.concatenate([a, b]) for a, b in zip(a_cols, b_cols, strict=True))
    reco = Reconstructed(np.array([n_a, n_b]), px, py, pz, e)
    jb = cluster_and_select(reco, Selection())
    assert jb.selected.tolist() == [0]
    c = jb.columns
    assert c["mj1"][0] < c["mj2"][0]
    pxa, pya, _, _ = _four(*j_a)
    assert c["pt_j1"][0] == pytest.approx(np.hypot(pxa.sum(), pya.sum()), rel=1e-9)
    assert c["pt_j1"][0] > c["pt_j2"][0]  # here the lighter jet is the harder one
    tot = [v.sum() for v in a_cols]
    mjj = np.sqrt(tot[3] ** 2 - tot[0] ** 2 - tot[1] ** 2 - tot[2] ** 2)
    assert c["mjj"][0] == pytest.approx(mjj, rel=1e-9)
    assert c["nconst_j1"][0] == 2 and c["nconst_j2"][0] == 2
    cnt, vals = jb.constituents["j1_pt"]
    assert cnt.tolist() == [2] and vals.tolist() == [700.0, 600.0]


@pytest.mark.parametrize("n", [4, 7, 20, 60])
def test_nsubjettiness_matches_fjcontrib(n):
    """Cross-check with fjcontrib's Nsubjettiness (KT_Axes, NormalizedMeasure β=1, R0=1)."""
    import awkward as ak
    import fastjet

    rng = np.random.default_rng(n)
    px, py, pz, e = _four(rng.exponential(20, n), rng.normal(0, 0.3, n), rng.normal(0, 0.3, n))
    parts = ak.unflatten(ak.zip({"px": px, "py": py, "pz": pz, "E": e}, with_name="Momentum4D"),
                         [n])
    cs = fastjet.ClusterSequence(parts, fastjet.JetDefinition(fastjet.antikt_algorithm, 10.0))
    ref = [ak.to_list(cs.njettiness(measure_definition="NormalizedMeasure",
                                    axes_definition="KT_Axes", njets=k, beta=1.0,
                                    R0=1.0))[0][0] for k in (1, 2, 3)]
    np.testing.assert_allclose(nsubjettiness(np.array([n]), px, py, pz, e)[0], ref, rtol=1e-9)
