"""Notebook views: ``__repr__`` and ``_repr_html_`` of EventSet, ResultTable, HuntResult,
LimitResult and BrazilResult, on small real objects made by the library's own functions.

Each view must show the object's numbers, escape user text (class names, flags), carry no
script and no external resource, stay small for a big object, and not fail on an empty or
partly filled one.
"""

from __future__ import annotations

import dataclasses
import doctest
import html
import math
import re

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats as sps

import sciood._repr
from sciood.data.eventset import EventSet
from sciood.errors import StatisticsError
from sciood.evaluate import ALL_BACKGROUNDS, ALL_SIGNALS, Cell, ResultTable, evaluate
from sciood.stats import (
    BrazilResult,
    HuntResult,
    LimitResult,
    brazil_band,
    bump_hunt,
    dijet_function,
    upper_limit,
)

EVIL = "<script>alert('x')</script>"
RANGE = (2600.0, 5000.0)


def assert_safe(text: str) -> None:
    """No script, no event handler, no external resource; every tag is one of a few."""
    low = text.lower()
    assert "<script" not in low and "javascript:" not in low
    assert not re.search(r"\son\w+\s*=", low), "event-handler attribute in the HTML"
    assert "http://" not in low and "https://" not in low and "src=" not in low
    assert "<link" not in low and "@import" not in low and "url(" not in low
    tags = set(re.findall(r"</?([a-z]+)", low))
    assert tags <= {"style", "div", "b", "table", "tr", "th", "td", "span", "ul", "li"}, tags


def text_of(html_text: str) -> str:
    """Visible text of a view (tags dropped, entities decoded, whitespace runs made one)."""
    body = re.sub(r"<style>.*?</style>", "", html_text)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


# ----------------------------------------------------------------------------- EventSet
def _events(labels: list[str], n: list[int], signal: set[str], seed: int = 0) -> EventSet:
    rng = np.random.default_rng(seed)
    lab = [c for c, k in zip(labels, n, strict=True) for _ in range(k)]
    size = len(lab)
    t = pa.table({
        "label": pa.array(lab, pa.string()),
        "is_signal": [c in signal for c in lab],
        "weight": rng.uniform(0.5, 1.5, size),
        "mjj": rng.uniform(2600.0, 5000.0, size),
        "mj1": rng.uniform(10.0, 200.0, size),
        "tau21_j1": rng.uniform(0.0, 1.0, size),
    })
    return EventSet(t, observables=["mjj"], provenance={"source": "test"})


def test_eventset_views_show_counts_and_weights() -> None:
    es = _events(["qcd", "wprime_wz_80"], [120, 30], {"wprime_wz_80"})
    w = es.weights
    r = repr(es)
    assert r.startswith("EventSet(n=150, classes={'qcd': 120, 'wprime_wz_80': 30}")
    assert f"Σw={w.sum():.3g}" in r and "observables=['mjj']" in r
    assert "features=2" in r and "columns=6" in r and "\n" not in r
    h = es._repr_html_()
    assert_safe(h)
    txt = text_of(h)
    assert "150 events, 2 classes" in txt and "6 columns" in txt
    sig_w = w[es.is_signal].sum()
    assert f"wprime_wz_80 signal 30 {sig_w:.3g}" in txt
    assert f"qcd background 120 {w[~es.is_signal].sum():.3g}" in txt
    assert "features (2): [mj1, tau21_j1]" in txt and "provenance: [source]" in txt


def test_eventset_views_escape_labels_and_stay_small() -> None:
    es = _events([EVIL, "qcd"], [3, 4], {EVIL})
    h = es._repr_html_()
    assert_safe(h)
    assert html.escape(EVIL) in h and EVIL in text_of(h)
    many = _events([f"bkg_{i:03d}" for i in range(300)], [2] * 300, set())
    h = many._repr_html_()
    assert_safe(h)
    assert "… 280 more rows" in h and "bkg_019" in h and "bkg_020" not in h
    assert len(h) < 4000
    r = repr(many)
    assert "… +294}" in r and "bkg_006" not in r and len(r) < 300


