"""Calibration of the bump hunt on toy dijet spectra (issue 14 "must show").

Background: 10⁵ events of the 4-parameter dijet function (p = (·, 10, 5, 0), a dijet3
truth) in 2.6–5 TeV; signal: a Gaussian of 5 % width (the resolution the scan assumes).
Every number is over independent toy spectra (``--toys``) with binomial / standard errors.

Suites (``--suite``):

* ``bias`` — two masses × two strengths (Asimov Z ≈ 3 and 5): window bias
  ``(n − b_fit − s_in)`` in units of σ_b, fitted-yield pull ``(ŝ − s)/σ_ŝ``,
  ``P(Z_local ≥ Asimov)`` (at the true hypothesis and for the maximum), the fraction of
  toys whose best window contains the true mass, the fitted mass, for the default
  ``signal-fit`` (function by F-test), ``signal-fit`` with dijet4, and the old
  ``masked-window`` scan side by side.
* ``null`` — background-only: ``P(p_local ≤ α)`` pooled over windows, and
  ``P(p_global ≤ α)`` with the hunt's own adaptive toys per spectrum.
* ``spurious`` — spurious signal: the S+B fit on a 10⁷-event background-only template
  from a 5-parameter truth, ``max |ŝ| / σ_ŝ`` at the data's 10⁵ events, per function.
* ``sculpting`` — the guard with references 1×, 5× and 0.2× the data: fake bumps of
  Z = 3 and 5 (at the data's statistics), smooth sculpting (efficiency ∝ m) and none.

Run:  .venv/bin/python benchmarks/stats_calibration.py --suite all --toys 200
"""

from __future__ import annotations

import argparse
import itertools
import math
import platform
import time
from collections.abc import Callable

import numpy as np

from sciood.stats import bump_hunt, dijet_function, fit_spectrum, log_bins, signal_template

RANGE = (2600.0, 5000.0)
TRUTH = (0.0, 10.0, 5.0, 0.0)
N_BKG = 100_000
REL = 0.05


def sampler(params: tuple[float, ...] = TRUTH) -> Callable[[int, np.random.Generator], np.ndarray]:
    grid = np.linspace(*RANGE, 200_001)
    d = dijet_function(grid, params)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]))])
    cdf /= cdf[-1]
    return lambda n, rng: np.interp(rng.random(n), cdf, grid)


SAMPLE = sampler()


def binom(k: int, n: int) -> str:
    p = k / n if n else float("nan")
    return f"{p:.3f} ± {math.sqrt(max(p * (1 - p), 1e-12) / n):.3f}" if n else "-"


def mean_err(x: list[float]) -> str:
    a = np.asarray([v for v in x if np.isfinite(v)])
    if a.size < 2:
        return "-"
    return f"{a.mean():+.3f} ± {a.std(ddof=1) / math.sqrt(a.size):.3f}"


def _half68(x: np.ndarray) -> str:
    """Half-width of the central 68 % (robust to the few toys whose best window is a
    background fluctuation elsewhere)."""
    if x.size < 10:
        return "-"
    q16, q84 = np.percentile(x, [16, 84])
    return f"{0.5 * (q84 - q16):.2f}"


def spectrum(rng: np.random.Generator, mass: float, n_sig: int) -> tuple[np.ndarray, np.ndarray]:
    bkg = SAMPLE(N_BKG, rng)
    sig = rng.normal(mass, REL * mass, n_sig)
    return np.r_[bkg, sig], np.r_[np.zeros(bkg.size, bool), np.ones(n_sig, bool)]


def calibrate(mass: float, z_target: float) -> int:
    """Signal count whose Asimov local Z is ≈ z_target (two secant steps on one sample)."""
    rng = np.random.default_rng(12345)
    n = 400
    for _ in range(3):
        obs, truth = spectrum(rng, mass, n)
        z = bump_hunt(obs, is_signal=truth, mjj_range=RANGE, n_toys=0).local_z_expected or 0.1
        n = max(20, round(n * z_target / z))
    return n


