"""Detector parameters: their JSON form and the checks run before anything is fitted.

A detector's parameters are the keyword-only arguments of its ``__init__`` (plus, for the
wrappers ``ensemble``, ``mc_dropout`` and ``per_jet``, the extra keyword parameters they
forward to their base detector).  They are plain attributes of the detector (scikit-learn
style: :meth:`~sciood.detectors.Detector.get_params` reads them), and every value is a JSON
value (numbers, strings, booleans, ``None``, lists, dicts), so a model's parameters are
written to ``meta.json`` as they are.

:func:`check_params` checks them without data: the names, each value's type against the
constructor's annotation (``bool`` is not an integer, strings are not numbers, floats must be
finite, ``Literal`` choices), name-based ranges shared by every family (:data:`COUNT_PARAMS`
>= 1, :data:`POSITIVE_PARAMS` > 0, :data:`NONNEGATIVE_PARAMS` >= 0, ``dropout`` in [0, 1),
known representation and feature-set names), then the class's own ``_check_params`` hook
and, for wrappers, the base detector's parameters recursively.  ``fit``, ``set_params`` and
loading a saved model run the same check, so a config-time and a fit-time error read alike.

>>> from sciood.detectors.params import check_params
>>> check_params("iforest", {"n_estimators": 50})
>>> check_params("iforest", {"n_estimators": 0})
Traceback (most recent call last):
...
sciood.errors.ConfigError: iforest: n_estimators must be >= 1, got 0; set a positive count
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from sciood.detectors.registry import detector_class
from sciood.errors import ConfigError

if TYPE_CHECKING:
    from sciood.detectors.contract import Detector

__all__ = ["COUNT_PARAMS", "NONNEGATIVE_PARAMS", "POSITIVE_PARAMS", "canonical",
           "check_base_params", "check_class_params", "check_params", "extra_params"]

#: integer parameters that count something (must be >= 1)
COUNT_PARAMS = frozenset({
    "n_estimators", "epochs", "batch_size", "k", "n_components", "latent", "members",
    "n", "passes", "transforms", "flow_transforms", "flow_epochs", "flow_batch_size",
    "rep_dim", "heads", "layers", "channels", "npix", "max_particles", "max_train", "n_grid",
    "hidden", "flow_hidden",
})
#: numeric parameters that must be > 0
POSITIVE_PARAMS = frozenset({"lr", "flow_lr", "temperature", "eps", "oversample",
                             "sideband_width"})
#: numeric parameters that must be >= 0
NONNEGATIVE_PARAMS = frozenset({"seed", "weight_decay", "reg", "beta", "decor_strength",
                                "oe_strength", "oe_margin", "invariance_strength"})
#: how a parameter is named in messages where its name alone is obscure
_LABELS = {"flow_kind": "flow_kind: flow kind"}
_HINTS: dict[type, dict[str, Any]] = {}


def canonical(value: Any) -> Any:
    """``value`` in its JSON form: tuples -> lists, numpy scalars -> Python numbers.

    A value already in JSON form is returned as the *same* object (so
    :func:`sklearn.base.clone`, which checks that a constructor stores its arguments
    unchanged, accepts detectors).

    Raises
    ------
    ConfigError
        Not representable as JSON (an array, an object, ...).
    """
    if isinstance(value, (list, tuple)):
        items = [canonical(v) for v in value]
        same = isinstance(value, list) and all(a is b for a, b in zip(items, value, strict=True))
        return value if same else items
    if isinstance(value, dict):
        pairs = {str(k): canonical(v) for k, v in value.items()}
        same = all(isinstance(k, str) and pairs[k] is v for k, v in value.items())
        return value if same else pairs
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ConfigError(
        f"detector parameters must be JSON values (numbers, strings, lists, dicts), got "
        f"{type(value).__name__}: {value!r}"
    )


def _param_hints(cls: type[Detector]) -> dict[str, Any]:
    """Resolved type annotations of the constructor's keyword parameters (cached)."""
    if cls not in _HINTS:
        try:
            hints = typing.get_type_hints(cls.__init__)
        except Exception:  # pragma: no cover - an annotation that cannot be resolved
            hints = {}
        _HINTS[cls] = {k: v for k, v in hints.items() if k in cls.param_names()}
    return _HINTS[cls]


def _matches(value: Any, tp: Any) -> bool:
    """Whether JSON-like ``value`` fits annotation ``tp`` (bool is not an int here)."""
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if tp is None or tp is type(None):
        return value is None
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in typing.get_args(tp))
    if origin is Literal:
        return any(type(value) is type(a) and value == a for a in typing.get_args(tp))
    if tp is bool:
        return isinstance(value, bool)
    if tp is int:
        return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if tp is float:
        return (isinstance(value, (int, float, np.integer, np.floating))
                and not isinstance(value, bool) and bool(np.isfinite(value)))
    if tp is str:
        return isinstance(value, str)
    if origin in (collections.abc.Sequence, list, tuple):
        args = typing.get_args(tp)
        return (isinstance(value, (list, tuple))
                and all(_matches(v, args[0]) for v in value) if args else True)
    if isinstance(tp, type):
        return isinstance(value, tp)
    return True  # pragma: no cover - an annotation form not used by detectors


