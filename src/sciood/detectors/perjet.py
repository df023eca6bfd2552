"""Jet-level wrapper: any feature detector applied to each of the two leading jets.

``make("per_jet", base="gmm", space="copula", aggregate="min")`` fits ``base`` on the
per-jet features of both jets (representation ``"jets"``: soft-drop mass, τ21,
constituent multiplicity by default), scores each jet (:meth:`PerJet.score_jets`,
shape ``(n, 2)``), and aggregates per event: ``"max"`` (default: either jet anomalous),
``"min"`` (both jets anomalous — the prior of a resonance decaying to two boosted
objects) or ``"mean"``.  Rules that need no choice between min and max:

* ``"fisher"`` / ``"stouffer"`` — each jet's score becomes a p-value against the
  background training jets (:class:`JetPValue`: weighted survival function, exponential
  tail beyond its 99th percentile), combined as Fisher's ``−2 Σ_j log p_j`` (χ²(4) for
  two independent uniform p-values) or Stouffer's ``Σ_j Φ⁻¹(1 − p_j) / √2``; one very
  anomalous jet or two moderately anomalous ones both score high.  ``members`` adds more
  per-jet models (other features, space or base) whose two p-values join the same sum,
  e.g. the copula of (m_sd, nconst) for two-prong jets and a raw density of
  (m_sd, τ21, τ32, nconst) for three- and four-prong jets; a member with
  ``"aggregate": "joint"`` is one density over both jets (an event-level model, e.g. of
  the pair of (m_sd, τ21)) and adds one p-value of its event score.
* ``"joint"`` / ``"joint_sym"`` — no per-jet model: one ``base`` density over the
  concatenated ``2k`` features of both jets (each Gaussianized by the pooled per-jet
  marginal), score ``−log p(z_1, z_2)`` (+ ``Σ log φ`` in ``copula`` space).
  ``"joint_sym"`` trains on both jet orders and scores
  ``−log ½ [p(z_1, z_2) + p(z_2, z_1)]``, the same for either order.

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
from sciood.detectors.params import check_base_params, check_class_params, extra_params
from sciood.detectors.registry import detector_class, make, register
from sciood.errors import ConfigError, DataError
from sciood.represent.hlf import JET_FEATURES, Gaussianizer, jet_features

__all__ = ["AGGREGATES", "JetPValue", "PerJet"]

DENSITY_BASES = ("gmm", "flow")
#: every ``aggregate`` of :class:`PerJet`
AGGREGATES = ("max", "min", "mean", "fisher", "stouffer", "joint", "joint_sym")
PVALUE_AGGREGATES = ("fisher", "stouffer")
JOINT_AGGREGATES = ("joint", "joint_sym")
#: p-values stay below 1 so that Stouffer's Φ⁻¹(1 − p) is finite
LOG_P_MAX = float(np.log1p(-1e-12))


class JetPValue:
    """Background p-value of a per-jet score: weighted fraction of training jets scoring higher.

    Below the ``1 − tail`` weighted quantile ``u`` of the training scores the survival
    function is the weighted empirical one (linear in the score between training points);
    above ``u`` it continues as an exponential tail ``tail · exp(−(s − u) / τ)`` with ``τ``
    the weighted mean excess over ``u`` (a generalised Pareto tail of shape 0), so jets
    beyond the largest training score keep distinct, ordered p-values instead of a tie.

    Parameters
    ----------
    tail : float
        Fraction of the training weight modelled by the exponential tail.
    """

    def __init__(self, tail: float = 0.01) -> None:
        self.tail = float(tail)
        self.scores_: np.ndarray | None = None
        self.log_sf_: np.ndarray | None = None
        self.tau_ = 1.0

    def fit(self, s: np.ndarray, *, sample_weight: np.ndarray) -> JetPValue:
        """Fit on training jet scores ``s`` ``(m,)`` with weights ``(m,)`` (negatives → 0)."""
        s = np.asarray(s, float)
        w = np.clip(np.asarray(sample_weight, float), 0.0, None)
        if not np.isfinite(s).all() or w.sum() <= 0:
            raise DataError("per_jet p-values need finite training jet scores and a positive "
                            "total weight; check the base detector's fit and the weights")
        order = np.argsort(s, kind="stable")
        s, w = s[order], w[order] / w.sum()
        sf = np.clip(1.0 - np.cumsum(w) + w / 2, 1e-300, 1.0)  # mid-rank survival
        u_idx = int(np.searchsorted(-sf, -self.tail))  # first point with sf <= tail
        u_idx = min(max(u_idx, 1), len(s) - 1)
        u = s[u_idx]
        exc = s[u_idx:] - u
        self.tau_ = float(max(np.sum(w[u_idx:] * exc) / max(w[u_idx:].sum(), 1e-300), 1e-9))
        self.scores_, self.log_sf_ = s[: u_idx + 1], np.log(sf[: u_idx + 1])
        return self

    def log_pvalue(self, s: np.ndarray) -> np.ndarray:
        """log p of scores ``s`` (any shape, same shape out); p < 1, larger score → smaller p."""
        if self.scores_ is None or self.log_sf_ is None:
            raise DataError("JetPValue used before fit")
        s = np.asarray(s, float)
        xs, ls = self.scores_, self.log_sf_
        body = np.interp(s, xs, ls)  # below the lowest training score: its p (< 1)
        tail = ls[-1] - (s - xs[-1]) / self.tau_
        return np.minimum(np.where(s > xs[-1], tail, body), LOG_P_MAX)

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to store with a model."""
        if self.scores_ is None or self.log_sf_ is None:
            raise DataError("JetPValue used before fit")
        return {"scores": self.scores_, "log_sf": self.log_sf_,
                "tau": np.array([self.tau_]), "tail": np.array([self.tail])}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> JetPValue:
        """Rebuild from :meth:`state`."""
        c = cls(float(state["tail"][0]))
        c.scores_ = np.asarray(state["scores"], float)
        c.log_sf_ = np.asarray(state["log_sf"], float)
        c.tau_ = float(state["tau"][0])
        return c


