"""The detector contract: the :class:`Detector` base class every detector derives from.

Every detector

* is built with keyword-only parameters (always including ``seed``) that the constructor
  only stores, as attributes; :meth:`Detector.get_params` reads them back and
  :meth:`Detector.set_params` checks and sets them (scikit-learn conventions, so
  :func:`sklearn.base.clone` works);
* learns with ``fit(X, y=None, *, sample_weight=None, observable=None)`` and returns
  ``self``;
* scores with ``score(X) -> ndarray (n,)`` — **higher = more anomalous**, per event; the
  same scores are ``decision_function(X)``;
* gives out-of-fold scores with :meth:`Detector.fit_score`;
* exposes its latent space, if it has one, with :meth:`Detector.latent` / ``encode``;
* saves to a directory with :meth:`Detector.save` and loads without unpickling with
  :meth:`Detector.load` (:mod:`sciood.detectors.persistence`).

``X`` is a numpy array or an :class:`~sciood.data.eventset.EventSet`; for an EventSet the
detector's ``representation`` parameter picks the inputs (``"hlf"`` features, ``"images"``,
``"sets"``), and missing ``sample_weight`` / ``y`` / ``observable`` are taken from it (event
weights, ``is_signal`` or class labels, the first observable).

Why ``score`` is per event: scikit-learn's ``score(X, y)`` returns one number (a goodness of
fit); here a score is what a physicist cuts on, one per event, as in every anomaly-detection
paper, so ``score`` keeps that meaning and no scalar ``score`` is added.  ``decision_function``
is the scikit-learn / PyOD spelling of the same per-event array (docs/detectors.md).

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> s = make("mahalanobis", seed=0).fit(X).score(X)
>>> s.shape
(200,)
"""

from __future__ import annotations

import abc
import inspect
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from sciood._compat import renamed_weights
from sciood.data.eventset import EventSet
from sciood.detectors import persistence
from sciood.detectors.inputs import (
    MAX_ABS_INPUT,
    MAX_STANDARDISED,
    LabelKind,
    check_labels,
    check_magnitude,
    check_vector,
    finite_array,
    score_in_blocks,
)
from sciood.detectors.params import canonical, check_class_params
from sciood.errors import ConfigError, DataError, NotFittedError, UnknownNameError

__all__ = ["Detector", "load"]