def test_eventset_views_of_an_empty_set() -> None:
    es = _events(["qcd"], [5], set()).select(np.zeros(5, dtype=bool))
    assert repr(es).startswith("EventSet(n=0, classes={}, Σw=0,")
    assert "0 events, 0 classes" in text_of(es._repr_html_())


# -------------------------------------------------------------------------- ResultTable
@pytest.fixture(scope="module")
def table() -> ResultTable:
    """evaluate() on synthetic scores: two backgrounds and two signals (one named EVIL)."""
    es = _events(["qcd", "ttbar", "wprime", EVIL], [300, 200, 120, 120], {"wprime", EVIL})
    rng = np.random.default_rng(1)
    shift = {"qcd": 0.0, "ttbar": 0.5, "wprime": 1.5, EVIL: 2.5}
    score = rng.normal(0.0, 1.0, len(es)) + np.array([shift[c] for c in es.labels])
    return evaluate(score, es, metrics=["auc", "aupr", "max_sic"],
                    working_points={"eff_s": [0.3]}, n_bootstrap=20, seed=2)


def test_result_table_repr(table: ResultTable) -> None:
    r = repr(table)
    assert r == ("ResultTable(2 signals × 2 backgrounds (+3 inclusive rows), 7 rows, "
                 "metrics=[auc, aupr, max_sic, rejection@eff_s=0.3])")


def test_result_table_html_shows_values_and_intervals(table: ResultTable) -> None:
    h = table._repr_html_()
    assert_safe(h)
    assert html.escape(EVIL) in h
    txt = text_of(h)
    assert "2 signals × 2 backgrounds" in txt and "68 % bootstrap interval" in txt
    v, lo, hi = table.get("wprime", "ttbar", "auc")
    assert 0.5 < v < 1.0 and lo < v < hi
    c = table.cell("wprime", "ttbar")
    assert f"wprime ttbar {c.n_signal} {c.n_background} {v:.3g} [{lo:.3g}, {hi:.3g}]" in txt
    v, lo, hi = table.get(ALL_SIGNALS, ALL_BACKGROUNDS, "auc")
    assert f"all_signals all_backgrounds 240 500 {v:.3g} [{lo:.3g}, {hi:.3g}]" in txt
    assert h.count("<tr>") == 1 + len(table.cells)


def test_result_table_html_of_a_big_table_is_bounded() -> None:
    metrics = [f"m{i}" for i in range(15)]
    cells = [Cell(f"sig{i}", f"bkg{j}", 100, 1000, 950.0,
                  {m: (0.123456 + i, 0.1, 0.2) for m in metrics}, [f"m0: note {i}"])
             for i in range(20) for j in range(10)]
    big = ResultTable(cells, metrics)
    h = big._repr_html_()
    assert_safe(h)
    assert "… 170 more rows" in h and "5 more metrics not shown" in h
    assert "… 196 more notes" in h  # 200 cell notes + the hidden-metrics one
    assert h.count("<tr>") == 1 + 30 + 1
    assert "m9" in h and "<th>m10</th>" not in h
    assert len(h) < 25_000, len(h)
    assert repr(big) == ("ResultTable(20 signals × 10 backgrounds, 200 rows, "
                         "metrics=[m0, m1, m2, m3, … +11])")


def test_result_table_views_of_empty_and_undefined_tables() -> None:
    empty = ResultTable([], [])
    assert repr(empty) == "ResultTable(0 signals × 0 backgrounds, 0 rows, metrics=[])"
    assert_safe(empty._repr_html_())
    nan = ResultTable([Cell("s", "b", 3, 2, 2.0, {"auc": (math.nan,) * 3},
                            ["auc: fewer than 50 effective background events"])], ["auc"])
    txt = text_of(nan._repr_html_())
    assert "s b 3 2 —" in txt and "s vs b: auc: fewer than 50" in txt


# ---------------------------------------------------------------------------- HuntResult
def _dijet_sample(n: int, rng: np.random.Generator) -> np.ndarray:
    grid = np.linspace(*RANGE, 4001)
    f = dijet_function(grid, (0.0, 10.0, 5.0, 0.0))
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (f[1:] + f[:-1]))])
    return np.interp(rng.random(n), cdf / cdf[-1], grid)


