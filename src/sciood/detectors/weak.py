"""Weakly supervised, resonance-aware detectors: CWoLa, CATHODE, ANODE, idealized AD.

* ``cwola`` — Classification Without Labels (Metodiev, Nachman, Thaler 2017; CWoLa hunting,
  Collins, Howe, Nachman 2018): a classifier of signal-region (SR) events against sideband
  (SB) events in the search observable (mjj).  It needs no labels, only ``observable``;
  with an EventSet the first observable (``mjj``) is used.  Sidebands are
  ``[lo - sideband_width, lo)`` and ``[hi, hi + sideband_width)`` (default ± 200 GeV, as in
  the CATHODE authors' code).  Score = classifier logit (higher = more SR-like = more
  anomalous).  Events outside the SR can be scored too.
* ``idealized`` — the idealized anomaly detector: a classifier of SR *data* (``y = 1``)
  against an independent, perfect background sample (``y = 0``).  The caller supplies the
  extra background as the ``y = 0`` rows of the training set (a fit-time input, so no path
  is hidden in the model); if ``observable`` is given, only SR events of both are used.

* ``cathode`` — CATHODE (Hallin et al., arXiv:2109.00546): a conditional flow
  ``p(x | mjj)`` (zuko NSF by default, :mod:`sciood.detectors.condflow`) is trained on the sidebands
  (by default everything outside the SR), mjj values are drawn from a Gaussian KDE of the SR
  events' mjj, features are sampled from the flow at those mjj (``oversample`` × the SR
  count), and a classifier learns SR data (1) vs these background samples (0).
  Score = classifier logit.  The flow is a fit-time tool: only the classifier is saved.
* ``anode`` — ANODE (Nachman & Shih, arXiv:2001.04990): the likelihood ratio of a flow fitted
  on SR data and the sideband flow interpolated into the SR.  ``score(X)`` takes no mjj, so
  both densities are their SR marginals, ``p(x) = (1/K) Σ_k p(x | m_k)`` over ``n_grid``
  quantiles ``m_k`` of the SR mjj distribution; score = ``log p_SR(x) − log p_bg(x)``.

The classifiers are ``members`` scikit-learn HistGradientBoosting models (``classifier="hgb"``,
the default; better than the MLP on these four features, docs/weak-supervision.md) or the
:class:`~sciood.detectors.classifier.Supervised` MLP (``classifier="mlp"``); ensembles over
folds come from ``fit_score`` (out-of-fold) or the ``ensemble`` wrapper (uncertainty).
Training-set construction (SR / SB split, sampling the SR mjj distribution) is the only code
written here, because no library offers it.

>>> import numpy as np
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> X, mjj = rng.normal(size=(400, 2)), rng.uniform(3100, 3900, 400)
>>> det = make("cwola", epochs=1, seed=0).fit(X, observable=mjj)
>>> det.score(X).shape
(400,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np

from sciood._compat import renamed_weights
from sciood.detectors.autoencoder import check_set_encoder
from sciood.detectors.classical import positive_part
from sciood.detectors.classifier import Supervised, balanced_weights
from sciood.detectors.condflow import ConditionalFlow, LogitScaler, restore_flow, state_arrays
from sciood.detectors.contract import Detector
from sciood.detectors.inputs import LabelKind
from sciood.detectors.part import SetEncoderKind
from sciood.detectors.registry import register
from sciood.errors import ConfigError, DataError, NotFittedError
from sciood.represent.sets import DEFAULT_MAX_PARTICLES

__all__ = ["Anode", "CWoLa", "Cathode", "Idealized", "need_observable", "sample_observable",
           "sideband_masks"]

#: Default signal region in mjj (GeV): 3.3–3.7 TeV, the window around the 3.5 TeV resonance
#: of the LHC Olympics R&D benchmark used by the CATHODE and ANODE papers.
DEFAULT_SR = (3300.0, 3700.0)


def _region(signal_region: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in signal_region)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"signal_region must be two numbers [low, high] in the observable's unit (GeV), "
            f"got {signal_region!r}") from exc
    if not hi > lo:
        raise ConfigError(f"signal_region needs low < high, got [{lo}, {hi}]")
    return lo, hi


def need_observable(name: str, obs: np.ndarray | None) -> np.ndarray:
    """``obs`` itself, or a :class:`DataError` telling how to pass the search observable."""
    if obs is None:
        raise DataError(
            f"{name} needs the search observable at fit: pass observable=mjj "
            "(shape (n,)) or an EventSet with an 'mjj' observable")
    return obs


def sideband_masks(
    observable: np.ndarray, signal_region: Sequence[float], sideband_width: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks ``(in_sr, in_sb)``, each shape ``(n,)``.

    Parameters
    ----------
    observable : ndarray, shape ``(n,)``
        Search observable (mjj, GeV).
    signal_region : (low, high)
        SR is ``low <= obs < high``.
    sideband_width : float or None
        SB is ``[low - width, low) ∪ [high, high + width)``; ``None`` = everything outside the SR.
    """
    lo, hi = _region(signal_region)
    obs = np.asarray(observable, dtype=np.float64)
    in_sr = (obs >= lo) & (obs < hi)
    if sideband_width is None:
        return in_sr, ~in_sr
    if sideband_width <= 0:
        raise ConfigError(f"sideband_width must be > 0 (GeV) or None, got {sideband_width}")
    in_sb = ((obs >= lo - sideband_width) & (obs < lo)) | (
        (obs >= hi) & (obs < hi + sideband_width))
    return in_sr, in_sb


