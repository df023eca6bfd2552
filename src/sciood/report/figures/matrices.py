"""Annotated heat maps of the report: metric matrix, score correlations, robustness.

Each cell shows its number (and, for the metric matrix, the bootstrap interval) on a colour
scale chosen for the metric: diverging around the value of a random cut (AUC 0.5, max SIC 1)
or around no change (correlation 0, relative change 0 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sciood.errors import DataError
from sciood.plot.style import hep_style, new_figure
from sciood.report.figures.common import MAX_WIDTH, text_color

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sciood.evaluate.robustness import DeltaTable
    from sciood.report.inputs import DetectorResult

__all__ = ["correlations", "metric_matrix", "robustness"]

FloatArray = NDArray[np.float64]


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
        fig, axes = new_figure(nrows, ncols, size=(w * ncols, h * nrows))
        im = None
        for k, (r, (sigs, bkgs, v)) in enumerate(zip(results, mats, strict=True)):
            ax = axes[k // ncols][k % ncols]
            im = ax.imshow(v[..., 0], norm=norm, cmap=cmap, aspect="auto")
            for i in range(len(sigs)):
                for j in range(len(bkgs)):
                    val, lo, hi = v[i, j]
                    txt = "—" if not np.isfinite(val) else f"{val:.3g}\n[{lo:.3g}, {hi:.3g}]"
                    ax.text(j, i, txt, ha="center", va="center", fontsize=10,
                            color=text_color(im, val))
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
        fig, ax = new_figure(size=(1.25 * len(groups) + 3.0, 0.3 * len(piv) + 1.7))
        a = ax[0][0]
        im = a.imshow(v, norm=norm, cmap="PuOr_r" if value != "dcor" else "viridis",
                      aspect="auto")
        for i in range(v.shape[0]):
            for j in range(v.shape[1]):
                t = "—" if not np.isfinite(v[i, j]) else f"{v[i, j]:+.2f}"
                a.text(j, i, t, ha="center", va="center", fontsize=8.5,
                       color=text_color(im, v[i, j]))
        a.set_xticks(range(len(groups)), groups, rotation=25, ha="right")
        a.set_yticks(range(len(piv)), list(piv.index))
        a.tick_params(which="both", length=0)
        a.minorticks_off()
        more = f" ({dropped} more classes in the table)" if dropped else ""
        a.set_title(f"{result.name}: {value} correlation of the score{more}", fontsize=11)
        fig.colorbar(im, ax=a, label=value)
    return fig



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
        fig, ax = new_figure(size=(1.7 * len(metrics) + 5.0, 0.4 * len(rel) + 1.9))
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
                       color=text_color(im, v[i, j]))
        a.set_xticks(range(len(metrics)), list(metrics), rotation=20, ha="right")
        a.set_yticks(range(len(rel)), list(rel.index))
        a.tick_params(which="both", length=0)
        a.minorticks_off()
        ref = deltas[0][1].reference_name
        ref = "sim" if ref == "reference" else ref  # compare()'s default name
        a.set_title(f"change with respect to {ref} (* = disjoint 68 % intervals)", fontsize=11)
        fig.colorbar(im, ax=a, label="relative change [%]")
    return fig

