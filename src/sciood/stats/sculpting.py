"""Sculpting guard: does the score cut make a bump in background-only events?

The hunt's own scan is rerun on a background-only reference after the same cut.  Its
largest fake signal is judged against the reference's *own* statistics (a test of the
reference spectrum against a smooth background, with the look-elsewhere effect of the
scan), then projected to the statistics of the hunted data:

* ``p_reference`` — global p-value of the reference's largest local Z under "the cut
  does not sculpt" (the toy distribution of the maximum from the hunt, else a
  Bonferroni bound over the effectively independent windows);
* ``fake_bump_z`` — the fake bump's significance at the data's statistics,
  ``Z_ref √ρ`` with ``ρ = n_eff(data) / n_eff(reference)`` after the cut;
* ``sculpted`` — ``p_reference ≤ alpha`` *and* ``fake_bump_z ≥ z_threshold``: a real,
  relevant fake bump;
* ``reach_z`` — the fake-bump Z (data units) the reference detects with 95 % probability,
  ``(z_crit + 1.645) √ρ``; ``conclusive`` — ``reach_z ≤ reach_threshold`` or sculpted.  A
  reference too small to see a 3σ fake bump is reported as *inconclusive*, never as clean.

No threshold can both catch small fake bumps and pass smooth sculpting with a small
reference: at ``ρ = 5`` a 3σ data-unit bump is 1.3σ in the reference.  The guard says so.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats as sps

from sciood.errors import DataError

__all__ = ["SculptingCheck", "judge_sculpting"]

_Z95 = float(sps.norm.isf(0.05))


@dataclass
class SculptingCheck:
    """Outcome of the sculpting guard (see the module docstring for each number)."""

    fake_bump_z: float
    fake_bump_z_reference: float
    fake_bump_window: tuple[float, float]
    p_reference: float
    critical_z: float
    ratio: float
    reach_z: float
    sculpted: bool
    conclusive: bool
    null: str
    alpha: float
    reach_threshold: float = 3.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    def messages(self) -> list[str]:
        """Flags for the hunt result."""
        out = []
        if self.sculpted:
            out.append(
                f"SCULPTING: background-only events after the cut show a fake bump at "
                f"{self.fake_bump_window[0]:.0f}-{self.fake_bump_window[1]:.0f} GeV (Z = "
                f"{self.fake_bump_z_reference:.2f} in the reference, global p = "
                f"{self.p_reference:.3g}; Z = {self.fake_bump_z:.2f} at the data's "
                "statistics); do not trust the hunt"
            )
        elif not self.conclusive:
            factor = ((self.critical_z + _Z95) / self.reach_threshold) ** 2
            out.append(
                f"sculpting inconclusive: the background reference is too small to exclude "
                f"a fake bump of Z = {self.reach_z:.1f} in the data (95 % reach); use a "
                f"reference with >= {factor:.1f}x the data's effective background count "
                "after the cut"
            )
        return out


def _null(
    z_ref: float, null_max_z: NDArray[np.float64] | None, n_independent: float, alpha: float
) -> tuple[float, float, str]:
    """(p of the reference maximum, critical local Z at alpha, null method)."""
    if null_max_z is not None:
        ok = null_max_z[np.isfinite(null_max_z)]
        if ok.size >= max(20, math.ceil(2.0 / alpha)):
            p = float((np.sum(ok >= z_ref) + 1) / (ok.size + 1))
            return p, float(np.quantile(ok, 1.0 - alpha)), "toys"
    n = max(n_independent, 1.0)
    p = float(min(1.0, n * sps.norm.sf(max(z_ref, 0.0))))
    return p, float(sps.norm.isf(alpha / n)), "bonferroni"


def judge_sculpting(
    z_reference: NDArray[np.float64],
    windows: NDArray[np.float64],
    n_eff_data: float,
    n_eff_reference: float,
    *,
    null_max_z: NDArray[np.float64] | None = None,
    n_independent: float = 1.0,
    alpha: float = 0.05,
    z_threshold: float = 2.0,
    reach_threshold: float = 3.0,
    same_events: bool = False,
) -> SculptingCheck:
    """Judge the reference's scan.

    Parameters
    ----------
    z_reference : ndarray, shape (n_windows,)
        Local Z of the hunt's scan on the background-only reference (NaN = failed).
    windows : ndarray, shape (n_windows, 2)
        Windows [GeV].
    n_eff_data, n_eff_reference : float
        Effective counts ``(Σw)²/Σw²`` after the cut in the hunt range.
    null_max_z : ndarray, shape (n_toys,), optional
        Largest local Z of background-only toys of the same scan.
    n_independent : float
        Effectively independent windows (Bonferroni null without toys).
    alpha : float
        Global false-alarm probability of the guard.
    z_threshold : float
        Data-unit fake-bump Z at or above which sculpting matters.
    reach_threshold : float
        Data-unit fake-bump Z the reference must be able to see to be conclusive.
    same_events : bool
        The reference is the hunted sample's own background (MC truth): its fake bump is
        the one in the data, so the check is conclusive by construction.

    Returns
    -------
    SculptingCheck
    """
    if not (n_eff_data > 0 and n_eff_reference > 0):
        raise DataError("the sculpting guard needs events in both the data and the reference")
    if not 0.0 < alpha < 1.0:
        raise DataError(f"sculpting alpha = {alpha} must be in (0, 1)")
    ok = np.isfinite(z_reference)
    if not np.any(ok):
        raise DataError("every window of the background-only reference scan failed")
    i = int(np.nanargmax(np.where(ok, z_reference, np.nan)))
    z_ref = float(z_reference[i])
    ratio = float(n_eff_data / n_eff_reference)
    p, z_crit, null = _null(z_ref, null_max_z, n_independent, alpha)
    fake = z_ref * math.sqrt(ratio)
    reach = (z_crit + _Z95) * math.sqrt(ratio)
    sculpted = bool(p <= alpha and fake >= z_threshold)
    return SculptingCheck(
        fake_bump_z=float(fake), fake_bump_z_reference=z_ref,
        fake_bump_window=(float(windows[i, 0]), float(windows[i, 1])), p_reference=p,
        critical_z=z_crit, ratio=ratio, reach_z=float(reach), sculpted=sculpted,
        conclusive=bool(same_events or sculpted or reach <= reach_threshold),
        null=null, alpha=alpha,
        reach_threshold=reach_threshold,
    )
