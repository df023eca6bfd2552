"""Every metric with negative Monte-Carlo weights, against a brute-force reference.

The references are written independently of :mod:`sciood.metrics`: they walk the distinct
thresholds one by one in plain Python / NumPy (``score >= t`` masks), or sum over all
signal-background pairs (O(n²)).  The samples have ~15 % negative weights and tied scores.
Conventions checked (docs/evaluation.md, "Negative weights"):

* ε_S, ε_B are signed passing sums over the signed class totals (totals must be > 0);
* the ROC is integrated by the signed trapezoid rule in threshold order (= weighted
  Mann–Whitney);
* SIC = ε_S/√ε_B only where ε_B > 0, negative where ε_S < 0 (never squared);
* max SIC over cuts with ε_B > 0 and Kish count (Σw)²/Σw² ≥ N_min of the passing background;
* working points at the first crossing in threshold order, linear interpolation;
* precision ``tps/(tps+fps)`` where the passing weight is > 0, else 0;
* bootstrap replicas ``Poisson(1) × w``; a replica with a non-positive class total is NaN;
* calibration bins with non-positive weight are dropped (warning);
* sculpting: a negative histogram bin is an error (never clipped).

Invariances checked for every metric: permutation of events, global positive rescaling of the
weights, strictly monotone transform of the scores, and splitting an event of weight ``w``
into two events of weights ``2w`` and ``-w``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from sciood.errors import StatisticsError
from sciood.metrics import (
    MetricWarning,
    ScoreHistogram,
    auc,
    average_precision,
    bootstrap_many,
    ece,
    efficiency_at,
    fpr_at_tpr,
    max_sic,
    ranking_curve,
    rejection_at,
    reliability_curve,
    roc_curve,
    sculpting_jsd,
    sic_curve,
    summary,
)
from sciood.metrics.bootstrap import poisson1
from sciood.metrics.ranking import sort_order

NEG = 0.15  # fraction of negative weights


def negative_sample(seed: int, n: int = 300, neg: float = NEG):
    """Labels, tied scores (rounded to 0.1) and weights with a fraction ``neg`` negative."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(size=n) < 0.4
    s = np.round(rng.normal(0.8 * y, 1.0), 1)
    w = rng.uniform(0.2, 2.0, n)
    flip = rng.uniform(size=n) < neg
    w[flip] *= -1.0
    assert w[y].sum() > 0 and w[~y].sum() > 0
    return y, s, w


# ----------------------------------------------------------------- brute-force references
def brute_curve(y, s, w):
    """(thresholds desc, ε_S, ε_B, passing background Σw²) cut by cut, with loops."""
    ws, wb = w[y].sum(), w[~y].sum()
    ts = sorted(set(s.tolist()), reverse=True)
    es, eb, w2 = [], [], []
    for t in ts:
        p = s >= t
        es.append(w[p & y].sum() / ws)
        eb.append(w[p & ~y].sum() / wb)
        w2.append(np.sum(w[p & ~y] ** 2))
    return np.array(ts), np.array(es), np.array(eb), np.array(w2)


def brute_pairwise_auc(y, s, w):
    total = 0.0
    for i in np.flatnonzero(y):
        for j in np.flatnonzero(~y):
            total += w[i] * w[j] * (1.0 if s[i] > s[j] else 0.5 if s[i] == s[j] else 0.0)
    return total / (w[y].sum() * w[~y].sum())


def brute_sic(es, eb):
    return np.array([e / math.sqrt(b) if b > 0 else np.nan for e, b in zip(es, eb, strict=True)])


def brute_max_sic(y, s, w, n_min):
    _, es, eb, w2 = brute_curve(y, s, w)
    wb = w[~y].sum()
    best = -np.inf
    for e, b, q in zip(es, eb, w2, strict=True):
        fps = b * wb
        if b > 0 and q > 0 and fps**2 / q >= n_min:
            best = max(best, e / math.sqrt(b))
    return best


def brute_first_crossing(x, yv, target):
    """First point (in threshold order, origin first) with x >= target; interpolate."""
    x = np.r_[0.0, x]
    yv = np.r_[0.0, yv]
    if target <= 0:
        return 0.0
    for i in range(1, x.size):
        if x[i] >= target:
            dx = x[i] - x[i - 1]
            frac = (target - x[i - 1]) / dx if dx > 0 else 1.0
            return yv[i - 1] + min(max(frac, 0.0), 1.0) * (yv[i] - yv[i - 1])
    raise AssertionError("target never crossed")


