"""Input checks of every detector, and scoring in fixed blocks of rows.

``fit`` and ``score`` refuse, with a :class:`~sciood.errors.DataError` naming the row, the
column and the fix: complex, non-numeric, ragged or empty inputs, NaN / Inf, values beyond
:data:`MAX_ABS_INPUT` (raw) or :data:`MAX_STANDARDISED` (after standardisation), a wrong
number of dimensions or a per-event shape other than the one fitted on, weights or
observables of the wrong length, and labels that do not fit the detector's kind.

:func:`score_in_blocks` makes a score independent of the batch it came in (see its
docstring).

>>> import numpy as np
>>> from sciood.detectors.inputs import score_in_blocks
>>> score_in_blocks(lambda a: a.sum(1), np.ones((5, 2)), block=4).tolist()
[2.0, 2.0, 2.0, 2.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from sciood.errors import DataError

__all__ = ["MAX_ABS_INPUT", "MAX_STANDARDISED", "SCORE_BLOCK", "LabelKind", "check_labels",
           "check_magnitude", "check_vector", "finite_array", "score_in_blocks"]

LabelKind = Literal["none", "binary", "multiclass", "exposure"]

#: Rows of every internal scoring block (see :func:`score_in_blocks`): 3072 = 2^10 * 3, a
#: multiple of every common GEMM row micro-kernel height (4, 6, 8, 12, 16, 24, 32, 48) and
#: of every SIMD width, so no row ever falls into a kernel's remainder path.  Measured on
#: the shared 2-core machine (1 thread): ``ae`` 1.1 M events/s with blocks of 768, 2.7 M/s
#: with 3072; ``iforest`` (per-call overhead) 0.021 -> 0.050 M/s.
SCORE_BLOCK = 3072

#: Largest |value| accepted in a detector's raw input.  Beyond it float32 networks overflow
#: and squared distances lose all precision; no physical feature comes near it.
MAX_ABS_INPUT = 1e30

#: Largest |value| a standardised input may take at score time (in training standard
#: deviations).  Beyond it a float32 network's squares and exponentials overflow into inf /
#: NaN scores; a feature a million standard deviations out is a unit or data error.
MAX_STANDARDISED = 1e6


def score_in_blocks(fn: Callable[[np.ndarray], Any], arr: np.ndarray,
                    block: int = SCORE_BLOCK) -> np.ndarray:
    """Apply ``fn`` to fixed blocks of exactly ``block`` rows and concatenate the results.

    Every call of ``fn`` sees an array of shape ``(block, ...)``: the last, short block is
    padded by repeating its last (valid) row, and the padding's results are discarded.  A
    row's result therefore never depends on how many rows were scored with it (GEMM kernels
    choose their blocking and micro-kernels from the matrix shape, and reductions their
    vectorisation from the length), nor on its offset: scores are bit-identical whatever
    the batch size, shard size, offset or worker count (docs/decisions.md).

    Parameters
    ----------
    fn : callable
        ``(block, ...) -> (block, ...)`` array-like, one result row per input row.
    arr : ndarray, shape ``(n, ...)``

    Returns
    -------
    ndarray, shape ``(n, ...)`` (the per-row result shape of ``fn``)
    """
    n = len(arr)
    if n == 0:
        return np.asarray(fn(arr))
    parts = []
    for start in range(0, n, block):
        part = arr[start:start + block]
        m = len(part)
        if m < block:
            part = np.concatenate([part, np.repeat(part[-1:], block - m, axis=0)])
        parts.append(np.asarray(fn(np.ascontiguousarray(part)))[:m])
    return np.concatenate(parts)


def finite_array(X: Any, what: str, dtype: Any, *, limit: float | None = None,
                 names: tuple[str, ...] | None = None) -> np.ndarray:
    """``X`` as a non-empty, finite, real array of ``dtype`` (shape ``(n, ...)``).

    Parameters
    ----------
    X : array-like
    what : str
        How ``X`` is named in messages.
    dtype : numpy dtype
    limit : float, optional
        Refuse ``|value| > limit`` (:func:`check_magnitude`).
    names : tuple of str, optional
        Column names, for messages.

    Raises
    ------
    DataError
        Complex, not numeric, empty, NaN / Inf, or beyond ``limit``.
    """
    try:
        raw = np.asarray(X)
        if raw.dtype.kind == "c":
            raise DataError(f"{what} is complex ({raw.dtype}); pass real numbers (take .real "
                            "or abs() explicitly)")
        wide = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{what} cannot be converted to a numeric array: {exc}") from exc
    if wide.ndim == 0 or len(wide) == 0:
        raise DataError(f"{what} is empty (shape {wide.shape}); pass at least one event")
    if not np.isfinite(wide).all():
        flat = wide.reshape(len(wide), -1)
        bad = np.flatnonzero(~np.isfinite(flat).all(1))
        raise DataError(
            f"{what} contains NaN or Inf in {bad.size} event(s) (first at row {bad[0]}); "
            "drop or impute those events before fit/score"
        )
    if limit is not None:
        check_magnitude(wide, what, limit, "", names)
    return wide if np.dtype(dtype) == np.float64 else wide.astype(dtype)


def check_magnitude(arr: np.ndarray, what: str, limit: float, unit: str,
                    names: tuple[str, ...] | None = None) -> None:
    """Raise :class:`DataError` naming the first row / column with ``|value| > limit``."""
    flat = arr.reshape(len(arr), -1)
    big = np.abs(flat) > limit
    if not big.any():
        return
    row, col = (int(i[0]) for i in np.nonzero(big))
    label = f"column {col}" + (f" ({names[col]!r})" if names and col < len(names) else "")
    raise DataError(
        f"{what} {label} has the value {float(flat[row, col]):.6g}{unit} at row {row} "
        f"({int(big.any(1).sum())} event(s) affected): |value| must be <= {limit:.0e}{unit} "
        "to be represented in the detector's arithmetic (float32 networks and squared "
        "distances overflow into inf/NaN scores). Check the units of that feature or a "
        "corrupt value; drop or clip those events, or drop a near-constant feature"
    )


def check_vector(v: Any, n: int, what: str) -> np.ndarray:
    """``v`` as a finite float64 array of shape ``(n,)`` (one value per event)."""
    arr = finite_array(v, what, np.float64)
    if arr.shape != (n,):
        raise DataError(f"{what} has shape {arr.shape}, expected ({n},), one value per event")
    return arr


_LABEL_HELP = {"binary": "0 = background, 1 = signal",
               "multiclass": "one background class name per event",
               "exposure": "0 = training background, 1 = outlier-exposure event"}


def check_labels(y: Any, n: int, kind: LabelKind, who: str) -> np.ndarray | None:
    """Labels ``y`` checked for a detector whose labels are of ``kind``.

    Returns
    -------
    None for ``kind="none"``; str array ``(n,)`` for ``"multiclass"``; else int64 0/1
    array ``(n,)`` holding both classes.
    """
    if kind == "none":
        return None
    if y is None:
        raise DataError(f"{who} needs labels y at fit: {_LABEL_HELP[kind]}")
    arr = np.asarray(y)
    if arr.shape != (n,):
        raise DataError(f"y has shape {arr.shape}, expected ({n},)")
    if kind == "multiclass":
        return arr.astype(str)
    if not np.isin(arr, [0, 1]).all():
        raise DataError("y must contain only 0 and 1 (or booleans)")
    arr = arr.astype(np.int64)
    if arr.min() == arr.max():
        raise DataError(f"{who} needs both y = 0 and y = 1 events, got only {arr[0]}")
    return arr
