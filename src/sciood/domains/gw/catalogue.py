"""The GW process catalogue (background classes with rates, signal families) and variants.

An event is one window of ``duration`` seconds seen by H1 and L1. Background classes are
detector noise with, at most, one glitch in one detector; their weight is the expected number
of such windows **per day** (rate / generated), so a weighted count of background windows above
a threshold *is* a false-alarm rate per day. Signal families have no known rate: each family's
weights sum to 1 (weight = 1 / generated), so a weighted count of signal above a threshold is
the detection efficiency.

Rates (per day, ``sim``) are O3-like orders of magnitude from Gravity Spy: scattered light
the most common glitch, whistles rare, koi fish rarer than blips. The ``data`` variant swaps
the design PSD for an O3-like one and changes the glitch rates (×1.5 blips, ×3 scattered
light in a high-microseism week, ×0.5 whistles).

Example
-------
>>> sorted(VARIANTS)
['data', 'sim']
>>> PROCESSES["blip"].rate("sim"), PROCESSES["blip"].rate("data")
(40.0, 60.0)
"""

from __future__ import annotations

from dataclasses import dataclass

from sciood.errors import UnknownNameError

__all__ = ["BACKGROUNDS", "PROCESSES", "SIGNALS", "VARIANTS", "Process", "Variant",
           "get_process", "get_variant"]


@dataclass(frozen=True)
class Variant:
    """A simulation setting of the detectors.

    Attributes
    ----------
    name : str
    psd : str
        PSD alias or lalsimulation name (:data:`sciood.domains.gw.noise.PSD_NAMES`).
    rate_scale : dict
        Glitch-rate multipliers by class (missing = 1).
    description : str
    """

    name: str
    psd: str
    rate_scale: dict[str, float]
    description: str


VARIANTS: dict[str, Variant] = {
    "sim": Variant("sim", "design", {}, "aLIGO design (zero-detuned high power), nominal "
                   "glitch rates"),
    "data": Variant("data", "o3", {"blip": 1.5, "scattered_light": 3.0, "whistle": 0.5},
                    "O3-like PSD (aLIGOO3LowT1800545), more blips and scattered light, "
                    "fewer whistles"),
}


@dataclass(frozen=True)
class Process:
    """One class of windows.

    Attributes
    ----------
    name : str
    kind : {"noise", "glitch", "signal"}
    rate_per_day : float
        Background windows of this class per day (``sim``); 0 for signals.
    description : str
    """

    name: str
    kind: str
    rate_per_day: float
    description: str

    @property
    def is_signal(self) -> bool:
        """Whether this is a signal family."""
        return self.kind == "signal"

    def rate(self, variant: str) -> float:
        """Rate per day in ``variant`` (glitch multipliers applied)."""
        return self.rate_per_day * get_variant(variant).rate_scale.get(self.name, 1.0)


_WINDOWS_PER_DAY = 86400.0  # 1-s windows; scaled by the window length in generate_gw

PROCESSES: dict[str, Process] = {p.name: p for p in (
    Process("gaussian", "noise", _WINDOWS_PER_DAY, "stationary Gaussian noise (no glitch)"),
    Process("blip", "glitch", 40.0, "blip: short low-Q sine-Gaussian, one detector"),
    Process("koi_fish", "glitch", 4.0, "koi fish: very loud broadband pulse, one detector"),
    Process("scattered_light", "glitch", 100.0, "scattered light: low-frequency arches"),
    Process("whistle", "glitch", 3.0, "whistle: V-shaped chirping line (hundreds of Hz)"),
    Process("bbh", "signal", 0.0, "binary black-hole merger (IMRPhenomD), both detectors"),
    Process("sine_gaussian", "signal", 0.0, "sine-Gaussian burst, both detectors"),
    Process("white_noise_burst", "signal", 0.0, "band- and time-limited white-noise burst"),
    Process("cosmic_string_cusp", "signal", 0.0, "cosmic-string cusp"),
    Process("ccsn", "signal", 0.0, "core-collapse-like stochastic burst"),
)}
#: Background class names (noise and glitches).
BACKGROUNDS = tuple(n for n, p in PROCESSES.items() if not p.is_signal)
#: Signal family names.
SIGNALS = tuple(n for n, p in PROCESSES.items() if p.is_signal)


def get_process(name: str) -> Process:
    """The process ``name``; an unknown name lists the valid ones."""
    if name not in PROCESSES:
        raise UnknownNameError("GW process", name, sorted(PROCESSES))
    return PROCESSES[name]


def get_variant(name: str) -> Variant:
    """The variant ``name`` (``"sim"`` or ``"data"``)."""
    if name not in VARIANTS:
        raise UnknownNameError("GW variant", name, sorted(VARIANTS))
    return VARIANTS[name]
