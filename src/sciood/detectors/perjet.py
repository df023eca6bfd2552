"""Jet-level wrapper: any feature detector applied to each of the two leading jets.

``make("per_jet", base="gmm", space="copula", aggregate="min")`` fits ``base`` on the
per-jet features of both jets (representation ``"jets"``: soft-drop mass, τ21,
constituent multiplicity by default), scores each jet (:meth:`PerJet.score_jets`,
shape ``(n, 2)``), and aggregates per event: ``"max"`` (default: either jet anomalous),
``"min"`` (both jets anomalous — the prior of a resonance decaying to two boosted
objects) or ``"mean"``.

``space`` selects the coordinates the base detector sees:

* ``"raw"`` — the features (the base standardises them);
* ``"gauss"`` — marginal normal scores (:class:`~sciood.represent.hlf.Gaussianizer`);
* ``"copula"`` — normal scores, and the score becomes ``−log c(u)`` = base score
  ``+ Σ log φ(z_j)``: the density of the *combination* relative to its marginals, so a
  jet is not anomalous merely for sitting in one feature's tail.  Needs a density base
  (``gmm`` or ``flow``, whose score is −log p).

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(300, 2, 3))
>>> det = make("per_jet", base="gmm", n_components=2, seed=0).fit(X)
>>> det.score_jets(X).shape, det.score(X).shape
((300, 2), (300,))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from sciood.data.eventset import EventSet
from sciood.detectors.contract import Detector
from sciood.detectors.inputs import LabelKind
from sciood.detectors.params import check_base_params, extra_params
from sciood.detectors.registry import detector_class, make, register
from sciood.errors import ConfigError
from sciood.represent.hlf import Gaussianizer, jet_features

__all__ = ["PerJet"]

DENSITY_BASES = ("gmm", "flow")


@register("per_jet")
class PerJet(Detector):
    """Apply a feature detector per jet and aggregate the two jets' scores per event.

    Parameters
    ----------
    base : str
        Registry name of an unsupervised feature detector.
    space : {"raw", "gauss", "copula"}
    aggregate : {"max", "min", "mean"}
    jet_features : sequence of str, optional
        Templates with ``{j}``; default :data:`~sciood.represent.hlf.JET_FEATURES`.
    seed : int
    **base_params
        Parameters of the base detector.
    """

    input_ndim: ClassVar[int] = 3
    standardize: ClassVar[bool] = False
    jet_level: ClassVar[bool] = True
    accepts_extra_params: ClassVar[bool] = True
    #: the base detector's ``score`` is batch-invariant and the Gaussianizer works row by row,
    #: so blocking here again would only validate twice and pad up to 3071 extra events
    invariant_scoring: ClassVar[bool] = True

    def __init__(
        self,
        *,
        base: str = "gmm",
        space: Literal["raw", "gauss", "copula"] = "copula",
        aggregate: Literal["max", "min", "mean"] = "max",
        jet_features: Sequence[str] | None = None,
        seed: int = 0,
        **base_params: Any,
    ) -> None:
        own = {k: v for k, v in locals().items() if k not in ("self", "__class__", "base_params")}
        self._store({**own, **base_params})

    def _label_kind(self) -> LabelKind:
        return "none"

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        base = params["base"]
        if params["space"] == "copula" and base not in DENSITY_BASES:
            raise ConfigError(f"space='copula' needs a density base {DENSITY_BASES}, got "
                              f"{base!r}; use space='gauss' or 'raw'")
        if detector_class(base).label_kind != "none":
            raise ConfigError(f"per_jet needs an unsupervised base, got {base!r}")
        check_base_params("per_jet", base, {**extra_params(cls, params), "seed": params["seed"]})

    def _represent(self, events: EventSet) -> np.ndarray:
        return jet_features(events, self.jet_features)

    def _check_options(self) -> None:
        if self.space not in ("raw", "gauss", "copula"):
            raise ConfigError(f"space must be 'raw', 'gauss' or 'copula', got {self.space!r}")
        if self.aggregate not in ("max", "min", "mean"):
            raise ConfigError(f"aggregate must be 'max', 'min' or 'mean', got {self.aggregate!r}")
        if self.space == "copula" and self.base not in DENSITY_BASES:
            raise ConfigError(f"space='copula' needs a density base {DENSITY_BASES}, got "
                              f"{self.base!r}; use space='gauss' or 'raw'")
        if detector_class(self.base).label_kind != "none":
            raise ConfigError(f"per_jet needs an unsupervised base, got {self.base!r}")

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        self._check_options()
        jets = X.reshape(-1, X.shape[-1])
        wj = np.repeat(w, X.shape[1])
        self._gauss = Gaussianizer().fit(jets, sample_weight=wj) if self.space != "raw" else None
        z = jets if self._gauss is None else self._gauss.transform(jets)
        self._model = make(self.base, seed=self.seed, **self._base_params).fit(z, sample_weight=wj)

    def _jet_scores(self, X: np.ndarray) -> np.ndarray:
        jets = X.reshape(-1, X.shape[-1])
        if self._gauss is None:
            return self._model.score(jets).reshape(X.shape[:2])
        z = self._gauss.transform(jets)
        s = self._model.score(z)
        if self.space == "copula":
            s = s + Gaussianizer.log_marginal(z)
        return s.reshape(X.shape[:2])

    def score_jets(self, X: Any) -> np.ndarray:
        """Per-jet scores, shape ``(n, 2)`` (column 0 = j1, the lighter jet)."""
        return self._jet_scores(self._prepared(X))

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        s = self._jet_scores(X)
        if self.aggregate == "min":
            return s.min(1)
        if self.aggregate == "mean":
            return s.mean(1)
        return s.max(1)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        st, ar, sk = self._model._full_state()
        arrays = {f"base.{k}": v for k, v in ar.items()}
        if self._gauss is not None:
            arrays.update({f"gauss.{k}": v for k, v in self._gauss.state().items()})
        return {"base": st}, arrays, {f"base.{k}": v for k, v in sk.items()}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        g = {k[6:]: v for k, v in arrays.items() if k.startswith("gauss.")}
        self._gauss = Gaussianizer.from_state(g) if g else None
        self._model = make(self.base, seed=self.seed, **self._base_params)
        self._model._restore_full_state(
            state["base"],
            {k[5:]: v for k, v in arrays.items() if k.startswith("base.")},
            {k[5:]: v for k, v in sk.items() if k.startswith("base.")},
        )
