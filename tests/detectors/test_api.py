"""Lock the public names and key signatures of sciood.detectors; run its doc examples."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

#: module -> its exact ``__all__`` (equality, not a superset: a new public name is a decision)
PUBLIC = {
    "sciood.detectors": ["DEFAULT_DETECTOR", "Detector", "as_pyod", "available",
                         "check_params", "load", "make", "register"],
    "sciood.detectors.default": ["DEFAULT_DETECTOR", "default_detector"],
    "sciood.detectors.base": ["MODEL_FORMAT", "TRUSTED_SKOPS_TYPES", "Detector", "available",
                              "check_params", "load", "make", "register"],
    "sciood.detectors.contract": ["Detector", "load"],
    "sciood.detectors.crossfit": ["out_of_fold_scores"],
    "sciood.detectors.registry": ["BUILTIN", "ENTRY_POINT_GROUP", "PYOD_LISTED", "PYOD_PREFIX",
                                  "available", "detector_class", "make", "register"],
    "sciood.detectors.pyod_adapter": ["LISTED", "PREFIX", "PyODDetector", "pyod_class",
                                      "pyod_detector_class", "pyod_models"],
    "sciood.detectors.pyod_api": ["PyODView", "as_pyod"],
    "sciood.detectors.pyod_ecdf": ["ECDF_MODELS", "EcdfState", "ecdf_scores"],
    "sciood.detectors.pyod_state": ["REFIT_ON_LOAD", "SCRATCH", "get_state", "set_state"],
    "sciood.detectors.params": ["COUNT_PARAMS", "NONNEGATIVE_PARAMS", "POSITIVE_PARAMS",
                                "canonical", "check_base_params", "check_class_params",
                                "check_params", "extra_params"],
    "sciood.detectors.inputs": ["MAX_ABS_INPUT", "MAX_STANDARDISED", "SCORE_BLOCK",
                                "LabelKind", "check_labels", "check_magnitude", "check_vector",
                                "finite_array", "score_in_blocks"],
    "sciood.detectors.persistence": ["MODEL_FORMAT", "full_state", "load_model",
                                     "restore_full_state", "save_model"],
    "sciood.detectors.sklearn_parts": ["REFIT", "TRUSTED_SKOPS_TYPES", "check_estimator",
                                       "load_skops"],
    "sciood.detectors.classical": ["GMM", "KNN", "IsolationForestDetector", "Mahalanobis",
                                   "positive_part", "weighted_resample"],
    "sciood.detectors.decorrelate": ["Decorrelator", "distance_correlation",
                                     "distance_correlation_sq"],
    "sciood.detectors.weak": ["Anode", "CWoLa", "Cathode", "Idealized", "need_observable",
                              "sample_observable", "sideband_masks"],
    "sciood.detectors.uncertainty": ["Ensemble", "MCDropout", "member_seeds"],
    "sciood.detectors.perjet": ["AGGREGATES", "JetPValue", "PerJet"],
    "sciood.detectors.invariance": ["METHODS", "Invariance", "InvariancePenalty",
                                    "check_environment", "environment_drift", "environments",
                                    "grad_reverse"],
    "sciood.detectors.parameterised": ["BASES", "NuisanceParameterised", "nuisance_of"],
    "sciood.scoring": ["DEFAULT_BATCH_SIZE", "needed_columns", "score_events", "score_store"],
}


@pytest.mark.parametrize("module", sorted(PUBLIC))
def test_exact_public_names(module: str) -> None:
    mod = importlib.import_module(module)
    assert sorted(mod.__all__) == sorted(PUBLIC[module])
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.{name}"


def test_weights_are_keyword_only_sample_weight() -> None:
    from sciood.detectors import Detector
    from sciood.detectors.classical import weighted_resample
    from sciood.detectors.decorrelate import distance_correlation_sq
    from sciood.detectors.pyod_api import PyODView
    from sciood.detectors.weak import sample_observable

    for fn in (Detector.fit, Detector.fit_score, weighted_resample, distance_correlation_sq,
               sample_observable, PyODView.fit):
        p = inspect.signature(fn).parameters["sample_weight"]
        assert p.kind is p.KEYWORD_ONLY, fn.__qualname__
    assert list(inspect.signature(Detector.fit).parameters)[:3] == ["self", "X", "y"]
    assert inspect.signature(Detector.get_params).parameters["deep"].default is True
    assert list(inspect.signature(Detector.decision_function).parameters) == ["self", "X"]


@pytest.mark.parametrize("module", ["sciood.detectors", "sciood.detectors.registry",
                                    "sciood.detectors.params", "sciood.detectors.inputs",
                                    "sciood.detectors.sklearn_parts",
                                    "sciood.detectors.contract", "sciood.detectors.classical",
                                    "sciood.detectors.pyod_api",
                                    "sciood.detectors.pyod_adapter"])
def test_doc_examples_run(module: str) -> None:
    mod = importlib.import_module(module)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
