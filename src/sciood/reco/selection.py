"""The event selection applied after jet clustering, with the physical range of every cut.

An event is selected when at least ``min_jets`` jets with pT > ``jet_pt_min`` lie within
|η| < ``jet_eta_max`` and the leading one has pT > ``leading_pt_min`` (the trigger).  Two
optional cuts: ``delta_eta_max`` — the two leading jets' |η₁ − η₂| below it (``None``: no
cut; CMS dijet searches use 1.3), and ``lepton_veto`` — no isolated electron or muon
(:mod:`sciood.reco.objects`; off by default, so the catalogue's selections are unchanged).  Every
sample is pp at √s = 13 TeV, so no jet carries more than the beam energy, 6500 GeV: a cut
outside :data:`SELECTION_RANGE` can pass no event (:meth:`Selection.check_physical`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sciood.errors import ConfigError

__all__ = ["BEAM_ENERGY", "DELTA_ETA_RANGE", "SELECTION_RANGE", "Selection"]

#: Beam energy [GeV] of every process (pp at √s = 13 TeV): no jet can carry more pT.
BEAM_ENERGY = 6500.0
#: Physical range of each selection cut (inclusive); outside it no event can ever pass.
SELECTION_RANGE: dict[str, tuple[float, float]] = {
    "leading_pt_min": (0.0, BEAM_ENERGY),
    "jet_eta_max": (0.1, 10.0),
    "min_jets": (2, 20),
    "jet_pt_min": (0.0, BEAM_ENERGY),
}
_SELECTION_WHY = {
    "leading_pt_min": "GeV; a jet carries at most the beam energy, 6500 GeV at √s = 13 TeV",
    "jet_eta_max": "|η| acceptance; 0.1 or more, the calorimeter ends at 4.9",
    "min_jets": "the features need the two leading jets",
    "jet_pt_min": "GeV; a jet carries at most the beam energy, 6500 GeV",
}
#: Physical range of ``delta_eta_max`` (two jets within |η| < 10 differ by less than 20).
DELTA_ETA_RANGE = (0.01, 20.0)


@dataclass(frozen=True)
class Selection:
    """Event selection applied after jet clustering.

    Attributes
    ----------
    leading_pt_min : float
        Leading jet pT threshold [GeV] (the trigger).
    jet_eta_max : float
        |η| acceptance of jets.
    min_jets : int
        Number of jets (within acceptance) required.
    jet_pt_min : float
        Minimum pT for a jet to count [GeV].
    delta_eta_max : float or None
        Upper cut on |η_j1 − η_j2| of the two leading jets; ``None`` = no cut.
    lepton_veto : bool
        Reject events with an isolated electron or muon (needs reconstructed objects: the
        parametrised detector provides them, the LHCO particle files do not).
    """

    leading_pt_min: float = 1200.0
    jet_eta_max: float = 2.5
    min_jets: int = 2
    jet_pt_min: float = 20.0
    delta_eta_max: float | None = None
    lepton_veto: bool = False

    def __post_init__(self) -> None:
        for key in SELECTION_RANGE:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer
                                                          | np.floating):
                raise ConfigError(f"selection.{key} must be a number, got {value!r}; write "
                                  f"e.g. {key} = {getattr(_DEFAULT_SELECTION, key)}")
            if not math.isfinite(float(value)):
                raise ConfigError(f"selection.{key} = {value!r} is not a finite number; no "
                                  "event could pass it: choose a value in "
                                  f"[{SELECTION_RANGE[key][0]:g}, "
                                  f"{SELECTION_RANGE[key][1]:g}] ({_SELECTION_WHY[key]})")
            if key == "min_jets" and float(value) != int(value):
                raise ConfigError(f"selection.{key} must be an integer, got {value!r}")
            object.__setattr__(self, key, int(value) if key == "min_jets" else float(value))
        if not isinstance(self.lepton_veto, bool | np.bool_):
            raise ConfigError(f"selection.lepton_veto must be true or false, got "
                              f"{self.lepton_veto!r}")
        object.__setattr__(self, "lepton_veto", bool(self.lepton_veto))
        deta = self.delta_eta_max
        if deta is not None:
            if isinstance(deta, bool) or not isinstance(deta, int | float | np.integer
                                                        | np.floating):
                raise ConfigError(f"selection.delta_eta_max must be a number or None (no cut), "
                                  f"got {deta!r}; write e.g. delta_eta_max = 1.3")
            low, high = DELTA_ETA_RANGE
            if not (math.isfinite(float(deta)) and low <= float(deta) <= high):
                raise ConfigError(f"selection.delta_eta_max = {deta!r} must be in "
                                  f"[{low:g}, {high:g}] (|Δη| of two jets; leave it out for "
                                  "no cut)")
            object.__setattr__(self, "delta_eta_max", float(deta))

    def check_physical(self) -> None:
        """Refuse cuts no generated event can pass (generation would never finish).

        Raises
        ------
        ConfigError
            Naming the cut, its physical range and why.
        """
        for key, (low, high) in SELECTION_RANGE.items():
            value = getattr(self, key)
            if not low <= value <= high:
                raise ConfigError(
                    f"selection.{key} = {value!r} is outside the physical range "
                    f"[{low:g}, {high:g}] ({_SELECTION_WHY[key]}); no event could pass it, "
                    "so generation would never finish: choose a value in that range")


_DEFAULT_SELECTION = Selection()
