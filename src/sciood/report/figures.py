"""The report's figures: one function per figure, each returning a matplotlib ``Figure``.

Figures are built on the object-oriented API (``matplotlib.figure.Figure``, Agg canvas), never
through ``pyplot``, so no global figure state leaks between calls or threads; the mplhep
``ROOT`` style is applied while each figure is built (:func:`hep_style`).

Conventions: the background rejection ``1/ε_B`` is drawn on a log axis; bands are Poisson-
bootstrap percentile intervals (68 % unless stated); ``mjj`` is in GeV; every legend names the
detector and, where it matters, the signal.

Example
-------
>>> fig = roc_sic(results, test_set, "wprime_wz_80")           # doctest: +SKIP
>>> fig.savefig("roc.png")                                      # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sciood.errors import DataError
from sciood.plot.style import COLORS, color, hep_style, new_figure, require_matplotlib

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sciood.data.eventset import EventSet
    from sciood.evaluate.failure import LatentView
    from sciood.evaluate.robustness import DeltaTable
    from sciood.evaluate.suite import ResultTable
    from sciood.report.inputs import DetectorResult
    from sciood.stats.bumphunt import HuntResult
    from sciood.stats.injection import InjectionResult

__all__ = [
    "calibration",
    "correlations",
    "hep_style",
    "hunt",
    "injection",
    "latent",
    "metric_matrix",
    "robustness",
    "roc_sic",
    "sculpting",
]

FloatArray = NDArray[np.float64]

#: Widest figure [inches at 100 dpi]: the page shows figures at most ~1180 px wide.
MAX_WIDTH = 16.0
#: Style of the mjj-only baseline wherever it appears.
BASELINE_STYLE = {"color": "black", "ls": "--"}


_mpl = require_matplotlib
_figure = new_figure
_color = color


def _colormap(name: str) -> Any:
    """A registered matplotlib colormap by name."""
    import matplotlib as mpl

    return mpl.colormaps[name]


def _text_color(im: Any, value: float) -> str:
    """Black on light cells, white on dark ones (relative luminance of the cell colour)."""
    if not np.isfinite(value):
        return "black"
    r, g, b, _ = im.cmap(im.norm(value))
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"


# --------------------------------------------------------------------------------------------
# ROC and SIC
# --------------------------------------------------------------------------------------------
def _signal_vs_all(es: EventSet, signal: str) -> NDArray[np.bool_]:
    return np.asarray((es.labels == signal) | ~es.is_signal)


def _n_eff_at(scores: FloatArray, y: NDArray[np.bool_], w: FloatArray,
              grid: FloatArray) -> FloatArray:
    """Kish effective background count passing the cut at each signal efficiency of ``grid``."""
    from sciood.metrics.ranking import ranking_curve

    c = ranking_curve(y, scores, w)
    eff = np.maximum.accumulate(c.eps_s)
    idx = np.minimum(np.searchsorted(eff, grid, side="left"), eff.size - 1)
    return np.asarray(c.n_eff_background()[idx], dtype=np.float64)


def roc_sic(
    results: Sequence[DetectorResult],
    test_set: EventSet,
    signal: str,
    *,
    variant: str = "sim",
    n_bootstrap: int = 50,
    level: float = 0.68,
    min_background: float = 50.0,
    seed: int = 0,
) -> Figure:
    """Background rejection and SIC versus signal efficiency, with bootstrap bands.

    Signal ``signal`` against all background classes (cross-section weighted).  The SIC
    curve is solid where at least ``min_background`` effective background events pass the
    cut (where ``max_sic`` is taken) and dotted beyond.

    Parameters
    ----------
    results : sequence of DetectorResult
        Detectors to draw (``scores[variant]`` aligned with ``test_set``).
    test_set : EventSet
        Test events of ``variant``, shape (n_events,).
    signal : str
        Signal class label.
    n_bootstrap : int, default 50
        Poisson-bootstrap replicas of the band; 0 or 1 draws the curves without bands.
    level : float, default 0.68
        Coverage of the band.

    Returns
    -------
    Figure
        Left: ``1/ε_B`` (log) vs ``ε_S``; right: ``SIC = ε_S/√ε_B`` vs ``ε_S``.
    """
    mask = _signal_vs_all(test_set, signal)
    y = np.asarray(test_set.is_signal[mask], dtype=bool)
    if not y.any():
        raise DataError(f"no events of signal {signal!r} in the {variant} test set")
    w = np.asarray(test_set.weights[mask], dtype=np.float64)
    grid = np.linspace(0.02, 1.0, 50)
    with hep_style():
        fig, ax = _figure(1, 2, size=(11.0, 4.6))
        a_roc, a_sic = ax[0]
        a_roc.plot(grid, 1.0 / grid, color="grey", ls=":", label="random (1/ε_S)")
        top = 1.0 / grid[0]
        a_sic.plot(grid, np.sqrt(grid), color="grey", ls=":", label="random (√ε_S)")
        for i, r in enumerate(results):
            s = np.asarray(r.scores[variant], dtype=np.float64)[mask]
            with np.errstate(divide="ignore", invalid="ignore"):
                nominal, lo, hi = _rejection_band(y, s, w, grid, n_bootstrap, seed, level)
                neff = _n_eff_at(s, y, w, grid)
            rej, rlo, rhi = (_clean_rejection(a, w[~y]) for a in (nominal, lo, hi))
            with np.errstate(invalid="ignore"):
                sic, sic_lo, sic_hi = grid * np.sqrt(rej), grid * np.sqrt(rlo), grid * np.sqrt(rhi)
            fin = np.isfinite(rej)
            top = max(top, float(np.nanmax(np.where(fin, np.fmax(rej, rhi), np.nan),
                                           initial=1.0)))
            c = _color(i)
            auc = r.table.get(signal, "all_backgrounds", "auc")[0] if _has_row(
                r.table, signal) else math.nan
            lab = f"{r.name} (AUC {auc:.3f})" if math.isfinite(auc) else r.name
            a_roc.plot(grid[fin], rej[fin], color=c, label=lab)
            band = fin & np.isfinite(rlo) & np.isfinite(rhi)
            if band.any():
                a_roc.fill_between(grid[band], rlo[band], rhi[band], color=c, alpha=0.25,
                                   lw=0)
                a_sic.fill_between(grid[band], sic_lo[band], sic_hi[band], color=c,
                                   alpha=0.25, lw=0)
            ok = fin & (neff >= min_background)
            a_sic.plot(grid[ok], sic[ok], color=c, label=r.name)
            a_sic.plot(grid[fin], np.where(ok[fin], np.nan, sic[fin]), color=c, ls=":")
        a_roc.set_yscale("log")
        a_roc.set_ylim(0.8, 1.5 * top)
        a_roc.set_xlabel("signal efficiency ε_S")
        a_roc.set_ylabel("background rejection 1/ε_B")
        a_roc.set_xlim(0.0, 1.0)
        a_roc.legend(title=f"{signal} vs all backgrounds", loc="upper right")
        a_sic.set_xlabel("signal efficiency ε_S")
        a_sic.set_ylabel("SIC = ε_S / √ε_B")
        a_sic.set_xlim(0.0, 1.0)
        a_sic.set_ylim(bottom=0.0)
        bands = (f"{round(100 * level)} % bootstrap bands; " if n_bootstrap >= 2 else
                 "no bootstrap bands; ")
        a_sic.legend(title=f"{bands}dotted: < {min_background:g} eff. bkg events",
                     loc="best", title_fontsize=9)
    return fig


def _rejection_band(
    y: NDArray[np.bool_], s: FloatArray, w: FloatArray, grid: FloatArray, n_bootstrap: int,
    seed: int, level: float,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Rejection at ``grid`` with its Poisson-bootstrap band (NaN band without replicas)."""
    if n_bootstrap < 2:
        from sciood.metrics.ranking import ranking_curve

        r = np.asarray(ranking_curve(y, s, w).rejection_at(grid), dtype=np.float64)
        return r, np.full_like(r, np.nan), np.full_like(r, np.nan)
    from sciood.metrics.bootstrap import bootstrap_many

    b = bootstrap_many({"rej": ("rejection_at", {"eff_s": grid})}, y, s, w, n=n_bootstrap,
                       seed=seed, level=level, undefined="nan")["rej"]
    return b.value, b.lo, b.hi


