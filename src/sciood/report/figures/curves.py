"""ROC and SIC figure of the report: every detector, one signal against all backgrounds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sciood.errors import DataError
from sciood.plot import roc, sic
from sciood.plot.style import color, hep_style, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sciood.data.eventset import EventSet
    from sciood.evaluate.suite import ResultTable
    from sciood.report.inputs import DetectorResult

__all__ = ["roc_sic"]


def _signal_vs_all(es: EventSet, signal: str) -> NDArray[np.bool_]:
    return np.asarray((es.labels == signal) | ~es.is_signal)


def _auc(table: ResultTable, signal: str) -> float:
    if any(c.signal == signal and c.background == "all_backgrounds" for c in table.cells):
        return float(table.get(signal, "all_backgrounds", "auc")[0])
    return math.nan


def roc_sic(
    results: Sequence[DetectorResult],
    test_set: EventSet,
    signal: str,
    *,
    variant: str = "sim",
    n_bootstrap: int = 50,
    level: float = 0.68,
    min_background: float = 50.0,
    seed: int = 0,
) -> Figure:
    """Background rejection and SIC versus signal efficiency, with bootstrap bands.

    Signal ``signal`` against all background classes (cross-section weighted), drawn with
    :func:`sciood.plot.roc` and :func:`sciood.plot.sic`.  The SIC curve is solid where at
    least ``min_background`` effective background events pass the cut (where ``max_sic`` is
    taken) and dotted beyond.

    Parameters
    ----------
    results : sequence of DetectorResult
        Detectors to draw (``scores[variant]`` aligned with ``test_set``).
    test_set : EventSet
        Test events of ``variant``, shape (n_events,).
    signal : str
        Signal class label.
    n_bootstrap : int, default 50
        Poisson-bootstrap replicas of the band; 0 or 1 draws the curves without bands.
    level : float, default 0.68
        Coverage of the band.

    Returns
    -------
    Figure
        Left: ``1/ε_B`` (log) vs ``ε_S``; right: ``SIC = ε_S/√ε_B`` vs ``ε_S``.
    """
    mask = _signal_vs_all(test_set, signal)
    y = np.asarray(test_set.is_signal[mask], dtype=bool)
    if not y.any():
        raise DataError(f"no events of signal {signal!r} in the {variant} test set")
    w = np.asarray(test_set.weights[mask], dtype=np.float64)
    with hep_style():
        fig, ax = new_figure(1, 2, size=(11.0, 4.6))
        a_roc, a_sic = ax[0]
        for i, r in enumerate(results):
            s = np.asarray(r.scores[variant], dtype=np.float64)[mask]
            auc = _auc(r.table, signal)
            lab = f"{r.name} (AUC {auc:.3f})" if math.isfinite(auc) else r.name
            common: dict[str, Any] = {"sample_weight": w, "color": color(i),
                                      "n_bootstrap": n_bootstrap, "level": level,
                                      "seed": seed}
            roc(y, s, label=lab, ax=a_roc, **common)
            sic(y, s, label=r.name, ax=a_sic, min_background=min_background, **common)
        a_roc.legend(title=f"{signal} vs all backgrounds", loc="upper right")
        bands = (f"{round(100 * level)} % bootstrap bands; " if n_bootstrap >= 2 else
                 "no bootstrap bands; ")
        a_sic.legend(title=f"{bands}dotted: < {min_background:g} eff. bkg events",
                     loc="best", title_fontsize=9)
    return fig
