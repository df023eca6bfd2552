"""Provenance of a generated sample: √s, exact Pythia lines, jet parameters, code version."""

from __future__ import annotations

import re

import numpy as np

import sciood
from sciood.generate.catalogue import CATALOGUE
from sciood.generate.provenance import code_version, jet_parameters, sqrt_s
from sciood.generate.pythia import PythiaSource

HARD_QCD = """
[[process]]
name = "hard_qcd"
signal = false
description = "QCD above the trigger"
settings = ["HardQCD:all = on", "PhaseSpace:pTHatMin = 1300."]
mpi = false
"""


def test_provenance_lines_remake_the_events(tmp_path):
    pf = tmp_path / "p.toml"
    pf.write_text(HARD_QCD)
    es = sciood.generate("hard_qcd", 12, seed=7, out=tmp_path / "w", process_file=pf,
                         shard_size=12, keep_constituents=False)
    prov = es.provenance
    assert prov["sqrt_s_gev"] == 13000.0
    (sl,) = prov["slices"]
    lines = sl["pythia_lines"]
    assert "Beams:eCM = 13000." in lines and "PartonLevel:MPI = off" in lines
    assert lines[-3:] == ["HardQCD:all = on", "PhaseSpace:pTHatMin = 1300.",
                          "PartonLevel:MPI = off"]
    assert all(line in lines for line in CATALOGUE["qcd"].settings)
    assert prov["seed_lines"] == ["Random:setSeed = on", "Random:seed = {seed}"]
    # the recorded lines + the shard's seed re-make the shard's events exactly
    (shard,) = _shards(tmp_path / "w")
    src = PythiaSource(lines, seed=int(shard["seed"]))
    pthat = np.concatenate([src.next_batch(24).pthat for _ in range(4)])
    stored = es.column("pthat")
    pos = [int(np.flatnonzero(pthat == p)[0]) for p in stored]  # each one found, in order
    assert pos == sorted(pos) and len(set(pos)) == len(stored)
    jets = prov["jet_parameters"]
    assert jets["jets"] == {"algorithm": "anti-kt", "R": 1.0, "inputs": "detector-level particles"}
    assert jets["softdrop"]["z_cut"] == 0.1 and jets["softdrop"]["beta"] == 0.0
    assert jets["nsubjettiness"]["beta"] == 1.0
    code = prov["code_version"]
    assert code["sciood"] == prov["versions"]["sciood"]
    assert code["git_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", code["git_commit"])


def _shards(path):
    import json

    return json.loads((path / "manifest.json").read_text())["shards"]


def test_sqrt_s_reads_the_last_beam_line():
    assert sqrt_s([]) == 13000.0
    assert sqrt_s(["Beams:eCM = 13000.", "Beams:eCM = 14000 ! LHC design"]) == 14000.0
    assert sqrt_s(["Beams : eCM=8000"]) == 8000.0


def test_jet_parameters_and_code_version_are_json_plain():
    import json

    json.dumps({"j": jet_parameters(), "c": code_version()})
