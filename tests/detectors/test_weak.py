"""Weak supervision (cwola, idealized) on small real Pythia samples: signal found, null is null."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.detectors import load, make
from sciood.detectors.weak import sample_observable, sideband_masks
from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.metrics import auc, bootstrap

FEATURES = ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]
SR = [3000.0, 3800.0]  # wide enough that a few hundred inclusive QCD events populate SR and SB
PARAMS = {"signal_region": SR, "sideband_width": 300.0, "features": FEATURES,
          "epochs": 40, "hidden": [32, 32]}


@pytest.fixture(scope="module")
def qcd(make_sample) -> EventSet:
    return EventSet.concat([make_sample("qcd", 300, 11), make_sample("qcd", 400, 21)])


@pytest.fixture(scope="module")
def signal(make_sample) -> EventSet:
    return make_sample("xy_qqqq", 250, 33, mpi=True)


# unit weights: the events play "data" (Pythia's cross-section weights would make the few
# signal events weightless next to QCD; the pipeline builds its pseudo-data the same way)


def _window(events: EventSet) -> EventSet:
    in_sr, in_sb = sideband_masks(events.column("mjj"), SR, PARAMS["sideband_width"])
    return events.select(np.flatnonzero(in_sr | in_sb))


def test_sideband_masks() -> None:
    obs = np.array([3050.0, 3150.0, 3300.0, 3699.0, 3700.0, 3950.0])
    in_sr, in_sb = sideband_masks(obs, [3300, 3700], 200)
    np.testing.assert_array_equal(in_sr, [0, 0, 1, 1, 0, 0])
    np.testing.assert_array_equal(in_sb, [0, 1, 0, 0, 1, 0])
    assert sideband_masks(obs, [3300, 3700], None)[1].sum() == 4
    with pytest.raises(ConfigError, match="low < high"):
        sideband_masks(obs, [3700, 3300], 200)


def test_cwola_needs_the_observable(qcd: EventSet) -> None:
    X = np.random.default_rng(0).normal(size=(50, 4))
    with pytest.raises(DataError, match="observable=mjj"):
        make("cwola", epochs=1).fit(X)
    with pytest.raises(DataError, match="fewer than 2"):
        make("cwola", epochs=1, signal_region=[9000, 9100]).fit(X, observable=np.full(50, 3.5e3))


def test_cwola_finds_a_strong_signal(qcd: EventSet, signal: EventSet) -> None:
    """~250 signal on a few hundred QCD in the window: out-of-fold AUC (signal vs QCD in the SR)
    clearly above 0.5."""
    data = _window(EventSet.concat([qcd, signal]))
    scores = make("cwola", seed=1, **PARAMS).fit_score(data, folds=3,
                                                       sample_weight=np.ones(len(data)))
    in_sr = sideband_masks(data.column("mjj"), SR, None)[0]
    value, lo, _ = bootstrap(auc, data.is_signal[in_sr], scores[in_sr], n=200, seed=2)
    assert lo > 0.6, (value, lo)


@pytest.mark.parametrize("classifier", ["hgb", "mlp"])
def test_cwola_null_without_signal(classifier: str, rnd_qcd: EventSet) -> None:
    """Background only (R&D-like QCD, SR 3.3–3.7 TeV, ± 200 GeV sidebands): the SR-vs-SB
    classifier has nothing to learn, so its out-of-fold AUC for telling SR from SB events is
    not above 0.5.

    Out-of-fold scores of a null classifier anti-learn a little: each test fold's events are
    missing from the SR/SB templates the classifier fitted, so their own region looks
    under-populated to it.  Measured on this sample, seeds 1–4: AUC 0.464–0.507 (hgb),
    0.474–0.500 (mlp), bootstrap half-width ≈ 0.017.  So the test asks for what matters to a
    search — no significant excess over 0.5 — and bounds the anti-learning at 0.45."""
    in_sr, in_sb = sideband_masks(rnd_qcd.column("mjj"), [3300, 3700], 200.0)
    data = rnd_qcd.select(np.flatnonzero(in_sr | in_sb))
    det = make("cwola", seed=1, classifier=classifier, features=FEATURES, epochs=20,
               hidden=[32, 32])
    scores = det.fit_score(data, folds=3, sample_weight=np.ones(len(data)))
    label = sideband_masks(data.column("mjj"), [3300, 3700], None)[0].astype(int)
    value, lo, hi = bootstrap(auc, label, scores, n=200, seed=2)
    assert lo < 0.5 and value > 0.45, (value, lo, hi)


def test_idealized_separates_injected_signal(qcd: EventSet, signal: EventSet) -> None:
    """Data = first QCD sample + signal (y=1) vs the independent second QCD sample (y=0)."""
    a, b = make_sample_split(qcd)
    data = EventSet.concat([a, signal])
    both = EventSet.concat([data, b])
    y = np.r_[np.ones(len(data), int), np.zeros(len(b), int)]
    det = make("idealized", seed=0, **PARAMS)
    scores = det.fit_score(both, y, folds=3, sample_weight=np.ones(len(both)))
    in_sr = sideband_masks(both.column("mjj"), SR, None)[0] & (y == 1)
    value, lo, _ = bootstrap(auc, both.is_signal[in_sr], scores[in_sr], n=200, seed=2)
    assert lo > 0.6, (value, lo)


def make_sample_split(qcd: EventSet) -> tuple[EventSet, EventSet]:
    n = len(qcd)
    return qcd.select(np.arange(n // 2)), qcd.select(np.arange(n // 2, n))


# ---- cathode / anode on the R&D-like sample (qcd_rnd, MPI off as the R&D card) --------------
RND_WINDOW = (2900.0, 4300.0)
DENSITY = {"features": FEATURES, "flow_epochs": 40, "flow_transforms": 3,
           "flow_hidden": [32, 32], "flow_batch_size": 256}


@pytest.fixture(scope="module")
def rnd_qcd(make_sample) -> EventSet:
    """3000 R&D-like QCD events; the analysed mjj window keeps ≈ 2000 (≈ 570 in the SR)."""
    return _in_window(make_sample("qcd_rnd", 3000, 41, mpi=False))


@pytest.fixture(scope="module")
def rnd_signal(make_sample) -> EventSet:
    return _in_window(make_sample("xy_qqqq", 400, 43, mpi=False))


def _in_window(events: EventSet) -> EventSet:
    mjj = events.column("mjj")
    return events.select(np.flatnonzero((mjj >= RND_WINDOW[0]) & (mjj < RND_WINDOW[1])))


def _sr(events: EventSet) -> EventSet:
    return events.select(np.flatnonzero(sideband_masks(events.column("mjj"), [3300, 3700],
                                                       None)[0]))


def _halves(events: EventSet) -> tuple[EventSet, EventSet]:
    perm = np.random.default_rng(5).permutation(len(events))
    return events.select(np.sort(perm[::2])), events.select(np.sort(perm[1::2]))


@pytest.mark.parametrize("name", ["cathode", "anode"])
def test_density_methods_find_a_strong_signal(name: str, rnd_qcd: EventSet,
                                              rnd_signal: EventSet) -> None:
    """Data = half the QCD + 150 signal (S/B ≈ 0.5 in the SR); scored on the independent SR
    half and the other signal events: AUC clearly above 0.5."""
    data_bkg, test_bkg = _halves(rnd_qcd)
    sig_in, sig_test = rnd_signal.select(np.arange(150)), rnd_signal.select(
        np.arange(150, len(rnd_signal)))
    data = EventSet.concat([data_bkg, sig_in])
    extra = {"epochs": 20, "hidden": [32, 32]} if name == "cathode" else {}
    det = make(name, seed=1, **DENSITY, **extra).fit(data, sample_weight=np.ones(len(data)))
    test = EventSet.concat([_sr(test_bkg), _sr(sig_test)])
    value, lo, _ = bootstrap(auc, test.is_signal, det.score(test), n=200, seed=2)
    assert lo > 0.6, (value, lo)


def _closure_auc(det, real_events: EventSet) -> tuple[float, float, float]:
    """AUC (with bootstrap CI) of CATHODE's score: real SR events vs fresh flow samples."""
    real = det.as_array(real_events)
    fake = det.background_sample(len(real), seed=9)
    y = np.r_[np.ones(len(real), int), np.zeros(len(fake), int)]
    return bootstrap(auc, y, det.score(np.r_[real, fake]), n=200, seed=2)


