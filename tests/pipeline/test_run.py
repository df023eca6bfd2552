"""End-to-end pipeline: outputs, stage caching, partial re-runs."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.pipeline import SCHEMA_VERSION, run

from .conftest import TINY, tiny_config


def _stages(result):
    return {r.name: r.cached for r in result.stages}


def test_first_run_writes_results_and_report(tiny_run):
    res, run_dir = tiny_run.result, tiny_run.config.run_dir
    doc = json.loads((run_dir / "results.json").read_text())
    assert doc == res.results
    assert doc["schema"] == "sciood.results" and doc["schema_version"] == SCHEMA_VERSION
    assert [d["label"] for d in doc["detectors"]] == ["iforest", "flow", "supervised"]
    sup = doc["detectors"][2]["summary"]["wprime_wz_80"]
    assert 0.5 < sup["auc"] <= 1.0          # a supervised classifier beats chance on W'
    assert doc["data"]["test_events"]["sim"] == 150 + 75
    assert doc["data"]["test_events"]["data"] == 150 + 75
    assert doc["provenance"]["versions"]["pythia8mc"]
    assert doc["statistics"]["detector"] in ("iforest", "flow")  # not the supervised one
    assert doc["statistics"]["n_injected"] == 20
    # the limit in fb: mu times Pythia's sigma x BR of the injected W' (its provenance)
    from sciood.data.cross_section import generated_cross_section_fb

    lim = doc["statistics"]["limit"]
    sigma = generated_cross_section_fb(EventSet.read(run_dir / "split" / "test-sim").provenance,
                                       "wprime_wz_80")
    assert lim["cross_section_quantity"] == "σ × BR" and lim["signal_cross_section_fb"] == sigma
    assert lim["observed_limit_fb"] == pytest.approx(lim["observed_limit_mu"] * sigma)
    assert lim["observed_limit_events"] == pytest.approx(lim["observed_limit_mu"]
                                                         * lim["signal_total"])
    assert res.report == run_dir / "report.html" and res.report.stat().st_size > 10_000
    # the sim-vs-data diagnostics stand before the robustness numbers
    html = res.report.read_text()
    assert html.index("Is the data inside the simulation?") < html.index(
        "Relative change of each metric")
    # every stage after generation was computed on the first run
    assert not any(c for n, c in _stages(res).items() if not n.startswith("generate/"))


def test_scores_align_with_test_sets(tiny_run):
    run_dir = tiny_run.config.run_dir
    test = EventSet.read(run_dir / "split" / "test-data")
    scores = EventSet.read(run_dir / "scores" / "flow" / "data")
    assert len(scores) == len(test)
    np.testing.assert_array_equal(scores.labels, test.labels)
    np.testing.assert_allclose(scores.weights, test.weights)


def test_cached_rerun_is_fast_and_identical(tiny_run):
    t0 = time.perf_counter()
    again = run(tiny_run.config, quiet=True)
    seconds = time.perf_counter() - t0
    assert again.cached, [r.name for r in again.stages if not r.cached]
    assert seconds < 0.1 * tiny_run.seconds, (seconds, tiny_run.seconds)
    assert again.results == tiny_run.result.results


def test_changed_detector_redoes_only_its_stages(tiny_run, tmp_path):
    import shutil

    run_dir = tmp_path / "changed"
    shutil.copytree(tiny_run.config.run_dir, run_dir)
    dets = [dict(d) for d in TINY["detectors"]]
    dets[0] = {"name": "iforest", "params": {"n_estimators": 60}}
    res = run(tiny_config(run_dir, detectors=dets), quiet=True)
    stages = _stages(res)
    redone = sorted(n for n, c in stages.items() if not c)
    assert redone == ["evaluate/iforest", "hunt", "report", "score/iforest/data",
                      "score/iforest/sim", "train/iforest"]
    assert res.results["detectors"][1] == tiny_run.result.results["detectors"][1]


def test_until_stops_early(tiny_run, tmp_path):
    res = run(tiny_config(tmp_path / "early"), quiet=True, until="split")
    assert res.results is None and res.report is None
    assert (tmp_path / "early" / "split" / "train" / "manifest.json").is_file()
    assert not (tmp_path / "early" / "models").exists()


def test_weakly_supervised_detectors_train_on_background_plus_injection(tiny_run, tmp_path,
                                                                         monkeypatch):
    from sciood.detectors.registry import detector_class

    dets = [TINY["detectors"][0]]
    plain = run(tiny_config(tmp_path / "plain", detectors=dets), quiet=True, until="train")
    monkeypatch.setattr(detector_class("iforest"), "trains_on_mixture", True, raising=False)
    weak = run(tiny_config(tmp_path / "weak", detectors=dets), quiet=True, until="train")
    n_plain = json.loads((tmp_path / "plain/models/iforest/train.json").read_text())["n_train"]
    n_weak = json.loads((tmp_path / "weak/models/iforest/train.json").read_text())["n_train"]
    assert n_plain == 150                      # the qcd training half
    assert n_weak == 150 + 20                  # + injected W' at the hunt's S/B (20 per 150)
    key = {r.name: r.key for r in plain.stages}["train/iforest"]
    assert {r.name: r.key for r in weak.stages}["train/iforest"] != key


def test_deleted_report_is_redrawn_from_cached_stages(tiny_run):
    # in the session's run itself (a copy elsewhere would first redraw the report for its new
    # output path); the redraw restores it, and the tests of this group run one at a time
    run_dir = tiny_run.config.run_dir
    (run_dir / "report.html").unlink()
    res = run(tiny_run.config, quiet=True)
    redone = sorted(n for n, c in _stages(res).items() if not c)
    assert redone == ["report"]
    assert res.report is not None and res.report.is_file()
