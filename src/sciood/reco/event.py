"""The reconstructed-event batch: massless particles (tracks, towers, ...) grouped by event.

Every producer of detector-level particles — the parametrised detector
(:func:`sciood.generate.detector.simulate`), the LHCO low-level reader — hands jet clustering
(:func:`sciood.reco.jets.cluster_and_select`) one of these.  Beside the particles that jets are
clustered from, a batch may carry (all optional, ``None`` for the LHCO particles):

* ``objects`` — isolated electrons, muons, photons and the missing transverse momentum
  (:class:`~sciood.reco.objects.EventObjects`); the isolated objects are *not* among the
  particles, so they never enter a jet;
* ``truth`` — hard-process truth (W, Z, top, b-hadrons; :class:`~sciood.reco.truth.TruthParticles`)
  for the per-jet truth labels;
* ``jet_response`` — per-jet energy/mass scale and resolution factors of a systematic card
  (:class:`JetResponse`), applied by clustering.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sciood.reco.objects import EventObjects
from sciood.reco.truth import TruthParticles

__all__ = ["JET_RESPONSE_RANKS", "JetResponse", "Reconstructed"]

#: Jets per event (by decreasing pT) a :class:`JetResponse` holds factors for; softer jets
#: keep factor 1 (a jet ranked below the eighth cannot become one of the two leading ones
#: through a resolution smear of a few per cent).
JET_RESPONSE_RANKS = 8


@dataclass
class JetResponse:
    """Per-jet multiplicative factors of a jet systematic card (JER, JMS, JMR).

    Attributes
    ----------
    pt_factor : ndarray, shape ``(n_events, JET_RESPONSE_RANKS)``
        Multiplies the whole four-momentum (and the constituents) of the jet of that pT rank
        (before the selection): pT and mass scale together, as a jet-energy smear does.
    mass_factor : ndarray, shape ``(n_events, JET_RESPONSE_RANKS)``
        Multiplies the ungroomed and soft-drop masses of the two leading jets (pT kept; ``mjj``
        recomputed with the scaled masses). Constituent lists are not changed by it.
    """

    pt_factor: np.ndarray
    mass_factor: np.ndarray


@dataclass
class Reconstructed:
    """Reconstructed particles (tracks + towers), flat, grouped by event.

    Attributes
    ----------
    counts : ndarray, shape ``(n_events,)``
        Particles per event.
    px, py, pz, e : ndarray, shape ``(n_objects,)``
        Massless four-momenta [GeV], event-contiguous (``n_objects = counts.sum()``).
    objects : EventObjects, optional
        Isolated leptons / photons and MET (the parametrised detector fills it).
    truth : TruthParticles, optional
        Hard-process truth for the per-jet truth labels.
    jet_response : JetResponse, optional
        Jet-level systematic factors (JER / JMS / JMR cards).
    """

    counts: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    objects: EventObjects | None = None
    truth: TruthParticles | None = None
    jet_response: JetResponse | None = None

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
