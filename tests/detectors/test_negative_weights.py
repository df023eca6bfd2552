"""Negative Monte-Carlo weights in training: one test per detector family, against references.

Decision (docs/decisions.md, "Negative weights in training"):

* closed-form estimators (standardiser, ``mahalanobis``) use the signed weights — the
  unbiased weighted mean / covariance — checked here against a hand calculation;
* estimators that cannot take a negative weight (resampling for ``knn`` / ``gmm``, tree
  sample weights for ``iforest`` and the gradient-boosted classifiers of ``cwola`` …) ignore
  them in training (clipped to 0) and log a warning;
* torch losses use the signed weights with the loss of a negative-weight event capped at the
  batch's largest positive-weight loss, and a diverged fit raises a ``DataError`` naming the
  negative weights and the fix.

The isolated negative-weight region is real: the W' → WZ events of ``small_dijet`` given
weight −1 next to QCD events of weight +1 (no positive weight there to cancel).
"""

from __future__ import annotations

import logging
import re
from typing import Any

import numpy as np
import pytest
import scipy.linalg

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.detectors.classical import weighted_resample
from sciood.errors import DataError
from sciood.represent.hlf import Standardizer

TORCH_FAST: dict[str, dict[str, Any]] = {
    "ae": {"epochs": 15},
    "vae": {"epochs": 15},
    "svdd": {"epochs": 15},
    "flow": {"epochs": 15, "transforms": 2, "hidden": [32, 32]},
}


@pytest.fixture(scope="module")
def feats(small_dijet: EventSet) -> tuple[np.ndarray, np.ndarray]:
    """Real features (lhco set) and a signed weight vector: 15 % of the events at −1."""
    X = make("mahalanobis").as_array(small_dijet)
    w = np.where(np.random.default_rng(5).random(len(X)) < 0.15, -1.0, 1.0)
    return X, w