def _clean_rejection(r: FloatArray, w_bkg: FloatArray) -> FloatArray:
    """Rejection with values beyond the background resolution (``1/ε_B`` > total / smallest
    weight, i.e. no background event left) set to NaN, so log axes stay finite."""
    pos = np.abs(w_bkg[w_bkg != 0])
    limit = float(np.abs(w_bkg).sum() / pos.min()) if pos.size else np.inf
    return np.where(np.isfinite(r) & (r <= 1.0001 * limit), r, np.nan)


def _has_row(table: ResultTable, signal: str) -> bool:
    return any(c.signal == signal and c.background == "all_backgrounds" for c in table.cells)


# --------------------------------------------------------------------------------------------
# class-conditional metric matrix
# --------------------------------------------------------------------------------------------
def _norm_for(metric: str, values: FloatArray) -> tuple[Any, str]:
    from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm

    if metric == "auc":
        return TwoSlopeNorm(vcenter=0.5, vmin=0.0, vmax=1.0), "RdBu_r"
    fin = values[np.isfinite(values) & (values > 0)]
    if metric == "max_sic":  # 1 = a random cut: red improves S/√B, blue degrades it
        hi = float(fin.max()) if fin.size else 2.0
        return TwoSlopeNorm(vcenter=1.0, vmin=0.0, vmax=max(hi, 2.0)), "RdBu_r"
    if metric.startswith("rejection") and fin.size:
        lo, hi = float(fin.min()), float(fin.max())
        return LogNorm(vmin=min(lo, 1.0), vmax=max(hi, 10.0)), "viridis"
    hi = float(fin.max()) if fin.size else 1.0
    return Normalize(vmin=0.0, vmax=max(hi, 1e-9)), "viridis"


