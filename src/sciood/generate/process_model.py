"""A physics process as data: Pythia 8 settings, phase-space slices, selection, class name.

Every process is pp at √s = 13 TeV with hadronisation on. Multi-parton interactions (MPI)
are a per-process card setting (``mpi``), on by default. High-p̂T processes can be generated in
phase-space :class:`Slice` s (e.g. p̂T ranges), each generated separately and stitched by
weight. The built-in processes are in :mod:`sciood.generate.catalogue`; user processes are
read by :mod:`sciood.generate.process_file`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sciood.reco.selection import Selection

__all__ = ["COMMON_SETTINGS", "Process", "Slice"]

#: Settings every process shares (beam, quiet output).
COMMON_SETTINGS: tuple[str, ...] = (
    "Beams:eCM = 13000.",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Init:showProcesses = off",
    "Init:showMultipartonInteractions = off",
    "Init:showChangedSettings = off",
    "Init:showChangedParticleData = off",
    "Print:quiet = on",
    "Check:event = on",
)


@dataclass(frozen=True)
class Slice:
    """One phase-space slice of a process, generated separately and stitched by weight.

    Attributes
    ----------
    settings : tuple of str
        Extra Pythia lines for this slice (e.g. ``PhaseSpace:pTHatMin``).
    fraction : float
        Share of the requested selected events generated in this slice.
    """

    settings: tuple[str, ...] = ()
    fraction: float = 1.0


@dataclass(frozen=True)
class Process:
    """A physics process: Pythia settings + class name + selection + description."""

    name: str
    is_signal: bool
    description: str
    settings: tuple[str, ...]
    slices: tuple[Slice, ...] = (Slice(),)
    selection: Selection = field(default_factory=Selection)
    mpi: bool = True
    label: str | None = None
    notes: str = ""

    @property
    def class_name(self) -> str:
        """Class label written into the EventSet (defaults to the name)."""
        return self.label or self.name

    def pythia_settings(self, slice_index: int = 0, *, mpi: bool | None = None) -> list[str]:
        """All Pythia lines for one slice, MPI switch included."""
        use_mpi = self.mpi if mpi is None else mpi
        return [
            *COMMON_SETTINGS,
            *self.settings,
            *self.slices[slice_index].settings,
            f"PartonLevel:MPI = {'on' if use_mpi else 'off'}",
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (stored in the manifest's provenance)."""
        return {
            "name": self.name,
            "label": self.class_name,
            "is_signal": self.is_signal,
            "description": self.description,
            "settings": list(self.settings),
            "slices": [{"settings": list(s.settings), "fraction": s.fraction}
                       for s in self.slices],
            "selection": self.selection.__dict__,
            "mpi": self.mpi,
            "notes": self.notes,
        }
