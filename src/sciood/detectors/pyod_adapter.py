"""PyOD inside sciood: any PyOD detector class as a sciood detector ``pyod:<ClassName>``.

``make("pyod:ECOD")`` builds a :class:`PyODDetector` subclass made for ``pyod.models``'
class ``ECOD`` (resolved lazily: the PyOD module defining it is found by reading the sources
of ``pyod.models`` and only that module is imported).  The subclass's parameters are

* ``seed`` — passed to PyOD's ``random_state`` when the class has one (``random_state`` is
  not a separate parameter: one name per concept);
* ``weighting`` — ``"refuse"`` (default) or ``"resample"``: PyOD's ``fit`` takes no
  per-event weights, so non-uniform weights are refused, or (``"resample"``) the training
  events are resampled with probability ∝ max(w, 0), seeded;
* ``representation`` / ``features`` — which inputs an EventSet gives (``"hlf"`` features);
* every constructor parameter of the PyOD class whose default is a JSON value
  (``contamination``, ``n_neighbors``, ``n_estimators``, ...), passed through unchanged.

Scores are PyOD's ``decision_function`` (higher = more anomalous, as in sciood) on the inputs
as given — sciood does not standardise them — so they are identical to calling PyOD directly
with the same parameters and seed.  ECOD and COPOD are the exception that proves the rule:
PyOD scores a batch *transductively* (training set ∪ batch), so sciood scores each event as
PyOD scores a batch of that one event (:mod:`sciood.detectors.pyod_ecdf`).  Saving goes
through :mod:`sciood.detectors.pyod_state` (no pickle; refused for models whose state is
not arrays).  docs/detectors.md ("PyOD detectors") lists what is tested and saveable.

>>> from sciood.detectors import make
>>> det = make("pyod:KNN", n_neighbors=8)
>>> det.get_params()["n_neighbors"], det.get_params()["weighting"]
(8, 'refuse')
"""

from __future__ import annotations

import difflib
import functools
import importlib
import importlib.util
import inspect
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from sciood.detectors import pyod_state
from sciood.detectors.contract import Detector
from sciood.detectors.pyod_ecdf import ECDF_MODELS, EcdfState, ecdf_scores
from sciood.errors import ConfigError, MissingDependencyError, UnknownNameError

__all__ = ["LISTED", "PREFIX", "PyODDetector", "pyod_class", "pyod_detector_class",
           "pyod_models"]

#: registry prefix of PyOD detectors
PREFIX = "pyod:"
#: PyOD classes listed by ``available()``: fast (no first-call JIT compilation of seconds, as
#: HBOS's numba code takes ≈ 7 s), batch-invariant (ECOD / COPOD made so), saveable without
#: pickle.  Every other PyOD class still works with ``make("pyod:<Name>")``.
LISTED = ("COPOD", "ECOD", "IForest", "KNN")
#: parameters sciood adds to every PyOD detector (a PyOD parameter of the same name is hidden)
SCIOOD_PARAMS: dict[str, tuple[Any, Any]] = {
    "seed": (int, 0),
    "weighting": (Literal["refuse", "resample"], "refuse"),
    "representation": (str, "hlf"),
    "features": (str | Sequence[str] | None, None),
}
_INSTALL = "install it with `pip install 'sciood[pyod]'` (or `pip install pyod`)"
_CLASS_DEF = re.compile(r"^class\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*:", re.MULTILINE)


def _require_pyod(name: str) -> Path:
    """The directory of ``pyod.models``; MissingDependencyError if PyOD is not installed."""
    spec = importlib.util.find_spec("pyod")
    if spec is None or not spec.submodule_search_locations:
        raise MissingDependencyError(f"detector {name!r} needs PyOD, which is not installed; "
                                     f"{_INSTALL}")
    return Path(next(iter(spec.submodule_search_locations))) / "models"


