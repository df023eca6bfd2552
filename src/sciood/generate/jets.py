"""Jet clustering, event selection and substructure — moved to :mod:`sciood.reco`.

The code lives in :mod:`sciood.reco.jets` (clustering, selection), :mod:`sciood.reco.nsubjettiness`,
:mod:`sciood.reco.softdrop` and :mod:`sciood.reco.features` (the feature list and definitions),
beneath both ``generate`` and ``data`` so that the LHCO reader and the generator share it.
This module re-exports the names it used to define.
"""

from __future__ import annotations

from sciood.reco._fastjet import R0 as R0
from sciood.reco._fastjet import R_JET as R_JET
from sciood.reco._fastjet import RECLUSTER_R
from sciood.reco.features import FEATURES
from sciood.reco.jets import JetBatch, cluster_and_select
from sciood.reco.nsubjettiness import nsubjettiness
from sciood.reco.softdrop import softdrop_mass

__all__ = ["FEATURES", "JetBatch", "cluster_and_select", "nsubjettiness", "softdrop_mass"]

#: Former name of :data:`sciood.reco._fastjet.RECLUSTER_R` (substructure reclustering radius).
KT_AXES_R = RECLUSTER_R