def metric_matrix(results: Sequence[DetectorResult], metric: str = "auc") -> Figure:
    """Heat map of one metric per (signal, background class), one panel per detector.

    Cells show the value and its bootstrap interval; the ``all_backgrounds`` column is the
    cross-section-weighted mixture.  For AUC the colour scale is centred on 0.5 (red: the
    detector separates, blue: it prefers the background).

    Parameters
    ----------
    results : sequence of DetectorResult
    metric : str, default "auc"
        A column of the detectors' :class:`~sciood.evaluate.suite.ResultTable`.

    Returns
    -------
    Figure
    """
    if not results:
        raise DataError("metric_matrix needs at least one detector result")
    n = len(results)
    mats = []
    for r in results:
        cells = [c for c in r.table.cells if c.signal != "all_signals"]
        sigs = sorted({c.signal for c in cells})
        bkgs = [*sorted({c.background for c in cells} - {"all_backgrounds"}), "all_backgrounds"]
        v = np.full((len(sigs), len(bkgs), 3), np.nan)
        for c in cells:
            if metric in c.values:
                v[sigs.index(c.signal), bkgs.index(c.background)] = c.values[metric]
        mats.append((sigs, bkgs, v))
    all_v = np.concatenate([m[2][..., 0].ravel() for m in mats])
    norm, cmap = _norm_for(metric, all_v)
    sigs0, bkgs0, _ = mats[0]
    w = max(3.2, 1.25 * len(bkgs0) + 1.6)
    h = max(2.4, 0.75 * len(sigs0) + 1.6)
    ncols = max(1, min(n, 3, int(MAX_WIDTH // w)))  # stay readable when scaled to the page
    nrows = math.ceil(n / ncols)
    with hep_style():
        fig, axes = _figure(nrows, ncols, size=(w * ncols, h * nrows))
        im = None
        for k, (r, (sigs, bkgs, v)) in enumerate(zip(results, mats, strict=True)):
            ax = axes[k // ncols][k % ncols]
            im = ax.imshow(v[..., 0], norm=norm, cmap=cmap, aspect="auto")
            for i in range(len(sigs)):
                for j in range(len(bkgs)):
                    val, lo, hi = v[i, j]
                    txt = "—" if not np.isfinite(val) else f"{val:.3g}\n[{lo:.3g}, {hi:.3g}]"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=10,
                            color=_text_color(im, val))
            ax.set_xticks(range(len(bkgs)), [b.replace("all_backgrounds", "all bkg")
                                             for b in bkgs], rotation=25, ha="right")
            ax.set_yticks(range(len(sigs)), sigs)
            ax.tick_params(which="both", length=0)
            ax.minorticks_off()
            ax.set_title(r.name)
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        if im is not None:
            fig.colorbar(im, ax=axes, label=metric, shrink=min(0.9, 5.0 / (h * nrows)))
    return fig


# --------------------------------------------------------------------------------------------
# calibration
# --------------------------------------------------------------------------------------------
def _balanced_weights(w: FloatArray, y: NDArray[np.bool_]) -> FloatArray:
    out = w.astype(np.float64).copy()
    for cls in (True, False):
        m = y == cls
        tot = out[m].sum()
        if tot > 0:
            out[m] *= 0.5 / tot
    return out


def calibration(results: Sequence[DetectorResult], test_set: EventSet, *,
                n_bins: int = 10) -> Figure:
    """Reliability curves of the detectors with a probabilistic output.

    Weights: signal and background each rescaled to half of the total (the convention of
    the evaluation's ``signal_fraction = 0.5``), so a calibrated classifier sits on the
    diagonal.  Error bars are binomial with the Kish effective count of the bin.

    Parameters
    ----------
    results : sequence of DetectorResult
        Only those with ``probability`` are drawn.
    test_set : EventSet
        The ``sim`` test set, shape (n_events,).
    n_bins : int, default 10
        Equal-mass bins.

    Returns
    -------
    Figure
        Top: observed signal fraction vs mean predicted probability (ECE in the legend);
        bottom: events per bin.
    """
    from sciood.metrics.calibration import ece, reliability_curve

    prob = [r for r in results if r.probability is not None]
    if not prob:
        raise DataError("no detector has a probabilistic output; nothing to calibrate")
    y = np.asarray(test_set.is_signal, dtype=bool)
    w = _balanced_weights(np.asarray(test_set.weights, dtype=np.float64), y)
    with hep_style():
        fig, ax = _figure(2, 1, size=(6.5, 6.0), sharex=True,
                          gridspec_kw={"height_ratios": [3, 1]})
        top, bot = ax[0][0], ax[1][0]
        top.plot([0, 1], [0, 1], color="grey", ls=":", label="perfectly calibrated")
        for i, r in enumerate(prob):
            p = np.asarray(r.probability, dtype=np.float64)
            mp, frac, _ = reliability_curve(y, p, w, n_bins=n_bins)
            e = ece(y, p, w, n_bins=n_bins)
            n_eff = _bin_kish(p, w, n_bins)
            err = (np.sqrt(np.clip(frac * (1 - frac), 0, None) / n_eff)
                   if n_eff.size == mp.size else None)
            top.errorbar(mp, frac, yerr=err, marker="o", ms=4, color=_color(i), capsize=2,
                         label=f"{r.name} (ECE {e:.3f})")
            bot.hist(p, bins=np.linspace(0, 1, 21), histtype="step", color=_color(i),
                     label=r.name)
        top.set_ylabel("observed signal fraction")
        top.set_xlim(0, 1)
        top.set_ylim(0, 1)
        top.legend(loc="upper left", title="balanced weights (S = B)")
        bot.set_xlabel("predicted signal probability")
        bot.set_ylabel("events")
        bot.set_yscale("log")
    return fig


def _bin_kish(p: FloatArray, w: FloatArray, n_bins: int) -> FloatArray:
    """Kish effective count of the non-empty equal-mass bins of ``reliability_curve``."""
    edges = np.quantile(p, np.linspace(0.0, 1.0, n_bins + 1), weights=np.abs(w),
                        method="inverted_cdf")
    ids = np.searchsorted(edges[1:-1], p, side="left")
    sw = np.bincount(ids, weights=w, minlength=n_bins)
    sw2 = np.bincount(ids, weights=w * w, minlength=n_bins)
    keep = (np.bincount(ids, minlength=n_bins) > 0) & (sw > 0)
    return np.asarray(sw[keep] ** 2 / sw2[keep], dtype=np.float64)


# --------------------------------------------------------------------------------------------
# sculpting
# --------------------------------------------------------------------------------------------
def sculpting(results: Sequence[DetectorResult], test_set: EventSet, *,
              observable: str | None = None, bins: int = 25) -> Figure:
    """Background ``observable`` passing vs failing each detector's cut at ε_S of the result.

    The cut is the :class:`~sciood.metrics.sculpting.SculptingResult` threshold of the
    detector.  Histograms are unit-normalised (shape only); the lower panel is the ratio
    pass / fail — flat at 1 when the cut does not sculpt.

    Parameters
    ----------
    results : sequence of DetectorResult
        Only those with ``sculpting`` are drawn.
    test_set : EventSet
        The ``sim`` test set.
    observable : str, optional
        Default: the test set's first observable (``mjj``).
    bins : int, default 25
        Equal-width bins over the background range (display only; the JSD in the legend is
        the one of the evaluation).

    Returns
    -------
    Figure
    """
    res = [r for r in results if r.sculpting is not None]
    if not res:
        raise DataError("no detector has a sculpting result")
    obs_name = observable or (test_set.observables[0] if test_set.observables else None)
    if obs_name is None:
        raise DataError("the test set declares no observable; pass observable='mjj'")
    bkg = ~np.asarray(test_set.is_signal, dtype=bool)
    x = np.asarray(test_set.column(obs_name), dtype=np.float64)[bkg]
    w = np.asarray(test_set.weights, dtype=np.float64)[bkg]
    edges = np.linspace(float(x.min()), float(x.max()), bins + 1)
    unit = " [GeV]" if obs_name.startswith("m") else ""
    n = len(res)
    ncols = min(n, 3)
    with hep_style():
        fig, axes = _figure(2, ncols, size=(4.6 * ncols, 5.2), sharex=True,
                            gridspec_kw={"height_ratios": [3, 1]})
        for k, r in enumerate(res[:ncols]):
            sc = r.sculpting
            assert sc is not None  # filtered above
            s = np.asarray(r.scores["sim"], dtype=np.float64)[bkg]
            passing = s >= sc.threshold
            top, bot = axes[0][k], axes[1][k]
            h_all, _ = np.histogram(x, edges, weights=w)
            h_p, _ = np.histogram(x[passing], edges, weights=w[passing])
            h_f, _ = np.histogram(x[~passing], edges, weights=w[~passing])
            w2p, _ = np.histogram(x[passing], edges, weights=w[passing] ** 2)
            w2f, _ = np.histogram(x[~passing], edges, weights=w[~passing] ** 2)
            _step(top, h_all / max(h_all.sum(), 1e-300), edges, "grey", "all background",
                  ls=":")
            _step(top, h_f / max(h_f.sum(), 1e-300), edges, _color(0), "fail cut")
            _step(top, h_p / max(h_p.sum(), 1e-300), edges, _color(2), "pass cut")
            top.set_title(f"{r.name}: ε_S = {sc.eff_s:g}", fontsize=11)
            top.legend(title=f"JSD {sc.jsd:.3g} (floor {sc.floor_matched:.2g})\n"
                             f"1/JSD {sc.inv_jsd:.3g}, R50 {sc.r50:.3g}",
                       title_fontsize=9, fontsize=9)
            top.set_ylabel("fraction of background / bin" if k == 0 else "")
            with np.errstate(divide="ignore", invalid="ignore"):
                np_, nf = h_p / h_p.sum(), h_f / h_f.sum()
                ratio = np_ / nf
                err = ratio * np.sqrt(w2p / h_p**2 + w2f / h_f**2)
            centres = 0.5 * (edges[1:] + edges[:-1])
            ok = np.isfinite(ratio) & np.isfinite(err)
            bot.errorbar(centres[ok], ratio[ok], yerr=err[ok], fmt="o", ms=3, color="black")
            bot.axhline(1.0, color="grey", ls=":")
            bot.set_ylim(0.0, 2.5)
            bot.set_xlabel(f"{obs_name}{unit}")
            bot.set_ylabel("pass / fail" if k == 0 else "")
    return fig


def _step(ax: Axes, h: FloatArray, edges: FloatArray, color: str, label: str,
          **kw: Any) -> None:
    ax.stairs(h, edges, color=color, label=label, lw=1.6, **kw)


# --------------------------------------------------------------------------------------------
# failure analysis
# --------------------------------------------------------------------------------------------
def correlations(result: DetectorResult, *, value: str = "spearman",
                 max_columns: int = 12, max_groups: int = 10) -> Figure:
    """Score-vs-feature correlation table as a heat map (features × groups).

    Parameters
    ----------
    result : DetectorResult
        With ``correlations`` (:func:`sciood.evaluate.score_correlations` output).
    value : {"spearman", "pearson", "dcor"}, default "spearman"
    max_columns : int, default 12
        Keep the features with the largest ``|value|`` in the ``all`` group.
    max_groups : int, default 10
        Show ``all`` and the first ``max_groups - 1`` classes (in the table's order).

    Returns
    -------
    Figure
    """
    from matplotlib.colors import Normalize, TwoSlopeNorm

    df = result.correlations
    if df is None or len(df) == 0:
        raise DataError(f"detector {result.name!r} has no correlation table")
    if value not in ("spearman", "pearson", "dcor"):
        raise DataError(f"value must be 'spearman', 'pearson' or 'dcor', got {value!r}")
    piv = df.pivot(index="column", columns="group", values=value)
    groups = ["all"] + [g for g in piv.columns if g != "all"]
    dropped = max(0, len(groups) - max_groups)
    groups = groups[:max_groups]
    piv = piv[groups]
    order = piv["all"].abs().sort_values(ascending=False, na_position="last").index
    piv = piv.loc[list(order)[:max_columns]]
    v = piv.to_numpy(dtype=np.float64)
    norm = (Normalize(vmin=0, vmax=1) if value == "dcor"
            else TwoSlopeNorm(vcenter=0.0, vmin=-1.0, vmax=1.0))
    with hep_style():
        fig, ax = _figure(size=(1.25 * len(groups) + 3.0, 0.3 * len(piv) + 1.7))
        a = ax[0][0]
        im = a.imshow(v, norm=norm, cmap="PuOr_r" if value != "dcor" else "viridis",
                      aspect="auto")
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                t = "—" if not np.isfinite(v[i, j]) else f"{v[i, j]:+.2f}"
                a.text(j, i, t, ha="center", va="center", fontsize=8.5,
                       color=_text_color(im, v[i, j]))
        a.set_xticks(range(len(groups)), groups, rotation=25, ha="right")
        a.set_yticks(range(len(piv)), list(piv.index))
        a.tick_params(which="both", length=0)
        a.minorticks_off()
        more = f" ({dropped} more classes in the table)" if dropped else ""
        a.set_title(f"{result.name}: {value} correlation of the score{more}", fontsize=11)
        fig.colorbar(im, ax=a, label=value)
    return fig


def latent(views: Sequence[tuple[str, LatentView]], *, max_points: int = 3000) -> Figure:
    """2-D latent / feature projections coloured by class, one panel per view.

    Parameters
    ----------
    views : sequence of (title, LatentView)
    max_points : int, default 3000
        Points drawn per class at most (a random, seeded subsample).

    Returns
    -------
    Figure
    """
    if not views:
        raise DataError("no latent view to draw")
    n = len(views)
    ncols = min(n, 3)
    nrows = math.ceil(n / ncols)
    rng = np.random.default_rng(0)
    classes = sorted({str(c) for _, v in views for c in np.unique(v.labels)})
    palette = ([_color(i) for i in range(len(classes))] if len(classes) <= len(COLORS) else
               [_colormap("tab20")(i % 20) for i in range(len(classes))])
    with hep_style():
        fig, axes = _figure(nrows, ncols, size=(4.8 * ncols, 4.4 * nrows))
        for k, (title, v) in enumerate(views):
            ax = axes[k // ncols][k % ncols]
            for ci, c in enumerate(classes):
                idx = np.flatnonzero(v.labels == c)
                if idx.size == 0:
                    continue
                if idx.size > max_points:
                    idx = rng.choice(idx, max_points, replace=False)
                ax.scatter(v.coords[idx, 0], v.coords[idx, 1], s=6, alpha=0.55,
                           color=palette[ci], label=c, lw=0)
            ev = v.explained_variance
            ax_lab = [f"{v.method.upper()} {d}" for d in (1, 2)]
            if ev is not None:
                ax_lab = [f"{lab} ({100 * e:.0f} % var.)" for lab, e in zip(ax_lab, ev,
                                                                             strict=True)]
            ax.set_xlabel(ax_lab[0])
            ax.set_ylabel(ax_lab[1])
            ax.set_title(title, fontsize=11)
            if len(classes) > 5:  # many classes: legend beside the last panel of a row
                if k % ncols == ncols - 1 or k == n - 1:
                    ax.legend(markerscale=2.5, fontsize=9, loc="center left",
                              bbox_to_anchor=(1.0, 0.5))
            else:
                ax.legend(markerscale=2.5, fontsize=9, loc="best")
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
    return fig


# --------------------------------------------------------------------------------------------
# robustness
# --------------------------------------------------------------------------------------------
def robustness(deltas: Sequence[tuple[str, DeltaTable]], *,
               metrics: Sequence[str] | None = None, min_scale: float = 20.0) -> Figure:
    """Relative change of each metric per (detector, variant, signal vs background), heat map.

    Cells: ``(variant − reference)/|reference|`` in percent (red: worse on the variant for
    metrics where higher is better); ``*`` marks disjoint bootstrap intervals (a change
    beyond the statistical uncertainty of either).

    Parameters
    ----------
    deltas : sequence of (detector name, DeltaTable)
    metrics : sequence of str, optional
        Default: AUC, max SIC, rejection at ε_S = 0.5 and AUPR where present.
    min_scale : float, default 20
        The colour scale spans at least ±``min_scale`` %, so small changes stay pale.

    Returns
    -------
    Figure
    """
    import pandas as pd
    from matplotlib.colors import TwoSlopeNorm

    frames = []
    for name, d in deltas:
        df = d.to_pandas()
        if len(df):
            frames.append(df.assign(detector=name))
    if not frames:
        raise DataError("the robustness tables are empty")
    df = pd.concat(frames, ignore_index=True)
    if metrics is None:
        wanted = ["auc", "max_sic", "rejection@eff_s=0.5", "aupr"]
        metrics = [m for m in wanted if m in set(df["metric"])] or sorted(set(df["metric"]))[:4]
    df = df[df["metric"].isin(list(metrics))]
    df = df.assign(row=df["detector"] + " · " + df["variant"] + ": " + df["signal"] + " vs " +
                   df["background"].str.replace("all_backgrounds", "all bkg"))
    order = list(dict.fromkeys(df["row"]))
    rel = df.pivot(index="row", columns="metric", values="rel_change").loc[order,
                                                                            list(metrics)]
    dis = df.pivot(index="row", columns="metric", values="disjoint").loc[order, list(metrics)]
    v = 100.0 * rel.to_numpy(dtype=np.float64)
    lim = float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 0.0
    lim = max(lim, float(min_scale))
    with hep_style():
        fig, ax = _figure(size=(1.7 * len(metrics) + 5.0, 0.4 * len(rel) + 1.9))
        a = ax[0][0]
        im = a.imshow(v, norm=TwoSlopeNorm(vcenter=0.0, vmin=-lim, vmax=lim), cmap="RdBu",
                      aspect="auto")
        flags = dis.to_numpy()
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                t = "—" if not np.isfinite(v[i, j]) else f"{v[i, j]:+.1f} %"
                if np.isfinite(v[i, j]) and bool(flags[i, j]):
                    t += " *"
                a.text(j, i, t, ha="center", va="center", fontsize=10,
                       color=_text_color(im, v[i, j]))
        a.set_xticks(range(len(metrics)), list(metrics), rotation=20, ha="right")
        a.set_yticks(range(len(rel)), list(rel.index))
        a.tick_params(which="both", length=0)
        a.minorticks_off()
        ref = deltas[0][1].reference_name
        ref = "sim" if ref == "reference" else ref  # compare()'s default name
        a.set_title(f"change with respect to {ref} (* = disjoint 68 % intervals)", fontsize=11)
        fig.colorbar(im, ax=a, label="relative change [%]")
    return fig


# --------------------------------------------------------------------------------------------
# bump hunt and injection
# --------------------------------------------------------------------------------------------
def _hunt_column(top: Axes, mid: Axes, res: HuntResult, color: str) -> None:
    fit = res.background_fit
    e = res.edges
    c = 0.5 * (e[1:] + e[:-1])
    width = np.diff(e)
    pred = fit.expected()
    if np.isfinite(fit.covariance).all():
        up, down = fit.eigen_variations()
        sig_fit = np.sqrt(np.sum(np.square(0.5 * (up - down)), axis=0))
    else:  # fit without a usable covariance (flagged in the hunt): no band
        sig_fit = np.zeros_like(pred)
    err = np.sqrt(np.clip(res.sumw2, 0, None))
    dens, derr = res.counts / width, err / width
    top.errorbar(c, dens, yerr=derr, xerr=width / 2, fmt="o", ms=3.5, color="black",
                 label="data")
    top.stairs(pred / width, e, baseline=None, color=color, lw=1.8,
               label=f"dijet fit, χ²/ndf = {fit.chi2_ndf:.2f}")
    top.stairs((pred + sig_fit) / width, e, baseline=(pred - sig_fit) / width, fill=True,
               color=color, alpha=0.3, label="fit ±1σ")
    lo, hi = res.best_window
    top.axvspan(lo, hi, color="gold", alpha=0.3,
                label=f"best window, Z_loc = {res.local_z_observed:.2f}")
    top.set_yscale("log")
    pos = dens[dens > 0]
    if pos.size:
        top.set_ylim(0.3 * float(pos.min()), 5.0 * float(pos.max()))
    with np.errstate(divide="ignore", invalid="ignore"):
        pull = (res.counts - pred) / np.sqrt(np.clip(res.sumw2, 0, None) + sig_fit**2)
    mid.bar(c, np.where(np.isfinite(pull), pull, 0.0), width=width, color=color, alpha=0.7)
    mid.axhline(0.0, color="grey", lw=0.8)
    mid.axvspan(lo, hi, color="gold", alpha=0.3)
    mid.set_ylim(-3.5, 3.5)


def hunt(result: HuntResult, baseline: HuntResult | None = None, *,
         detector: str | None = None) -> Figure:
    """Bump hunt: spectrum with the dijet fit, pulls, and local significance per window.

    One column per hunt (mjj-only baseline left, after the detector cut right): the spectrum
    in events/GeV with the background-only dijet fit and its ±1σ band, the best window shaded,
    and the pulls ``(n − b)/√(σ_n² + σ_b²)``.  The bottom panel overlays the observed local
    significance per window (at the window centre) of both hunts.

    Parameters
    ----------
    result : HuntResult
        The hunt after the score cut.
    baseline : HuntResult, optional
        The same hunt without a cut.
    detector : str, optional
        Name of the detector whose score was cut on.

    Returns
    -------
    Figure
    """
    det = detector or "detector"
    cols: list[tuple[HuntResult, str, str, str]] = []
    if baseline is not None:
        cols.append((baseline, "no cut (mjj only)", "grey", "--"))
    eff = f"ε_B = {result.cut_eff_b:.2g}" if result.cut_eff_b is not None else "cut"
    cols.append((result, f"{det} cut, {eff}", _color(0), "-"))
    n = len(cols)
    with hep_style():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(5.6 * n, 8.4), layout="constrained")
        gs = fig.add_gridspec(3, n, height_ratios=[3, 1.1, 1.7])
        z_ax = fig.add_subplot(gs[2, :])
        for k, (res, lab, col, ls) in enumerate(cols):
            top = fig.add_subplot(gs[0, k])
            mid = fig.add_subplot(gs[1, k], sharex=top)
            _hunt_column(top, mid, res, col)
            top.set_title(lab, fontsize=11)
            top.legend(fontsize=8.5, loc="upper right")
            top.set_ylabel("events / GeV")
            top.tick_params(labelbottom=False)
            mid.set_ylabel("pull")
            mid.set_xlabel("mjj [GeV]")
            wc = 0.5 * (res.windows[:, 0] + res.windows[:, 1])
            z_ax.plot(wc, res.z_local_observed, marker="o", ms=3.5,
                      color="black" if ls == "--" else col, ls=ls, label=lab)
        z_ax.axhline(3.0, color="grey", ls=":", lw=0.8)
        z_ax.set_ylim(bottom=0.0)
        z_ax.set_xlim(float(result.edges[0]), float(result.edges[-1]))
        z_ax.set_xlabel("window centre mjj [GeV]")
        z_ax.set_ylabel("observed local Z")
        z_ax.legend(fontsize=9)
    return fig


def injection(result: InjectionResult) -> Figure:
    """Observed (and expected) local significance versus the number of injected signal events.

    Lines are the mean over repeats; the band spans min–max of the repeats when there are
    several.  The mjj-only baseline is black and dashed; expected (Asimov, truth-based)
    significances are dotted.

    Parameters
    ----------
    result : InjectionResult

    Returns
    -------
    Figure
    """
    from sciood.stats.injection import BASELINE

    x = np.asarray(result.n_signal, dtype=np.float64)
    with hep_style():
        fig, ax = _figure(size=(6.8, 4.8))
        a = ax[0][0]
        k = 0
        for det in result.detectors:
            obs = result.local_z_observed[det]
            exp = result.local_z_expected[det]
            if det == BASELINE:
                color, ls, lab = "black", "--", "mjj only (no cut)"
            else:
                color, ls, lab = _color(k), "-", f"{det} (cut ε_B = {result.cut_eff_b:g})"
                k += 1
            with np.errstate(all="ignore"):
                import warnings

                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mean = np.nanmean(obs, axis=0)
                    lo, hi = np.nanmin(obs, axis=0), np.nanmax(obs, axis=0)
                    emean = np.nanmean(exp, axis=0)
            a.plot(x, mean, marker="o", ms=4, color=color, ls=ls, label=f"{lab}, observed")
            if obs.shape[0] > 1:
                a.fill_between(x, lo, hi, color=color, alpha=0.2, lw=0)
            if np.isfinite(emean).any():
                a.plot(x, emean, color=color, ls=":", label=f"{lab}, expected")
        a.axhline(3.0, color="grey", lw=0.8, ls=":")
        a.set_xlabel("injected signal events")
        a.set_ylabel("local significance Z")
        a.set_ylim(bottom=0.0)
        a.legend(fontsize=8.5)
    return fig


def to_png(fig: Figure) -> bytes:
    """Render a figure to PNG bytes (Agg, in the report style)."""
    from io import BytesIO

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = BytesIO()
    with hep_style():  # text is laid out at draw time: the style's fonts must be active
        fig.savefig(buf, format="png", dpi=fig.dpi)
    return buf.getvalue()
