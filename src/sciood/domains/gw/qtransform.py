"""A vectorised constant-Q transform of whitened strain (normalised tile energy).

For quality factor ``Q`` and centre frequency ``f_j`` the tile filter is a Gaussian in
frequency, ``w(f) = exp(−(f − f_j)² / (2 σ²))`` with ``σ = f_j / Q`` — the spectrum of a
sine-Gaussian of that ``Q`` and ``f_j``, so a tile is the matched filter for one sine-Gaussian.
Only positive frequencies are kept (analytic signal). The output is the normalised energy
``Z = |z|² / ⟨|z|²⟩_noise``: for whitened Gaussian noise ``Z`` is exponential with mean 1, and a
sine-Gaussian of SNR ρ matching the tile gives ``Z ≈ 1 + ρ² / 2`` (``ρ ≈ sqrt(2 (Z − 1))``).

Frequencies are log-spaced; events are processed in chunks of fixed size whose results do not
depend on the chunk (each event is transformed alone).

Example
-------
>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal((3, 2, 2048))
>>> z = qtransform(x, 2048.0, q=8.0, n_freq=16)
>>> z.shape, round(float(z.mean()), 1)
((3, 2, 16, 2048), 1.0)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from sciood.domains.gw.noise import flat_band
from sciood.errors import DataError

__all__ = ["frequencies", "max_pool", "qtransform"]

_CHUNK = 16


def frequencies(fs: float, n_freq: int) -> np.ndarray:
    """Log-spaced tile centre frequencies spanning the flat whitening band, shape ``(n_freq,)``."""
    lo, hi = flat_band(fs)
    return np.geomspace(lo + 5.0, hi - 20.0, n_freq)


@lru_cache(maxsize=16)
def _filters(n_samples: int, fs: float, q: float, n_freq: int) -> tuple[np.ndarray, np.ndarray]:
    f = np.fft.rfftfreq(n_samples, 1.0 / fs)
    fc = frequencies(fs, n_freq)
    w = np.exp(-0.5 * ((f[None, :] - fc[:, None]) / (fc[:, None] / q)) ** 2)
    norm = np.sum(w**2, axis=1) / n_samples  # <|z|²> for unit white noise
    return w.astype(np.complex64), norm.astype(np.float64)


def qtransform(whitened: np.ndarray, fs: float, *, q: float = 8.0,
               n_freq: int = 32) -> np.ndarray:
    """Normalised tile energy of whitened series at one ``Q``.

    Parameters
    ----------
    whitened : ndarray, shape ``(..., n_samples)``
        Whitened strain (unit-variance noise).
    fs : float
        Sample rate, Hz.
    q : float
        Quality factor (> 0.5).
    n_freq : int
        Number of log-spaced frequency rows (:func:`frequencies`).

    Returns
    -------
    ndarray, shape ``(..., n_freq, n_samples)``, float32
        ``Z`` per frequency row and sample.
    """
    x = np.asarray(whitened, dtype=np.float64)
    if x.ndim < 1 or x.shape[-1] < 64:
        raise DataError(f"qtransform needs series of >= 64 samples, got shape {x.shape}")
    if q <= 0.5 or n_freq < 1:
        raise DataError(f"need q > 0.5 and n_freq >= 1, got q={q}, n_freq={n_freq}")
    n = x.shape[-1]
    lead = x.shape[:-1]
    flat = x.reshape(-1, n)
    w, norm = _filters(n, float(fs), float(q), int(n_freq))
    out = np.empty((flat.shape[0], n_freq, n), dtype=np.float32)
    n_pos = n // 2 + 1
    for start in range(0, flat.shape[0], _CHUNK):
        spec = np.fft.rfft(flat[start:start + _CHUNK], axis=-1).astype(np.complex64)
        full = np.zeros((spec.shape[0], n_freq, n), dtype=np.complex64)
        full[:, :, :n_pos] = spec[:, None, :] * w[None, :, :]
        z = np.fft.ifft(full, axis=-1)
        out[start:start + _CHUNK] = (np.abs(z) ** 2 / norm[None, :, None]).astype(np.float32)
    return out.reshape(*lead, n_freq, n)


def max_pool(z: np.ndarray, n_time: int) -> np.ndarray:
    """Max-pool the last axis into ``n_time`` equal bins (dividing it): ``(..., n_time)``."""
    n = z.shape[-1]
    if n_time < 1 or n % n_time:
        raise DataError(f"n_time={n_time} must divide the series length {n}")
    return z.reshape(*z.shape[:-1], n_time, n // n_time).max(axis=-1)
