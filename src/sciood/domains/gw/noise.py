"""Detector noise: analytic design PSDs, coloured Gaussian noise, whitening, optimal SNR.

Conventions (one-sided PSD ``S(f)`` in 1/Hz, real strain ``x`` sampled at ``fs``, ``N``
samples, numpy's unnormalised ``rfft`` ``X_k``):

* coloured noise has ``E|X_k|² = N fs S(f_k) / 2``;
* whitening multiplies ``X_k`` by ``sqrt(2 / (fs S(f_k)))`` and by a smooth band taper
  (cos² roll-on from ``f_low`` to ``f_low + 5 Hz``, roll-off over the last 40 Hz below
  ``f_high``), then rescales so that whitened Gaussian noise has unit variance; inside the
  flat band (:func:`flat_band`) its PSD is flat (white);
* the optimal SNR of a known signal ``h`` is ``ρ² = 4 Σ_k |X_k|² / (fs N S(f_k))`` over
  ``F_LOW ≤ f_k ≤ f_high``, i.e. ``4 ∫ |h̃(f)|² / S(f) df`` (``pycbc.filter.sigma`` with the
  same cut-offs).

The PSDs come from lalsimulation through :mod:`pycbc.psd` (analytic fits, no downloads):
``"aLIGOZeroDetHighPower"`` (design, the ``sim`` variant) and ``"aLIGOO3LowT1800545"``
(an O3-like sensitivity, the ``data`` variant).

Example
-------
>>> import numpy as np
>>> psd = design_psd("aLIGOZeroDetHighPower", 4096, 2048.0)
>>> x = colored_noise(psd, 4096, 2048.0, np.random.default_rng(0))
>>> w = whiten(x, psd, 2048.0)
>>> round(float(w.std()), 1)
1.0
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sciood.domains.gw import _lib
from sciood.errors import ConfigError, DataError

__all__ = [
    "F_HIGH",
    "F_LOW",
    "PSD_NAMES",
    "band_taper",
    "colored_noise",
    "design_psd",
    "estimate_psd",
    "flat_band",
    "optimal_snr",
    "whiten",
]

#: Lower edge of the analysis band (Hz); the seismic wall makes lower frequencies useless.
F_LOW = 20.0
#: Upper edge of the analysis band (Hz); clipped to 0.98 × Nyquist at low sample rates.
F_HIGH = 1000.0
_ROLL_ON = 5.0
_ROLL_OFF = 40.0

#: Analytic PSDs the domain knows by a short alias (any lalsimulation PSD name also works).
PSD_NAMES = {"design": "aLIGOZeroDetHighPower", "o3": "aLIGOO3LowT1800545"}


def _upper(fs: float) -> float:
    return min(F_HIGH, 0.98 * fs / 2.0)


def flat_band(fs: float) -> tuple[float, float]:
    """``(f_lo, f_hi)`` in Hz where the whitening taper is exactly 1 at sample rate ``fs``."""
    return F_LOW + _ROLL_ON, _upper(fs) - _ROLL_OFF


@lru_cache(maxsize=32)
def _psd_cached(name: str, n_samples: int, fs: float) -> np.ndarray:
    psd_mod = _lib.pycbc_psd()
    n_freq = n_samples // 2 + 1
    delta_f = fs / n_samples
    full = PSD_NAMES.get(name, name)
    try:
        series = psd_mod.from_string(full, n_freq, delta_f, F_LOW / 2.0)
    except ValueError as exc:
        raise ConfigError(
            f"unknown PSD {name!r}; use one of {sorted(PSD_NAMES)} or a lalsimulation PSD "
            "name (pycbc.psd.get_lalsim_psd_list())") from exc
    values = np.asarray(series.numpy(), dtype=np.float64).copy()
    k_low = int(np.ceil(F_LOW / delta_f))
    values[:k_low] = values[k_low]  # flat below the band: never used, but finite and > 0
    bad = ~(values > 0)  # pycbc leaves the Nyquist bin at 0
    if bad.all():
        raise ConfigError(f"PSD {name!r} is zero everywhere on this grid; pick another PSD")
    values[bad] = values[~bad][-1]
    values.setflags(write=False)
    return values


def design_psd(name: str, n_samples: int, fs: float) -> np.ndarray:
    """One-sided analytic PSD on the ``rfft`` grid of ``n_samples`` samples at ``fs``.

    Parameters
    ----------
    name : str
        ``"design"`` (aLIGO zero-detuned high power), ``"o3"`` or a lalsimulation PSD name.
    n_samples : int
        Segment length in samples.
    fs : float
        Sample rate in Hz.

    Returns
    -------
    ndarray, shape ``(n_samples // 2 + 1,)``, float64, read-only
        ``S(f_k)`` in 1/Hz; below :data:`F_LOW` held at ``S(F_LOW)``.
    """
    if n_samples < 16 or fs <= 0:
        raise DataError(f"need n_samples >= 16 and fs > 0, got {n_samples}, {fs}")
    return _psd_cached(str(name), int(n_samples), float(fs))


def band_taper(n_samples: int, fs: float) -> np.ndarray:
    """Whitening band taper on the ``rfft`` grid, shape ``(n_samples // 2 + 1,)``, in [0, 1]."""
    f = np.fft.rfftfreq(n_samples, 1.0 / fs)
    hi = _upper(fs)
    on = np.clip((f - F_LOW) / _ROLL_ON, 0.0, 1.0)
    off = np.clip((hi - f) / _ROLL_OFF, 0.0, 1.0)
    return np.sin(0.5 * np.pi * on) ** 2 * np.sin(0.5 * np.pi * off) ** 2


def _check_psd(psd: np.ndarray, n_samples: int) -> np.ndarray:
    psd = np.asarray(psd, dtype=np.float64)
    if psd.shape != (n_samples // 2 + 1,):
        raise DataError(f"psd has shape {psd.shape}, expected ({n_samples // 2 + 1},) for "
                        f"{n_samples} samples; build it with design_psd(name, {n_samples}, fs)")
    if not np.all(np.isfinite(psd)) or np.any(psd <= 0):
        raise DataError("psd must be finite and > 0 at every frequency")
    return psd


def colored_noise(psd: np.ndarray, n_samples: int, fs: float,
                  rng: np.random.Generator, *, size: tuple[int, ...] = ()) -> np.ndarray:
    """Stationary Gaussian noise with one-sided PSD ``psd`` (periodic over the segment).

    Parameters
    ----------
    psd : ndarray, shape ``(n_samples // 2 + 1,)``
    n_samples : int
    fs : float
    rng : numpy.random.Generator
    size : tuple of int
        Leading shape (independent realisations).

    Returns
    -------
    ndarray, shape ``(*size, n_samples)``, float64
        Strain.
    """
    psd = _check_psd(psd, n_samples)
    n_freq = n_samples // 2 + 1
    z = rng.standard_normal((*size, n_freq, 2))
    amp = np.sqrt(n_samples * fs * psd / 4.0)
    spec = amp * (z[..., 0] + 1j * z[..., 1])
    spec[..., 0] = 0.0
    if n_samples % 2 == 0:
        spec[..., -1] = 0.0
    return np.fft.irfft(spec, n=n_samples, axis=-1)


def _filter_norm(taper: np.ndarray, n_samples: int) -> float:
    w2 = taper**2
    total = w2[0] + 2.0 * w2[1:].sum() - (w2[-1] if n_samples % 2 == 0 else 0.0)
    return float(np.sqrt(total / n_samples))


def whiten(strain: np.ndarray, psd: np.ndarray, fs: float) -> np.ndarray:
    """Whiten strain with a PSD: unit-variance, flat-spectrum noise inside the band.

    Parameters
    ----------
    strain : ndarray, shape ``(..., n_samples)``
    psd : ndarray, shape ``(n_samples // 2 + 1,)``
        The noise PSD (known analytic, or :func:`estimate_psd`).
    fs : float

    Returns
    -------
    ndarray, shape ``(..., n_samples)``, float64
        Whitened series (dimensionless; σ = 1 for noise with this PSD).
    """
    x = np.asarray(strain, dtype=np.float64)
    n = x.shape[-1]
    psd = _check_psd(psd, n)
    taper = band_taper(n, fs)
    gain = taper * np.sqrt(2.0 / (fs * psd)) / _filter_norm(taper, n)
    return np.fft.irfft(np.fft.rfft(x, axis=-1) * gain, n=n, axis=-1)


def estimate_psd(strain: np.ndarray, fs: float, n_samples: int,
                 *, segment: float = 1.0) -> np.ndarray:
    """Welch PSD estimate of a long noise stretch, interpolated onto an ``rfft`` grid.

    Parameters
    ----------
    strain : ndarray, shape ``(n_long,)``
        Noise-dominated strain, at least ``4 * segment`` seconds.
    fs : float
    n_samples : int
        Length of the segments the PSD is for (``whiten`` input length).
    segment : float
        Welch segment length in seconds (Hann window, 50 % overlap).

    Returns
    -------
    ndarray, shape ``(n_samples // 2 + 1,)``
    """
    from scipy.signal import welch

    x = np.asarray(strain, dtype=np.float64)
    nper = int(segment * fs)
    if x.ndim != 1 or x.size < 4 * nper:
        raise DataError(f"estimate_psd needs a 1-D stretch of >= {4 * nper} samples "
                        f"(4 x segment), got shape {x.shape}")
    f, p = welch(x, fs=fs, nperseg=nper, noverlap=nper // 2, window="hann", average="median")
    grid = np.fft.rfftfreq(n_samples, 1.0 / fs)
    out = np.interp(grid, f, p)
    floor = out[grid >= F_LOW]
    out[grid < F_LOW] = floor[0] if floor.size else out.max()
    return np.maximum(out, np.finfo(float).tiny)


def optimal_snr(signal: np.ndarray, psd: np.ndarray, fs: float) -> np.ndarray:
    """Optimal (matched-filter) SNR of a known signal in noise of PSD ``psd``, in band.

    Parameters
    ----------
    signal : ndarray, shape ``(..., n_samples)``
        Strain of the signal alone.
    psd : ndarray, shape ``(n_samples // 2 + 1,)``
    fs : float

    Returns
    -------
    ndarray, shape ``(...)``
        ``sqrt(4 ∫ |h̃|² / S df)`` over ``[F_LOW, min(F_HIGH, 0.98 fs/2)]``.
    """
    x = np.asarray(signal, dtype=np.float64)
    n = x.shape[-1]
    psd = _check_psd(psd, n)
    spec = np.fft.rfft(x, axis=-1)
    f = np.fft.rfftfreq(n, 1.0 / fs)
    band = (f >= F_LOW) & (f <= _upper(fs))
    rho2 = 4.0 / (fs * n) * np.sum(np.abs(spec[..., band]) ** 2 / psd[band], axis=-1)
    return np.sqrt(rho2)
