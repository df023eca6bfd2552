"""Particle sets: pT-ordered, jet-relative constituents, zero-padded, with a mask.

Each of the two leading jets becomes a set of up to ``max_particles`` particles with the
per-particle features of the Particle Flow Network (Komiske, Metodiev, Thaler 2019):
``z = pT / ΣpT`` (momentum fraction), ``Δη`` and ``Δφ`` relative to the pT-weighted jet
centroid (φ wrapped into (-π, π]).  The mask is carried as the last channel, so a whole
event is one float array.

Example
-------
>>> import numpy as np
>>> p = np.array([[[300.0, 0.1, 0.2], [100.0, -0.1, 0.1], [0.0, 0.0, 0.0]]])
>>> m = np.array([[True, True, False]])
>>> jet_particle_features(p, m)[0, :, 0]
array([0.75, 0.25, 0.  ], dtype=float32)
"""

from __future__ import annotations

import numpy as np

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError

__all__ = ["DEFAULT_MAX_PARTICLES", "N_SET_CHANNELS", "SET_CHANNELS", "jet_centroid",
           "jet_particle_features", "particle_sets", "truncated_fraction"]

#: Channel order of a particle-set array's last axis.
SET_CHANNELS: tuple[str, ...] = ("z", "deta", "dphi", "mask")
N_SET_CHANNELS = len(SET_CHANNELS)
#: Default cap on particles per jet.  Measured on 5000 QCD dijet events (``sciood generate qcd
#: --variant sim --no-mpi``): 6.2 % of leading jets have more than 100 particles, 78 % more
#: than 30 (the old default).
DEFAULT_MAX_PARTICLES = 100


def wrap_phi(dphi: np.ndarray) -> np.ndarray:
    """Wrap angle differences into (-π, π]."""
    return (dphi + np.pi) % (2 * np.pi) - np.pi


def jet_centroid(particles: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """pT-weighted (η, φ) centroid of each jet.

    Parameters
    ----------
    particles : ndarray, shape ``(n, m, 3)``
        (pT, η, φ) per particle.
    mask : ndarray, shape ``(n, m)``, bool

    Returns
    -------
    eta_c, phi_c : ndarray, shape ``(n,)``
        φ is averaged relative to the hardest particle, so jets across ±π are handled.
    """
    pt = np.where(mask, particles[..., 0], 0.0).astype(np.float64)
    tot = pt.sum(1)
    safe = np.where(tot > 0, tot, 1.0)
    eta_c = (pt * particles[..., 1]).sum(1) / safe
    # φ of the hardest particle; jets stored with no particle slots at all give 0
    phi0 = (particles[:, 0, 2] if particles.shape[1] else np.zeros(len(particles))
            ).astype(np.float64)
    dphi = wrap_phi(particles[..., 2] - phi0[:, None])
    phi_c = wrap_phi(phi0 + (pt * dphi).sum(1) / safe)
    return eta_c, phi_c


def jet_particle_features(particles: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per-particle (z, Δη, Δφ, mask) of one jet per row.

    Parameters
    ----------
    particles : ndarray, shape ``(n, m, 3)``
    mask : ndarray, shape ``(n, m)``

    Returns
    -------
    ndarray, shape ``(n, m, 4)``, float32; padded rows are all zero.
    """
    eta_c, phi_c = jet_centroid(particles, mask)
    pt = np.where(mask, particles[..., 0], 0.0).astype(np.float64)
    tot = pt.sum(1, keepdims=True)
    out = np.zeros((*mask.shape, N_SET_CHANNELS), dtype=np.float32)
    out[..., 0] = pt / np.where(tot > 0, tot, 1.0)
    out[..., 1] = np.where(mask, particles[..., 1] - eta_c[:, None], 0.0)
    out[..., 2] = np.where(mask, wrap_phi(particles[..., 2] - phi_c[:, None]), 0.0)
    out[..., 3] = mask
    return out


def particle_sets(events: EventSet, *, max_particles: int = DEFAULT_MAX_PARTICLES
                  ) -> np.ndarray:
    """Particle sets of the two leading jets.

    Parameters
    ----------
    events : EventSet
        Must carry constituents (``j1_const_pt`` …).
    max_particles : int
        Hardest particles kept per jet (zero-padded below that; the mask channel marks the
        real ones).  See :func:`truncated_fraction` for how many jets lose particles.

    Returns
    -------
    ndarray, shape ``(n_events, 2, max_particles, 4)``, float32
        Channels :data:`SET_CHANNELS`; jet axis j1, j2 (j1 = the lighter of the two
        leading-pT jets by ungroomed mass).
    """
    if max_particles < 1:
        raise ConfigError(f"max_particles must be >= 1, got {max_particles}")
    jets = []
    for jet in (1, 2):
        p, m = events.constituents(jet, max_particles)
        jets.append(jet_particle_features(p, m))
    return np.stack(jets, axis=1)


def truncated_fraction(events: EventSet, max_particles: int = DEFAULT_MAX_PARTICLES
                       ) -> float:
    """Fraction of the two leading jets that have more than ``max_particles`` constituents.

    Parameters
    ----------
    events : EventSet
        Must carry constituents.
    max_particles : int

    Returns
    -------
    float
        Unweighted, over both jets of every event (``0`` for an empty set).
    """
    if max_particles < 1:
        raise ConfigError(f"max_particles must be >= 1, got {max_particles}")
    counts = np.concatenate([events.constituents(jet)[1].sum(1) for jet in (1, 2)])
    return float((counts > max_particles).mean()) if counts.size else 0.0
