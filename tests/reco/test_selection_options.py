"""The Δη_jj cut and the lepton veto of the dijet selection (process-card settings)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sciood.errors import ConfigError
from sciood.generate.detector import get_card, simulate
from sciood.generate.process_file import load_process_file
from sciood.generate.processes import get_process
from sciood.reco.event import Reconstructed
from sciood.reco.jets import cluster_and_select
from sciood.reco.selection import Selection


def _both(batches, process, seed, cut):
    base = get_process(process).selection
    out = []
    for fs in batches(process, 4, seed):
        reco = simulate(fs, get_card("sim"), np.random.default_rng(3))
        out.append((reco, cluster_and_select(reco, base),
                    cluster_and_select(reco, replace(base, **cut))))
    return out


def test_delta_eta_cut_keeps_exactly_the_central_pairs(batches):
    n_before = n_after = 0
    for _, jb, cut in _both(batches, "wjets", 11, {"delta_eta_max": 1.3}):
        deta = np.abs(jb.columns["eta_j1"] - jb.columns["eta_j2"])
        np.testing.assert_array_equal(cut.selected, jb.selected[deta < 1.3])
        n_before, n_after = n_before + len(jb.selected), n_after + len(cut.selected)
    assert 0.3 * n_before < n_after < 0.95 * n_before  # the cut does something, not all


def test_lepton_veto_removes_exactly_the_events_with_a_lepton(batches):
    vetoed = 0
    for reco, jb, cut in _both(batches, "wjets", 11, {"lepton_veto": True}):
        nlep = jb.columns["n_electrons"] + jb.columns["n_muons"]
        np.testing.assert_array_equal(cut.selected, jb.selected[nlep == 0])
        vetoed += int((nlep > 0).sum())
        assert (reco.objects.n_leptons()[cut.selected] == 0).all()
    assert vetoed > 0


def test_lepton_veto_needs_reconstructed_objects():
    rng = np.random.default_rng(0)
    reco = Reconstructed.from_pt_eta_phi(np.array([2]), np.array([1500.0, 1400.0]),
                                         rng.uniform(-1, 1, 2), np.array([0.0, 3.0]))
    assert len(cluster_and_select(reco, Selection()).selected) == 1
    with pytest.raises(ConfigError, match="lepton_veto = false"):
        cluster_and_select(reco, Selection(lepton_veto=True))


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"delta_eta_max": 0.0}, r"\[0.01, 20\]"), ({"delta_eta_max": float("nan")}, "must be in"),
    ({"delta_eta_max": "1.3"}, "number or None"), ({"lepton_veto": 1}, "true or false"),
])
def test_selection_refuses_bad_options(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        Selection(**kwargs)


def test_defaults_keep_the_old_selection():
    s = Selection()
    assert s.delta_eta_max is None and s.lepton_veto is False
    assert Selection(delta_eta_max=2).delta_eta_max == 2.0


def _write(tmp_path: Path, selection: str) -> Path:
    path = tmp_path / "p.toml"
    path.write_text(f'[[process]]\nname = "zp"\nsignal = true\nsettings = ["HardQCD:all = on"]\n'
                    f"selection = {{ {selection} }}\n")
    return path


def test_process_file_reads_the_options(tmp_path):
    procs = load_process_file(_write(tmp_path, "delta_eta_max = 1.3, lepton_veto = true"),
                              check_pythia=False)
    sel = procs["zp"].selection
    assert sel.delta_eta_max == 1.3 and sel.lepton_veto is True
    assert procs["zp"].to_dict()["selection"]["lepton_veto"] is True


@pytest.mark.parametrize(("text", "match"), [
    ('lepton_veto = "yes"', "true or false"), ("lepton_veto = 1", "true or false"),
    ("delta_eta_max = true", "must be a number"), ("delta_eta_max = -1.0", "must be in"),
])
def test_process_file_refuses_bad_options(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_process_file(_write(tmp_path, text), check_pythia=False)
