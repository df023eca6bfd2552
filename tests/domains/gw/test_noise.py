"""Noise physics: coloured noise has the design PSD; whitened noise is unit-variance and white."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pycbc")
pytest.importorskip("lalsimulation")

from scipy.signal import welch

from sciood.domains.gw import generate_gw, strain_windows
from sciood.domains.gw.noise import (
    F_LOW,
    colored_noise,
    design_psd,
    estimate_psd,
    flat_band,
    whiten,
)
from sciood.errors import ConfigError, DataError

FS = 2048.0
N = 4096  # 2-s segments
#: Stated bands: whitened noise is flat within ±10 % over FLAT; the coloured-noise PSD matches
#: the analytic design PSD within ±10 % over [F_LOW, 1000] Hz (band averages of 16 Hz).
FLAT = flat_band(FS)


def _band_means(f: np.ndarray, p: np.ndarray, lo: float, hi: float, width: float = 16.0):
    edges = np.arange(lo, hi - width + 1e-9, width)  # bands fully inside [lo, hi]
    return np.array([p[(f >= a) & (f < a + width)].mean() for a in edges])


@pytest.fixture(scope="module")
def noise() -> tuple[np.ndarray, np.ndarray]:
    psd = design_psd("design", N, FS)
    return psd, colored_noise(psd, N, FS, np.random.default_rng(11), size=(256,))


def test_colored_noise_has_the_design_psd(noise):
    psd, x = noise
    f, p = welch(x, fs=FS, nperseg=1024, axis=-1)
    ratio = p.mean(axis=0) / np.interp(f, np.fft.rfftfreq(N, 1 / FS), psd)
    bands = _band_means(f, ratio, F_LOW, 1000.0)
    assert np.all(np.abs(bands - 1.0) < 0.10), bands.round(3)
    # the design curve itself: ~4e-24 /sqrt(Hz) at 200 Hz, rising steeply below 30 Hz
    k = lambda hz: int(hz * N / FS)  # noqa: E731
    assert 3e-24 < np.sqrt(psd[k(200)]) < 5e-24
    assert psd[k(20)] > 10 * psd[k(200)]


def test_whitened_noise_is_unit_variance_and_white(noise):
    psd, x = noise
    w = whiten(x, psd, FS)
    assert abs(w.std() - 1.0) < 0.01
    assert abs(w.mean()) < 0.01
    kurt = np.mean(w**4) / np.mean(w**2) ** 2 - 3.0
    assert abs(kurt) < 0.05  # Gaussian
    f, p = welch(w, fs=FS, nperseg=512, axis=-1)
    bands = _band_means(f, p.mean(axis=0), *FLAT)
    level = np.median(bands)
    assert np.all(np.abs(bands / level - 1.0) < 0.10), (bands / level).round(3)
    # the flat level is what unit variance spread over the band gives: 2 / (fs * fraction)
    frac = (FLAT[1] - FLAT[0] + 25.0) / (FS / 2)
    assert level == pytest.approx(2.0 / (FS * frac), rel=0.1)
    # outside the band (below 20 Hz) nothing is left
    assert p.mean(axis=0)[f < F_LOW - 2].max() < 1e-2 * level  # Welch leakage only


def test_whitening_with_an_estimated_psd():
    psd = design_psd("design", N, FS)
    rng = np.random.default_rng(5)
    long = colored_noise(design_psd("design", 64 * 2048, FS), 64 * 2048, FS, rng)
    est = estimate_psd(long, FS, N)
    k = (np.fft.rfftfreq(N, 1 / FS) > 30) & (np.fft.rfftfreq(N, 1 / FS) < 900)
    assert np.median(np.abs(est[k] / psd[k] - 1)) < 0.1
    w = whiten(colored_noise(psd, N, FS, rng, size=(64,)), est, FS)
    assert abs(w.std() - 1.0) < 0.05


def test_generated_gaussian_windows_are_white():
    events = generate_gw("gaussian", 24, seed=2)
    x = strain_windows(events)
    assert x.shape == (24, 2, 2048) and x.dtype == np.float32
    assert abs(x.std() - 1.0) < 0.02
    f, p = welch(x.astype(np.float64), fs=FS, nperseg=256, axis=-1)
    bands = _band_means(f, p.mean(axis=(0, 1)), *FLAT, width=64.0)
    assert np.all(np.abs(bands / np.median(bands) - 1.0) < 0.15)


def test_data_variant_psd_is_worse_than_design():
    a, b = design_psd("design", N, FS), design_psd("o3", N, FS)
    k = int(200 * N / FS)
    assert b[k] > 1.5 * a[k]


def test_bad_inputs_name_the_fix():
    with pytest.raises(ConfigError, match="unknown PSD"):
        design_psd("no_such_psd", N, FS)
    with pytest.raises(DataError, match="expected"):
        whiten(np.zeros(N), np.ones(10), FS)
    with pytest.raises(DataError, match="> 0"):
        whiten(np.zeros(N), np.zeros(N // 2 + 1), FS)
    with pytest.raises(DataError, match="4 x segment"):
        estimate_psd(np.zeros(100), FS, N)