class Detector(abc.ABC):
    """Base class of every anomaly detector (see the module docstring for the contract).

    Subclasses declare their parameters as keyword-only arguments of ``__init__`` and call
    ``self._store(locals())``; they implement :meth:`_fit_arrays`, :meth:`_score_arrays`,
    :meth:`_get_state` and :meth:`_set_state`.
    """

    name: ClassVar[str] = ""
    #: expected ndim of the input array (2: features, 4: jets × (pixels or particles))
    input_ndim: ClassVar[int] = 2
    #: what ``y`` means for this detector
    label_kind: ClassVar[LabelKind] = "none"
    #: whether features are standardised (scaler fitted in ``fit`` and saved)
    standardize: ClassVar[bool] = True
    #: dtype the model works in
    dtype: ClassVar[Any] = np.float64
    #: jet-level models score each of the two jets and aggregate per event
    jet_level: ClassVar[bool] = False
    #: wrappers take further keyword parameters, forwarded to their base detector
    accepts_extra_params: ClassVar[bool] = False
    #: ``_score_arrays`` is batch-invariant by itself — each row's score comes from that row
    #: alone in a fixed order of operations (tree traversals), or the model scores in fixed
    #: blocks of its own (torch detectors) — so :meth:`score` does not block it again; the
    #: contract test checks the property for every detector either way
    invariant_scoring: ClassVar[bool] = False
    #: the family has a latent space (:meth:`latent`); read :attr:`has_latent` on instances
    latent_space: ClassVar[bool] = False
    #: names of parameters beyond the constructor's own (a wrapper's base parameters)
    _extra_param_names: tuple[str, ...] = ()

    if TYPE_CHECKING:  # parameters are plain attributes set by _store
        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, **params: Any) -> None:
        self._store(params)

    # ---- parameters (scikit-learn conventions)
    def _store(self, params: dict[str, Any]) -> None:
        """Set each constructor parameter as an attribute (in JSON form) — nothing else."""
        params = {k: v for k, v in params.items() if k not in ("self", "__class__")}
        own = set(type(self).param_names())
        for k, v in params.items():
            setattr(self, k, canonical(v))
        self._extra_param_names = tuple(k for k in params if k not in own)
        self._fitted = False

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        """Family-specific parameter checks without data (hook of ``check_params``).

        ``params`` holds every parameter (defaults filled in), already type-checked against
        the constructor's annotations.  Raise :class:`ConfigError` naming the parameter.
        """
        del params  # the base class has no checks beyond the generic ones

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's keyword parameters."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters, read from the attributes: ``make(self.name, **get_params())`` clones.

        Parameters
        ----------
        deep : bool
            Accepted for scikit-learn; parameters are JSON values, never estimators, so
            there is nothing nested to expand and ``deep`` changes nothing.
        """
        del deep
        names = [*type(self).param_names(), *self._extra_param_names]
        return {k: getattr(self, k) for k in names}

    def set_params(self, **params: Any) -> Self:
        """Check ``params`` as :func:`~sciood.detectors.check_params` does, then set them.

        Returns
        -------
        self

        Raises
        ------
        ConfigError
            An unknown parameter or a value of the wrong type / range (nothing is set).
        """
        if not params:
            return self
        check_class_params(type(self), {**self.get_params(), **params})
        own = set(type(self).param_names())
        for k, v in params.items():
            setattr(self, k, canonical(v))
            if k not in own and k not in self._extra_param_names:
                self._extra_param_names = (*self._extra_param_names, k)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        # a wrapper's base parameters are open-ended: a public attribute set on a wrapper
        # after construction (``ens.epochs = 1``) is one of them, so get_params() (and fit's
        # parameter check, which refuses a name the base does not take) see it
        object.__setattr__(self, name, value)
        if (self.accepts_extra_params and not name.startswith("_") and "_fitted" in self.__dict__
                and name not in self._extra_param_names and name not in self.param_names()):
            object.__setattr__(self, "_extra_param_names", (*self._extra_param_names, name))

    @property
    def _base_params(self) -> dict[str, Any]:
        """The parameters beyond the constructor's own (what a wrapper gives its base)."""
        return {k: getattr(self, k) for k in self._extra_param_names}

    def clone(self) -> Detector:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def __sklearn_tags__(self) -> Any:
        """scikit-learn (>= 1.6) estimator tags, so ``GridSearchCV`` / ``Pipeline`` accept it.

        No estimator type (a detector is neither a classifier nor sklearn's ``predict`` ->
        ±1 outlier detector), labels required only by labelled detectors, dense input of the
        detector's ``input_ndim``, no NaN.
        """
        from sklearn.utils import InputTags, Tags, TargetTags

        ndim = self._expected_ndim()
        return Tags(estimator_type=None,
                    target_tags=TargetTags(required=self._label_kind() != "none"),
                    non_deterministic=False, requires_fit=True,
                    input_tags=InputTags(two_d_array=ndim == 2, three_d_array=ndim == 3))

    def __sklearn_is_fitted__(self) -> bool:
        """Whether :meth:`fit` (or :meth:`load`) ran — scikit-learn's ``check_is_fitted``."""
        return bool(self.__dict__.get("_fitted", False))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ---- inputs
    def _represent(self, events: EventSet) -> np.ndarray:
        """Model inputs built from an EventSet (no fitted state involved)."""
        from sciood.represent import represent

        rep = getattr(self, "representation", "hlf")
        if rep == "hlf":
            return represent(events, "hlf", features=getattr(self, "features", None))
        if rep == "sets":
            return represent(events, "sets", max_particles=getattr(self, "max_particles", 30))
        if rep == "images":
            return represent(events, "images", npix=getattr(self, "npix", 32))
        return represent(events, rep)

    def as_array(self, X: Any) -> np.ndarray:
        """Raw model input for ``X`` (an EventSet is represented, an array passes through)."""
        if isinstance(X, EventSet):
            return self._represent(X)
        return np.asarray(X)

    def _label_kind(self) -> LabelKind:
        return self.label_kind

    def _expected_ndim(self) -> int:
        return self.input_ndim

    def _uses_scaler(self) -> bool:
        return self.standardize

    def _labels_from(self, events: EventSet) -> np.ndarray | None:
        if self._label_kind() == "binary":
            return events.is_signal.astype(np.int64)
        if self._label_kind() == "multiclass":
            return np.asarray(events.labels)
        return None

    def _inputs(
        self, X: Any, y: Any, weights: Any, observable: Any
    ) -> tuple[np.ndarray, Any, Any, Any]:
        if isinstance(X, EventSet):
            if y is None:
                y = self._labels_from(X)
            if weights is None:
                weights = X.weights
            if observable is None and X.observables:
                observable = X.column(X.observables[0])
            X = self._represent(X)
        try:
            arr = np.asarray(X)
        except ValueError as exc:  # ragged nested lists
            raise DataError(f"X cannot be read as a rectangular array ({exc}); pass an "
                            "(n_events, n_features) array of numbers, or an EventSet") from exc
        return arr, y, weights, observable

    def _validate(self, X: Any, *, fitting: bool) -> np.ndarray:
        try:
            shape = np.shape(X)
        except ValueError:  # ragged: finite_array reports it
            shape = ()
        arr = finite_array(X, "X", self.dtype, limit=MAX_ABS_INPUT,
                           names=self._feature_names(shape))
        if arr.ndim != self._expected_ndim():
            raise DataError(
                f"{self.name or type(self).__name__} expects X with {self._expected_ndim()} "
                f"dimensions, got shape {arr.shape}; pass the "
                f"{getattr(self, 'representation', 'hlf')!r} representation"
            )
        if not fitting and tuple(arr.shape[1:]) != tuple(self._input_shape):
            raise DataError(
                f"X has per-event shape {arr.shape[1:]} but the detector was fitted on "
                f"{tuple(self._input_shape)}; use the same features/representation as in fit"
            )
        return arr

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError(
                f"{self.name or type(self).__name__} is not fitted; call fit(X) first "
                "(or load a saved model)"
            )

    def _check_labels(self, y: Any, n: int) -> Any:
        return check_labels(y, n, self._label_kind(), self.name or type(self).__name__)

    def _prepared(self, X: Any) -> np.ndarray:
        self._check_fitted()
        arr = self._validate(self._represent(X) if isinstance(X, EventSet) else X,
                             fitting=False)
        if self._uses_scaler():
            arr = self._scaler.transform(arr)
            check_magnitude(arr, "X (standardised with the training mean and std)",
                            MAX_STANDARDISED, " std", self._feature_names(arr.shape))
        return arr

    def _feature_names(self, shape: tuple[int, ...]) -> tuple[str, ...] | None:
        """Column names of a 2-D ``hlf`` input of ``shape`` (for messages), else ``None``."""
        if (getattr(self, "representation", "hlf") != "hlf" or len(shape) != 2
                or self._expected_ndim() != 2):
            return None
        from sciood.represent.hlf import resolve_features

        try:
            names = resolve_features(getattr(self, "features", None))
        except (ConfigError, UnknownNameError):  # only decorates a message
            return None
        return names if len(names) == shape[1] else None

    # ---- public API
    def fit(self, X: Any, y: Any = None, *, sample_weight: Any = None,
            observable: Any = None, weights: Any = None) -> Self:
        """Fit on training events.

        Parameters
        ----------
        X : ndarray, shape ``(n, ...)``, or EventSet
        y : ndarray, shape ``(n,)``, optional
            Labels: unused by unsupervised detectors; 0/1 for ``supervised``; class names
            for ``msp`` / ``energy``; 1 = exposure event for ``oe_vae``.
        sample_weight : ndarray, shape ``(n,)``, optional
            Per-event weights used in the training loss (negative allowed, positive sum).
        observable : ndarray, shape ``(n,)``, optional
            Observable to decorrelate from (detectors with ``decorrelate``), or the search
            observable of the weakly supervised detectors.
        weights : ndarray, shape ``(n,)``, optional
            Deprecated alias of ``sample_weight`` (FutureWarning; removed in sciood 0.3).

        Returns
        -------
        self
        """
        sample_weight = renamed_weights(sample_weight, weights, "fit")
        params = self.get_params()
        check_class_params(type(self), params)
        X, y, sample_weight, observable = self._inputs(X, y, sample_weight, observable)
        arr = self._validate(X, fitting=True)
        n = len(arr)
        if n < 2:
            raise DataError(f"need at least 2 training events, got {n}")
        w = np.ones(n) if sample_weight is None else check_vector(sample_weight, n, "weights")
        if w.sum() <= 0:
            raise DataError("weights must have a positive sum (negative entries are allowed)")
        w = w / w.mean()
        obs = None if observable is None else check_vector(observable, n, "observable")
        y_arr = self._check_labels(y, n)
        self._input_shape = tuple(int(s) for s in arr.shape[1:])
        if self._uses_scaler():
            arr = self._fit_scaler(arr, y_arr, w)
        self._fit_arrays(arr, y_arr, w, obs)
        self._fitted = True
        self._fit_params = {k: canonical(v) for k, v in params.items()}
        return self

    def score(self, X: Any) -> np.ndarray:
        """Anomaly score per event (higher = more anomalous).

        Parameters
        ----------
        X : ndarray, shape ``(n, ...)``, or EventSet

        Returns
        -------
        ndarray, shape ``(n,)``, float64
        """
        arr = self._prepared(X)
        if self.invariant_scoring:
            return np.asarray(self._score_arrays(arr), dtype=np.float64)
        return np.asarray(score_in_blocks(self._score_arrays, arr), dtype=np.float64)

    def decision_function(self, X: Any) -> np.ndarray:
        """The same per-event scores as :meth:`score` (higher = more anomalous).

        The scikit-learn / PyOD name, so tools that call ``decision_function`` rank events
        as sciood does.  Returns ndarray, shape ``(n,)``, float64.
        """
        return self.score(X)

    def score_with_uncertainty(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean score and epistemic standard deviation, each shape ``(n,)``.

        Only ensembles and MC-dropout detectors estimate it; the others raise
        :class:`ConfigError` naming the wrappers to use.
        """
        raise ConfigError(
            f"{self.name} gives no uncertainty on its own; wrap it: "
            f"make('ensemble', base={self.name!r}, n=5) or make('mc_dropout', base=...)"
        )

    @property
    def has_latent(self) -> bool:
        """Whether :meth:`latent` works (some families decide per instance)."""
        return bool(type(self).latent_space or type(self)._own_latent())

    @classmethod
    def _own_latent(cls) -> bool:  # a ``latent`` method of the family's own (lacathode)
        return cls.latent is not Detector.latent

    def latent(self, X: Any) -> np.ndarray:
        """Latent coordinates per event, ``(n, k)`` float64 (:mod:`sciood.detectors.latent`;
        ``encode`` is the same method: use it where a ``latent`` parameter hides this one)."""
        from sciood.detectors.latent import latent_of

        return latent_of(self, X)

    encode = latent

    def _no_latent_note(self) -> str:  # why these parameters leave no latent (messages)
        return ""

    def _latent_arrays(self, X: np.ndarray) -> np.ndarray:  # validated inputs -> (n, k)
        raise ConfigError(f"{self.name or type(self).__name__} has no latent space")

    def fit_score(self, X: Any, y: Any = None, *, folds: int = 5, sample_weight: Any = None,
                  observable: Any = None, weights: Any = None) -> np.ndarray:
        """Out-of-fold scores: each event is scored by a clone that never saw it.

        ``self`` is left unchanged (:mod:`sciood.detectors.crossfit`: folds seeded by
        ``self.seed``, stratified by ``y`` when labels are used).  ``sample_weight`` and
        ``observable`` are as in :meth:`fit` (``weights`` is the deprecated alias of
        ``sample_weight``).

        Returns
        -------
        ndarray, shape ``(n,)``
        """
        from sciood.detectors.crossfit import out_of_fold_scores

        sample_weight = renamed_weights(sample_weight, weights, "fit_score")
        return out_of_fold_scores(self, X, y, folds, sample_weight, observable)

    # ---- persistence (sciood.detectors.persistence)
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model to directory ``path`` (created; files replaced).

        Numeric arrays go to safetensors, scikit-learn estimators to skops, everything else
        to JSON; ``meta.json`` (written last) records the SHA-256 of each part.  A parameter
        changed since ``fit`` is refused (:class:`ConfigError`): the file would describe
        another model than the fitted one.
        """
        return persistence.save_model(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Detector:
        """Load a model saved by :meth:`save`, verifying it before any of it is used.

        See :func:`sciood.detectors.persistence.load_model` for the checks.

        Raises
        ------
        CorruptDataError
            Anything wrong with the files; the message names the file or key and the fix.
        ConfigError
            The directory holds another detector class than the one ``load`` was called on.
        """
        return persistence.load_model(path, None if cls is Detector else cls)

    def _full_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        return persistence.full_state(self)

    def _restore_full_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                            sk: dict[str, Any]) -> None:
        persistence.restore_full_state(self, state, arrays, sk)

    def _fit_scaler(self, arr: np.ndarray, y: Any, w: np.ndarray) -> np.ndarray:
        """Fit the standardiser (background rows when labelled); returns ``arr`` scaled."""
        from sciood.represent.hlf import Standardizer

        bkg = np.ones(len(arr), bool) if self._label_kind() in ("none", "multiclass") else (
            np.asarray(y) == 0)
        self._scaler = Standardizer().fit(arr[bkg], sample_weight=w[bkg])
        return self._scaler.transform(arr)

    def _refit_scaler(self, arr: np.ndarray, y: Any, w: np.ndarray) -> np.ndarray:
        """Re-standardise scaled ``arr`` with weights ``w`` (a fit falling back to the
        positive part of signed weights scales with the moments it trains on)."""
        scaler = getattr(self, "_scaler", None)
        if scaler is None:
            return arr
        return self._fit_scaler(scaler.inverse_transform(arr), y, w).astype(arr.dtype)

    # ---- to implement
    @abc.abstractmethod
    def _fit_arrays(
        self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None
    ) -> None:
        """Fit on validated, standardised inputs (weights normalised to mean 1)."""

    @abc.abstractmethod
    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        """Scores for validated, standardised inputs, shape ``(n,)``."""

    @abc.abstractmethod
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        """(JSON-able state, numeric arrays, scikit-learn estimators)."""

    @abc.abstractmethod
    def _set_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], sk: dict[str, Any]
    ) -> None:
        """Inverse of :meth:`_get_state`."""


def load(path: str | os.PathLike[str]) -> Detector:
    """Load any saved detector (see :meth:`Detector.load`)."""
    return Detector.load(path)