@pytest.fixture(scope="module")
def closure(rnd_qcd: EventSet, rnd_signal: EventSet) -> dict[str, tuple[float, float, float]]:
    """CATHODE's own task on independent SR events (real vs its background model), trained
    on background only ("null") and on background + 200 signal ("signal", S/B ≈ 0.5 in SR)."""
    data_bkg, test_bkg = _halves(rnd_qcd)
    sig_in, sig_test = _halves(rnd_signal)
    out = {}
    for case, data, real in (
            ("null", data_bkg, _sr(test_bkg)),
            ("signal", EventSet.concat([data_bkg, sig_in]),
             EventSet.concat([_sr(test_bkg), _sr(sig_test)]))):
        det = make("cathode", seed=1, epochs=20, hidden=[32, 32], **DENSITY)
        det.fit(data, sample_weight=np.ones(len(data)))
        out[case] = _closure_auc(det, real)
    return out


def test_cathode_null_closure(closure: dict[str, tuple[float, float, float]]) -> None:
    """No signal: the classifier barely tells independent SR background from fresh samples of
    its sideband flow — the interpolation closes up to the flow's finite-sample mismatch.

    Measured (≈ 750 SB training events, flow and classifier seeds 1–3, on two independent
    realisations of the sample): AUC 0.575–0.608 with a ±0.025 CI, so exact closure "within
    the bootstrap CI" does not hold at this size; the mismatch shrinks with the sideband
    sample (benchmarks/rnd.py).  The test bounds it at 0.65 and requires the signal case to
    lie above it (next test)."""
    value = closure["null"][0]
    assert value < 0.65 and value > 0.45, closure


