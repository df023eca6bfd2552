"""Calibrated classifier likelihood ratio (Cranmer, Pavez & Louppe 2015).

A classifier score ``s(x)`` that is a monotone function of the density ratio carries the
same information as ``r(x) = p(x|signal) / p(x|background)``; calibrating ``s`` on held-out
labelled events turns it into an estimate ``r̂(s)``.  Both recipes cut the score axis into
*blocks* and give each block ``k`` the ratio of the class fractions in it,

    r̂_k = (W_s,k / W_s) / (W_b,k / W_b),

so the class prior of the calibration set drops out, and on the calibration events
``E_b[r̂] = Σ_k W_b,k/W_b · r̂_k = 1`` and ``E_s[1/r̂] = 1`` hold exactly — the two
identities a likelihood ratio obeys (``∫ p_b · p_s/p_b = 1``).  Every block holds at least
``min_events`` *effective* events ``(Σw)² / Σw²`` of each class (adjacent blocks are merged,
left to right, until it does): a block with one or two background events would otherwise
get a ratio of thousands, and one held-out background event landing there dominates any sum
of ``r̂`` (measured: ``E_b[r̂] = 9.8`` on 2000 + 2000 Gaussian events without the floor,
1.04 with it).

* ``method="isotonic"`` (default): the blocks of the isotonic (non-decreasing) regression of
  ``P(signal|s)`` (pool-adjacent-violators).  ``r̂`` is monotone non-decreasing in ``s``
  by construction; constant over each block's score range and linear in ``s`` between two
  blocks.  Isotonic regression needs non-negative weights; negative weights are refused
  (use the histogram).
* ``method="histogram"`` (Cranmer's recipe): ``bins`` quantile bins of the pooled score,
  piecewise constant; monotone only if the data are.  Weighted sums per bin, so negative
  event weights are allowed as long as every merged bin's total per class is positive.

Scores outside the calibration range take the value of the nearest end block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.metrics.inputs import as_scores, check_inputs

__all__ = ["LikelihoodRatio", "calibrated_likelihood_ratio"]

FloatArray = NDArray[np.float64]
Method = Literal["isotonic", "histogram"]
_METHODS = ("isotonic", "histogram")


@dataclass
class LikelihoodRatio:
    """Map from a classifier score to the likelihood ratio ``p(x|sig) / p(x|bkg)``.

    Parameters
    ----------
    method : {"isotonic", "histogram"}, default "isotonic"
        Calibration recipe (module docstring).
    bins : int, default 20
        Number of quantile bins of the pooled score (``method="histogram"`` only).
    min_events : float, default 10
        Least effective number of events ``(Σw)²/Σw²`` of *each* class per block; smaller
        blocks are merged with their neighbours (``> 0``).

    Attributes
    ----------
    knots_ : ndarray, shape (k,)
        Score knots: bin edges (histogram, ``k = n_blocks + 1``) or the first and last
        calibration score of each isotonic block (one knot where they coincide).
    log_ratio_ : ndarray, shape (k,) or (k - 1,)
        ``log r̂`` at the knots (isotonic) or per bin (histogram).
    block_events_ : ndarray, shape (n_blocks, 2)
        Effective background and signal events of each block.
    prior_ratio_ : float
        ``W_s / W_b`` of the calibration set.
    """

    method: Method = "isotonic"
    bins: int = 20
    min_events: float = 10.0
    knots_: FloatArray = field(default_factory=lambda: np.empty(0), init=False, repr=False)
    log_ratio_: FloatArray = field(default_factory=lambda: np.empty(0), init=False, repr=False)
    block_events_: FloatArray = field(default_factory=lambda: np.empty((0, 2)), init=False,
                                      repr=False)
    prior_ratio_: float = field(default=float("nan"), init=False)

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ConfigError(f"method={self.method!r}; use one of {', '.join(_METHODS)}")
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or self.bins < 1:
            raise ConfigError(f"bins={self.bins!r}; pass a positive integer (e.g. 20)")
        m = self.min_events
        if isinstance(m, bool) or not isinstance(m, int | float) or not np.isfinite(m) or m <= 0:
            raise ConfigError(f"min_events={m!r}; pass a positive number of events (e.g. 10)")

    def fit(
        self, y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
    ) -> LikelihoodRatio:
        """Calibrate on held-out labelled events.

        Parameters
        ----------
        y : array_like, shape (n,)
            1 = signal, 0 = background.
        score : array_like, shape (n,)
            Finite classifier scores, higher = more signal-like.
        sample_weight : array_like, shape (n,), optional
            Event weights; negative only with ``method="histogram"``.

        Returns
        -------
        LikelihoodRatio
            ``self``, fitted.

        Raises
        ------
        DataError
            NaN/inf, one class missing, a class total weight ``<= 0``, negative weights with
            isotonic calibration, all scores equal, or too few events of a class to fill two
            blocks of ``min_events`` (the classes are then as good as separated).
        """
        yb, s, w = check_inputs(y, score, sample_weight=sample_weight)
        s = np.asarray(s, dtype=np.float64)
        self.prior_ratio_ = float(w[yb].sum()) / float(w[~yb].sum())
        if self.method == "histogram":
            self._fit_histogram(yb, s, w)
        else:
            self._fit_isotonic(yb, s, w)
        return self

    def _fit_histogram(self, y: NDArray[np.bool_], s: FloatArray, w: FloatArray) -> None:
        edges = np.unique(np.quantile(s, np.linspace(0.0, 1.0, self.bins + 1)))
        if edges.size < 2:
            raise DataError("all calibration scores are equal; the classifier carries no "
                            "information (check the scores)")
        sums = _class_sums(_bin_index(edges, s), y, w, edges.size - 1)
        starts, log_r, events = _merged_ratios(sums, self.min_events, " (or fewer bins)")
        self.knots_ = np.r_[edges[starts], edges[-1]]
        self.log_ratio_ = log_r
        self.block_events_ = events

    def _fit_isotonic(self, y: NDArray[np.bool_], s: FloatArray, w: FloatArray) -> None:
        from sklearn.isotonic import IsotonicRegression

        if (w < 0).any():
            raise DataError(
                f"{int((w < 0).sum())} negative event weights: isotonic regression needs "
                "non-negative weights; use method='histogram' (negative weights allowed "
                "per bin) or drop the negative-weight events"
            )
        uniq, inverse = np.unique(s, return_inverse=True)
        if uniq.size < 2:
            raise DataError("all calibration scores are equal; the classifier carries no "
                            "information (check the scores)")
        iso = IsotonicRegression(out_of_bounds="clip").fit(s, y.astype(np.float64),
                                                          sample_weight=w)
        fitted = iso.predict(uniq)
        block_of_unique = np.r_[0, np.cumsum(np.diff(fitted) != 0.0)]
        n_blocks = int(block_of_unique[-1]) + 1
        sums = _class_sums(block_of_unique[inverse], y, w, n_blocks)
        starts, log_r, events = _merged_ratios(sums, self.min_events, "")
        first = np.searchsorted(block_of_unique, starts)  # first unique score of each block
        last = np.r_[first[1:] - 1, uniq.size - 1]
        lo, hi = uniq[first], uniq[last]
        two = lo < hi
        self.knots_ = np.column_stack([lo, hi])[np.column_stack([np.ones_like(two), two])]
        self.log_ratio_ = np.repeat(log_r, 1 + two.astype(np.intp))
        self.block_events_ = events

    def log_ratio(self, score: ArrayLike) -> FloatArray:
        """``log r̂`` at the given scores.

        Parameters
        ----------
        score : array_like, shape (m,)
            Finite classifier scores (scores outside the calibration range take the value
            at the nearest end).

        Returns
        -------
        ndarray of float64, shape (m,)
        """
        if self.knots_.size == 0:
            raise NotFittedError("LikelihoodRatio is not fitted; call fit(y, score) first")
        s = np.asarray(as_scores(score, np.asarray(score).reshape(-1).shape[0]),
                       dtype=np.float64)
        if self.method == "histogram":
            return np.asarray(self.log_ratio_[_bin_index(self.knots_, s)], dtype=np.float64)
        return np.asarray(np.interp(s, self.knots_, self.log_ratio_), dtype=np.float64)

    def ratio(self, score: ArrayLike) -> FloatArray:
        """``r̂ = exp(log r̂)`` at the given scores, shape (m,)."""
        return np.exp(self.log_ratio(score))

    __call__ = ratio


def _bin_index(edges: FloatArray, s: FloatArray) -> NDArray[np.intp]:
    """Bin of each score for bins ``[e_i, e_{i+1})`` (last bin closed; outside → end bins)."""
    idx = np.searchsorted(edges, s, side="right") - 1
    return np.asarray(np.clip(idx, 0, edges.size - 2), dtype=np.intp)


def _class_sums(block: NDArray[np.intp], y: NDArray[np.bool_], w: FloatArray,
                n_blocks: int) -> FloatArray:
    """Per block: ``[Σw_b, Σw_b², Σw_s, Σw_s²]``, shape (n_blocks, 4)."""
    cols = [np.bincount(block[m], weights=v[m], minlength=n_blocks)
            for m in (~y, y) for v in (w, w * w)]
    return np.column_stack(cols)


def _effective(sums: FloatArray) -> FloatArray:
    """Effective events ``(Σw)²/Σw²`` of background and signal (0 where ``Σw <= 0``)."""
    total, sq = sums[:, [0, 2]], sums[:, [1, 3]]
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where((total > 0) & (sq > 0), total * total / sq, 0.0)
    return np.asarray(n_eff, dtype=np.float64)


def _passes(acc: ArrayLike, min_events: float) -> bool:
    """Whether ``[Σw_b, Σw_b², Σw_s, Σw_s²]`` holds ``min_events`` effective events of each."""
    bw, bw2, sw, sw2 = (float(v) for v in np.asarray(acc, dtype=np.float64))
    return bw > 0 and sw > 0 and bw * bw >= min_events * bw2 and sw * sw >= min_events * sw2


def _merged_ratios(sums: FloatArray, min_events: float,
                   fix: str) -> tuple[NDArray[np.intp], FloatArray, FloatArray]:
    """Merge adjacent blocks until each has ``min_events`` of each class; their ``log r̂``.

    Left to right, blocks are added to a group until the group holds ``min_events``
    effective events of both classes; a short remainder joins the last group (and that
    the one before it, while a heavy-weight event keeps the last group short).

    Returns
    -------
    starts : ndarray of intp, shape (g,)
        Index of the first original block of each group.
    log_ratio : ndarray, shape (g,)
    events : ndarray, shape (g, 2)
        Effective background and signal events per group.
    """
    starts: list[int] = []
    acc = [0.0, 0.0, 0.0, 0.0]
    begin = 0
    for k, row in enumerate(sums.tolist()):
        acc = [a + b for a, b in zip(acc, row, strict=True)]
        if _passes(acc, min_events):
            starts.append(begin)
            acc, begin = [0.0, 0.0, 0.0, 0.0], k + 1
    # the short remainder joins the last group; a heavy-weight event can lower a group's
    # effective count, so merge further back until the last group passes again
    while len(starts) > 1 and begin < sums.shape[0] and not _passes(
            sums[starts[-1]:].sum(axis=0), min_events):
        begin = starts.pop()
    if len(starts) < 2:
        raise DataError(
            f"too few events to form two score blocks with >= {min_events:g} effective "
            "events of each class (the classes look separated or one is tiny); pass more "
            f"calibration events or a smaller min_events{fix}")
    idx = np.asarray(starts, dtype=np.intp)
    grouped = np.add.reduceat(sums, idx, axis=0)
    b, s = grouped[:, 0], grouped[:, 2]
    log_r = np.log(s / s.sum()) - np.log(b / b.sum())
    return idx, np.asarray(log_r, dtype=np.float64), _effective(grouped)


def calibrated_likelihood_ratio(
    y: ArrayLike,
    score: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    method: Method = "isotonic",
    bins: int = 20,
    min_events: float = 10.0,
) -> LikelihoodRatio:
    """Fit a :class:`LikelihoodRatio` on held-out labelled events.

    Parameters
    ----------
    y : array_like, shape (n,)
        1 = signal, 0 = background.
    score : array_like, shape (n,)
        Classifier scores of held-out events (not the training events).
    sample_weight : array_like, shape (n,), optional
        Event weights (negative only with ``method="histogram"``).
    method : {"isotonic", "histogram"}, default "isotonic"
    bins : int, default 20
        Quantile bins for ``method="histogram"``.
    min_events : float, default 10
        Least effective events of each class per block (module docstring).

    Returns
    -------
    LikelihoodRatio
        Fitted; ``lr(scores)`` gives ``r̂``, ``lr.log_ratio(scores)`` its log.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.r_[rng.normal(0, 1, 5000), rng.normal(1, 1, 5000)]
    >>> y = np.r_[np.zeros(5000), np.ones(5000)]
    >>> lr = calibrated_likelihood_ratio(y, x)
    >>> bool(abs(lr.log_ratio([0.5])[0]) < 0.2)   # true log r(0.5) = 0.5 - 0.5 = 0
    True
    >>> bool(abs(lr(x[y == 0]).mean() - 1.0) < 1e-9)   # E_b[r̂] = 1 on the calibration set
    True
    """
    return LikelihoodRatio(method=method, bins=bins, min_events=min_events).fit(
        y, score, sample_weight=sample_weight)
