"""Background by time slides, false-alarm rates, and the excess-power baseline.

**Time slides.** Shifting L1 against H1 by a lag much longer than the 10 ms light travel
destroys every astrophysical coincidence and keeps the detectors' own noise and glitches: the
slid pairs are a background sample with no signal in it (this field's background estimate and
look-elsewhere correction). Here slide ``k`` pairs the H1 window of event ``i`` with the L1
window of event ``(i + k) mod n`` (a lag of ≥ one window). Each event of a weighted background
carries ``wᵢ`` windows per day; under independent detectors a pair ``(i, j)`` carries
``W pᵢ pⱼ`` with ``p = w / W``, ``W = Σ w``; the ``K n`` slid pairs get weights ``∝ pᵢ pⱼ``
normalised to ``Σ = W`` (the known total rate): the slid set is again weighted in windows per
day, and a weighted count above a threshold is a false-alarm rate per day.

**False-alarm rate** of a candidate with score ``s``: ``FAR(s) = Σ_{b: s_b ≥ s} w_b`` (per
day) over the background; a candidate louder than every background event gets the bound
``FAR < min w`` (returned as ``min w`` with ``bounded=True``). Its significance over an
observation time ``T``: ``p = 1 − exp(−FAR · T)``, ``Z = Φ⁻¹(1 − p)``.

**Excess power.** The matched-filter-free baseline: the loudest *coincident* time–frequency
tile, ``max min(Z_H1, Z_L1)`` (``loudest_tile``, :mod:`sciood.domains.gw.features`) — a loud
glitch in one detector does not make it loud.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from sciood.data.eventset import EventSet
from sciood.domains.gw.features import BASELINE_COLUMN, FEATURES, expert_features, pooled_maps
from sciood.domains.gw.generate import STRAIN_COLUMNS
from sciood.domains.gw.represent import sample_rate, strain_windows
from sciood.errors import DataError

__all__ = ["FARResult", "excess_power_score", "excess_power_slides", "false_alarm_rate",
           "far_significance", "slide_pairs", "time_slides"]


def slide_pairs(events: EventSet, n_slides: int) -> tuple[np.ndarray, np.ndarray,
                                                         np.ndarray, np.ndarray]:
    """The slid pairs of a background set and their weights.

    Returns
    -------
    idx_h1, idx_l1, slide, weight : ndarray, each shape ``(n_slides * n,)``
        Event index of the H1 and of the L1 window, the slide ``k``, and the pair weight
        (windows per day, ``Σ = Σ w``).
    """
    n = len(events)
    if events.is_signal.any():
        raise DataError("time slides take background only; select ~events.is_signal first")
    if isinstance(n_slides, bool) or not isinstance(n_slides, int) or not 0 < n_slides < n:
        raise DataError(f"n_slides must be an integer in [1, {n - 1}] for {n} events, "
                        f"got {n_slides!r}")
    w = events.weights
    total = float(w.sum())
    if total <= 0:
        raise DataError("the background weights sum to <= 0; time slides need positive rates")
    p = w / total
    idx_h = np.tile(np.arange(n), n_slides)
    ks = np.repeat(np.arange(1, n_slides + 1), n)
    idx_l = (idx_h + ks) % n
    pair = p[idx_h] * p[idx_l]
    if pair.sum() <= 0:
        raise DataError("no slid pair has a positive weight; give the background positive rates")
    return idx_h, idx_l, ks, total * pair / pair.sum()


def excess_power_slides(events: EventSet, n_slides: int) -> tuple[np.ndarray, np.ndarray]:
    """``loudest_tile`` of every slid pair, without rebuilding the pairs' strain.

    The per-detector pooled maps are computed once per event (≈ 10 ms each); a pair then costs
    one minimum and max over ``3 × 40 × 64`` tiles, so ``n (n − 1)`` pairs — the ≈ 3 × 10⁷
    windows a FAR of 1/yr needs — take minutes, not days.

    Parameters
    ----------
    events : EventSet
        Background only.
    n_slides : int

    Returns
    -------
    scores, weights : ndarray, each shape ``(n_slides * n,)``
        Equal to ``time_slides(events, n_slides)``'s ``loudest_tile`` and ``weight``.
    """
    _, idx_l, _, weight = slide_pairs(events, n_slides)
    maps = pooled_maps(strain_windows(events), sample_rate(events))
    n = len(events)
    scores = np.empty(idx_l.size, dtype=np.float64)
    h1, l1 = maps[:, 0], maps[:, 1]
    for k in range(n_slides):  # slide k + 1: a contiguous block of n pairs, H1 in event order
        block = slice(k * n, (k + 1) * n)
        scores[block] = np.minimum(h1, l1[idx_l[block]]).max(axis=1)
    return scores, weight


def time_slides(events: EventSet, n_slides: int) -> EventSet:
    """Background windows with L1 slid against H1 (see the module docstring).

    Parameters
    ----------
    events : EventSet
        Background only (``is_signal`` all False), from :func:`generate_gw`.
    n_slides : int
        Slides ``k = 1 … n_slides`` (< number of events).

    Returns
    -------
    EventSet
        ``n_slides · n`` rows, label ``"timeslide"``, the expert features and
        ``loudest_tile`` recomputed on the slid pairs, the strain columns, ``label_h1``,
        ``label_l1`` and ``slide``; weights in windows per day (Σ = Σ of the input).
    """
    idx_h, idx_l, ks, weight = slide_pairs(events, n_slides)
    x = strain_windows(events)
    labels = events.labels
    slid = np.stack([x[idx_h, 0], x[idx_l, 1]], axis=1)
    feats = expert_features(slid, sample_rate(events))
    n_s = slid.shape[-1]
    cols: dict[str, pa.Array] = {
        "label": pa.array(["timeslide"] * idx_h.size, pa.string()),
        "is_signal": pa.array(np.zeros(idx_h.size, bool)),
        "weight": pa.array(weight),
        "label_h1": pa.array(labels[idx_h].astype(str), pa.string()),
        "label_l1": pa.array(labels[idx_l].astype(str), pa.string()),
        "slide": pa.array(ks.astype(np.int64)),
    }
    offsets = pa.array(np.arange(idx_h.size + 1, dtype=np.int32) * n_s, pa.int32())
    for k, name in enumerate(STRAIN_COLUMNS):
        cols[name] = pa.ListArray.from_arrays(offsets, pa.array(slid[:, k].reshape(-1)))
    for name in (*FEATURES, BASELINE_COLUMN):
        cols[name] = pa.array(feats[name])
    prov = {"time_slides": n_slides, "of": events.provenance}
    return EventSet(pa.table(cols), features=list(FEATURES), provenance=prov)


@dataclass(frozen=True)
class FARResult:
    """False-alarm rates of candidates.

    Attributes
    ----------
    far : ndarray, shape ``(m,)``
        Per day.
    bounded : ndarray, shape ``(m,)``, bool
        True where no background event is as loud (``far`` is then an upper bound).
    livetime_days : float
        Background windows × window length, in days (the FAR resolution is ~1 / this).
    """

    far: np.ndarray
    bounded: np.ndarray
    livetime_days: float


def false_alarm_rate(candidate_scores: np.ndarray, background_scores: np.ndarray, *,
                     sample_weight: np.ndarray, window_seconds: float = 1.0) -> FARResult:
    """FAR per day of each candidate score against a weighted background.

    Parameters
    ----------
    candidate_scores : ndarray, shape ``(m,)``
    background_scores : ndarray, shape ``(b,)``
        E.g. a detector's scores on :func:`time_slides` output.
    sample_weight : ndarray, shape ``(b,)``
        Background weights in windows per day.
    window_seconds : float
        Window length (only for ``livetime_days``).

    Returns
    -------
    FARResult
    """
    s = np.asarray(candidate_scores, dtype=np.float64).reshape(-1)
    b = np.asarray(background_scores, dtype=np.float64).reshape(-1)
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if b.shape != w.shape or b.size == 0:
        raise DataError(f"background_scores {b.shape} and sample_weight {w.shape} must be the "
                        "same non-empty shape")
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(b)) and np.all(np.isfinite(w))):
        raise DataError("scores and weights must be finite; drop NaN/inf events first")
    order = np.argsort(b, kind="stable")
    b_sorted, w_sorted = b[order], w[order]
    tail = np.concatenate([np.cumsum(w_sorted[::-1])[::-1], [0.0]])
    far = tail[np.searchsorted(b_sorted, s, side="left")]
    bounded = far <= 0
    positive = w[w > 0]
    floor = float(positive.min()) if positive.size else 0.0
    far = np.where(bounded, floor, far)
    return FARResult(far, bounded, float(b.size * window_seconds / 86400.0))


def far_significance(far_per_day: np.ndarray, observation_days: float) -> np.ndarray:
    """Gaussian significance ``Z`` of a FAR over an observation time (one-sided).

    Returns
    -------
    ndarray, shape like ``far_per_day``
        ``Φ⁻¹(1 − p)`` with ``p = 1 − exp(−FAR · T)``.
    """
    from scipy.special import ndtri

    if observation_days <= 0:
        raise DataError(f"observation_days must be > 0, got {observation_days}")
    p = -np.expm1(-np.asarray(far_per_day, dtype=np.float64) * observation_days)
    return np.asarray(-ndtri(np.clip(p, 1e-300, 1.0)))


def excess_power_score(events: EventSet) -> np.ndarray:
    """The excess-power baseline score (loudest network tile), shape ``(n,)``."""
    if BASELINE_COLUMN in events.columns:
        return events.column(BASELINE_COLUMN).astype(np.float64)
    feats = expert_features(strain_windows(events), sample_rate(events))
    return feats[BASELINE_COLUMN]
