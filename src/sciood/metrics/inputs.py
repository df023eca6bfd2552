"""Input checks shared by every metric: labels, scores and per-event weights as NumPy arrays.

Every metric takes ``y`` (1 / True = signal or anomaly, 0 / False = background), ``score``
(higher = more anomalous) and optional per-event ``sample_weight`` (negative Monte-Carlo
weights are legal).  This module turns them into checked arrays once, so the metrics
themselves never see a list, a pandas Series, an ``(n, 1)`` column, NaN or a missing class:

* bool / integer / float inputs only; int64 / uint64 scores beyond 2**53 stay integers (a
  float64 cast would tie neighbours);
* weights with an extreme ``max|w|`` are rescaled by a power of two (:func:`normalise_weights`,
  exact; every metric is invariant to a global positive factor);
* both classes present with positive total weight.

:class:`MetricWarning` lives here too: it is how a metric says "computed, but read with care".

>>> y, s, w = check_inputs([0, 1, 1], [0.2, 0.9, 0.4], sample_weight=[1.0, 2.0, -0.5])
>>> y.tolist(), s.dtype.name, w.tolist()
([False, True, True], 'float64', [1.0, 2.0, -0.5])
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError

__all__ = [
    "MetricWarning",
    "as_column",
    "as_labels",
    "as_scores",
    "as_weights",
    "check_inputs",
    "normalise_weights",
]

FloatArray = NDArray[np.float64]


class MetricWarning(UserWarning):
    """A metric was computed but the number deserves caution (e.g. infinite rejection)."""


#: Scores of these integer dtypes can exceed 2**53 and would tie when cast to float64.
_WIDE_INTS = (np.dtype(np.int64), np.dtype(np.uint64))
#: Weights whose largest magnitude lies outside [2**-64, 2**64] are rescaled by a power of two.
_SAFE_WEIGHT = (2.0**-64, 2.0**64)


def as_column(values: ArrayLike, name: str, n: int | None = None) -> NDArray[Any]:
    """``values`` as a 1-D numeric NumPy array (pandas Series and ``(n, 1)`` columns accepted).

    Parameters
    ----------
    values : array_like, shape (n,) or (n, 1)
        Numbers (bool, integer or float).
    name : str
        Argument name for the error message.
    n : int, optional
        Required length.

    Returns
    -------
    ndarray, shape (n,)
        In the input's own dtype (no cast: integer order is kept).

    Raises
    ------
    DataError
        Non-numeric (object, string, complex, datetime) dtype, an array that is not one value
        per event, or the wrong length.
    """
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} cannot be read as an array ({exc}); pass a 1-D numeric "
                        "array with one value per event") from exc
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]  # a column vector, e.g. a (n, 1) network output
    if arr.ndim != 1:
        raise DataError(
            f"{name} must be 1-D (one value per event), got shape {arr.shape}; pass a "
            "1-D array or an (n, 1) column (for per-jet scores reduce them per event first)"
        )
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{name} has dtype {arr.dtype}, which is not a real number type; pass a bool, "
            f"integer or float array (e.g. np.asarray({name}, dtype=float) after removing "
            "missing values)"
        )
    if n is not None and arr.shape[0] != n:
        raise DataError(
            f"length mismatch: {name} has {arr.shape[0]} entries but there are {n} events; "
            f"pass one {name} value per event"
        )
    return arr


def as_labels(y: ArrayLike, name: str = "y") -> NDArray[np.bool_]:
    """Binary truth as bool (1 / True = signal); rejects anything that is not 0/1."""
    try:
        dtype = np.asarray(y).dtype
    except (TypeError, ValueError):
        dtype = np.dtype(object)
    if dtype.kind in "OUS":
        raise DataError(
            f"{name} has dtype {dtype}: labels must be 0/1 or boolean; convert class names "
            f"with e.g. {name} = (labels == 'signal')"
        )
    arr = as_column(y, name)
    if arr.dtype == np.bool_:
        return arr
    bad = (arr != 0) & (arr != 1)  # also catches NaN
    if bad.any():
        raise DataError(
            f"{name} must contain only 0 (background) and 1 (signal); found e.g. "
            f"{arr[bad][0]!r}; map the labels to 0/1 (e.g. {name} = ({name} == 1) for -1/+1 "
            "labels)"
        )
    return np.asarray(arr == 1)


def as_scores(score: ArrayLike, n: int, name: str = "score") -> NDArray[Any]:
    """Finite scores in a dtype that keeps their order exactly.

    Floats (float16/32/64) and bools become float64 (exact); integers too, unless they are
    int64 / uint64 beyond ±2**53, which stay integers (a float64 cast would tie them).
    """
    arr = as_column(score, name, n)
    if arr.dtype in _WIDE_INTS:
        if arr.size and max(abs(int(arr.min())), abs(int(arr.max()))) > 2**53:
            return arr
        return arr.astype(np.float64)
    s = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(s).all():
        n_bad = int(np.count_nonzero(~np.isfinite(s)))
        raise DataError(
            f"{name} contains {n_bad} non-finite values (NaN/inf); remove those events or fix "
            "the detector before computing metrics"
        )
    return s


def as_weights(sample_weight: ArrayLike | None, n: int) -> FloatArray:
    """Finite float64 weights (negative allowed); ones when ``None``.  Not rescaled."""
    if sample_weight is None:
        return np.ones(n, dtype=np.float64)
    w = np.asarray(as_column(sample_weight, "sample_weight", n), dtype=np.float64)
    if not np.isfinite(w).all():
        n_bad = int(np.count_nonzero(~np.isfinite(w)))
        raise DataError(
            f"sample_weight contains {n_bad} NaN or inf values; fix the event weights (or "
            "drop those events)"
        )
    return w


def normalise_weights(w: FloatArray) -> FloatArray:
    """Rescale ``w`` by a power of two so that ``max|w|`` lies in [0.5, 1) if it is extreme.

    Every metric is invariant to a global positive weight factor; a power of two is exact in
    binary floating point, so results are bit-identical to the unscaled ones whenever those
    do not overflow or underflow (sums of weights ~1e200, squares of weights ~1e-200).
    Weights with ``max|w|`` in [2⁻⁶⁴, 2⁶⁴] are returned unchanged (no copy).
    """
    return _normalise(w)[0]


def _normalise(w: FloatArray) -> tuple[FloatArray, bool]:
    """:func:`normalise_weights` and whether every weight is >= 0 (one min and one max pass)."""
    if w.size == 0:
        return w, True
    lo, hi = float(w.min()), float(w.max())
    big = max(hi, -lo)  # max|w| without a full-length temporary
    if big == 0.0 or _SAFE_WEIGHT[0] <= big <= _SAFE_WEIGHT[1]:
        return w, lo >= 0
    _, exp = math.frexp(big)
    return np.asarray(np.ldexp(w, -exp), dtype=np.float64), lo >= 0



def check_inputs(
    y: ArrayLike, score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray]:
    """Validate and convert ``(y, score, sample_weight)``.

    Parameters
    ----------
    y : array_like, shape (n,) or (n, 1)
        Binary truth: 1 / True = signal (anomaly), 0 / False = background.
    score : array_like, shape (n,) or (n, 1)
        Finite anomaly scores, higher = more anomalous (bool, integer or float dtype).
    sample_weight : array_like, shape (n,), optional
        Finite per-event weights (may be negative). Default: all ones.

    Returns
    -------
    y : ndarray of bool, shape (n,)
    score : ndarray, shape (n,)
        float64, or the original int64 / uint64 when values exceed 2**53 (exact order).
    weight : ndarray of float64, shape (n,)
        Rescaled by a power of two if their magnitude is extreme (see
        :func:`normalise_weights`; every metric is invariant to it).

    Raises
    ------
    DataError
        On a length mismatch, an empty input, labels other than 0/1, a non-numeric dtype,
        non-finite scores or weights, a missing class, or a class whose total weight is not
        positive.
    """
    yb, s, w, _ = _check_inputs(y, score, sample_weight)
    return yb, s, w


def _check_inputs(
    y: ArrayLike, score: ArrayLike, sample_weight: ArrayLike | None = None, *,
    totals: bool = True,
) -> tuple[NDArray[np.bool_], NDArray[Any], FloatArray, bool]:
    """:func:`check_inputs`, plus whether every weight is non-negative.

    ``totals=False`` skips the class-total check (the caller checks the totals it computes
    anyway with :func:`_check_totals`: a masked sum over 10⁷ events costs ~70 ms).
    """
    yb = as_labels(y)
    n = yb.shape[0]
    if n == 0:
        raise DataError("no events: y and score are empty; pass at least one signal and one "
                        "background event")
    s_arr = as_scores(score, n)
    w, nonneg = _normalise(as_weights(sample_weight, n))
    n_sig = int(np.count_nonzero(yb))
    if n_sig == 0 or n_sig == n:
        which = "signal (y=1)" if n_sig == 0 else "background (y=0)"
        raise DataError(
            f"only one class present: no {which} events; ranking metrics need both signal "
            "and background (check the labels or the event selection)"
        )
    if totals:
        w_s = float(np.sum(w[yb]))
        _check_totals(w_s, float(np.sum(w)) - w_s)
    return yb, s_arr, w, nonneg


def _check_totals(w_s: float, w_b: float) -> None:
    """Raise :class:`DataError` unless both class totals are positive."""
    if not (w_s > 0 and w_b > 0):
        raise DataError(
            f"total weights must be positive for both classes, got signal {w_s:g} and "
            f"background {w_b:g}; check for all-zero or mostly negative weights (ε = passing "
            "weight / class total is undefined otherwise)"
        )

