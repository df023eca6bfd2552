"""LaCATHODE on small real R&D-like samples: a Gaussian latent space, less mjj sculpting than
CATHODE, and errors that name the fix."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.distance import jensenshannon

from sciood.data.eventset import EventSet
from sciood.detectors import load, make
from sciood.detectors.lacathode import LaCathode
from sciood.detectors.weak import Cathode, sideband_masks
from sciood.errors import ConfigError, DataError

FEATURES = ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]
WINDOW = (2900.0, 4300.0)
SR = [3300.0, 3700.0]
DENSITY = {"flow_epochs": 60, "flow_transforms": 3, "flow_hidden": [32, 32],
           "flow_batch_size": 256, "members": 3}
#: mj1 and Δm shifted by SHIFT · mjj: features that depend strongly on mjj (the CATHODE
#: paper's stress test, 3× the benchmark's 0.1), where a feature-space classifier sculpts
SHIFT = 0.3


def _in_window(events: EventSet) -> EventSet:
    mjj = events.column("mjj")
    return events.select(np.flatnonzero((mjj >= WINDOW[0]) & (mjj < WINDOW[1])))


def _rows(events: EventSet, shift: float = SHIFT) -> np.ndarray:
    """lacathode's input rows ``[mj1 + s·mjj, Δm + s·mjj, τ21 j1, τ21 j2, mjj]``, ``(n, 5)``."""
    X = np.column_stack([events.column(f) for f in FEATURES])
    mjj = events.column("mjj")
    X[:, :2] += shift * mjj[:, None]
    return np.c_[X, mjj]


@pytest.fixture(scope="module")
def halves(make_sample) -> tuple[np.ndarray, np.ndarray]:
    """Training rows (half the R&D-like QCD + 150 signal, S/B ≈ 0.5 in the SR) and the
    held-out background half (≈ 990 events at every mjj of the window)."""
    qcd = _in_window(make_sample("qcd_rnd", 3000, 41, mpi=False))
    sig = _in_window(make_sample("xy_qqqq", 400, 43, mpi=False))
    perm = np.random.default_rng(5).permutation(len(qcd))
    a, b = qcd.select(np.sort(perm[::2])), qcd.select(np.sort(perm[1::2]))
    return np.r_[_rows(a), _rows(sig.select(np.arange(150)))], _rows(b)


@pytest.fixture(scope="module")
def fitted(halves: tuple[np.ndarray, np.ndarray]) -> tuple[LaCathode, Cathode]:
    torch.set_num_threads(1)
    train, _ = halves
    ones = np.ones(len(train))
    la = make("lacathode", seed=2, **DENSITY).fit(train, sample_weight=ones)
    ca = make("cathode", seed=2, **DENSITY).fit(train[:, :-1], observable=train[:, -1],
                                                sample_weight=ones)
    assert isinstance(la, LaCathode) and isinstance(ca, Cathode)
    return la, ca


def test_latent_background_is_standard_normal(fitted: tuple[LaCathode, Cathode],
                                              halves: tuple[np.ndarray, np.ndarray]) -> None:
    """Held-out sideband background in latent space: median ≈ 0 and robust width ≈ 1 in every
    coordinate (robust, because held-out events beyond the training range sit on the logit
    pre-processing's clip and land far out in z).  Cross-check of the map itself: points
    drawn from N(0, 1), pushed through the flow (and the logit pre-processing) to features at
    SR and SB masses, come back to the same z."""
    la, _ = fitted
    _, test = halves
    in_sb = sideband_masks(test[:, -1], SR, None)[1]
    z = la.latent(test[in_sb])
    assert z.shape == (int(in_sb.sum()), 4)
    q25, med, q75 = np.quantile(z, [0.25, 0.5, 0.75], axis=0)
    width = (q75 - q25) / 1.349  # = σ for a normal distribution
    assert np.all(np.abs(med) < 0.2), med
    assert np.all(np.abs(width - 1) < 0.2), width
    rng = np.random.default_rng(3)
    z0 = np.clip(rng.standard_normal((500, 4)), -2.5, 2.5)
    mjj = rng.uniform(*WINDOW, 500)
    net = la._flow._net
    with torch.no_grad():
        x = net.flow(torch.as_tensor(la._context(mjj), dtype=torch.float32)).transform.inv(
            torch.as_tensor(z0, dtype=torch.float32)).double().numpy()
    back = la.latent(np.c_[la._prep.inverse(x), mjj])
    np.testing.assert_allclose(back, z0, atol=0.02)


def _jsd(mjj: np.ndarray, keep: np.ndarray) -> float:
    """Jensen–Shannon divergence (base 2) of the mjj histogram after / before a cut."""
    bins = np.linspace(*WINDOW, 8)  # 200 GeV bins
    after = np.histogram(mjj[keep], bins)[0] / keep.sum()
    before = np.histogram(mjj, bins)[0] / len(mjj)
    return float(jensenshannon(after, before, base=2) ** 2)