def _member_spec(own: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    """A member's full PerJet parameters: its own keys over the parent's (``own``)."""
    core = ("base", "space", "aggregate", "jet_features", "seed", "members")
    same_base = member.get("base", own["base"]) == own["base"]
    inherited = {k: v for k, v in own.items() if k not in core} if same_base else {}
    return {**inherited, "base": own["base"], "space": own["space"],
            "jet_features": own.get("jet_features"), **member,
            "aggregate": member.get("aggregate", own["aggregate"]), "seed": own["seed"],
            "members": None}


def fisher(log_p: np.ndarray) -> np.ndarray:
    """Fisher's combination ``−2 Σ log p`` over the last axis; χ²(2m) for m independent U(0,1)."""
    return np.asarray(-2.0 * np.sum(log_p, axis=-1))


def stouffer(log_p: np.ndarray) -> np.ndarray:
    """Stouffer's ``Σ Φ⁻¹(1 − p) / √m`` over the last axis; N(0, 1) for independent U(0,1)."""
    from scipy.special import ndtri_exp

    return np.asarray(-ndtri_exp(np.asarray(log_p, float)).sum(-1) / np.sqrt(log_p.shape[-1]))


@register("per_jet")
class PerJet(Detector):
    """Apply a feature detector per jet and aggregate the two jets' scores per event.

    Parameters
    ----------
    base : str
        Registry name of an unsupervised feature detector.
    space : {"raw", "gauss", "copula"}
    aggregate : {"max", "min", "mean", "fisher", "stouffer", "joint", "joint_sym"}
    jet_features : sequence of str, optional
        Templates with ``{j}``; default :data:`~sciood.represent.hlf.JET_FEATURES`.
    members : sequence of dict, optional
        Only with ``aggregate="fisher"`` or ``"stouffer"``: further models, each a dict of
        ``base``, ``space``, ``jet_features`` and base parameters (omitted keys take this
        detector's values; base parameters only when the base is the same).  Each is
        fitted and calibrated like the main model and adds its two per-jet p-values; with
        ``"aggregate": "joint"`` or ``"joint_sym"`` a member is one density over both
        jets' features (an event-level model, e.g. of both jets' (m_sd, τ21)) and adds one
        p-value of its event score.  All p-values are combined.  Array inputs then carry
        the union of the jet features (main model's first), in that order.
    seed : int
    **base_params
        Parameters of the base detector.

    :meth:`latent` gives the per-jet space the main model's base is fitted in, shape
    ``(n, 2, k)`` (axis 1: j1, j2): the Gaussianized jet features (normal scores of the
    pooled per-jet marginals) for ``space="gauss"`` / ``"copula"``, the raw jet features for
    ``"raw"``.
    """

    input_ndim: ClassVar[int] = 3
    latent_space: ClassVar[bool] = True
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
        aggregate: Literal["max", "min", "mean", "fisher", "stouffer", "joint",
                           "joint_sym"] = "max",
        jet_features: Sequence[str] | None = None,
        members: Sequence[Any] | None = None,
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
        members = params.get("members") or []
        if members and params["aggregate"] not in PVALUE_AGGREGATES:
            raise ConfigError(f"per_jet members are combined through their p-values: use "
                              f"aggregate in {PVALUE_AGGREGATES}, got {params['aggregate']!r}")
        for i, m in enumerate(members):
            if not isinstance(m, dict) or "members" in m or "seed" in m or m.get(
                    "aggregate", params["aggregate"]) not in (params["aggregate"],
                                                              *JOINT_AGGREGATES):
                raise ConfigError(f"per_jet members[{i}] must be a dict of base, space, "
                                  f"jet_features, base parameters and optionally aggregate "
                                  f"in {JOINT_AGGREGATES} (one event-level p-value), got {m!r}")
            try:
                check_class_params(cls, _member_spec(params, m))
            except ConfigError as exc:
                raise ConfigError(f"per_jet members[{i}]: {exc}") from exc

    def _templates(self) -> list[str]:
        """Jet-feature templates of the input: the main model's, then the members' new ones."""
        out = list(JET_FEATURES if self.jet_features is None else self.jet_features)
        for spec in self._member_specs():
            out += [t for t in (spec["jet_features"] or JET_FEATURES) if t not in out]
        return out

    def _member_specs(self) -> list[dict[str, Any]]:
        own = {**self._base_params, "base": self.base, "space": self.space,
               "aggregate": self.aggregate, "jet_features": self.jet_features, "seed": self.seed}
        return [_member_spec(own, m) for m in (self.members or [])]

    def _member_columns(self, spec: dict[str, Any]) -> list[int]:
        allt = self._templates()
        return [allt.index(t) for t in (spec["jet_features"] or JET_FEATURES)]

    def _main(self, X: np.ndarray) -> np.ndarray:
        """The main model's columns of ``X`` ``(n, 2, K)`` → ``(n, 2, k)``."""
        k = len(JET_FEATURES if self.jet_features is None else self.jet_features)
        return X[:, :, :k]

    def _represent(self, events: EventSet) -> np.ndarray:
        return jet_features(events, self._templates())

    def _check_options(self) -> None:
        if self.space not in ("raw", "gauss", "copula"):
            raise ConfigError(f"space must be 'raw', 'gauss' or 'copula', got {self.space!r}")
        if self.aggregate not in AGGREGATES:
            raise ConfigError(f"aggregate must be one of {AGGREGATES}, got {self.aggregate!r}")
        if self.space == "copula" and self.base not in DENSITY_BASES:
            raise ConfigError(f"space='copula' needs a density base {DENSITY_BASES}, got "
                              f"{self.base!r}; use space='gauss' or 'raw'")
        if detector_class(self.base).label_kind != "none":
            raise ConfigError(f"per_jet needs an unsupervised base, got {self.base!r}")

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        self._check_options()
        self._members: list[PerJet] = []
        for spec in self._member_specs():
            member = PerJet(**spec)
            Xm = X[:, :, self._member_columns(spec)]
            member._fit_arrays(Xm, y, w, obs)
            if member.aggregate in JOINT_AGGREGATES:  # calibrate its event score
                member._pvalue = JetPValue().fit(member._joint_score(Xm), sample_weight=w)
            self._members.append(member)
        X = self._main(X)
        jets = X.reshape(-1, X.shape[-1])
        wj = np.repeat(w, X.shape[1])
        self._gauss = Gaussianizer().fit(jets, sample_weight=wj) if self.space != "raw" else None
        self._pvalue: JetPValue | None = None
        if self.aggregate in JOINT_AGGREGATES:
            z = self._pairs(X)
            wz = w
            if self.aggregate == "joint_sym":
                z, wz = np.concatenate([z, self._pairs(X[:, ::-1])]), np.concatenate([w, w])
            self._model = make(self.base, seed=self.seed, **self._base_params).fit(
                z, sample_weight=wz)
            return
        z = jets if self._gauss is None else self._gauss.transform(jets)
        self._model = make(self.base, seed=self.seed, **self._base_params).fit(z, sample_weight=wj)
        if self.aggregate in PVALUE_AGGREGATES:
            self._pvalue = JetPValue().fit(self._jet_scores(X).ravel(), sample_weight=wj)

    def _pairs(self, X: np.ndarray) -> np.ndarray:
        """Both jets' (Gaussianized) features side by side, shape ``(n, 2k)``."""
        n, m, k = X.shape
        jets = X.reshape(-1, k)
        z = jets if self._gauss is None else self._gauss.transform(jets)
        return z.reshape(n, m * k)

    def _joint_score(self, X: np.ndarray) -> np.ndarray:
        z = self._pairs(X)
        s = self._model.score(z)
        if self.aggregate == "joint_sym":
            s2 = self._model.score(self._pairs(X[:, ::-1]))
            s = -np.logaddexp(-s, -s2) + np.log(2.0)
        if self.space == "copula":
            s = s + Gaussianizer.log_marginal(z)
        return np.asarray(s)

    def _jet_scores(self, X: np.ndarray) -> np.ndarray:
        if self.aggregate in JOINT_AGGREGATES:
            raise ConfigError(f"aggregate={self.aggregate!r} models the jet pair jointly and "
                              "has no per-jet score; use score(), or aggregate='fisher' for "
                              "per-jet scores with a symmetric combination")
        jets = X.reshape(-1, X.shape[-1])
        if self._gauss is None:
            return self._model.score(jets).reshape(X.shape[:2])
        z = self._gauss.transform(jets)
        s = self._model.score(z)
        if self.space == "copula":
            s = s + Gaussianizer.log_marginal(z)
        return s.reshape(X.shape[:2])

    def _latent_arrays(self, X: np.ndarray) -> np.ndarray:
        X = self._main(X)
        n, m, k = X.shape
        jets = X.reshape(-1, k)
        z = jets if self._gauss is None else self._gauss.transform(jets)
        return np.asarray(z, dtype=np.float64).reshape(n, m, k)

    def score_jets(self, X: Any) -> np.ndarray:
        """Per-jet scores of the main model, shape ``(n, 2)`` (column 0 = j1, the lighter jet)."""
        return self._jet_scores(self._main(self._prepared(X)))

    def jet_log_pvalues(self, X: Any) -> np.ndarray:
        """log background p-values, shape ``(n, 2 + Σ_members c)``.

        Only for ``aggregate="fisher"`` or ``"stouffer"`` (the calibrated rules); columns
        (j1, j2) of the main model, then of each member: ``c = 2`` (j1, j2) for a per-jet
        member, ``c = 1`` (its event score) for a ``joint`` / ``joint_sym`` member.
        """
        if self.aggregate not in PVALUE_AGGREGATES:
            raise ConfigError(f"jet p-values are calibrated only for aggregate in "
                              f"{PVALUE_AGGREGATES}, got {self.aggregate!r}; refit with one")
        return self._all_log_p(self._prepared(X))

    def _log_p(self, X: np.ndarray) -> np.ndarray:
        """``(n, 2)`` per-jet log p, or ``(n, 1)`` for a joint member (one per event)."""
        assert self._pvalue is not None
        if self.aggregate in JOINT_AGGREGATES:
            return self._pvalue.log_pvalue(self._joint_score(X))[:, None]
        return self._pvalue.log_pvalue(self._jet_scores(X))

    def _all_log_p(self, X: np.ndarray) -> np.ndarray:
        parts = [self._log_p(self._main(X))]
        for spec, member in zip(self._member_specs(), self._members, strict=True):
            parts.append(member._log_p(X[:, :, self._member_columns(spec)]))
        return np.concatenate(parts, axis=1)

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        if self.aggregate == "fisher":
            return fisher(self._all_log_p(X))
        if self.aggregate == "stouffer":
            return stouffer(self._all_log_p(X))
        X = self._main(X)
        if self.aggregate in JOINT_AGGREGATES:
            return self._joint_score(X)
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
        if self._pvalue is not None:
            arrays.update({f"pvalue.{k}": v for k, v in self._pvalue.state().items()})
        sks = {f"base.{k}": v for k, v in sk.items()}
        states = []
        for i, member in enumerate(self._members):
            mst, mar, msk = member._get_state()
            states.append(mst)
            arrays.update({f"m{i}.{k}": v for k, v in mar.items()})
            sks.update({f"m{i}.{k}": v for k, v in msk.items()})
        return {"base": st, "members": states}, arrays, sks

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        g = {k[6:]: v for k, v in arrays.items() if k.startswith("gauss.")}
        self._gauss = Gaussianizer.from_state(g) if g else None
        pv = {k[7:]: v for k, v in arrays.items() if k.startswith("pvalue.")}
        self._pvalue = JetPValue.from_state(pv) if pv else None
        self._model = make(self.base, seed=self.seed, **self._base_params)
        self._model._restore_full_state(
            state["base"],
            {k[5:]: v for k, v in arrays.items() if k.startswith("base.")},
            {k[5:]: v for k, v in sk.items() if k.startswith("base.")},
        )
        self._members = []
        for i, spec in enumerate(self._member_specs()):
            member, pre = PerJet(**spec), f"m{i}."
            member._set_state(state["members"][i],
                              {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)},
                              {k[len(pre):]: v for k, v in sk.items() if k.startswith(pre)})
            self._members.append(member)
