"""evaluate(): class-conditional table on real Pythia events, exports, registry, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest
import sklearn.metrics as skm

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, UnknownNameError
from sciood.evaluate import (
    ALL_BACKGROUNDS,
    ALL_SIGNALS,
    ResultTable,
    available_metrics,
    evaluate,
    get_metric,
    sculpting_table,
)
from sciood.metrics import auc, average_precision


@pytest.fixture(scope="module")
def events(make_sample) -> EventSet:
    """Real events: two backgrounds (qcd, ttbar) and two signals (W' -> WZ, Z' -> tt)."""
    return EventSet.concat([
        make_sample("qcd", 300, 11), make_sample("ttbar", 200, 41),
        make_sample("wprime_wz_80", 150, 12), make_sample("zprime_tt", 250, 32),
    ])


@pytest.fixture(scope="module")
def scores(events: EventSet) -> np.ndarray:
    """A physics score without training: summed jet masses (heavy resonance daughters)."""
    return events.column("mj1") + events.column("mj2")


@pytest.fixture(scope="module")
def table(events: EventSet, scores: np.ndarray) -> ResultTable:
    return evaluate(scores, events, n_bootstrap=60, seed=3)


def test_rows_and_columns(table: ResultTable, events: EventSet) -> None:
    pairs = [(c.signal, c.background) for c in table.cells]
    sig, bkg = ["wprime_wz_80", "zprime_tt"], ["qcd", "ttbar"]
    expected = [(s, b) for s in sig for b in bkg] + [(s, ALL_BACKGROUNDS) for s in sig]
    assert pairs == [*expected, (ALL_SIGNALS, ALL_BACKGROUNDS)]
    for m in ("auc", "aupr", "max_sic", "fpr@tpr=0.95", "rejection@eff_s=0.2",
              "rejection@eff_s=0.3", "rejection@eff_s=0.5", "eff_s@eps_b=0.01",
              "eff_s@eps_b=1e-05"):
        assert m in table.metrics
    counts = events.class_counts()
    row = table.cell("zprime_tt", "ttbar")
    assert (row.n_signal, row.n_background) == (counts["zprime_tt"], counts["ttbar"])
    for c in table.cells:
        for m, (v, lo, hi) in c.values.items():
            if not math.isnan(v):
                assert lo <= hi, (c.signal, c.background, m)


def test_cells_match_direct_metrics_and_sklearn(table, events, scores) -> None:
    lab, w, sig = events.labels, events.weights, events.is_signal
    for s_cls in ("wprime_wz_80", "zprime_tt"):
        for b_cls in ("qcd", "ttbar"):
            m = (lab == s_cls) | (lab == b_cls)
            v = table.get(s_cls, b_cls, "auc")[0]
            assert v == pytest.approx(auc(sig[m], scores[m], sample_weight=w[m]), abs=1e-12)
            assert v == pytest.approx(
                skm.roc_auc_score(sig[m], scores[m], sample_weight=w[m]), abs=1e-12)
    # AUPR with physical weights when signal_fraction=None
    raw = evaluate(scores, events, metrics=["aupr"], working_points={}, n_bootstrap=5,
                   signal_fraction=None)
    m = (lab == "zprime_tt") | (lab == "qcd")
    assert raw.get("zprime_tt", "qcd", "aupr")[0] == pytest.approx(
        skm.average_precision_score(sig[m], scores[m], sample_weight=w[m]), abs=1e-12)
    # balanced AUPR: signal rescaled to half of the total weight
    ws = np.where(sig[m], w[m] * w[m][~sig[m]].sum() / w[m][sig[m]].sum(), w[m])
    assert table.get("zprime_tt", "qcd", "aupr")[0] == pytest.approx(
        average_precision(sig[m], scores[m], sample_weight=ws), abs=1e-12)


def test_inclusive_auc_is_cross_section_weighted_mixture(table, events) -> None:
    """AUC is linear in the background distribution: the inclusive row must equal the
    cross-section-weighted average of the per-class rows."""
    w, lab = events.weights, events.labels
    wq, wt = w[lab == "qcd"].sum(), w[lab == "ttbar"].sum()
    for s_cls in ("wprime_wz_80", "zprime_tt"):
        mix = (wq * table.get(s_cls, "qcd", "auc")[0]
               + wt * table.get(s_cls, "ttbar", "auc")[0]) / (wq + wt)
        assert table.get(s_cls, ALL_BACKGROUNDS, "auc")[0] == pytest.approx(mix, rel=1e-10)
    # all signals: each signal class gets equal weight -> mean of the per-signal rows
    both = 0.5 * (table.get("wprime_wz_80", ALL_BACKGROUNDS, "auc")[0]
                  + table.get("zprime_tt", ALL_BACKGROUNDS, "auc")[0])
    assert table.get(ALL_SIGNALS, ALL_BACKGROUNDS, "auc")[0] == pytest.approx(both, rel=1e-10)


def test_physics_ordering(table) -> None:
    # summed jet mass separates resonances from QCD better than from ttbar (top jets are heavy)
    for s_cls in ("wprime_wz_80", "zprime_tt"):
        assert table.get(s_cls, "qcd", "auc")[0] > table.get(s_cls, "ttbar", "auc")[0]
    assert table.get("zprime_tt", "qcd", "auc")[0] > 0.6


def test_deterministic_and_seed_dependent(events, scores, table) -> None:
    again = evaluate(scores, events, n_bootstrap=60, seed=3)
    assert again.to_dict() == table.to_dict()
    other = evaluate(scores, events, n_bootstrap=60, seed=4)
    assert other.get("zprime_tt", "qcd", "auc")[0] == table.get("zprime_tt", "qcd", "auc")[0]
    assert other.get("zprime_tt", "qcd", "auc")[1] != table.get("zprime_tt", "qcd", "auc")[1]


def test_exports_round_trip(table) -> None:
    text = table.to_json()
    json.loads(text)  # strict JSON: no NaN / Infinity tokens
    assert "NaN" not in text and "Infinity" not in text
    back = ResultTable.from_json(text)
    assert back.to_dict() == table.to_dict()
    df = table.to_pandas()
    assert len(df) == len(table.cells) * len(table.metrics)
    assert {"signal", "background", "metric", "value", "lo", "hi"} <= set(df.columns)
    mat = table.matrix("auc")
    assert mat.loc["zprime_tt", "qcd"] == table.get("zprime_tt", "qcd", "auc")[0]
    md = table.to_markdown(["auc", "max_sic"])
    assert md.splitlines()[0] == "| signal | background | n_S | n_B | auc | max_sic |"
    assert len([ln for ln in md.splitlines() if ln.startswith("| ")]) == len(table.cells) + 1
    with pytest.raises(DataError):
        ResultTable.from_dict({"rows": [{}]})


def test_registry_and_working_points(events, scores) -> None:
    with pytest.raises(UnknownNameError, match=r"valid metric names are: .*auc"):
        get_metric("auroc")
    with pytest.raises(UnknownNameError):
        evaluate(scores, events, metrics=["auroc"])
    assert "max_sic" in available_metrics()
    t = evaluate(scores, events, metrics=["auc"], working_points={"eff_s": [0.4]},
                 n_bootstrap=5)
    assert t.metrics == ["auc", "rejection@eff_s=0.4"]
    with pytest.raises(ConfigError):
        evaluate(scores, events, working_points={"eps_s": [0.4]})
    with pytest.raises(ConfigError):
        evaluate(scores, events, working_points={"eff_s": [1.4]})


def test_small_classes_give_nan_with_note(events, scores) -> None:
    small = events.select(np.r_[np.flatnonzero(events.labels == "qcd")[:30],
                                np.flatnonzero(events.labels == "zprime_tt")[:30]])
    s = small.column("mj1") + small.column("mj2")
    t = evaluate(s, small, metrics=["auc", "max_sic"], n_bootstrap=10)
    v = t.get("zprime_tt", "qcd", "max_sic")
    assert all(math.isnan(x) for x in v)
    notes = " ".join(t.cell("zprime_tt", "qcd").notes)
    assert "max_sic undefined" in notes and "resolution" in notes
    assert "Notes:" in t.to_markdown()
    # notes follow the columns shown: none about max_sic when only auc is printed
    assert "max_sic undefined" in t.to_markdown(["max_sic"])
    assert "max_sic" not in t.to_markdown(["auc"])


def test_bad_input_raises(events, scores) -> None:
    with pytest.raises(DataError, match="events"):
        evaluate(scores[:-1], events)
    bad = scores.copy()
    bad[3] = np.nan
    with pytest.raises(DataError, match="NaN"):
        evaluate(bad, events)
    only_bkg = events.with_label("qcd", "ttbar")
    with pytest.raises(DataError, match="signal"):
        evaluate(only_bkg.column("mj1"), only_bkg)
    with pytest.raises(ConfigError):
        evaluate(scores, events, signal_fraction=1.0)
    w = events.weights.copy()
    w[events.labels == "ttbar"] *= -1.0  # a class with negative total weight
    with pytest.raises(DataError, match="row wprime_wz_80 vs ttbar"):
        evaluate(scores, events.with_weights(w), n_bootstrap=5)


def test_negative_weights_evaluate(events, scores) -> None:
    rng = np.random.default_rng(0)
    w = events.weights * np.where(rng.uniform(size=len(events)) < 0.1, -0.2, 1.0)
    t = evaluate(scores, events.with_weights(w), metrics=["auc", "aupr"], n_bootstrap=10)
    assert all(np.isfinite(c.values["auc"][0]) for c in t.cells)


def test_sculpting_table(events, scores) -> None:
    df = sculpting_table(scores, events, "mjj")
    assert len(df) == 2 * 3
    assert (df["jsd"] >= 0).all() and (df["floor"] > 0).all()
    # synthetic check of the wiring: a score that *is* mjj sculpts more than a random one
    lab = np.array(["qcd"] * 4000 + ["sig"] * 1000)
    rng = np.random.default_rng(1)
    mjj = rng.exponential(500, lab.size) + 1500
    es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig", "weight": np.ones(lab.size),
                            "mjj": mjj}), observables=["mjj"])
    rnd = sculpting_table(rng.normal(lab == "sig", 1.0), es)
    mass = sculpting_table(mjj + 500 * (lab == "sig"), es)
    assert float(mass["jsd"].iloc[0]) > 10 * float(rnd["jsd"].iloc[0])
