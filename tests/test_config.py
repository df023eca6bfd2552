"""sciood.config: YAML/TOML run configurations validated up front with clear messages."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from sciood.config import RunConfig, load_config, parse_config
from sciood.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]
BASE = {
    "name": "t",
    "data": {"background": {"qcd": 200}, "signals": {"wprime_wz_80": 100}},
    "detectors": [{"name": "iforest"}],
}


def _err(body: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(body)
    return " ".join(str(info.value).split())


def _with(path: str, value: object) -> dict:
    body = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = body
    for p in parents:
        node = node.setdefault(p, {})
    node[last] = value
    return body


def test_defaults():
    cfg = parse_config(BASE)
    assert cfg.output == Path("runs/t")
    assert cfg.data.variants == ["sim"]
    assert cfg.representation.columns() == ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]
    assert cfg.statistics.mjj_range == (2800.0, 6500.0)
    assert cfg.detectors[0].key == "iforest"


def test_yaml_and_toml_give_the_same_config(tmp_path):
    y = tmp_path / "c.yaml"
    y.write_text(yaml.safe_dump(BASE))
    t = tmp_path / "c.toml"
    t.write_text('name = "t"\n[data]\nbackground = {qcd = 200}\nsignals = {wprime_wz_80 = 100}\n'
                 '[[detectors]]\nname = "iforest"\n')
    assert load_config(y) == load_config(t)
    assert load_config(y).digest() == load_config(t).digest()


def test_sim_is_first_variant():
    cfg = parse_config(_with("data.variants", ["data", "sim"]))
    assert cfg.data.variants == ["sim", "data"]
    assert "must include 'sim'" in _err(_with("data.variants", ["data"]))


@pytest.mark.parametrize(("path", "value", "message"), [
    ("data.background", {"qcd": -1}, "data.background: event counts must be integers >= 2"),
    ("data.background", {"qcdd": 10}, "data.background.qcdd: unknown process 'qcdd'"),
    ("data.signals", {"qcd": 10}, "data.signals.qcd: 'qcd' is a background process"),
    ("data.variants", ["sim", "dat"], "data.variants[1]: Input should be 'sim', 'data'"),
    ("data.injection", {"process": "xy_qqqq", "n": 5}, "'xy_qqqq' is not in data.signals"),
    ("data.process_file", "missing.toml", "'missing.toml' does not exist"),
    ("detectors", [{"name": "flwo"}], "unknown detector 'flwo' (did you mean 'flow'?)"),
    ("detectors", [{"name": "iforest", "params": {"trees": 5}}], "no parameter(s) ['trees']"),
    ("detectors", [{"name": "knn"}, {"name": "knn"}], "labels ['knn'] repeat"),
    ("detectors", [], "detectors: List should have at least 1 item"),
    ("representation.features", "lhcoo", "unknown feature set 'lhcoo'"),
    ("representation.features", ["mj1", "mjj2"], "unknown feature 'mjj2'"),
    ("evaluation.metrics", ["auroc"], "unknown metric 'auroc'"),
    ("evaluation.classes", ["ttbar"], "['ttbar'] are not classes of this run"),
    ("evaluation.working_points.eff_s", [1.5], "efficiencies in (0, 1)"),
    ("statistics.mjj_range", [4000, 3000], "0 <= lo < hi"),
    ("statistics.detector", "ae", "'ae' is not a detector label of this run"),
    ("compute", {"scheduler": "tcp://h:1", "workers": 2}, "not both"),
    ("name", "a b", "name: name 'a b' is not allowed: it names a directory, so it must match"),
])
def test_invalid_values_name_the_key(path, value, message):
    assert message in _err(_with(path, value))


def test_unknown_keys_list_allowed_ones():
    msg = _err({**BASE, "detecotrs": []})
    assert "detecotrs: unknown key (did you mean 'detectors'?)" in msg
    assert "allowed keys here: compute, data, detectors" in msg
    msg = _err(_with("data.seeds", 3))
    assert "data.seeds: unknown key (did you mean 'seed'?)" in msg
    msg = _err(_with("detectors", [{"name": "iforest", "param": {}}]))
    assert "detectors[0].param: unknown key (did you mean 'params'?)" in msg


def test_every_problem_is_listed():
    body = _with("data.background", {"qcd": -1})
    body["detectors"] = [{"name": "nope"}]
    msg = _err(body)
    assert "data.background" in msg and "detectors[0].name" in msg


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "none.yaml")
    bad = tmp_path / "c.yaml"
    bad.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    other = tmp_path / "c.json"
    other.write_text("{}")
    with pytest.raises(ConfigError, match=r"use \.yaml, \.yml or \.toml"):
        load_config(other)
    listy = tmp_path / "l.yaml"
    listy.write_text("- 1\n")
    with pytest.raises(ConfigError, match="must hold a mapping"):
        load_config(listy)


@pytest.mark.parametrize("name", ["demo.yaml", "stress.yaml", "dijet_rnd.yaml"])
def test_examples_are_valid(name):
    path = ROOT / "examples" / name
    if not path.is_file():
        pytest.skip(f"{name} not written yet")
    assert isinstance(load_config(path), RunConfig)


def test_idealized_is_refused_in_a_run_config(tmp_path):
    """The pipeline has no independent background sample for the idealized detector."""
    from sciood.config import DetectorSpec

    with pytest.raises(ValueError, match="independent background"):
        DetectorSpec(name="idealized")


def test_config_package_keeps_its_names():
    """``sciood.config`` is a package (one module per section) with the same public names."""
    import sciood.config as config

    assert sorted(config.__all__) == [
        "ComputeConfig", "DataConfig", "DetectorSpec", "EvaluationConfig", "InjectionConfig",
        "NAME_PATTERN", "RepresentationConfig", "RunConfig", "StatisticsConfig",
        "WorkingPoints", "load_config", "parse_config"]
    for name in config.__all__:
        assert getattr(config, name) is not None
    from sciood.config import NAME_MAX, check_path_name

    assert check_path_name("ok_1.2", "label") == "ok_1.2" and NAME_MAX == 100
    with pytest.raises(ValueError, match="must match"):
        check_path_name("../up", "label")


def test_statistics_section_is_the_hunt_settings():
    """The run's hunt settings come from the section, validated as HuntSettings."""
    cfg = parse_config({**BASE, "statistics": {"toys": 9, "model": "dijet3",
                                               "mjj_range": [3000, 6000], "cut_eff_b": 0.2}})
    s = cfg.statistics.to_settings()
    assert (s.n_toys, s.model, s.mjj_range, s.cut_eff_b) == (9, "dijet3", (3000.0, 6000.0), 0.2)
    with pytest.raises(ConfigError, match=r"statistics\.method"):
        parse_config({**BASE, "statistics": {"method": "sliding"}})
