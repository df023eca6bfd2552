"""Detector nuisances in the pyhf model: ensemble spread and JES response, on real events."""

from __future__ import annotations

import math

import numpy as np
import pyhf
import pytest
from scipy import optimize
from scipy import stats as sps

from sciood.detectors import make
from sciood.errors import DataError, StatisticsError
from sciood.stats import fit_spectrum, log_bins, signal_template
from sciood.stats.background import dijet_function
from sciood.stats.detector_nuisances import cut_efficiencies, jes_response, spread_modifiers
from sciood.stats.pyhf_limits import limit_from_workspace
from sciood.stats.workspace import build_workspace, fit_workspace, signal_window

pyhf.set_backend("numpy")

FEATURES = ["mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2"]
EDGES = np.array([2000.0, 3000.0, 3300.0, 3600.0, 3900.0, 5000.0])


@pytest.fixture(scope="module")
def real(make_sample):
    """A 3-member GMM ensemble, its cut and the real samples it is applied to."""
    train, qcd = make_sample("qcd", 400, 21), make_sample("qcd", 300, 11)
    sig = {v: make_sample("wprime_wz_80", 150, 12, variant=v)
           for v in ("sim", "sim_jes_up", "sim_jes_down")}
    ens = make("ensemble", base="gmm", n=3, seed=0)
    ens.fit(train.to_numpy(FEATURES))
    tr = ens.member_scores(train.to_numpy(FEATURES))
    thr = np.quantile(tr, 0.7, axis=1)  # each member keeps 30 % of the training QCD
    scores = {k: ens.member_scores(e.to_numpy(FEATURES)) for k, e in sig.items()}
    scores["qcd"] = ens.member_scores(qcd.to_numpy(FEATURES))
    return {"qcd": qcd, "sig": sig, "scores": scores, "thr": thr,
            "mean_thr": float(np.quantile(tr.mean(0), 0.7))}


def _templates(real):
    keep = real["scores"]["qcd"].mean(0) >= real["mean_thr"]
    qcd = real["qcd"]
    bkg, _ = np.histogram(qcd.column("mjj")[keep], EDGES)
    resp = jes_response(
        *((real["sig"][v].column("mjj"), real["scores"][v].mean(0), None)
          for v in ("sim", "sim_jes_up", "sim_jes_down")),
        threshold=real["mean_thr"], edges=EDGES, scale=0.2)
    return resp, np.clip(bkg.astype(float), 0.5, None)


def _expected(spec):
    return limit_from_workspace(spec, method="asymptotic").expected


def test_ensemble_spread_widens_the_limit_and_zero_spread_changes_nothing(real) -> None:
    eff_s = cut_efficiencies(real["scores"]["sim"], real["thr"])
    eff_b = cut_efficiencies(real["scores"]["qcd"], real["thr"],
                             sample_weight=real["qcd"].weights)
    assert eff_s.shape == eff_b.shape == (3,)
    assert np.all((eff_s > 0.3) & (eff_s <= 1.0)) and eff_s.std() > 0.0  # members differ
    resp, bkg = _templates(real)
    mods = spread_modifiers(eff_s, eff_b)
    assert [(s, m["name"]) for s, m in mods] == [
        ("signal", "detector_spread"), ("background", "detector_spread"),
        ("background", "detector_spread_background")]
    rel = eff_s.std(ddof=1) / eff_s.mean()
    assert mods[0][1]["data"] == pytest.approx({"hi": 1 + rel, "lo": 1 - rel})
    base = _expected(build_workspace(resp.nominal, bkg))
    zero = _expected(build_workspace(resp.nominal, bkg,
                                     extra_modifiers=spread_modifiers(eff_s, eff_b, n_sigma=0)))
    limits = [_expected(build_workspace(resp.nominal, bkg, extra_modifiers=spread_modifiers(
        eff_s, n_sigma=r / rel))) for r in (0.1, 0.5)]  # 10 % and 50 % relative spread
    assert zero == pytest.approx(base, rel=1e-4)
    assert base * 1.001 < limits[0] < limits[1]


def test_jes_response_shares_the_jes_parameter_and_widens_the_limit(real) -> None:
    resp, bkg = _templates(real)
    centres = 0.5 * (EDGES[1:] + EDGES[:-1])
    mean = {k: float((h * centres).sum() / h.sum()) for k, h in
            (("nom", resp.nominal), ("up", resp.up), ("down", resp.down))}
    assert mean["down"] < mean["nom"] < mean["up"]  # mjj moves with the JES
    assert np.all((resp.efficiency > 0) & (resp.efficiency <= 1))
    bkg_jes = [("background", {"name": "jes", "type": "normsys",
                               "data": {"hi": 1.05, "lo": 0.95}})]
    spec = build_workspace(resp.nominal, bkg, extra_modifiers=resp.modifiers() + bkg_jes)
    model = pyhf.Workspace(spec).model()
    assert model.config.parameters.count("jes") == 1  # one parameter, both samples
    assert _expected(spec) > _expected(build_workspace(resp.nominal, bkg))
    up, down = resp.yield_ratio
    assert resp.modifiers("normsys")[0][1]["data"] == {"hi": up, "lo": down}
    with pytest.raises(DataError, match="already has a histosys named 'jes'"):
        build_workspace(resp.nominal, bkg, jes_up=(resp.up, bkg), jes_down=(resp.down, bkg),
                        extra_modifiers=resp.modifiers())


