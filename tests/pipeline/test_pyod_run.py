"""PyOD detectors in a run: the tiny config with ``pyod:ECOD``, ``pyod:IForest``, ``pyod:KNN``.

The generated QCD sample carries non-uniform event weights, which PyOD's ``fit`` cannot take:
the run config asks for a weighted resample (``weighting: resample``), and without it the
training stage refuses with the fix in the message.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sciood.config import parse_config
from sciood.data.eventset import EventSet
from sciood.detectors import Detector
from sciood.errors import ConfigError
from sciood.pipeline import run

from .conftest import TINY, tiny_config

pytest.importorskip("pyod")

pytestmark = pytest.mark.xdist_group("pipeline")

PYOD = [{"name": "pyod:ECOD"}, {"name": "pyod:IForest"}, {"name": "pyod:KNN"}]


def test_a_config_with_pyod_detectors_validates(tmp_path) -> None:
    cfg = tiny_config(tmp_path / "v", detectors=PYOD)
    assert [d.key for d in cfg.detectors] == ["pyod-ECOD", "pyod-IForest", "pyod-KNN"]
    body = {**TINY, "output": str(tmp_path / "w"),
            "detectors": [{"name": "pyod:ECODE"}]}
    with pytest.raises(ConfigError, match="did you mean pyod:ECOD"):
        parse_config(body)


def test_pyod_detectors_in_the_class_conditional_evaluation(tmp_path) -> None:
    resample = {"weighting": "resample"}
    dets = [{**d, "params": {**resample, **({"n_estimators": 50}
                                            if d["name"] == "pyod:IForest" else {})}}
            for d in PYOD]
    cfg = tiny_config(tmp_path / "pyod", detectors=dets,
                      statistics={"toys": 3, "injection_scan": [0], "brazil": False,
                                  "limit": False})
    res = run(cfg, quiet=True)
    doc = json.loads((cfg.run_dir / "results.json").read_text())
    assert [d["label"] for d in doc["detectors"]] == ["pyod-ECOD", "pyod-IForest", "pyod-KNN"]
    assert [d["name"] for d in doc["detectors"]] == ["pyod:ECOD", "pyod:IForest", "pyod:KNN"]
    for block in doc["detectors"]:
        auc = block["summary"]["wprime_wz_80"]["auc"]
        assert 0.0 <= auc <= 1.0 and block["table"], block["label"]
    assert doc["statistics"]["detector"] in ("pyod-ECOD", "pyod-IForest", "pyod-KNN")
    assert res.report is not None and res.report.stat().st_size > 10_000
    # the stored scores are the saved model's scores of the test events
    test = EventSet.read(cfg.run_dir / "split" / "test-sim")
    model = Detector.load(cfg.run_dir / "models" / "pyod-ECOD" / "model")
    stored = EventSet.read(cfg.run_dir / "scores" / "pyod-ECOD" / "sim")
    np.testing.assert_array_equal(stored.column("score"), model.score(test))


def test_weighted_training_events_are_refused_with_the_fix(tmp_path) -> None:
    cfg = tiny_config(tmp_path / "refused", detectors=[{"name": "pyod:ECOD"}])
    with pytest.raises(ConfigError, match=r"pyod:ECOD: PyOD's ECOD.fit takes no per-event "
                                          r"weights.*params: \{weighting: resample\}"):
        run(cfg, quiet=True, until="train")
