"""Expert features of a two-detector whitened window (what a burst search reconstructs).

From the Q-transform planes (``Q`` ∈ :data:`Q_PLANES`, :data:`N_FREQ` log-spaced rows):

=================  ==============================================================================
feature            definition
=================  ==============================================================================
``snr_h1/_l1``     ``sqrt(2 max(Z_max − 1, 0))`` of the loudest tile in that detector
``snr_net``        ``sqrt(snr_h1² + snr_l1²)``
``peak_freq``      centre frequency (Hz) of the loudest tile of the louder detector
``q``              the ``Q`` of the plane holding that tile
``duration``       10 %–90 % span (s) of the ``Z``-weighted times of that plane's tiles with
                   ``Z ≥ max(Z_max / 4, 8)``
``bandwidth``      the same span in frequency (Hz)
``lag``            ``t_L1 − t_H1`` (s) at the largest ``|c(τ)|`` of the normalised H1–L1 cross-
                   correlation over ``|τ| ≤ 10.5 ms``, in ±0.125 s around the loudest tile
``xcorr``          that ``|c|`` (0 … 1)
``loudest_tile``   coincident excess power: max over tiles of ``min(Z_H1, Z_L1)`` after max-pooling
                   time into 1/64 s bins (longer than the light travel) — the excess-power
                   baseline; a single-detector glitch cannot make it loud
=================  ==============================================================================
"""

from __future__ import annotations

import numpy as np

from sciood.domains.gw.qtransform import frequencies, max_pool, qtransform
from sciood.errors import DataError

__all__ = ["BASELINE_COLUMN", "FEATURES", "N_FREQ", "N_POOL", "Q_PLANES", "expert_features",
           "pooled_maps"]

#: Quality factors of the Q-transform planes used for features.
Q_PLANES = (4.0, 12.0, 36.0)
#: Frequency rows per plane.
N_FREQ = 40
#: The expert features, in column order.
FEATURES = ("snr_h1", "snr_l1", "snr_net", "peak_freq", "q", "duration", "bandwidth", "lag",
            "xcorr")
#: The excess-power baseline statistic (a column, not a feature).
BASELINE_COLUMN = "loudest_tile"
#: Time bins of the max-pooled maps of the excess-power statistic (1/64 s for 1-s windows).
N_POOL = 64
_MAX_LAG = 0.0105
_XC_HALF = 0.125


def _weighted_span(values: np.ndarray, weights: np.ndarray) -> float:
    if values.size < 2:
        return 0.0
    order = np.argsort(values, kind="stable")
    v, c = values[order], np.cumsum(weights[order])
    c = c / c[-1]
    return float(v[np.searchsorted(c, 0.9)] - v[np.searchsorted(c, 0.1)])


def _xcorr(h: np.ndarray, v: np.ndarray, centre: int, fs: float) -> tuple[float, float]:
    n = h.size
    half, m = int(_XC_HALF * fs), int(np.ceil(_MAX_LAG * fs))
    lo, hi = max(m, centre - half), min(n - m, centre + half)
    if hi - lo < 8:
        lo, hi = m, n - m
    a = h[lo:hi]
    taus = np.arange(-m, m + 1)
    c = np.array([np.dot(a, v[lo + k:hi + k]) for k in taus])
    norms = np.sqrt(np.dot(a, a) * np.array([np.dot(v[lo + k:hi + k], v[lo + k:hi + k])
                                             for k in taus]))
    c = c / np.maximum(norms, 1e-300)
    best = int(np.argmax(np.abs(c)))
    if 0 < best < c.size - 1:  # parabolic refinement of the peak of |c|
        y0, y1, y2 = np.abs(c[best - 1:best + 2])
        den = y0 - 2 * y1 + y2
        off = 0.5 * (y0 - y2) / den if den != 0 else 0.0
    else:
        off = 0.0
    return float((taus[best] + off) / fs), float(abs(c[best]))