def brute_ap(y, s, w):
    ts = sorted(set(s.tolist()), reverse=True)
    ws = w[y].sum()
    total, r_prev = 0.0, 0.0
    for t in ts:
        p = s >= t
        tp, fp = w[p & y].sum(), w[p & ~y].sum()
        prec = tp / (tp + fp) if tp + fp > 0 else 0.0
        total += (tp / ws - r_prev) * prec
        r_prev = tp / ws
    return total


def all_metrics(y, s, w, n_min=5.0):
    """Every scalar ranking metric of (y, s, w) as one dict."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        return {
            "auc": auc(y, s, sample_weight=w),
            "ap": average_precision(y, s, sample_weight=w),
            "max_sic": max_sic(y, s, sample_weight=w, min_background=n_min),
            "r": np.asarray(rejection_at(y, s, [0.2, 0.3, 0.5], sample_weight=w)),
            "eff": np.asarray(efficiency_at(y, s, [0.05, 0.1, 0.3], sample_weight=w)),
            "fpr95": fpr_at_tpr(y, s, 0.95, sample_weight=w),
        }


# ----------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_roc_sic_auc_against_brute_force(seed):
    y, s, w = negative_sample(seed)
    ts, es, eb, _ = brute_curve(y, s, w)
    r_es, r_eb, r_t = roc_curve(y, s, sample_weight=w)
    np.testing.assert_allclose(r_es, np.r_[0.0, es], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(r_eb, np.r_[0.0, eb], rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(r_t, np.r_[np.inf, ts])
    assert (np.diff(es) < 0).any() or (np.diff(eb) < 0).any()  # really non-monotone
    c_es, sic, c_t = sic_curve(y, s, sample_weight=w)
    np.testing.assert_allclose(sic, brute_sic(es, eb), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(c_es, es, rtol=1e-12, atol=1e-13)
    np.testing.assert_array_equal(c_t, ts)
    ref = brute_pairwise_auc(y, s, w)
    trapezoid = 0.5 * np.sum(np.diff(np.r_[0, eb]) * (np.r_[0, es][1:] + np.r_[0, es][:-1]))
    assert auc(y, s, sample_weight=w) == pytest.approx(ref, abs=1e-12)
    assert trapezoid == pytest.approx(ref, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("n_min", [1.0, 5.0, 20.0])
def test_max_sic_and_working_points_against_brute_force(seed, n_min):
    y, s, w = negative_sample(seed)
    _, es, eb, _ = brute_curve(y, s, w)
    assert max_sic(y, s, sample_weight=w, min_background=n_min) == pytest.approx(
        brute_max_sic(y, s, w, n_min), rel=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MetricWarning)
        for t in (0.0, 0.2, 0.3, 0.5, 0.95, 1.0):
            ref_b = brute_first_crossing(es, eb, t)
            assert fpr_at_tpr(y, s, t, sample_weight=w) == pytest.approx(ref_b, abs=1e-12)
            expect_r = 1.0 / ref_b if ref_b > 0 else np.inf
            assert rejection_at(y, s, t, sample_weight=w) == pytest.approx(expect_r, rel=1e-10)
            assert efficiency_at(y, s, t, sample_weight=w) == pytest.approx(
                brute_first_crossing(eb, es, t), abs=1e-12)
    assert average_precision(y, s, sample_weight=w) == pytest.approx(brute_ap(y, s, w), abs=1e-12)


def test_negative_signal_efficiency_gives_negative_sic_not_a_squared_one():
    """The finding: squaring the SIC counted a negative ε_S as positive (1.275 vs 1.0)."""
    rng = np.random.default_rng(4)
    nb, nneg, npos = 200, 40, 200
    s = np.r_[rng.uniform(0, 1, nb), rng.uniform(0.7, 1, nneg), rng.uniform(0, 1, npos)]
    y = np.r_[np.zeros(nb, bool), np.ones(nneg + npos, bool)]
    w = np.r_[np.ones(nb), -3.0 * np.ones(nneg), np.ones(npos)]
    _, es, eb, w2 = brute_curve(y, s, w)
    ref = brute_max_sic(y, s, w, 50.0)
    got = max_sic(y, s, sample_weight=w, min_background=50.0)
    assert got == pytest.approx(ref, rel=1e-12)
    assert got == pytest.approx(1.0, abs=1e-12)  # the loosest cut: nothing beats "no cut"
    # the squared-SIC maximum would have been the largest |SIC| among eligible cuts
    elig = (eb > 0) & ((eb * nb) ** 2 / np.where(w2 > 0, w2, 1) >= 50)
    squared_max = np.max(np.abs(brute_sic(es, eb))[elig])
    assert squared_max > 1.3  # what squaring reported: the test can fail
    _, sic, _ = sic_curve(y, s, sample_weight=w)
    assert (sic[es < 0] < 0).all() and (es < 0).any()
    # all-negative SIC is reported as such
    c = ranking_curve(y, s, sample_weight=w)
    only_neg = np.where(c.eps_s < 0, True, False) & c.eligible(50.0)
    assert float(c.max_sic(eligible=only_neg)) < 0


@pytest.mark.parametrize("seed", [0, 3])
def test_ranking_invariances_with_negative_weights(seed):
    y, s, w = negative_sample(seed)
    ref = all_metrics(y, s, w, n_min=5.0)
    rng = np.random.default_rng(seed)
    perm = rng.permutation(s.size)
    k = int(np.flatnonzero(~y)[0])  # split a background event w -> (2w, -w)
    ys = np.r_[y, y[k]]
    ss = np.r_[s, s[k]]
    wsplit = np.r_[w, -w[k]]
    wsplit[k] = 2 * w[k]
    variants = {
        "permutation": (y[perm], s[perm], w[perm]),
        "rescale 3.7": (y, s, 3.7 * w),
        "rescale 1e-9": (y, s, 1e-9 * w),
        "monotone exp": (y, np.exp(2.0 * s) - 5.0, w),
        "monotone cube": (y, s**3 + s, w),
    }
    for name, (yy, sv, wv) in variants.items():
        got = all_metrics(yy, sv, wv, n_min=5.0)
        for key in ref:
            np.testing.assert_allclose(got[key], ref[key], rtol=1e-9, atol=1e-12,
                                       err_msg=f"{name}: {key}")
    # splitting leaves every efficiency unchanged (the Kish count drops, so compare max SIC
    # where the N_min rule is not binding: min_background=0 -> any cut with ε_B > 0)
    got = all_metrics(ys, ss, wsplit, n_min=0.0)
    ref0 = all_metrics(y, s, w, n_min=0.0)
    for key in ref0:
        np.testing.assert_allclose(got[key], ref0[key], rtol=1e-9, atol=1e-12,
                                   err_msg=f"split: {key}")
    c, c2 = ranking_curve(y, s, sample_weight=w), ranking_curve(ys, ss, sample_weight=wsplit)
    assert c2.n_eff_background()[-1] < c.n_eff_background()[-1]  # statistically poorer


def brute_replicas(y, s, w, n, seed, metric):
    """Replica r: event at sorted position k gets count k of stream r (as the fast path)."""
    seeds = np.random.SeedSequence(seed).spawn(n)
    order, _ = sort_order(np.asarray(s, dtype=np.float64))
    out = []
    for ss in seeds:
        wr = w.copy()
        wr[order] = w[order] * poisson1(ss, s.size)
        if not (wr[y].sum() > 0 and wr[~y].sum() > 0):
            out.append(np.nan)
        else:
            out.append(metric(y, s, wr))
    return np.array(out)


def test_bootstrap_replicas_against_brute_force_and_nan_for_nonpositive_totals():
    y, s, w = negative_sample(5, n=200)
    res = bootstrap_many({"auc": ("auc", {}), "ap": ("average_precision", {})},
                         y, s, sample_weight=w, n=30, seed=7)
    np.testing.assert_allclose(res["auc"].replicas, brute_replicas(y, s, w, 30, 7,
                                                                   brute_pairwise_auc),
                               atol=1e-12)
    np.testing.assert_allclose(res["ap"].replicas, brute_replicas(y, s, w, 30, 7, brute_ap),
                               atol=1e-12)
    # one positive signal event among negative ones: the replica total is <= 0 whenever the
    # Poisson count of that event is small -> those replicas are NaN, not garbage
    y2 = np.r_[np.zeros(60, bool), np.ones(4, bool)]
    s2 = np.r_[np.linspace(0, 1, 60), [0.9, 0.5, 0.7, 0.2]]
    w2 = np.r_[np.ones(60), [3.0, -1.0, -0.5, -0.5]]
    with pytest.warns(MetricWarning, match="undefined in"):
        r = bootstrap_many({"auc": ("auc", {})}, y2, s2, sample_weight=w2, n=40, seed=1)["auc"]
    ref = brute_replicas(y2, s2, w2, 40, 1, brute_pairwise_auc)
    assert np.isnan(ref).sum() >= 5
    np.testing.assert_array_equal(np.isnan(r.replicas), np.isnan(ref))
    np.testing.assert_allclose(r.replicas, ref, atol=1e-12)
    finite = ref[~np.isnan(ref)]
    assert r.lo == pytest.approx(np.percentile(finite, 16.0), abs=1e-12)
    assert r.hi == pytest.approx(np.percentile(finite, 84.0), abs=1e-12)


def brute_ece(y, p, w, edges):
    """Bins [edges] as scikit-learn (right-closed interior edges), drop W_b <= 0."""
    num = den = 0.0
    ids = np.searchsorted(edges[1:-1], p, side="left")
    for b in range(edges.size - 1):
        m = ids == b
        wb = w[m].sum()
        if m.any() and wb > 0:
            conf = np.sum(w[m] * p[m]) / wb
            freq = np.sum(w[m] * y[m]) / wb
            num += wb * abs(conf - freq)
            den += wb
    return num / den


def test_calibration_with_negative_weights_against_brute_force():
    rng = np.random.default_rng(8)
    n = 400
    p = rng.uniform(size=n)
    y = rng.uniform(size=n) < p**1.3
    w = rng.uniform(0.2, 2.0, n) * np.where(rng.uniform(size=n) < NEG, -1.0, 1.0)
    edges_u = np.linspace(0, 1, 11)
    assert ece(y, p, sample_weight=w, n_bins=10, strategy="uniform") == pytest.approx(
        brute_ece(y, p, w, edges_u), abs=1e-12)
    edges_q = np.quantile(p, np.linspace(0, 1, 11), weights=np.abs(w), method="inverted_cdf")
    assert ece(y, p, sample_weight=w, n_bins=10) == pytest.approx(brute_ece(y, p, w, edges_q),
                                                                  abs=1e-12)
    # invariances: permutation, rescale (uniform and quantile); split (uniform bins only:
    # quantile edges use |w|, which a split changes)
    perm = rng.permutation(n)
    assert ece(y[perm], p[perm], sample_weight=5.0 * w[perm], n_bins=10) == pytest.approx(
        ece(y, p, sample_weight=w, n_bins=10), abs=1e-12)
    k = 0
    ws = np.r_[w, -w[k]]
    ws[k] = 2 * w[k]
    assert ece(np.r_[y, y[k]], np.r_[p, p[k]], sample_weight=ws, n_bins=10, strategy="uniform") == \
        pytest.approx(ece(y, p, sample_weight=w, n_bins=10, strategy="uniform"), abs=1e-12)
    # a bin whose total weight is negative is dropped with a warning
    w_bad = w.copy()
    w_bad[p < 0.1] = -1.0
    with pytest.warns(MetricWarning, match="non-positive total weight"):
        conf, freq, wt = reliability_curve(y, p, sample_weight=w_bad, n_bins=10, strategy="uniform")
    assert wt.size == 9 and (wt > 0).all()
    ids = np.searchsorted(edges_u[1:-1], p, side="left")
    for k, b in enumerate(range(1, 10)):  # bin 0 (p < 0.1) is the dropped one
        m = ids == b
        assert wt[k] == pytest.approx(w_bad[m].sum(), abs=1e-12)
        assert conf[k] == pytest.approx(np.sum(w_bad[m] * p[m]) / w_bad[m].sum(), abs=1e-12)
        assert freq[k] == pytest.approx(np.sum(w_bad[m] * y[m]) / w_bad[m].sum(), abs=1e-12)


def brute_jsd(a, b):
    pa, pb = a / a.sum(), b / b.sum()
    m = 0.5 * (pa + pb)
    kl = lambda x: sum(xi * math.log2(xi / mi) for xi, mi in zip(x, m, strict=True) if xi > 0)  # noqa: E731
    return 0.5 * kl(pa) + 0.5 * kl(pb)


def test_sculpting_with_negative_weights_against_brute_force():
    rng = np.random.default_rng(9)
    n = 3000
    y = rng.uniform(size=n) < 0.3
    obs = rng.exponential(300, n) + 1000
    s = rng.normal(y, 1.0) + obs / 2000.0
    w = np.where(rng.uniform(size=n) < NEG, -0.5, 1.0)
    edges = np.linspace(obs[~y].min(), obs[~y].max(), 6)
    r = sculpting_jsd(y, s, obs, 0.5, edges, sample_weight=w)
    # brute: first threshold (descending) where the signed ε_S reaches 0.5
    ts, es, _, _ = brute_curve(y, s, w)
    cut = ts[int(np.argmax(es >= 0.5))]
    b = ~y
    hp, _ = np.histogram(obs[b & (s >= cut)], edges, weights=w[b & (s >= cut)])
    hf, _ = np.histogram(obs[b & (s < cut)], edges, weights=w[b & (s < cut)])
    assert (hp >= 0).all() and (hf >= 0).all()
    assert r.threshold == cut
    assert r.jsd == pytest.approx(brute_jsd(hp, hf), rel=1e-10)
    # invariances of the JSD and the cut (the floors depend on the random split)
    perm = rng.permutation(n)
    for yy, ss, ww, oo in ((y[perm], s[perm], w[perm], obs[perm]),
                           (y, np.exp(s), 2.5 * w, obs),
                           (np.r_[y, y[0]], np.r_[s, s[0]], np.r_[2 * w[0], w[1:], -w[0]],
                            np.r_[obs, obs[0]])):
        assert sculpting_jsd(yy, ss, oo, 0.5, edges, sample_weight=ww).jsd == pytest.approx(
            r.jsd, rel=1e-9)
    # a negative bin cannot enter a JSD: an error naming the fix, never a clipped number
    w_neg = w.copy()
    w_neg[b & (obs > edges[-2])] = -1.0
    with pytest.raises(StatisticsError, match=r"negative total weight.*fewer or wider bins"):
        sculpting_jsd(y, s, obs, 0.5, edges, sample_weight=w_neg)


def test_streaming_histogram_with_negative_weights_equals_brute_force():
    y, s, w = negative_sample(6, n=400)
    ts = np.unique(s)
    edges = np.r_[ts, ts[-1] + 1.0]  # an edge at every distinct score: exact curve
    h = ScoreHistogram.empty(edges)
    for part in np.array_split(np.arange(s.size), 3):
        h.fill(y[part], s[part], sample_weight=w[part])
    _, es, eb, _ = brute_curve(y, s, w)
    c = h.curve()
    np.testing.assert_allclose(c.eps_s, es, atol=1e-12)
    np.testing.assert_allclose(c.eps_b, eb, atol=1e-12)
    summ = summary(h, min_background=5.0, eff_s=(0.3, 0.5), eps_b=(0.1,))
    assert summ["auc"] == pytest.approx(brute_pairwise_auc(y, s, w), abs=1e-12)
    assert summ["max_sic"] == pytest.approx(brute_max_sic(y, s, w, 5.0), rel=1e-12)
    assert summ["fpr_at_95tpr"] == pytest.approx(brute_first_crossing(es, eb, 0.95), abs=1e-12)
    assert summ["efficiency_at"]["0.1"] == pytest.approx(brute_first_crossing(eb, es, 0.1),
                                                         abs=1e-12)
    # the split invariance holds partition by partition
    h2 = (ScoreHistogram.empty(edges).fill(y, s, sample_weight=w)
          .fill(y[:1], s[:1], sample_weight=-w[:1]).fill(y[:1], s[:1], sample_weight=w[:1]))
    np.testing.assert_allclose(h2.curve().eps_s, es, atol=1e-12)


def test_class_conditional_table_with_negative_weights_against_brute_force():
    import pyarrow as pa

    from sciood.data.eventset import EventSet
    from sciood.evaluate import evaluate

    rng = np.random.default_rng(10)
    lab = np.array(["qcd"] * 250 + ["ttbar"] * 120 + ["sig"] * 130)
    s = np.round(rng.normal((lab == "sig") * 1.0 + (lab == "ttbar") * 0.5, 1.0), 1)
    w = rng.uniform(0.2, 2.0, lab.size) * np.where(rng.uniform(size=lab.size) < NEG, -1, 1)
    es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig", "weight": w,
                            "mj1": rng.normal(size=lab.size)}))
    # max_sic_naive is the in-sample maximum (what the brute force computes); the max_sic
    # column is the cross-fitted honest estimate since issue 14 (checked in test_honest.py)
    t = evaluate(s, es, metrics=["auc", "max_sic_naive", "max_sic"], working_points={},
                 n_bootstrap=4, signal_fraction=None)
    for cell in t.cells:
        bkg = (lab == cell.background) if cell.background != "all_backgrounds" else lab != "sig"
        m = (lab == "sig") | bkg
        ym = lab[m] == "sig"
        assert cell.values["auc"][0] == pytest.approx(
            brute_pairwise_auc(ym, s[m], w[m]), abs=1e-12)
        ref = brute_max_sic(ym, s[m], w[m], 50.0)
        if np.isfinite(ref):
            assert cell.values["max_sic_naive"][0] == pytest.approx(ref, rel=1e-12)
        else:
            assert math.isnan(cell.values["max_sic_naive"][0])
            assert math.isnan(cell.values["max_sic"][0])
