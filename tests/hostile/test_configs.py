"""Hostile run configurations: traversal, aliases, tags, sizes, wrong types, late errors.

Every case is a distinct input; each asserts the error class and a message naming the
problem (key path) and what is allowed, or the correct result.  Nothing here generates
events: the run-directory cases stop before the first stage.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from sciood.config import load_config, parse_config
from sciood.errors import ConfigError, RunDirectoryError
from sciood.pipeline import run
from sciood.pipeline.rundir import claim, remove_inside

BASE = {
    "name": "t",
    "data": {"background": {"qcd": 200}, "signals": {"wprime_wz_80": 100}, "mpi": False},
    "detectors": [{"name": "iforest"}],
}


def _cfg(**changes):
    body = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = body
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return body


def _flat(exc: pytest.ExceptionInfo) -> str:
    return " ".join(str(exc.value).split())


def H(case_id, *values, outcome="error"):
    return pytest.param(*values, id=case_id, marks=pytest.mark.hostile("configs", outcome))


# ----------------------------------------------------------------- path components
_NAME_MSG = r"must match \^\[A-Za-z0-9\]\[A-Za-z0-9_\.-\]\*\$"


@pytest.mark.parametrize(("label", "shown"), [
    H("label-parent-traversal", "../..", r"'\.\./\.\.'"),
    H("label-absolute", "/tmp/victim", r"'/tmp/victim'"),
    H("label-dot", ".", r"'\.'"),
    H("label-dotdot", "..", r"'\.\.'"),
    H("label-nested-separator", "models/../../x", r"'models/\.\./\.\./x'"),
    H("label-nul-byte", "flow\x00x", r"'flow\\x00x'"),
    H("label-unicode-homoglyph", "ｆｌｏｗ", r"'ｆｌｏｗ'"),
    H("label-empty", "", r"''"),
    H("label-hidden-dotfile", ".hidden", r"'\.hidden'"),
    H("label-too-long", "a" * 101, r"at most 100 characters"),
    H("label-backslash", "..\\..\\x", r"'\.\.\\\\\.\.\\\\x'"),
])
def test_detector_label_must_be_a_safe_name(label, shown):
    with pytest.raises(ConfigError) as exc:
        parse_config(_cfg(detectors=[{"name": "iforest", "label": label}]))
    msg = _flat(exc)
    assert "detectors[0].label: label" in msg
    assert re.search(shown, msg), msg
    assert re.search(_NAME_MSG, msg), msg


@pytest.mark.hostile("configs", "error")
def test_run_name_with_traversal_is_refused():
    with pytest.raises(ConfigError, match=r"name: name '\.\./escape' is not allowed: it names "
                                          r"a directory, so it must match"):
        parse_config(_cfg(name="../escape"))


@pytest.mark.hostile("configs", "error")
def test_process_name_used_as_directory_is_checked():
    with pytest.raises(ConfigError, match=r"data\.background: process name '\.\./\.\./qcd' is "
                                          r"not allowed"):
        parse_config(_cfg(data__background={"../../qcd": 200}))


@pytest.mark.hostile("configs", "error")
def test_labels_differing_only_in_case_are_refused():
    body = _cfg(detectors=[{"name": "iforest", "label": "Det"}, {"name": "knn", "label": "det"}])
    with pytest.raises(ConfigError, match=r"labels \['Det', 'det'\] differ only in letter case "
                                          r".*rename one `label`"):
        parse_config(body)


# ----------------------------------------------------------------- strict types
@pytest.mark.parametrize(("changes", "message"), [
    H("mpi-string-false", {"data__mpi": "false"},
      r"data\.mpi: must be true or false \(not a string or a number\), got 'false' \(str\)"),
    H("mpi-integer-zero", {"data__mpi": 0}, r"data\.mpi: must be true or false .* got 0 \(int\)"),
    H("seed-float-truncation", {"data__seed": 1.9},
      r"data\.seed: must be an integer \(not a string, a float or true/false\), got 1\.9"),
    H("events-string-number", {"data__background": {"qcd": "200"}},
      r"data\.background\.qcd: must be an integer .* got '200' \(str\)"),
    H("events-bool", {"data__signals": {"wprime_wz_80": True}},
      r"data\.signals\.wprime_wz_80: must be an integer .* got True \(bool\)"),
    H("fraction-string", {"data__train_fraction": "0.5"},
      r"data\.train_fraction: must be a number \(not a string or true/false\), got '0\.5'"),
    H("keep-constituents-yes-string", {"data__keep_constituents": "yes"},
      r"data\.keep_constituents: must be true or false"),
    H("statistics-enabled-string", {"statistics__enabled": "no"},
      r"statistics\.enabled: must be true or false .* got 'no'"),
    H("mjj-range-string-element", {"statistics__mjj_range": ["2800", 6500]},
      r"statistics\.mjj_range\[0\]: must be a number .* got '2800'"),
    H("bootstrap-float", {"evaluation__bootstrap": 10.0},
      r"evaluation\.bootstrap: must be an integer .* got 10\.0 \(float\)"),
    H("working-point-bool", {"evaluation__working_points": {"eps_b": [True]}},
      r"evaluation\.working_points\.eps_b\[0\]: must be a number .* got True"),
    H("output-number", {"output": 5}, r"output: must be a path string, got 5 \(int\)"),
    H("detectors-mapping-not-list", {"detectors": {"name": "iforest"}},
      r"detectors: must be a list, got \{'name': 'iforest'\}"),
    H("detector-bare-string", {"detectors": ["iforest"]},
      r"detectors\[0\]: must be a mapping of keys, got 'iforest'"),
    H("workers-string", {"compute__workers": "2"},
      r"compute\.workers: must be an integer .* got '2'"),
    H("injection-scan-float", {"statistics__injection_scan": [0, 2.5]},
      r"statistics\.injection_scan\[1\]: must be an integer"),
])
def test_strict_types_name_the_key_and_the_type(changes, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(_cfg(**changes))
    assert re.search(message, _flat(exc)), _flat(exc)


@pytest.mark.hostile("configs", "correct")
def test_int_for_float_and_list_for_pair_are_legal():
    cfg = parse_config(_cfg(statistics__mjj_range=[3000, 6000], statistics__cut_eff_b=1,
                            data__mpi=False))
    assert cfg.statistics.mjj_range == (3000.0, 6000.0)
    assert cfg.statistics.cut_eff_b == 1.0 and cfg.data.mpi is False


# ----------------------------------------------------------------- detector parameters
@pytest.mark.parametrize(("detector", "message"), [
    H("n-estimators-many", {"name": "iforest", "params": {"n_estimators": "many"}},
      r"detectors\[0\]\.params: iforest: n_estimators must be an integer, got 'many'"),
    H("epochs-negative", {"name": "flow", "params": {"epochs": -1}},
      r"detectors\[0\]\.params: flow: epochs must be >= 1, got -1"),
    H("ensemble-base-bad-param", {"name": "ensemble", "params": {"base": "ae", "epochs": 0}},
      r"detectors\[0\]\.params: ensemble base 'ae': ae: epochs must be >= 1, got 0"),
    H("ensemble-unknown-base", {"name": "ensemble", "params": {"base": "aee"}},
      r"detectors\[0\]\.params: unknown detector 'aee'"),
    H("params-not-a-mapping", {"name": "iforest", "params": [1, 2]},
      r"detectors\[0\]\.params: must be a mapping, got \[1, 2\]"),
    H("unknown-param", {"name": "knn", "params": {"kk": 3}},
      r"detectors\[0\]\.params: detector 'knn' has no parameter\(s\) \['kk'\]; valid "),
])
def test_detector_parameters_are_checked_with_the_config(detector, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(_cfg(detectors=[detector]))
    assert re.search(message, _flat(exc)), _flat(exc)


@pytest.mark.hostile("configs", "error")
def test_bad_param_fails_before_anything_is_written(tmp_path):
    path = tmp_path / "c.yaml"
    body = _cfg(output=str(tmp_path / "run"),
                detectors=[{"name": "iforest", "params": {"n_estimators": "many"}}])
    path.write_text(yaml.safe_dump(body))
    with pytest.raises(ConfigError, match=r"n_estimators must be an integer"):
        run(path, quiet=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.yaml"]


# ----------------------------------------------------------------- file-level attacks
def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        refs = ",".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("text", "message"), [
    H("alias-bomb-712-bytes", "name: t\n" + _bomb(8),
      r"refused: expands to more than 100000 values .* alias bomb"),
    H("many-aliases", "name: t\nx: &x 1\nl: [" + ",".join(["*x"] * 1500) + "]\n",
      r"refused: more than 1000 aliases"),
    H("deep-nesting-flow", "name: t\nx: " + "[" * 200 + "]" * 200 + "\n",
      r"refused: nesting deeper than 64 levels; flatten the file"),
    H("python-object-tag", "name: !!python/object/apply:os.system ['true']\n",
      r"YAML tag '!!python/object/apply:os\.system' at line 1, column 7 is not allowed"),
    H("custom-tag", "name: t\ndetectors: !include other.yaml\n",
      r"YAML tag '!include' at line 2, column 12 is not allowed; .*remove the tag"),
    H("binary-tag", "name: !!binary dGVzdA==\n", r"YAML tag '!!binary'"),
    H("duplicate-key", "name: a\nname: b\n",
      r"key 'name' appears twice in one mapping \(lines 1 and 2\)"),
    H("two-documents", "name: a\n---\nname: b\n", r"not valid YAML .*single document"),
    H("nul-character", "name: t\x00\n", r"contains a NUL character"),
    H("top-level-list", "- name: t\n", r"the file must hold a mapping of keys"),
])
def test_hostile_yaml_files(tmp_path, text, message):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    if "bomb" in message:
        assert len(text.encode()) <= 712
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert re.search(message, _flat(exc)), _flat(exc)
    assert str(path) in str(exc.value)


@pytest.mark.hostile("configs", "error")
def test_huge_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "c.yaml"
    with path.open("w") as fh:
        fh.write("name: t\npad: '")
        fh.write("x" * (2 << 20))
        fh.write("'\n")
    with pytest.raises(ConfigError, match=r"bytes is larger than the 1048576 allowed"):
        load_config(path)


@pytest.mark.hostile("configs", "error")
def test_not_utf8_is_refused(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError,
                       match=r"not UTF-8 text .* save the configuration file as UTF-8"):
        load_config(path)


@pytest.mark.parametrize(("text", "message"), [
    H("toml-string-bool", 'name = "t"\n[data]\nbackground = {qcd = 200}\n'
      'signals = {wprime_wz_80 = 100}\nmpi = "false"\n[[detectors]]\nname = "iforest"\n',
      r"data\.mpi: must be true or false"),
    H("toml-datetime-value", 'name = 1979-05-27T07:32:00Z\n', r"name: must be a string"),
    H("toml-deep-arrays", "name = 't'\nx = " + "[" * 3000 + "]" * 3000 + "\n",
      r"refused: nesting (too deep to read|deeper than 64 levels)"),
    H("toml-duplicate-table", 'name = "t"\n[data]\nseed = 1\n[data]\nseed = 2\n',
      r"not valid TOML"),
    H("toml-label-traversal", 'name = "t"\n[data]\nbackground = {qcd = 200}\n'
      'signals = {wprime_wz_80 = 100}\n[[detectors]]\nname = "iforest"\nlabel = "../../x"\n',
      r"detectors\[0\]\.label: label '\.\./\.\./x' is not allowed"),
])
def test_hostile_toml_files(tmp_path, text, message):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(path)
    assert re.search(message, _flat(exc)), _flat(exc)


@pytest.mark.hostile("configs", "correct")
def test_anchors_and_merge_keys_within_bounds_are_legal(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: t\ndata:\n  background: {qcd: 200}\n  signals: {wprime_wz_80: 100}\n"
                    "detectors:\n  - &d {name: iforest, params: {n_estimators: 20}}\n"
                    "  - {<<: *d, label: iforest2}\n")
    cfg = load_config(path)
    assert [d.key for d in cfg.detectors] == ["iforest", "iforest2"]
    assert cfg.detectors[1].params == {"n_estimators": 20}


# ----------------------------------------------------------------- the run directory
def _write_run(tmp_path: Path, name: str, out: Path) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(_cfg(name=name, output=str(out))))
    return path


@pytest.mark.hostile("configs", "error")
def test_out_holding_another_configs_run_is_refused(tmp_path):
    out = tmp_path / "run"
    for sub in ("split", "models", "hunt"):
        (out / sub).mkdir(parents=True)
        (out / sub / "keep.txt").write_text(sub)
    (out / "config.json").write_text(json.dumps({"name": "other"}))
    with pytest.raises(RunDirectoryError, match=r"holds the run of another config, 'other' "
                                                r"\(this config is 't'\).*choose another "
                                                r"--out, or pass --force"):
        run(_write_run(tmp_path, "t", out), quiet=True)
    assert all((out / s / "keep.txt").read_text() == s for s in ("split", "models", "hunt"))


@pytest.mark.hostile("configs", "error")
def test_out_holding_foreign_files_is_refused_even_with_force(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("precious")
    (out / "models").mkdir()
    for force in (False, True):
        with pytest.raises(RunDirectoryError, match=r"is not empty \(chapter1\.tex, models\) "
                                                    r"and holds no sciood run"):
            run(_write_run(tmp_path, "t", out), quiet=True, force=force)
    assert (out / "chapter1.tex").read_text() == "precious"
    assert sorted(p.name for p in out.iterdir()) == ["chapter1.tex", "models"]


@pytest.mark.hostile("configs", "error")
def test_out_that_is_a_file_is_refused(tmp_path):
    out = tmp_path / "notes.txt"
    out.write_text("keep")
    with pytest.raises(RunDirectoryError, match=r"exists and is not a directory; choose another"):
        run(_write_run(tmp_path, "t", out), quiet=True)
    assert out.read_text() == "keep"


@pytest.mark.hostile("configs", "correct")
def test_claim_same_config_reuses_and_force_replaces_only_sciood_outputs(tmp_path):
    out = tmp_path / "run"
    (out / "models" / "old").mkdir(parents=True)
    (out / "config.json").write_text(json.dumps({"name": "other"}))
    (out / "mine.txt").write_text("user file")
    assert claim(out, "other") == "same"
    assert claim(out, "t", force=True) == "replace"
    from sciood.pipeline.rundir import replace

    replace(out)
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]


@pytest.mark.hostile("configs", "error")
def test_delete_through_a_symlink_out_of_the_run_is_refused(tmp_path):
    victim = tmp_path / "victim"
    (victim / "data").mkdir(parents=True)
    (victim / "data" / "important").write_text("x")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "models").symlink_to(victim)
    with pytest.raises(RunDirectoryError, match=r"outside the run directory .*remove the link"):
        remove_inside(run_dir / "models" / "data", run_dir)
    with pytest.raises(RunDirectoryError, match=r"not a plain entry of the run directory"):
        remove_inside(run_dir / "models" / "..", run_dir)
    with pytest.raises(RunDirectoryError, match=r"outside the run directory"):
        remove_inside(tmp_path / "victim", run_dir)
    remove_inside(run_dir / "models", run_dir)  # the link itself: removed as a link
    assert not (run_dir / "models").exists()
    assert (victim / "data" / "important").read_text() == "x"
    assert os.path.isdir(run_dir)
