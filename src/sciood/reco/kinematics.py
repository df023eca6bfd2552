"""Four-vector helpers shared by clustering, substructure and the LHCO feature reader.

Conventions: pT = √(px² + py²); η = asinh(pz / pT); rapidity y = ½ ln((E + pz)/(E − pz));
φ = atan2(py, px); m = √max(E² − p², 0); Δφ wrapped into [−π, π); a ratio with a zero
denominator is 0 (so τ21 of a jet with τ1 = 0 is 0, not NaN).
"""

from __future__ import annotations

import numpy as np

__all__ = ["delta_phi", "kinematics", "ratio"]


def kinematics(px: np.ndarray, py: np.ndarray, pz: np.ndarray,
               e: np.ndarray) -> dict[str, np.ndarray]:
    """pT, η, rapidity, φ and mass of four-vectors (any common shape).

    Returns
    -------
    dict of str -> ndarray
        Keys ``pt``, ``eta``, ``rap``, ``phi``, ``m``, each of the input shape.
    """
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(pz / np.where(pt > 0, pt, 1e-12))
        rap = 0.5 * np.log((e + pz) / (e - pz))
    m2 = e**2 - px**2 - py**2 - pz**2
    return {"pt": pt, "eta": eta, "rap": rap, "phi": np.arctan2(py, px),
            "m": np.sqrt(np.maximum(m2, 0.0))}


def delta_phi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``a − b`` wrapped into [−π, π)."""
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` as float64, 0 where ``den ≤ 0`` (e.g. τ21 = τ2/τ1 of a one-particle jet)."""
    return np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=den > 0)
