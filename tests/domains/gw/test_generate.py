"""generate_gw: classes, rate weights, seeding, variants, storage, errors."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pycbc")
pytest.importorskip("lalsimulation")

from sciood.data.eventset import EventSet
from sciood.domains.gw import (
    BACKGROUNDS,
    FEATURES,
    PROCESSES,
    SIGNALS,
    GWSettings,
    generate_gw,
    generate_gw_sample,
    strain_windows,
)
from sciood.errors import DataError, UnknownNameError


def test_every_process_generates_a_valid_eventset():
    for name in PROCESSES:
        ev = generate_gw(name, 3, seed=5)
        assert len(ev) == 3 and ev.classes == [name]
        assert ev.features == FEATURES
        assert bool(ev.is_signal.all()) == (name in SIGNALS)
        x = strain_windows(ev)
        assert x.shape == (3, 2, 2048) and np.all(np.isfinite(x))
        assert np.all(np.isfinite(ev.to_numpy()))


def test_weights_are_rates_per_day_and_signal_efficiencies():
    blip = generate_gw("blip", 4, seed=1)
    assert blip.weights.sum() == pytest.approx(PROCESSES["blip"].rate("sim"))
    noise = generate_gw("gaussian", 4, seed=1)
    assert noise.weights.sum() == pytest.approx(86400.0)  # 1-s windows per day
    sig = generate_gw("sine_gaussian", 4, seed=1)
    assert sig.weights.sum() == pytest.approx(1.0)
    data = generate_gw("scattered_light", 4, seed=1, variant="data")
    assert data.weights.sum() == pytest.approx(3 * PROCESSES["scattered_light"].rate("sim"))
    half = generate_gw("gaussian", 2, seed=1, settings=GWSettings(duration=0.5))
    assert half.weights.sum() == pytest.approx(2 * 86400.0)
    assert strain_windows(half).shape == (2, 2, 1024)


def test_same_seed_same_events_independent_of_batch_size():
    a = generate_gw("bbh", 2, seed=9)
    b = generate_gw("bbh", 4, seed=9)
    np.testing.assert_array_equal(strain_windows(a), strain_windows(b)[:2])
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy()[:2])
    c = generate_gw("bbh", 2, seed=10)
    assert not np.array_equal(strain_windows(a), strain_windows(c))


def test_glitches_sit_in_one_detector_signals_in_both():
    koi = generate_gw("koi_fish", 8, seed=3).to_pandas(
        columns=["ifo", "snr_injected_h1", "snr_injected_l1", "snr_h1", "snr_l1", "xcorr"])
    assert set(koi.ifo) <= {"H1", "L1"}
    assert np.all((koi.snr_injected_h1 == 0) ^ (koi.snr_injected_l1 == 0))
    loud_h1 = koi.ifo == "H1"
    assert np.all((koi.snr_h1 > koi.snr_l1)[loud_h1])
    assert np.all((koi.snr_l1 > koi.snr_h1)[~loud_h1])
    bbh = generate_gw("bbh", 8, seed=3).to_pandas(columns=["ifo", "distance_mpc", "h_rss"])
    assert set(bbh.ifo) == {"H1L1"}
    assert np.all((bbh.distance_mpc >= 150) & (bbh.distance_mpc <= 3000))
    # farther binaries are quieter (h_rss ∝ 1/distance up to masses and inclination)
    assert np.corrcoef(np.log(bbh.distance_mpc), np.log(bbh.h_rss))[0, 1] < 0


def test_data_variant_is_less_sensitive():
    sim = generate_gw("sine_gaussian", 6, seed=2).column("snr_injected")
    data = generate_gw("sine_gaussian", 6, seed=2, variant="data").column("snr_injected")
    assert np.all(data < sim)  # same sources (same seed), worse O3-like PSD


def test_write_read_round_trip_and_cache(tmp_path):
    ev = generate_gw("whistle", 3, seed=4, out=tmp_path / "w")
    back = EventSet.read(tmp_path / "w")
    np.testing.assert_array_equal(strain_windows(back), strain_windows(ev))
    assert back.features == FEATURES and back.provenance["process"] == "whistle"
    again = generate_gw("whistle", 3, seed=4, out=tmp_path / "w")  # read back, not rebuilt
    np.testing.assert_array_equal(again.to_numpy(), ev.to_numpy())
    mixed = generate_gw_sample({"gaussian": 2, "bbh": 2}, seed=1)
    assert mixed.class_counts() == {"bbh": 2, "gaussian": 2}
    assert strain_windows(mixed).shape == (4, 2, 2048)


def test_bad_inputs_name_the_fix():
    with pytest.raises(UnknownNameError, match="blip"):
        generate_gw("blipp", 2)
    with pytest.raises(UnknownNameError, match="sim"):
        generate_gw("blip", 2, variant="real")
    with pytest.raises(DataError, match="positive integer"):
        generate_gw("blip", 0)
    with pytest.raises(DataError, match="multiple of 64"):
        generate_gw("blip", 2, settings=GWSettings(duration=0.3))
    with pytest.raises(DataError, match="counts is empty"):
        generate_gw_sample({})
    assert set(BACKGROUNDS) == {"gaussian", "blip", "koi_fish", "scattered_light", "whistle"}
