"""The default detector: the one a run uses when its config names none.

:data:`DEFAULT_DETECTOR` is a ``{"name", "params", "label"}`` mapping, the same shape as one
entry of a run config's ``detectors`` list (``sciood.config.DetectorSpec``).  It is the
event rule measured best over every signal of the catalogue *and* over signals outside it
without a per-signal choice (docs/detectors.md, "The default detector and why"):

``per_jet`` with ``aggregate="stouffer"`` and five background p-values per event: each of
the two leading jets gets one from a normalizing flow on the Gaussian copula of
(m_sd, n_const) (two-prong resonances) and one from a second flow on the raw
(m_sd, τ21, τ32, n_const) (three- and four-prong jets); the event gets one from a flow over
both jets' (m_sd, τ21) together (the ``physics`` features: the pair of masses).  Stouffer's
sum of the five normal scores is the event score, so one very anomalous jet, two moderately
anomalous ones or an unusual mass pair all score high.

>>> from sciood.detectors import DEFAULT_DETECTOR, make
>>> DEFAULT_DETECTOR["name"], DEFAULT_DETECTOR["label"]
('per_jet', 'default')
>>> det = make(DEFAULT_DETECTOR["name"], **DEFAULT_DETECTOR["params"])

Treat it as read-only; :func:`default_detector` returns a fresh copy to modify.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["DEFAULT_DETECTOR", "default_detector"]

#: per-jet features of the multi-prong member (templates with ``{j}`` = 1, 2)
_MULTIPRONG = ["mj{j}_sd", "tau21_j{j}", "tau32_j{j}", "nconst_j{j}"]
#: per-jet features of the event-level member (one density over both jets)
_PAIR = ["mj{j}_sd", "tau21_j{j}"]

#: the detector ``sciood run`` uses when the config has no ``detectors`` key
DEFAULT_DETECTOR: dict[str, Any] = {
    "name": "per_jet",
    "params": {
        "base": "flow",
        "space": "copula",
        "aggregate": "stouffer",
        "members": [
            {"space": "raw", "jet_features": _MULTIPRONG},
            {"space": "raw", "jet_features": _PAIR, "aggregate": "joint"},
        ],
    },
    "label": "default",
}


def default_detector() -> dict[str, Any]:
    """A deep copy of :data:`DEFAULT_DETECTOR` (safe to modify)."""
    return copy.deepcopy(DEFAULT_DETECTOR)
