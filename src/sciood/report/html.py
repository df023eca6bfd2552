"""Self-contained HTML report: sections with stable ids, figures embedded as base64 PNG.

The page needs no network and runs no script: CSS is inline, every figure is a
``data:image/png;base64`` URI, tables are plain HTML.  Sections (ids are stable, other tools
link to them): ``summary``, ``data``, ``roc``, ``metrics``, ``calibration``, ``sculpting``,
``failure``, ``latent``, ``robustness``, ``hunt``, ``injection``, ``provenance``.

A section whose optional input is missing says why it is empty; a section whose figure
fails to draw shows the error in a red box (``class="error"``) and the rest of the report is
still written — one broken plot must not cost the reader a finished run.

Example
-------
>>> from sciood.report import write_report
>>> path = write_report(Path("runs/demo"), inputs)       # doctest: +SKIP
>>> path.name
'report.html'
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import logging
import math
import platform
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.errors import ConfigError, DataError
from sciood.report import figures as F
from sciood.report.inputs import DetectorResult, ReportInputs

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sciood.evaluate.suite import ResultTable

__all__ = ["REPORT_NAME", "SECTIONS", "render_html", "write_report"]

log = logging.getLogger(__name__)

#: File name of the report inside the run directory.
REPORT_NAME = "report.html"

#: (id, heading) of every section, in page order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("summary", "Summary"),
    ("data", "Data"),
    ("roc", "ROC and SIC curves"),
    ("metrics", "Class-conditional metrics"),
    ("calibration", "Calibration"),
    ("sculpting", "Mass sculpting"),
    ("failure", "Failure analysis"),
    ("latent", "Latent view"),
    ("robustness", "Sim → data robustness"),
    ("hunt", "Bump hunt"),
    ("injection", "Signal injection"),
    ("provenance", "Provenance"),
)

#: Metrics shown in the summary and heat maps when present.
HEADLINE = ("auc", "max_sic", "rejection@eff_s=0.5")

_CSS = """
:root{--fg:#1d1d1f;--mute:#5f6368;--line:#d9dce1;--accent:#3f90da;--bg:#fff;--soft:#f5f7fa}
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 color:var(--fg);background:var(--bg);margin:0}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--soft)}
header h1{margin:0;font-size:24px}
header p{margin:4px 0 0;color:var(--mute)}
nav{position:sticky;top:0;background:#fff;border-bottom:1px solid var(--line);padding:6px 28px;
 display:flex;flex-wrap:wrap;row-gap:2px;
 z-index:2;font-size:13px}
nav a{color:var(--accent);text-decoration:none;margin-right:14px;white-space:nowrap}
main{max-width:1240px;margin:0 auto;padding:8px 28px 60px}
section{padding-top:14px;border-bottom:1px solid var(--line);padding-bottom:18px}
h2{font-size:20px;margin:14px 0 6px}
h3{font-size:16px;margin:14px 0 4px}
p.how{color:var(--mute);margin:2px 0 10px;max-width:980px}
p.empty{background:var(--soft);border-left:4px solid var(--line);padding:8px 12px;
 color:var(--mute)}