def test_lacathode_sculpts_mjj_far_less_than_cathode(
        fitted: tuple[LaCathode, Cathode], halves: tuple[np.ndarray, np.ndarray]) -> None:
    """Background only (the held-out half), every mjj in 2.9–4.3 TeV, features shifted by
    0.3 · mjj; cut keeping the 20 % highest scores.  CATHODE's classifier works on the
    mjj-dependent features and its cut reshapes the mjj spectrum; LaCATHODE's works on z,
    which is (nearly) independent of mjj for background.

    Measured (seeds 1–3, 60 flow epochs on ≈ 700 SB events): JSD after/before the cut
    0.014–0.032 for lacathode, 0.106–0.119 for cathode; a random 20 % cut gives 0.004
    (median, 95 % quantile 0.009) — so at this training size lacathode's residual sculpting
    (from the flow's imperfect SR interpolation) is above the random-cut floor, but ≥ 3×
    below cathode's.  benchmarks/rnd.py measures the same at the benchmark size."""
    la, ca = fitted
    _, test = halves
    mjj = test[:, -1]
    jsd = {}
    for name, score in (("lacathode", la.score(test)), ("cathode", ca.score(test[:, :-1]))):
        jsd[name] = _jsd(mjj, score > np.quantile(score, 0.8))
    rng = np.random.default_rng(0)
    floor = np.median([_jsd(mjj, rng.random(len(mjj)) < 0.2) for _ in range(100)])
    assert jsd["lacathode"] < 0.05, jsd
    assert jsd["cathode"] > 3 * jsd["lacathode"], jsd
    assert jsd["cathode"] > 10 * floor, (jsd, floor)


def test_saved_model_keeps_the_flow(fitted: tuple[LaCathode, Cathode],
                                    halves: tuple[np.ndarray, np.ndarray], tmp_path) -> None:
    la, _ = fitted
    _, test = halves
    la.save(tmp_path / "m")
    loaded = load(tmp_path / "m")
    assert isinstance(loaded, LaCathode)
    np.testing.assert_array_equal(loaded.latent(test), la.latent(test))
    np.testing.assert_array_equal(loaded.score(test), la.score(test))


def test_mlp_classifier_round_trip(halves: tuple[np.ndarray, np.ndarray], tmp_path) -> None:
    train, test = halves
    det = make("lacathode", seed=0, classifier="mlp", epochs=2, hidden=[16], flow_epochs=2,
               flow_transforms=1, flow_hidden=[16]).fit(train)
    det.save(tmp_path / "mlp")
    s = det.score(test)
    assert s.shape == (len(test),) and np.isfinite(s).all() and s.std() > 0
    np.testing.assert_array_equal(load(tmp_path / "mlp").score(test), s)


def test_eventset_input_appends_mjj(make_sample) -> None:
    """An EventSet's rows are its features plus its first observable (mjj)."""
    events = _in_window(make_sample("qcd_rnd", 3000, 41, mpi=False))
    det = make("lacathode", features=FEATURES, flow_epochs=1, flow_transforms=1, members=1)
    rows = det.as_array(events)
    np.testing.assert_array_equal(rows[:, -1], events.column("mjj"))
    det.fit(events, sample_weight=np.ones(len(events)))
    np.testing.assert_array_equal(det.score(events), det.score(rows))
    bare = EventSet(events.table, observables=())
    with pytest.raises(DataError, match=r"no observable.*'mjj' observable"):
        det.score(bare)


def test_errors_name_the_fix(halves: tuple[np.ndarray, np.ndarray]) -> None:
    train, _ = halves
    fast = {"flow_epochs": 1, "flow_transforms": 1, "members": 1}
    with pytest.raises(DataError, match=r"only 0 training events in the signal region.*"
                                        r"widen signal_region.*last column mjj"):
        make("lacathode", signal_region=[9000, 9100], **fast).fit(train)
    few_sb = train[(train[:, -1] >= 3295) & (train[:, -1] < 3700)]
    with pytest.raises(DataError, match="training events in the sidebands; it needs"):
        make("lacathode", **fast).fit(few_sb)
    with pytest.raises(DataError, match=r"1 column.*np.c_\[X, mjj\]"):
        make("lacathode", **fast).fit(train[:, -1:])
    with pytest.raises(DataError, match="observable differs from X's last column"):
        make("lacathode", **fast).fit(train[:, :-1], observable=train[:, -1])
    with pytest.raises(ConfigError, match="oversample must be > 0"):
        make("lacathode", oversample=0, **fast).fit(train)
    with pytest.raises(ConfigError, match="representation='hlf'"):
        make("lacathode", representation="sets", **fast).fit(train)