def _describe(tp: Any) -> str:
    """Human description of the values an annotation allows."""
    origin = typing.get_origin(tp)
    if tp is None or tp is type(None):
        return "None"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    if origin is Literal:
        opts = [repr(a) for a in typing.get_args(tp)]
        return opts[0] if len(opts) == 1 else ", ".join(opts[:-1]) + " or " + opts[-1]
    if origin in (collections.abc.Sequence, list, tuple):
        args = typing.get_args(tp)
        return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s" \
            if args else "a list"
    names = {bool: "true or false", int: "an integer", float: "a finite number",
             str: "a string"}
    return names.get(tp, getattr(tp, "__name__", str(tp)))


def _check_range(det: str, name: str, value: Any) -> None:
    """Range rules shared by all detectors, by parameter name."""
    num = isinstance(value, (int, float)) and not isinstance(value, bool)
    if name in COUNT_PARAMS:
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and v < 1:
                raise ConfigError(
                    f"{det}: {name} must be >= 1, got {value!r}; set a positive count")
    elif name in POSITIVE_PARAMS and num and not value > 0:
        raise ConfigError(f"{det}: {name} must be > 0, got {value!r}")
    elif name in NONNEGATIVE_PARAMS and num and not value >= 0:
        raise ConfigError(f"{det}: {name} must be >= 0, got {value!r}")
    elif name == "dropout" and num and not 0 <= value < 1:
        raise ConfigError(f"{det}: dropout must be in [0, 1), got {value!r}")
    elif name == "representation" and isinstance(value, str):
        from sciood.represent import available as representations

        if value not in representations():
            raise ConfigError(f"{det}: representation must be one of {representations()}, "
                              f"got {value!r}")
    elif name == "features" and isinstance(value, str):
        from sciood.represent.hlf import FEATURE_SETS

        if value not in FEATURE_SETS:
            raise ConfigError(f"{det}: features {value!r} is not a feature-set name "
                              f"{sorted(FEATURE_SETS)}; give one or a list of column names")


def _takes_any_keyword(cls: type[Detector]) -> bool:
    """Whether ``cls.__init__`` takes ``**kwargs`` (a wrapper's base parameters)."""
    return cls.accepts_extra_params or any(
        p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())


def check_class_params(cls: type[Detector], params: dict[str, Any]) -> None:
    """Check ``params`` (partial or full) of detector class ``cls``; see :func:`check_params`."""
    det = cls.name or cls.__name__
    if not isinstance(params, dict):
        raise ConfigError(f"{det}: parameters must be a mapping of name to value, got "
                          f"{type(params).__name__}")
    params = {str(k): canonical(v) for k, v in params.items()}
    valid = cls.param_names()
    bad = sorted(str(k) for k in set(params) - set(valid))
    if bad and not _takes_any_keyword(cls):
        raise ConfigError(
            f"detector {det!r} has no parameter(s) {bad}; valid parameters: {sorted(valid)}")
    hints = _param_hints(cls)
    for name, value in params.items():
        if name not in hints:
            continue
        if not _matches(value, hints[name]):
            label = _LABELS.get(name, name)
            raise ConfigError(f"{det}: {label} must be {_describe(hints[name])}, got "
                              f"{value!r} ({type(value).__name__}); change it in the "
                              "detector's parameters")
        _check_range(det, name, value)
    defaults = {p.name: p.default for p in inspect.signature(cls.__init__).parameters.values()
                if p.kind is p.KEYWORD_ONLY and p.default is not p.empty}
    cls._check_params({**{k: canonical(v) for k, v in defaults.items()}, **params})


def extra_params(cls: type[Detector], params: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``params`` that are not ``cls``'s own (a wrapper's base parameters)."""
    own = set(cls.param_names())
    return {k: v for k, v in params.items() if k not in own}


def check_base_params(wrapper: str, base: str, params: dict[str, Any]) -> None:
    """Check the parameters a wrapper passes to its base detector (message names both)."""
    base_cls = detector_class(base)
    try:
        check_class_params(base_cls, params)
    except ConfigError as exc:
        if type(exc) is not ConfigError:
            raise
        raise ConfigError(f"{wrapper} base {base!r}: {exc}") from exc


def check_params(name: str, params: dict[str, Any]) -> None:
    """Check a detector's parameters without data, before anything is fitted.

    Checks the parameter names, each value's type against the constructor's annotation
    (``bool`` is not accepted for an integer; strings are not numbers), the ranges of
    counts (``>= 1``), rates (``> 0``), fractions, choices, and — for wrappers
    (``ensemble``, ``mc_dropout``, ``per_jet``) — the base detector's name and parameters,
    recursively.  :meth:`Detector.fit` and :meth:`Detector.set_params` run the same check.

    Parameters
    ----------
    name : str
        Registry name (see :func:`~sciood.detectors.available`).
    params : dict
        Parameters as given to :func:`~sciood.detectors.make` (omitted ones take their
        defaults).

    Raises
    ------
    UnknownNameError
        ``name`` (or a wrapper's ``base``) is not a registered detector.
    ConfigError
        A parameter the detector does not take, or a value of the wrong type or range; the
        message names the parameter, the value and what is allowed.
    """
    check_class_params(detector_class(name), params)

