"""Calibrated classifier likelihood ratio (Cranmer, Pavez & Louppe 2015).

A classifier score ``s(x)`` that is a monotone function of the density ratio carries the
same information as ``r(x) = p(x|signal) / p(x|background)``; calibrating ``s`` on held-out
labelled events turns it into an estimate ``r̂(s)``:

* ``method="histogram"`` (Cranmer's recipe): ``r̂(s) = p̂(s|signal) / p̂(s|background)`` with
  both densities histogrammed on the same quantile bins of the pooled score.  Weighted sums
  per bin, so negative event weights are allowed as long as every bin's total per class is
  positive (otherwise: fewer bins).  Piecewise constant; monotone only if the data are.
* ``method="isotonic"``: isotonic (non-decreasing) regression of ``P(signal|s)``, turned into
  odds and divided by the class prior ratio ``W_s / W_b`` (total calibration weights):
  ``r̂ = P/(1−P) · W_b/W_s``.  Monotone non-decreasing in ``s`` by construction.  Isotonic
  regression needs non-negative weights; negative weights are refused (use the histogram).

``P`` is clipped to ``[ε, 1−ε]`` with ``ε = 1 / (2 n)`` (``n`` calibration events) so that
``r̂`` is finite and positive at the ends of the score range.
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

    Attributes
    ----------
    knots_ : ndarray, shape (k,)
        Score knots: bin edges (histogram, ``k = n_bins + 1``) or the isotonic thresholds.
    log_ratio_ : ndarray, shape (k,) or (k - 1,)
        ``log r̂`` at the knots (isotonic) or per bin (histogram).
    prior_ratio_ : float
        ``W_s / W_b`` of the calibration set.
    """

    method: Method = "isotonic"
    bins: int = 20
    knots_: FloatArray = field(default_factory=lambda: np.empty(0), init=False, repr=False)
    log_ratio_: FloatArray = field(default_factory=lambda: np.empty(0), init=False, repr=False)
    prior_ratio_: float = field(default=float("nan"), init=False)

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ConfigError(f"method={self.method!r}; use one of {', '.join(_METHODS)}")
        if isinstance(self.bins, bool) or not isinstance(self.bins, int) or self.bins < 1:
            raise ConfigError(f"bins={self.bins!r}; pass a positive integer (e.g. 20)")

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
            isotonic calibration, or a histogram bin without positive weight in a class.
        """
        yb, s, w = check_inputs(y, score, sample_weight=sample_weight)
        s = np.asarray(s, dtype=np.float64)
        w_s = float(w[yb].sum())
        self.prior_ratio_ = w_s / float(w[~yb].sum())
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
        idx = _bin_index(edges, s)
        n_bins = edges.size - 1
        sig = np.bincount(idx[y], weights=w[y], minlength=n_bins)
        bkg = np.bincount(idx[~y], weights=w[~y], minlength=n_bins)
        bad = (sig <= 0) | (bkg <= 0)
        if bad.any():
            raise DataError(
                f"{int(bad.sum())} of {n_bins} score bins have no positive signal or "
                f"background weight (first at score {edges[np.argmax(bad)]:.4g}); pass fewer "
                "bins or more calibration events"
            )
        self.knots_ = edges
        self.log_ratio_ = np.log(sig / sig.sum()) - np.log(bkg / bkg.sum())

    def _fit_isotonic(self, y: NDArray[np.bool_], s: FloatArray, w: FloatArray) -> None:
        from sklearn.isotonic import IsotonicRegression

        if (w < 0).any():
            raise DataError(
                f"{int((w < 0).sum())} negative event weights: isotonic regression needs "
                "non-negative weights; use method='histogram' (negative weights allowed "
                "per bin) or drop the negative-weight events"
            )
        eps = 0.5 / s.size
        iso = IsotonicRegression(y_min=eps, y_max=1.0 - eps, out_of_bounds="clip")
        iso.fit(s, y.astype(np.float64), sample_weight=w)
        knots = np.asarray(iso.X_thresholds_, dtype=np.float64)
        p = np.clip(np.asarray(iso.y_thresholds_, dtype=np.float64), eps, 1.0 - eps)
        self.knots_ = knots
        self.log_ratio_ = np.log(p) - np.log1p(-p) - np.log(self.prior_ratio_)

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
        if self.knots_.size == 1:
            return np.full(s.shape, float(self.log_ratio_[0]))
        return np.asarray(np.interp(s, self.knots_, self.log_ratio_), dtype=np.float64)

    def ratio(self, score: ArrayLike) -> FloatArray:
        """``r̂ = exp(log r̂)`` at the given scores, shape (m,)."""
        return np.exp(self.log_ratio(score))

    __call__ = ratio


def _bin_index(edges: FloatArray, s: FloatArray) -> NDArray[np.intp]:
    """Bin of each score for bins ``[e_i, e_{i+1})`` (last bin closed; outside → end bins)."""
    idx = np.searchsorted(edges, s, side="right") - 1
    return np.asarray(np.clip(idx, 0, edges.size - 2), dtype=np.intp)


def calibrated_likelihood_ratio(
    y: ArrayLike,
    score: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    method: Method = "isotonic",
    bins: int = 20,
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
    """
    return LikelihoodRatio(method=method, bins=bins).fit(y, score, sample_weight=sample_weight)
