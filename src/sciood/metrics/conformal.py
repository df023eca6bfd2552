"""Conformal anomaly p-values from a held-out background calibration set.

A detector's score becomes a p-value under the background: with ``n`` calibration events
(background only, never seen in training) and a new event of score ``s``,

    p(s) = (w_new + Σ_i w_i · 1[s_i ≥ s]) / (w_new + Σ_i w_i),

which for unit weights is the split-conformal ``(1 + #{s_i ≥ s}) / (n + 1)``.  For a new
*background* event exchangeable with the calibration events, ``P(p ≤ α) ≤ α`` holds for
every α and every sample size (Vovk et al. 2005; Laxhammar & Falkman 2015 for anomaly
detection): cutting at ``p ≤ 1/N`` is "at most one false alarm per N background events",
guaranteed, not estimated.  Ties count against the new event (conservative).

**Weights.** Cross-section weights make the calibration set a weighted background mixture;
the weighted p-value above is Tibshirani et al. (2019)'s weighted conformal p-value with the
new event's weight ``w_new``.  Its guarantee is exact for unit weights and holds for the
weighted mixture as the calibration sample grows (the effective size
``(Σw)² / Σw²`` is what counts); ``w_new`` defaults to the largest calibration weight, the
conservative choice.  Negative weights are refused: a p-value is a probability, and an event
with negative weight would let the estimated tail probability fall below what the
guarantee allows.

**Mondrian (class-conditional) p-values.** With calibration classes, each new event is
compared with its own class only (Vovk et al. 2005, "Mondrian" conformal prediction), so the
false-alarm guarantee holds *per background class* — the question "how often does a
tt̄ event raise an alarm?" — instead of only for the cross-section mixture.

>>> cal = ConformalPValues().fit([0.1, 0.4, 0.4, 0.9])
>>> cal.pvalues([0.4, 1.0]).tolist()      # (1 + 3) / 5, (1 + 0) / 5
[0.8, 0.2]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.metrics.inputs import as_scores, as_weights

__all__ = ["ConformalPValues", "conformal_pvalues"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class _Reference:
    """One calibration set: sorted scores, the weight at or above each, total, new weight."""

    scores: FloatArray
    tail: FloatArray       # tail[k] = Σ_{j ≥ k} w_sorted[j]; tail[n] = 0
    w_new: float
    n: int
    n_eff: float

    @classmethod
    def build(cls, score: FloatArray, w: FloatArray, w_new: float | None) -> _Reference:
        order = np.argsort(score, kind="stable")
        ws = w[order]
        tail = np.append(np.cumsum(ws[::-1])[::-1], 0.0)
        new = float(ws.max()) if w_new is None else float(w_new)
        total = float(tail[0])
        return cls(score[order], tail, new, len(score), total**2 / float(np.sum(ws**2)))

    def pvalues(self, score: FloatArray) -> FloatArray:
        at_or_above = self.tail[np.searchsorted(self.scores, score, side="left")]
        out: FloatArray = (self.w_new + at_or_above) / (self.w_new + self.tail[0])
        return out

    def threshold(self, alpha: float) -> float:
        """The largest calibration score with ``p > alpha`` (-inf if none): the cut
        ``score > threshold`` is exactly ``p ≤ alpha``."""
        above = np.flatnonzero(self.pvalues(self.scores) > alpha)
        return float(self.scores[above[-1]]) if above.size else float("-inf")


class ConformalPValues:
    """Conformal p-values of anomaly scores against a background calibration set.

    Parameters
    ----------
    new_weight : float, optional
        Weight of a new event in the weighted p-value; default: the largest calibration
        weight (of its class, for Mondrian p-values) — conservative.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> cal = ConformalPValues().fit(rng.normal(size=10_000))
    >>> p = cal.pvalues(rng.normal(size=20_000))
    >>> bool(abs(np.mean(p <= 0.01) - 0.01) < 0.003)
    True
    """

    def __init__(self, *, new_weight: float | None = None) -> None:
        if new_weight is not None and not (np.isfinite(new_weight) and new_weight > 0):
            raise ConfigError(f"new_weight must be a positive number, got {new_weight!r}")
        self.new_weight = new_weight
        self._refs: dict[Any, _Reference] | None = None

    # ------------------------------------------------------------------------------ fit
    def fit(self, score: ArrayLike, *, sample_weight: ArrayLike | None = None,
            classes: ArrayLike | None = None) -> ConformalPValues:
        """Store the calibration scores (background events not used in training).

        Parameters
        ----------
        score : array_like, shape (n,)
            Detector scores of the calibration events (higher = more anomalous).
        sample_weight : array_like, shape (n,), optional
            Non-negative per-event weights (e.g. cross-section); default 1.
        classes : array_like, shape (n,), optional
            Background class of each event: Mondrian p-values, one reference per class.

        Returns
        -------
        ConformalPValues
            ``self``.
        """
        s, w = _checked(score, sample_weight, "calibration")
        if classes is None:
            self._refs = {None: _Reference.build(s, w, self.new_weight)}
            return self
        cls = np.asarray(classes).ravel()
        if len(cls) != len(s):
            raise DataError(f"classes has {len(cls)} entries for {len(s)} calibration scores")
        refs = {}
        for c in np.unique(cls):
            rows = cls == c
            if not float(w[rows].sum()) > 0.0:
                raise DataError(f"calibration class {c!r} has no positive weight; give it "
                                "events or leave it out")
            refs[c.item() if isinstance(c, np.generic) else c] = _Reference.build(
                s[rows], w[rows], self.new_weight)
        self._refs = refs
        return self

    # -------------------------------------------------------------------------- results
    @property
    def classes(self) -> list[Any]:
        """The calibration classes (``[None]`` without Mondrian classes)."""
        return list(self._fitted())

    def effective_size(self, cls: Any = None) -> float:
        """``(Σw)² / Σw²`` of the calibration set (of class ``cls``): what the guarantee needs."""
        return self._ref(cls).n_eff

    def pvalues(self, score: ArrayLike, *, classes: ArrayLike | None = None) -> FloatArray:
        """Conformal p-value of each event (small = anomalous).

        Parameters
        ----------
        score : array_like, shape (m,)
            Scores of new events.
        classes : array_like, shape (m,), optional
            Their classes, required for (and only for) a Mondrian calibration.

        Returns
        -------
        ndarray, shape (m,)
            In ``(0, 1]``; each event's p-value depends on its own score only (batch-free).
        """
        refs = self._fitted()
        s = as_scores(score, len(np.asarray(score).ravel()) if np.ndim(score) else 1)
        s = np.asarray(s, dtype=np.float64)
        if None in refs:
            if classes is not None:
                raise DataError("classes given, but the calibration has none; fit with "
                                "classes= for Mondrian p-values")
            return refs[None].pvalues(s)
        if classes is None:
            raise DataError(f"this calibration is per class ({sorted(map(str, refs))}); pass "
                            "classes= with each event's class")
        cls = np.asarray(classes).ravel()
        if len(cls) != len(s):
            raise DataError(f"classes has {len(cls)} entries for {len(s)} scores")
        unknown = sorted({str(c) for c in np.unique(cls)} - {str(c) for c in refs})
        if unknown:
            raise DataError(f"classes {unknown} have no calibration events; calibrated: "
                            f"{sorted(map(str, refs))}")
        out = np.empty(len(s))
        for c, ref in refs.items():
            rows = np.asarray(cls == c)
            out[rows] = ref.pvalues(s[rows])
        return out

    def threshold(self, alpha: float, cls: Any = None) -> float:
        """Score threshold of the cut ``p ≤ alpha``: flag events with ``score > threshold``.

        Parameters
        ----------
        alpha : float
            False-alarm probability per background event, in (0, 1] (e.g. ``1 / N``).
        cls : optional
            The class, for a Mondrian calibration.

        Returns
        -------
        float
            The largest calibration score whose p-value exceeds ``alpha``; no event passes
            when the calibration set is too small to reach ``alpha`` (it needs
            ``w_new / (w_new + Σw) ≤ alpha``: about ``1/alpha`` unit-weight events), and then
            the threshold is ``inf``, with a ``MetricWarning``.
        """
        if not (0.0 < float(alpha) <= 1.0):
            raise ConfigError(f"alpha must be in (0, 1], got {alpha!r}")
        ref = self._ref(cls)
        floor = ref.w_new / (ref.w_new + float(ref.tail[0]))
        if floor > alpha:
            import warnings

            from sciood.metrics.inputs import MetricWarning

            warnings.warn(f"the smallest reachable p-value is {floor:.3g} > alpha = {alpha:g}: "
                          f"the calibration set (effective size {ref.n_eff:.0f}) is too small "
                          f"for this false-alarm rate; no event can pass", MetricWarning,
                          stacklevel=2)
            return float("inf")
        return ref.threshold(float(alpha))

    # -------------------------------------------------------------------------- helpers
    def _fitted(self) -> dict[Any, _Reference]:
        if self._refs is None:
            raise NotFittedError("ConformalPValues is not fitted; call fit(calibration "
                                 "scores) first")
        return self._refs

    def _ref(self, cls: Any) -> _Reference:
        refs = self._fitted()
        if cls not in refs:
            raise DataError(f"no calibration for class {cls!r}; calibrated: "
                            f"{sorted(map(str, refs))}")
        return refs[cls]


def _checked(score: ArrayLike, sample_weight: ArrayLike | None,
             what: str) -> tuple[FloatArray, FloatArray]:
    n = len(np.asarray(score).ravel()) if np.ndim(score) else 1
    if n == 0:
        raise DataError(f"the {what} set is empty; conformal p-values need background "
                        "events held out from training")
    s = np.asarray(as_scores(score, n), dtype=np.float64)
    w = as_weights(sample_weight, n)
    if (w < 0).any():
        raise DataError(f"{int((w < 0).sum())} {what} events have negative weights; "
                        "conformal p-values need non-negative weights (a negative weight "
                        "would break the false-alarm guarantee) — drop them or absorb them "
                        "into positive-weight events of the same phase space")
    if not float(w.sum()) > 0.0:
        raise DataError(f"the {what} weights sum to zero; give events positive weights")
    return s, w


def conformal_pvalues(calibration: ArrayLike, score: ArrayLike, *,
                      sample_weight: ArrayLike | None = None,
                      calibration_classes: Sequence[Any] | ArrayLike | None = None,
                      classes: Sequence[Any] | ArrayLike | None = None,
                      new_weight: float | None = None) -> FloatArray:
    """Conformal p-values of ``score`` against background ``calibration`` scores.

    Parameters
    ----------
    calibration : array_like, shape (n,)
        Scores of held-out background events.
    score : array_like, shape (m,)
        Scores of the events to test.
    sample_weight : array_like, shape (n,), optional
        Non-negative calibration weights.
    calibration_classes, classes : array_like, optional
        Background class of each calibration event and of each tested event: Mondrian
        (per-class) p-values.
    new_weight : float, optional
        See :class:`ConformalPValues`.

    Returns
    -------
    ndarray, shape (m,)
        ``P(p ≤ α) ≤ α`` for background events exchangeable with the calibration set.
    """
    cal = ConformalPValues(new_weight=new_weight).fit(
        calibration, sample_weight=sample_weight, classes=calibration_classes)
    return cal.pvalues(score, classes=classes)
