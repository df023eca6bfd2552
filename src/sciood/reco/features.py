"""The feature columns every selected event carries, in manifest order, and their definitions.

Of the two leading-pT jets, ``j1`` is the lighter by ungroomed mass and ``j2`` the heavier
(so ``delta_mj = mj2 − mj1 ≥ 0``).  Per jet ``jN``:

* ``mjN`` — ungroomed jet mass [GeV]; ``mjN_sd`` — soft-drop mass [GeV]
  (:mod:`sciood.reco.softdrop`);
* ``tau1_jN``, ``tau2_jN``, ``tau3_jN`` — N-subjettiness (:mod:`sciood.reco.nsubjettiness`);
  ``tau21_jN = τ2/τ1``, ``tau32_jN = τ3/τ2`` (0 when the denominator is 0);
* ``pt_jN`` [GeV], ``eta_jN``, ``phi_jN`` — the jet's kinematics; ``nconst_jN`` — its number
  of constituents.

Beside them every event has the observable ``mjj`` (invariant mass of the two leading jets,
[GeV]) and ``lead_pt`` (leading-jet pT, [GeV]), which are not features.

Generated events also carry (not features either; :data:`EVENT_COLUMNS`):

* :data:`~sciood.reco.objects.OBJECT_COLUMNS` — isolated leptons and photons and the missing
  transverse momentum (``n_electrons``, ``n_muons``, ``n_photons``, ``lep1_pt/eta/phi/pid``,
  ``pho1_pt/eta/phi``, ``met``, ``met_phi``; :mod:`sciood.reco.objects`);
* :data:`~sciood.reco.truth.TRUTH_COLUMNS` — per-jet truth labels ``truth_j1``/``truth_j2``
  (codes of :data:`~sciood.reco.truth.TRUTH_LABELS`: light 0, b 1, Z 2, W 3, top 4), b-hadron
  counts ``nb_j1``/``nb_j2`` and the true missing pT ``truth_met`` (:mod:`sciood.reco.truth`).
"""

from __future__ import annotations

from sciood.reco.objects import OBJECT_COLUMNS
from sciood.reco.truth import TRUTH_COLUMNS

__all__ = ["EVENT_COLUMNS", "FEATURES"]

#: Feature columns written for every selected event (order kept in the manifest).
FEATURES: tuple[str, ...] = (
    "mj1", "mj2", "delta_mj", "mj1_sd", "mj2_sd",
    "tau1_j1", "tau2_j1", "tau3_j1", "tau1_j2", "tau2_j2", "tau3_j2",
    "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2",
    "pt_j1", "pt_j2", "eta_j1", "eta_j2", "phi_j1", "phi_j2", "nconst_j1", "nconst_j2",
)

#: Optional per-event columns beside the features (present when the batch has objects/truth).
EVENT_COLUMNS: tuple[str, ...] = (*OBJECT_COLUMNS, *TRUTH_COLUMNS)
