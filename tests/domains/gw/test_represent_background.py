"""Representations (strain, Q-maps, features), time slides, FAR and the excess-power baseline."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pycbc")
pytest.importorskip("lalsimulation")

from sciood.data.eventset import EventSet
from sciood.domains.gw import (
    excess_power_score,
    excess_power_slides,
    false_alarm_rate,
    far_significance,
    generate_gw,
    gw_represent,
    qtransform,
    time_slides,
)
from sciood.errors import DataError, UnknownNameError


@pytest.fixture(scope="module")
def background() -> EventSet:
    return EventSet.concat([generate_gw("gaussian", 12, seed=1), generate_gw("blip", 6, seed=1),
                            generate_gw("scattered_light", 6, seed=1)])


@pytest.fixture(scope="module")
def signal() -> EventSet:
    return generate_gw("sine_gaussian", 12, seed=1)


def test_representation_shapes(signal):
    assert gw_represent(signal, "strain").shape == (12, 2, 2048)
    q = gw_represent(signal, "qmap")
    assert q.shape == (12, 2, 32, 64) and q.dtype == np.float32 and np.all(q >= 0)
    assert gw_represent(signal, "qmap", n_freq=16, n_time=32, log=True).shape == (12, 2, 16, 32)
    assert gw_represent(signal, "features").shape == (12, 9)
    with pytest.raises(UnknownNameError, match="qmap"):
        gw_represent(signal, "images")


def test_qtransform_noise_normalisation_and_sine_gaussian_snr(signal):
    z = qtransform(np.random.default_rng(0).standard_normal((4, 2048)), 2048.0, q=8.0)
    assert z.mean() == pytest.approx(1.0, rel=0.03)  # exponential, mean 1
    d = signal.to_pandas(columns=["snr_net", "snr_injected"])
    loud = d.snr_injected > 15
    assert loud.sum() >= 3
    ratio = (d.snr_net / d.snr_injected)[loud]
    assert ratio.median() == pytest.approx(1.0, abs=0.2)  # a tile is a sine-Gaussian filter


def test_coherence_features_separate_signal_from_glitches(background, signal):
    loud = signal.column("snr_injected") > 15
    sig_xc = signal.column("xcorr")[loud]
    bkg_xc = background.column("xcorr")
    assert np.median(sig_xc) > np.quantile(bkg_xc, 0.95)


def test_time_slides_keep_the_rate_and_break_coincidence(background):
    slid = time_slides(background, 3)
    assert len(slid) == 3 * len(background)
    assert slid.weights.sum() == pytest.approx(background.weights.sum(), rel=1e-9)
    assert set(slid.column("label_h1")) <= set(background.classes)
    assert np.all(slid.column("slide") >= 1)
    x = gw_represent(slid, "strain")
    y = gw_represent(background, "strain")
    n = len(background)
    np.testing.assert_array_equal(x[:n, 0], y[:, 0])
    np.testing.assert_array_equal(x[:n, 1], np.roll(y[:, 1], -1, axis=0))
    # the fast excess-power path gives the same slid statistic and weights
    scores, weights = excess_power_slides(background, 3)
    np.testing.assert_allclose(scores, slid.column("loudest_tile"), rtol=1e-6)
    np.testing.assert_allclose(weights, slid.weights, rtol=1e-12)
    with pytest.raises(DataError, match="background only"):
        time_slides(generate_gw("bbh", 2, seed=0), 1)
    with pytest.raises(DataError, match="n_slides"):
        time_slides(background, len(background))


def test_false_alarm_rate_and_significance():
    bkg = np.array([1.0, 2.0, 3.0, 4.0])
    w = np.array([10.0, 5.0, 2.0, 1.0])  # windows per day
    res = false_alarm_rate(np.array([0.5, 2.0, 3.5, 9.0]), bkg, sample_weight=w)
    np.testing.assert_allclose(res.far, [18.0, 8.0, 1.0, 1.0])
    np.testing.assert_array_equal(res.bounded, [False, False, False, True])
    assert res.livetime_days == pytest.approx(4 / 86400)
    # FAR * T = ln 2 -> p = 1/2 -> Z = 0; rarer -> more significant
    z = far_significance(np.array([np.log(2.0), 1e-3]), 1.0)
    assert z[0] == pytest.approx(0.0, abs=1e-12) and z[1] > 3.0
    with pytest.raises(DataError, match="same non-empty shape"):
        false_alarm_rate(np.ones(2), np.ones(3), sample_weight=np.ones(2))


def test_excess_power_baseline(background, signal):
    s_sig, s_bkg = excess_power_score(signal), excess_power_score(background)
    loud = signal.column("snr_injected") > 20
    assert np.all(s_sig[loud] > np.median(s_bkg))
    # recomputed from the strain when the column is absent: same numbers
    stripped = EventSet(signal.table.drop_columns(["loudest_tile"]), provenance=signal.provenance)
    np.testing.assert_allclose(excess_power_score(stripped), s_sig, rtol=1e-6)
