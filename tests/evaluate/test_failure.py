"""Failure analysis: distance correlation vs brute force, correlations on real events,
top anomalies, latent view."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from sklearn.decomposition import PCA

from sciood.data.eventset import EventSet
from sciood.errors import DataError, MissingDependencyError
from sciood.evaluate import distance_correlation, latent_view, score_correlations, top_anomalies


def dcor_loops(x, y):
    """Textbook definition with explicit loops (Székely et al. 2007, eq. 2.8)."""
    n = len(x)
    a = [[abs(x[i] - x[j]) for j in range(n)] for i in range(n)]
    b = [[abs(y[i] - y[j]) for j in range(n)] for i in range(n)]

    def centre(m):
        rm = [sum(r) / n for r in m]
        cm = [sum(m[i][j] for i in range(n)) / n for j in range(n)]
        g = sum(rm) / n
        return [[m[i][j] - rm[i] - cm[j] + g for j in range(n)] for i in range(n)]

    a, b = centre(a), centre(b)
    v = lambda p, q: sum(p[i][j] * q[i][j] for i in range(n) for j in range(n)) / n**2  # noqa: E731
    return (v(a, b) / (v(a, a) * v(b, b)) ** 0.5) ** 0.5


def test_distance_correlation_matches_definition_and_properties() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=60)
    y = x**2 + 0.1 * rng.normal(size=60)
    assert distance_correlation(x, y) == pytest.approx(dcor_loops(list(x), list(y)), rel=1e-10)
    big = rng.normal(size=1500)
    assert distance_correlation(big, -2 * big + 3) == pytest.approx(1.0)
    assert distance_correlation(big, rng.normal(size=1500)) < 0.1
    quad = big**2
    assert abs(np.corrcoef(big, quad)[0, 1]) < 0.15 < distance_correlation(big, quad)
    assert distance_correlation(big, np.ones(1500)) == 0.0
    with pytest.raises(DataError):
        distance_correlation(big, big[:10])


@pytest.fixture(scope="module")
def events(make_sample) -> EventSet:
    return EventSet.concat([make_sample("qcd", 300, 11), make_sample("wprime_wz_80", 150, 12)])


def test_correlations_find_the_complexity_confounder(events) -> None:
    """A score driven by constituent multiplicity must be flagged on nconst, per class."""
    rng = np.random.default_rng(1)
    score = events.column("nconst_j1") + events.column("nconst_j2") + rng.normal(0, 2, len(events))
    df = score_correlations(score, events, max_dcor=200)
    assert set(df["group"]) == {"all", "qcd", "wprime_wz_80"}
    assert {"mjj", "nconst_j1", "tau21_j1"} <= set(df["column"])
    qcd = df[df["group"] == "qcd"].set_index("column")
    assert qcd.loc["nconst_j1", "spearman"] > 0.4
    assert qcd.loc["nconst_j1", "dcor"] > qcd.loc["phi_j1", "dcor"]
    assert (qcd["n_dcor"] == 200).all()
    # Pearson / Spearman agree with scipy/numpy directly
    m = events.labels == "qcd"
    ref = np.corrcoef(score[m], events.column("mjj")[m])[0, 1]
    assert qcd.loc["mjj", "pearson"] == pytest.approx(ref, rel=1e-10)


def test_top_anomalies(events) -> None:
    score = events.column("mj1")
    df = top_anomalies(score, events, k=7)
    assert len(df) == 7 and (df["label"] == "qcd").all()
    assert np.all(np.diff(df["score"].to_numpy()) <= 0)
    assert df["score"].iloc[0] == score[events.labels == "qcd"].max()
    np.testing.assert_array_equal(df["mj1"].to_numpy(), df["score"].to_numpy())
    assert df["quantile"].iloc[0] == pytest.approx(1 - 1 / 300)
    sig = top_anomalies(score, events, k=3, classes=["wprime_wz_80"])
    assert (sig["label"] == "wprime_wz_80").all()
    with pytest.raises(DataError):
        top_anomalies(score, events, classes=["ttbar"])


def test_latent_view_pca(events) -> None:
    cols = ["mj1", "mj2", "tau21_j1", "tau21_j2", "nconst_j1"]
    view = latent_view(events, columns=cols, max_events=400, seed=2)
    assert view.coords.shape == (400, 2) and view.labels.shape == (400,)
    x = events.to_numpy(cols)[view.index]
    x = (x - x.mean(0)) / x.std(0)
    ref = PCA(2).fit(x)
    np.testing.assert_allclose(view.explained_variance, ref.explained_variance_ratio_)
    np.testing.assert_allclose(np.abs(view.coords), np.abs(ref.transform(x)), atol=1e-8)
    with pytest.raises(DataError):
        latent_view(np.ones((10, 3)))


@pytest.mark.skipif(importlib.util.find_spec("umap") is not None, reason="umap installed")
def test_umap_missing_is_explained(events) -> None:
    with pytest.raises(MissingDependencyError, match="umap-learn"):
        latent_view(events, method="umap")
