"""Mass-sculpting figure of the report: background observable passing vs failing each cut."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from sciood.errors import DataError
from sciood.plot import sculpting as sculpting_panel
from sciood.plot.style import hep_style, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sciood.data.eventset import EventSet
    from sciood.report.inputs import DetectorResult

__all__ = ["sculpting"]


def sculpting(results: Sequence[DetectorResult], test_set: EventSet, *,
              observable: str | None = None, bins: int = 25) -> Figure:
    """Background ``observable`` passing vs failing each detector's cut at ε_S of the result.

    The cut is the :class:`~sciood.metrics.sculpting.SculptingResult` threshold of the
    detector; each column is one :func:`sciood.plot.sculpting` (unit-normalised shapes, and
    the ratio pass / fail below — flat at 1 when the cut does not sculpt).  At most three
    detectors per figure.

    Parameters
    ----------
    results : sequence of DetectorResult
        Only those with ``sculpting`` are drawn.
    test_set : EventSet
        The ``sim`` test set.
    observable : str, optional
        Default: the test set's first observable (``mjj``).
    bins : int, default 25
        Equal-width bins over the background range (display only; the JSD in the legend is
        the one of the evaluation).

    Returns
    -------
    Figure
    """
    res = [r for r in results if r.sculpting is not None]
    if not res:
        raise DataError("no detector has a sculpting result")
    obs_name = observable or (test_set.observables[0] if test_set.observables else None)
    if obs_name is None:
        raise DataError("the test set declares no observable; pass observable='mjj'")
    bkg = ~np.asarray(test_set.is_signal, dtype=bool)
    x = np.asarray(test_set.column(obs_name), dtype=np.float64)[bkg]
    w = np.asarray(test_set.weights, dtype=np.float64)[bkg]
    unit = " [GeV]" if obs_name.startswith("m") else ""
    ncols = min(len(res), 3)
    with hep_style():
        fig, axes = new_figure(2, ncols, size=(4.6 * ncols, 5.2), sharex=True,
                               gridspec_kw={"height_ratios": [3, 1]})
        for k, r in enumerate(res[:ncols]):
            sc = r.sculpting
            assert sc is not None  # filtered above
            s = np.asarray(r.scores["sim"], dtype=np.float64)[bkg]
            top, bot = axes[0][k], axes[1][k]
            sculpting_panel(x, s >= sc.threshold, sample_weight=w, bins=bins,
                            xlabel=f"{obs_name}{unit}", ax=top, ratio_ax=bot)
            top.set_title(f"{r.name}: ε_S = {sc.eff_s:g}", fontsize=11)
            top.legend(title=f"JSD {sc.jsd:.3g} (floor {sc.floor_matched:.2g})\n"
                             f"1/JSD {sc.inv_jsd:.3g}, R50 {sc.r50:.3g}",
                       title_fontsize=9, fontsize=9)
            if k:
                top.set_ylabel("")
                bot.set_ylabel("")
    return fig
