"""Reconstruction shared by generated and public samples: jets, substructure, event selection.

Generated events (:mod:`sciood.generate`: Pythia → parametrised detector) and the public LHC
Olympics particles (:mod:`sciood.data.adapters.lhco`) both arrive here as a
:class:`Reconstructed` batch — massless four-momenta grouped by event — and leave as a
:class:`JetBatch` of selected events with the same feature columns, computed by the same code:

* :mod:`sciood.reco.event` — :class:`Reconstructed`, the reconstructed-particle batch;
* :mod:`sciood.reco.selection` — :class:`Selection`, the event selection after clustering;
* :mod:`sciood.reco.jets` — anti-kT R = 1.0 clustering, the selection, ``j1``/``j2`` ordering
  (:func:`cluster_and_select`);
* :mod:`sciood.reco.nsubjettiness` — τ_N (:func:`nsubjettiness`);
* :mod:`sciood.reco.softdrop` — the groomed jet mass (:func:`softdrop_mass`);
* :mod:`sciood.reco.features` — :data:`FEATURES`, the feature columns and their definitions;
* :mod:`sciood.reco.objects` — isolated e, μ, γ and missing transverse momentum
  (:class:`EventObjects`);
* :mod:`sciood.reco.truth` — hard-process truth and per-jet labels (:data:`TRUTH_LABELS`);
* :mod:`sciood.reco.kinematics` — four-vector helpers (pT, η, rapidity, φ, mass, Δφ, ratios).

This package sits below both ``data`` and ``generate`` and imports neither; FastJet and awkward
(extra ``gen``) are imported only when jets are clustered.
"""

from __future__ import annotations

from sciood.reco.event import JetResponse, Reconstructed
from sciood.reco.features import EVENT_COLUMNS, FEATURES
from sciood.reco.jets import JetBatch, cluster_and_select
from sciood.reco.nsubjettiness import nsubjettiness
from sciood.reco.objects import EventObjects
from sciood.reco.selection import Selection
from sciood.reco.softdrop import softdrop_mass
from sciood.reco.truth import TRUTH_LABELS, TruthParticles, truth_from_record

__all__ = [
    "EVENT_COLUMNS",
    "FEATURES",
    "TRUTH_LABELS",
    "EventObjects",
    "JetBatch",
    "JetResponse",
    "Reconstructed",
    "Selection",
    "TruthParticles",
    "cluster_and_select",
    "nsubjettiness",
    "softdrop_mass",
    "truth_from_record",
]
