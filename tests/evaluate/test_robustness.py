"""compare / evaluate_variants: deltas between a reference and variant evaluations."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, UnknownNameError
from sciood.evaluate import compare, evaluate, evaluate_variants


@pytest.fixture(scope="module")
def events(make_sample) -> EventSet:
    return EventSet.concat([make_sample("qcd", 300, 11), make_sample("zprime_tt", 250, 32)])


def mass_score(es: EventSet) -> np.ndarray:
    return es.column("mj1") + es.column("mj2")


def test_identical_variant_has_zero_delta(events) -> None:
    ref = evaluate(mass_score(events), events, n_bootstrap=20)
    d = compare(ref, same=ref)
    assert len(d) == len(ref.cells) * len(ref.metrics)
    for r in d.records:
        if math.isfinite(r["reference"]):
            assert r["delta"] == 0.0 and not r["disjoint"]


def test_smeared_scores_lose_performance(events) -> None:
    """A 'data' variant whose jet masses are smeared by a worse resolution (real events)."""
    rng = np.random.default_rng(5)
    s_sim = mass_score(events)
    s_data = s_sim + rng.normal(0.0, 80.0, len(events))
    tables, d = evaluate_variants(
        {"sim": (s_sim, events), "data": (s_data, events)}, reference="sim", n_bootstrap=40
    )
    assert set(tables) == {"sim", "data"}
    rec = d.get("data", "zprime_tt", "qcd", "auc")
    assert rec["value"] < rec["reference"]
    assert rec["rel_change"] == pytest.approx(
        (rec["value"] - rec["reference"]) / abs(rec["reference"]))
    assert rec["disjoint"] == (rec["lo"] > rec["reference_hi"] or rec["hi"] < rec["reference_lo"])
    df = d.to_pandas()
    assert {"variant", "rel_change", "disjoint"} <= set(df.columns)
    json.loads(d.to_json())
    md = d.to_markdown(metrics=["auc"])
    assert md.count("\n") == 2 + 2  # header, rule, zprime vs qcd and vs all_backgrounds


def test_errors(events) -> None:
    ref = evaluate(mass_score(events), events, n_bootstrap=5, working_points={})
    with pytest.raises(ConfigError):
        compare(ref)
    with pytest.raises(UnknownNameError, match="sim"):
        evaluate_variants({"sim": (mass_score(events), events)}, reference="nominal")
    with pytest.raises(UnknownNameError):
        compare(ref, x=ref).get("x", "zprime_tt", "qcd", "nope")
