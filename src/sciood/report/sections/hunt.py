"""The bump-hunt section: spectra, fits and pulls, the hunt table, flags and limits."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from sciood.report.figures import hunt
from sciood.report.markup import empty, esc, how, html_table, num

if TYPE_CHECKING:
    from sciood.report.inputs import ReportInputs
    from sciood.report.markup import FigureBlocks

__all__ = ["build"]


def _limit_rows(lim: Any) -> list[list[str]]:
    """Limit table rows: on μ, on signal events and (when known) on the cross-section."""
    band = [float(x) for x in lim.expected_band]
    units = [("signal strength μ", 1.0),
             ("signal events after the cut", lim.signal_total)]
    if math.isfinite(lim.signal_cross_section_fb):
        units.append((f"{lim.cross_section_quantity} [fb]", lim.signal_cross_section_fb))
    rows = [[esc(name), num(lim.observed * k), num(lim.expected * k),
             ", ".join(num(x * k) for x in band)] for name, k in units]
    rows.append(["method", esc(f"{lim.method}, {lim.model} model, CL = {lim.cl:g}"), "", ""])
    return rows


def _injected(inputs: ReportInputs) -> str:
    stat = inputs.results.get("statistics") or {}
    return str(stat.get("injection_process") or "the signal")


def _hunt_rows(res: Any) -> list[list[str]]:
    def opt(x: Any) -> str:
        return "—" if x is None else num(x)

    def pm(x: Any, e: Any) -> str:
        return "—" if x is None else num(x) + ("" if e is None else f" ± {num(e)}")

    glob = opt(res.global_z_observed)
    if res.n_toys:
        err = getattr(res, "global_p_error", None)
        p_txt = f"p = {num(res.global_p_observed)}" + ("" if err is None else f" ± {num(err)}")
        glob += f" ({p_txt}; {esc(res.global_method)}, {res.n_toys} toys)"
    choice = getattr(res, "function_choice", None)
    model = esc(getattr(res, "model", "dijet4")) + (" (F-test)" if choice else "")
    sculpt = getattr(res, "sculpting", None) or {}
    verdict = ("—" if res.sculpting_flag is None else "SCULPTED" if res.sculpting_flag else
               "inconclusive" if not sculpt.get("conclusive", True) else "clean")
    return [
        ["events after cut", str(res.n_events_after_cut)],
        ["cut (background efficiency)", opt(res.cut_eff_b)],
        ["scan / background function", f"{esc(getattr(res, 'method', 'masked-window'))} / "
                                       f"{model}"],
        ["best window [GeV]", f"{res.best_window[0]:.0f} – {res.best_window[1]:.0f}"],
        ["fitted peak [GeV]", pm(getattr(res, "best_mass", None),
                                 getattr(res, "best_mass_error", None))],
        ["fitted signal events", pm(getattr(res, "best_signal", None),
                                    getattr(res, "best_signal_error", None))],
        ["observed local Z", num(res.local_z_observed)],
        ["expected local Z (truth)", opt(res.local_z_expected)],
        ["observed global Z", glob],
        ["fit χ²/ndf", num(res.background_fit.chi2_ndf)],
        ["sculpting guard: fake-bump Z (data units) / verdict",
         f"{opt(res.fake_bump_z)} / {verdict}"],
    ]


def build(inputs: ReportInputs, fig: FigureBlocks) -> str:
    """The ``hunt`` section's HTML body."""
    if inputs.hunt is None:
        return empty("No bump hunt: the run's configuration has no statistics stage "
                     "(or the hunt failed; see the notes in the summary).")
    h, b = inputs.hunt, inputs.hunt_baseline
    parts = [how(
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
    parts.append(fig(hunt(h, b, detector=inputs.hunt_detector), "bump hunt",
                     "Shaded: best window. Band: ±1σ of the fit (covariance propagated)."))
    cols = [("mjj only", b)] if b is not None else []
    cols.append((f"{inputs.hunt_detector or 'detector'} cut", h))
    table_rows = [[lab] + [r[i][1] for _, r in [(c, _hunt_rows(x)) for c, x in cols]]
                  for i, lab in enumerate(r[0] for r in _hunt_rows(h))]
    parts.append(html_table(["", *[c for c, _ in cols]], table_rows))
    flags = [f"{c}: {f}" for c, x in cols for f in x.flags]
    if flags:
        parts.append("<h3>Flags</h3><ul class=\"notes\">" +
                     "".join(f"<li>{esc(f)}</li>" for f in flags) + "</ul>")
    lim = inputs.limit
    if lim is not None:
        parts.append("<h3>CLs upper limit</h3>" + how(
            f"95 % CL upper limit on the injected signal ({esc(_injected(inputs))}), "
            "profiling the background function fitted to the spectrum after the cut; "
            "μ scales the signal's template, signal events are μ times its expected yield "
            "after the cut at the hunt's luminosity, and the cross-section is μ times the "
            "signal's cross-section.") + html_table(
            ["", "observed", "expected (median)", "expected −2σ … +2σ"], _limit_rows(lim)))
    else:
        parts.append(empty("No CLs limit was computed in this run."))
    br = getattr(inputs, "brazil", None)
    if br is not None:
        from sciood.stats import brazil_figure

        parts.append("<h3>Limits versus mass</h3>" + how(
            f"95 % CL upper limits on the {br.quantity} of a Gaussian resonance "
            f"(σ/m = {br.rel_width:g}) versus its mass, at {br.luminosity:.3g} fb⁻¹: observed "
            "(line), expected median (dashed) with ±1σ (green) and ±2σ (yellow) bands. Each "
            "limit profiles the background function fitted to the spectrum (the data used "
            "once); the run directory holds the HEPData record and one pyhf workspace per mass."))
        parts.append(fig(brazil_figure(br), "limits versus mass",
                         "Observed and expected CLs limits; bands from the background-only "
                         "hypothesis."))
    return "".join(parts)
