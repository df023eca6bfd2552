"""Soft-drop groomed jet mass (FastJet's ``exclusive_jets_softdrop_grooming``).

Each jet's constituents are reclustered with Cambridge/Aachen; the clustering history is
unwound, dropping the softer branch while min(pT1, pT2)/(pT1 + pT2) < z_cut · (ΔR12/R0)^β;
the groomed mass is the mass of what remains.  Defaults: β = 0, z_cut = 0.1, R0 = 1.0
(β = 0 is the modified mass-drop tagger).
"""

from __future__ import annotations

import numpy as np

from sciood.reco._fastjet import R0, RECLUSTER_R, modules, momenta

__all__ = ["softdrop_mass"]


def softdrop_mass(counts: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray,
                  e: np.ndarray, *, beta: float = 0.0, z_cut: float = 0.1) -> np.ndarray:
    """Soft-drop groomed mass of many jets (C/A reclustering, R0 = 1.0).

    Parameters
    ----------
    counts : ndarray, shape ``(n_jets,)``
        Constituents per jet.
    px, py, pz, e : ndarray, shape ``(sum(counts),)``
        Constituent four-momenta, jet-contiguous.
    beta, z_cut : float
        Soft-drop angular exponent and momentum-fraction cut.

    Returns
    -------
    ndarray, shape ``(n_jets,)``
        Non-negative. FastJet reports ``-sqrt(-m^2)`` when rounding makes the groomed
        four-vector's ``m^2`` slightly negative (a one- or two-particle massless groomed jet);
        that is a mass of zero, so it is clipped at 0.
    """
    ak, fastjet = modules()
    parts = ak.unflatten(momenta(ak, px, py, pz, e), counts)
    jetdef = fastjet.JetDefinition(fastjet.cambridge_algorithm, RECLUSTER_R)
    cs = fastjet.ClusterSequence(parts, jetdef)
    groomed = cs.exclusive_jets_softdrop_grooming(njets=1, beta=beta, symmetry_cut=z_cut, R0=R0)
    mass = np.asarray(ak.to_numpy(groomed.msoftdrop), dtype=np.float64)
    return np.maximum(mass, 0.0)
