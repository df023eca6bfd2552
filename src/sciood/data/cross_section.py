"""The generator's cross-section of a process, read from an event set's provenance."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["generated_cross_section_fb"]


def _parts(provenance: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every leaf provenance record (``EventSet.concat`` nests them under ``parts``)."""
    parts = provenance.get("parts")
    if isinstance(parts, list):
        for p in parts:
            if isinstance(p, Mapping):
                yield from _parts(p)
    else:
        yield provenance


def generated_cross_section_fb(provenance: Mapping[str, Any], label: str) -> float | None:
    """Pythia's cross-section [fb] of the generated process labelled ``label``.

    The sum over the process's p̂T slices of ``sigma_fb`` — the cross-section of the hard
    process with its forced decays (Pythia reduces σ by the open branching fractions, so
    this is σ × BR), *before* the event selection.  Several samples of one process (seeds,
    resumed runs) are averaged with their generated counts as weights.

    Parameters
    ----------
    provenance : mapping
        :attr:`EventSet.provenance` (a generated sample's, or a concatenation's).
    label : str
        The class label of the process.

    Returns
    -------
    float or None
        ``None`` when no generated sample of ``label`` is recorded (e.g. events read from
        the user's files).
    """
    total, weight = 0.0, 0.0
    for part in _parts(provenance):
        proc = part.get("process")
        if part.get("kind") != "generated" or not isinstance(proc, Mapping) \
                or proc.get("label") != label:
            continue
        slices = part.get("slices") or []
        sigma = sum(float(s["sigma_fb"]) for s in slices)
        n = sum(float(s.get("n_generated", 1.0)) for s in slices)
        if slices and sigma > 0.0 and n > 0.0:
            total += sigma * n
            weight += n
    return total / weight if weight > 0.0 else None