@pytest.fixture(scope="module")
def hunt() -> HuntResult:
    """A small dijet spectrum with a weak Gaussian bump at 3.5 TeV; global Z from toys."""
    rng = np.random.default_rng(3)
    bkg, sig = _dijet_sample(20_000, rng), rng.normal(3500.0, 175.0, 200)
    truth = np.r_[np.zeros(bkg.size, bool), np.ones(sig.size, bool)]
    return bump_hunt(np.r_[bkg, sig], is_signal=truth, mjj_range=RANGE, n_toys=30, seed=1,
                     min_toys_above=3)


def test_hunt_repr(hunt: HuntResult) -> None:
    assert hunt.best_mass is not None and hunt.best_mass_error is not None
    assert hunt.global_method == "toys" and hunt.global_z_observed is not None
    r = repr(hunt)
    assert r.startswith("HuntResult(method='signal-fit', best mass ")
    err = hunt.best_mass_error
    dec = max(0, 1 - math.floor(math.log10(err)))
    assert f"best mass {hunt.best_mass:.{dec}f} ± {err:.{dec}f} GeV" in r
    assert f"local Z={hunt.local_z_observed:.1f}" in r and f"model {hunt.model}" in r
    # the global Z error is the toy error of the p-value carried to Z: σ_p / φ(Z)
    z, dp = hunt.global_z_observed, hunt.global_p_error
    assert dp is not None and dp > 0
    dz = dp / sps.norm.pdf(z)
    dec = max(0, 1 - math.floor(math.log10(dz)))
    assert f"global Z={z:.{dec}f} ± {dz:.{dec}f} (toys)" in r
    assert "\n" not in r and len(r) < 200


def test_hunt_html(hunt: HuntResult) -> None:
    flagged = dataclasses.replace(hunt, flags=[*hunt.flags, EVIL])
    h = flagged._repr_html_()
    assert_safe(h)
    assert html.escape(EVIL) in h
    txt = text_of(h)
    lo, hi = hunt.best_window
    assert f"best window [GeV] {lo:.0f} – {hi:.0f}" in txt
    assert f"local Z observed {hunt.local_z_observed:.2f}" in txt
    assert f"local Z expected (Asimov) {hunt.local_z_expected:.2f}" in txt
    assert f"{hunt.n_toys} toys" in txt and "sculpted: no" in txt
    assert f"events after the cut {hunt.n_events_after_cut}" in txt
    fit = hunt.background_fit
    assert f"{fit.chi2:.3g}/{fit.ndf}" in txt
    assert len(h) < 5000


def test_hunt_views_of_a_partial_result(hunt: HuntResult) -> None:
    part = dataclasses.replace(
        hunt, best_mass=None, best_mass_error=None, global_z_observed=None, global_method="none",
        global_p_error=None, local_z_expected=None, edges=np.array([]), flags=[],
        sculpting_flag=None, local_z_observed=math.nan)
    r = repr(part)
    lo, hi = hunt.best_window
    assert f"best window {lo:.0f}–{hi:.0f} GeV" in r
    assert "global Z not computed" in r and "local Z=—" in r
    txt = text_of(part._repr_html_())
    assert "observable range —" in txt and "sculpted: not checked" in txt


# --------------------------------------------------------------------------- LimitResult
@pytest.fixture(scope="module")
def limit() -> LimitResult:
    return upper_limit([1.0, 3.0, 1.0], [20.0, 25.0, 20.0], [22, 27, 18])


def test_limit_repr(limit: LimitResult) -> None:
    band = limit.expected_band
    assert band[1] < limit.expected < band[3]
    assert repr(limit) == (f"LimitResult(μ < {limit.observed:.3g} at 95 % CL, expected "
                           f"{limit.expected:.3g} [{band[1]:.3g}, {band[3]:.3g}], "
                           f"{limit.method}, {limit.model})")