class _WeakBase(Supervised):
    supports_decorrelation = False
    #: the pipeline trains these on background + injected signal (pseudo-data)
    trains_on_mixture = True

    def __init__(
        self,
        *,
        seed: int = 0,
        signal_region: Sequence[float] = DEFAULT_SR,
        sideband_width: float | None = 200.0,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        balance: bool = True,
        classifier: Literal["mlp", "hgb"] = "hgb",
        members: int = 5,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        max_particles: int = DEFAULT_MAX_PARTICLES,
        encoder: SetEncoderKind = "deepsets",
    ) -> None:
        self._store(locals())

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        _region(params["signal_region"])
        if "encoder" in params:  # cwola / idealized on representation="sets", classifier="mlp"
            hidden = list(params.get("hidden") or [16])
            check_set_encoder(str(cls.name), params["encoder"], max(int(hidden[0]), 16), 4)

    # the Supervised options these detectors do not expose (cathode / lacathode classify
    # sampled feature vectors, so they keep a fixed set encoder they never use)
    max_particles = 30
    encoder = "deepsets"
    decorrelate = None
    decor_strength = 10.0

    def _need_obs(self, obs: np.ndarray | None) -> np.ndarray:
        return need_observable(self.name, obs)

    def _train(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, what: str) -> None:
        for c, label in ((0, "class 0"), (1, "class 1")):
            if int((y == c).sum()) < 2:
                raise DataError(
                    f"{self.name}: {what} has fewer than 2 {label} events; widen "
                    "signal_region / sideband_width or use more events")
        if self.classifier == "mlp":
            Supervised._fit_arrays(self, X, y, w, None)
        elif self.classifier == "hgb":
            self._fit_hgb(X, y, w)
        else:
            raise ConfigError(f"classifier must be 'mlp' or 'hgb', got {self.classifier!r}")

    def _fit_hgb(self, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> None:
        """``members`` histogram-boosted tree classifiers (scikit-learn), each with its own
        seeded early-stopping split; the score is their mean logit."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        if int(self.members) < 1:
            raise ConfigError(f"members must be >= 1, got {self.members}")
        w = positive_part(w, self.name, "gradient boosting's Newton steps need non-negative "
                          "hessians (negative weights make its logits explode)")
        if self.balance:
            w = balanced_weights(y, w)
        seeds = np.random.SeedSequence(int(self.seed)).generate_state(int(self.members))
        self._hgb = [
            HistGradientBoostingClassifier(
                max_iter=200, learning_rate=0.1, early_stopping=True, validation_fraction=0.2,
                n_iter_no_change=10, random_state=int(s)).fit(X, y, sample_weight=w)
            for s in seeds]

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        if self.classifier == "hgb":
            return np.mean([m.decision_function(X) for m in self._hgb], axis=0)
        return super()._score_arrays(X)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        if self.classifier == "hgb":
            return {}, {}, {f"hgb{i}": m for i, m in enumerate(self._hgb)}
        return super()._get_state()

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        if self.classifier == "hgb":
            self._hgb = [sk[f"hgb{i}"] for i in range(len(sk))]
        else:
            super()._set_state(state, arrays, sk)


@register("cwola")
class CWoLa(_WeakBase):
    """CWoLa hunting: classifier of signal region vs sidebands in ``observable`` (no labels).

    Parameters
    ----------
    signal_region : (low, high), default (3300, 3700)
        SR in the observable's unit (GeV for mjj).
    sideband_width : float or None, default 200
        Width of each sideband; ``None`` = all events outside the SR.
    Other parameters as :class:`~sciood.detectors.classifier.Supervised`.
    """

    label_kind: ClassVar[LabelKind] = "none"

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        in_sr, in_sb = sideband_masks(self._need_obs(obs), self.signal_region,
                                      self.sideband_width)
        keep = in_sr | in_sb
        self._train(X[keep], in_sr[keep].astype(np.int64), w[keep], "SR vs SB training set")


@register("idealized")
class Idealized(_WeakBase):
    """Idealized anomaly detector: SR data (``y = 1``) vs independent background (``y = 0``).

    ``y`` marks the origin of each training row, not signal truth: 1 = pseudo-data (background
    + injected signal), 0 = the extra, independent background sample.  With ``observable``
    only rows inside ``signal_region`` are used.
    """

    label_kind: ClassVar[LabelKind] = "binary"
    trains_on_mixture = False

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        keep = np.ones(len(X), bool) if obs is None else sideband_masks(
            obs, self.signal_region, self.sideband_width)[0]
        self._train(X[keep], np.asarray(y)[keep], w[keep], "SR data vs reference background")


def sample_observable(obs: np.ndarray, n: int, signal_region: Sequence[float], seed: int, *,
                      sample_weight: np.ndarray | None = None,
                      weights: np.ndarray | None = None) -> np.ndarray:
    """``n`` draws from a Gaussian KDE (Scott's bandwidth) of ``obs``, kept inside the SR.

    Parameters
    ----------
    obs : ndarray, shape ``(m,)``
        SR events' observable (the KDE's points).
    n : int
        Number of values to return, shape ``(n,)``.
    signal_region : (low, high)
    seed : int
    sample_weight : ndarray, shape ``(m,)``, optional
        The events' weights (negative ones count as 0); default 1 each.
    weights : ndarray, optional
        Deprecated alias of ``sample_weight`` (FutureWarning; removed in sciood 0.3).
    """
    from scipy.stats import gaussian_kde

    sample_weight = renamed_weights(sample_weight, weights, "sample_observable")
    lo, hi = _region(signal_region)
    w = np.clip(np.asarray(np.ones(len(obs)) if sample_weight is None else sample_weight,
                           np.float64), 0.0, None)
    kde = gaussian_kde(np.asarray(obs, np.float64), weights=w if w.sum() > 0 else None)
    rng = np.random.default_rng(seed)
    out = np.empty(0)
    while len(out) < n:  # the KDE leaks past the SR edges: draw, keep the inside, repeat
        draw = kde.resample(int(1.2 * (n - len(out))) + 10, seed=rng)[0]
        out = np.r_[out, draw[(draw >= lo) & (draw < hi)]]
    return out[:n]


class _SidebandDensity:
    """Shared set-up of cathode and anode: SR / SB split, flow space, a flow per region."""

    signal_region: Sequence[float]
    sideband_width: float | None
    seed: int

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        _region(params["signal_region"])

    def _regions(self, obs: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
        in_sr, in_sb = sideband_masks(obs, self.signal_region, self.sideband_width)
        for mask, what in ((in_sr, "signal region"), (in_sb, "sidebands")):
            if int(mask.sum()) < 10:
                raise DataError(
                    f"{name}: only {int(mask.sum())} training events in the {what}; it needs "
                    "≥ 10 (in practice thousands) — widen signal_region / sideband_width or "
                    "use more events")
        return in_sr, in_sb

    def _setup_space(self, X: np.ndarray, obs: np.ndarray) -> None:
        self._prep = LogitScaler().fit(X)
        self._ctx = np.array([obs.mean(), obs.std() if obs.std() > 0 else 1.0])

    def _context(self, obs: np.ndarray) -> np.ndarray:
        out: np.ndarray = ((np.asarray(obs, np.float64) - self._ctx[0]) / self._ctx[1])[:, None]
        return out

    def _flow_params(self, seed: int) -> dict[str, Any]:
        p = self.get_params()  # type: ignore[attr-defined]
        return {"seed": seed, "n_context": 1, "kind": p["flow_kind"],
                "transforms": p["flow_transforms"],
                "hidden": p["flow_hidden"], "epochs": p["flow_epochs"],
                "batch_size": p["flow_batch_size"], "lr": p["flow_lr"], "device": p["device"]}

    def _fit_flow(self, X: np.ndarray, obs: np.ndarray, w: np.ndarray,
                  seed: int) -> ConditionalFlow:
        flow = ConditionalFlow(**self._flow_params(seed))
        flow.fit(np.c_[self._prep.transform(X), self._context(obs)], sample_weight=w)
        return flow


@register("cathode")
class Cathode(_SidebandDensity, _WeakBase):
    """CATHODE: classifier of SR data vs background sampled from a sideband flow in the SR.

    Parameters
    ----------
    signal_region : (low, high), default (3300, 3700)
        SR in the observable's unit (GeV for mjj).
    sideband_width : float or None, default None
        Sidebands for the density estimate; ``None`` = every event outside the SR.
    oversample : float, default 4
        Flow samples per SR data event (the CATHODE paper uses 4).
    flow_kind, flow_transforms, flow_hidden, flow_epochs, flow_batch_size, flow_lr
        The conditional flow (see :class:`~sciood.detectors.condflow.ConditionalFlow`).
    Other parameters (the classifier) as :class:`~sciood.detectors.classifier.Supervised`.
    """

    label_kind: ClassVar[LabelKind] = "none"

    def __init__(
        self,
        *,
        seed: int = 0,
        signal_region: Sequence[float] = DEFAULT_SR,
        sideband_width: float | None = None,
        oversample: float = 4.0,
        flow_kind: Literal["maf", "nsf"] = "nsf",
        flow_transforms: int = 4,
        flow_hidden: Sequence[int] = (64, 64),
        flow_epochs: int = 30,
        flow_batch_size: int = 512,
        flow_lr: float = 1e-3,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        balance: bool = True,
        classifier: Literal["mlp", "hgb"] = "hgb",
        members: int = 5,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
    ) -> None:
        self._store(locals())

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        if not float(self.oversample) > 0:
            raise ConfigError(f"oversample must be > 0, got {self.oversample}")
        obs = self._need_obs(obs)
        in_sr, in_sb = self._regions(obs, self.name)
        self._setup_space(X[in_sr | in_sb], obs[in_sr | in_sb])
        flow = self._fit_flow(X[in_sb], obs[in_sb], w[in_sb], int(self.seed))
        self._flow, self._sr_obs = flow, (obs[in_sr], w[in_sr])
        n = max(round(float(self.oversample) * int(in_sr.sum())), 2)
        fake = self._sample_std(n, int(self.seed))
        self._train(np.r_[X[in_sr], fake.astype(X.dtype)],
                    np.r_[np.ones(in_sr.sum(), np.int64), np.zeros(n, np.int64)],
                    np.r_[w[in_sr], np.ones(n)], "SR data vs sideband-flow samples")

    def _sample_std(self, n: int, seed: int) -> np.ndarray:
        sr_obs, sr_w = self._sr_obs
        m = sample_observable(sr_obs, n, self.signal_region, seed, sample_weight=sr_w)
        return self._prep.inverse(self._flow.sample(self._context(m), seed=seed + 1))

    def background_sample(self, n: int, *, seed: int) -> np.ndarray:
        """``n`` fresh SR background events from the sideband flow, in input units.

        Shape ``(n, d)``; mjj drawn from the SR data's mjj KDE.  The flow is kept only in
        memory after :meth:`fit` (it is not saved), so a loaded model cannot sample.  Scoring
        these against independent SR background is the no-signal closure test: with a
        faithful flow and no signal the classifier cannot tell them apart (AUC ≈ 0.5).
        """
        if int(n) < 1:
            raise ConfigError(f"background_sample needs n >= 1, got {n}")
        if getattr(self, "_flow", None) is None:
            raise NotFittedError("background_sample needs the flow of a fit in this session "
                                 "(a loaded cathode keeps only its classifier); fit again")
        Z = self._sample_std(int(n), int(seed))
        out: np.ndarray = Z * self._scaler.scale_ + self._scaler.mean_
        return out


@register("anode")
class Anode(_SidebandDensity, Detector):
    """ANODE: log p_SR(x) − log p_bg(x), both flows conditional on mjj, marginalised over the SR.

    Parameters
    ----------
    signal_region, sideband_width
        As for :class:`Cathode` (sidebands default to everything outside the SR).
    n_grid : int, default 16
        SR mjj quantiles the two conditional densities are averaged over at scoring.
    flow_kind, flow_transforms, flow_hidden, flow_epochs, flow_batch_size, flow_lr
        Both conditional flows (see :class:`~sciood.detectors.condflow.ConditionalFlow`).
    """

    label_kind: ClassVar[LabelKind] = "none"
    trains_on_mixture = True
    supports_decorrelation = False

    def __init__(
        self,
        *,
        seed: int = 0,
        signal_region: Sequence[float] = DEFAULT_SR,
        sideband_width: float | None = None,
        n_grid: int = 16,
        flow_kind: Literal["maf", "nsf"] = "nsf",
        flow_transforms: int = 4,
        flow_hidden: Sequence[int] = (64, 64),
        flow_epochs: int = 30,
        flow_batch_size: int = 512,
        flow_lr: float = 1e-3,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
    ) -> None:
        self._store(locals())

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        obs = need_observable(self.name, obs)
        if int(self.n_grid) < 1:
            raise ConfigError(f"n_grid must be >= 1, got {self.n_grid}")
        in_sr, in_sb = self._regions(obs, self.name)
        self._setup_space(X[in_sr | in_sb], obs[in_sr | in_sb])
        self._bg = self._fit_flow(X[in_sb], obs[in_sb], w[in_sb], int(self.seed))
        self._sr = self._fit_flow(X[in_sr], obs[in_sr], w[in_sr], int(self.seed) + 1)
        q = (np.arange(int(self.n_grid)) + 0.5) / int(self.n_grid)
        self._grid = self._context(np.quantile(obs[in_sr], q))[:, 0]

    def _marginal(self, flow: ConditionalFlow, Z: np.ndarray) -> np.ndarray:
        from scipy.special import logsumexp

        lp = np.stack([flow.log_prob(Z, np.full((len(Z), 1), c)) for c in self._grid])
        out: np.ndarray = logsumexp(lp, axis=0) - np.log(len(self._grid))
        return out

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        # the LogitScaler's Jacobian is common to both densities and cancels in the ratio
        Z = self._prep.transform(X)
        return self._marginal(self._sr, Z) - self._marginal(self._bg, Z)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        arrays = {f"prep.{k}": v for k, v in self._prep.state().items()}
        arrays.update(state_arrays("bg", self._bg), **state_arrays("sr", self._sr))
        arrays.update(grid=self._grid, ctx=self._ctx)
        return {"flow_shape": list(self._bg._input_shape)}, arrays, {}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        self._prep = LogitScaler.from_state(
            {k[5:]: v for k, v in arrays.items() if k.startswith("prep.")})
        self._grid, self._ctx = np.asarray(arrays["grid"]), np.asarray(arrays["ctx"])
        shape = state["flow_shape"]
        self._bg = restore_flow(self._flow_params(int(self.seed)), shape, arrays, "bg")
        self._sr = restore_flow(self._flow_params(int(self.seed) + 1), shape, arrays, "sr")