def test_cathode_separates_data_from_its_background_model(
        closure: dict[str, tuple[float, float, float]]) -> None:
    """With signal in the data (S/B ≈ 0.5 in the SR) the same AUC is clearly above the null's.

    Measured, seeds 1–3: signal 0.637–0.667 against null 0.575–0.608, the same seed's pair
    differing by 0.040–0.082; the two intervals are independent (half-width ≈ 0.02 each)."""
    (sig, sig_lo, _), (null, _, _) = closure["signal"], closure["null"]
    assert sig - null > 0.02 and sig_lo > null, closure


def test_loaded_cathode_scores_but_cannot_sample(rnd_qcd: EventSet, tmp_path) -> None:
    det = make("cathode", seed=1, epochs=1, flow_epochs=1, features=FEATURES)
    det.fit(rnd_qcd, sample_weight=np.ones(len(rnd_qcd)))
    det.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    np.testing.assert_allclose(loaded.score(rnd_qcd), det.score(rnd_qcd))
    with pytest.raises(NotFittedError, match="fit again"):
        loaded.background_sample(5, seed=0)



def test_weak_detector_uncertainty_from_an_ensemble(rnd_qcd: EventSet,
                                                    rnd_signal: EventSet) -> None:
    """An ensemble of cathodes (observable passed through to every member) gives a mean score
    and a member spread that is positive and finite for SR events."""
    data = EventSet.concat([rnd_qcd, rnd_signal.select(np.arange(150))])
    det = make("ensemble", base="cathode", n=2, seed=4, features=FEATURES, flow_epochs=3,
               members=2)
    det.fit(data, sample_weight=np.ones(len(data)))
    mean, std = det.score_with_uncertainty(_sr(rnd_signal))
    assert mean.shape == std.shape == (len(_sr(rnd_signal)),)
    assert np.all(np.isfinite(std)) and std.mean() > 0