@functools.cache
def pyod_models() -> dict[str, str]:
    """PyOD detector class name -> defining module, read from the sources (nothing imported).

    The classes of ``pyod/models/*.py`` deriving (directly or through another one) from a
    base whose name ends in ``Detector``, without the ``Base...`` classes themselves; a class
    defined in several modules maps to the module named after it, else the first.

    Raises
    ------
    MissingDependencyError
        PyOD is not installed.
    """
    bases: dict[str, set[str]] = {}
    where: dict[str, str] = {}
    for path in sorted(_require_pyod("pyod:").glob("*.py")):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for cls, base_text in _CLASS_DEF.findall(text):
            names = {b.strip().split(".")[-1] for b in base_text.split(",") if b.strip()}
            bases.setdefault(cls, set()).update(names)
            if cls not in where or path.stem == cls.lower():
                where[cls] = f"pyod.models.{path.stem}"
    found: set[str] = set()
    grown = True
    while grown:
        new = {c for c, bs in bases.items() if c not in found
               and any(b.endswith("Detector") or b in found for b in bs)}
        found |= new
        grown = bool(new)
    return {c: where[c] for c in sorted(found) if not c.startswith(("_", "Base"))}


def _unknown(cls_name: str) -> UnknownNameError:
    names = sorted(pyod_models())
    close = difflib.get_close_matches(cls_name, names, n=5, cutoff=0.6)
    close += [n for n in names if n.lower() == cls_name.lower() and n not in close]
    err = UnknownNameError("detector", f"{PREFIX}{cls_name}", [PREFIX + n for n in names])
    hint = (f"did you mean {', '.join(PREFIX + c for c in close)}? " if close else "")
    err.args = (f"unknown PyOD detector {PREFIX + cls_name!r}; {hint}PyOD's detector "
                f"classes are: {', '.join(names)} (use make('{PREFIX}<ClassName>'))",)
    return err


def pyod_class(cls_name: str) -> type:
    """The PyOD detector class ``cls_name`` (its module imported on first use).

    Raises
    ------
    UnknownNameError
        No PyOD class of that name; the message lists the close matches.
    MissingDependencyError
        PyOD, or a dependency of that PyOD module (e.g. torch), is not installed.
    """
    module = pyod_models().get(cls_name)
    if module is None:
        raise _unknown(cls_name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            obj = getattr(importlib.import_module(module), cls_name, None)
            base = importlib.import_module("pyod.models.base").BaseDetector
    except ImportError as exc:
        raise MissingDependencyError(
            f"detector {PREFIX + cls_name!r}: PyOD's {module} cannot be imported ({exc}); "
            "install the package it names") from exc
    if not (isinstance(obj, type) and issubclass(obj, base)):
        raise _unknown(cls_name)
    return obj


def _pyod_params(cls: type) -> tuple[dict[str, Any], tuple[str, ...], bool]:
    """(pass-through parameter -> JSON default, the required ones, whether the class takes
    ``random_state``).  A required constructor argument gets the default ``None`` here and
    is left out of PyOD's call while it is ``None``, so PyOD names it when it is missing."""
    from sciood.detectors.params import canonical

    params: dict[str, Any] = {}
    random_state = False
    required = []
    init: Any = getattr(cls, "__init__")  # noqa: B009 - the class's own, not an instance's
    for p in list(inspect.signature(init).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name == "random_state":
            random_state = True
        elif p.name in SCIOOD_PARAMS:
            continue
        elif p.default is p.empty:
            required.append(p.name)
            params[p.name] = None
        else:
            try:
                params[p.name] = canonical(p.default)
            except ConfigError:
                continue  # an object default (an estimator, a callable): left to PyOD
    return params, tuple(required), random_state


class PyODDetector(Detector):
    """Base of the ``pyod:<ClassName>`` detectors (one subclass per PyOD class).

    Attributes set per subclass: :attr:`pyod_name` (the PyOD class name),
    :attr:`pyod_defaults` (pass-through parameters and their defaults) and
    :attr:`pyod_random_state` (whether ``seed`` feeds ``random_state``),
    :attr:`pyod_required` (PyOD's constructor arguments without a default, e.g.
    ``DeepSVDD``'s ``n_features``: ``None`` here until set; PyOD names them when missing).
    """

    standardize = False
    pyod_name: ClassVar[str] = ""
    pyod_defaults: ClassVar[dict[str, Any]] = {}
    pyod_random_state: ClassVar[bool] = False
    pyod_required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **params: Any) -> None:
        cls = type(self)
        unknown = sorted(set(params) - set(cls.param_names()))
        if unknown:
            raise TypeError(f"{cls.name} got unexpected parameter(s) {unknown}")
        defaults = {k: d for k, (_, d) in SCIOOD_PARAMS.items()}
        self._store({**defaults, **cls.pyod_defaults, **params})

    @classmethod
    def pyod_kwargs(cls, params: dict[str, Any]) -> dict[str, Any]:
        """The keyword arguments of the PyOD constructor for sciood ``params``."""
        kw = {k: params[k] for k in cls.pyod_defaults
              if k in params and not (k in cls.pyod_required and params[k] is None)}
        if cls.pyod_random_state:
            kw["random_state"] = params.get("seed", 0)
        return kw

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        try:  # PyOD checks its parameters in the constructor (contamination, ...)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pyod_class(cls.pyod_name)(**cls.pyod_kwargs(params))
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{cls.name}: PyOD refuses the parameters: {exc}") from None

    def _new_model(self) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pyod_class(self.pyod_name)(**self.pyod_kwargs(self.get_params()))

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: Any) -> None:
        if np.ptp(w) > 1e-12:
            if self.weighting != "resample":
                raise ConfigError(
                    f"{self.name}: PyOD's {self.pyod_name}.fit takes no per-event weights, "
                    f"and these training weights are not uniform (from {w.min():.4g} to "
                    f"{w.max():.4g} times their mean). Train on unweighted events, or set "
                    "weighting='resample' (in a run config: params: {weighting: resample}) "
                    "to train on a seeded resample with probability ∝ max(w, 0)")
            from sciood.detectors.classical import weighted_resample

            X = weighted_resample(X, self.seed, self.name, sample_weight=w)
        model = self._new_model()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X)
        except ValueError as exc:
            raise ConfigError(f"{self.name}: PyOD's fit failed: {exc}") from exc
        self._use(model)

    def _use(self, model: Any) -> None:
        self._model = model
        self._ecdf = (EcdfState.from_training(self.pyod_name, model.X_train)
                      if self.pyod_name in ECDF_MODELS else None)

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        if self._ecdf is not None:
            return ecdf_scores(self._ecdf, X)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return np.asarray(self._model.decision_function(X), dtype=np.float64).ravel()

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        ctor = set(inspect.signature(type(self._model).__init__).parameters)
        return pyod_state.get_state(self._model, self.pyod_name, ctor, self.name)

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        model = self._new_model()
        pyod_state.set_state(model, self.pyod_name, state, arrays, sk,
                             int(np.prod(self._input_shape)))
        self._use(model)


