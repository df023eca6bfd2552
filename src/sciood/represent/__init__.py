"""sciood.represent: EventSet -> model inputs.

Three representations, selected by name (:func:`represent`):

* ``"hlf"`` — high-level features, shape ``(n, d)`` (:mod:`sciood.represent.hlf`);
* ``"jets"`` — per-jet high-level features ``(n, 2, k)`` (:func:`jet_features`);
* ``"images"`` — jet images of the two leading jets, ``(n, 2, npix, npix)``
  (:mod:`sciood.represent.images`);
* ``"sets"`` — particle sets with mask channel, ``(n, 2, m, 4)`` (:mod:`sciood.represent.sets`).

Example
-------
>>> from sciood.represent import available
>>> available()
['hlf', 'images', 'jets', 'sets']
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sciood.data.eventset import EventSet
from sciood.errors import UnknownNameError
from sciood.represent.hlf import (
    FEATURE_SETS,
    JET_FEATURES,
    Gaussianizer,
    Standardizer,
    high_level_features,
    jet_features,
)
from sciood.represent.images import event_images, jet_images
from sciood.represent.sets import SET_CHANNELS, jet_particle_features, particle_sets

__all__ = [
    "FEATURE_SETS",
    "JET_FEATURES",
    "SET_CHANNELS",
    "Gaussianizer",
    "Standardizer",
    "available",
    "event_images",
    "high_level_features",
    "jet_features",
    "jet_images",
    "jet_particle_features",
    "particle_sets",
    "represent",
]

_BUILDERS = {"hlf": high_level_features, "images": event_images, "jets": jet_features,
             "sets": particle_sets}


def available() -> list[str]:
    """Names accepted by :func:`represent`."""
    return sorted(_BUILDERS)


def represent(events: EventSet, name: str, **options: Any) -> np.ndarray:
    """Build one representation of ``events``.

    Parameters
    ----------
    events : EventSet
    name : {"hlf", "images", "jets", "sets"}
    **options
        Passed to the builder (``features`` for hlf, ``templates`` for jets, ``npix`` for
        images, ``max_particles`` for sets).
    """
    if name not in _BUILDERS:
        raise UnknownNameError("representation", name, available())
    builder: Any = _BUILDERS[name]
    return np.asarray(builder(events, **options))
