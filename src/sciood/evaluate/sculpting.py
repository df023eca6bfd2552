"""Sculpting per class pair: JSD, 1/JSD, R50, floors and bump significance of one score cut.

:func:`sculpting_table` runs :func:`~sciood.metrics.sculpting.sculpting_jsd` and
:func:`~sciood.metrics.sculpting.sculpting_bump` for every (signal, background) pair of an
:class:`~sciood.data.eventset.EventSet` and every signal against all backgrounds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sciood.data.eventset import EventSet
from sciood.errors import DataError, StatisticsError
from sciood.evaluate.classwise import _event_scores
from sciood.evaluate.table import ALL_BACKGROUNDS
from sciood.metrics.sculpting import sculpting_bump, sculpting_jsd

__all__ = ["sculpting_table"]


def sculpting_table(
    scores: ArrayLike,
    eventset: EventSet,
    observable: str | None = None,
    *,
    eff_s: float = 0.5,
    bins: int = 50,
    seed: int = 0,
) -> Any:
    """Sculpting (JSD, 1/JSD, R50, floors, bump Z) per (signal, background) and signal vs all.

    Parameters
    ----------
    scores : array_like, shape (n,)
    eventset : EventSet
    observable : str, optional
        Column to test; default the EventSet's first observable (e.g. ``mjj``).
    eff_s : float, default 0.5
    bins : int, default 50
    seed : int, default 0

    Returns
    -------
    pandas.DataFrame
        Columns: signal, background, jsd, inv_jsd, r50, floor, floor_matched, threshold,
        bump_z, bump_p, bump_floor (:func:`~sciood.metrics.sculpting.sculpting_bump`: the
        largest localised excess of the pass fraction over a smooth fit, its null p-value and
        95 % null quantile; NaN when too few bins have background on both sides of the cut).
    """
    import pandas as pd

    s = _event_scores(scores, len(eventset))
    if observable is None:
        if not eventset.observables:
            raise DataError("the EventSet declares no observable; pass observable='mjj'")
        observable = eventset.observables[0]
    obs = eventset.column(observable).astype(np.float64)
    labels = eventset.labels
    is_sig = eventset.is_signal.astype(bool)
    w = eventset.weights
    sig_classes = sorted(set(labels[is_sig].tolist()))
    bkg_classes = sorted(set(labels[~is_sig].tolist()))
    recs = []
    for sc in sig_classes:
        for bc in [*bkg_classes, ALL_BACKGROUNDS]:
            mask = (labels == sc) | ((labels == bc) if bc != ALL_BACKGROUNDS else ~is_sig)
            r = sculpting_jsd(is_sig[mask], s[mask], obs[mask], eff_s, bins,
                              sample_weight=w[mask], seed=seed)
            try:
                b = sculpting_bump(is_sig[mask], s[mask], obs[mask], eff_s, bins,
                                   sample_weight=w[mask], seed=seed)
                bump = (b.z, b.p_value, b.floor)
            except StatisticsError:
                bump = (math.nan, math.nan, math.nan)
            recs.append({"signal": sc, "background": bc, "jsd": r.jsd, "inv_jsd": r.inv_jsd,
                         "r50": r.r50, "floor": r.floor, "floor_matched": r.floor_matched,
                         "threshold": r.threshold, "bump_z": bump[0], "bump_p": bump[1],
                         "bump_floor": bump[2]})
    return pd.DataFrame.from_records(recs)
