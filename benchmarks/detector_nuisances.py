"""The hunt's 95 % CL limit without and with the detector's nuisance parameters.

Real Pythia samples (``data/nuisances/``, made by the commands below): QCD for training
(seed 21) and for the hunt (seed 11, nominal and JES ±1σ), W' → WZ (80 GeV W-like boson,
nominal and JES ±1σ).  A 5-member ensemble of Gaussian mixtures (``gmm``, seeds differ) on
the expert features is trained on the training QCD; the cut keeps ε_B = 10 % of the hunt's
QCD.  Then:

* the hunt (``bump_hunt`` on the hunt QCD after the cut; no signal injected);
* **template model** (``build_workspace``: background = the QCD MC after the cut, expected
  limit, Asimov data) and **sideband model** (``fit_workspace``: background from the hunt's
  dijet fit of the other bins, observed and expected limits);
* nuisances: none; the ensemble spread of the cut efficiency (``spread_modifiers``: each
  member cut at ε_B = 10 % on the training QCD, efficiencies on the hunt samples); the
  detector's response to JES ±1σ (``jes_response``: the same threshold on the JES-shifted
  samples, ``histosys`` named ``jes``); both.  In the sideband model the background is
  data-driven, so only the signal modifiers enter.

The limit is on ``mu``, the W' yield in units of ``N_REF`` selected W' events (before the
detector cut); the table also gives ``mu × N_REF``.

Generate the data (≈ 2 min on one core)::

    for v in sim sim_jes_up sim_jes_down; do
      sciood generate wprime_wz_80 -n 1500 --seed 12 --variant $v --no-mpi \\
          --no-constituents -o data/nuisances/wprime_$v -q
      sciood generate qcd -n 4000 --seed 11 --variant $v --no-mpi --no-constituents \\
          -o data/nuisances/qcd_$v -q
    done
    sciood generate qcd -n 3000 --seed 21 --variant sim --no-mpi --no-constituents \\
        -o data/nuisances/qcd_train -q

Run: ``python benchmarks/detector_nuisances.py [--data data/nuisances]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from sciood import EventSet
from sciood.detectors import make
from sciood.stats import bump_hunt, cut_threshold_for_efficiency, limit_from_workspace
from sciood.stats.detector_nuisances import cut_efficiencies, jes_response, spread_modifiers
from sciood.stats.workspace import build_workspace, fit_workspace

FEATURES = ["mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2"]
VARIANTS = ("sim", "sim_jes_up", "sim_jes_down")
CUT_EFF_B = 0.10
N_REF = 100.0  # mu = 1 <-> 100 selected W' events before the detector cut
TEMPLATE_EDGES = np.geomspace(2800.0, 4400.0, 9)  # 8 bins, every one with QCD after the cut


def _load(root: Path) -> dict[str, EventSet]:
    sets = {"train": EventSet.read(root / "qcd_train")}
    for v in VARIANTS:
        sets[f"qcd_{v}"] = EventSet.read(root / f"qcd_{v}")
        sets[f"sig_{v}"] = EventSet.read(root / f"wprime_{v}")
    return sets


def _limit(spec: dict[str, Any], n_toys: int = 0) -> tuple[Any, float]:
    t0 = time.perf_counter()
    if n_toys:
        res = limit_from_workspace(spec, method="toys", n_toys=n_toys, seed=1)
    else:
        res = limit_from_workspace(spec, method="asymptotic")
    return res, time.perf_counter() - t0


def main(root: Path, n_toys: int = 0) -> None:
    t_start = time.perf_counter()
    ev = _load(root)
    ens = make("ensemble", base="gmm", n=5, seed=0)
    ens.fit(ev["train"].to_numpy(FEATURES), sample_weight=ev["train"].weights)
    members = {k: ens.member_scores(e.to_numpy(FEATURES)) for k, e in ev.items()}
    mean = {k: m.mean(axis=0) for k, m in members.items()}

    qcd = ev["qcd_sim"]
    lumi = len(qcd) / float(qcd.weights.sum())  # mean QCD weight 1: MC events = expected
    hunt = bump_hunt(qcd.column("mjj"), mean["qcd_sim"], sample_weight=qcd.weights * lumi,
                     cut_eff_b=CUT_EFF_B, mjj_range=(2800.0, 6000.0), n_toys=0, seed=1)
    if hunt.cut_threshold is None:
        raise SystemExit("the hunt applied no cut")
    thr = float(hunt.cut_threshold)
    fit = hunt.background_fit
    sig_scale = N_REF / float(ev["sig_sim"].weights.sum())

    # (a) ensemble spread: every member cut at the same eps_B, fixed on the training QCD
    tw = ev["train"].weights
    member_thr = np.array([cut_threshold_for_efficiency(s, CUT_EFF_B, sample_weight=tw)
                           for s in members["train"]])
    eff_s = cut_efficiencies(members["sig_sim"], member_thr,
                             sample_weight=ev["sig_sim"].weights)
    eff_b = cut_efficiencies(members["qcd_sim"], member_thr, sample_weight=qcd.weights)
    spread = spread_modifiers(eff_s, eff_b)

    # (b) the same cut on JES-shifted events
    def triple(kind: str, v: str) -> tuple[Any, Any, Any]:
        e = ev[f"{kind}_{v}"]
        return e.column("mjj"), mean[f"{kind}_{v}"], e.weights

    def response(kind: str, edges: Any, scale: float, sample: str) -> Any:
        return jes_response(*(triple(kind, v) for v in VARIANTS), threshold=thr, edges=edges,
                            scale=scale, sample=sample)  # type: ignore[arg-type]

    sig_t, bkg_t = (response("sig", TEMPLATE_EDGES, sig_scale, "signal"),
                    response("qcd", TEMPLATE_EDGES, lumi, "background"))
    sig_f = response("sig", fit.edges, sig_scale, "signal")
    w2 = ev["qcd_sim"].weights * lumi
    keep = mean["qcd_sim"] >= thr
    bkg_sumw2, _ = np.histogram(qcd.column("mjj")[keep], TEMPLATE_EDGES, weights=w2[keep] ** 2)

    print(f"samples: train QCD {len(ev['train'])}, hunt QCD {len(qcd)}, W' {len(ev['sig_sim'])}"
          f" (+ JES ±1σ: QCD {len(ev['qcd_sim_jes_up'])}/{len(ev['qcd_sim_jes_down'])}, W' "
          f"{len(ev['sig_sim_jes_up'])}/{len(ev['sig_sim_jes_down'])})")
    print(f"cut: ensemble mean >= {thr:.4f} (eps_B = {hunt.cut_eff_b:.3f}); hunt: best mass "
          f"{hunt.best_mass:.0f} GeV, local Z {hunt.local_z_observed:.2f}, model {hunt.model}")
    print("member eps_S:", np.round(eff_s, 4).tolist(), f"-> {eff_s.std(ddof=1) / eff_s.mean():.3f}"
          " relative")
    print("member eps_B:", np.round(eff_b, 4).tolist(), f"-> {eff_b.std(ddof=1) / eff_b.mean():.3f}"
          " relative")
    for label, r in (("signal", sig_t), ("background", bkg_t)):
        up, down = r.yield_ratio
        print(f"JES {label}: cut efficiency nominal/up/down {np.round(r.efficiency, 4).tolist()}"
              f"; yield in {TEMPLATE_EDGES[0]:.0f}-{TEMPLATE_EDGES[-1]:.0f} GeV up/down "
              f"{up:.3f}/{down:.3f}")
    for s_, m in spread:
        print(f"spread modifier on {s_}: {m['name']} {m['data']}")

    configs = {
        "none": ([], []),
        "ensemble spread, n_sigma = 0 (check)": (spread_modifiers(eff_s, eff_b, n_sigma=0.0),
                                                 spread_modifiers(eff_s, n_sigma=0.0)),
        "ensemble spread": (spread, spread[:1]),
        "JES response": (sig_t.modifiers() + bkg_t.modifiers(), sig_f.modifiers()),
        "both": (spread + sig_t.modifiers() + bkg_t.modifiers(), spread[:1] + sig_f.modifiers()),
    }
    rows = []
    for name, (tmods, fmods) in configs.items():
        t_spec = build_workspace(sig_t.nominal, bkg_t.nominal, background_sumw2=bkg_sumw2,
                                 extra_modifiers=tmods)
        f_spec = fit_workspace(sig_f.nominal, fit, extra_modifiers=fmods)
        t_res, t_sec = _limit(t_spec)
        f_res, f_sec = _limit(f_spec)
        rows.append((name, t_res, f_res, t_sec + f_sec))

    base_t, base_f = rows[0][1], rows[0][2]
    print(f"\nluminosity {lumi:.1f} fb^-1; mu = 1 is {N_REF:.0f} selected W' events "
          f"(sigma x BR x A = {N_REF / lumi:.3g} fb); background under the signal: "
          f"template {base_t.background_in_window:.1f}, sideband "
          f"{base_f.background_in_window:.1f} events; asymptotic CLs")
    print("| nuisances | template: expected μ [±1σ] | ratio | sideband: expected μ [±1σ] | "
          "ratio | sideband: observed μ | ratio | expected σ×BR×A [fb] (sideband) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t, f, _sec in rows:
        b, c = t.expected_band, f.expected_band
        print(f"| {name} | {t.expected:.3f} [{b[1]:.3f}, {b[3]:.3f}] | "
              f"{t.expected / base_t.expected:.3f} | {f.expected:.3f} [{c[1]:.3f}, {c[3]:.3f}] | "
              f"{f.expected / base_f.expected:.3f} | {f.observed:.3f} | "
              f"{f.observed / base_f.observed:.3f} | {f.expected * N_REF / lumi:.0f} |")
    print("time per row (4 limits, asymptotic):",
          ", ".join(f"{sec:.1f} s" for *_, sec in rows))
    if n_toys:
        print(f"\ntemplate model with pyhf toys ({n_toys} per mu):")
        print("| nuisances | expected μ (toys) | observed μ (toys) | asymptotic expected |")
        print("|---|---|---|---|")
        for name in ("none", "both"):
            tmods = configs[name][0]
            spec = build_workspace(sig_t.nominal, bkg_t.nominal, background_sumw2=bkg_sumw2,
                                   extra_modifiers=tmods)
            res, sec = _limit(spec, n_toys)
            asym = next(r[1] for r in rows if r[0] == name)
            print(f"| {name} | {res.expected:.3f} | {res.observed:.3f} | {asym.expected:.3f} |"
                  f" ({sec:.0f} s)")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/nuisances"))
    ap.add_argument("--toys", type=int, default=0,
                    help="also the template model's none/both limits with N pyhf toys per mu")
    args = ap.parse_args()
    main(args.data, args.toys)
