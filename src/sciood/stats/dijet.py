"""The dijet function family: ``dN/dm`` with 3, 4 or 5 parameters, and its design matrices.

The dijet functions are nested:

    dN/dm = p0 (1 − x)^p1 / x^(p2 + p3 ln x + p4 ln² x),   x = m / √s,

``dijet3`` has ``p3 = p4 = 0``, ``dijet4`` has ``p4 = 0``.  ``p0`` is fitted as ``ln_p0`` (the
density is per GeV).  Bin integrals use 6-point Gauss–Legendre quadrature in each bin.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, UnknownNameError

__all__ = ["MODELS", "dijet_function"]


#: background functions by name → number of parameters
MODELS: dict[str, int] = {"dijet3": 3, "dijet4": 4, "dijet5": 5}


_PARAM_NAMES = ("ln_p0", "p1", "p2", "p3", "p4")


_GL_T, _GL_W = np.polynomial.legendre.leggauss(6)


def _n_params(model: str) -> int:
    if model not in MODELS:
        raise UnknownNameError("background model", model, list(MODELS))
    return MODELS[model]


def dijet_function(m: ArrayLike, params: ArrayLike, sqrt_s: float = 13000.0) -> NDArray[Any]:
    """Density of the dijet function in events per GeV.

    Parameters
    ----------
    m : array-like, shape (n,)
        Invariant mass [GeV].
    params : array-like, shape (3,), (4,) or (5,)
        ``(ln_p0, p1, p2[, p3[, p4]])``.
    sqrt_s : float
        Centre-of-mass energy [GeV].

    Returns
    -------
    ndarray, shape (n,)
        ``exp(ln_p0) (1−x)^p1 / x^(p2 + p3 ln x + p4 ln² x)`` with ``x = m/√s``.
    """
    p = np.asarray(params, dtype=float).ravel()
    if p.size not in (3, 4, 5):
        raise DataError(f"the dijet function takes 3, 4 or 5 parameters, got {p.size}")
    p = np.concatenate([p, np.zeros(5 - p.size)])
    x = np.asarray(m, dtype=float) / sqrt_s
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lx = np.log(x)
        poly = (p[2] + (p[3] + p[4] * lx) * lx) * lx
        return np.asarray(np.exp(p[0] + p[1] * np.log1p(-x) - poly))


class _Design:
    """Gauss–Legendre nodes of the bins and the log-linear basis of the internal parameters.

    Internally ``ln f = θ · φ`` with ``φ = (1, ln(1−x), u, u², u³)`` (first ``n`` terms) and
    ``u = ln x − L0`` re-centred at the geometric centre of the range: the same function
    family as the published parametrisation, far better conditioned.  ``θ = M p`` maps the
    published parameters to the internal ones (a linear map, exact).
    """

    def __init__(self, edges: NDArray[np.float64], sqrt_s: float, n_par: int) -> None:
        lo, hi = edges[:-1], edges[1:]
        half = 0.5 * (hi - lo)
        nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * _GL_T[None, :]
        x = nodes / sqrt_s
        if np.any(x >= 1.0):
            raise DataError(f"bin edges reach √s = {sqrt_s:g} GeV; the dijet function needs m < √s")
        self.l0 = float(0.5 * (math.log(edges[0]) + math.log(edges[-1])) - math.log(sqrt_s))
        u = np.log(x) - self.l0
        basis = [np.ones_like(x), np.log1p(-x), u, u * u, u * u * u]
        self.phi = np.stack(basis[:n_par], axis=-1)  # (n_bins, 6, n_par)
        self.gw = _GL_W[None, :] * half[:, None]  # (n_bins, 6)
        self.n_par = n_par
        l0 = self.l0
        full = np.array(
            [
                [1.0, 0.0, -l0, -(l0**2), -(l0**3)],
                [0.0, 1.0, 0.0, 0.0, 0.0],
                [0.0, 0.0, -1.0, -2.0 * l0, -3.0 * l0**2],
                [0.0, 0.0, 0.0, -1.0, -3.0 * l0],
                [0.0, 0.0, 0.0, 0.0, -1.0],
            ]
        )
        self.m = full[:n_par, :n_par]
        self.centres = np.sqrt(lo * hi)
        self.widths = hi - lo

    def integrals(self, theta: NDArray[np.float64]) -> tuple[NDArray[Any], NDArray[Any]]:
        """Bin integrals (n_bins,) and their gradient in θ (n_bins, n_par)."""
        with np.errstate(over="ignore", invalid="ignore"):
            dens = np.exp(self.phi @ theta) * self.gw
        return dens.sum(axis=1), np.einsum("bn,bnp->bp", dens, self.phi)

    def to_public(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(np.linalg.solve(self.m, theta))

    def to_internal(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(self.m @ values)
