"""sciood.domains.gw: unmodelled gravitational-wave bursts in two interferometers (H1, L1).

The second science of sciood. Real physics libraries (the ``gw`` extra: ``pycbc``,
``lalsuite``) generate one-second windows of whitened H1/L1 strain:

* noise — coloured Gaussian noise from an analytic PSD (aLIGO design for ``sim``, O3-like for
  ``data``), whitened (:mod:`~sciood.domains.gw.noise`);
* backgrounds — Gaussian noise and four glitch classes (blip, koi fish, scattered light,
  whistle) weighted by their rates in windows per day (:mod:`~sciood.domains.gw.glitches`,
  :mod:`~sciood.domains.gw.catalogue`);
* signals — BBH mergers (IMRPhenomD), sine-Gaussians, white-noise bursts, cosmic-string cusps
  and core-collapse-like bursts, projected with antenna patterns and light-travel delays
  (:mod:`~sciood.domains.gw.sources`, :mod:`~sciood.domains.gw.projection`);
* representations — strain windows, Q-transform maps, expert features
  (:mod:`~sciood.domains.gw.represent`, :mod:`~sciood.domains.gw.features`);
* background statistics — time slides, false-alarm rates, the excess-power baseline
  (:mod:`~sciood.domains.gw.background`).

The output is an ordinary :class:`~sciood.data.EventSet`; nothing in the shared stages knows
about this package. See docs/gw.md.

Example
-------
>>> from sciood.domains.gw import generate_gw, gw_represent      # doctest: +SKIP
>>> events = generate_gw("bbh", 10, seed=1)                       # doctest: +SKIP
>>> gw_represent(events, "qmap").shape                            # doctest: +SKIP
(10, 2, 32, 64)
"""

from __future__ import annotations

from sciood.domains.gw.background import (
    FARResult,
    excess_power_score,
    excess_power_slides,
    false_alarm_rate,
    far_significance,
    slide_pairs,
    time_slides,
)
from sciood.domains.gw.catalogue import (
    BACKGROUNDS,
    PROCESSES,
    SIGNALS,
    VARIANTS,
    Process,
    Variant,
    get_process,
    get_variant,
)
from sciood.domains.gw.features import BASELINE_COLUMN, FEATURES, expert_features
from sciood.domains.gw.generate import STRAIN_COLUMNS, GWSettings, generate_gw, generate_gw_sample
from sciood.domains.gw.noise import colored_noise, design_psd, estimate_psd, optimal_snr, whiten
from sciood.domains.gw.projection import DETECTORS, Sky, light_travel_time, project
from sciood.domains.gw.qtransform import qtransform
from sciood.domains.gw.represent import REPRESENTATIONS, gw_represent, qmaps, strain_windows

__all__ = [
    "BACKGROUNDS",
    "BASELINE_COLUMN",
    "DETECTORS",
    "FEATURES",
    "PROCESSES",
    "REPRESENTATIONS",
    "SIGNALS",
    "STRAIN_COLUMNS",
    "VARIANTS",
    "FARResult",
    "GWSettings",
    "Process",
    "Sky",
    "Variant",
    "colored_noise",
    "design_psd",
    "estimate_psd",
    "excess_power_score",
    "excess_power_slides",
    "expert_features",
    "false_alarm_rate",
    "far_significance",
    "generate_gw",
    "generate_gw_sample",
    "get_process",
    "get_variant",
    "gw_represent",
    "light_travel_time",
    "optimal_snr",
    "project",
    "qmaps",
    "qtransform",
    "slide_pairs",
    "strain_windows",
    "time_slides",
    "whiten",
]
