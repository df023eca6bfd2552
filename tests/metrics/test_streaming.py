"""Out-of-core metrics from merged score histograms: exactness claims, merge invariance, errors."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError
from sciood.metrics import ranking_curve
from sciood.metrics.streaming import (
    ScoreHistogram,
    histogram_store,
    quantile_edges,
    store_edges,
    summary,
    uniform_edges,
)


def data(seed: int = 0, n: int = 20_000, neg: float = 0.0, decimals: int | None = None):
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.3
    s = rng.normal(1.2 * y, 1.0)
    if decimals is not None:
        s = np.round(s, decimals)  # ties
    w = rng.exponential(1.0, n)
    w[rng.random(n) < neg] *= -0.3
    return y, s, w


def all_distinct_edges(s: np.ndarray) -> np.ndarray:
    u = np.unique(s)
    return np.append(u, np.nextafter(u[-1], np.inf))


@pytest.mark.parametrize("neg", [0.0, 0.1])
def test_edges_at_every_distinct_score_give_the_exact_curve(neg: float) -> None:
    y, s, w = data(neg=neg, decimals=2)
    exact = ranking_curve(y, s, sample_weight=w)
    h = ScoreHistogram.empty(all_distinct_edges(s)).fill(y, s, sample_weight=w)
    c = h.curve()
    np.testing.assert_array_equal(c.thresholds[:-1], exact.thresholds[:-1])
    np.testing.assert_allclose(c.eps_s, exact.eps_s, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(c.eps_b, exact.eps_b, rtol=1e-10, atol=1e-12)
    assert c.auc() == pytest.approx(exact.auc(), abs=1e-12)
    assert c.max_sic() == pytest.approx(exact.max_sic(), rel=1e-10)
    np.testing.assert_allclose(c.rejection_at([0.2, 0.5]), exact.rejection_at([0.2, 0.5]),
                               rtol=1e-9)
    np.testing.assert_allclose(c.eps_s_at([1e-2, 1e-3]), exact.eps_s_at([1e-2, 1e-3]),
                               rtol=1e-9, atol=1e-12)


def test_coarse_bins_every_point_exact_auc_within_bound_max_sic_below() -> None:
    y, s, w = data(1)
    edges = quantile_edges(s[::7], 40)
    h = ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)
    c = h.curve()
    # every ROC point is the exact cut score >= edge (brute force)
    for t, es, eb in zip(c.thresholds[:-1], c.eps_s[:-1], c.eps_b[:-1], strict=True):
        passing = s >= t
        assert es == pytest.approx(w[passing & y].sum() / w[y].sum(), rel=1e-10)
        assert eb == pytest.approx(w[passing & ~y].sum() / w[~y].sum(), rel=1e-10)
    assert c.eps_s[-1] == pytest.approx(1.0) and c.eps_b[-1] == pytest.approx(1.0)
    exact = ranking_curve(y, s, sample_weight=w)
    bound = h.auc_error_bound()
    assert 0 < bound < 0.05
    assert abs(c.auc() - exact.auc()) <= bound
    assert c.max_sic() <= exact.max_sic() + 1e-12
    # finer bins: the error shrinks
    fine = ScoreHistogram.empty(quantile_edges(s, 4096)).fill(y, s, sample_weight=w)
    assert fine.auc_error_bound() < bound / 20
    assert abs(fine.curve().auc() - exact.auc()) < 1e-3


def test_merge_is_order_independent_and_equals_one_fill() -> None:
    y, s, w = data(2, neg=0.05)
    edges = quantile_edges(s, 256)
    whole = ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)
    parts = np.array_split(np.random.default_rng(0).permutation(len(s)), 7)
    hists = [ScoreHistogram.empty(edges).fill(y[p], s[p], sample_weight=w[p]) for p in parts]
    fwd = ScoreHistogram.empty(edges)
    for h in hists:
        fwd.merge(h)
    rev = hists[-1]
    for h in hists[-2::-1]:
        rev = rev + h
    for a in (fwd, rev):
        np.testing.assert_array_equal(a.count, whole.count)
        np.testing.assert_allclose(a.signal, whole.signal, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.background_w2, whole.background_w2, rtol=1e-12)
        assert a.nonnegative is False
    assert summary(fwd)["auc"] == pytest.approx(summary(whole)["auc"], abs=1e-12)


def test_out_of_range_scores_are_kept() -> None:
    y = np.array([0, 1, 0, 1, 0, 1])
    s = np.array([-5.0, 0.1, 0.5, 0.7, 0.9, 9.0])
    h = ScoreHistogram.empty(uniform_edges(0.0, 1.0, 4)).fill(y, s)
    assert h.count.sum() == 6
    c = h.curve()
    assert c.thresholds[-1] == -np.inf and c.eps_b[-1] == 1.0
    # cut at the top edge 0.75 passes the 0.9 background and the 9.0 signal
    top = c.thresholds[0]
    assert top == 0.75 and c.eps_s[0] == pytest.approx(1 / 3) and c.eps_b[0] == pytest.approx(1 / 3)


def test_summary_keys_and_values() -> None:
    y, s, w = data(3)
    out = summary(ScoreHistogram.empty(quantile_edges(s, 1024)).fill(y, s, sample_weight=w))
    assert set(out) >= {"auc", "auc_error_bound", "max_sic", "rejection_at", "efficiency_at",
                        "fpr_at_95tpr", "n_events", "n_bins"}
    assert 0.7 < out["auc"] < 0.9 and out["n_events"] == len(s)
    assert out["rejection_at"]["0.5"] > 1


def test_quantile_edges_tail_is_finer() -> None:
    s = np.random.default_rng(4).exponential(1.0, 100_000)
    e = quantile_edges(s, 200)
    widths = np.diff(e)
    assert (widths > 0).all() and e[0] == s.min()
    # the top 1 % of events spans several bins
    assert np.count_nonzero(e > np.quantile(s, 0.99)) >= 10
    assert quantile_edges(np.ones(10), 16).size == 2  # a single distinct score


def test_errors() -> None:
    h = ScoreHistogram.empty([0.0, 1.0, 2.0])
    with pytest.raises(ConfigError, match="strictly increasing"):
        ScoreHistogram.empty([0.0, 0.0, 1.0])
    with pytest.raises(ConfigError, match="different edges"):
        h.merge(ScoreHistogram.empty([0.0, 1.0, 3.0]))
    with pytest.raises(DataError, match="NaN"):
        h.fill([0, 1], [np.nan, 1.0])
    with pytest.raises(DataError, match="only 0"):
        h.fill([0, 2], [0.5, 1.0])
    with pytest.raises(DataError, match="sample_weight"):
        h.fill([0, 1], [0.5, 1.0], sample_weight=[1.0])
    with pytest.raises(DataError, match="positive signal and background"):
        ScoreHistogram.empty([0.0, 1.0]).fill([0, 0], [0.2, 0.3]).curve()
    with pytest.raises(DataError, match="empty"):
        quantile_edges([], 8)
    with pytest.raises(ConfigError):
        uniform_edges(1.0, 0.0, 3)


def _score_store(tmp_path, n: int = 3000, shard: int = 500):
    rng = np.random.default_rng(5)
    labels = rng.choice(["qcd", "ttbar", "sig"], n, p=[0.6, 0.2, 0.2])
    table = {
        "label": labels, "is_signal": labels == "sig", "weight": rng.exponential(1.0, n),
        "score": rng.normal(labels == "sig", 1.0) + 0.5 * (labels == "ttbar"),
    }
    import pyarrow as pa

    es = EventSet(pa.table(table), features=["score"])
    es.write(tmp_path / "scores", shard_size=shard)
    return tmp_path / "scores", es


def test_histogram_store_matches_in_memory_metrics(tmp_path) -> None:
    path, es = _score_store(tmp_path)
    edges = store_edges(path, n_bins=512)
    assert np.array_equal(edges, store_edges(path, n_bins=512))  # seeded sample
    h = histogram_store(path, edges=edges)
    exact = ranking_curve(es.is_signal, es.column("score"), sample_weight=es.weights)
    assert h.count.sum() == len(es)
    assert abs(h.curve().auc() - exact.auc()) <= h.auc_error_bound()
    # class-conditional: signal vs ttbar only
    pair = histogram_store(path, n_bins=512, background=["ttbar"])
    m = np.isin(es.labels, ["sig", "ttbar"])
    sub = ranking_curve(es.is_signal[m], es.column("score")[m], sample_weight=es.weights[m])
    assert pair.count.sum() == m.sum()
    assert abs(pair.curve().auc() - sub.auc()) <= pair.auc_error_bound()
    assert pair.curve().auc() < h.curve().auc()  # ttbar is harder than the inclusive mix
    with pytest.raises(DataError, match="score column"):
        histogram_store(path, score="nope", edges=edges)
