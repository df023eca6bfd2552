"""GW event set → model inputs: whitened strain windows, time–frequency maps, expert features.

=============  ========================================  =========================================
name           array                                     built from
=============  ========================================  =========================================
``strain``     ``(n, 2, n_samples)`` float32              the ``strain_h1``/``strain_l1`` columns
``qmap``       ``(n, 2, n_freq, n_time)`` float32         Q-transform of the strain (normalised
                                                          tile energy, max-pooled in time)
``features``   ``(n, d)`` float64                         the expert-feature columns
=============  ========================================  =========================================

The arrays follow the collider side's conventions (images ``(n, channels, rows, cols)``,
detectors as channels in :data:`~sciood.domains.gw.projection.DETECTORS` order), so the shared
detectors take them unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc

from sciood.data.eventset import EventSet
from sciood.domains.gw.features import FEATURES
from sciood.domains.gw.generate import STRAIN_COLUMNS
from sciood.domains.gw.qtransform import max_pool, qtransform
from sciood.errors import DataError, UnknownNameError

__all__ = ["REPRESENTATIONS", "gw_features", "gw_represent", "qmaps", "sample_rate",
           "strain_windows"]


def strain_windows(events: EventSet) -> np.ndarray:
    """Whitened H1 and L1 windows, shape ``(n, 2, n_samples)``, float32."""
    missing = [c for c in STRAIN_COLUMNS if c not in events.columns]
    if missing:
        raise DataError(f"this EventSet has no strain columns {missing}; it was not made by "
                        "sciood.domains.gw.generate_gw (or the columns were not read)")
    chans = []
    for name in STRAIN_COLUMNS:
        col = events.table.column(name)
        lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
        if len(events) and (lengths.min() != lengths.max()):
            raise DataError(f"column {name!r} holds windows of different lengths "
                            f"({lengths.min()}..{lengths.max()}); regenerate the set")
        n_s = int(lengths[0]) if len(events) else 0
        flat = pc.list_flatten(col).to_numpy(zero_copy_only=False)
        chans.append(np.asarray(flat, dtype=np.float32).reshape(len(events), n_s))
    return np.stack(chans, axis=1)


def sample_rate(events: EventSet) -> float:
    """Sample rate (Hz) of a GW set, from its provenance (default 2048)."""
    settings = events.provenance.get("settings")
    if settings is None:  # concatenated parts
        parts = events.provenance.get("parts", [{}])
        settings = parts[0].get("settings", {}) if parts else {}
    return float(settings.get("sample_rate", 2048.0))


def qmaps(events: EventSet, *, q: float = 8.0, n_freq: int = 32, n_time: int = 64,
          log: bool = False) -> np.ndarray:
    """Time–frequency maps of both detectors, shape ``(n, 2, n_freq, n_time)``, float32.

    Parameters
    ----------
    events : EventSet
    q : float
        Quality factor of the Q-transform.
    n_freq : int
        Log-spaced frequency rows (low frequency first).
    n_time : int
        Time bins (max-pooled; must divide the window length).
    log : bool
        Return ``log(Z)`` instead of the normalised energy ``Z``.
    """
    x = strain_windows(events)
    fs = sample_rate(events)
    out = np.empty((len(events), 2, n_freq, n_time), dtype=np.float32)
    for start in range(0, len(events), 64):
        z = qtransform(x[start:start + 64], fs, q=q, n_freq=n_freq)
        out[start:start + 64] = max_pool(z, n_time)
    return np.log(np.maximum(out, 1e-6)) if log else out


def gw_features(events: EventSet, features: Any = None) -> np.ndarray:
    """Expert features as ``(n, d)`` float64 (default: all of :data:`FEATURES`)."""
    names = list(FEATURES if features is None else features)
    return events.to_numpy(names)


#: Representation name → builder.
REPRESENTATIONS = {"features": gw_features, "qmap": qmaps, "strain": strain_windows}


def gw_represent(events: EventSet, name: str, **options: Any) -> np.ndarray:
    """Build the GW representation ``name`` (``"strain"``, ``"qmap"`` or ``"features"``)."""
    if name not in REPRESENTATIONS:
        raise UnknownNameError("GW representation", name, sorted(REPRESENTATIONS))
    builder: Any = REPRESENTATIONS[name]
    return np.asarray(builder(events, **options))
