"""The default detector: what a run uses when its config names no ``detectors``.

Real samples (Pythia 8 + detector + FastJet, cached, MPI off); cross-checks that can fail: a
config without the key runs exactly :data:`DEFAULT_DETECTOR` (an empty list stays an error),
the run's parameter filling keeps it valid, and the detector fits, separates a two-prong
signal from QCD, and saves / loads to the same scores.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sciood.config import parse_config
from sciood.detectors import DEFAULT_DETECTOR, make
from sciood.detectors.contract import load
from sciood.detectors.default import default_detector
from sciood.errors import ConfigError
from sciood.metrics import auc
from sciood.pipeline.models import detector_params

BODY = {"name": "t", "data": {"background": {"qcd": 200}, "signals": {"wprime_wz_80": 100}}}


def test_config_without_detectors_runs_the_default() -> None:
    before = copy.deepcopy(DEFAULT_DETECTOR)
    cfg = parse_config(BODY)
    assert len(cfg.detectors) == 1
    spec = cfg.detectors[0]
    assert spec.key == "default" == DEFAULT_DETECTOR["label"]
    assert spec.name == DEFAULT_DETECTOR["name"]
    assert spec.params == DEFAULT_DETECTOR["params"]
    # the same as naming it explicitly
    assert parse_config({**BODY, "detectors": [default_detector()]}).digest() == cfg.digest()
    spec.params["members"][0]["space"] = "gauss"  # the config holds a copy
    assert before == DEFAULT_DETECTOR
    assert default_detector() == DEFAULT_DETECTOR and default_detector() is not DEFAULT_DETECTOR


def test_an_empty_detector_list_is_still_an_error() -> None:
    with pytest.raises(ConfigError, match="detectors: List should have at least 1 item"):
        parse_config({**BODY, "detectors": []})


def test_default_label_is_a_directory_name() -> None:
    label = DEFAULT_DETECTOR["label"]
    assert label.replace("_", "").replace("-", "").isalnum()


def test_default_detector_fits_scores_saves_and_loads(make_sample, tmp_path) -> None:
    from sciood.data.eventset import EventSet

    bg = make_sample("qcd_rnd", 3000, 41, mpi=False)
    sig = make_sample("xy_qqqq", 400, 43, mpi=False)
    train, test_bg = bg.select(np.arange(0, len(bg), 2)), bg.select(np.arange(1, len(bg), 2))
    cfg = parse_config(BODY)
    params = detector_params(cfg.detectors[0], cfg)  # what the pipeline passes (seed, ...)
    det = make(DEFAULT_DETECTOR["name"], **params).fit(train)
    test = EventSet.concat([test_bg, sig])
    s = det.score(test)
    assert s.shape == (len(test),) and np.isfinite(s).all()
    y = test.is_signal.astype(int)
    a = auc(y, s)
    assert a > 0.75, a  # a two-prong resonance stands out
    # background: Stouffer of held-out jet p-values is ≈ N(0, 1) (mean near 0)
    assert abs(float(np.mean(s[y == 0]))) < 0.3
    det.save(tmp_path / "m")
    again = load(tmp_path / "m")
    np.testing.assert_allclose(again.score(test), s, rtol=0, atol=1e-10)


def test_event_level_member_adds_one_calibrated_pvalue(make_sample) -> None:
    from scipy import stats

    from sciood.represent.hlf import jet_features

    feats = ["mj{j}_sd", "nconst_j{j}", "tau21_j{j}"]
    X = jet_features(make_sample("qcd_rnd", 3000, 41, mpi=False), feats)
    train, held = X[::2], X[1::2]
    member = {"space": "raw", "jet_features": ["mj{j}_sd", "tau21_j{j}"], "aggregate": "joint"}
    det = make("per_jet", base="gmm", n_components=4, aggregate="stouffer", seed=0,
               members=[member]).fit(train)
    lp = det.jet_log_pvalues(held)
    assert lp.shape == (len(held), 3)  # (j1, j2) of the main model, one event p-value
    # the event column is the standalone joint model's score, calibrated: uniform on QCD
    alone = make("per_jet", base="gmm", n_components=4, space="raw", aggregate="joint",
                 jet_features=member["jet_features"], seed=0).fit(train[:, :, [0, 2]])
    assert stats.spearmanr(lp[:, 2], -alone.score(held[:, :, [0, 2]])).statistic > 0.999
    assert stats.kstest(np.exp(lp[:, 2]), "uniform").statistic < 0.06
    with pytest.raises(ConfigError, match=r"members\[0\] must be a dict"):
        make("per_jet", aggregate="stouffer", members=[{**member, "aggregate": "min"}]).fit(train)
