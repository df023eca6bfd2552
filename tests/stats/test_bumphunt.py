"""Dijet background fit and sliding-window bump hunt on toy spectra drawn from the fit function."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError, UnknownNameError
from sciood.stats import (
    bump_hunt,
    cut_threshold_for_efficiency,
    default_range,
    dijet_function,
    fit_background,
    log_bins,
)
from sciood.stats.bumphunt import _scan

TRUE = (0.0, 10.0, 5.0, 0.0)
RANGE = (2600.0, 5000.0)


def sample_dijet(n: int, rng: np.random.Generator, params=TRUE, lo=RANGE[0], hi=RANGE[1]):
    """Exact inverse-CDF sampling of the dijet density on a fine grid, shape (n,)."""
    grid = np.linspace(lo, hi, 40001)
    cdf = np.concatenate(
        [
            [0.0],
            np.cumsum(0.5 * (dijet_function(grid[1:], params) + dijet_function(grid[:-1], params))),
        ]
    )
    return np.interp(rng.random(n), cdf / cdf[-1], grid)


def expected_truth(edges: np.ndarray, n_total: float) -> np.ndarray:
    fine = [np.linspace(a, b, 201) for a, b in itertools.pairwise(edges)]
    integ = np.array([np.trapezoid(dijet_function(f, TRUE), f) for f in fine])
    return n_total * integ / integ.sum()


@pytest.fixture(scope="module")
def background() -> np.ndarray:
    return sample_dijet(100_000, np.random.default_rng(1))


def test_fit_recovers_truth_and_goodness_of_fit(background: np.ndarray) -> None:
    fit = fit_background(background, mjj_range=RANGE)
    assert fit.converged
    assert fit.ndf == fit.edges.size - 1 - 4
    assert fit.p_value > 0.001
    assert fit.chi2_ndf == pytest.approx(fit.chi2 / fit.ndf)
    truth = expected_truth(fit.edges, background.size)
    pred = fit.expected()
    # prediction agrees with the generating density within its own Poisson error per bin
    assert np.all(np.abs(pred - truth) < 4 * np.sqrt(truth))
    assert pred.sum() == pytest.approx(background.size, rel=1e-3)  # extended fit: normalised
    # predictions in arbitrary bins integrate consistently
    coarse = fit.expected(np.array([2600.0, 3300.0, 5000.0]))
    assert coarse.sum() == pytest.approx(pred.sum(), rel=1e-6)
    up, down = fit.eigen_variations()
    assert up.shape == down.shape == (4, fit.edges.size - 1)
    assert set(fit.params) == {"ln_p0", "p1", "p2", "p3"}
    json.dumps(fit.to_dict())


def test_fit_uncertainty_matches_toy_spread(background: np.ndarray) -> None:
    """The covariance-propagated ±1σ of a window prediction matches the spread over refits."""
    fit = fit_background(background, mjj_range=RANGE)
    rng = np.random.default_rng(2)
    lo, hi = 3300.0, 3700.0
    mask_window = (lo, hi)
    mu = fit.expected()
    preds = []
    masked = fit_background(background, mjj_range=RANGE, mask_window=mask_window)
    sigma = masked.uncertainty(lo, hi)
    for _ in range(40):
        counts = rng.poisson(mu)
        centres = np.sqrt(fit.edges[1:] * fit.edges[:-1])
        toy = fit_background(centres, sample_weight=counts.astype(float), bins=fit.edges,
                             mask_window=mask_window)
        preds.append(float(toy.expected(np.array([lo, hi]))[0]))
    spread = float(np.std(preds, ddof=1))
    assert 0.7 < sigma / spread < 1.45, (sigma, spread)


def test_weighted_fit_is_scale_invariant(background: np.ndarray) -> None:
    """Constant weights c: same shape, ln_p0 shifted by ln c, identical χ² (scaled Poisson)."""
    f1 = fit_background(background, mjj_range=RANGE)
    f2 = fit_background(background, sample_weight=np.full(background.size, 0.25), mjj_range=RANGE)
    assert f2.params["ln_p0"] == pytest.approx(f1.params["ln_p0"] + math.log(0.25), abs=1e-3)
    for k in ("p1", "p2", "p3"):
        assert f2.params[k] == pytest.approx(f1.params[k], rel=1e-3, abs=1e-3)
    assert f2.chi2 == pytest.approx(f1.chi2, rel=1e-4)
    # relative prediction uncertainty is the same (effective counts unchanged)
    assert f2.uncertainty(3300, 3700) / f2.expected([3300, 3700])[0] == pytest.approx(
        f1.uncertainty(3300, 3700) / f1.expected([3300, 3700])[0], rel=1e-3
    )


def test_background_only_local_p_values_are_calibrated() -> None:
    """Background-only toys: P(p_local <= α) ≈ α in a fixed window (not KS: q0 piles up at 0.5)."""
    edges = log_bins(*RANGE)
    truth = expected_truth(edges, 50_000)
    rng = np.random.default_rng(3)
    win = np.array([[9, 13]])
    start = list(fit_background(np.sqrt(edges[1:] * edges[:-1]), sample_weight=truth,
                                bins=edges).values)
    n_toys = 400
    p = np.empty(n_toys)
    for t in range(n_toys):
        n = rng.poisson(truth).astype(float)
        p[t] = sps.norm.sf(_scan(edges, n, n, win, 13000.0, start).z[0])
    for alpha in (0.05, 0.01):
        err = math.sqrt(alpha * (1 - alpha) / n_toys)
        assert abs(np.mean(p <= alpha) - alpha) < 3 * err, (alpha, np.mean(p <= alpha))
    assert 0.35 < np.mean(p == 0.5) < 0.65


def _signal(n: int, rng: np.random.Generator, mass: float = 3500.0) -> np.ndarray:
    return rng.normal(mass, 0.05 * mass, n)


def test_injected_bump_is_found_in_the_right_window(background: np.ndarray, tmp_path) -> None:
    rng = np.random.default_rng(4)
    sig = _signal(900, rng)
    obs = np.concatenate([background, sig])
    truth = np.r_[np.zeros(background.size, bool), np.ones(sig.size, bool)]
    res = bump_hunt(obs, is_signal=truth, mjj_range=RANGE, n_toys=25, seed=1)
    lo, hi = res.best_window
    assert lo < 3500.0 < hi
    # ~5σ-scale injection: the Asimov expectation and the observation agree roughly
    assert 4.0 < res.local_z_expected < 7.0
    assert res.local_z_observed > 3.5
    assert abs(res.local_z_observed - res.local_z_expected) < 2.5
    assert res.global_method in ("toys", "gross-vitells")
    assert 0 < res.global_z_observed < res.local_z_observed
    assert res.global_z_gross_vitells is not None
    assert res.n_toys == 25 and res.n_toys_failed == 0
    # the BumpHunter statistic is pyBumpHunter's on the same windows, against the B-only fit
    from sciood.stats import bumphunter_scan

    e, width = 2, int(np.median(np.diff(np.searchsorted(res.edges, res.windows), axis=1)))
    n = res.counts.size
    bh = bumphunter_scan(res.counts[e : n - e], res.background_fit.expected()[e : n - e],
                         width_min=width, width_max=width)
    assert res.bumphunter_t == pytest.approx(bh.t, rel=1e-9)
    # the fitted peak and yield recover the injection
    assert abs(res.best_mass - 3500.0) < 3 * res.best_mass_error
    assert abs(res.best_signal - 900.0) < 3 * res.best_signal_error
    assert res.bumphunter_global_p is not None and 0 <= res.bumphunter_global_p <= 1
    assert res.fake_bump_z is not None and res.fake_bump_z < 3.0 and not res.sculpting_flag
    assert np.all(np.isfinite(res.z_local_observed))
    json.dumps(res.to_dict())
    res.to_json(tmp_path / "hunt.json")
    back = json.loads((tmp_path / "hunt.json").read_text())
    assert back["local_z_observed"] == pytest.approx(res.local_z_observed)
    assert back["local_z_expected"] == pytest.approx(res.local_z_expected)


def test_toys_are_reproducible(background: np.ndarray) -> None:
    sub = background[:20000]
    a = bump_hunt(sub, mjj_range=RANGE, n_toys=8, seed=7)
    b = bump_hunt(sub, mjj_range=RANGE, n_toys=8, seed=7)
    assert np.array_equal(a.toy_max_z, b.toy_max_z)
    assert a.global_p_observed == b.global_p_observed
    assert "sculpting not checked" in " ".join(a.flags)


def test_score_cut_improves_significance_and_sculpting_guard(background: np.ndarray) -> None:
    rng = np.random.default_rng(5)
    sig = _signal(400, rng)
    obs = np.concatenate([background, sig])
    truth = np.r_[np.zeros(background.size, bool), np.ones(sig.size, bool)]
    # a detector independent of mjj: background scores U(0,1); signal mostly high
    score = np.where(truth, rng.uniform(0.85, 1.0, obs.size), rng.uniform(0.0, 1.0, obs.size))
    base = bump_hunt(obs, None, is_signal=truth, mjj_range=RANGE, n_toys=0)
    cut = bump_hunt(obs, score, is_signal=truth, cut_eff_b=0.1, mjj_range=RANGE, n_toys=0)
    assert cut.cut_eff_b == pytest.approx(0.1, abs=1e-3)
    assert cut.local_z_expected > 1.5 * base.local_z_expected
    assert cut.local_z_observed > base.local_z_observed
    assert cut.best_window[0] < 3500 < cut.best_window[1]
    assert cut.global_z_observed is None and cut.global_method == "none"
    # a score that peaks in mjj sculpts a fake bump in background-only events
    sculpt = -np.abs(obs - 3500.0) / 3500.0 + rng.normal(0, 0.01, obs.size)
    bad = bump_hunt(obs, sculpt, is_signal=truth, cut_eff_b=0.3, mjj_range=RANGE, n_toys=0)
    assert bad.sculpting_flag is True
    assert any("SCULPTING" in f for f in bad.flags)


def test_background_reference_for_unlabelled_data(background: np.ndarray) -> None:
    rng = np.random.default_rng(6)
    data = background[:50000]
    ref = background[50000:]
    score_d, score_r = rng.random(data.size), rng.random(ref.size)
    res = bump_hunt(
        data,
        score_d,
        cut_eff_b=0.5,
        mjj_range=RANGE,
        n_toys=0,
        background_reference=(ref, score_r, None),
    )
    assert res.fake_bump_z is not None and res.sculpting_flag is False
    assert res.local_z_expected is None  # no truth: no expected significance


def test_cut_threshold_for_efficiency_weighted() -> None:
    rng = np.random.default_rng(8)
    s = rng.random(10000)
    w = rng.uniform(0.5, 1.5, s.size)
    for eff in (0.01, 0.1, 0.5):
        t = cut_threshold_for_efficiency(s, eff, sample_weight=w)
        kept = w[s >= t].sum() / w.sum()
        assert kept == pytest.approx(eff, abs=2e-4)
    # negative weights are legal in the sums
    w2 = w.copy()
    w2[:100] *= -1
    t = cut_threshold_for_efficiency(s, 0.2, sample_weight=w2)
    assert w2[s >= t].sum() / w2.sum() == pytest.approx(0.2, abs=5e-4)
    with pytest.raises(DataError):
        cut_threshold_for_efficiency(s, 0.0, sample_weight=w)


def test_bad_input_raises_clear_errors(background: np.ndarray) -> None:
    obs = background[:5000].copy()
    with pytest.raises(DataError, match="NaN"):
        bump_hunt(np.r_[obs, np.nan], mjj_range=RANGE, n_toys=0)
    with pytest.raises(DataError):
        bump_hunt(obs, np.ones(3), mjj_range=RANGE, n_toys=0)
    with pytest.raises(DataError):
        bump_hunt(np.array([]), n_toys=0)
    with pytest.raises(DataError, match="score is None"):
        bump_hunt(obs, None, cut_eff_b=0.1, mjj_range=RANGE)
    with pytest.raises(DataError, match="empty"):
        bump_hunt(obs, windows=[(3000.0, 3001.0)], mjj_range=RANGE, n_toys=0)
    with pytest.raises(DataError, match="no events"):
        bump_hunt(obs, mjj_range=(6000.0, 8000.0), n_toys=0)
    with pytest.raises(UnknownNameError, match="dijet4"):
        fit_background(obs, model="dijet6")
    with pytest.raises(UnknownNameError, match="signal-fit"):
        bump_hunt(obs, mjj_range=RANGE, n_toys=0, method="sliding")
    # settings that make no sense are refused, not run
    for kwargs in ({"n_toys": -5}, {"n_toys": 2.5}, {"windows": 0}, {"signal_rel_width": 0.0},
                   {"window_rel_width": -0.1}, {"toy_rel_error": 0.0}, {"sculpt_alpha": 1.0}):
        with pytest.raises(DataError):
            bump_hunt(obs, mjj_range=RANGE, **{"n_toys": 0, **kwargs})
    # negative expected background: negative sum of weights in a bin
    w = np.ones_like(obs)
    w[(obs > 3000) & (obs < 3050)] = -5.0
    with pytest.raises(StatisticsError, match="negative"):
        fit_background(obs, sample_weight=w, mjj_range=RANGE)
    # too few bins for 4 parameters: the fit cannot be done
    with pytest.raises(StatisticsError):
        fit_background(obs, bins=[2600.0, 3000.0, 3500.0, 5000.0])
    # spectra the dijet function cannot describe: the fit does not converge -> clear error
    for bad in (np.full(1000, 3000.0), np.r_[np.full(2000, 2700.0), np.full(2000, 4900.0)]):
        with pytest.raises(StatisticsError, match=r"converge|non-empty bins"):
            fit_background(bad, mjj_range=RANGE)
        with pytest.raises(StatisticsError, match=r"converge|non-empty bins"):
            bump_hunt(bad, mjj_range=RANGE, n_toys=0)


def test_failed_windows_are_flagged_not_reported_as_numbers(background: np.ndarray) -> None:
    """Windows with no usable fit give NaN Z, are listed in flags and never chosen as best."""
    edges = log_bins(*RANGE)
    sumw, _ = np.histogram(background, edges)
    sumw = sumw.astype(float)
    win = np.array([[2, 6], [1, 24]])  # the second masks so much that 4 params can't be fitted
    sc = _scan(edges, sumw, sumw, win, 13000.0, None)
    assert np.isfinite(sc.z[0]) and not sc.failed[0]
    assert sc.failed[1] and np.isnan(sc.z[1])
    res = bump_hunt(
        background, windows=[(2800.0, 3100.0), (2650.0, 4900.0)], mjj_range=RANGE, n_toys=0,
        method="masked-window",
    )
    assert res.best_index == 0
    assert any("fit failed" in f for f in res.flags)
    assert res.to_dict()["z_local_observed"][1] is None


def test_default_range_starts_above_the_turn_on() -> None:
    rng = np.random.default_rng(12)
    raw = sample_dijet(200_000, rng, lo=1800.0, hi=5000.0)
    # trigger turn-on: efficiency rises around 2.3 TeV, so the spectrum peaks near it
    keep = rng.random(raw.size) < sps.norm.cdf((raw - 2300.0) / 120.0)
    mjj = raw[keep]
    lo, hi = default_range(mjj)
    counts, edges = np.histogram(mjj, log_bins(mjj.min(), mjj.max()))
    assert lo > edges[np.argmax(counts)]
    assert hi >= mjj.max()
    fit = fit_background(mjj)  # default range: must converge, unlike a fit through the turn-on
    assert fit.converged and fit.edges[0] == pytest.approx(lo)
    # a spectrum without a turn-on keeps its full range
    assert default_range(raw)[0] == pytest.approx(raw.min())


def test_expected_significance_at_luminosity(background: np.ndarray) -> None:
    rng = np.random.default_rng(13)
    sig = _signal(300, rng)
    obs = np.concatenate([background, sig])
    truth = np.r_[np.zeros(background.size, bool), np.ones(sig.size, bool)]
    w = np.full(obs.size, 0.01)  # weights per fb^-1
    eff = bump_hunt(obs, None, sample_weight=w, is_signal=truth, mjj_range=RANGE, n_toys=0)
    at100 = bump_hunt(obs, None, sample_weight=w, is_signal=truth, mjj_range=RANGE, n_toys=0,
                      luminosity=100.0)
    at400 = bump_hunt(obs, None, sample_weight=w, is_signal=truth, mjj_range=RANGE, n_toys=0,
                      luminosity=400.0)
    assert at100.local_z_expected == pytest.approx(eff.local_z_expected, rel=1e-9)
    # s, b and the fit's variance all scale with L: the Asimov Z scales exactly like sqrt(L)
    assert at400.local_z_expected / at100.local_z_expected == pytest.approx(2.0, rel=1e-9)
    assert at400.local_z_observed == pytest.approx(at100.local_z_observed)
    with pytest.raises(DataError):
        bump_hunt(obs, luminosity=-1.0, mjj_range=RANGE)


def test_window_significance_matches_pyhf_q0(background: np.ndarray) -> None:
    """Each window's observed Z equals pyhf's q0 for that window (single bin, shapesys σ_b)."""
    import pyhf

    pyhf.set_backend("numpy")
    rng = np.random.default_rng(14)
    obs = np.concatenate([background[:30000], _signal(150, rng)])
    res = bump_hunt(obs, mjj_range=RANGE, n_toys=0, method="masked-window", model="dijet4")
    for i in np.argsort(res.z_local_observed)[-3:]:
        n, b, sb = res.n_observed[i], res.b_expected[i], res.sigma_b[i]
        spec = {
            "channels": [
                {
                    "name": "w",
                    "samples": [
                        {
                            "name": "s",
                            "data": [max(n - b, 1.0)],
                            "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                        },
                        {
                            "name": "b",
                            "data": [b],
                            "modifiers": [{"name": "u", "type": "shapesys", "data": [sb]}],
                        },
                    ],
                }
            ]
        }
        model = pyhf.Model(spec, poi_name="mu")
        p0 = pyhf.infer.hypotest(0.0, [n, *model.config.auxdata], model, test_stat="q0")
        assert res.z_local_observed[i] == pytest.approx(float(sps.norm.isf(float(p0))), abs=1e-3)


def test_guard_bins_keep_signal_tails_out_of_the_fit() -> None:
    """Asimov spectrum with a 5 % Gaussian signal: guard bins reduce the fit's pull on b."""
    edges = log_bins(*RANGE)
    b_true = expected_truth(edges, 100_000)
    sig = 600 * np.diff(sps.norm.cdf(edges, 3500.0, 175.0))
    data = b_true + sig
    a = int(np.searchsorted(edges, 3344.0))
    win = np.array([[a, a + 4]])
    start = list(fit_background(np.sqrt(edges[1:] * edges[:-1]), sample_weight=b_true,
                                bins=edges).values)
    b0 = _scan(edges, data, data, win, 13000.0, start, 0).b[0]
    b2 = _scan(edges, data, data, win, 13000.0, start, 2).b[0]
    truth_w = b_true[a : a + 4].sum()
    assert b0 > truth_w  # tails in the sidebands pull the fit up
    assert abs(b2 - truth_w) < 0.5 * abs(b0 - truth_w)
    with pytest.raises(DataError):
        bump_hunt(sample_dijet(5000, np.random.default_rng(0)), mask_pad_bins=-1, n_toys=0)


def test_a_spectrum_with_a_hole_is_refused_and_low_counts_are_flagged(
    background: np.ndarray,
) -> None:
    holed = background[(background < 3400.0) | (background > 3600.0)]
    with pytest.raises(DataError, match="hole"):
        bump_hunt(holed, mjj_range=RANGE, n_toys=0)
    few = bump_hunt(background[:200], mjj_range=RANGE, n_toys=0)
    assert few.low_counts and any("low counts" in f for f in few.flags)
    assert not bump_hunt(background[:20000], mjj_range=RANGE, n_toys=0).low_counts
