"""The detector registry: registry name -> detector class, resolved lazily.

Three sources, looked up in this order:

1. **Built-in detectors**: the static table :data:`BUILTIN` of ``name -> "module:Class"``.
   :func:`available` lists them without importing anything; :func:`make` imports only the
   one module that defines the requested class.  A built-in whose optional dependency is not
   installed raises :class:`~sciood.errors.MissingDependencyError` naming the extra
   (``pip install 'sciood[ml]'``), not "unknown detector".
2. **Runtime registration**: :func:`register` (a class decorator) for classes defined in a
   session or a script.
3. **Third-party packages**: an entry point in the group :data:`ENTRY_POINT_GROUP`
   (``sciood.detectors``) whose value is ``"module:Class"``, e.g. in ``pyproject.toml``::

       [project.entry-points."sciood.detectors"]
       mydet = "mypackage.detectors:MyDetector"

   Entry points are read from the installed distributions' metadata when a name is not
   found in (1) or (2), and by :func:`available`; the module is imported only by
   :func:`make` / :func:`detector_class`.
4. **PyOD detectors**: any name ``pyod:<ClassName>`` is PyOD's ``pyod.models`` class of that
   name, wrapped by :mod:`sciood.detectors.pyod_adapter` (built and imported on first use).
   :func:`available` lists the documented, contract-tested subset :data:`PYOD_LISTED`;
   every other PyOD class works with :func:`make` all the same.  Without PyOD installed,
   ``make("pyod:...")`` raises :class:`~sciood.errors.MissingDependencyError` naming
   ``pip install 'sciood[pyod]'``.

Name clashes (docs/detectors.md, "Registering a detector"): built-in names are reserved — an
entry point that reuses one is ignored with a logged warning, and :func:`register` refuses it
with :class:`~sciood.errors.ConfigError` unless the class *is* the built-in one.
:func:`register` also refuses a name already registered for another class, or provided by an
entry point for another class.  Two entry points with the same name and different targets are
a :class:`~sciood.errors.ConfigError` when that name is used (the message names both
distributions); :func:`available` lists the name once.

Example
-------
>>> from sciood.detectors.registry import BUILTIN, available
>>> BUILTIN["iforest"]
'sciood.detectors.classical:IsolationForestDetector'
>>> "iforest" in available()
True
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any, TypeVar

from sciood.errors import ConfigError, MissingDependencyError, UnknownNameError

if TYPE_CHECKING:  # annotations only: the contract module imports nothing from here
    from sciood.detectors.contract import Detector

__all__ = ["BUILTIN", "ENTRY_POINT_GROUP", "PYOD_LISTED", "PYOD_PREFIX", "available",
           "detector_class", "make", "register"]

log = logging.getLogger(__name__)

#: Entry-point group through which installed packages add detectors.
ENTRY_POINT_GROUP = "sciood.detectors"

#: Built-in detectors: registry name -> ``"module:Class"``.  Every one needs the ``ml`` extra
#: (scikit-learn, torch, zuko, skops, safetensors).
BUILTIN: dict[str, str] = {
    "iforest": "sciood.detectors.classical:IsolationForestDetector",
    "gmm": "sciood.detectors.classical:GMM",
    "knn": "sciood.detectors.classical:KNN",
    "mahalanobis": "sciood.detectors.classical:Mahalanobis",
    "ae": "sciood.detectors.autoencoder:Autoencoder",
    "vae": "sciood.detectors.autoencoder:VAE",
    "set_ae": "sciood.detectors.autoencoder:SetAutoencoder",
    "image_ae": "sciood.detectors.autoencoder:ImageAutoencoder",
    "flow": "sciood.detectors.flow:Flow",
    "svdd": "sciood.detectors.svdd:DeepSVDD",
    "supervised": "sciood.detectors.classifier:Supervised",
    "msp": "sciood.detectors.classifier:MaxSoftmax",
    "energy": "sciood.detectors.classifier:EnergyScore",
    "oe_vae": "sciood.detectors.classifier:OutlierExposureVAE",
    "ensemble": "sciood.detectors.uncertainty:Ensemble",
    "mc_dropout": "sciood.detectors.uncertainty:MCDropout",
    "per_jet": "sciood.detectors.perjet:PerJet",
    "cwola": "sciood.detectors.weak:CWoLa",
    "idealized": "sciood.detectors.weak:Idealized",
    "cathode": "sciood.detectors.weak:Cathode",
    "anode": "sciood.detectors.weak:Anode",
    "lacathode": "sciood.detectors.lacathode:LaCathode",
    "nuisance_param": "sciood.detectors.parameterised:NuisanceParameterised",
}

#: Prefix of the PyOD detectors (``pyod:ECOD``); the classes come from ``pyod.models``.
PYOD_PREFIX = "pyod:"
#: The PyOD detectors :func:`available` lists (and the contract test covers): fast,
#: batch-invariant, savable without pickle (docs/detectors.md, "PyOD detectors").  Kept equal
#: to :data:`sciood.detectors.pyod_adapter.LISTED` (tested).
PYOD_LISTED: tuple[str, ...] = ("pyod:COPOD", "pyod:ECOD", "pyod:IForest", "pyod:KNN")

#: Optional third-party modules -> the sciood extra that installs them (pyproject.toml).
DEPENDENCY_EXTRAS: dict[str, str] = {
    "torch": "ml", "zuko": "ml", "sklearn": "ml", "skops": "ml", "safetensors": "ml",
    "pyod": "pyod",
}

#: The qualified name every detector class must derive from (checked without importing it).
_BASE_CLASS = "sciood.detectors.contract.Detector"

#: Classes loaded or registered so far: name -> class.
_LOADED: dict[str, type[Detector]] = {}
#: Entry-point names already warned about (a clash with a built-in name).
_WARNED: set[str] = set()

D = TypeVar("D", bound="Detector")


def _target(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _entry_points() -> dict[str, list[EntryPoint]]:
    """Entry points of :data:`ENTRY_POINT_GROUP` by name (distinct targets only)."""
    found: dict[str, list[EntryPoint]] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        same = found.setdefault(ep.name, [])
        if all(e.value != ep.value for e in same):
            same.append(ep)
    for name in sorted(set(found) & set(BUILTIN)):
        if name not in _WARNED:
            _WARNED.add(name)
            log.warning("ignoring the entry point %r = %r (%s): %r is a built-in sciood "
                        "detector name; rename the entry point", name, found[name][0].value,
                        _dist_name(found[name][0]), name)
    return {k: v for k, v in found.items() if k not in BUILTIN}


def _dist_name(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"distribution {dist.name!r}" if dist is not None else "unknown distribution"


def register(name: str) -> Callable[[type[D]], type[D]]:
    """Class decorator adding a detector class to the registry under ``name``.

    Raises
    ------
    ConfigError
        ``name`` is a built-in detector name, or already registered (or provided by an
        entry point) for another class.
    """

    def deco(cls: type[D]) -> type[D]:
        target = _target(cls)
        if isinstance(name, str) and name.startswith(PYOD_PREFIX):
            raise ConfigError(f"detector names starting with {PYOD_PREFIX!r} are PyOD's "
                              f"classes; register {target} under another name")
        if name in BUILTIN and BUILTIN[name] != target:
            raise ConfigError(f"detector name {name!r} is a built-in sciood detector "
                              f"({BUILTIN[name]}); register {target} under another name")
        known = _LOADED.get(name)
        if known is not None and known is not cls:
            raise ConfigError(f"detector name {name!r} registered twice ({_target(known)} and "
                              f"{target}); choose another name")
        if known is None and name not in BUILTIN:
            eps = _entry_points().get(name, [])
            if any(ep.value.replace(" ", "") != target for ep in eps):
                raise ConfigError(f"detector name {name!r} is provided by the entry point "
                                  f"{eps[0].value!r} ({_dist_name(eps[0])}); register "
                                  f"{target} under another name")
        cls.name = name
        _LOADED[name] = cls
        return cls

    return deco


def available() -> list[str]:
    """Every known detector name, sorted: built-in, registered and entry-point ones, and the
    listed PyOD detectors (:data:`PYOD_LISTED`; any other ``pyod:<ClassName>`` works with
    :func:`make` but is not listed — PyOD's whole zoo is not imported to list it).

    Nothing is imported: a listed name whose optional dependency is missing raises
    :class:`~sciood.errors.MissingDependencyError` only when it is made.
    """
    loaded = {k for k in _LOADED if not k.startswith(PYOD_PREFIX)}
    return sorted(set(BUILTIN) | loaded | set(_entry_points()) | set(PYOD_LISTED))


def _missing(name: str, exc: ImportError, source: str) -> MissingDependencyError:
    module = (getattr(exc, "name", None) or "").split(".")[0]
    extra = DEPENDENCY_EXTRAS.get(module)
    if extra is None and isinstance(exc, MissingDependencyError):
        return MissingDependencyError(f"detector {name!r} cannot be used: {exc}")
    if extra is None:
        return MissingDependencyError(
            f"detector {name!r} ({source}) cannot be imported: module {module!r} is not "
            f"installed ({exc}); install the package that provides it")
    return MissingDependencyError(
        f"detector {name!r} needs the optional dependency {module!r}, which is not "
        f"installed; install it with `pip install 'sciood[{extra}]'`")


def _import(name: str, value: str, source: str) -> type[Detector]:
    """Import ``"module:Class"`` for detector ``name``; check it is a detector class."""
    module, _, attr = value.replace(" ", "").partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except ImportError as exc:
        missing = (exc.name or "").split(".")[0]
        if isinstance(exc, MissingDependencyError) or (
                isinstance(exc, ModuleNotFoundError) and missing not in ("", "sciood")):
            raise _missing(name, exc, source) from exc
        raise  # an import error inside sciood itself is a bug, not a missing extra
    for part in attr.split(".") if attr else []:
        obj = getattr(obj, part, None)
    if not isinstance(obj, type) or _BASE_CLASS not in {_target(k).replace(":", ".")
                                                          for k in obj.__mro__}:
        raise ConfigError(f"detector {name!r} ({source}) points to {value!r}, which is not a "
                          "subclass of sciood.detectors.Detector")
    return obj


def _pyod(name: str) -> type[Detector]:
    """The sciood detector class of PyOD detector ``name`` (``pyod:<ClassName>``)."""
    adapter = importlib.import_module("sciood.detectors.pyod_adapter")
    cls: type[Detector] = adapter.pyod_detector_class(name[len(PYOD_PREFIX):])
    return cls


def detector_class(name: str) -> type[Detector]:
    """The class registered under ``name``, importing its module if needed.

    Raises
    ------
    UnknownNameError
        No such detector; the message lists :func:`available`.
    MissingDependencyError
        The detector is known but an optional dependency of its module is not installed;
        the message names the extra to install.
    ConfigError
        The name is ambiguous (two entry points), or an entry point is not a detector class.
    """
    if name in _LOADED:
        return _LOADED[name]
    if name in BUILTIN:
        cls = _import(name, BUILTIN[name], "built-in")
        return _LOADED.setdefault(name, cls)
    if isinstance(name, str) and name.startswith(PYOD_PREFIX):
        return _LOADED.setdefault(name, _pyod(name))
    eps = _entry_points().get(name) if isinstance(name, str) else None
    if not eps:
        raise UnknownNameError("detector", str(name), available())
    if len(eps) > 1:
        raise ConfigError(
            f"detector name {name!r} is provided by several entry points: "
            + "; ".join(f"{ep.value!r} ({_dist_name(ep)})" for ep in eps)
            + " — uninstall one of them")
    cls = _import(name, eps[0].value, f"entry point of {_dist_name(eps[0])}")
    if name not in _LOADED:  # the module may have registered it itself on import
        cls.name = name
        _LOADED[name] = cls
    return _LOADED[name]


def make(name: str, **params: Any) -> Detector:
    """Build a detector by registry name.

    Parameters
    ----------
    name : str
        One of :func:`available`.
    **params
        Keyword parameters of that detector (all have defaults; ``seed`` is always accepted).

    Raises
    ------
    UnknownNameError
        Unknown ``name``; the message lists the valid names.
    MissingDependencyError
        ``name`` is known but its optional dependency is missing (names the extra).
    ConfigError
        A parameter the detector does not take; the message lists the valid ones.
    """
    cls = detector_class(name)
    valid = cls.param_names()
    bad = sorted(set(params) - set(valid))
    if bad and not cls.accepts_extra_params:
        raise ConfigError(
            f"detector {name!r} has no parameter(s) {bad}; valid parameters: {sorted(valid)}"
        )
    return cls(**params)