def standardised(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """What Detector.fit feeds a standardising detector: weights normalised to mean 1."""
    return Standardizer().fit(X, sample_weight=w / w.mean()).transform(X)


def hand_moments(Z: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = sum(wi * zi for wi, zi in zip(w, Z, strict=True)) / w.sum()
    cov = sum(wi * np.outer(zi - mean, zi - mean) for wi, zi in zip(w, Z, strict=True)) / w.sum()
    return mean, cov


# ----------------------------------------------------------------- closed form: signed
def test_mahalanobis_uses_signed_weighted_mean_and_covariance(feats) -> None:
    X, w = feats
    Z = standardised(X, w)
    # reference: standardiser by hand with signed weights, then signed moments by hand
    m_hand = (w[:, None] * X).sum(0) / w.sum()
    s_hand = np.sqrt((w[:, None] * (X - m_hand) ** 2).sum(0) / w.sum())
    np.testing.assert_allclose(Z, (X - m_hand) / s_hand, rtol=1e-9, atol=1e-12)
    mean, cov = hand_moments(Z, w / w.mean())
    prec = scipy.linalg.pinvh(cov + 1e-6 * np.eye(X.shape[1]))
    ref = np.array([(z - mean) @ prec @ (z - mean) for z in Z])
    det = make("mahalanobis").fit(X, sample_weight=w)
    np.testing.assert_allclose(det.score(X), ref, rtol=1e-8)
    # and it is not the clipped estimate
    clipped = make("mahalanobis").fit(X, sample_weight=np.clip(w, 0, None)).score(X)
    assert np.abs(clipped - ref).max() > 1e-3


def test_cancelling_pair_equals_dropping_both_closed_form(feats) -> None:
    X, _ = feats
    dup = X[:40]
    Xp = np.r_[X, dup, dup]
    wp = np.r_[np.ones(len(X)), np.full(40, 2.5), np.full(40, -2.5)]
    a = make("mahalanobis").fit(Xp, sample_weight=wp).score(X)
    np.testing.assert_allclose(a, make("mahalanobis").fit(X).score(X), rtol=1e-9)


def test_mahalanobis_falls_back_to_clipped_weights_with_a_warning(feats, caplog) -> None:
    X, _ = feats
    # negative weights on the outer half of one direction: signed variance there < 0
    w = np.ones(len(X))
    far = np.abs(X[:, 1] - np.median(X[:, 1])) > np.quantile(
        np.abs(X[:, 1] - np.median(X[:, 1])), 0.7)
    w[far] = -1.5
    Z = standardised(X, w)
    assert np.linalg.eigvalsh(hand_moments(Z, w / w.mean())[1]).min() <= 0
    with caplog.at_level(logging.WARNING, "sciood.detectors.classical"):
        det = make("mahalanobis").fit(X, sample_weight=w)
    assert "not positive definite" in caplog.text and "negative" in caplog.text
    wc = np.clip(w / w.mean(), 0, None)
    mean, cov = hand_moments(Z, wc)
    prec = scipy.linalg.pinvh(cov + 1e-6 * np.eye(X.shape[1]))
    ref = np.array([(z - mean) @ prec @ (z - mean) for z in Z])
    np.testing.assert_allclose(det.score(X), ref, rtol=1e-8)
    assert (det.score(X) >= 0).all()


# --------------------------------------------------- sample / tree based: clipped + warning
def test_knn_ignores_negative_weights_with_a_warning(feats, caplog) -> None:
    from sklearn.neighbors import NearestNeighbors

    X, w = feats
    with caplog.at_level(logging.WARNING, "sciood.detectors.classical"):
        det = make("knn", k=5, seed=2).fit(X, sample_weight=w)
    assert f"{int((w < 0).sum())} of {len(w)} training weights are negative" in caplog.text
    Z = standardised(X, w)
    ref_pts = weighted_resample(Z, 2, sample_weight=w / w.mean())
    p = np.clip(w, 0, None) / np.clip(w, 0, None).sum()
    idx = np.random.default_rng(2).choice(len(Z), size=len(Z), p=p)
    np.testing.assert_array_equal(ref_pts, Z[idx])  # resampled ∝ max(w, 0) only
    assert not np.isin(np.flatnonzero(w < 0), idx).any()
    dist, _ = NearestNeighbors(n_neighbors=5).fit(Z[idx]).kneighbors(Z)
    np.testing.assert_allclose(det.score(X), dist[:, -1], rtol=1e-12)


@pytest.mark.parametrize("name", ["iforest", "gmm"])
def test_sklearn_estimators_ignore_negative_weights(name: str, feats, caplog) -> None:
    from sklearn.ensemble import IsolationForest
    from sklearn.mixture import GaussianMixture

    X, w = feats
    with caplog.at_level(logging.WARNING, "sciood.detectors.classical"):
        det = make(name, seed=4, **({"n_estimators": 30} if name == "iforest" else
                                    {"n_components": 2})).fit(X, sample_weight=w)
    assert "ignored in training (clipped to 0)" in caplog.text
    Z, wn = standardised(X, w), w / w.mean()
    if name == "iforest":
        ref = IsolationForest(n_estimators=30, random_state=4).fit(
            Z, sample_weight=np.clip(wn, 0, None))
    else:
        ref = GaussianMixture(2, random_state=4, reg_covar=1e-4).fit(
            weighted_resample(Z, 4, sample_weight=wn))
    np.testing.assert_allclose(det.score(X), -ref.score_samples(Z), rtol=1e-10)


def test_weak_gradient_boosting_ignores_negative_weights(small_dijet: EventSet,
                                                          caplog) -> None:
    mjj = small_dijet.column("mjj")
    w = np.where(np.random.default_rng(1).random(len(mjj)) < 0.2, -1.0, 1.0)
    sr = (float(np.quantile(mjj, 0.4)), float(np.quantile(mjj, 0.7)))
    kw = {"signal_region": sr, "sideband_width": None, "members": 2, "seed": 0}
    with caplog.at_level(logging.WARNING, "sciood.detectors.classical"):
        det = make("cwola", **kw).fit(small_dijet, sample_weight=w)
    assert "Newton steps" in caplog.text
    s = det.score(small_dijet)
    ref = make("cwola", **kw).fit(small_dijet, sample_weight=np.clip(w, 0, None)).score(small_dijet)
    assert np.isfinite(s).all() and np.abs(s).max() < 50
    np.testing.assert_allclose(s, ref, rtol=1e-6, atol=1e-9)


def test_balancing_a_class_without_positive_weight_is_a_clear_error(feats) -> None:
    X, _ = feats
    y = np.r_[np.zeros(len(X) - 30), np.ones(30)].astype(int)
    w = np.where(y == 1, -1.0, 1.0)
    with pytest.raises(DataError,
                       match=r"class 1 sum to -\d.*30 of 30 negative.*positive total weight"):
        make("supervised", epochs=1).fit(X, y, sample_weight=w)


# ------------------------------------------------------------- torch: capped, never silent
def isolated(small_dijet: EventSet) -> tuple[np.ndarray, np.ndarray]:
    """QCD at +1, the W' signal at −1: a negative-weight region with nothing to cancel it."""
    X = make("ae").as_array(small_dijet)
    return X, np.where(small_dijet.is_signal, -1.0, 1.0)


@pytest.mark.parametrize("name", sorted(TORCH_FAST))
def test_isolated_negative_region_falls_back_to_the_positive_part(name: str, small_dijet,
                                                                   caplog) -> None:
    X, w = isolated(small_dijet)
    qcd = w > 0
    with caplog.at_level(logging.WARNING, "sciood.detectors.torchbase"):
        det = make(name, seed=1, **TORCH_FAST[name]).fit(X, sample_weight=w)
    assert re.search(r"\d+ % of the negative weight sits where the net weight of the 50 "
                     r"nearest training events is <= 0.*150 of 450 event weights are negative"
                     r".*retrained with the negative weights clipped to 0", caplog.text)
    s = det.score(X[qcd])
    ref = make(name, seed=1, **TORCH_FAST[name]).fit(X[qcd]).score(X[qcd])
    assert np.isfinite(s).all()
    # the normal events are modelled about as well as without the negative region
    spread = np.subtract(*np.quantile(ref, [0.9, 0.1]))
    assert abs(np.median(s) - np.median(ref)) < spread
    assert s.max() < ref.max() + 10 * spread


@pytest.mark.parametrize("name", ["svdd", "flow"])
def test_divergence_is_detected_and_never_silent(name: str, small_dijet, caplog,
                                                 monkeypatch) -> None:
    """With the pre-training check and the cap switched off, the fit runs away; the
    post-training check sees it, warns and refits on the positive part of the weights."""
    import sciood.detectors.torchbase as tb

    X, w = isolated(small_dijet)
    monkeypatch.setattr(tb, "UNCANCELLED", 2.0)  # never fires
    det = make(name, seed=1, **{**TORCH_FAST[name], "epochs": 60})
    det.cap_negative_weights = False
    with caplog.at_level(logging.WARNING, "sciood.detectors.torchbase"):
        det.fit(X, sample_weight=w)
    assert re.search(r"training diverged: the mean loss of the positive-weight events grew "
                     r"from .* to .*retrained with the negative weights clipped to 0",
                     caplog.text)
    s = det.score(X[w > 0])
    ref = make(name, seed=1, **TORCH_FAST[name]).fit(X[w > 0]).score(X[w > 0])
    spread = np.subtract(*np.quantile(ref, [0.9, 0.1]))
    assert np.isfinite(s).all() and s.max() < ref.max() + 10 * spread


@pytest.mark.parametrize("name", ["ae", "svdd", "flow", "supervised"])
def test_cancelling_pair_equals_dropping_both_torch(name: str, small_dijet) -> None:
    X = make("ae").as_array(small_dijet)
    y = small_dijet.is_signal.astype(int)
    dup = np.r_[0:20, 300:310]
    Xp, yp = np.r_[X, X[dup], X[dup]], np.r_[y, y[dup], y[dup]]
    wp = np.r_[np.ones(len(X)), np.full(len(dup), 3.0), np.full(len(dup), -3.0)]
    params = {**TORCH_FAST.get(name, {"epochs": 15}), "batch_size": 1024}  # one full batch
    if name == "svdd":  # its collapsing objective amplifies rounding: 8 % after 15 epochs
        params["epochs"] = 3
    labels = name == "supervised"
    a = make(name, seed=2, **params).fit(Xp, yp if labels else None, sample_weight=wp).score(X)
    b = make(name, seed=2, **params).fit(X, y if labels else None).score(X)
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_supervised_with_negative_weights_stays_finite(small_dijet) -> None:
    X = make("ae").as_array(small_dijet)
    y = small_dijet.is_signal.astype(int)
    w = np.where(np.random.default_rng(3).random(len(X)) < 0.15, -1.0, 1.0)
    s = make("supervised", seed=0, epochs=20).fit(X, y, sample_weight=w).score(X)
    assert np.isfinite(s).all() and np.abs(s).max() < 100
    assert s[y == 1].mean() > s[y == 0].mean()


def test_ensemble_members_use_the_signed_weights(feats) -> None:
    X, w = feats
    ens = make("ensemble", base="mahalanobis", n=2, seed=0).fit(X, sample_weight=w)
    single = make("mahalanobis").fit(X, sample_weight=w).score(X)
    np.testing.assert_allclose(ens.score(X), single, rtol=1e-12)


def test_per_jet_marginals_ignore_negative_weights(small_dijet: EventSet, caplog) -> None:
    from sciood.represent.hlf import Gaussianizer

    w = np.where(np.random.default_rng(7).random(len(small_dijet)) < 0.15, -1.0, 1.0)
    det = make("per_jet", base="gmm", n_components=2, seed=0)
    J = det.as_array(small_dijet)
    with caplog.at_level(logging.WARNING):
        det.fit(J, sample_weight=w)
    n_neg = 2 * int((w < 0).sum())
    assert f"Gaussianizer: {n_neg} of {2 * len(w)} weights are negative; a CDF needs " \
        "non-negative mass" in caplog.text
    jets, wj = J.reshape(-1, J.shape[-1]), np.repeat(w / w.mean(), 2)
    ref = Gaussianizer().fit(jets, sample_weight=np.clip(wj, 0, None)).transform(jets)
    np.testing.assert_array_equal(det._gauss.transform(jets), ref)
    assert np.isfinite(det.score(J)).all()
