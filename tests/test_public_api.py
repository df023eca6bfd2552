"""Lock the public API: names other tools depend on (see the issues' contracts)."""

from __future__ import annotations

import importlib
import inspect

import pytest

import sciood


def test_top_level_names():
    assert set(sciood.__all__) >= {"EventSet", "generate", "__version__", "SciOODError"}
    for name in sciood.__all__:
        assert hasattr(sciood, name), name


def test_generate_contract():
    assert callable(sciood.generate)
    run = importlib.import_module("sciood.generate.run")  # must not shadow the function
    assert callable(sciood.generate)
    sig = inspect.signature(run.generate)
    params = sig.parameters
    assert list(params)[:2] == ["process", "n_events"]
    for kw in ("seed", "variant", "out", "process_file"):
        assert params[kw].kind is inspect.Parameter.KEYWORD_ONLY
    assert params["variant"].default == "sim"


def test_eventset_contract():
    es = sciood.EventSet
    assert callable(es.read) and callable(es.to_numpy)
    assert isinstance(inspect.getattr_static(es, "columns"), property)


#: Exact public names of every package facade not locked by its own package's API test
#: (metrics/evaluate: tests/metrics/test_api.py; stats: tests/stats/test_api.py; detectors and
#: scoring: tests/detectors/test_api.py; plot: tests/plot; config: tests/test_config.py;
#: generate's modules: tests/generate/test_reexports.py).  Equality, not a superset: a name
#: added or dropped by accident fails here.
FACADES: dict[str, set[str]] = {
    "sciood": {"ConfigError", "CorruptDataError", "DataError", "EventSet", "NotFittedError",
               "SciOODError", "__version__", "errors", "generate"},
    "sciood.data": {"EventSet"},
    "sciood.data.adapters": {"FORMATS", "PandasFixedFrame", "build_eventset",
                             "read_lhco_features", "read_lhco_lowlevel", "read_root_jets",
                             "read_source_file", "read_table", "write_scores"},
    "sciood.represent": {"FEATURE_SETS", "Gaussianizer", "JET_FEATURES", "SET_CHANNELS",
                         "Standardizer", "available", "event_images", "high_level_features",
                         "jet_features", "jet_images", "jet_particle_features", "particle_sets",
                         "represent"},
    "sciood.reco": {"EVENT_COLUMNS", "FEATURES", "TRUTH_LABELS", "EventObjects", "JetBatch",
                    "JetResponse",
                    "Reconstructed", "Selection", "TruthParticles", "cluster_and_select",
                    "nsubjettiness", "softdrop_mass", "truth_from_record"},
    "sciood.distributed": {"check_shared_path", "connect", "current_client", "run_tasks",
                           "single_thread", "use_client"},
    "sciood.report": {"DetectorResult", "REPORT_NAME", "ReportInputs", "SECTIONS", "render_html",
                      "write_report"},
    "sciood.pipeline": {"LogProgress", "Progress", "RunResult", "SCHEMA", "SCHEMA_VERSION",
                        "STAGES", "SilentProgress", "Stage", "StageRecord", "run"},
    "sciood.io": {"atomic_write_bytes", "check_writable", "replacing", "sha256_file",
                  "temporary_path", "write_error"},
    "sciood.errors": {"ConfigError", "CorruptDataError", "DataError", "GenerationError",
                      "MissingColumnError", "MissingDependencyError", "NotFittedError",
                      "OutputError",
                      "RunDirectoryError", "RunLockedError", "SciOODError", "StatisticsError",
                      "UnknownNameError"},
    "sciood.generate": {"generate"},
    "sciood.safe_yaml": {"MAX_ALIASES", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "check_shape",
                         "load_mapping_file", "load_yaml", "read_text_bounded"},
}


@pytest.mark.parametrize("module", sorted(FACADES))
def test_facade_names_are_exact(module: str) -> None:
    mod = importlib.import_module(module)
    assert set(mod.__all__) == FACADES[module]
    assert len(mod.__all__) == len(set(mod.__all__)), "a name is listed twice"
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ lists {name!r}, which it does not define"


def test_dir_shows_the_lazy_subpackages() -> None:
    names = dir(sciood)
    for sub in ("config", "data", "detectors", "evaluate", "io", "metrics", "pipeline", "plot",
                "reco", "report", "represent", "scoring", "stats"):
        assert sub in names, sub
        assert importlib.import_module(f"sciood.{sub}") is getattr(sciood, sub)
    assert set(sciood.__all__) <= set(names)


def test_version_is_the_distributions() -> None:
    from importlib.metadata import version

    assert sciood.__version__ == version("sciood")