def _hand_cls(mu: float, n: float, s: float, b: float, hi: float, lo: float) -> float:
    """CLs of q̃_μ on one bin with a signal normsys (pyhf code 1), profiled by hand."""

    def kappa(t: float) -> float:
        return hi**t if t >= 0 else lo ** (-t)

    def nll(m: float, t: float, obs: float) -> float:
        lam = m * s * kappa(t) + b
        return lam - obs * math.log(lam) + 0.5 * t * t

    def qtilde(obs: float) -> float:
        free = optimize.minimize(lambda p: nll(p[0], p[1], obs), [0.5, 0.0],
                                 bounds=[(0.0, 10.0), (-5.0, 5.0)], method="L-BFGS-B",
                                 options={"ftol": 1e-14, "gtol": 1e-10})
        if free.x[0] > mu:
            return 0.0
        cond = optimize.minimize_scalar(lambda t: nll(mu, t, obs), bounds=(-5, 5),
                                        method="bounded", options={"xatol": 1e-10})
        return max(2.0 * (cond.fun - free.fun), 0.0)

    q, qa = qtilde(n), qtilde(b)  # Asimov: background only, theta = 0
    t = math.sqrt(q) if q <= qa else (q - qa) / (2.0 * math.sqrt(qa))
    return float(sps.norm.sf(t) / sps.norm.sf(t - math.sqrt(qa)))


@pytest.mark.parametrize("rel", [0.0, 0.3])
def test_pyhf_normsys_matches_a_hand_profiled_likelihood(rel: float) -> None:
    s, b, n, mu = 10.0, 50.0, 55.0, 2.0
    spec = build_workspace([s], [b], [n], extra_modifiers=[
        ("signal", {"name": "eff", "type": "normsys", "data": {"hi": 1 + rel, "lo": 1 - rel}})])
    model = pyhf.Workspace(spec).model()
    data = [n, *model.config.auxdata]
    cls = float(pyhf.infer.hypotest(mu, data, model, test_stat="qtilde"))
    assert cls == pytest.approx(_hand_cls(mu, n, s, b, 1 + rel, 1 - rel), rel=2e-3)


def test_fit_workspace_restricts_the_modifiers_to_the_signal_region() -> None:
    edges = log_bins(2600.0, 5000.0)
    centres = np.sqrt(edges[:-1] * edges[1:])
    dens = dijet_function(centres, [0.0, 10.0, 5.0, 0.0]) * np.diff(edges)
    n = np.random.default_rng(3).poisson(dens * 2e4 / dens.sum()).astype(float)
    fit = fit_spectrum(edges, n, n.copy())
    s = 30.0 * signal_template(edges, 3500.0, 175.0)
    mods = [("signal", {"name": "jes", "type": "histosys",
                        "data": {"hi_data": (1.1 * s).tolist(), "lo_data": (0.9 * s).tolist()}})]
    spec = fit_workspace(s, fit, extra_modifiers=mods)
    win = signal_window(s)
    sig_mods = spec["channels"][0]["samples"][0]["modifiers"]
    assert sig_mods[-1]["data"]["hi_data"] == pytest.approx((1.1 * s[win]).tolist())
    assert _expected(spec) > _expected(fit_workspace(s, fit))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: cut_efficiencies([0.1, 0.2], 0.0), DataError, "n_members, n_events"),
        (lambda: cut_efficiencies([[0.1, 0.2]], [0.0, 1.0]), DataError, "thresholds has shape"),
        (lambda: cut_efficiencies([[0.1, np.nan]], 0.0), DataError, "NaN"),
        (lambda: spread_modifiers([0.2, -0.1]), DataError, r"\[0, 1\]"),
        (lambda: spread_modifiers([0.2]), DataError, "at least 2"),
        (lambda: spread_modifiers([0.0, 0.0]), StatisticsError, "nominal efficiency is 0"),
        (lambda: spread_modifiers([0.01, 0.5]), StatisticsError, ">= 1 cannot be a normsys"),
        (lambda: spread_modifiers([0.2, 0.3], [0.1, 0.1, 0.1]), DataError, "same members"),
        (lambda: jes_response(([3000.0], [0.1], None), ([3000.0], [0.1], None),
                              ([3000.0], [0.1], None), threshold=0.5, edges=EDGES),
         StatisticsError, "zero nominal efficiency"),
        (lambda: jes_response(([3000.0, 1.0], [0.9], None), ([3000.0], [0.9], None),
                              ([3000.0], [0.9], None), threshold=0.5, edges=EDGES),
         DataError, "2 observable values but 1 scores"),
        (lambda: build_workspace([1.0], [10.0], extra_modifiers=[("sig", {})]),
         DataError, "names sample 'sig'"),
        (lambda: build_workspace([1.0], [10.0], extra_modifiers=[
            ("signal", {"name": "x", "type": "lumi", "data": None})]), DataError, "has type"),
        (lambda: build_workspace([1.0], [10.0], extra_modifiers=[
            ("signal", {"name": "x", "type": "normsys", "data": {"hi": 1.1, "lo": 0.0}})]),
         DataError, "must be finite and > 0"),
        (lambda: build_workspace([1.0, 2.0], [10.0, 9.0], extra_modifiers=[
            ("background", {"name": "x", "type": "histosys",
                            "data": {"hi_data": [1.0], "lo_data": [1.0]}})]),
         DataError, "has 1 bins but the background has 2"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_correlated_background_spread_reproduces_the_member_covariance() -> None:
    es = np.array([0.30, 0.36, 0.27, 0.33, 0.24])
    eb = np.array([0.101, 0.104, 0.097, 0.099, 0.099])
    mods = spread_modifiers(es, eb)
    shared, own = mods[1][1]["data"]["hi"] - 1.0, mods[2][1]["data"]["hi"] - 1.0
    assert shared > 0.0  # a looser member passes more of both
    rel_b = eb.std(ddof=1) / eb.mean()
    assert shared**2 + own**2 == pytest.approx(rel_b**2)
    assert shared == pytest.approx(np.corrcoef(es, eb)[0, 1] * rel_b)
