"""Process catalogue and user process files."""

from __future__ import annotations

import pytest

import sciood
from sciood.errors import ConfigError, UnknownNameError
from sciood.generate.processes import CATALOGUE, get_process, load_process_file

REQUIRED = {"qcd", "ttbar", "wjets", "zjets", "xy_qqqq", "wprime_wz_59", "wprime_wz_80",
            "wprime_wz_120", "wprime_wz_174", "zprime_tt", "four_prong", "qstar_qg",
            "dark_shower_0.3", "dark_shower_0.6"}


def test_catalogue_complete_and_described():
    assert set(CATALOGUE) >= REQUIRED
    for p in CATALOGUE.values():
        assert p.description and p.settings
        assert abs(sum(s.fraction for s in p.slices) - 1.0) < 1e-12
    assert {p.name for p in CATALOGUE.values() if not p.is_signal} == {
        "qcd", "qcd_rnd", "ttbar", "wjets", "zjets"}
    rnd = CATALOGUE["qcd_rnd"]
    assert "PhaseSpace:mHatMin = 2600." in rnd.settings and "R&D" in rnd.notes
    assert "r_inv" in CATALOGUE["dark_shower_0.6"].description
    assert "N_f=2" in CATALOGUE["dark_shower_0.3"].notes


def test_alias_and_unknown_name():
    assert get_process("wprime_wz").name == "wprime_wz_80"
    with pytest.raises(UnknownNameError) as err:
        get_process("zprime_bb")
    assert "qcd" in str(err.value) and "wprime_wz" in str(err.value)


def test_every_catalogue_setting_accepted_by_pythia():
    from sciood.generate.pythia import check_settings

    for p in CATALOGUE.values():
        for k in range(len(p.slices)):
            check_settings(p.pythia_settings(k), where=p.name)


TOML = """
[[process]]
name = "my_zprime_bb"
signal = true
description = "Z'(2 TeV) -> b bbar"
settings = ["NewGaugeBoson:ffbar2gmZZprime = on", "Zprime:gmZmode = 3", "32:m0 = 2000",
            "32:onMode = off", "32:onIfAny = 5"]
selection = { leading_pt_min = 600.0 }
mpi = false
"""


def test_process_file_toml_generates(tmp_path):
    f = tmp_path / "procs.toml"
    f.write_text(TOML)
    procs = load_process_file(f)
    assert procs["my_zprime_bb"].selection.leading_pt_min == 600.0
    es = sciood.generate("my_zprime_bb", 10, seed=1, out=tmp_path / "z", process_file=f)
    assert len(es) == 10 and es.classes == ["my_zprime_bb"] and es.is_signal.all()
    assert es.column("lead_pt").min() > 600.0


def test_process_file_yaml(tmp_path):
    f = tmp_path / "procs.yaml"
    f.write_text("process:\n  - name: qcd_low\n    signal: false\n    settings:\n"
                 "      - 'HardQCD:all = on'\n      - 'PhaseSpace:pTHatMin = 400.'\n")
    assert not load_process_file(f)["qcd_low"].is_signal


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (TOML.replace("32:m0 = 2000", "32:mzero = 2000"),
         r"rejected the setting '32:mzero = 2000'"),
        (TOML.replace("signal = true", "signal = 'yes'"), "signal must be true or false"),
        (TOML.replace("mpi = false", "colour = 1"), r"unknown key\(s\) \['colour'\]"),
        (TOML.replace('name = "my_zprime_bb"\n', ""), "missing required key 'name'"),
        (TOML.replace("leading_pt_min", "lead_pt"), "selection: allowed keys"),
        ("[[process]\nname=", "not valid TOML"),
    ],
)
def test_process_file_errors(tmp_path, text, match):
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_process_file(f)


def test_unknown_pythia_setting_quotes_pythia(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text(TOML.replace("32:m0 = 2000", "Foo:bar = 1"))
    with pytest.raises(ConfigError) as err:
        load_process_file(f)
    assert "Foo:bar = 1" in str(err.value) and "not found in settings" in str(err.value)
