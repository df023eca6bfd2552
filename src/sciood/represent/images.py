"""Jet images: pT-weighted η-φ histograms, centred, rotated and flipped.

Preprocessing follows the standard jet-image recipe (de Oliveira et al. 2016, Macaluso &
Shih 2018): translate to the pT-weighted centroid, rotate so the principal axis of the
pT-weighted inertia tensor is vertical, flip so the half-plane with more pT lies at
positive x and positive y, pixelate on an ``npix × npix`` grid of half-width ``extent``,
and normalise each image to unit total intensity.

Example
-------
>>> import numpy as np
>>> p = np.array([[[300.0, 0.0, 0.0], [100.0, 0.3, 0.0]]])
>>> img = jet_images(p, np.ones((1, 2), bool), npix=8)
>>> img.shape, float(img.sum())
((1, 8, 8), 1.0)
"""

from __future__ import annotations

import numpy as np

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError
from sciood.represent.sets import jet_centroid, wrap_phi

__all__ = ["event_images", "jet_images"]


def jet_images(
    particles: np.ndarray,
    mask: np.ndarray,
    *,
    npix: int = 32,
    extent: float = 1.0,
    rotate: bool = True,
) -> np.ndarray:
    """Pixelate jets.

    Parameters
    ----------
    particles : ndarray, shape ``(n, m, 3)``
        (pT, η, φ) per particle.
    mask : ndarray, shape ``(n, m)``, bool
    npix : int
        Pixels per side.
    extent : float
        Half-width of the image in η and φ (the jet radius for R = 1.0 jets).
    rotate : bool
        Rotate to the principal axis and flip (default True).

    Returns
    -------
    ndarray, shape ``(n, npix, npix)``, float32
        Axis 1 is the (rotated) η direction, axis 2 the φ direction; rows sum to 1
        (all-zero for jets without particles).
    """
    if npix < 2 or extent <= 0:
        raise ConfigError(f"need npix >= 2 and extent > 0, got npix={npix}, extent={extent}")
    n = len(particles)
    eta_c, phi_c = jet_centroid(particles, mask)
    pt = np.where(mask, particles[..., 0], 0.0).astype(np.float64)
    x = np.where(mask, particles[..., 1] - eta_c[:, None], 0.0)
    y = np.where(mask, wrap_phi(particles[..., 2] - phi_c[:, None]), 0.0)
    if rotate:
        sxx = (pt * x * x).sum(1)
        syy = (pt * y * y).sum(1)
        sxy = (pt * x * y).sum(1)
        # angle of the principal axis; rotate it onto the y (vertical) direction
        theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)
        ang = np.pi / 2 - theta
        c, s = np.cos(ang)[:, None], np.sin(ang)[:, None]
        x, y = c * x - s * y, s * x + c * y
        # flip so the half-plane carrying more pT lies at positive coordinates
        fx = np.where((pt * np.sign(x)).sum(1) < 0, -1.0, 1.0)[:, None]
        fy = np.where((pt * np.sign(y)).sum(1) < 0, -1.0, 1.0)[:, None]
        x, y = x * fx, y * fy
    ix = np.floor((x + extent) / (2 * extent) * npix).astype(np.int64)
    iy = np.floor((y + extent) / (2 * extent) * npix).astype(np.int64)
    ok = mask & (ix >= 0) & (ix < npix) & (iy >= 0) & (iy < npix) & (pt > 0)
    rows = np.broadcast_to(np.arange(n)[:, None], mask.shape)
    flat = np.zeros(n * npix * npix, dtype=np.float64)
    np.add.at(flat, (rows[ok] * npix + ix[ok]) * npix + iy[ok], pt[ok])
    img = flat.reshape(n, npix, npix)
    tot = img.sum((1, 2), keepdims=True)
    img = img / np.where(tot > 0, tot, 1.0)
    return img.astype(np.float32)


def event_images(
    events: EventSet,
    *,
    npix: int = 32,
    extent: float = 1.0,
    max_particles: int = 200,
    rotate: bool = True,
) -> np.ndarray:
    """Jet images of the two leading jets.

    Returns
    -------
    ndarray, shape ``(n_events, 2, npix, npix)``, float32
        Jet axis: j1, j2 (j1 = the lighter of the two leading-pT jets by ungroomed mass).
    """
    out = []
    for jet in (1, 2):
        p, m = events.constituents(jet, max_particles)
        out.append(jet_images(p, m, npix=npix, extent=extent, rotate=rotate))
    return np.stack(out, axis=1)
