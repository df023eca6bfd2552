"""Background p̂T slices below the old 1 TeV edge, and the four-prong signal's model."""

from __future__ import annotations

import json

import numpy as np
import pytest

import sciood
from sciood.generate.catalogue import CATALOGUE


@pytest.mark.parametrize("name", ["ttbar", "wjets", "zjets"])
def test_electroweak_backgrounds_have_the_low_slice(name):
    slices = CATALOGUE[name].slices
    # slice 0 is the old > 1 TeV slice (same settings, so the same shard seeds and events)
    assert slices[0].settings == ("PhaseSpace:pTHatMin = 1000.",)
    assert slices[1].settings == ("PhaseSpace:pTHatMin = 700.", "PhaseSpace:pTHatMax = 1000.")
    assert [s.fraction for s in slices] == [0.97, 0.03]


def test_low_slice_is_generated_and_weighted(tmp_path):
    es = sciood.generate("wjets", 40, seed=2, out=tmp_path / "w", mpi=False,
                         keep_constituents=False)
    man = json.loads((tmp_path / "w" / "manifest.json").read_text())
    rows = {k: sum(s["rows"] for s in man["shards"] if s["slice"] == k) for k in (0, 1)}
    assert rows == {0: 39, 1: 1}
    pthat, w = es.column("pthat"), es.weights
    low = pthat < 1000.0
    assert low.sum() == 1 and pthat[low].min() >= 700.0
    for info in man["provenance"]["slices"]:
        m = low if info["slice"] == 1 else ~low
        np.testing.assert_allclose(w[m], info["sigma_fb"] / info["n_generated"])
    # the 700-1000 GeV slice selects well under 5 % of its events (so 3 % of the sample)
    low_info = man["provenance"]["slices"][1]
    assert low_info["n_generated"] > 20


def test_four_prong_a_is_narrow_and_sigma_consistent(tmp_path):
    settings = CATALOGUE["four_prong"].settings
    assert "36:mWidth = 4" in settings and "HiggsH2:coup2W = 0" in settings
    es = sciood.generate("four_prong", 30, seed=1, out=tmp_path / "f", mpi=False,
                         keep_constituents=False)
    sigma = es.provenance["slices"][0]["sigma_fb"]
    assert 1e-10 < sigma < 1e-6  # was 4.5e-15 fb with H's default couplings (36 TeV width)
    heavy = np.maximum(es.column("mj1_sd"), es.column("mj2_sd"))
    assert 330.0 < np.median(heavy) < 430.0
