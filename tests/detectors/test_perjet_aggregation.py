"""per_jet rules that need no per-signal choice of min/max: p-value combinations, joint density.

Real samples (Pythia 8 + detector + FastJet, cached); cross-checks that can fail: background
p-values are uniform, Fisher's combination has mean 4 (and is χ²(4) for independent uniform
p-values), the symmetric rules do not depend on the jet order, save/load is exact.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from sciood.detectors import make
from sciood.detectors.contract import Detector
from sciood.detectors.perjet import JetPValue, fisher, stouffer
from sciood.errors import ConfigError
from sciood.represent.hlf import jet_features


@pytest.fixture(scope="module")
def bg(make_sample) -> tuple[np.ndarray, np.ndarray]:
    """3000 real qcd_rnd events (MPI off) as per-jet (m_sd, nconst), split into two halves."""
    X = jet_features(make_sample("qcd_rnd", 3000, 41, mpi=False))
    return X[::2], X[1::2]


@pytest.fixture(scope="module")
def signal(make_sample) -> np.ndarray:
    return jet_features(make_sample("xy_qqqq", 400, 43, mpi=False))


@pytest.fixture(scope="module")
def fitted(bg) -> dict[str, Detector]:
    train, _ = bg
    return {agg: make("per_jet", base="gmm", n_components=4, aggregate=agg, seed=0).fit(train)
            for agg in ("fisher", "stouffer", "joint_sym", "joint", "min")}


def test_fisher_and_stouffer_of_independent_uniform_pvalues() -> None:
    rng = np.random.default_rng(1)
    log_p = np.log(rng.uniform(size=(20_000, 2)))
    assert stats.kstest(fisher(log_p), stats.chi2(4).cdf).pvalue > 1e-3
    assert stats.kstest(stouffer(log_p), stats.norm.cdf).pvalue > 1e-3
    # and they are not: the same test rejects χ²(2) for Fisher
    assert stats.kstest(fisher(log_p), stats.chi2(2).cdf).pvalue < 1e-6


def test_jet_pvalue_is_uniform_on_its_training_scores_and_monotone() -> None:
    rng = np.random.default_rng(2)
    s = rng.gumbel(size=5000)
    w = rng.uniform(0.5, 1.5, size=5000)
    pv = JetPValue().fit(s, sample_weight=w)
    p = np.exp(pv.log_pvalue(s))
    # weighted ECDF of the p-values is the identity (up to the mid-rank half-step)
    order = np.argsort(p)
    ecdf = np.cumsum(w[order]) / w.sum()
    assert np.max(np.abs(ecdf - p[order])) < 0.01
    grid = np.linspace(s.min() - 1, s.max() + 5, 2001)
    lp = pv.log_pvalue(grid)
    assert np.all(np.diff(lp) <= 1e-12) and lp.max() < 0.0
    # beyond the largest training score the tail keeps ordering (no tie at the floor)
    assert lp[-1] < pv.log_pvalue(np.array([s.max()]))[0] - 1.0
    # the exponential tail is continuous where it takes over
    u = pv.scores_[-1]
    np.testing.assert_allclose(pv.log_pvalue(np.array([u - 1e-9, u + 1e-9])),
                               pv.log_pvalue(np.array([u, u])), atol=1e-6)


def test_background_pvalues_uniform_and_fisher_mean_four_on_held_out_qcd(fitted, bg) -> None:
    _, test = bg
    det = fitted["fisher"]
    p = np.exp(det.jet_log_pvalues(test)).ravel()
    assert stats.kstest(p, "uniform").statistic < 0.06
    # E[−2 log p] = 2 per jet whatever the correlation of the two jets
    f = det.score(test)
    np.testing.assert_allclose(f, -2 * det.jet_log_pvalues(test).sum(1), rtol=1e-12)
    assert abs(f.mean() - 4.0) < 0.3
    assert abs(fitted["stouffer"].score(test).mean()) < 0.15


def test_symmetric_rules_do_not_depend_on_jet_order(fitted, bg, signal) -> None:
    X = np.concatenate([bg[1][:300], signal[:200]])
    for agg in ("fisher", "stouffer", "joint_sym", "min"):
        np.testing.assert_allclose(fitted[agg].score(X), fitted[agg].score(X[:, ::-1]),
                                   rtol=1e-9, atol=1e-9, err_msg=agg)
    # the ordered joint density does depend on it (j1 is the lighter jet)
    joint = fitted["joint"]
    assert not np.allclose(joint.score(X), joint.score(X[:, ::-1]))


def test_combined_rules_find_the_two_prong_signal(fitted, bg, signal) -> None:
    _, test = bg
    for agg in ("fisher", "joint_sym"):
        sb, ss = fitted[agg].score(test), fitted[agg].score(signal)
        auc = (ss[:, None] > sb[None, :]).mean()
        assert auc > 0.65, (agg, auc)


def test_save_load_is_exact(fitted, bg, tmp_path: Path) -> None:
    X = bg[1][:200]
    for agg in ("fisher", "joint_sym"):
        det = fitted[agg]
        det.save(tmp_path / agg)
        np.testing.assert_array_equal(Detector.load(tmp_path / agg).score(X), det.score(X))


def test_wrong_use_is_a_clear_error(fitted, bg) -> None:
    X = bg[1][:10]
    with pytest.raises(ConfigError, match="no per-jet score"):
        fitted["joint_sym"].score_jets(X)
    with pytest.raises(ConfigError, match="calibrated only"):
        fitted["min"].jet_log_pvalues(X)
    with pytest.raises(ConfigError, match="aggregate"):
        make("per_jet", aggregate="median").fit(X)


J4 = ["mj{j}_sd", "tau21_j{j}", "tau32_j{j}", "nconst_j{j}"]


@pytest.fixture(scope="module")
def events(make_sample):
    qcd = make_sample("qcd_rnd", 3000, 41, mpi=False)
    return qcd.select(np.arange(0, len(qcd), 2)), qcd.select(np.arange(1, len(qcd), 2))


def test_members_join_the_combination(events, make_sample, tmp_path: Path) -> None:
    train, test = events
    member = {"space": "raw", "jet_features": J4}
    det = make("per_jet", aggregate="stouffer", n_components=3, members=[member],
               seed=0).fit(train)
    lp = det.jet_log_pvalues(test)
    assert lp.shape == (len(test), 4)
    np.testing.assert_allclose(det.score(test), stouffer(lp), rtol=1e-12)
    # each block is the p-value of the model fitted alone on its own features
    main = make("per_jet", aggregate="stouffer", n_components=3, seed=0).fit(train)
    alone = make("per_jet", aggregate="stouffer", n_components=3, seed=0, **member).fit(train)
    np.testing.assert_allclose(lp[:, :2], main.jet_log_pvalues(test), rtol=1e-10)
    np.testing.assert_allclose(lp[:, 2:], alone.jet_log_pvalues(test), rtol=1e-10)
    # arrays carry the union of the features, main model's first; order of jets irrelevant
    X = jet_features(test, ["mj{j}_sd", "nconst_j{j}", "tau21_j{j}", "tau32_j{j}"])
    np.testing.assert_allclose(det.score(X), det.score(test), rtol=1e-12)
    np.testing.assert_allclose(det.score(X[:, ::-1]), det.score(X), rtol=1e-9)
    det.save(tmp_path / "m")
    np.testing.assert_array_equal(Detector.load(tmp_path / "m").score(test), det.score(test))
    sig = make_sample("xy_qqqq", 400, 43, mpi=False)
    assert (det.score(sig)[:, None] > det.score(test)[None, :]).mean() > 0.65
    with pytest.raises(ConfigError, match="through their p-values"):
        make("per_jet", aggregate="min", members=[member]).fit(train)
    with pytest.raises(ConfigError, match=r"members\[0\]"):
        make("per_jet", aggregate="fisher", members=[{"space": "curved"}]).fit(train)
