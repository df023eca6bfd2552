"""Glitch classes: non-Gaussian, single-detector noise transients (the weighted backgrounds).

Each class is a parametrised waveform in *one* interferometer (H1 or L1, equally likely),
scaled to an optimal SNR drawn log-uniform in the class's range against that detector's PSD.
Shapes follow the Gravity Spy morphologies; rates (per day of 1-detector-pair livetime) are the
class weights of :mod:`sciood.domains.gw.catalogue`.

===================  ==========================================================================
class                waveform and parameter ranges
===================  ==========================================================================
``blip``             short sine-Gaussian (lalsimulation): f₀ log-U(40, 300) Hz, Q ~ U(2, 6),
                     SNR log-U(7.5, 100)
``koi_fish``         loud broadband pulse: a Gaussian-enveloped sine with Q ~ U(0.7, 1.5),
                     f₀ ~ U(40, 150) Hz, SNR log-U(100, 2000)
``scattered_light``  stacked arches: ``f(t) = k f_top |cos(π (t − t₀) / T)|`` for harmonics
                     k = 1…n (n ∈ {1, 2, 3}, amplitude 1/k), f_top ~ U(25, 60) Hz, arch length
                     T ~ U(0.4, 1.2) s; SNR log-U(8, 80)
``whistle``          V-shaped chirping line: ``f(t) = f_min + D ((t − t₀)/(T/2))²`` with
                     f_min ~ U(300, 600) Hz, D ~ U(150, 350) Hz, T ~ U(0.2, 0.5) s; SNR
                     log-U(8, 60)
===================  ==========================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sciood.domains.gw import _lib
from sciood.domains.gw.sources import log_uniform

__all__ = ["GLITCHES", "Glitch"]


@dataclass(frozen=True)
class Glitch:
    """One glitch waveform (arbitrary amplitude; the generator scales it to ``snr``).

    Attributes
    ----------
    h : ndarray, shape ``(m,)``
        Strain shape at ``fs``.
    t_peak : float
        Time of the glitch centre from the first sample, seconds.
    snr : float
        Target optimal SNR in its detector.
    params : dict
        Drawn parameters.
    """

    h: np.ndarray
    t_peak: float
    snr: float
    params: dict[str, float] = field(default_factory=dict)


def _envelope_sine(t: np.ndarray, f0: float, q: float, phase: float) -> np.ndarray:
    tau = q / (np.sqrt(2.0) * np.pi * f0)
    return np.exp(-(t / tau) ** 2) * np.cos(2.0 * np.pi * f0 * t + phase)


def blip(rng: np.random.Generator, fs: float) -> Glitch:
    """Blip: a short, low-Q sine-Gaussian."""
    ls = _lib.lalsimulation()
    f0 = log_uniform(rng, 40.0, 300.0)
    q = float(rng.uniform(2.0, 6.0))
    hp, _ = ls.SimBurstSineGaussian(q, f0, 1e-22, 1.0, float(rng.uniform(0, 2 * np.pi)), 1 / fs)
    h = np.array(hp.data.data, dtype=np.float64)
    return Glitch(h, -float(hp.epoch), log_uniform(rng, 7.5, 100.0),
                  {"frequency": f0, "q": q})


def koi_fish(rng: np.random.Generator, fs: float) -> Glitch:
    """Koi fish: a very loud, very short broadband pulse."""
    f0 = float(rng.uniform(40.0, 150.0))
    q = float(rng.uniform(0.7, 1.5))
    t = np.arange(-0.1, 0.1, 1.0 / fs)
    h = _envelope_sine(t, f0, q, float(rng.uniform(0, 2 * np.pi)))
    return Glitch(h, 0.1, log_uniform(rng, 100.0, 2000.0), {"frequency": f0, "q": q})


def scattered_light(rng: np.random.Generator, fs: float) -> Glitch:
    """Scattered light: low-frequency arches (fringe wrapping of a moving scatterer)."""
    f_top = float(rng.uniform(25.0, 60.0))
    arch = float(rng.uniform(0.4, 1.2))
    n_harm = int(rng.integers(1, 4))
    t = np.arange(-0.75, 0.75, 1.0 / fs)
    base = f_top * np.abs(np.cos(np.pi * t / arch))
    window = np.cos(0.5 * np.pi * np.clip(t / 0.75, -1, 1)) ** 2
    h = np.zeros_like(t)
    for k in range(1, n_harm + 1):
        phase = 2.0 * np.pi * np.cumsum(k * base) / fs + rng.uniform(0, 2 * np.pi)
        h += np.cos(phase) / k
    return Glitch(h * window, 0.75, log_uniform(rng, 8.0, 80.0),
                  {"frequency": f_top, "duration": arch, "harmonics": float(n_harm)})


def whistle(rng: np.random.Generator, fs: float) -> Glitch:
    """Whistle: a V-shaped line sweeping through a few hundred Hz (RF beat notes)."""
    f_min = float(rng.uniform(300.0, min(600.0, 0.3 * fs)))
    depth = float(rng.uniform(150.0, 350.0))
    dur = float(rng.uniform(0.2, 0.5))
    t = np.arange(-dur / 2, dur / 2, 1.0 / fs)
    freq = np.minimum(f_min + depth * (t / (dur / 2)) ** 2, 0.45 * fs)
    phase = 2.0 * np.pi * np.cumsum(freq) / fs + rng.uniform(0, 2 * np.pi)
    window = np.sin(np.pi * (t / dur + 0.5)) ** 2
    return Glitch(np.cos(phase) * window, dur / 2, log_uniform(rng, 8.0, 60.0),
                  {"frequency": f_min, "bandwidth": depth, "duration": dur})


#: Glitch class name → waveform function ``(rng, fs) -> Glitch``.
GLITCHES: dict[str, Callable[[np.random.Generator, float], Glitch]] = {
    "blip": blip,
    "koi_fish": koi_fish,
    "scattered_light": scattered_light,
    "whistle": whistle,
}
