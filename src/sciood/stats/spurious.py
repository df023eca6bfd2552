"""Spurious-signal test of a background function on a high-statistics template.

The signal + background fit of the hunt is run on a background-only template (MC or a
smooth expectation, with far more events than the data); the fitted yield at each mass
hypothesis is the bias the function alone would put into a search, quoted as a fraction
of the signal's statistical uncertainty at the data's statistics.  The field's rule of
thumb: below 20 % (ATLAS/CMS dijet and diphoton searches); above, take a larger function.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError
from sciood.stats.binning import as_1d, signal_template
from sciood.stats.spectrum_fit import fit_spectrum

__all__ = ["SpuriousSignal", "spurious_signal"]


@dataclass
class SpuriousSignal:
    """Spurious signal per mass hypothesis.

    Attributes
    ----------
    masses : ndarray, shape (n_masses,)
        Mass hypotheses [GeV].
    signal : ndarray, shape (n_masses,)
        Fitted yield on the template scaled to the data's total (events).
    fraction : ndarray, shape (n_masses,)
        ``|signal| / σ_ŝ`` with ``σ_ŝ`` the statistical error at the data's statistics.
    model : str
        Background function tested.
    passed : bool
        ``max(fraction) < threshold``.
    """

    masses: NDArray[np.float64]
    signal: NDArray[np.float64]
    fraction: NDArray[np.float64]
    model: str
    threshold: float
    passed: bool
    flags: list[str] = field(default_factory=list)

    @property
    def worst(self) -> float:
        """Largest ``|ŝ|/σ_ŝ`` over the hypotheses."""
        ok = self.fraction[np.isfinite(self.fraction)]
        return float(ok.max()) if ok.size else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly summary."""
        return {"model": self.model, "threshold": self.threshold, "passed": self.passed,
                "worst": self.worst, "masses": self.masses.tolist(),
                "fraction": [float(x) if math.isfinite(x) else None for x in self.fraction],
                "flags": list(self.flags)}


def spurious_signal(
    edges: ArrayLike,
    template: ArrayLike,
    *,
    data_events: float,
    model: str = "dijet4",
    masses: ArrayLike | None = None,
    rel_width: float = 0.05,
    template_sumw2: ArrayLike | None = None,
    threshold: float = 0.2,
    sqrt_s: float = 13000.0,
) -> SpuriousSignal:
    """Fit signal + background to a background-only template at each mass hypothesis.

    Parameters
    ----------
    edges : array-like, shape (n_bins + 1,)
        Bin edges [GeV] of the hunt.
    template : array-like, shape (n_bins,)
        Background-only counts (Σw) with many more events than the data.
    data_events : float
        Background events of the data in the range (the yield and its error are scaled
        to it: the error like ``1/√N``).
    model : str
        Background function to test.
    masses : array-like, optional
        Hypotheses [GeV]; default every bin centre at least 2σ inside the range.
    rel_width : float
        Gaussian signal width σ/m.
    template_sumw2 : array-like, shape (n_bins,), optional
        Σw² of the template (default: the counts, unit weights).
    threshold : float
        Pass if every ``|ŝ|/σ_ŝ`` is below this.

    Returns
    -------
    SpuriousSignal
    """
    e = as_1d("edges", edges)
    t = as_1d("template", template, e.size - 1)
    t2 = t.copy() if template_sumw2 is None else as_1d("template_sumw2", template_sumw2, t.size)
    total = float(t.sum())
    if not (math.isfinite(data_events) and data_events > 0):
        raise DataError(f"data_events = {data_events} must be a positive count")
    if total < data_events:
        raise DataError(f"the template holds {total:g} events, fewer than the data's "
                        f"{data_events:g}: a spurious-signal test needs a larger template")
    if masses is None:
        centres = np.sqrt(e[:-1] * e[1:])
        inside = (centres * (1 - 2 * rel_width) > e[0]) & (centres * (1 + 2 * rel_width) < e[-1])
        m_arr = centres[inside]
    else:
        m_arr = as_1d("masses", masses)
    bfit = fit_spectrum(e, t, t2, model=model, sqrt_s=sqrt_s)
    scale = data_events / total
    sig, frac = np.full(m_arr.size, np.nan), np.full(m_arr.size, np.nan)
    flags = []
    for i, m in enumerate(m_arr):
        f = fit_spectrum(e, t, t2, model=model, template=signal_template(e, m, rel_width * m),
                         start=bfit.values, sqrt_s=sqrt_s)
        if not (f.converged and f.signal is not None):
            flags.append(f"fit at {m:.0f} GeV did not converge")
            continue
        sig[i] = f.signal * scale
        # the error at the data's statistics: scale the template's error by sqrt(N_data/N)
        frac[i] = abs(f.signal * scale) / (f.signal_error * math.sqrt(scale))
    worst = np.nanmax(frac) if np.any(np.isfinite(frac)) else np.inf
    return SpuriousSignal(m_arr, sig, frac, model, threshold, bool(worst < threshold), flags)
