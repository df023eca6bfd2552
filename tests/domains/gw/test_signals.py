"""Signal physics: BBH chirp, H1–L1 light-travel lag, injected SNR recovered by a matched filter."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pycbc")
pytest.importorskip("lalsimulation")

import pycbc.filter
import pycbc.types
from pycbc.detector import Detector

from sciood.domains.gw import generate_gw
from sciood.domains.gw.noise import F_LOW, colored_noise, design_psd, optimal_snr
from sciood.domains.gw.projection import Sky, draw_sky, light_travel_time, place, project
from sciood.domains.gw.qtransform import frequencies, max_pool, qtransform
from sciood.domains.gw.sources import SOURCES, Polarisations, bbh_polarisations, hrss

FS = 2048.0
PARAMS = {"mass1": 30.0, "mass2": 25.0, "spin1z": 0.2, "spin2z": -0.1, "distance_mpc": 500.0,
          "inclination": 0.4, "coa_phase": 1.0}


def _bbh_pol(params=PARAMS) -> Polarisations:
    hp, hc = bbh_polarisations(params, FS)
    return Polarisations(hp.numpy().astype(float), hc.numpy().astype(float),
                         -float(hp.start_time), {})


def test_bbh_chirp_frequency_rises_to_merger():
    hp, hc = bbh_polarisations({**PARAMS, "inclination": 0.0}, FS)  # face-on: circular
    h = hp.numpy() - 1j * hc.numpy()
    amp = np.abs(h)
    peak = int(np.argmax(amp))
    freq = np.abs(np.diff(np.unwrap(np.angle(h)))) * FS / (2 * np.pi)
    smooth = np.convolve(freq, np.ones(32) / 32, mode="valid")[:peak - 32]  # 16-ms average
    start = int(np.argmax(smooth > 30.0))
    track = smooth[start:]
    assert track.size > 0.2 * FS  # the last 0.2+ s of inspiral from 30 Hz
    assert np.all(np.diff(track) > 0)  # the frequency rises monotonically to merger
    assert track[-1] > 100.0
    assert 120.0 < freq[peak] < 400.0  # ~ the merger frequency of a 55 Msun binary
    # and it is still a chirp in whitened noise-free strain: Q-transform ridge rises in time
    sky = Sky(ra=1.0, dec=0.3, psi=0.2, gps=1_300_000_100.0)
    strain = project(_bbh_pol(), sky, 1.5, 4096, FS)["H1"]
    psd = design_psd("design", 4096, FS)
    from sciood.domains.gw.noise import whiten

    z = max_pool(qtransform(whiten(strain, psd, FS), FS, q=8, n_freq=40), 128)
    loud = z.max(axis=0) > 0.1 * z.max()
    ridge = frequencies(FS, 40)[z.argmax(axis=0)][loud]
    assert ridge.size >= 8  # 16-ms bins
    assert np.all(np.diff(ridge) >= 0)  # the ridge never falls: 30 Hz -> merger
    assert ridge[-1] > 3 * ridge[0]


def test_injected_lag_is_the_geometric_delay():
    tmax = light_travel_time("H1", "L1")
    assert tmax == pytest.approx(0.01001, abs=5e-5)
    rng = np.random.default_rng(3)
    h1, l1 = Detector("H1"), Detector("L1")
    for _ in range(200):
        sky = draw_sky(rng)
        d = sky.delays()
        lag = d["L1"] - d["H1"]
        assert abs(lag) <= tmax + 1e-9
        # pycbc: t_L1 - t_H1
        assert lag == pytest.approx(l1.time_delay_from_detector(h1, sky.ra, sky.dec, sky.gps),
                                    abs=1e-9)


def test_projected_strains_carry_the_delay_exactly():
    # a linearly polarised cusp: H1 and L1 are scaled copies, shifted by the geometric lag
    rng = np.random.default_rng(8)
    pol = SOURCES["cosmic_string_cusp"](rng, FS)
    for _ in range(5):
        sky = draw_sky(rng)
        s = project(pol, sky, 1.0, 4096, FS)
        want = sky.delays()["L1"] - sky.delays()["H1"]
        # the L1 strain shifted back by `want` is proportional to the H1 strain
        back = place(s["L1"], 0.0, 0.0, 4096, FS, -want)
        a, b = s["H1"], back
        corr = abs(np.dot(a, b)) / np.sqrt(np.dot(a, a) * np.dot(b, b))
        assert corr > 0.9999


def test_recovered_lag_of_loud_bbh_within_light_travel():
    events = generate_gw("bbh", 16, seed=4)
    d = events.to_pandas(columns=["lag", "lag_true", "snr_injected_h1", "snr_injected_l1"])
    assert np.all(np.abs(d.lag_true) <= 0.01001 + 1e-9)
    assert np.all(np.abs(d.lag) <= 0.0108)  # the search range, ceil(10.5 ms · fs) samples
    loud = (d.snr_injected_h1 > 10) & (d.snr_injected_l1 > 10)
    assert loud.sum() >= 5
    assert np.all(np.abs(d.lag - d.lag_true)[loud] < 0.003)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_injected_snr_recovered_by_matched_filter(seed):
    n = int(8 * FS)
    psd = design_psd("design", n, FS)
    rng = np.random.default_rng(100 + seed)
    sky = draw_sky(rng)
    clean = project(_bbh_pol(), sky, 5.0, n, FS)["H1"]
    target = 20.0
    clean *= target / optimal_snr(clean, psd, FS)
    data = colored_noise(psd, n, FS, rng) + clean
    ts = lambda x: pycbc.types.TimeSeries(x, delta_t=1 / FS)  # noqa: E731
    fpsd = pycbc.types.FrequencySeries(psd, delta_f=FS / n)
    kw = {"psd": fpsd, "low_frequency_cutoff": F_LOW, "high_frequency_cutoff": 1000.0}
    # our optimal SNR is pycbc's sigma with the same band
    assert pycbc.filter.sigma(ts(clean), **kw) == pytest.approx(target, rel=0.01)
    # the template is the injection itself, so the peak is at zero lag (index 0, circularly)
    rho = np.abs(pycbc.filter.matched_filter(ts(clean), ts(data), **kw).numpy())
    assert rho.max() == pytest.approx(target, rel=0.10)
    lag = int(np.argmax(rho))
    assert min(lag, n - lag) <= 2


def test_burst_amplitudes_are_physical():
    rng = np.random.default_rng(1)
    psd = design_psd("design", 4096, FS)
    for name in ("sine_gaussian", "white_noise_burst", "cosmic_string_cusp", "ccsn"):
        pol = SOURCES[name](rng, FS)
        assert hrss(pol.hp, pol.hc, FS) == pytest.approx(pol.params["h_rss"], rel=1e-9)
        assert 2e-23 <= pol.params["h_rss"] <= 2e-21
        # SNR scales linearly with h_rss
        s1 = optimal_snr(place(pol.hp, pol.t_peak, 1.0, 4096, FS), psd, FS)
        s2 = optimal_snr(place(2 * pol.hp, pol.t_peak, 1.0, 4096, FS), psd, FS)
        assert s2 == pytest.approx(2 * s1, rel=1e-9)
    # a BBH twice as far is half as loud
    near = _bbh_pol()
    far = _bbh_pol({**PARAMS, "distance_mpc": 1000.0})
    assert hrss(far.hp, far.hc, FS) == pytest.approx(0.5 * hrss(near.hp, near.hc, FS), rel=1e-6)