@pytest.mark.parametrize("name,params,match", [
    ("cathode", {"oversample": 0}, "oversample must be > 0"),
    ("cathode", {"classifier": "svm"}, "classifier must be 'mlp' or 'hgb'"),
    ("cwola", {"members": 0, "sideband_width": None}, "members must be >= 1"),
    ("anode", {"n_grid": 0}, "n_grid must be >= 1"),
    ("anode", {"flow_kind": "glow"}, "flow kind must be 'maf' or 'nsf'"),
])
def test_bad_settings_name_the_fix(name: str, params: dict, match: str) -> None:
    rng = np.random.default_rng(0)
    X, mjj = rng.normal(size=(400, 2)), rng.uniform(2900, 4300, 400)
    extra = {} if name == "cwola" else {"flow_epochs": 1}
    with pytest.raises(ConfigError, match=match):
        make(name, **extra, **params).fit(X, observable=mjj)


def test_density_methods_reject_missing_observable_and_nan() -> None:
    X = np.random.default_rng(0).normal(size=(100, 2))
    for name in ("cathode", "anode"):
        with pytest.raises(DataError, match="observable=mjj"):
            make(name).fit(X)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        make("anode").fit(bad, observable=np.full(100, 3500.0))
    with pytest.raises(DataError, match="only 0 training events in the sidebands"):
        make("anode").fit(X, observable=np.full(100, 3500.0))


def test_sample_observable_draws_inside_the_sr_with_keyword_only_weights() -> None:
    rng = np.random.default_rng(4)
    obs = rng.uniform(3300, 3700, 400)
    w = np.where(obs < 3500, 3.0, 0.1)  # most weight on the lower half of the SR
    draws = sample_observable(obs, 2000, [3300, 3700], 5, sample_weight=w)
    assert draws.shape == (2000,) and ((draws >= 3300) & (draws < 3700)).all()
    assert (draws < 3500).mean() > 0.8
    unweighted = sample_observable(obs, 2000, [3300, 3700], 5)
    assert 0.35 < (unweighted < 3500).mean() < 0.65
    with pytest.warns(FutureWarning, match="sample_weight"):
        old = sample_observable(obs, 2000, [3300, 3700], 5, weights=w)
    np.testing.assert_array_equal(old, draws)
    with pytest.raises(TypeError, match="positional"):
        sample_observable(obs, w, 2000, [3300, 3700], 5)  # type: ignore[call-arg]


@pytest.mark.parametrize("encoder", ["part", "lorentz"])
def test_cwola_trains_on_particle_sets_with_the_shared_encoders(encoder: str,
                                                                 small_dijet: EventSet) -> None:
    """The weak classifier head takes any set encoder (issue 17): it trains, scores every
    event finitely, saves and reloads to the same scores, and keeps its encoder."""
    mjj = small_dijet.column("mjj")
    sr = [float(np.quantile(mjj, 0.4)), float(np.quantile(mjj, 0.7))]
    det = make("cwola", seed=0, classifier="mlp", representation="sets", encoder=encoder,
               max_particles=12, epochs=1, hidden=[16], signal_region=sr,
               sideband_width=None).fit(small_dijet, sample_weight=np.ones(len(small_dijet)))
    s = det.score(small_dijet)
    assert s.shape == (len(small_dijet),) and np.isfinite(s).all() and np.ptp(s) > 0
    assert det.get_params()["encoder"] == encoder and det.get_params()["max_particles"] == 12


def test_weak_set_encoder_is_validated(small_dijet: EventSet) -> None:
    det = make("cwola", classifier="mlp", representation="sets", encoder="gnn")
    with pytest.raises(ConfigError, match="encoder"):
        det.fit(small_dijet)
