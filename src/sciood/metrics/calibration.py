"""Calibration of probabilistic classifier outputs: ECE, reliability curve, recalibration.

Only meaningful for scores that are probabilities ``P(signal | x)`` in [0, 1] (supervised or
outlier-exposure classifiers).  Auto-encoder reconstruction errors, flow log-densities and
other unbounded anomaly scores are *not* probabilities: every function here rejects scores
outside [0, 1] with a :class:`~sciood.errors.DataError` instead of returning a meaningless
number.

Binning: equal-mass (quantile) bins by default — the bin edges are weighted quantiles
(``numpy.quantile(..., method="inverted_cdf")`` with ``|w|``), so every bin holds about the
same weight; ``strategy="uniform"`` gives equal-width bins as in scikit-learn.  Negative
weights are allowed in the sums; a bin whose total weight is not positive is dropped with a
:class:`~sciood.metrics.inputs.MetricWarning`.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> p = rng.uniform(size=20000); y = rng.uniform(size=20000) < p
>>> ece(y, p) < 0.02
True
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar
from scipy.special import expit, logit

from sciood.errors import ConfigError, DataError
from sciood.metrics.inputs import (
    MetricWarning,
    as_column,
    as_labels,
    as_weights,
    normalise_weights,
)

__all__ = ["Calibrator", "ece", "isotonic_calibrate", "platt_scale", "prior_shift",
           "reliability_curve", "temperature_scale"]

FloatArray = NDArray[np.float64]
_EPS = 1e-12


def _check_prob(
    y: ArrayLike, prob: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validate binary labels, probabilities in [0, 1] and weights; return float arrays."""
    yb = as_labels(y)
    n = yb.shape[0]
    if n == 0:
        raise DataError("no events: y and prob are empty; pass at least one event")
    p = np.asarray(as_column(prob, "prob", n), dtype=np.float64)
    if not np.isfinite(p).all():
        raise DataError("prob contains NaN or inf; calibration needs finite probabilities "
                        "(drop those events or fix the classifier)")
    if p.min() < 0.0 or p.max() > 1.0:
        raise DataError(
            f"prob must lie in [0, 1] but spans [{p.min():.3g}, {p.max():.3g}]: calibration "
            "metrics apply to probabilistic classifier outputs only, not to auto-encoder / "
            "flow / distance anomaly scores (rank-based metrics in sciood.metrics.ranking "
            "apply to those)"
        )
    w = normalise_weights(as_weights(sample_weight, n))
    total = float(w.sum())
    if not total > 0:
        raise DataError(f"total weight must be positive, got {total:g}; check for all-zero "
                        "or mostly negative weights")
    return yb.astype(np.float64), p, w


def _bins(p: FloatArray, w: FloatArray, n_bins: int, strategy: str) -> FloatArray:
    if int(n_bins) < 1:
        raise ConfigError(f"n_bins must be >= 1, got {n_bins}")
    q = np.linspace(0.0, 1.0, int(n_bins) + 1)
    if strategy == "uniform":
        return q
    if strategy == "quantile":
        aw = np.abs(w)
        if not aw.any():  # pragma: no cover - _check_prob guarantees a positive total
            aw = np.ones_like(w)
        return np.asarray(np.quantile(p, q, weights=aw, method="inverted_cdf"))
    raise ConfigError(f"strategy must be 'quantile' or 'uniform', got {strategy!r}")


def _binned(
    y: FloatArray, p: FloatArray, w: FloatArray, n_bins: int, strategy: str
) -> tuple[FloatArray, FloatArray, FloatArray]:
    edges = _bins(p, w, n_bins, strategy)
    ids = np.searchsorted(edges[1:-1], p, side="left")  # scikit-learn's convention
    nb = edges.size - 1
    wt = np.bincount(ids, weights=w, minlength=nb)
    wp = np.bincount(ids, weights=w * p, minlength=nb)
    wy = np.bincount(ids, weights=w * y, minlength=nb)
    occupied = np.bincount(ids, minlength=nb) > 0
    bad = occupied & (wt <= 0)
    if bad.any():
        warnings.warn(
            f"{int(bad.sum())} calibration bin(s) have non-positive total weight (negative "
            "MC weights) and are dropped",
            MetricWarning,
            stacklevel=3,
        )
    keep = occupied & (wt > 0)
    wk = np.asarray(wt[keep], dtype=np.float64)
    return wp[keep] / wk, wy[keep] / wk, wk


