"""Lock public names and signatures of sciood.metrics / sciood.evaluate; run doc examples."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import sciood

METRICS = {
    "roc_curve", "sic_curve", "max_sic", "rejection_at", "efficiency_at", "auc",
    "average_precision", "fpr_at_tpr", "bootstrap", "ece", "reliability_curve",
    "temperature_scale", "isotonic_calibrate", "sculpting_jsd",
}
EVALUATE = {"evaluate", "compare", "ResultTable", "score_correlations", "top_anomalies",
            "latent_view", "evaluate_variants"}


def test_exports():
    m = importlib.import_module("sciood.metrics")
    e = importlib.import_module("sciood.evaluate")
    assert set(m.__all__) >= METRICS and set(e.__all__) >= EVALUATE
    for mod in (m, e):
        for name in mod.__all__:
            assert hasattr(mod, name), name
    assert sciood.evaluate.evaluate is e.evaluate  # lazy sub-package access


def test_signatures():
    m = importlib.import_module("sciood.metrics")
    e = importlib.import_module("sciood.evaluate")
    for name in ("roc_curve", "sic_curve", "max_sic", "auc", "average_precision"):
        assert list(inspect.signature(getattr(m, name)).parameters)[:3] == [
            "y", "score", "sample_weight"]
    assert list(inspect.signature(m.rejection_at).parameters)[:3] == ["y", "score", "eff_s"]
    assert list(inspect.signature(m.efficiency_at).parameters)[:3] == ["y", "score", "eps_b"]
    assert inspect.signature(m.fpr_at_tpr).parameters["tpr"].default == 0.95
    assert inspect.signature(m.max_sic).parameters["min_background"].default == 50
    b = inspect.signature(m.bootstrap).parameters
    assert list(b)[:6] == ["metric", "y", "score", "sample_weight", "n", "seed"]
    assert b["n"].default == 200
    sj = inspect.signature(m.sculpting_jsd).parameters
    assert list(sj)[:5] == ["observable", "score", "y", "eff_s", "bins"]
    assert sj["eff_s"].default == 0.5 and sj["bins"].default == 50
    ev = inspect.signature(e.evaluate).parameters
    assert list(ev)[:2] == ["scores", "eventset"]
    for kw in ("metrics", "working_points", "n_bootstrap", "seed"):
        assert ev[kw].kind is inspect.Parameter.KEYWORD_ONLY
    assert ev["n_bootstrap"].default == 200 and ev["seed"].default == 0
    for meth in ("to_pandas", "to_json", "to_dict", "to_markdown"):
        assert callable(getattr(e.ResultTable, meth))


@pytest.mark.parametrize("module", [
    "sciood.metrics.ranking", "sciood.metrics.bootstrap", "sciood.metrics.calibration",
    "sciood.metrics.sculpting", "sciood.evaluate.suite", "sciood.evaluate.robustness",
    "sciood.evaluate.failure",
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
