"""Projection onto the interferometers: antenna patterns and light-travel delays.

``h_d(t) = F₊ᵈ h₊(t − Δtᵈ) + F×ᵈ h×(t − Δtᵈ)`` with ``F₊, F×`` and the delay ``Δtᵈ`` from the
Earth's centre given by :class:`pycbc.detector.Detector` (sky position ``ra``, ``dec``,
polarisation angle ``psi``, GPS time). Sub-sample placement and delays are applied as a phase
ramp in the frequency domain, so the lag between H1 and L1 is exact (|Δt| ≤ 10.0 ms, the
light-travel time between the sites).

Example
-------
>>> import numpy as np
>>> sky = draw_sky(np.random.default_rng(0))
>>> abs(sky.delays()["L1"] - sky.delays()["H1"]) <= light_travel_time("H1", "L1")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from sciood.domains.gw import _lib
from sciood.domains.gw.sources import Polarisations

__all__ = ["DETECTORS", "GPS_EPOCH", "Sky", "draw_sky", "light_travel_time", "place", "project"]

#: The interferometers, in the order of every ``(n, 2, …)`` array of this domain.
DETECTORS = ("H1", "L1")
#: GPS reference time of the simulated stretch (2021-03-17); events fall within one day of it.
GPS_EPOCH = 1_300_000_000.0


@lru_cache(maxsize=8)
def _detector(name: str) -> Any:
    return _lib.pycbc_detector().Detector(name)


def light_travel_time(a: str, b: str) -> float:
    """Light-travel time between two detector sites, seconds (H1–L1: 10.01 ms)."""
    return float(_detector(a).light_travel_time_to_detector(_detector(b)))


@dataclass(frozen=True)
class Sky:
    """Source direction, polarisation and arrival time.

    Attributes
    ----------
    ra, dec : float
        Right ascension and declination, radians.
    psi : float
        Polarisation angle, radians.
    gps : float
        GPS time of arrival at the Earth's centre.
    """

    ra: float
    dec: float
    psi: float
    gps: float

    def antenna(self) -> dict[str, tuple[float, float]]:
        """``{detector: (F₊, F×)}``."""
        out = {}
        for d in DETECTORS:
            fp, fc = _detector(d).antenna_pattern(self.ra, self.dec, self.psi, self.gps)
            out[d] = (float(fp), float(fc))
        return out

    def delays(self) -> dict[str, float]:
        """``{detector: arrival time − arrival at the Earth's centre}``, seconds."""
        return {d: float(_detector(d).time_delay_from_earth_center(self.ra, self.dec, self.gps))
                for d in DETECTORS}


def draw_sky(rng: np.random.Generator) -> Sky:
    """Isotropic direction, uniform polarisation, arrival time uniform within one day."""
    return Sky(ra=float(rng.uniform(0.0, 2.0 * np.pi)),
               dec=float(np.arcsin(rng.uniform(-1.0, 1.0))),
               psi=float(rng.uniform(0.0, np.pi)),
               gps=GPS_EPOCH + float(rng.uniform(0.0, 86400.0)))


def _taper_front(h: np.ndarray, n: int) -> np.ndarray:
    out = h.copy()
    m = min(n, out.size)
    out[:m] *= np.sin(0.5 * np.pi * np.arange(m) / max(m, 1)) ** 2
    return out


def place(h: np.ndarray, t_peak: float, at: float, n_samples: int, fs: float,
          shift: float = 0.0) -> np.ndarray:
    """Put a waveform into a segment with its peak at ``at + shift`` seconds.

    Samples before the segment are cut (the cut edge is tapered over 0.1 s), samples after
    it dropped. The fractional part of the placement and ``shift`` act as an exact
    frequency-domain delay.

    Parameters
    ----------
    h : ndarray, shape ``(m,)``
    t_peak : float
        Peak time from ``h``'s first sample, seconds.
    at : float
        Wanted peak time from the segment start, seconds.
    n_samples : int
    fs : float
    shift : float
        Extra delay (light travel), seconds.

    Returns
    -------
    ndarray, shape ``(n_samples,)``
    """
    start_time = at - t_peak
    start = int(np.floor(start_time * fs))
    frac = start_time - start / fs + shift
    lo, hi = max(0, -start), min(h.size, n_samples - start)
    out = np.zeros(n_samples)
    if hi <= lo:
        return out
    piece = h[lo:hi]
    if lo > 0:
        piece = _taper_front(piece, int(0.1 * fs))
    out[start + lo:start + hi] = piece
    if frac != 0.0:
        f = np.fft.rfftfreq(n_samples, 1.0 / fs)
        out = np.fft.irfft(np.fft.rfft(out) * np.exp(-2j * np.pi * f * frac), n=n_samples)
    return out


def project(pol: Polarisations, sky: Sky, at: float, n_samples: int,
            fs: float) -> dict[str, np.ndarray]:
    """Strain in each detector of a source whose Earth-centre peak time is ``at``.

    Returns
    -------
    dict
        ``{detector: ndarray (n_samples,)}`` in :data:`DETECTORS` order.
    """
    ant, dly = sky.antenna(), sky.delays()
    out = {}
    for d in DETECTORS:
        fp, fc = ant[d]
        out[d] = place(fp * pol.hp + fc * pol.hc, pol.t_peak, at, n_samples, fs, dly[d])
    return out
