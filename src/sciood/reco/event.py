"""The reconstructed-event batch: massless particles (tracks, towers, ...) grouped by event.

Every producer of detector-level particles — the parametrised detector
(:func:`sciood.generate.detector.simulate`), the LHCO low-level reader — hands jet clustering
(:func:`sciood.reco.jets.cluster_and_select`) one of these.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Reconstructed"]


@dataclass
class Reconstructed:
    """Reconstructed particles (tracks + towers), flat, grouped by event.

    Attributes
    ----------
    counts : ndarray, shape ``(n_events,)``
        Particles per event.
    px, py, pz, e : ndarray, shape ``(n_objects,)``
        Massless four-momenta [GeV], event-contiguous (``n_objects = counts.sum()``).
    """

    counts: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray

    @classmethod
    def from_pt_eta_phi(cls, counts: np.ndarray, pt: np.ndarray, eta: np.ndarray,
                        phi: np.ndarray) -> Reconstructed:
        """Massless particles from (pT, η, φ).

        Parameters
        ----------
        counts : ndarray of int, shape ``(n_events,)``
            Particles per event.
        pt, eta, phi : ndarray, shape ``(counts.sum(),)``
            Event-contiguous transverse momentum [GeV], pseudorapidity and azimuth.

        Returns
        -------
        Reconstructed
            ``px = pT cos φ``, ``py = pT sin φ``, ``pz = pT sinh η``, ``E = pT cosh η``.
        """
        return cls(counts=counts, px=pt * np.cos(phi), py=pt * np.sin(phi),
                   pz=pt * np.sinh(eta), e=pt * np.cosh(eta))