def test_limit_html(limit: LimitResult) -> None:
    flagged = dataclasses.replace(limit, flags=[EVIL])
    h = flagged._repr_html_()
    assert_safe(h)
    assert html.escape(EVIL) in h
    txt = text_of(h)
    s = limit.signal_total
    assert s == pytest.approx(5.0)
    assert f"observed {limit.observed:.3g} {limit.observed * s:.3g}" in txt
    assert f"expected (median) {limit.expected:.3g} {limit.expected * s:.3g}" in txt
    for name, i in (("−2σ", 0), ("−1σ", 1), ("+1σ", 3), ("+2σ", 4)):
        b = limit.expected_band[i]
        assert f"expected {name} {b:.3g} {b * s:.3g}" in txt
    assert "95 % CL" in txt and limit.method in txt


def test_limit_views_of_a_partial_result(limit: LimitResult) -> None:
    part = dataclasses.replace(limit, observed=math.nan, expected_band=np.array([]),
                               signal_total=math.nan)
    assert repr(part).startswith(f"LimitResult(μ < — at 95 % CL, expected {limit.expected:.3g},")
    txt = text_of(part._repr_html_())
    assert "observed — —" in txt and "expected +2σ — —" in txt


def test_limit_in_physical_units(limit: LimitResult) -> None:
    fb = limit.with_cross_section(0.25)
    assert limit.signal_cross_section_fb != limit.signal_cross_section_fb  # NaN: not given
    assert fb.in_fb(fb.observed) == pytest.approx(0.25 * limit.observed)
    assert fb.in_events(fb.observed) == pytest.approx(limit.signal_total * limit.observed)
    d = fb.to_dict()
    assert d["observed_limit_fb"] == pytest.approx(0.25 * limit.observed)
    assert d["expected_band_fb"] == pytest.approx([0.25 * b for b in limit.expected_band])
    assert d["observed_limit_events"] == pytest.approx(5.0 * limit.observed)
    assert d["cross_section_quantity"] == "σ × BR"
    assert limit.to_dict()["observed_limit_fb"] is None
    assert f"σ × BR < {0.25 * limit.observed:.3g} fb" in repr(fb)
    txt = text_of(fb._repr_html_())
    assert "σ × BR [fb]" in txt
    assert f"observed {limit.observed:.3g} {5 * limit.observed:.3g} {0.25 * limit.observed:.3g}" \
        in txt
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(StatisticsError, match="positive number of fb"):
            limit.with_cross_section(bad)


# -------------------------------------------------------------------------- BrazilResult
def test_brazil_views() -> None:
    edges = np.linspace(*RANGE, 25)
    centre = 0.5 * (edges[1:] + edges[:-1])
    f = dijet_function(centre, (0.0, 10.0, 5.0, 0.0))
    n = np.random.default_rng(1).poisson(2e4 * f / f.sum()).astype(float)
    res = brazil_band((edges, n), [3000.0, 3500.0], luminosity=140.0)
    r = repr(res)
    assert r.startswith("BrazilResult(σ × BR × A × ε limits at 95 % CL, 2 masses 3000–3500 GeV")
    assert f"observed {min(res.observed):.3g}–{max(res.observed):.3g} fb" in r
    h = dataclasses.replace(res, flags=[EVIL])._repr_html_()
    assert_safe(h)
    assert html.escape(EVIL) in h
    txt = text_of(h)
    e = res.expected
    assert (f"3500 {res.observed[1]:.3g} {e[2, 1]:.3g} [{e[1, 1]:.3g}, {e[3, 1]:.3g}] "
            f"[{e[0, 1]:.3g}, {e[4, 1]:.3g}]") in txt
    empty = BrazilResult(np.array([]), np.array([]), np.empty((5, 0)), [], 140.0, 1.0, 0.05,
                         "σ × BR")
    assert repr(empty) == "BrazilResult(σ × BR limits at 95 % CL, 0 masses no mass, L = 140 fb⁻¹)"
    assert_safe(empty._repr_html_())


def test_formatting_helpers() -> None:
    assert doctest.testmod(sciood._repr).failed == 0
    num, pm = sciood._repr.num, sciood._repr.pm
    assert [num(x) for x in (0.812345, 123456.7, 2.5e-6, math.inf, None)] == [
        "0.812", "123457", "2.5e-06", "∞", "—"]
    assert pm(1.934, 0.213) == "1.93 ± 0.21" and pm(3.0, math.nan) == "3"
