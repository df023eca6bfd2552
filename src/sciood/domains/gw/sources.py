"""Astrophysical sources: the two polarisations at the Earth, with a physical amplitude.

Every source function takes a :class:`numpy.random.Generator` (its parameters are drawn from
it, documented per family) and returns a :class:`Polarisations` — ``h₊``, ``h×`` sampled at
``fs``, the time of the peak inside the arrays and the drawn parameters. The amplitude is
physical: ``h_rss = sqrt(∫ (h₊² + h×²) dt)`` for bursts (drawn log-uniform in the family's
range), the luminosity distance for binary black holes (``h_rss`` is then computed).

=====================  ============================================================================
family                 waveform (library) and parameter ranges
=====================  ============================================================================
``bbh``                IMRPhenomD (lalsimulation via ``pycbc.waveform.get_td_waveform``);
                       source-frame masses m₁, m₂ ~ U(10, 60) M☉, aligned spins
                       χ ~ U(−0.5, 0.5), distance log-U(150, 3000) Mpc, cos ι ~ U(−1, 1),
                       coalescence phase ~ U(0, 2π)
``sine_gaussian``      ``lalsimulation.SimBurstSineGaussian``; f₀ log-U(50, 700) Hz, Q ~ U(3, 30),
                       eccentricity ~ U(0, 1), h_rss log-U(2e-23, 2e-21)
``white_noise_burst``  ``lalsimulation.GenerateBandAndTimeLimitedWhiteNoiseBurst``; duration
                       log-U(5, 100) ms (at least 0.7 / Δf), band [f, f + Δf] with
                       f ~ U(40, 500), Δf ~ U(50, 400) Hz, h_rss log-U(2e-23, 2e-21)
``cosmic_string_cusp`` ``lalsimulation.GenerateStringCusp`` (|f|^(-4/3), linearly polarised),
                       high-passed at 10–15 Hz so that h_rss counts observable content only;
                       high-frequency cut-off log-U(80, 1000) Hz, h_rss log-U(2e-23, 2e-21)
``ccsn``               core-collapse-like stochastic burst (numpy): a g-mode track rising from
                       f₀ ~ U(100, 300) to f₁ ~ U(600, 1000) Hz over T ~ U(0.2, 0.6) s with a random
                       positive amplitude modulation, plus a 80–250 Hz stochastic (SASI-like)
                       component; independent realisations in ``h₊`` and ``h×``; h_rss
                       log-U(2e-23, 2e-21)
=====================  ============================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sciood.domains.gw import _lib
from sciood.domains.gw.noise import F_LOW

__all__ = ["HRSS_RANGE", "SOURCES", "Polarisations", "hrss", "log_uniform"]

#: h_rss range of the burst families (log-uniform), strain · s^½.
HRSS_RANGE = (2e-23, 2e-21)


@dataclass(frozen=True)
class Polarisations:
    """``h₊`` and ``h×`` of one source at the Earth.

    Attributes
    ----------
    hp, hc : ndarray, shape ``(m,)``
        Strain, sampled at the generator's ``fs``.
    t_peak : float
        Time of the peak (merger, burst centre) from the first sample, seconds.
    params : dict
        Drawn parameters (``h_rss`` always; ``distance_mpc``, masses, … per family).
    """

    hp: np.ndarray
    hc: np.ndarray
    t_peak: float
    params: dict[str, float] = field(default_factory=dict)


def log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    """One draw, log-uniform in ``[lo, hi]``."""
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def hrss(hp: np.ndarray, hc: np.ndarray, fs: float) -> float:
    """Root-sum-square strain ``sqrt(∫ (h₊² + h×²) dt)``."""
    return float(np.sqrt((np.sum(np.square(hp)) + np.sum(np.square(hc))) / fs))


def _scaled(hp: np.ndarray, hc: np.ndarray, t_peak: float, fs: float, target: float,
            params: dict[str, float]) -> Polarisations:
    scale = target / max(hrss(hp, hc, fs), 1e-300)
    return Polarisations(hp * scale, hc * scale, t_peak, {**params, "h_rss": target})


def _lal_pair(pair: tuple[object, object]) -> tuple[np.ndarray, np.ndarray, float]:
    hp, hc = pair
    epoch = float(hp.epoch)  # type: ignore[attr-defined]
    return (np.array(hp.data.data, dtype=np.float64),  # type: ignore[attr-defined]
            np.array(hc.data.data, dtype=np.float64), -epoch)  # type: ignore[attr-defined]


def bbh(rng: np.random.Generator, fs: float) -> Polarisations:
    """Binary black-hole merger (IMRPhenomD), amplitude set by the luminosity distance."""
    m1, m2 = sorted(rng.uniform(10.0, 60.0, size=2))[::-1]
    params = {"mass1": float(m1), "mass2": float(m2),
              "spin1z": float(rng.uniform(-0.5, 0.5)), "spin2z": float(rng.uniform(-0.5, 0.5)),
              "distance_mpc": log_uniform(rng, 150.0, 3000.0),
              "inclination": float(np.arccos(rng.uniform(-1.0, 1.0))),
              "coa_phase": float(rng.uniform(0.0, 2.0 * np.pi))}
    hp, hc = bbh_polarisations(params, fs)
    t_peak = -float(hp.start_time)
    a, b = np.asarray(hp.numpy(), dtype=np.float64), np.asarray(hc.numpy(), dtype=np.float64)
    return Polarisations(a, b, t_peak, {**params, "h_rss": hrss(a, b, fs)})


def bbh_polarisations(params: dict[str, float], fs: float,
                      approximant: str = "IMRPhenomD") -> tuple[Any, Any]:
    """``(h₊, h×)`` pycbc ``TimeSeries`` of a BBH (merger at t = 0), from ``F_LOW − 5`` Hz.

    Parameters
    ----------
    params : dict
        ``mass1``, ``mass2`` (M☉), ``spin1z``, ``spin2z``, ``distance_mpc``,
        ``inclination``, ``coa_phase``.
    fs : float
    approximant : str
        Any lalsimulation time-domain approximant (``"IMRPhenomXPHM"`` with precession).
    """
    wf = _lib.pycbc_waveform()
    return wf.get_td_waveform(
        approximant=approximant, mass1=params["mass1"], mass2=params["mass2"],
        spin1z=params["spin1z"], spin2z=params["spin2z"], distance=params["distance_mpc"],
        inclination=params["inclination"], coa_phase=params["coa_phase"],
        delta_t=1.0 / fs, f_lower=F_LOW - 5.0)


def sine_gaussian(rng: np.random.Generator, fs: float) -> Polarisations:
    """Elliptically polarised sine-Gaussian burst (lalsimulation)."""
    ls = _lib.lalsimulation()
    f0 = log_uniform(rng, 50.0, min(700.0, 0.4 * fs))
    q = float(rng.uniform(3.0, 30.0))
    ecc = float(rng.uniform(0.0, 1.0))
    target = log_uniform(rng, *HRSS_RANGE)
    hp, hc, t0 = _lal_pair(ls.SimBurstSineGaussian(q, f0, target, ecc, 0.0, 1.0 / fs))
    return _scaled(hp, hc, t0, fs, target, {"frequency": f0, "q": q, "eccentricity": ecc})


def white_noise_burst(rng: np.random.Generator, fs: float) -> Polarisations:
    """Band- and time-limited white-noise burst (lalsimulation; GSL RNG seeded from ``rng``)."""
    lal, ls = _lib.lal(), _lib.lalsimulation()
    duration = log_uniform(rng, 0.005, 0.1)
    f_lo = float(rng.uniform(40.0, 500.0))
    bandwidth = float(min(rng.uniform(50.0, 400.0), 0.45 * fs - f_lo))
    duration = max(duration, 0.7 / bandwidth)  # lalsimulation needs duration·bandwidth ≥ 2/π
    target = log_uniform(rng, *HRSS_RANGE)
    gsl = lal.gsl_rng("ranlux", int(rng.integers(1, 2**31 - 1)))
    pair = ls.GenerateBandAndTimeLimitedWhiteNoiseBurst(
        duration, f_lo + bandwidth / 2.0, bandwidth, 0.0, 0.0, 1e-40, 1.0 / fs, gsl)
    hp, hc, t0 = _lal_pair(pair)
    return _scaled(hp, hc, t0, fs, target, {"duration": duration, "frequency": f_lo,
                                            "bandwidth": bandwidth})


def cosmic_string_cusp(rng: np.random.Generator, fs: float) -> Polarisations:
    """Cosmic-string cusp (lalsimulation; |f|^(-4/3) up to a high-frequency cut-off)."""
    ls = _lib.lalsimulation()
    f_high = log_uniform(rng, 80.0, min(1000.0, 0.45 * fs))
    target = log_uniform(rng, *HRSS_RANGE)
    hp, hc, t0 = _lal_pair(ls.GenerateStringCusp(1.0, f_high, 1.0 / fs))
    keep = slice(max(0, int((t0 - 0.5) * fs)), int((t0 + 0.5) * fs))  # 1 s around the cusp
    start = keep.start
    hp, hc = _highpass(hp[keep], fs), _highpass(hc[keep], fs)
    return _scaled(hp, hc, t0 - start / fs, fs, target, {"frequency": f_high})


def _highpass(h: np.ndarray, fs: float) -> np.ndarray:
    """Remove content below ``F_LOW − 5`` Hz (cos² roll-on over 5 Hz): h_rss is in band."""
    f = np.fft.rfftfreq(h.size, 1.0 / fs)
    gain = np.sin(0.5 * np.pi * np.clip((f - F_LOW + 10.0) / 5.0, 0.0, 1.0)) ** 2
    return np.fft.irfft(np.fft.rfft(h) * gain, n=h.size)


def _smooth_noise(rng: np.random.Generator, n: int, fs: float, f_cut: float) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    spec[np.fft.rfftfreq(n, 1.0 / fs) > f_cut] = 0.0
    out = np.fft.irfft(spec, n=n)
    return out / max(float(out.std()), 1e-300)


def _ccsn_polarisation(rng: np.random.Generator, t: np.ndarray, fs: float, f0: float,
                       f1: float, dur: float) -> np.ndarray:
    n = t.size
    x = np.clip(t / dur, 0.0, 1.0)
    freq = f0 + (f1 - f0) * x**1.5
    walk = 0.3 * np.cumsum(rng.standard_normal(n)) / np.sqrt(fs)  # stochastic phase drift
    phase = 2.0 * np.pi * np.cumsum(freq) / fs + walk
    window = np.sin(np.pi * x) ** 2
    env = np.abs(_smooth_noise(rng, n, fs, 40.0)) * window
    sasi_spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    sasi_spec[(f < 80.0) | (f > 250.0)] = 0.0
    sasi = np.fft.irfft(sasi_spec, n=n)
    sasi *= window / max(float(sasi.std()), 1e-300)
    return env * np.cos(phase) + 0.5 * sasi


def ccsn(rng: np.random.Generator, fs: float) -> Polarisations:
    """Core-collapse-like stochastic burst: rising g-mode track plus SASI-like noise."""
    f0 = float(rng.uniform(100.0, 300.0))
    f1 = float(min(rng.uniform(600.0, 1000.0), 0.45 * fs))
    dur = float(rng.uniform(0.2, 0.6))
    t = np.arange(int(dur * fs) + 1) / fs
    hp = _ccsn_polarisation(rng, t, fs, f0, f1, dur)
    hc = _ccsn_polarisation(rng, t, fs, f0, f1, dur)
    target = log_uniform(rng, *HRSS_RANGE)
    return _scaled(hp, hc, dur / 2.0, fs, target, {"frequency": f0, "frequency_end": f1,
                                                   "duration": dur})


#: Signal family name → source function ``(rng, fs) -> Polarisations``.
SOURCES: dict[str, Callable[[np.random.Generator, float], Polarisations]] = {
    "bbh": bbh,
    "sine_gaussian": sine_gaussian,
    "white_noise_burst": white_noise_burst,
    "cosmic_string_cusp": cosmic_string_cusp,
    "ccsn": ccsn,
}
