"""High-level (expert) features: named feature sets and a weighted standardiser.

The standardiser is part of a fitted detector: it is fitted on the training events only and
saved with the model (:meth:`Standardizer.state` / :meth:`Standardizer.from_state`), so a
loaded model applies exactly the scaling it was trained with.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 10.0], [3.0, 30.0]])
>>> Standardizer().fit(X).transform(X)
array([[-1., -1.],
       [ 1.,  1.]])
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from sciood._compat import renamed_weights
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, UnknownNameError

__all__ = ["FEATURE_SETS", "JET_FEATURES", "Gaussianizer", "Standardizer", "high_level_features",
           "jet_features", "resolve_features"]

log = logging.getLogger(__name__)

#: Named feature sets.  ``lhco`` is the community standard of the CATHODE / CWoLa papers;
#: ``substructure`` adds groomed masses and three-prong ratios (physics-aware levers);
#: ``physics`` swaps the ungroomed masses for soft-drop masses (robust to MPI / pile-up
#: broadening, so a two-prong resonance stands out); ``jetpair`` is the event-level
#: concatenation of the per-jet :data:`JET_FEATURES`; ``decorrelated`` drops every mass so a
#: score built on it cannot learn the jet mass directly.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "lhco": ("mj1", "delta_mj", "tau21_j1", "tau21_j2"),
    "physics": ("mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2"),
    "jetpair": ("mj1_sd", "nconst_j1", "mj2_sd", "nconst_j2"),
    "substructure": (
        "mj1", "mj2", "mj1_sd", "mj2_sd",
        "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2",
    ),
    "decorrelated": ("tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2", "nconst_j1", "nconst_j2"),
}


def resolve_features(features: str | Sequence[str] | None) -> tuple[str, ...]:
    """Turn a feature-set name or a list of column names into a tuple of column names.

    Parameters
    ----------
    features : str or sequence of str or None
        A key of :data:`FEATURE_SETS`, or explicit column names.  ``None`` means ``"lhco"``.
    """
    if features is None:
        return FEATURE_SETS["lhco"]
    if isinstance(features, str):
        if features not in FEATURE_SETS:
            raise UnknownNameError("feature set", features, list(FEATURE_SETS))
        return FEATURE_SETS[features]
    cols = tuple(str(f) for f in features)
    if not cols:
        raise ConfigError("features is empty; give a feature-set name or column names")
    return cols


def high_level_features(
    events: EventSet, features: str | Sequence[str] | None = None
) -> np.ndarray:
    """Stack high-level feature columns of an EventSet.

    Parameters
    ----------
    events : EventSet
    features : str or sequence of str, optional
        Feature-set name (see :data:`FEATURE_SETS`) or column names; default ``"lhco"``.

    Returns
    -------
    ndarray, shape ``(n_events, n_features)``, float64
    """
    cols = list(resolve_features(features))
    return events.to_numpy(cols)


class Standardizer:
    """Weighted per-column standardisation ``(x - mean) / std``.

    Negative event weights are allowed; the mean and variance use the signed weights and the
    variance is floored so that a constant column maps to zero instead of dividing by zero.
    A column counts as constant when its std is at most :data:`CONSTANT_RTOL` times its
    largest magnitude (so features in tiny units, ~1e-20, keep their information).  The
    moments are computed on columns pre-divided by their largest magnitude, so finite values
    up to the float64 limit never overflow into inf / NaN.
    """

    #: relative std below which a column is treated as constant (scale 1)
    CONSTANT_RTOL = 1e-12

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def fit(self, X: np.ndarray, *, sample_weight: np.ndarray | None = None,
            weights: np.ndarray | None = None) -> Standardizer:
        """Fit on ``X`` of shape ``(n, d)`` (or ``(n, ...)``, flattened per column).

        Parameters
        ----------
        X : ndarray, shape ``(n, d)`` or ``(n, ...)``
            Training events.
        sample_weight : ndarray, shape ``(n,)``, optional
            Per-event weights (signed); default 1.
        weights : ndarray, optional
            Deprecated alias of ``sample_weight`` (:class:`FutureWarning`).

        Raises
        ------
        DataError
            Non-finite values, or weights without a positive finite sum.
        """
        weights = renamed_weights(sample_weight, weights, "Standardizer.fit")
        X2 = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        if not np.isfinite(X2).all():
            col = int(np.nonzero(~np.isfinite(X2).all(0))[0][0])
            raise DataError(f"standardiser input column {col} contains NaN or Inf; drop or "
                            "impute those events")
        w = np.ones(len(X2)) if weights is None else np.asarray(weights, dtype=np.float64)
        wsum = w.sum()
        if not np.isfinite(wsum) or wsum <= 0:
            raise DataError("standardiser weights must have a positive finite sum")
        w = w / wsum
        mag = np.abs(X2).max(0)
        mag[mag == 0] = 1.0
        U = X2 / mag  # |U| <= 1: no overflow in the squares below
        mean_u = (w[:, None] * U).sum(0)
        var_u = np.clip((w[:, None] * (U - mean_u) ** 2).sum(0), 0.0, None)
        std_u = np.sqrt(var_u)
        scale = std_u * mag
        scale[~(std_u > self.CONSTANT_RTOL)] = 1.0
        self.mean_, self.scale_ = mean_u * mag, scale
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Apply the fitted scaling; returns the same shape as ``X``."""
        if self.mean_ is None or self.scale_ is None:
            raise DataError("Standardizer used before fit")
        X = np.asarray(X)
        flat = X.reshape(len(X), -1)
        return ((flat - self.mean_) / self.scale_).reshape(X.shape).astype(X.dtype, copy=False)

    def inverse_transform(self, X: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform` (float64, same shape as ``X``)."""
        if self.mean_ is None or self.scale_ is None:
            raise DataError("Standardizer used before fit")
        flat = np.asarray(X, dtype=np.float64).reshape(len(X), -1)
        return (flat * self.scale_ + self.mean_).reshape(np.shape(X))

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to store with a model."""
        if self.mean_ is None or self.scale_ is None:
            raise DataError("Standardizer used before fit")
        return {"mean": self.mean_, "scale": self.scale_}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Standardizer:
        """Rebuild from :meth:`state`."""
        s = cls()
        s.mean_ = np.asarray(state["mean"], dtype=np.float64)
        s.scale_ = np.asarray(state["scale"], dtype=np.float64)
        return s


#: Per-jet feature templates (``{j}`` = 1, 2) of the ``"jets"`` representation: soft-drop
#: mass and constituent multiplicity.  A colour-singlet decay (W, Z, top, X → qq̄) gives a
#: jet with a large groomed mass but fewer constituents than a QCD jet of that mass, so the
#: *combination* is rare for QCD even where each marginal is not (see ``per_jet`` with
#: ``space="copula"``).  Chosen on the W'→WZ benchmark; cross-checked on Z'→tt̄.
JET_FEATURES: tuple[str, ...] = ("mj{j}_sd", "nconst_j{j}")


def jet_features(events: EventSet, templates: Sequence[str] | None = None) -> np.ndarray:
    """Per-jet high-level features of the two leading jets.

    Parameters
    ----------
    events : EventSet
    templates : sequence of str, optional
        Column-name templates with ``{j}`` for the jet index; default :data:`JET_FEATURES`.

    Returns
    -------
    ndarray, shape ``(n_events, 2, n_templates)``, float64 (axis 1: j1, j2)
    """
    tmpl = list(JET_FEATURES if templates is None else templates)
    if not tmpl or any("{j}" not in t for t in tmpl):
        raise ConfigError(f"jet feature templates must each contain '{{j}}', got {tmpl}")
    return np.stack([events.to_numpy([t.format(j=j) for t in tmpl]) for j in (1, 2)], axis=1)


class Gaussianizer:
    """Weighted marginal quantile transform to standard-normal scores.

    Each column is mapped through its (weighted) empirical CDF, then through Φ⁻¹, so every
    marginal becomes N(0, 1); a density estimated on the result, corrected by the marginals
    (:meth:`log_marginal`), is the copula density.  Written by hand because scikit-learn's
    ``QuantileTransformer`` takes no sample weights; ties (integer features such as
    multiplicities) are handled as in scikit-learn, by averaging the forward and backward
    interpolation.
    """

    def __init__(self, n_quantiles: int = 1000) -> None:
        self.n_quantiles = int(n_quantiles)
        self.references_: np.ndarray | None = None
        self.quantiles_: np.ndarray | None = None

    def fit(self, X: np.ndarray, *, sample_weight: np.ndarray | None = None,
            weights: np.ndarray | None = None) -> Gaussianizer:
        """Fit on ``X`` of shape ``(n, d)``.

        Parameters
        ----------
        X : ndarray, shape ``(n, d)``
            Training events.
        sample_weight : ndarray, shape ``(n,)``, optional
            Per-event weights; negative ones are clipped to 0 (a CDF needs non-negative mass).
        weights : ndarray, optional
            Deprecated alias of ``sample_weight`` (:class:`FutureWarning`).
        """
        weights = renamed_weights(sample_weight, weights, "Gaussianizer.fit")
        X = np.asarray(X, dtype=np.float64)
        w = np.ones(len(X)) if weights is None else np.asarray(weights, float)
        if (w < 0).any():
            log.warning("Gaussianizer: %d of %d weights are negative; a CDF needs "
                        "non-negative mass, so they are ignored (clipped to 0)",
                        int((w < 0).sum()), len(w))
            w = np.clip(w, 0.0, None)
        if w.sum() <= 0:
            raise DataError("Gaussianizer needs weights with a positive sum")
        levels = np.linspace(0.0, 1.0, min(self.n_quantiles, len(X)))
        q = np.empty((len(levels), X.shape[1]))
        for k in range(X.shape[1]):
            order = np.argsort(X[:, k], kind="stable")
            cdf = np.cumsum(w[order])
            cdf = (cdf - w[order] / 2) / cdf[-1]
            q[:, k] = np.interp(levels, cdf, X[order, k])
        self.references_, self.quantiles_ = levels, np.maximum.accumulate(q, axis=0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Normal scores, same shape as ``X`` ``(n, d)``, clipped to |z| ≤ 5.2."""
        from scipy.stats import norm

        if self.references_ is None or self.quantiles_ is None:
            raise DataError("Gaussianizer used before fit")
        X = np.asarray(X, dtype=np.float64)
        lv, q = self.references_, self.quantiles_
        u = np.empty_like(X)
        for k in range(X.shape[1]):
            fwd = np.interp(X[:, k], q[:, k], lv)
            bwd = -np.interp(-X[:, k], -q[::-1, k], -lv[::-1])
            u[:, k] = 0.5 * (fwd + bwd)
        eps = 1e-7
        return np.asarray(norm.ppf(np.clip(u, eps, 1 - eps)))

    @staticmethod
    def log_marginal(Z: np.ndarray) -> np.ndarray:
        """Σ_j log φ(z_j) per row, shape ``(n,)``."""
        from scipy.stats import norm

        return np.asarray(norm.logpdf(Z).sum(1))

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to store with a model."""
        if self.references_ is None or self.quantiles_ is None:
            raise DataError("Gaussianizer used before fit")
        return {"references": self.references_, "quantiles": self.quantiles_}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Gaussianizer:
        """Rebuild from :meth:`state`."""
        g = cls(len(state["references"]))
        g.references_ = np.asarray(state["references"], float)
        g.quantiles_ = np.asarray(state["quantiles"], float)
        return g
