"""Signal-injection scans: does an anomaly detector help discovery?

For each injected signal count the full background plus ``n`` signal events drawn
without replacement from the signal pool are hunted, once per detector (cut at a fixed
background efficiency) and once with no cut (the ``mjj_only`` baseline).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood._compat import renamed_weights
from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import as_1d as _as_1d
from sciood.stats.binning import make_edges as _make_edges
from sciood.stats.bumphunt import bump_hunt
from sciood.stats.cuts import cut_threshold_for_efficiency

__all__ = ["BASELINE", "InjectionResult", "injection_scan"]

log = logging.getLogger(__name__)

BASELINE = "mjj_only"


@dataclass
class InjectionResult:
    """Significance versus injected signal, per detector.

    Every array has shape ``(n_repeats, len(n_signal))``; NaN marks a hunt that failed
    (the reason is in ``flags``).

    Attributes
    ----------
    n_signal : ndarray, shape (k,)
        Injected signal counts.
    detectors : list of str
        Detector names; ``"mjj_only"`` is the no-cut baseline.
    local_z_observed : dict[str, ndarray]
        Observed local significance of the most significant window.
    local_z_expected : dict[str, ndarray]
        Expected (Asimov) local significance of the injected signal (truth-based).
    global_z_observed : dict[str, ndarray]
        Observed global significance (NaN when ``n_toys = 0``).
    best_window_center : dict[str, ndarray]
        Centre [GeV] of the most significant window.
    fake_bump_z : dict[str, ndarray]
        Sculpting guard: largest local Z on background-only after the cut.
    cut_thresholds : dict[str, float | None]
        Score threshold per detector (background efficiency ``cut_eff_b``).
    """

    n_signal: NDArray[np.int64]
    detectors: list[str]
    local_z_observed: dict[str, NDArray[np.float64]]
    local_z_expected: dict[str, NDArray[np.float64]]
    global_z_observed: dict[str, NDArray[np.float64]]
    best_window_center: dict[str, NDArray[np.float64]]
    fake_bump_z: dict[str, NDArray[np.float64]]
    cut_thresholds: dict[str, float | None]
    cut_eff_b: float
    seed: int
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly nested dict (NaN as None)."""

        def clean(a: NDArray[np.float64]) -> list[Any]:
            return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]

        return {
            "n_signal": self.n_signal.tolist(),
            "detectors": self.detectors,
            "cut_eff_b": self.cut_eff_b,
            "seed": self.seed,
            "cut_thresholds": self.cut_thresholds,
            "local_z_observed": {k: clean(v) for k, v in self.local_z_observed.items()},
            "local_z_expected": {k: clean(v) for k, v in self.local_z_expected.items()},
            "global_z_observed": {k: clean(v) for k, v in self.global_z_observed.items()},
            "best_window_center": {k: clean(v) for k, v in self.best_window_center.items()},
            "fake_bump_z": {k: clean(v) for k, v in self.fake_bump_z.items()},
            "flags": self.flags,
        }

    def to_json(self, path: str | os.PathLike[str]) -> None:
        """Write :meth:`to_dict` as JSON (atomic write)."""
        from sciood.io import atomic_write_bytes

        atomic_write_bytes(path, json.dumps(self.to_dict(), indent=1).encode())

    def to_frame(self) -> Any:
        """Long-format ``pandas.DataFrame`` (one row per detector, repeat, n_signal)."""
        import pandas as pd

        rows = []
        for det in self.detectors:
            for r in range(self.local_z_observed[det].shape[0]):
                for j, n in enumerate(self.n_signal):
                    rows.append(
                        {
                            "detector": det,
                            "repeat": r,
                            "n_signal": int(n),
                            "local_z_observed": self.local_z_observed[det][r, j],
                            "local_z_expected": self.local_z_expected[det][r, j],
                            "global_z_observed": self.global_z_observed[det][r, j],
                            "best_window_center": self.best_window_center[det][r, j],
                            "fake_bump_z": self.fake_bump_z[det][r, j],
                        }
                    )
        return pd.DataFrame(rows)


def _truth(is_signal: ArrayLike, n: int, signal_labels: Sequence[str] | None) -> NDArray[np.bool_]:
    arr = np.asarray(is_signal).ravel()
    if arr.size != n:
        raise DataError(f"is_signal/labels has {arr.size} entries, observable has {n}")
    if arr.dtype.kind in "OUS":
        if signal_labels is None:
            raise DataError(
                "labels were given as strings; pass signal_labels=[...] naming the signal "
                "classes, or pass the boolean eventset.is_signal"
            )
        return np.isin(arr.astype(str), list(signal_labels))
    return arr.astype(bool)


