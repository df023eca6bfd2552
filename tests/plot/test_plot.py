"""sciood.plot: each function renders (Agg) and draws the numbers it is given or computes."""

from __future__ import annotations

import subprocess
import sys
from io import BytesIO

import numpy as np
import pytest

pytest.importorskip("mplhep")
pytest.importorskip("hist")

from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch

import sciood.plot as P
from sciood.errors import DataError
from sciood.metrics import max_sic, ranking_curve
from sciood.plot.spectrum import pulls

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _png(fig: Figure) -> bytes:
    buf = BytesIO()
    fig.savefig(buf, format="png")
    data = buf.getvalue()
    assert data.startswith(PNG_MAGIC) and len(data) > 5_000
    return data


@pytest.fixture(scope="module")
def events() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gaussian signal (mean 1.5) over Gaussian background, weighted 0.5-1.5."""
    rng = np.random.default_rng(7)
    y = np.r_[np.ones(600, bool), np.zeros(6000, bool)]
    s = rng.normal(np.where(y, 1.5, 0.0), 1.0)
    w = rng.uniform(0.5, 1.5, y.size)
    return y, s, w


def _steps(ax) -> list[StepPatch]:
    return [p for p in ax.patches if isinstance(p, StepPatch)]


def test_public_names() -> None:
    assert P.__all__ == ["COLORS", "color", "experiment_label", "hep_style", "new_figure", "roc",
                         "score_hist", "sculpting", "sic", "spectrum"]
    assert all(callable(getattr(P, n)) for n in P.__all__ if n != "COLORS")


def test_plot_imports_nothing_above_metrics() -> None:
    """Importing and using sciood.plot loads no sciood package above plot's layer."""
    code = """
import sys
import sciood
def packages():
    return {m.split(".")[1] for m in sys.modules if m.startswith("sciood.")}
before = packages()
import sciood.plot as P
P.roc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3])
P.score_hist([0.1, 0.2, 0.3], ["a", "b", "a"])
print(sorted(packages() - before))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    added = set(eval(out))  # the printed list of newly loaded sciood packages
    assert "plot" in added
    assert added <= {"plot", "metrics", "errors", "_compat", "io", "safe_yaml"}, added


def test_roc_draws_the_metric_curve(events) -> None:
    y, s, w = events
    fig = P.roc(y, s, sample_weight=w, label="gauss")
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    random, curve = ax.lines
    grid = P.curves.DEFAULT_GRID
    expected = ranking_curve(y, s, sample_weight=w).rejection_at(grid)
    fin = np.isfinite(expected)
    np.testing.assert_allclose(curve.get_xdata(), grid[fin])
    np.testing.assert_allclose(curve.get_ydata(), expected[fin])
    np.testing.assert_allclose(random.get_ydata(), 1.0 / grid)
    assert ax.get_yscale() == "log"
    assert "1/ε_B" in ax.get_ylabel() and "ε_S" in ax.get_xlabel()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["random (1/ε_S)", "gauss"]
    assert len(ax.collections) == 0  # no band without replicas
    _png(fig)


def test_roc_hand_computed_and_overlay() -> None:
    # 3 signal, 5 background events of unit weight.  ε_S = 1/3: the cut keeps the top signal
    # and no background (1/ε_B = ∞: not drawn); ε_S = 2/3: one background above the second
    # signal, ε_B = 1/5 -> 5; ε_S = 1: every background passes -> 1
    y = np.array([1, 0, 1, 0, 0, 0, 0, 1])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1, 0.05, 0.01])
    fig = P.roc(y, s, eff_s=[1 / 3, 2 / 3, 1.0])
    line = fig.axes[0].lines[1]
    np.testing.assert_allclose(line.get_xdata(), [2 / 3, 1.0])
    np.testing.assert_allclose(line.get_ydata(), [5.0, 1.0])
    fig2 = P.roc(y, 1 - s, eff_s=[2 / 3, 1.0], ax=fig.axes[0], label="inverted", color="red")
    assert fig2 is fig
    ax = fig.axes[0]
    assert sum(ln.get_gid() == "sciood-random-cut" for ln in ax.lines) == 1  # drawn once
    assert ax.lines[-1].get_color() == "red"


def test_roc_band_and_resolution(events) -> None:
    y, s, w = events
    fig = P.roc(y, s, sample_weight=w, n_bootstrap=20, seed=1)
    ax = fig.axes[0]
    assert len(ax.collections) == 1  # the bootstrap band
    lo, hi = ax.get_ylim()
    # rejection beyond the last background event (1/ε_B = ∞) is not drawn: finite limits
    assert np.isfinite([lo, hi]).all() and hi < 1e5
    band = ax.collections[0].get_paths()[0].vertices
    nominal = ax.lines[1].get_ydata()
    assert band[:, 1].min() <= nominal.min() * 1.0001


def test_sic_solid_where_enough_background(events) -> None:
    y, s, w = events
    fig = P.sic(y, s, sample_weight=w, label="gauss", min_background=50.0)
    ax = fig.axes[0]
    random, solid, dotted = ax.lines
    c = ranking_curve(y, s, sample_weight=w)
    grid = P.curves.DEFAULT_GRID
    sic = grid * np.sqrt(c.rejection_at(grid))
    eff = np.maximum.accumulate(c.eps_s)
    n_eff = c.n_eff_background()[np.minimum(np.searchsorted(eff, grid), eff.size - 1)]
    ok = np.isfinite(sic) & (n_eff >= 50.0)
    assert (~ok).any() and ok.any()  # both parts present in this sample
    np.testing.assert_allclose(solid.get_xdata(), grid[ok])
    np.testing.assert_allclose(solid.get_ydata(), sic[ok])
    assert dotted.get_linestyle() == ":"
    assert np.isnan(dotted.get_ydata()[ok[np.isfinite(sic)]]).all()  # dotted = the rest
    np.testing.assert_allclose(random.get_ydata(), np.sqrt(grid))
    # the solid curve never exceeds the metric's maximum over all cuts with >= 50 events
    assert solid.get_ydata().max() <= max_sic(y, s, sample_weight=w) * 1.0001
    assert ax.get_ylabel() == "SIC = ε_S / √ε_B" and ax.get_ylim()[0] == 0.0
    _png(fig)


def test_curves_reject_bad_input(events) -> None:
    y, s, _ = events
    with pytest.raises(DataError, match="both signal"):
        P.roc(np.zeros_like(y), s)
    with pytest.raises(DataError, match="entries"):
        P.sic(y, s, sample_weight=np.ones(3))


def test_score_hist_per_class(events) -> None:
    y, s, w = events
    classes = np.where(y, "W'", "QCD")
    fig = P.score_hist(s, classes, sample_weight=w, bins=20, log=True)
    ax = fig.axes[0]
    steps = _steps(ax)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["QCD", "W'"]
    edges = np.linspace(s.min(), s.max(), 21)
    for step, name in zip(steps, ["QCD", "W'"], strict=True):
        m = classes == name
        dens, _ = np.histogram(s[m], edges, weights=w[m], density=True)
        np.testing.assert_allclose(step.get_data().values, dens)
        np.testing.assert_allclose(step.get_data().edges, edges)
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "density"
    _png(fig)
    counts = P.score_hist(s, y, bins=edges, density=False, order=["signal"])
    (step,) = _steps(counts.axes[0])
    np.testing.assert_allclose(step.get_data().values, np.histogram(s[y], edges)[0])
    assert counts.axes[0].get_legend().get_texts()[0].get_text() == "signal"
    with pytest.raises(DataError, match="no events"):
        P.score_hist(s, classes, order=["ttbar"])


def test_spectrum_fit_band_and_pulls() -> None:
    edges = np.array([2000.0, 2200.0, 2500.0, 3000.0, 4000.0])
    counts = np.array([400.0, 300.0, 150.0, 40.0])
    sumw2 = np.array([800.0, 600.0, 300.0, 80.0])  # weighted events: Σw² = 2 Σw
    fit = np.array([380.0, 310.0, 160.0, 35.0])
    err = np.array([10.0, 8.0, 6.0, 3.0])
    fig = P.spectrum(edges, counts, fit, sumw2=sumw2, fit_error=err, window=(2200, 2500),
                     fit_label="dijet fit")
    top, bottom = fig.axes
    width = np.diff(edges)
    (data,) = [c for c in top.containers if isinstance(c, ErrorbarContainer)]
    xy = data.lines[0].get_xydata()
    np.testing.assert_allclose(xy[:, 0], 0.5 * (edges[1:] + edges[:-1]))
    np.testing.assert_allclose(xy[:, 1], counts / width)   # events / GeV
    ybars = data.lines[2][-1].get_segments()
    np.testing.assert_allclose([seg[1, 1] - seg[0, 1] for seg in ybars],
                               2 * np.sqrt(sumw2) / width)
    line, band = _steps(top)[-2:]
    np.testing.assert_allclose(line.get_data().values, fit / width)
    np.testing.assert_allclose(band.get_data().values, (fit + err) / width)
    np.testing.assert_allclose(band.get_data().baseline, (fit - err) / width)
    (bars,) = [c for c in bottom.containers if isinstance(c, BarContainer)]
    heights = [p.get_height() for p in bars]
    np.testing.assert_allclose(heights, (counts - fit) / np.sqrt(sumw2 + err**2))
    np.testing.assert_allclose(pulls(counts, fit, sumw2=sumw2, fit_error=err), heights)
    assert top.get_yscale() == "log" and top.get_ylabel() == "events / GeV"
    assert bottom.get_xlabel() == "mjj [GeV]" and bottom.get_ylabel() == "pull"
    labels = [t.get_text() for t in top.get_legend().get_texts()]
    assert {"data", "dijet fit", "fit ±1σ", "window"} <= set(labels)
    _png(fig)


def test_spectrum_on_given_axes_and_errors() -> None:
    from sciood.plot.style import new_figure

    fig, axes = new_figure()
    edges = np.linspace(0, 4, 5)
    out = P.spectrum(edges, [9.0, 4.0, 1.0, 0.0], ax=axes[0][0], xlabel="x")
    assert out is fig and len(fig.axes) == 1  # no pull panel without pull_ax
    (data,) = axes[0][0].containers
    np.testing.assert_allclose(data.lines[0].get_xydata()[:3, 1], [9.0, 4.0, 1.0])
    with pytest.raises(DataError, match="entries"):
        P.spectrum(edges, [1.0, 2.0])
    with pytest.raises(DataError, match="increasing"):
        P.spectrum([1.0, 0.0], [1.0])


def test_sculpting_before_after(events) -> None:
    rng = np.random.default_rng(3)
    mjj = rng.uniform(2000, 5000, 8000)
    passed = rng.uniform(size=mjj.size) < 0.2 + 1e-4 * (mjj - 2000)  # sculpts: rising ratio
    w = rng.uniform(0.5, 1.5, mjj.size)
    fig = P.sculpting(mjj, passed, sample_weight=w, bins=10)
    top, bottom = fig.axes
    edges = np.linspace(mjj.min(), mjj.max(), 11)
    names = [t.get_text() for t in top.get_legend().get_texts()]
    assert names == ["all background", "fail cut", "pass cut"]
    shapes = {}
    for step, (name, m) in zip(_steps(top), [("all", np.ones_like(passed)), ("fail", ~passed),
                                             ("pass", passed)], strict=True):
        h, _ = np.histogram(mjj[m], edges, weights=w[m])
        np.testing.assert_allclose(step.get_data().values, h / h.sum())
        shapes[name] = h / h.sum()
    (ratio,) = bottom.containers
    np.testing.assert_allclose(ratio.lines[0].get_ydata(), shapes["pass"] / shapes["fail"])
    assert ratio.lines[0].get_ydata()[-1] > 1.2 > 0.8 > ratio.lines[0].get_ydata()[0]
    assert bottom.get_xlabel() == "mjj [GeV]" and bottom.get_ylabel() == "pass / fail"
    _png(fig)
    with pytest.raises(DataError, match="passing and failing"):
        P.sculpting(mjj, np.ones(mjj.size, bool))


def test_experiment_label() -> None:
    fig = P.roc([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.3])
    P.experiment_label(fig.axes[0], lumi=100.0)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "sciood" in texts and "Simulation" in texts
    assert any("13 TeV" in t and "100" in t for t in texts)
    _png(fig)


def test_roc_and_sic_share_one_bootstrap(events, monkeypatch) -> None:
    import sciood.metrics

    y, s, w = events
    calls = []
    real = sciood.metrics.bootstrap_many

    def counting(*args, **kwargs):
        calls.append(kwargs["seed"])
        return real(*args, **kwargs)

    monkeypatch.setattr(sciood.metrics, "bootstrap_many", counting)
    s2 = s + 1e-9  # inputs not seen by the other tests
    f_roc = P.roc(y, s2, sample_weight=w, n_bootstrap=10, seed=5)
    f_sic = P.sic(y, s2, sample_weight=w, n_bootstrap=10, seed=5)
    assert calls == [5]  # the SIC reused the ROC's replicas
    rej = f_roc.axes[0].lines[1].get_ydata()
    fin_sic = f_sic.axes[0].lines[1].get_ydata()
    assert fin_sic.size and np.all(fin_sic <= np.sqrt(rej.max()) + 1e-12)
    P.sic(y, s2, sample_weight=w, n_bootstrap=10, seed=6)
    P.sic(y, s2, sample_weight=2 * w, n_bootstrap=10, seed=5)
    assert calls == [5, 6, 5]  # another seed or other weights: computed again


@pytest.mark.parametrize("module", ["sciood.plot", "sciood.plot.curves", "sciood.plot.spectrum",
                                    "sciood.plot.sculpting", "sciood.plot.distributions",
                                    "sciood.plot.style"])
def test_docstring_examples(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
