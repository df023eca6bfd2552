"""Hostile process files (``--process-file``): every case is refused with a message naming the
problem and the fix, before anything is generated (no Pythia event is made here).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from sciood.errors import ConfigError
from sciood.generate.processes import MAX_FILE_BYTES, load_process_file

GOOD = """
[[process]]
name = "my_zprime_bb"
signal = true
description = "Z'(2 TeV) -> b bbar"
settings = ["NewGaugeBoson:ffbar2gmZZprime = on", "Zprime:gmZmode = 3", "32:m0 = 2000",
            "32:onMode = off", "32:onIfAny = 5"]
selection = { leading_pt_min = 600.0 }
mpi = false
"""

GOOD_YAML = """
process:
  - name: my_zprime_bb
    signal: true
    description: &d "Z'(2 TeV) -> b bbar"
    notes: *d
    settings: ["NewGaugeBoson:ffbar2gmZZprime = on", "Zprime:gmZmode = 3", "32:m0 = 2000",
               "32:onMode = off", "32:onIfAny = 5"]
    selection: {leading_pt_min: 600.0}
    mpi: false
"""

BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(8))


def _sub(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new)


def _write(tmp_path: Path, text: str | bytes, name: str = "p.toml") -> Path:
    f = tmp_path / name
    if isinstance(text, bytes):
        f.write_bytes(text)
    else:
        f.write_text(text)
    return f


def E(text, match, name="p.toml", id=None):
    return pytest.param(text, name, match, id=id, marks=pytest.mark.hostile("process-files",
                                                                             "error"))


CASES = [
    E(_sub("mpi = false", 'mpi = "false"'),
      r"\(my_zprime_bb\)\.mpi must be true or false \(unquoted\), got 'false' \(str\)",
      id="mpi-string"),
    E(_sub("signal = true", "signal = 1"), r"signal must be true or false \(unquoted\), got 1",
      id="signal-int"),
    E(_sub("600.0", "1e9"), r"selection\.leading_pt_min = 1000000000\.0 is outside the physical "
      r"range \[0, 6500\].*choose a value in that range", id="selection-1e9"),
    E(_sub("600.0", "nan"), r"selection\.leading_pt_min = nan is not a finite number; no event "
      r"could pass it: choose a value in \[0, 6500\]", id="selection-nan"),
    E(_sub("600.0", "-inf"), r"selection\.leading_pt_min = -inf is not a finite number",
      id="selection-inf"),
    E(_sub("600.0", '"600"'), r"selection\.leading_pt_min must be a number, got '600' \(str\); "
      r"write it without quotes", id="selection-string"),
    E(_sub("leading_pt_min = 600.0", "min_jets = 1"), r"selection\.min_jets = 1 is outside the "
      r"physical range \[2, 20\] \(the features need the two leading jets\)", id="min-jets-1"),
    E(_sub("leading_pt_min = 600.0", "min_jets = 2.5"), r"selection\.min_jets must be an "
      r"integer, got 2\.5", id="min-jets-float"),
    E(_sub("leading_pt_min = 600.0", "jet_eta_max = 0.0"), r"selection\.jet_eta_max = 0\.0 is "
      r"outside the physical range \[0\.1, 10\]", id="eta-zero"),
    E(_sub("32:m0 = 2000", "32:m0 = abc"), r"the setting '32:m0 = abc' has value 'abc', but "
      r"32:m0 takes a finite number ≥ 0; Pythia would silently misread it", id="mass-not-number"),
    E(_sub("32:m0 = 2000", "32:m0 = 2d3"), r"'32:m0 = 2d3'.*takes a finite number",
      id="fortran-exponent"),
    E(_sub('"Zprime:gmZmode = 3"', '"PhaseSpace:pTHatMin = 1e999"'),
      r"PhaseSpace:pTHatMin takes a finite number", id="parm-overflow"),
    E(_sub("32:onIfAny = 5", "32:onIfAny = b bbar"), r"32:onIfAny takes integers \(PDG ids\)",
      id="decay-products-names"),
    E(_sub("NewGaugeBoson:ffbar2gmZZprime = on", "NewGaugeBoson:ffbar2gmZZprime = maybe"),
      r"takes on or off", id="flag-maybe"),
    E(_sub('"Zprime:gmZmode = 3"', '"Zprime:gmZmode = 3.5"'), r"Zprime:gmZmode takes an integer",
      id="mode-float"),
    E(_sub('"32:onIfAny = 5"', '"32:onIfAny = 5", "32:oneChannel = 1 half 0 5 -5"'),
      r"32:oneChannel takes onMode bRatio meMode", id="channel-bratio-word"),
    E(_sub('"32:onIfAny = 5"', '"32:onIfAny = 5", "Random:seed = 7"'), r"'Random:seed = 7' is "
      r"not allowed in a process file: the Pythia seed of every shard is derived from --seed",
      id="reserved-seed"),
    E(_sub('"32:onIfAny = 5"', '"32:onIfAny = 5", "partonlevel:mpi = on"'), r"use the process "
      r"key `mpi = true/false`", id="reserved-mpi-lowercase"),
    E(_sub('"32:onIfAny = 5"', '"32:onIfAny = 5", "Tune:pp = 5"'), r"the tune is set by the "
      r"detector variant", id="reserved-tune"),
    E(_sub('"32:onIfAny = 5"', '"32:onIfAny = 5", "Beams:eCM = 100000."'), r"every process is "
      r"pp at √s = 13 TeV", id="reserved-beams"),
    E(_sub('name = "my_zprime_bb"', 'name = "qcd"'), r"name 'qcd' is a built-in process.*choose "
      r"another name", id="shadows-builtin"),
    E(_sub('name = "my_zprime_bb"', 'name = "wprime_wz"'), r"name 'wprime_wz' is a built-in",
      id="shadows-alias"),
    E(_sub('name = "my_zprime_bb"', 'name = "../../evil"'), r"name '\.\./\.\./evil' must start "
      r"with a letter", id="name-traversal"),
    E(_sub("mpi = false", "mpi = false\nlabel = 5"), r"label 5 must start with a letter",
      id="label-int"),
    E(_sub("mpi = false", "mpi = false\ndescription2 = 1"), r"unknown key\(s\) \['description2'\]",
      id="unknown-key"),
    E(_sub('description = "Z\'(2 TeV) -> b bbar"', "description = [1, 2]"),
      r"description must be a string, got \[1, 2\] \(list\)", id="description-list"),
    E(_sub("mpi = false", "mpi = false\nslices = [{settings = [], fraction = '1'}]"),
      r"slices\[0\]\.fraction must be a number, got '1' \(str\)", id="fraction-string"),
    E(_sub("mpi = false", "mpi = false\nslices = [{settings = [], fraction = nan}]"),
      r"slices\[0\]\.fraction = nan must be in \(0, 1\]", id="fraction-nan"),
    E(_sub("mpi = false", "mpi = false\nslices = [{setings = []}]"), r"slices\[0\] must be a "
      r"table with keys \['fraction', 'settings'\]", id="slice-typo"),
    E("process:\n  - {name: p1, signal: true, settings: 5}\n", r"\(p1\)\.settings must be a "
      r"list of Pythia setting lines \(strings\), got 5", name="p.yaml", id="settings-int"),
    E("[meta]\nauthor = 'x'\n" + GOOD, r"unknown top-level key\(s\) \['meta'\]",
      id="top-level-key"),
    E("", r"expected one or more processes.*the file defines none", id="empty-file"),
    E(GOOD + GOOD, r"process name 'my_zprime_bb' defined twice; rename one", id="duplicate"),
    E(BOMB, r"refused: .*alias bomb", name="p.yaml", id="yaml-alias-bomb"),
    E("process: !!python/object/apply:os.system ['true']\n", r"p\.yaml: refused", name="p.yaml",
      id="yaml-python-tag"),
    E(b"name = '\xff\xfe'\n", r"not UTF-8 text.*save the process file as UTF-8", id="not-utf8"),
    E("# " + "x" * (MAX_FILE_BYTES + 10) + "\n" + GOOD, r"bytes is larger than the 1048576 "
      r"allowed", id="huge-file"),
    E("a = " + "[" * 5000 + "]" * 5000, r"(nesting too deep|not valid TOML)", id="deep-toml"),
    E(GOOD, r"process files must end in \.toml, \.yaml or \.yml", name="p.json",
      id="wrong-suffix"),
]


@pytest.mark.parametrize(("text", "name", "match"), CASES)
def test_hostile_process_file(tmp_path, text, name, match):
    f = _write(tmp_path, text, name)
    with pytest.raises(ConfigError, match=match):
        load_process_file(f)


@pytest.mark.hostile("process-files", "error")
def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError, match=r"is a directory, not a file; pass the path of a "
                       r"\.toml or \.yaml"):
        load_process_file(tmp_path)


@pytest.mark.hostile("process-files", "correct")
def test_yaml_with_a_legitimate_alias_equals_toml(tmp_path):
    a = load_process_file(_write(tmp_path, GOOD, "p.toml"))
    b = load_process_file(_write(tmp_path, GOOD_YAML, "p.yaml"))
    assert b["my_zprime_bb"].notes == "Z'(2 TeV) -> b bbar"
    assert a == {"my_zprime_bb": replace(b["my_zprime_bb"], notes="")}
    proc = a["my_zprime_bb"]
    assert proc.mpi is False and proc.selection.leading_pt_min == 600.0
    assert "PartonLevel:MPI = off" in proc.pythia_settings()


@pytest.mark.hostile("process-files", "correct")
def test_trailing_pythia_comments_and_ok_flags_are_accepted() -> None:
    """Lines as in Pythia's .cmnd files: the value ends at "!"; "ok" is a true flag."""
    from sciood.generate.pythia import check_settings

    check_settings(["HardQCD:all = on ! comment", "PhaseSpace:pTHatMin = 500. ! cut",
                    "6:m0 = 172.5 ! top", "6:onIfAny = 5 24 ! b W", "Print:quiet = ok"])
    with pytest.raises(ConfigError, match=r"'6:m0 = abc ! top' has value 'abc'"):
        check_settings(["6:m0 = abc ! top"])