def injection_scan(
    scores_by_detector: Mapping[str, ArrayLike],
    observable: ArrayLike,
    is_signal: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
    n_signal: Sequence[int] = (0, 250, 500, 1000, 2000),
    cut_eff_b: float = 0.1,
    signal_weight: float = 1.0,
    signal_labels: Sequence[str] | None = None,
    n_repeats: int = 1,
    n_toys: int = 0,
    bins: int | ArrayLike | None = None,
    mjj_range: tuple[float, float] | None = None,
    include_baseline: bool = True,
    seed: int = 0,
    weights: ArrayLike | None = None,
    **hunt_kwargs: Any,
) -> InjectionResult:
    """Significance versus injected signal for each detector and the mjj-only baseline.

    Parameters
    ----------
    scores_by_detector : mapping str -> array-like, shape (n_events,)
        Anomaly scores of every event (background and signal pool) per detector.
    observable : array-like, shape (n_events,)
        ``mjj`` [GeV].
    is_signal : array-like, shape (n_events,)
        Booleans (``eventset.is_signal``) or class labels with ``signal_labels``.
    sample_weight : array-like, shape (n_events,), optional
        Background weights in expected events at the luminosity studied (signal-pool
        weights are ignored: each injected event carries ``signal_weight``).
    n_signal : sequence of int
        Injected signal counts; events are sampled without replacement from the pool.
    cut_eff_b : float
        Background efficiency of the score cut (computed on the true background, fixed
        across injections).
    signal_weight : float
        Weight of each injected signal event.
    signal_labels : sequence of str, optional
        Signal class names when ``is_signal`` holds labels.
    n_repeats : int
        Independent signal draws per count (spread of the result).
    n_toys : int
        Toys for the global significance per hunt (0 = local only; costly).
    bins, mjj_range : optional
        Binning shared by all hunts; default from the background's mjj range.
    include_baseline : bool
        Also run the mjj-only (no cut) hunt.
    seed : int
        Seed of the signal sampling and of the toys.
    weights : array-like, optional
        Deprecated alias of ``sample_weight`` (FutureWarning).
    **hunt_kwargs
        Passed to :func:`~sciood.stats.bumphunt.bump_hunt` (``windows``, ``sqrt_s``, ...).

    Returns
    -------
    InjectionResult

    Examples
    --------
    >>> res = injection_scan({"ae": s_ae, "flow": s_flow}, es.column("mjj"),
    ...                      es.is_signal, sample_weight=es.weights * lumi,
    ...                      seed=1)                                         # doctest: +SKIP
    >>> res.to_frame().pivot_table("local_z_observed", "n_signal", "detector")  # doctest: +SKIP
    """
    sample_weight = cast("ArrayLike | None",
                         renamed_weights(sample_weight, weights, "injection_scan"))
    obs = _as_1d("observable", observable)
    n_ev = obs.size
    w = np.ones(n_ev) if sample_weight is None else _as_1d("sample_weight", sample_weight, n_ev)
    truth = _truth(is_signal, n_ev, signal_labels)
    bkg = np.flatnonzero(~truth)
    pool = np.flatnonzero(truth)
    if bkg.size == 0:
        raise DataError("no background events (is_signal is all True)")
    counts = np.asarray(list(n_signal), dtype=np.int64)
    if counts.size == 0 or np.any(counts < 0):
        raise DataError(f"n_signal = {list(n_signal)} must be non-negative counts")
    if counts.max() > pool.size:
        raise DataError(
            f"cannot inject {counts.max()} signal events without replacement from a pool of "
            f"{pool.size}; generate more signal or lower n_signal"
        )
    if n_repeats < 1:
        raise DataError(f"n_repeats = {n_repeats} must be >= 1")
    scores = {name: _as_1d(f"scores[{name!r}]", s, n_ev) for name, s in scores_by_detector.items()}
    if BASELINE in scores:
        raise DataError(f"{BASELINE!r} is reserved for the no-cut baseline; rename the detector")
    edges = _make_edges(obs[bkg], bins, mjj_range, sample_weight=w[bkg])
    thresholds: dict[str, float | None] = {
        name: cut_threshold_for_efficiency(s[bkg], cut_eff_b, sample_weight=w[bkg])
        for name, s in scores.items()
    }
    names = ([BASELINE] if include_baseline else []) + list(scores)
    if include_baseline:
        thresholds[BASELINE] = None
    shape = (n_repeats, counts.size)

    def nan() -> NDArray[np.float64]:
        return np.full(shape, np.nan)

    out = {key: {d: nan() for d in names} for key in ("lo", "le", "go", "bw", "fb")}
    flags: list[str] = []
    rng = np.random.default_rng(seed)
    for r in range(n_repeats):
        for j, n_s in enumerate(counts):
            chosen = rng.choice(pool, size=int(n_s), replace=False)
            idx = np.concatenate([bkg, chosen])
            w_s = np.concatenate([w[bkg], np.full(chosen.size, float(signal_weight))])
            t_s = np.concatenate([np.zeros(bkg.size, bool), np.ones(chosen.size, bool)])
            for d in names:
                sc = None if d == BASELINE else scores[d][idx]
                try:
                    res = bump_hunt(
                        obs[idx],
                        sc,
                        sample_weight=w_s,
                        cut_threshold=thresholds[d],
                        is_signal=t_s,
                        bins=edges,
                        n_toys=n_toys,
                        seed=seed + 1000 * r + j,
                        **hunt_kwargs,
                    )
                except (StatisticsError, DataError) as exc:
                    flags.append(f"{d}, n_signal={n_s}, repeat {r}: {exc}")
                    continue
                out["lo"][d][r, j] = res.local_z_observed
                if res.local_z_expected is not None and n_s > 0:
                    out["le"][d][r, j] = res.local_z_expected
                elif n_s == 0:
                    out["le"][d][r, j] = 0.0
                if res.global_z_observed is not None:
                    out["go"][d][r, j] = res.global_z_observed
                out["bw"][d][r, j] = 0.5 * (res.best_window[0] + res.best_window[1])
                if res.fake_bump_z is not None:
                    out["fb"][d][r, j] = res.fake_bump_z
                if res.sculpting_flag:
                    where = "" if res.fake_bump_z is None else f", fake Z={res.fake_bump_z:.2f}"
                    flags.append(f"{d}, n_signal={n_s}: sculpting{where}")
    return InjectionResult(
        n_signal=counts,
        detectors=names,
        local_z_observed=out["lo"],
        local_z_expected=out["le"],
        global_z_observed=out["go"],
        best_window_center=out["bw"],
        fake_bump_z=out["fb"],
        cut_thresholds=thresholds,
        cut_eff_b=cut_eff_b,
        seed=seed,
        flags=flags,
    )