def _class_name(cls_name: str) -> str:
    return f"PyOD_{cls_name}"


@functools.cache
def pyod_detector_class(cls_name: str) -> type[PyODDetector]:
    """The sciood detector class ``pyod:<cls_name>`` (built once, then cached).

    Its ``__init__`` has the keyword-only signature ``(*, seed, weighting, representation,
    features, <PyOD's parameters>)`` so that :meth:`Detector.param_names`, the parameter
    checks and :func:`sklearn.base.clone` see the parameters.  The class is importable as
    ``sciood.detectors.pyod_adapter.PyOD_<cls_name>`` (so it pickles).

    Raises
    ------
    UnknownNameError, MissingDependencyError, ConfigError
        See :func:`pyod_class`.
    """
    name = PREFIX + cls_name
    target = pyod_class(cls_name)
    defaults, required, random_state = _pyod_params(target)

    def __init__(self: PyODDetector, **params: Any) -> None:
        PyODDetector.__init__(self, **params)

    kw = inspect.Parameter.KEYWORD_ONLY
    sig = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    sig += [inspect.Parameter(k, kw, default=d) for k, (_, d) in SCIOOD_PARAMS.items()]
    sig += [inspect.Parameter(k, kw, default=d) for k, d in defaults.items()]
    __init__.__signature__ = inspect.Signature(sig)  # type: ignore[attr-defined]
    __init__.__annotations__ = {k: tp for k, (tp, _) in SCIOOD_PARAMS.items()}
    qual = _class_name(cls_name)
    __init__.__qualname__ = f"{qual}.__init__"
    cls = type(qual, (PyODDetector,), {
        "__init__": __init__, "__module__": __name__, "__qualname__": qual,
        "__doc__": f"PyOD's {target.__module__}.{cls_name} as the sciood detector {name!r}.",
        "name": name, "pyod_name": cls_name, "pyod_defaults": defaults,
        "pyod_random_state": random_state, "pyod_required": required,
    })
    return cls


def __getattr__(attr: str) -> Any:
    if attr.startswith("PyOD_"):  # pickling and ``module:Class`` references
        try:
            return pyod_detector_class(attr[len("PyOD_"):])
        except UnknownNameError:
            pass
    raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
