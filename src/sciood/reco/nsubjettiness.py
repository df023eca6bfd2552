"""N-subjettiness τ_N of many jets at once (FastJet exclusive-kT axes).

τ_N = Σ_i pT_i · min_k ΔR(i, a_k) / (Σ_i pT_i · R0), with β = 1 and R0 = 1.0; the sums run
over the jet's constituents i; the axes a_k are the N exclusive-kT jets from reclustering the
jet's own constituents (E-scheme, radius large enough that nothing merges with the beam, as
fjcontrib's ``KT_Axes``); ΔR² = Δy² + Δφ² (rapidity, not η).  A jet with ≤ N constituents has
τ_N = 0 exactly (each constituent is an axis).
"""

from __future__ import annotations

import warnings

import numpy as np

from sciood.reco._fastjet import R0, RECLUSTER_R, flat, modules, momenta
from sciood.reco.kinematics import delta_phi, kinematics

__all__ = ["nsubjettiness"]


def nsubjettiness(
    counts: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray,
    n_max: int = 3,
) -> np.ndarray:
    """τ_1..τ_n_max of many jets at once (definition in the module docstring).

    Parameters
    ----------
    counts : ndarray, shape ``(n_jets,)``
        Constituents per jet.
    px, py, pz, e : ndarray, shape ``(sum(counts),)``
        Constituent four-momenta, jet-contiguous.
    n_max : int
        Highest N.

    Returns
    -------
    ndarray, shape ``(n_jets, n_max)``
        Column ``N − 1`` holds τ_N.
    """
    ak, fastjet = modules()
    n_jets = len(counts)
    jet_of = np.repeat(np.arange(n_jets), counts)
    c = kinematics(px, py, pz, e)
    norm = np.bincount(jet_of, weights=c["pt"], minlength=n_jets) * R0
    out = np.zeros((n_jets, n_max))
    jetdef = fastjet.JetDefinition(fastjet.kt_algorithm, RECLUSTER_R)
    for n in range(1, n_max + 1):
        big = counts > n
        if not big.any():
            continue
        keep = big[jet_of]
        parts = ak.unflatten(
            momenta(ak, px[keep], py[keep], pz[keep], e[keep]), counts[big])
        cs = fastjet.ClusterSequence(parts, jetdef)
        with warnings.catch_warnings():  # fastjet warns generically; kT exclusive is exact
            warnings.simplefilter("ignore", UserWarning)
            axes = cs.exclusive_jets(n_jets=n, dcut=-1)
        a = kinematics(*(flat(ak, axes[f]).reshape(-1, n) for f in ("px", "py", "pz", "E")))
        jets_big = np.flatnonzero(big)
        local = np.repeat(np.arange(len(jets_big)), counts[big])
        dy = c["rap"][keep][:, None] - a["rap"][local]
        dphi = delta_phi(c["phi"][keep][:, None], a["phi"][local])
        dmin = np.sqrt(np.min(dy**2 + dphi**2, axis=1))
        num = np.bincount(local, weights=c["pt"][keep] * dmin, minlength=len(jets_big))
        out[jets_big, n - 1] = num / norm[jets_big]
    return out
