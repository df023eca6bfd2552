"""BumpHunter statistic: cross-check against pyBumpHunter 0.5 on the same histograms.

Spectra: the 4-parameter dijet function (log bins, 1.5–6.5 TeV, 2e5 expected events)
as the known background; "bump" adds a Gaussian of 120 events at 3.5 TeV (5 % width).
"""

from __future__ import annotations

import contextlib
import io
import json
import math

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps

from sciood.errors import DataError
from sciood.stats import dijet_function, log_bins
from sciood.stats.bumphunter import _log_gammainc_series, bumphunter_scan

pbh = pytest.importorskip("pyBumpHunter")

N_TOYS = 2000
EDGES = log_bins(1500.0, 6500.0, 0.04)


def _background(total: float = 2e5) -> np.ndarray:
    centres = np.sqrt(EDGES[1:] * EDGES[:-1])
    b = dijet_function(centres, (0.0, 10.0, 5.0, 0.0)) * np.diff(EDGES)
    return b * (total / b.sum())


def _spectrum(kind: str) -> tuple[np.ndarray, np.ndarray]:
    b = _background()
    if kind == "bump":
        s = 120.0 * np.diff(sps.norm.cdf(EDGES, 3500.0, 175.0))
        return np.random.default_rng(0).poisson(b + s).astype(float), b
    return np.random.default_rng(100).poisson(b).astype(float), b


def _run_pbh(data: np.ndarray, bkg: np.ndarray, npe: int, seed: int, **kw):
    bh = pbh.BumpHunter1D(npe=npe, nworker=1, seed=seed, bins=EDGES, **kw)
    with contextlib.redirect_stdout(io.StringIO()):  # it prints its progress
        bh.bump_scan(data, bkg, is_hist=True, do_pseudo=npe > 0)
    return bh