def suite_bias(n_toys: int) -> None:
    print("\n## Signal bias and coverage of the fitted signal "
          f"({n_toys} toys per row, 10⁵ background, Gaussian σ/m = 5 %)\n")
    cols = ["mass", "n_sig", "method", "Z_Asimov", "bias (n−b−s_in)/σ_b", "yield pull mean",
            "yield pull sd", "P(Z_true ≥ Asimov)", "P(Z_max ≥ Asimov)", "window ∋ m",
            "m̂ − m [GeV]", "m̂ pull 68 % half-width", "t/toy [s]"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    configs = [("signal-fit", "auto"), ("signal-fit", "dijet4"), ("masked-window", "dijet4")]
    for mass in (3300.0, 4000.0):
        for z_target in (3.0, 5.0):
            n_sig = calibrate(mass, z_target)
            for method, model in configs:
                rows: dict[str, list[float]] = {k: [] for k in
                                                ("bias", "pull", "za", "zt", "zm", "in", "dm",
                                                 "mp")}
                t0 = time.perf_counter()
                for t in range(n_toys):
                    rng = np.random.default_rng([7, int(mass), n_sig, t])
                    obs, truth = spectrum(rng, mass, n_sig)
                    r = bump_hunt(obs, is_signal=truth, mjj_range=RANGE, n_toys=0,
                                  method=method, model=model)
                    assert r.masses is not None and r.z_local_expected is not None
                    i = int(np.argmin(np.abs(np.log(r.masses / mass))))
                    lo, hi = r.windows[i]
                    s_in = float(np.sum(truth & (obs >= lo) & (obs < hi)))
                    rows["bias"].append((r.n_observed[i] - r.b_expected[i] - s_in)
                                        / r.sigma_b[i])
                    if r.signal_fitted is not None and r.signal_error is not None:
                        rows["pull"].append((r.signal_fitted[i] - n_sig) / r.signal_error[i])
                    za = float(r.z_local_expected[i])
                    rows["za"].append(za)
                    rows["zt"].append(float(r.z_local_observed[i] >= za))
                    rows["zm"].append(float(r.local_z_observed >= (r.local_z_expected or 0)))
                    rows["in"].append(float(r.best_window[0] <= mass < r.best_window[1]))
                    if r.best_mass is not None:
                        rows["dm"].append(r.best_mass - mass)
                        if r.best_mass_error:
                            rows["mp"].append((r.best_mass - mass) / r.best_mass_error)
                dt = (time.perf_counter() - t0) / n_toys
                pulls = np.asarray(rows["pull"])
                mp = np.asarray(rows["mp"])
                vals = [f"{mass:.0f}", str(n_sig), f"{method} ({model})",
                        f"{np.median(rows['za']):.2f}", mean_err(rows["bias"]),
                        mean_err(rows["pull"]) if pulls.size else "-",
                        f"{pulls.std(ddof=1):.2f}" if pulls.size > 1 else "-",
                        binom(int(sum(rows["zt"])), n_toys), binom(int(sum(rows["zm"])), n_toys),
                        binom(int(sum(rows["in"])), n_toys),
                        mean_err(rows["dm"]).replace("±", "±") if rows["dm"] else "-",
                        _half68(mp), f"{dt:.2f}"]
                print("| " + " | ".join(vals) + " |", flush=True)


def suite_null(n_spectra: int, max_toys: int) -> None:
    print(f"\n## Background-only calibration ({n_spectra} spectra; global p from the hunt's "
          f"own adaptive toys, budget {max_toys})\n")
    p_loc: list[float] = []
    p_glob: list[float] = []
    n_toys_run: list[int] = []
    methods: dict[str, int] = {}
    t0 = time.perf_counter()
    for t in range(n_spectra):
        rng = np.random.default_rng([11, t])
        obs = SAMPLE(N_BKG, rng)
        r = bump_hunt(obs, mjj_range=RANGE, n_toys=max_toys, seed=t)
        p_loc.extend(r.p_local_observed[np.isfinite(r.p_local_observed)].tolist())
        assert r.global_p_observed is not None
        p_glob.append(r.global_p_observed)
        n_toys_run.append(r.n_toys)
        methods[r.global_method] = methods.get(r.global_method, 0) + 1
    dt = time.perf_counter() - t0
    pl, pg = np.asarray(p_loc), np.asarray(p_glob)
    print("| α | P(p_local ≤ α) (pooled windows) | P(p_global ≤ α) |")
    print("|---|---|---|")
    for a in (0.05, 0.01):
        print(f"| {a} | {binom(int(np.sum(pl <= a)), pl.size)} | "
              f"{binom(int(np.sum(pg <= a)), pg.size)} |")
    print(f"\ntoys per spectrum: median {np.median(n_toys_run):.0f}, max {max(n_toys_run)}; "
          f"global methods {methods}; {dt / n_spectra:.1f} s per spectrum")


def suite_spurious() -> None:
    print("\n## Spurious signal (S+B fit on the 10⁷-event expectation of a 5-parameter "
          "truth, no fluctuation; max over 19 hypotheses of |ŝ|/σ_ŝ at 10⁷ events and at "
          "10⁵; χ² and the F-test choice from one Poisson sample of 10⁷)\n")
    edges = log_bins(*RANGE)
    fine = [np.linspace(a, b, 101) for a, b in itertools.pairwise(edges)]
    n_template = 10_000_000
    scale = math.sqrt(n_template / N_BKG)
    print("| truth (p3, p4) | function | χ²/ndf (B-only) | χ² p | max |ŝ|/σ (10⁷) | "
          "max |ŝ|/σ (10⁵) |")
    print("|---|---|---|---|---|---|")
    from sciood.stats import select_function

    for p3, p4 in ((0.6, 0.25), (1.5, 0.6), (3.0, 1.2)):
        truth5 = (0.0, 10.0, 5.0, p3, p4)
        dens = np.array([np.trapezoid(dijet_function(f, truth5), f) for f in fine])
        rng = np.random.default_rng(5)
        expected = n_template * dens / dens.sum()
        sample = rng.poisson(expected).astype(float)
        choice = select_function(edges, sample, sample)  # the choice sees fluctuations
        picks = [select_function(edges, c, c).model for c in
                 (rng.poisson(expected).astype(float) for _ in range(20))]
        print(f"| ({p3}, {p4}) | F-test choice over 20 samples | "
              + ", ".join(f"{m}: {picks.count(m)}" for m in ("dijet3", "dijet4", "dijet5"))
              + " | | | |")
        template = expected  # the spurious signal is the function's bias: no fluctuation
        for model in ("dijet3", "dijet4", "dijet5"):
            b = fit_spectrum(edges, sample, sample, model=model)
            worst = 0.0
            for i in range(2, edges.size - 6):
                m = math.sqrt(edges[i] * edges[i + 4])
                f = fit_spectrum(edges, template, template, model=model,
                                 template=signal_template(edges, m, REL * m))
                if f.converged and f.signal is not None:
                    worst = max(worst, abs(f.signal) / f.signal_error)
            mark = " (F-test choice)" if model == choice.model else ""
            print(f"| ({p3}, {p4}) | {model}{mark} | {b.chi2_ndf:.2f} | {b.p_value:.2g} | "
                  f"{worst:.2f} | {worst / scale:.3f} |", flush=True)


def suite_sculpting(n_trials: int) -> None:
    print(f"\n## Sculpting guard ({n_trials} trials per row; data = 10⁴ background events "
          "after the cut; Bonferroni null, no toys)\n")
    n_data = 10_000
    # fake-bump size (events at the data's statistics) for Asimov Z = 3 and 5
    edges = log_bins(*RANGE)
    print("| reference / data | sculpting | P(flag: sculpted) | P(inconclusive) | "
          "median fake Z (data units) |")
    print("|---|---|---|---|---|")
    kinds = {"none": 0.0, "smooth (ε ∝ m)": -1.0, "bump Z=3": 3.0, "bump Z=5": 5.0}
    n_fake = {z: _fake_events(z, n_data, edges) for z in (3.0, 5.0)}
    for ref_factor in (1.0, 5.0, 0.2):
        for label, kind in kinds.items():
            sculpted = inconclusive = 0
            zs = []
            for t in range(n_trials):
                rng = np.random.default_rng([13, int(ref_factor * 10), int(kind * 10) + 20, t])
                data = _sculpted(rng, n_data, kind, n_fake)
                ref = _sculpted(rng, round(n_data * ref_factor), kind,
                                {z: n * ref_factor for z, n in n_fake.items()})
                r = bump_hunt(data, np.ones(data.size), cut_threshold=0.5, mjj_range=RANGE,
                              n_toys=0, background_reference=(ref, np.ones(ref.size), None))
                sculpted += bool(r.sculpting_flag)
                inconclusive += bool(r.sculpting and not r.sculpting["conclusive"])
                zs.append(r.fake_bump_z or 0.0)
            print(f"| {ref_factor:g}× | {label} | {binom(sculpted, n_trials)} | "
                  f"{binom(inconclusive, n_trials)} | {np.median(zs):.2f} |", flush=True)


def _fake_events(z: float, n_data: int, edges: np.ndarray) -> float:
    """Gaussian bump at 3.5 TeV whose Asimov Z at n_data background events is z."""
    b = SAMPLE(2_000_000, np.random.default_rng(3))
    hb, _ = np.histogram(b, edges)
    hb = hb * (n_data / b.size)
    tmpl = signal_template(edges, 3500.0, REL * 3500.0)
    n = 100.0
    for _ in range(4):
        data = hb + n * tmpl
        f0 = fit_spectrum(edges, data, data, model="dijet4")
        f1 = fit_spectrum(edges, data, data, model="dijet4", template=tmpl, start=f0.values)
        zz = math.sqrt(max(2 * (f0.nll - f1.nll), 1e-9))
        n *= z / zz
    return n


def _sculpted(rng: np.random.Generator, n: int, kind: float,
              n_fake: dict[float, float]) -> np.ndarray:
    bkg = SAMPLE(n, rng)
    if kind < 0:  # smooth sculpting: keep events with probability ∝ m
        bkg = SAMPLE(3 * n, rng)
        keep = rng.random(bkg.size) < bkg / RANGE[1]
        bkg = bkg[keep][:n]
    elif kind > 0:
        bump = rng.normal(3500.0, REL * 3500.0, rng.poisson(n_fake[kind]))
        bkg = np.r_[bkg, bump]
    return bkg


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--suite", choices=["bias", "null", "spurious", "sculpting", "all"],
                    default="all")
    ap.add_argument("--toys", type=int, default=200, help="toy spectra per setting")
    ap.add_argument("--null-spectra", type=int, default=200)
    ap.add_argument("--max-toys", type=int, default=500, help="hunt toy budget (null suite)")
    args = ap.parse_args()
    print(f"# sciood.stats calibration — {platform.processor() or platform.machine()}")
    if args.suite in ("spurious", "all"):
        suite_spurious()
    if args.suite in ("bias", "all"):
        suite_bias(args.toys)
    if args.suite in ("sculpting", "all"):
        suite_sculpting(args.toys)
    if args.suite in ("null", "all"):
        suite_null(args.null_spectra, args.max_toys)


if __name__ == "__main__":
    main()
