"""Lock the public API: names other tools depend on (see the issues' contracts)."""

from __future__ import annotations

import importlib
import inspect

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