def _pool(planes: list[np.ndarray]) -> np.ndarray:
    return np.stack([max_pool(p, N_POOL) for p in planes])


def pooled_maps(whitened: np.ndarray, fs: float) -> np.ndarray:
    """Per-detector max-pooled Q-planes behind ``loudest_tile``.

    Parameters
    ----------
    whitened : ndarray, shape ``(n, 2, n_samples)``
    fs : float

    Returns
    -------
    ndarray, shape ``(n, 2, len(Q_PLANES) * N_FREQ * N_POOL)``, float32
        ``loudest_tile`` of a pair (H1 of event i, L1 of event j) is
        ``max(min(maps[i, 0], maps[j, 1]))``.
    """
    x = np.asarray(whitened, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != 2:
        raise DataError(f"pooled_maps needs whitened windows of shape (n, 2, n_samples), "
                        f"got {x.shape}")
    out = np.empty((x.shape[0], 2, len(Q_PLANES) * N_FREQ * N_POOL), dtype=np.float32)
    for i in range(x.shape[0]):
        pooled = _pool([qtransform(x[i], fs, q=q, n_freq=N_FREQ) for q in Q_PLANES])
        out[i] = pooled.transpose(1, 0, 2, 3).reshape(2, -1)
    return out


def _one_event(planes: list[np.ndarray], x: np.ndarray, fs: float,
               freqs: np.ndarray) -> dict[str, float]:
    """Features of one event; ``planes[k]`` has shape ``(2, N_FREQ, n)``, ``x`` ``(2, n)``."""
    stack = np.stack(planes)  # (n_q, 2, F, n)
    zmax = stack.max(axis=(0, 2, 3))  # per detector
    snr = np.sqrt(2.0 * np.maximum(zmax - 1.0, 0.0))
    det = int(np.argmax(zmax))
    k, j, t = np.unravel_index(int(np.argmax(stack[:, det])), stack[:, det].shape)
    plane = stack[k, det]
    mask = plane >= max(zmax[det] / 4.0, 8.0)
    rows, cols = np.nonzero(mask)
    wts = plane[rows, cols].astype(np.float64)
    lag, xc = _xcorr(x[0], x[1], int(t), fs)
    pooled = _pool(planes)  # (n_q, 2, F, N_POOL)
    return {
        "snr_h1": float(snr[0]), "snr_l1": float(snr[1]),
        "snr_net": float(np.hypot(snr[0], snr[1])), "peak_freq": float(freqs[j]),
        "q": float(Q_PLANES[k]), "duration": _weighted_span(cols / fs, wts),
        "bandwidth": _weighted_span(freqs[rows], wts), "lag": lag, "xcorr": xc,
        BASELINE_COLUMN: float(np.minimum(pooled[:, 0], pooled[:, 1]).max()),
    }


def expert_features(whitened: np.ndarray, fs: float) -> dict[str, np.ndarray]:
    """Expert features and the excess-power statistic of two-detector windows.

    Parameters
    ----------
    whitened : ndarray, shape ``(n, 2, n_samples)``
        Whitened H1, L1 windows; ``n_samples`` a multiple of 64.
    fs : float
        Sample rate, Hz.

    Returns
    -------
    dict
        ``{name: ndarray (n,)}`` for every name in :data:`FEATURES` and
        :data:`BASELINE_COLUMN`.
    """
    x = np.asarray(whitened, dtype=np.float64)
    if x.ndim != 3 or x.shape[1] != 2:
        raise DataError(f"expert_features needs whitened windows of shape (n, 2, n_samples), "
                        f"got {x.shape}")
    freqs = frequencies(fs, N_FREQ)
    rows = []
    for i in range(x.shape[0]):
        planes = [qtransform(x[i], fs, q=q, n_freq=N_FREQ) for q in Q_PLANES]
        rows.append(_one_event(planes, x[i], fs, freqs))
    names = (*FEATURES, BASELINE_COLUMN)
    return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in names}
