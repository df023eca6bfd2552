"""The bridge to FastJet's awkward API, and the jet-definition constants of every algorithm.

* anti-kT jets of radius :data:`R_JET` = 1.0;
* substructure (N-subjettiness axes, soft drop) reclusters a jet's own constituents with
  radius :data:`RECLUSTER_R` = 10 (large: exclusive clustering never merges with the beam, as
  fjcontrib's ``KT_Axes``) and normalises with :data:`R0` = 1.0.

FastJet and awkward (extra ``gen``) are imported on first use; FastJet's banner, printed by the
C++ library on its first clustering, is swallowed once per process.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sciood.errors import require
from sciood.reco._stdout import captured_stdout

R_JET = 1.0
R0 = 1.0
RECLUSTER_R = 10.0

_BANNER_DONE = False


def modules() -> tuple[Any, Any]:
    """``(awkward, fastjet)``; :class:`~sciood.errors.MissingDependencyError` naming the extra."""
    return require("awkward", "gen"), require("fastjet", "gen")


def silence_banner(ak: Any, fastjet: Any) -> None:
    """FastJet prints its banner on the first clustering; swallow it once per process."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    one = ak.Array([[{"px": 1.0, "py": 0.0, "pz": 0.0, "E": 1.0}]], with_name="Momentum4D")
    with captured_stdout():
        fastjet.ClusterSequence(one, fastjet.JetDefinition(fastjet.antikt_algorithm, R_JET))
    _BANNER_DONE = True


def momenta(ak: Any, px: Any, py: Any, pz: Any, e: Any) -> Any:
    """Zip components into awkward ``Momentum4D`` records (what FastJet clusters)."""
    return ak.zip({"px": px, "py": py, "pz": pz, "E": e}, with_name="Momentum4D")


def flat(ak: Any, arr: Any) -> np.ndarray:
    """A jagged awkward array flattened to float64 numpy."""
    return np.asarray(ak.to_numpy(ak.flatten(arr, axis=None)), dtype=np.float64)