div.error{background:#fdecea;border-left:4px solid #bd1f01;padding:8px 12px;color:#7a1300}
figure{margin:10px 0 16px}
figure img{max-width:100%;height:auto;border:1px solid var(--line)}
figcaption{font-size:13px;color:var(--mute);max-width:980px}
table{border-collapse:collapse;font-size:13px;margin:8px 0 14px}
.tw{overflow-x:auto;max-width:100%}
th,td{border:1px solid var(--line);padding:3px 8px;text-align:right;vertical-align:top}
th{background:var(--soft);text-align:center}
td.l,th.l{text-align:left}
.ci{color:var(--mute);font-size:11px;white-space:nowrap}
details{margin:6px 0}
summary{cursor:pointer;color:var(--accent)}
pre{background:var(--soft);padding:10px;overflow:auto;font-size:12px;max-height:480px}
ul.notes li{margin:2px 0}
.kpi{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0}
.kpi div{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:180px}
.kpi b{display:block;font-size:20px}
.kpi span{color:var(--mute);font-size:12px}
"""


# --------------------------------------------------------------------------------------------
# small HTML helpers
# --------------------------------------------------------------------------------------------
def _e(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _num(x: Any, digits: int = 3) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return _e(x)
    if math.isnan(v):
        return "—"
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if v != 0 and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.{digits}g}"
    return f"{v:.{digits}g}" if abs(v) >= 1 else f"{v:.{digits}f}".rstrip("0").rstrip(".")


def _ci(value: float, lo: float, hi: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f'{_num(value)} <span class="ci">[{_num(lo)}, {_num(hi)}]</span>'


def _empty(reason: str) -> str:
    return f'<p class="empty">{_e(reason)}</p>'


def _how(text: str) -> str:
    return f'<p class="how">{text}</p>'


@dataclass
class _Figures:
    """Renders figures to ``<figure>`` blocks and counts them."""

    count: int = 0

    def __call__(self, fig: Figure, alt: str, caption: str = "") -> str:
        png = F.to_png(fig)
        w, h = (round(float(v)) for v in fig.get_size_inches() * fig.dpi)
        self.count += 1
        data = base64.b64encode(png).decode("ascii")
        cap = f"<figcaption>{caption}</figcaption>" if caption else ""
        return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(alt)}" '
                f'width="{w}" height="{h}" loading="eager">{cap}</figure>')


def _table(header: Sequence[str], rows: Iterable[Sequence[str]],
           left: int | Collection[int] = 1) -> str:
    """HTML table; cells are already HTML.

    ``left``: the first ``left`` columns, or the given column indices, are left-aligned
    (text); the others are right-aligned (numbers).
    """
    is_left = set(range(left)) if isinstance(left, int) else set(left)
    th = "".join(f'<th class="{"l" if i in is_left else ""}">{_e(h)}</th>'
                 for i, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(
            f'<td class="l">{c}</td>' if i in is_left else f"<td>{c}</td>"
            for i, c in enumerate(r)
        ) + "</tr>"
        for r in rows
    )
    # wide tables scroll inside their box instead of widening the page
    return (f'<div class="tw"><table><thead><tr>{th}</tr></thead><tbody>{body}</tbody>'
            "</table></div>")


def _frame(df: pd.DataFrame, max_rows: int = 60, digits: int = 4) -> str:
    """A DataFrame as an HTML table (escaped, numbers formatted)."""
    if len(df) > max_rows:
        df = df.head(max_rows)
    rows = []
    for rec in df.itertuples(index=False):
        rows.append([_num(v, digits) if isinstance(v, float | np.floating) else _e(v)
                     for v in rec])
    from pandas.api.types import is_numeric_dtype

    text = [i for i, c in enumerate(df.columns) if not is_numeric_dtype(df[c])]
    return _table([str(c) for c in df.columns], rows, left=text)


def _json(obj: Any) -> str:
    def default(o: Any) -> Any:
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)

    return json.dumps(obj, indent=2, sort_keys=False, default=default, ensure_ascii=False)


def _heat_bg(value: float, lo: float, hi: float, *, centre: float | None = None) -> str:
    """A light background colour for a value in a heat-map table cell."""
    if not math.isfinite(value) or not hi > lo:
        return ""
    if centre is not None:  # diverging: blue below centre, red above
        t = (value - centre) / max(hi - centre, centre - lo, 1e-12)
        t = max(-1.0, min(1.0, t))
        r, g, b = ((255, int(255 - 120 * t), int(255 - 140 * t)) if t >= 0 else
                   (int(255 + 120 * t), int(255 + 70 * t), 255))
    else:
        t = max(0.0, min(1.0, (value - lo) / (hi - lo)))
        r, g, b = int(255 - 150 * t), int(255 - 60 * t), int(255 - 20 * t)
    return f' style="background:rgb({r},{g},{b})"'


# --------------------------------------------------------------------------------------------
# sections
# --------------------------------------------------------------------------------------------
def _signals(inputs: ReportInputs) -> list[str]:
    sim = inputs.test_sets["sim"]
    return sorted(set(sim.labels[sim.is_signal].tolist()))


def _sec_summary(inputs: ReportInputs, fig: _Figures) -> str:
    parts = [_how("Headline numbers of every detector: each signal against all background "
                  "classes mixed by cross-section, with 68 % Poisson-bootstrap intervals. "
                  "Max SIC is the honest (cross-fitted) estimate: the working point is chosen "
                  "on one half of the events and its SIC read on the other (swapped, "
                  "averaged), and its interval is a bootstrap that repeats the choice; the "
                  "in-sample maximum (column max_sic_naive) is biased high. "
                  "Read the class-conditional section before trusting an inclusive number.")]
    kpis = []
    for d in inputs.detectors:
        for sig in _signals(inputs):
            try:
                v = d.table.get(sig, "all_backgrounds", "max_sic")[0]
            except ConfigError:
                continue
            kpis.append((f"{d.name}", f"max SIC, {sig}", v))
    if inputs.hunt is not None:
        kpis.append(("bump hunt", f"local Z after {inputs.hunt_detector or 'the'} cut",
                     inputs.hunt.local_z_observed))
    if inputs.hunt_baseline is not None:
        kpis.append(("bump hunt", "local Z, mjj only", inputs.hunt_baseline.local_z_observed))
    if inputs.limit is not None:
        kpis.append(("CLs limit", "observed 95 % CL on μ", inputs.limit.observed))
    if kpis:
        parts.append('<div class="kpi">' + "".join(
            f"<div><span>{_e(a)}</span><b>{_num(v)}</b><span>{_e(b)}</span></div>"
            for a, b, v in kpis[:12]) + "</div>")
    header = ["detector", "signal"] + [m for m in HEADLINE]
    rows = []
    for d in inputs.detectors:
        for sig in _signals(inputs):
            try:
                cell = d.table.cell(sig, "all_backgrounds")
            except ConfigError:
                continue
            rows.append([_e(d.name), _e(sig)] + [
                _ci(*cell.values[m]) if m in cell.values else "—" for m in HEADLINE])
    if rows:
        parts.append(_table(header, rows, left=2))
    if inputs.notes:
        parts.append("<h3>Notes from the run</h3><ul class=\"notes\">" +
                     "".join(f"<li>{_e(n)}</li>" for n in inputs.notes) + "</ul>")
    flat = _flatten_scalars(inputs.results)
    if flat:
        parts.append("<details><summary>results.json (scalar entries)</summary>" +
                     _table(["key", "value"], [[_e(k), _num(v) if isinstance(v, float)
                                                else _e(v)] for k, v in flat[:200]]) +
                     "</details>")
    return "".join(parts)


def _flatten_scalars(obj: Any, prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            out += _flatten_scalars(v, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, int | float | str | bool | np.generic) or obj is None:
        out.append((prefix, obj.item() if isinstance(obj, np.generic) else obj))
    return out


def _sec_data(inputs: ReportInputs, fig: _Figures) -> str:
    parts = [_how("Processes per variant: signal or background, number of test events and "
                  "the sum of weights (expected events per fb⁻¹ for generated samples).")]
    if inputs.data_summary is not None and len(inputs.data_summary):
        parts.append(_frame(inputs.data_summary))
    else:
        parts.append(_empty("No data summary was provided by the pipeline."))
    rows = []
    for name, es in inputs.test_sets.items():
        sig = es.is_signal
        rows.append([_e(name), str(len(es)), str(int(sig.sum())), str(int((~sig).sum())),
                     _num(float(es.weights[~sig].sum())), _e(", ".join(es.classes))])
    parts.append("<h3>Test sets</h3>" + _table(
        ["variant", "events", "signal", "background", "Σw background", "classes"], rows,
        left=[0, 5]))
    for name, es in inputs.test_sets.items():
        if es.provenance:
            parts.append(f"<details><summary>generator / detector card of the {_e(name)} "
                         f"test set</summary><pre>{_e(_json(es.provenance))}</pre></details>")
    return "".join(parts)


def _sec_roc(inputs: ReportInputs, fig: _Figures) -> str:
    sim = inputs.test_sets["sim"]
    meta = inputs.detectors[0].table.meta if inputs.detectors else {}
    n_boot = min(int(meta.get("n_bootstrap", 50) or 0), 50)  # the evaluation's, at most 50
    seed = int(meta.get("seed", 0) or 0)
    n_min = float(meta.get("min_background", 50.0) or 50.0)
    parts = [_how(
        "Left: background rejection 1/ε_B (log scale) against signal efficiency ε_S; higher is "
        "better, the dotted grey line is a random cut. Right: significance improvement "
        "SIC = ε_S/√ε_B, the factor by which the cut multiplies S/√B; it is solid where at "
        f"least {n_min:g} effective background events pass (where max SIC is taken) and "
        "dotted where "
        "it rests on a handful of events. " + (
            f"Bands: 68 % Poisson bootstrap ({n_boot} replicas)." if n_boot >= 2 else
            "No bands: the evaluation ran without bootstrap replicas."))]
    for sig in _signals(inputs):
        f = F.roc_sic(inputs.detectors, sim, sig, n_bootstrap=n_boot, seed=seed,
                      min_background=n_min)
        parts.append(f"<h3>{_e(sig)}</h3>" + fig(
            f, f"ROC and SIC curves for {sig}",
            f"{_e(sig)} against all backgrounds (cross-section weighted), sim test set."))
    return "".join(parts)


def _metric_table(table: ResultTable) -> str:
    cols = [m for m in table.metrics]
    ranges: dict[str, tuple[float, float]] = {}
    for m in cols:
        vals = np.array([c.values[m][0] for c in table.cells], dtype=np.float64)
        fin = vals[np.isfinite(vals)]
        if m.startswith("rejection"):
            fin = np.log10(fin[fin > 0])
        ranges[m] = (float(fin.min()), float(fin.max())) if fin.size else (0.0, 0.0)
    rows = []
    for c in table.cells:
        cells = [_e(c.signal), _e(c.background), str(c.n_signal), str(c.n_background)]
        for m in cols:
            v, lo, hi = c.values[m]
            key = math.log10(v) if m.startswith("rejection") and v > 0 and math.isfinite(v) else v
            style = _heat_bg(key, *ranges[m], centre=0.5 if m == "auc" else None)
            cells.append(f"<span{style}>{_ci(v, lo, hi)}</span>" if style else _ci(v, lo, hi))
        rows.append(cells)
    head = ["signal", "background", "n_S", "n_B", *cols]
    out = _table(head, rows, left=2)
    # colour the whole cell, not just the span
    out = out.replace("<td><span style=", "<td style=").replace("</span></td>", "</td>")
    notes = [f"{c.signal} vs {c.background}: {n}" for c in table.cells for n in c.notes]
    if notes:
        out += ("<details><summary>notes (" + str(len(notes)) + ")</summary><ul>" +
                "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul></details>")
    return out


def _sec_metrics(inputs: ReportInputs, fig: _Figures) -> str:
    parts = [_how(
        "Every metric per signal and per background class, and against all backgrounds mixed "
        "by cross-section (<i>all bkg</i>). AUC is coloured around 0.5: red separates the "
        "signal from that background, blue means the detector finds the background <i>more</i> "
        "anomalous than the signal. A good inclusive number can hide a background class the "
        "detector cannot tell from the signal. Brackets: 68 % bootstrap interval.")]
    present = [m for m in ("auc", "rejection@eff_s=0.5", "max_sic")
               if all(m in d.table.metrics for d in inputs.detectors)]
    for m in present:
        parts.append(fig(F.metric_matrix(inputs.detectors, m), f"heat map of {m}",
                         f"{_e(m)} per (signal, background class) and detector."))
    for d in inputs.detectors:
        parts.append(f"<details><summary>full table: {_e(d.name)}</summary>"
                     f"{_metric_table(d.table)}</details>")
    return "".join(parts)


def _sec_calibration(inputs: ReportInputs, fig: _Figures) -> str:
    prob = [d for d in inputs.detectors if d.probability is not None]
    if not prob:
        return _empty("No detector in this run has a probabilistic output (probability is "
                      "None for every detector): auto-encoder, flow and distance scores are "
                      "rankings, not probabilities, so a reliability plot does not apply.")
    return _how(
        "Observed signal fraction against the predicted probability in equal-mass bins, with "
        "signal and background weighted to equal totals. On the diagonal the output is "
        "calibrated; above it the classifier is under-confident, below over-confident. ECE: "
        "weighted mean distance to the diagonal.") + fig(
        F.calibration(inputs.detectors, inputs.test_sets["sim"]), "reliability plot",
        "Detectors without a probability (" + _e(", ".join(
            d.name for d in inputs.detectors if d.probability is None) or "none") +
        ") are left out.")


def _sec_sculpting(inputs: ReportInputs, fig: _Figures) -> str:
    have = [d for d in inputs.detectors if d.sculpting is not None]
    if not have:
        return _empty("No sculpting result: the evaluation stage did not compute "
                      "sculpting_jsd for any detector (it needs an observable such as mjj).")
    sim = inputs.test_sets["sim"]
    parts = [_how(
        "Background observable for events passing and failing each detector's cut at the "
        "signal efficiency shown, both normalised to unit area. If the cut sculpts the "
        "background (creates a bump-like shape where a search looks), the bump hunt can find "
        "a fake signal. JSD: Jensen–Shannon divergence (base 2) between pass and fail; "
        "compare it with its statistical floor (random split with the same pass fraction). "
        "R50: background rejection at that working point.")]
    for i in range(0, len(have), 3):
        chunk = have[i:i + 3]
        parts.append(fig(F.sculpting(chunk, sim), "sculpting of the background observable",
                         "Lower panel: pass / fail ratio (flat at 1 without sculpting)."))
    rows = [[_e(d.name), _num(d.sculpting.eff_s), _num(d.sculpting.jsd),
             _num(d.sculpting.floor), _num(d.sculpting.floor_matched),
             _num(d.sculpting.inv_jsd), _num(d.sculpting.r50)]
            for d in have if d.sculpting is not None]
    parts.append(_table(["detector", "ε_S", "JSD", "floor (halves)", "floor (matched)",
                         "1/JSD", "R50"], rows))
    return "".join(parts)


def _sec_failure(inputs: ReportInputs, fig: _Figures) -> str:
    parts = [_how(
        "What the score responds to: Spearman correlation of the score with each feature, "
        "over all test events and within each class. A large correlation with constituent "
        "multiplicity (nconst) or jet mass inside the QCD class is the usual failure of "
        "density-based detectors (busy QCD jets look anomalous). Below: the most anomalous "
        "background events.")]
    any_ = False
    for d in inputs.detectors:
        if d.correlations is not None and len(d.correlations):
            any_ = True
            parts.append(f"<h3>{_e(d.name)}</h3>" + fig(
                F.correlations(d), f"score correlations of {d.name}",
                "Features ordered by |correlation| over all events; top 12 shown."))
        if d.top_anomalies is not None and len(d.top_anomalies):
            any_ = True
            df = d.top_anomalies
            keep = [c for c in df.columns[:11]]
            parts.append(f"<details><summary>most anomalous background events: "
                         f"{_e(d.name)}</summary>{_frame(df[keep], max_rows=20)}</details>")
    if not any_:
        return _empty("No failure analysis: no detector has correlations or top anomalies "
                      "(score_correlations / top_anomalies were not run).")
    return "".join(parts)


def _same_view(a: Any, b: Any) -> bool:
    return bool(a.coords.shape == b.coords.shape and np.array_equal(a.coords, b.coords)
                and np.array_equal(a.labels, b.labels))


def _sec_latent(inputs: ReportInputs, fig: _Figures) -> str:
    views: list[tuple[list[str], Any]] = []
    for d in inputs.detectors:
        if d.latent is None:
            continue
        for names, v in views:
            if _same_view(v, d.latent):
                names.append(d.name)
                break
        else:
            views.append(([d.name], d.latent))
    if not views:
        return _empty("No latent view: latent_view was not run for any detector.")
    titled = [(", ".join(n) if len(n) < len(inputs.detectors) else "all detectors (same "
               "projection)", v) for n, v in views]
    return _how(
        "Two-dimensional projection of the events (PCA or UMAP of the features or of a "
        "detector's latent space), coloured by class. Signals that overlap the backgrounds "
        "here are hard for any detector working on these inputs.") + fig(
        F.latent(titled), "latent view coloured by class",
        "Axes: first two components (explained variance in brackets for PCA).")


def _sec_robustness(inputs: ReportInputs, fig: _Figures) -> str:
    have = [d for d in inputs.detectors if d.robustness is not None and len(d.robustness)]
    if not have:
        variants = [v for v in inputs.test_sets if v != "sim"]
        why = ("no other test-set variant than sim was evaluated" if not variants else
               f"variants {variants} were scored but not compared")
        return _empty(f"No robustness table: {why}. Add a 'data' variant to the run "
                      "to see how the metrics move from simulation to data.")
    parts = [_how(
        "Relative change of each metric from the sim test set to the other variants "
        "(another Pythia tune and detector smearing for <i>data</i>, nuisance shifts such as "
        "JES ±1σ). Large changes mean the number measured on simulation will not hold on "
        "data; * marks changes beyond both bootstrap intervals.")]
    parts.append(fig(F.robustness([(d.name, d.robustness) for d in have
                                   if d.robustness is not None]),
                     "relative change of the metrics from sim to the other variants"))
    for d in have:
        assert d.robustness is not None
        df = d.robustness.to_pandas()
        df = df[df["metric"].isin(list(HEADLINE))]
        rows = [[_e(r.variant), _e(r.signal), _e(r.background), _e(r.metric),
                 _ci(r.reference, r.reference_lo, r.reference_hi), _ci(r.value, r.lo, r.hi),
                 "—" if not math.isfinite(r.rel_change) else f"{100 * r.rel_change:+.1f} %",
                 "yes" if r.disjoint else "no"] for r in df.itertuples(index=False)]
        parts.append(f"<details><summary>table: {_e(d.name)}</summary>" + _table(
            ["variant", "signal", "background", "metric", "sim", "variant value",
             "rel. change", "disjoint CIs"], rows, left=4) + "</details>")
    return "".join(parts)


def _hunt_rows(res: Any) -> list[list[str]]:
    def opt(x: Any) -> str:
        return "—" if x is None else _num(x)

    def pm(x: Any, e: Any) -> str:
        return "—" if x is None else _num(x) + ("" if e is None else f" ± {_num(e)}")

    glob = opt(res.global_z_observed)
    if res.n_toys:
        err = getattr(res, "global_p_error", None)
        p_txt = f"p = {_num(res.global_p_observed)}" + ("" if err is None else f" ± {_num(err)}")
        glob += f" ({p_txt}; {_e(res.global_method)}, {res.n_toys} toys)"
    choice = getattr(res, "function_choice", None)
    model = _e(getattr(res, "model", "dijet4")) + (" (F-test)" if choice else "")
    sculpt = getattr(res, "sculpting", None) or {}
    verdict = ("—" if res.sculpting_flag is None else "SCULPTED" if res.sculpting_flag else
               "inconclusive" if not sculpt.get("conclusive", True) else "clean")
    return [
        ["events after cut", str(res.n_events_after_cut)],
        ["cut (background efficiency)", opt(res.cut_eff_b)],
        ["scan / background function", f"{_e(getattr(res, 'method', 'masked-window'))} / "
                                       f"{model}"],
        ["best window [GeV]", f"{res.best_window[0]:.0f} – {res.best_window[1]:.0f}"],
        ["fitted peak [GeV]", pm(getattr(res, "best_mass", None),
                                 getattr(res, "best_mass_error", None))],
        ["fitted signal events", pm(getattr(res, "best_signal", None),
                                    getattr(res, "best_signal_error", None))],
        ["observed local Z", _num(res.local_z_observed)],
        ["expected local Z (truth)", opt(res.local_z_expected)],
        ["observed global Z", glob],
        ["fit χ²/ndf", _num(res.background_fit.chi2_ndf)],
        ["sculpting guard: fake-bump Z (data units) / verdict",
         f"{opt(res.fake_bump_z)} / {verdict}"],
    ]


def _sec_hunt(inputs: ReportInputs, fig: _Figures) -> str:
    if inputs.hunt is None:
        return _empty("No bump hunt: the run's configuration has no statistics stage "
                      "(or the hunt failed; see the notes in the summary).")
    h, b = inputs.hunt, inputs.hunt_baseline
    parts = [_how(
        "The search: the mjj spectrum (events per GeV, log scale) is fitted with a dijet "
        "function (3, 4 or 5 parameters, chosen by F-tests with a signal allowed) plus, at each "
        "mass hypothesis, a Gaussian signal of the mjj resolution whose yield floats; the local "
        "Z is the likelihood ratio against the background-only fit, and the best hypothesis is "
        "refitted with the mass floating (fitted peak ± 1σ). Left: no cut (the baseline a "
        "detector must beat); right: after the cut on the detector score. Pulls below each "
        "spectrum; the bottom panel is the observed local significance per window. Local Z "
        "ignores the look-elsewhere effect; the global Z (adaptive background-only toys, "
        "p-value with its binomial error) corrects for it. The sculpting guard reruns the scan "
        "on background-only events after the same cut.")]
    parts.append(fig(F.hunt(h, b, detector=inputs.hunt_detector), "bump hunt",
                     "Shaded: best window. Band: ±1σ of the fit (covariance propagated)."))
    cols = [("mjj only", b)] if b is not None else []
    cols.append((f"{inputs.hunt_detector or 'detector'} cut", h))
    table_rows = [[lab] + [r[i][1] for _, r in [(c, _hunt_rows(x)) for c, x in cols]]
                  for i, lab in enumerate(r[0] for r in _hunt_rows(h))]
    parts.append(_table(["", *[c for c, _ in cols]], table_rows))
    flags = [f"{c}: {f}" for c, x in cols for f in x.flags]
    if flags:
        parts.append("<h3>Flags</h3><ul class=\"notes\">" +
                     "".join(f"<li>{_e(f)}</li>" for f in flags) + "</ul>")
    lim = inputs.limit
    if lim is not None:
        band = ", ".join(_num(x) for x in lim.expected_band)
        parts.append("<h3>CLs upper limit</h3>" + _table(["", "value"], [
            ["observed limit on μ", _num(lim.observed)],
            ["expected limit on μ (median)", _num(lim.expected)],
            ["expected −2σ, −1σ, median, +1σ, +2σ", band],
            ["observed limit on signal events", _num(lim.observed * lim.signal_total)],
            ["method", _e(f"{lim.method}, CL = {lim.cl:g}")],
        ]))
    else:
        parts.append(_empty("No CLs limit was computed in this run."))
    br = getattr(inputs, "brazil", None)
    if br is not None:
        from sciood.stats import brazil_figure

        parts.append("<h3>Limits versus mass</h3>" + _how(
            f"95 % CL upper limits on the {br.quantity} of a Gaussian resonance "
            f"(σ/m = {br.rel_width:g}) versus its mass, at {br.luminosity:.3g} fb⁻¹: observed "
            "(line), expected median (dashed) with ±1σ (green) and ±2σ (yellow) bands. Each "
            "limit profiles the background function fitted to the spectrum (the data used "
            "once); the run directory holds the HEPData record and one pyhf workspace per mass."))
        parts.append(fig(brazil_figure(br), "limits versus mass",
                         "Observed and expected CLs limits; bands from the background-only "
                         "hypothesis."))
    return "".join(parts)


def _sec_injection(inputs: ReportInputs, fig: _Figures) -> str:
    inj = inputs.injection
    if inj is None:
        return _empty("No signal-injection scan in this run (statistics.injection is off).")
    parts = [_how(
        "Signal events injected into the background, the hunt repeated for each count: "
        "observed local significance (solid, baseline dashed) and the expected (Asimov, "
        "truth-based) one (dotted). A useful detector reaches 3σ with fewer injected events "
        "than the mjj-only hunt.")]
    parts.append(fig(F.injection(inj), "significance versus injected signal"))
    df = inj.to_frame()
    piv = df.pivot_table(index="n_signal", columns="detector", values="local_z_observed",
                         aggfunc="mean")
    rows = [[str(int(n))] + [_num(piv.loc[n, c]) for c in piv.columns] for n in piv.index]
    parts.append(_table(["injected", *[f"Z_obs {c}" for c in piv.columns]], rows))
    if inj.flags:
        parts.append("<details><summary>flags (" + str(len(inj.flags)) + ")</summary><ul>" +
                     "".join(f"<li>{_e(f)}</li>" for f in inj.flags) + "</ul></details>")
    return "".join(parts)


def _sec_provenance(inputs: ReportInputs, fig: _Figures) -> str:
    import matplotlib

    import sciood

    env = {"sciood": sciood.__version__, "python": platform.python_version(),
           "numpy": np.__version__, "matplotlib": matplotlib.__version__,
           "report written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
    return (_how("Everything needed to reproduce the run: versions, seeds, stage cache keys, "
                 "data hashes and timings, and the resolved configuration.") +
            "<h3>Run</h3><pre>" + _e(_json(inputs.provenance)) + "</pre>"
            "<h3>Configuration</h3><pre>" + _e(_json(inputs.config)) + "</pre>"
            "<h3>Report environment</h3><pre>" + _e(_json(env)) + "</pre>")


_BUILDERS: dict[str, Callable[[ReportInputs, _Figures], str]] = {
    "summary": _sec_summary,
    "data": _sec_data,
    "roc": _sec_roc,
    "metrics": _sec_metrics,
    "calibration": _sec_calibration,
    "sculpting": _sec_sculpting,
    "failure": _sec_failure,
    "latent": _sec_latent,
    "robustness": _sec_robustness,
    "hunt": _sec_hunt,
    "injection": _sec_injection,
    "provenance": _sec_provenance,
}


# --------------------------------------------------------------------------------------------
# validation and assembly
# --------------------------------------------------------------------------------------------
def _validate(inputs: ReportInputs) -> None:
    if not isinstance(inputs, ReportInputs):
        raise DataError(f"write_report needs a ReportInputs, got {type(inputs).__name__}; "
                        "build one with sciood.report.ReportInputs(...)")
    if "sim" not in inputs.test_sets:
        raise DataError(f"ReportInputs.test_sets has no 'sim' entry (keys: "
                        f"{sorted(inputs.test_sets)}); the sim test set is required")
    if not inputs.detectors:
        raise DataError("ReportInputs.detectors is empty; evaluate at least one detector")
    names = [d.name for d in inputs.detectors]
    if len(set(names)) != len(names):
        raise DataError(f"detector names must be unique, got {names}")
    for d in inputs.detectors:
        if not isinstance(d, DetectorResult):
            raise DataError(f"detectors must be DetectorResult, got {type(d).__name__}")
        for variant, s in d.scores.items():
            es = inputs.test_sets.get(variant)
            if es is None:
                raise DataError(f"detector {d.name!r} has scores for variant {variant!r} "
                                f"but test_sets has only {sorted(inputs.test_sets)}")
            if np.shape(s) != (len(es),):
                raise DataError(f"detector {d.name!r}: scores[{variant!r}] has shape "
                                f"{np.shape(s)} but the {variant} test set has {len(es)} "
                                "events; pass one score per test event")
        if "sim" not in d.scores:
            raise DataError(f"detector {d.name!r} has no scores['sim'] (required)")
        if d.probability is not None and np.shape(d.probability) != (len(inputs.test_sets[
                "sim"]),):
            raise DataError(f"detector {d.name!r}: probability must have one entry per sim "
                            "test event")


def _section(sid: str, title: str, inputs: ReportInputs, fig: _Figures) -> str:
    try:
        body = _BUILDERS[sid](inputs, fig)
    except Exception as exc:  # one broken section must not lose the whole report
        log.exception("report section %r failed", sid)
        body = (f'<div class="error">This section could not be drawn: '
                f"{_e(type(exc).__name__)}: {_e(exc)}</div>")
    return f'<section id="{sid}"><h2>{_e(title)}</h2>{body}</section>'


def render_html(inputs: ReportInputs) -> str:
    """The complete report page as a string (validated inputs, figures embedded).

    Parameters
    ----------
    inputs : ReportInputs

    Returns
    -------
    str
        A standalone HTML5 document.

    Raises
    ------
    DataError
        If the inputs are inconsistent (no ``sim`` test set, scores that do not match the
        test events, duplicate detector names).
    """
    _validate(inputs)
    fig = _Figures()
    with F.hep_style():
        sections = "".join(_section(sid, title, inputs, fig) for sid, title in SECTIONS)
    nav = "".join(f'<a href="#{sid}">{_e(t)}</a>' for sid, t in SECTIONS)
    dets = ", ".join(d.name for d in inputs.detectors)
    sub = (f"{len(inputs.detectors)} detector(s): {dets} · test sets: "
           f"{', '.join(inputs.test_sets)}")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>{_e(inputs.title)} — sciood report</title><style>{_CSS}</style></head>"
        f"<body><header><h1>{_e(inputs.title)}</h1><p>{_e(sub)}</p></header>"
        f"<nav>{nav}</nav><main>{sections}</main></body></html>\n"
    )


def write_report(run_dir: Path, inputs: ReportInputs) -> Path:
    """Write ``run_dir/report.html``: a self-contained report of one run.

    Parameters
    ----------
    run_dir : Path
        Run directory (created if missing).
    inputs : ReportInputs
        Everything the report draws from (see :mod:`sciood.report.inputs`).

    Returns
    -------
    Path
        ``run_dir / "report.html"`` (written atomically).

    Raises
    ------
    DataError
        If the inputs are inconsistent.
    ConfigError
        If ``run_dir`` exists and is not a directory.
    """
    from sciood.io import atomic_write_bytes

    run_dir = Path(run_dir)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"run_dir {run_dir} exists and is not a directory; pass a directory")
    page = render_html(inputs)
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / REPORT_NAME
    atomic_write_bytes(path, page.encode("utf-8"))
    log.info("report written to %s (%.1f MB)", path, len(page) / 1e6)
    return path
