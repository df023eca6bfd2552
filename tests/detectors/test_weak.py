"""Weak supervision (cwola, idealized) on small real Pythia samples: signal found, null is null."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.detectors.weak import sideband_masks
from sciood.errors import ConfigError, DataError
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
    scores = make("cwola", seed=1, **PARAMS).fit_score(data, folds=3, weights=np.ones(len(data)))
    in_sr = sideband_masks(data.column("mjj"), SR, None)[0]
    value, lo, _ = bootstrap(auc, data.is_signal[in_sr], scores[in_sr], n=200, seed=2)
    assert lo > 0.6, (value, lo)


def test_cwola_null_without_signal(qcd: EventSet) -> None:
    """Background only: the SR-vs-SB classifier has nothing to learn, so its out-of-fold AUC
    for telling SR from SB events is 0.5 within the bootstrap interval."""
    data = _window(qcd)
    scores = make("cwola", seed=1, **PARAMS).fit_score(data, folds=3, weights=np.ones(len(data)))
    in_sr = sideband_masks(data.column("mjj"), SR, None)[0]
    value, lo, hi = bootstrap(auc, in_sr.astype(int), scores, n=200, seed=2)
    assert lo < 0.5 < hi, (value, lo, hi)


def test_idealized_separates_injected_signal(qcd: EventSet, signal: EventSet) -> None:
    """Data = first QCD sample + signal (y=1) vs the independent second QCD sample (y=0)."""
    a, b = make_sample_split(qcd)
    data = EventSet.concat([a, signal])
    both = EventSet.concat([data, b])
    y = np.r_[np.ones(len(data), int), np.zeros(len(b), int)]
    det = make("idealized", seed=0, **PARAMS)
    scores = det.fit_score(both, y, folds=3, weights=np.ones(len(both)))
    in_sr = sideband_masks(both.column("mjj"), SR, None)[0] & (y == 1)
    value, lo, _ = bootstrap(auc, both.is_signal[in_sr], scores[in_sr], n=200, seed=2)
    assert lo > 0.6, (value, lo)


def make_sample_split(qcd: EventSet) -> tuple[EventSet, EventSet]:
    n = len(qcd)
    return qcd.select(np.arange(n // 2)), qcd.select(np.arange(n // 2, n))