def reliability_curve(
    y: ArrayLike,
    prob: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    n_bins: int = 10,
    strategy: Literal["quantile", "uniform"] = "quantile",
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Reliability (calibration) curve: mean predicted probability vs observed frequency.

    Parameters
    ----------
    y : array_like, shape (n,)
        1 = signal, 0 = background.
    prob : array_like, shape (n,)
        Predicted signal probability in [0, 1].
    sample_weight : array_like, shape (n,), optional
    n_bins : int, default 10
    strategy : {"quantile", "uniform"}, default "quantile"
        Equal-mass or equal-width bins.

    Returns
    -------
    mean_predicted : ndarray, shape (k,)
        Weighted mean of ``prob`` per non-empty bin (``k <= n_bins``).
    fraction_positive : ndarray, shape (k,)
        Weighted fraction of signal per bin.
    bin_weight : ndarray, shape (k,)
        Total weight per bin.

    Raises
    ------
    DataError
        If ``prob`` is outside [0, 1] (not a probability), or on degenerate input.
    """
    yy, p, w = _check_prob(y, prob, sample_weight)
    return _binned(yy, p, w, n_bins, strategy)


def ece(
    y: ArrayLike,
    prob: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    n_bins: int = 15,
    strategy: Literal["quantile", "uniform"] = "quantile",
) -> float:
    """Expected calibration error ``Σ_b (W_b / W) |conf_b − freq_b|`` with equal-mass bins.

    Parameters
    ----------
    y, prob, sample_weight : array_like, shape (n,)
        See :func:`reliability_curve`.
    n_bins : int, default 15
    strategy : {"quantile", "uniform"}, default "quantile"

    Returns
    -------
    float
        In [0, 1]; 0 for a perfectly calibrated classifier (up to binning).
    """
    conf, freq, wt = reliability_curve(
        y, prob, sample_weight=sample_weight, n_bins=n_bins, strategy=strategy
    )
    return float(np.sum(wt * np.abs(conf - freq)) / np.sum(wt))


@dataclass(frozen=True)
class Calibrator:
    """A fitted recalibration map ``prob -> calibrated prob``.

    Attributes
    ----------
    kind : {"temperature", "isotonic", "platt", "prior"}
    temperature : float or None
        Fitted temperature ``T`` (``p' = σ(logit(p) / T)``) for ``kind="temperature"``.
    model : sklearn.isotonic.IsotonicRegression or None
    slope, intercept : float or None
        ``p' = σ(slope · logit(p) + intercept)`` for ``kind="platt"`` (fitted) and
        ``kind="prior"`` (slope 1, intercept the log prior-odds ratio).
    """

    kind: Literal["temperature", "isotonic", "platt", "prior"]
    temperature: float | None = None
    model: Any = None
    slope: float | None = None
    intercept: float | None = None

    def __call__(self, prob: ArrayLike) -> FloatArray:
        """Calibrate ``prob`` (shape (n,), values in [0, 1]); returns shape (n,)."""
        p = np.asarray(prob, dtype=np.float64)
        _check_prob(np.zeros(p.shape), p, None)
        z = logit(np.clip(p, _EPS, 1 - _EPS))
        if self.kind == "temperature":
            t = float(self.temperature)  # type: ignore[arg-type]
            return np.asarray(expit(z / t))
        if self.kind in ("platt", "prior"):
            a, b = float(self.slope), float(self.intercept)  # type: ignore[arg-type]
            return np.asarray(expit(a * z + b))
        return np.asarray(self.model.predict(p), dtype=np.float64)


def temperature_scale(
    y: ArrayLike, prob: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> Calibrator:
    """Fit a temperature ``T`` minimising the weighted binary cross-entropy.

    ``p' = σ(logit(p) / T)``; ``T > 1`` softens an over-confident classifier.  It keeps the
    ranking (all ranking metrics are unchanged).  Fitted on ``log T`` with
    :func:`scipy.optimize.minimize_scalar` (bounded, ``T`` in [e⁻⁵, e⁵]).

    Parameters
    ----------
    y, prob, sample_weight : array_like, shape (n,)
        Calibration set (use data not used for training).

    Returns
    -------
    Calibrator
    """
    yy, p, w = _check_prob(y, prob, sample_weight)
    z = logit(np.clip(p, _EPS, 1 - _EPS))
    wsum = w.sum()

    def nll(log_t: float) -> float:
        zt = z / np.exp(log_t)
        # -[y log σ(z) + (1-y) log(1-σ(z))] = softplus(z) - y z, numerically stable
        return float(np.sum(w * (np.logaddexp(0.0, zt) - yy * zt)) / wsum)

    res = minimize_scalar(nll, bounds=(-5.0, 5.0), method="bounded", options={"xatol": 1e-6})
    return Calibrator(kind="temperature", temperature=float(np.exp(res.x)))


def isotonic_calibrate(
    y: ArrayLike, prob: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> Calibrator:
    """Fit a monotone (isotonic) recalibration map with scikit-learn.

    Parameters
    ----------
    y, prob, sample_weight : array_like, shape (n,)
        Non-negative weights only (pool-adjacent-violators is undefined for negative ones).

    Returns
    -------
    Calibrator

    Raises
    ------
    DataError
        On negative weights or invalid probabilities.
    """
    from sklearn.isotonic import IsotonicRegression

    yy, p, w = _check_prob(y, prob, sample_weight)
    if (w < 0).any():
        raise DataError(
            "isotonic calibration needs non-negative weights; drop or absorb negative MC "
            "weights (e.g. reweight per bin) first"
        )
    model = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip", increasing=True)
    model.fit(p, yy, sample_weight=w)
    return Calibrator(kind="isotonic", model=model)


def platt_scale(
    y: ArrayLike, prob: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> Calibrator:
    """Fit ``p' = σ(a · logit(p) + b)`` by weighted maximum likelihood (Platt 1999).

    Unlike the temperature, the intercept ``b`` absorbs a change of the signal fraction
    between the training and the calibration set (a shift of the log prior odds), so this
    repairs a classifier used at another signal fraction; it keeps the ranking for ``a > 0``.

    Parameters
    ----------
    y, prob, sample_weight : array_like, shape (n,)
        Calibration set at the signal fraction the probabilities should describe.

    Returns
    -------
    Calibrator
        ``kind="platt"`` with ``slope`` and ``intercept``.
    """
    from scipy.optimize import minimize

    yy, p, w = _check_prob(y, prob, sample_weight)
    z = logit(np.clip(p, _EPS, 1 - _EPS))
    wsum = w.sum()

    def nll(ab: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
        t = ab[0] * z + ab[1]
        r = w * (expit(t) - yy) / wsum
        return float(np.sum(w * (np.logaddexp(0.0, t) - yy * t)) / wsum), \
            np.array([np.sum(r * z), np.sum(r)])

    res = minimize(nll, np.array([1.0, 0.0]), jac=True, method="BFGS",
                   options={"gtol": 1e-9})
    return Calibrator(kind="platt", slope=float(res.x[0]), intercept=float(res.x[1]))


def prior_shift(*, train_prior: float, target_prior: float) -> Calibrator:
    """Move probabilities to another signal fraction without labels (Saerens et al. 2002).

    A classifier's ``p = P(signal | x)`` learned at signal fraction ``π_train`` becomes the
    posterior at ``π_target`` by Bayes' rule:
    ``logit p' = logit p + logit π_target − logit π_train``.  Exact when the classifier was
    calibrated at ``π_train`` and only the fraction changed (the class densities did not).

    Parameters
    ----------
    train_prior, target_prior : float
        Signal fractions (weighted) of the training sample and of the data, in (0, 1).

    Returns
    -------
    Calibrator
        ``kind="prior"`` (slope 1, intercept the log prior-odds ratio).
    """
    for name, v in (("train_prior", train_prior), ("target_prior", target_prior)):
        if not (0.0 < float(v) < 1.0):
            raise ConfigError(f"{name} must be a signal fraction in (0, 1), got {v!r}")
    shift = float(logit(float(target_prior)) - logit(float(train_prior)))
    return Calibrator(kind="prior", slope=1.0, intercept=shift)
