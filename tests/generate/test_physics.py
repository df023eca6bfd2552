"""Physics validation on real (small) Pythia samples: mass peaks and substructure.

Known values: W mass 80.4 GeV, top mass 174 GeV (as set in the zprime_tt card), X/Y masses
500/100 GeV and the 3.5 TeV resonance of xy_qqqq; 2-prong jets have lower τ21 and 3-prong jets
lower τ32 than QCD jets.
"""

from __future__ import annotations

import numpy as np
import pytest


def _mode(x: np.ndarray, lo: float, hi: float, width: float) -> float:
    counts, edges = np.histogram(x, bins=np.arange(lo, hi + width, width))
    i = int(np.argmax(counts))
    return float(0.5 * (edges[i] + edges[i + 1]))


@pytest.fixture(scope="module")
def wz(make_sample):
    return make_sample("wprime_wz_80", 300, 31)


@pytest.fixture(scope="module")
def tt(make_sample):
    return make_sample("zprime_tt", 250, 32)


@pytest.fixture(scope="module")
def xy(make_sample):
    return make_sample("xy_qqqq", 250, 33, mpi=False)


def test_w_mass_peak_and_tau21(wz, qcd_sample):
    msd2 = wz.column("mj2_sd")
    assert 70.0 <= np.median(msd2) <= 110.0
    # two-prong jets: tau21 lower than QCD's (both jets pooled, medians)
    both = ("tau21_j1", "tau21_j2")
    w_tau = np.concatenate([wz.column(j) for j in both])
    q_tau = np.concatenate([qcd_sample.column(j) for j in both])
    assert np.median(w_tau) < np.median(q_tau) - 0.08


def test_top_mass_peak_and_tau32(tt, qcd_sample):
    msd = np.concatenate([tt.column("mj1_sd"), tt.column("mj2_sd")])
    assert 150.0 <= _mode(msd, 50, 300, 20) <= 200.0
    both = ("tau32_j1", "tau32_j2")
    t_tau = np.concatenate([tt.column(j) for j in both])
    q_tau = np.concatenate([qcd_sample.column(j) for j in both])
    assert np.median(t_tau) < np.median(q_tau) - 0.05


def test_xy_mass_peaks_and_mjj(xy):
    assert 80.0 <= _mode(xy.column("mj1_sd"), 0, 300, 20) <= 120.0
    assert 460.0 <= _mode(xy.column("mj2_sd"), 200, 700, 40) <= 540.0
    assert 3200.0 <= np.median(xy.column("mjj")) <= 3600.0


def test_mpi_raises_ungroomed_mass_not_groomed(xy, make_sample):
    xy_mpi = make_sample("xy_qqqq", 250, 33, mpi=True)
    d_plain = np.median(xy_mpi.column("mj1")) - np.median(xy.column("mj1"))
    d_sd = np.median(xy_mpi.column("mj1_sd")) - np.median(xy.column("mj1_sd"))
    assert d_plain > 5.0          # MPI adds soft radiation to the R = 1.0 jet
    assert d_plain > d_sd         # soft drop removes most of it
