"""Lock public names and signatures of sciood.metrics / sciood.evaluate; run doc examples."""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
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
    # labels first, as every metric (the pre-0.2 order was observable, score, y)
    assert list(sj)[:5] == ["y", "score", "observable", "eff_s", "bins"]
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
    "sciood.metrics.sculpting", "sciood.metrics.curve", "sciood.metrics.streaming",
    "sciood.metrics.inputs", "sciood.metrics.sorting", "sciood.metrics.conformal",
    "sciood.evaluate.shift",
    "sciood.evaluate.suite", "sciood.evaluate.robustness", "sciood.evaluate.failure",
    "sciood.evaluate.registry", "sciood.evaluate.table", "sciood.evaluate.classwise",
    "sciood.evaluate.loco",
])
def test_docstring_examples(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# --- one name per concept: per-event weights ------------------------------------------------
#: Parameter names that would carry per-event weights under another spelling.
WEIGHT_SPELLINGS = {"weights", "weight", "w", "wt", "sample_weights", "event_weights"}
#: Converters whose *subject* is the weight array itself (first positional argument).
WEIGHT_CONVERTERS = {"sciood.metrics.inputs.as_weights", "sciood.metrics.inputs.normalise_weights"}


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    """Every public function and public method of every public class in the two packages."""
    seen: set[int] = set()
    for pkg_name in ("sciood.metrics", "sciood.evaluate"):
        pkg = importlib.import_module(pkg_name)
        modules = [pkg] + [importlib.import_module(f"{pkg_name}.{info.name}")
                           for info in pkgutil.iter_modules(pkg.__path__)
                           if not info.name.startswith("_")]
        for mod in modules:
            for name in getattr(mod, "__all__", []):
                obj = getattr(mod, name)
                if not getattr(obj, "__module__", "").startswith(pkg_name) or id(obj) in seen:
                    continue
                seen.add(id(obj))
                if inspect.isfunction(obj):
                    yield f"{obj.__module__}.{obj.__qualname__}", obj
                elif inspect.isclass(obj):
                    for meth_name, meth in vars(obj).items():
                        fn = meth.__func__ if isinstance(meth, classmethod | staticmethod) else meth
                        if inspect.isfunction(fn) and (not meth_name.startswith("_")
                                                       or meth_name == "__call__"):
                            yield f"{obj.__module__}.{fn.__qualname__}", fn


def weight_problems(qualname: str, fn: Callable[..., Any]) -> list[str]:
    """What is wrong with how ``fn`` spells and places its per-event weights (empty: fine)."""
    params = inspect.signature(fn).parameters
    problems = []
    if qualname in WEIGHT_CONVERTERS:
        return problems
    sw = params.get("sample_weight")
    if sw is not None and sw.kind is not inspect.Parameter.KEYWORD_ONLY:
        problems.append(f"{qualname}: sample_weight is {sw.kind.description}, not keyword-only")
    for name, p in params.items():
        if name not in WEIGHT_SPELLINGS:
            continue
        alias = (name == "weights" and sw is not None and p.default is None
                 and p.kind is inspect.Parameter.KEYWORD_ONLY)
        if not alias:  # only allowed as the deprecated keyword alias next to sample_weight
            problems.append(f"{qualname}: per-event weights spelled {name!r}")
    names = list(params)
    if "y" in names and "score" in names and names.index("y") > names.index("score"):
        problems.append(f"{qualname}: (score, y) order; the order is (y, score)")
    return problems


def test_weights_are_keyword_only_sample_weight_everywhere():
    found = dict(_public_callables())
    # the walk must see the functions that take weights (it cannot pass by finding nothing)
    for must in ("sciood.metrics.ranking.auc", "sciood.metrics.bootstrap.bootstrap_many",
                 "sciood.metrics.sculpting.sculpting_jsd", "sciood.metrics.honest.max_sic_honest",
                 "sciood.metrics.streaming.ScoreHistogram.fill",
                 "sciood.metrics.curve.ranking_curve",
                 "sciood.metrics.calibration.ece", "sciood.evaluate.classwise.evaluate",
                 "sciood.evaluate.failure.distance_correlation"):
        assert must in found, must
    assert sum("sample_weight" in inspect.signature(f).parameters for f in found.values()) >= 18
    problems = [p for q, f in sorted(found.items()) for p in weight_problems(q, f)]
    assert problems == []


def test_weight_checker_flags_the_old_spellings():
    def positional(y, score, sample_weight=None):  # the pre-0.2 signature of auc
        return y

    def old_name(y, score, weights=None):
        return y

    def alias(y, score, *, sample_weight=None, weights=None):
        return y

    def reversed_order(observable, score, y, *, sample_weight=None):
        return y

    assert weight_problems("positional", positional) == [
        "positional: sample_weight is positional or keyword, not keyword-only"]
    assert weight_problems("old_name", old_name) == [
        "old_name: per-event weights spelled 'weights'"]
    assert weight_problems("alias", alias) == []
    assert weight_problems("reversed_order", reversed_order) == [
        "reversed_order: (score, y) order; the order is (y, score)"]


def _toy(seed: int = 0, n: int = 2000) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = (rng.uniform(size=n) < 0.3).astype(int)
    m = rng.exponential(500.0, n) + 1000.0
    s = rng.normal(y, 1.0) + 1e-3 * m
    w = rng.uniform(0.5, 2.0, n)
    return y, s, m, w


@pytest.mark.parametrize("call", [
    lambda m, y, s, w: m.auc(y, s, w),
    lambda m, y, s, w: m.max_sic(y, s, w),
    lambda m, y, s, w: m.rejection_at(y, s, 0.5, w),
    lambda m, y, s, w: m.bootstrap("auc", y, s, w, 10),
    lambda m, y, s, w: m.ranking_curve(y, s, w),
    lambda m, y, s, w: m.ece(y, 1 / (1 + np.exp(-s)), w),
])
def test_positional_weights_raise_type_error(call):
    m = importlib.import_module("sciood.metrics")
    y, s, _, w = _toy()
    with pytest.raises(TypeError, match="positional"):
        call(m, y, s, w)


def test_sculpting_old_argument_order_still_reads_with_a_warning():
    m = importlib.import_module("sciood.metrics")
    y, s, obs, w = _toy(1)
    new = m.sculpting_jsd(y, s, obs, sample_weight=w, bins=20)
    with pytest.warns(FutureWarning, match=r"sculpting_jsd\(y, score, observable\)"):
        old = m.sculpting_jsd(obs, s, y, sample_weight=w, bins=20)
    assert old == new and new.jsd > 0
    new_b = m.sculpting_bump(y, s, obs, bins=20, n_null=20)
    with pytest.warns(FutureWarning, match="sculpting_bump"):
        assert m.sculpting_bump(obs, s, y, bins=20, n_null=20) == new_b
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new order never warns
        m.sculpting_jsd(y, s, obs, bins=20)


def test_sculpting_ambiguous_call_reads_the_new_order():
    """Both first and third arguments are 0/1 arrays: no swap, no warning (documented)."""
    m = importlib.import_module("sciood.metrics")
    y, s, _, _ = _toy(2)
    binary_obs = (np.random.default_rng(3).uniform(size=y.size) < 0.5).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = m.sculpting_jsd(y, s, binary_obs, bins=2, range=(0.0, 1.0))
    ref = m.sculpting_jsd(y, s, observable=binary_obs, bins=2, range=(0.0, 1.0))
    assert r == ref


def test_spec_working_points_alias():
    e = importlib.import_module("sciood.evaluate")
    suite = importlib.import_module("sciood.evaluate.suite")
    assert e.SPEC_WORKING_POINTS is e.DEFAULT_WORKING_POINTS is suite.SPEC_WORKING_POINTS
    assert e.DEFAULT_WORKING_POINTS == {"eff_s": (0.2, 0.3, 0.5),
                                        "eps_b": (1e-2, 1e-3, 1e-4, 1e-5)}


def test_old_module_paths_reexport_the_moved_code():
    ranking = importlib.import_module("sciood.metrics.ranking")
    curve = importlib.import_module("sciood.metrics.curve")
    inputs = importlib.import_module("sciood.metrics.inputs")
    sorting = importlib.import_module("sciood.metrics.sorting")
    assert ranking.RankingCurve is curve.RankingCurve
    assert ranking.ranking_curve is curve.ranking_curve
    assert ranking.check_inputs is inputs.check_inputs
    assert ranking.MetricWarning is inputs.MetricWarning
    assert ranking.sort_order is sorting.sort_order and ranking.argsort_desc is sorting.argsort_desc
    suite = importlib.import_module("sciood.evaluate.suite")
    e = importlib.import_module("sciood.evaluate")
    assert suite.evaluate.__module__ == "sciood.evaluate.classwise"
    assert suite.ResultTable.__module__ == "sciood.evaluate.table"
    assert suite.register_metric.__module__ == "sciood.evaluate.registry"
    assert suite.sculpting_table.__module__ == "sciood.evaluate.sculpting"
    for name in set(suite.__all__) & set(e.__all__):
        assert getattr(e, name) is getattr(suite, name), name


#: Exact public names of every module of the two packages (equality, not a superset).
PUBLIC_NAMES = {
    "sciood.metrics": {"BootstrapResult", "Calibrator", "ConformalPValues",
        "DEFAULT_MIN_BACKGROUND",
        "HONEST_METHOD", "HonestMaxSIC", "LikelihoodRatio", "MetricWarning", "RankingCurve",
        "ScoreHistogram",
        "SculptingBump", "SculptingResult", "auc", "average_precision", "bootstrap",
        "bootstrap_many", "calibrated_likelihood_ratio", "conformal_pvalues", "ece",
        "efficiency_at", "fpr_at_tpr",
        "histogram_store",
        "isotonic_calibrate", "max_sic", "max_sic_honest", "platt_scale", "prior_shift",
        "ranking_curve", "rejection_at",
        "reliability_curve", "roc_curve", "sculpting_bump", "sculpting_jsd", "sic_curve",
        "summary", "temperature_scale"},
    "sciood.metrics.bootstrap": {"BootstrapResult", "CURVE_METRICS", "bootstrap",
        "bootstrap_many", "curve_metric"},
    "sciood.metrics.calibration": {"Calibrator", "ece", "isotonic_calibrate", "platt_scale",
        "prior_shift", "reliability_curve", "temperature_scale"},
    "sciood.metrics.conformal": {"ConformalPValues", "conformal_pvalues"},
    "sciood.evaluate.shift": {"ShiftDiagnostic", "shift_diagnostic"},
    "sciood.metrics.curve": {"DEFAULT_MIN_BACKGROUND", "RankingCurve", "ranking_curve"},
    "sciood.metrics.likelihood_ratio": {"LikelihoodRatio", "calibrated_likelihood_ratio"},
    "sciood.metrics.honest": {"HONEST_METHOD", "HonestMaxSIC", "max_sic_honest"},
    "sciood.metrics.inputs": {"MetricWarning", "as_column", "as_labels", "as_scores",
        "as_weights", "check_inputs", "normalise_weights"},
    "sciood.metrics.ranking": {"DEFAULT_MIN_BACKGROUND", "MetricWarning", "RankingCurve",
        "argsort_desc", "as_column", "as_labels", "as_scores", "as_weights", "auc",
        "average_precision", "check_inputs", "efficiency_at", "fpr_at_tpr", "max_sic",
        "normalise_weights", "ranking_curve", "rejection_at", "roc_curve", "sic_curve"},
    "sciood.metrics.sculpting": {"SculptingBump", "SculptingResult", "jsd", "sculpting_bump",
        "sculpting_jsd"},
    "sciood.metrics.sorting": {"argsort_desc", "sort_order"},
    "sciood.metrics.streaming": {"DEFAULT_BINS", "DEFAULT_SAMPLE", "ScoreHistogram",
        "histogram_store", "quantile_edges", "store_edges", "summary", "uniform_edges"},
    "sciood.evaluate": {"ALL_BACKGROUNDS", "ALL_SIGNALS", "Cell", "DEFAULT_METRICS",
        "DEFAULT_WORKING_POINTS", "DeltaTable", "LOCOTable", "LatentView", "METRICS",
        "MetricSpec", "ResultTable", "ShiftDiagnostic", "SPEC_WORKING_POINTS",
        "available_metrics", "compare",
        "distance_correlation", "evaluate", "evaluate_variants", "get_metric", "latent_view",
        "leave_one_class_out", "register_metric", "score_correlations", "sculpting_table",
        "shift_diagnostic",
        "top_anomalies"},
    "sciood.evaluate.classwise": {"evaluate"},
    "sciood.evaluate.loco": {"LOCO_WORKING_POINTS", "LOCOTable", "leave_one_class_out",
        "rest_name"},
    "sciood.evaluate.failure": {"LatentView", "default_columns", "distance_correlation",
        "latent_view", "score_correlations", "top_anomalies"},
    "sciood.evaluate.registry": {"DEFAULT_METRICS", "DEFAULT_WORKING_POINTS", "METRICS",
        "MetricSpec", "SELECTION_METRICS", "available_metrics", "get_metric", "register_metric",
        "working_point_metrics"},
    "sciood.evaluate.robustness": {"DeltaTable", "compare", "evaluate_variants"},
    "sciood.evaluate.sculpting": {"sculpting_table"},
    "sciood.evaluate.suite": {"ALL_BACKGROUNDS", "ALL_SIGNALS", "Cell", "DEFAULT_METRICS",
        "DEFAULT_WORKING_POINTS", "METRICS", "MetricSpec", "ResultTable", "SELECTION_METRICS",
        "SPEC_WORKING_POINTS", "available_metrics", "evaluate", "get_metric", "register_metric",
        "sculpting_table", "working_point_metrics"},
    "sciood.evaluate.table": {"ALL_BACKGROUNDS", "ALL_SIGNALS", "Cell", "ResultTable"},
}


@pytest.mark.parametrize("module", sorted(PUBLIC_NAMES))
def test_public_names_exact(module):
    mod = importlib.import_module(module)
    assert set(mod.__all__) == PUBLIC_NAMES[module]
    assert len(mod.__all__) == len(set(mod.__all__))  # no duplicates
    for name in mod.__all__:
        assert hasattr(mod, name), name


def test_every_module_is_locked():
    for pkg in ("sciood.metrics", "sciood.evaluate"):
        path = importlib.import_module(pkg).__path__
        mods = {pkg} | {f"{pkg}.{i.name}" for i in pkgutil.iter_modules(path)}
        assert mods <= set(PUBLIC_NAMES), sorted(mods - set(PUBLIC_NAMES))