@pytest.mark.parametrize("kind", ["bump", "background-only"])
def test_same_windows_p_values_t_and_global_p_as_pybumphunter(kind):
    data, b = _spectrum(kind)
    ours = bumphunter_scan(data, b, edges=EDGES, n_toys=N_TOYS, seed=5)
    ref = _run_pbh(data, b, N_TOYS, seed=5)
    # same best window (first bin, width), same statistic, same signal estimate
    assert (ours.best_start, ours.best_width) == (ref.min_loc_ar[0], ref.min_width_ar[0])
    assert ours.t == pytest.approx(ref.t_ar[0], rel=1e-12)
    assert ours.min_local_p == pytest.approx(ref.min_Pval_ar[0], rel=1e-12)
    assert ours.signal_estimate == pytest.approx(ref.signal_eval, rel=1e-12)
    # every window's local p-value, width by width (same widths 1 .. n_bins // 2)
    assert ours.widths.tolist() == list(range(1, (EDGES.size - 1) // 2 + 1))
    assert len(ours.local_p) == len(ref.res_ar)
    for p_ours, p_ref in zip(ours.local_p, ref.res_ar, strict=True):
        np.testing.assert_allclose(p_ours, p_ref, rtol=1e-12, atol=1e-15)
    # global p: independent toys (Generator vs legacy seed) -> agree within binomial errors
    sd = math.hypot(
        ours.global_p_error, math.sqrt(ref.global_Pval * (1 - ref.global_Pval) / N_TOYS)
    )
    assert abs(ours.global_p - ref.global_Pval) <= 4.0 * sd + 1.0 / N_TOYS
    assert ours.global_p_error == pytest.approx(
        math.sqrt(ours.global_p * (1 - ours.global_p) / N_TOYS)
    )
    if kind == "bump":  # the injected mass is inside the window and it is a ~1.5 sigma bump
        lo, hi = ours.best_window
        assert lo < 3500.0 < hi
        assert 0.02 < ours.global_p < 0.15
    else:
        assert ours.global_p > 0.1


def test_same_pseudo_data_gives_identical_toy_statistics():
    """Feed pyBumpHunter's own toys (legacy seed) to our scan: t per toy and global p equal."""
    data, b = _spectrum("bump")
    npe, seed = 400, 11
    ref = _run_pbh(data, b, npe, seed=seed)
    # pyBumpHunter: np.random.seed(seed), then one poisson call = this legacy stream
    toys = np.random.RandomState(seed).poisson(lam=b[:, None], size=(b.size, npe))
    t_toys = np.array([bumphunter_scan(toys[:, i], b).t for i in range(npe)])
    np.testing.assert_allclose(t_toys, ref.t_ar[1:], rtol=1e-12)
    t_obs = bumphunter_scan(data, b).t
    assert np.sum(t_toys >= t_obs) / npe == ref.global_Pval


@pytest.mark.parametrize(
    ("width_min", "width_max", "width_step", "scan_step"),
    [(2, 6, 1, 1), (1, 12, 3, 2), (3, 9, 2, "half"), (2, 8, 1, "full")],
)
def test_window_grid_options_match_pybumphunter(width_min, width_max, width_step, scan_step):
    data, b = _spectrum("bump")
    kw = dict(width_min=width_min, width_max=width_max, width_step=width_step, scan_step=scan_step)
    ours = bumphunter_scan(data, b, **kw)
    ref = _run_pbh(data, b, 0, seed=1, **kw)
    assert (ours.best_start, ours.best_width) == (ref.min_loc_ar[0], ref.min_width_ar[0])
    assert ours.t == pytest.approx(ref.t_ar[0], rel=1e-12)
    for p_ours, p_ref in zip(ours.local_p, ref.res_ar, strict=True):
        np.testing.assert_allclose(p_ours, p_ref, rtol=1e-12, atol=1e-15)


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")  # pyBumpHunter's log(0)
def test_huge_bump_keeps_a_finite_t_where_pybumphunter_underflows():
    """Convention difference: p < 1e-308 is 0 (t = inf) in pyBumpHunter; here ln p continues."""
    b = _background()
    data = b.copy()
    data[20:23] += np.array([3000.0, 6000.0, 3000.0])
    data = np.round(data)
    ours = bumphunter_scan(data, b, n_toys=50, seed=2)
    ref = _run_pbh(data, b, 50, seed=2)
    assert math.isinf(ref.t_ar[0]) and ref.global_Pval == 0.0
    assert math.isfinite(ours.t) and ours.t > 700.0
    assert (ours.best_start, ours.best_width) == (20, 3)  # pyBumpHunter: first window with p = 0
    assert ours.global_p == 0.0 and ours.global_z_is_lower_limit
    assert ours.global_z == pytest.approx(ref.significance, rel=1e-9)  # Φ⁻¹(1 − 1/n_toys)


def test_log_space_series_matches_gammainc_where_it_is_representable():
    a = np.array([50.0, 400.0, 2000.0, 1e5, 12.5])
    x = np.array([5.0, 200.0, 1500.0, 9.7e4, 0.3])
    exact = np.log(special.gammainc(a, x))
    assert np.all(exact > -700)
    np.testing.assert_allclose(_log_gammainc_series(a, x), exact, rtol=1e-10)


def test_unit_weights_and_scaled_weights_give_the_unweighted_result():
    data, b = _spectrum("bump")
    plain = bumphunter_scan(data, b)
    unit = bumphunter_scan(data, b, sumw2=data)
    np.testing.assert_allclose(unit.width_min_p, plain.width_min_p, rtol=1e-12)
    # every event weighs k: Σw = k n, Σw² = k² n, background k b -> same effective counts
    k = 0.37
    scaled = bumphunter_scan(k * data, k * b, sumw2=k * k * data, n_toys=300, seed=4)
    assert scaled.t == pytest.approx(plain.t, rel=1e-10)
    assert scaled.best_bins == plain.best_bins
    # toys in effective counts: same draws as the unweighted toys up to the factor k
    plain_toys = bumphunter_scan(data, b, sumw2=data, n_toys=300, seed=4)
    np.testing.assert_allclose(scaled.toy_t, plain_toys.toy_t, rtol=1e-10)


def test_weights_enlarge_the_p_value():
    """Σw² > Σw (weights > 1 on average) means fewer effective events: a weaker excess."""
    data, b = _spectrum("bump")
    plain = bumphunter_scan(data, b)
    heavy = bumphunter_scan(data, b, sumw2=2.0 * data)
    assert heavy.t < plain.t
    i, j = plain.best_bins
    n, bb = data[i:j].sum(), b[i:j].sum()
    assert plain.min_local_p == pytest.approx(special.gammainc(n, bb), rel=1e-12)
    # the same window with k = 2: n/2 ~ Pois(b/2)
    p_heavy = heavy.local_p[plain.best_width - 1][i]  # scan_step 1: index = first bin
    assert p_heavy == pytest.approx(special.gammainc(n / 2, bb / 2), rel=1e-12)
    assert p_heavy > 10 * plain.min_local_p


def test_deficits_have_p_one_and_a_flat_spectrum_has_t_zero():
    b = np.full(10, 50.0)
    r = bumphunter_scan(b - 10.0, b, n_toys=100, seed=0)
    assert r.t == 0.0 and r.min_local_p == 1.0
    assert r.best_bins == (0, 1)  # pyBumpHunter's tie rule: first window, smallest width
    assert r.global_p == 1.0 and r.global_z == 0.0


def test_global_p_is_calibrated_on_background_only_spectra():
    b = _background()
    rng = np.random.default_rng(123)
    ps = np.array(
        [bumphunter_scan(rng.poisson(b), b, n_toys=200, seed=i).global_p for i in range(200)]
    )
    for alpha in (0.1, 0.3):  # P(p <= alpha) = alpha within ~3 binomial sigma
        frac = float(np.mean(ps <= alpha))
        assert abs(frac - alpha) < 3.0 * math.sqrt(alpha * (1 - alpha) / ps.size) + 0.005


def test_toys_are_deterministic_and_seeded():
    data, b = _spectrum("background-only")
    r1 = bumphunter_scan(data, b, n_toys=300, seed=9)
    r2 = bumphunter_scan(data, b, n_toys=300, seed=9)
    r3 = bumphunter_scan(data, b, n_toys=300, seed=10)
    np.testing.assert_array_equal(r1.toy_t, r2.toy_t)
    assert not np.array_equal(r1.toy_t, r3.toy_t)
    assert r1.n_toys_above == int(np.sum(r1.toy_t >= r1.t))


def test_to_dict_is_json_and_reports_the_window_in_gev():
    data, b = _spectrum("bump")
    r = bumphunter_scan(data, b, edges=EDGES, n_toys=100, seed=1)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["best_window"] == [EDGES[r.best_start], EDGES[r.best_start + r.best_width]]
    assert d["t"] == r.t and d["n_toys"] == 100
    assert json.loads(json.dumps(bumphunter_scan(data, b).to_dict()))["global_p"] is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(counts=np.ones(5), background=np.ones(4)), "same binning"),
        (dict(counts=np.ones((2, 5)), background=np.ones(5)), "1-D"),
        (dict(counts=np.r_[1.0, np.nan, 1, 1, 1], background=np.ones(5)), r"NaN/inf in bins \[1\]"),
        (dict(counts=np.r_[1.0, -1, 1, 1, 1], background=np.ones(5)), "negative"),
        (dict(counts=np.ones(5), background=np.r_[1.0, 1, 0, 1, 1]), r"<= 0 in bins \[2\]"),
        (dict(counts=np.ones(5), background=np.ones(5), width_min=0), "width_min"),
        (dict(counts=np.ones(5), background=np.ones(5), width_max=6), "exceeds the 5 bins"),
        (dict(counts=np.ones(5), background=np.ones(5), width_min=3, width_max=2), "below"),
        (dict(counts=np.ones(5), background=np.ones(5), n_toys=-1), "n_toys"),
        (dict(counts=np.ones(5), background=np.ones(5), scan_step=0), "scan_step"),
        (dict(counts=np.ones(5), background=np.ones(5), edges=np.arange(5.0)), "6"),
        (dict(counts=np.ones(5), background=np.ones(5), sumw2=np.zeros(5)), "sumw2 is 0"),
        (dict(counts=np.ones(0), background=np.ones(0)), "empty"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(kwargs, match):
    counts, background = kwargs.pop("counts"), kwargs.pop("background")
    with pytest.raises(DataError, match=match):
        bumphunter_scan(counts, background, **kwargs)
