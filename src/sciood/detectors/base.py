"""Detector contract, registry and safe model files.

Every detector

* is built with keyword-only parameters (always including ``seed``) that the constructor
  only stores (:meth:`Detector.get_params`);
* learns with ``fit(X, y=None, *, weights=None, observable=None)`` and returns ``self``;
* scores with ``score(X) -> ndarray (n,)`` — **higher = more anomalous**, per event;
* gives out-of-fold scores with :meth:`Detector.fit_score`;
* saves to a directory with :meth:`Detector.save` and loads without unpickling with
  :meth:`Detector.load`.

``X`` is a numpy array or an :class:`~sciood.data.eventset.EventSet`; for an EventSet the
detector's ``representation`` parameter picks the inputs (``"hlf"`` features, ``"images"``,
``"sets"``), and missing ``weights`` / ``y`` / ``observable`` are taken from it (event
weights, ``is_signal`` or class labels, the first observable).

Model directory layout::

    PATH/meta.json           format, registry name, params, JSON state, SHA-256 per part
    PATH/arrays.safetensors  every numeric array (scalers, torch weights, training points)
    PATH/<name>.skops        scikit-learn estimators (skops.io, explicit trusted types)

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
import collections.abc
import importlib
import inspect
import json
import logging
import os
import re
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import pydantic

from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import (
    ConfigError,
    CorruptDataError,
    DataError,
    NotFittedError,
    SciOODError,
    UnknownNameError,
)

__all__ = [
    "MODEL_FORMAT",
    "TRUSTED_SKOPS_TYPES",
    "Detector",
    "available",
    "check_params",
    "load",
    "make",
    "register",
]

log = logging.getLogger(__name__)

MODEL_FORMAT = "sciood-detector/1"
_META = "meta.json"
_ARRAYS = "arrays.safetensors"

#: Types a ``.skops`` part may contain beyond skops' built-in defaults.  Anything else is
#: refused at load time (see :func:`_load_skops`).
TRUSTED_SKOPS_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._iforest.IsolationForest",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
    "sklearn.mixture._gaussian_mixture.GaussianMixture",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)

#: Modules that register detector families on import.
_FAMILY_MODULES = (
    "sciood.detectors.classical",
    "sciood.detectors.autoencoder",
    "sciood.detectors.flow",
    "sciood.detectors.svdd",
    "sciood.detectors.classifier",
    "sciood.detectors.uncertainty",
    "sciood.detectors.perjet",
    "sciood.detectors.weak",
)

_REGISTRY: dict[str, type[Detector]] = {}
_loaded = False

LabelKind = Literal["none", "binary", "multiclass", "exposure"]
D = TypeVar("D", bound="Detector")


def register(name: str) -> Callable[[type[D]], type[D]]:
    """Class decorator adding a detector class to the registry under ``name``."""

    def deco(cls: type[D]) -> type[D]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ConfigError(f"detector name {name!r} registered twice")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def _load_families() -> None:
    global _loaded
    if _loaded:
        return
    for mod in _FAMILY_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError as exc:  # pragma: no cover - only without the extras
            log.warning("detector family %s unavailable (install sciood[ml]): %s", mod, exc)
    _loaded = True


def available() -> list[str]:
    """Registered detector names, sorted."""
    _load_families()
    return sorted(_REGISTRY)


def detector_class(name: str) -> type[Detector]:
    """The class registered under ``name`` (raises :class:`UnknownNameError`)."""
    _load_families()
    if name not in _REGISTRY:
        raise UnknownNameError("detector", name, list(_REGISTRY))
    return _REGISTRY[name]


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


def load(path: str | os.PathLike[str]) -> Detector:
    """Load any saved detector (see :meth:`Detector.load`)."""
    return Detector.load(path)


# ---------------------------------------------------------------------------- helpers
#: Rows of every internal scoring block (see :func:`score_in_blocks`): 3072 = 2^10 * 3, a
#: multiple of every common GEMM row micro-kernel height (4, 6, 8, 12, 16, 24, 32, 48) and
#: of every SIMD width, so no row ever falls into a kernel's remainder path.  Measured on
#: the shared 2-core machine (1 thread): ``ae`` 1.1 M events/s with blocks of 768, 2.7 M/s
#: with 3072; ``iforest`` (per-call overhead) 0.021 -> 0.050 M/s.
SCORE_BLOCK = 3072

#: Largest |value| accepted in a detector's raw input.  Beyond it float32 networks overflow
#: and squared distances lose all precision; no physical feature comes near it.
MAX_ABS_INPUT = 1e30

#: Largest |value| a standardised input may take at score time (in training standard
#: deviations).  Beyond it a float32 network's squares and exponentials overflow into inf /
#: NaN scores; a feature a million standard deviations out is a unit or data error.
MAX_STANDARDISED = 1e6


def score_in_blocks(fn: Callable[[np.ndarray], Any], arr: np.ndarray,
                    block: int = SCORE_BLOCK) -> np.ndarray:
    """Apply ``fn`` to fixed blocks of exactly ``block`` rows and concatenate the results.

    Every call of ``fn`` sees an array of shape ``(block, ...)``: the last, short block is
    padded by repeating its last (valid) row, and the padding's results are discarded.  A
    row's result therefore never depends on how many rows were scored with it (GEMM kernels
    choose their blocking and micro-kernels from the matrix shape, and reductions their
    vectorisation from the length), nor on its offset: scores are bit-identical whatever
    the batch size, shard size, offset or worker count (docs/decisions.md).

    Parameters
    ----------
    fn : callable
        ``(block, ...) -> (block, ...)`` array-like, one result row per input row.
    arr : ndarray, shape ``(n, ...)``

    Returns
    -------
    ndarray, shape ``(n, ...)`` (the per-row result shape of ``fn``)
    """
    n = len(arr)
    if n == 0:
        return np.asarray(fn(arr))
    parts = []
    for start in range(0, n, block):
        part = arr[start:start + block]
        m = len(part)
        if m < block:
            part = np.concatenate([part, np.repeat(part[-1:], block - m, axis=0)])
        parts.append(np.asarray(fn(np.ascontiguousarray(part)))[:m])
    return np.concatenate(parts)


def _finite_array(X: Any, what: str, dtype: Any, *, limit: float | None = None,
                  names: tuple[str, ...] | None = None) -> np.ndarray:
    try:
        raw = np.asarray(X)
        if raw.dtype.kind == "c":
            raise DataError(f"{what} is complex ({raw.dtype}); pass real numbers (take .real "
                            "or abs() explicitly)")
        wide = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{what} cannot be converted to a numeric array: {exc}") from exc
    if wide.ndim == 0 or len(wide) == 0:
        raise DataError(f"{what} is empty (shape {wide.shape}); pass at least one event")
    if not np.isfinite(wide).all():
        flat = wide.reshape(len(wide), -1)
        bad = np.flatnonzero(~np.isfinite(flat).all(1))
        raise DataError(
            f"{what} contains NaN or Inf in {bad.size} event(s) (first at row {bad[0]}); "
            "drop or impute those events before fit/score"
        )
    if limit is not None:
        _check_magnitude(wide, what, limit, "", names)
    return wide if np.dtype(dtype) == np.float64 else wide.astype(dtype)


def _check_magnitude(arr: np.ndarray, what: str, limit: float, unit: str,
                     names: tuple[str, ...] | None = None) -> None:
    """Raise :class:`DataError` naming the first row / column with ``|value| > limit``."""
    flat = arr.reshape(len(arr), -1)
    big = np.abs(flat) > limit
    if not big.any():
        return
    row, col = (int(i[0]) for i in np.nonzero(big))
    label = f"column {col}" + (f" ({names[col]!r})" if names and col < len(names) else "")
    raise DataError(
        f"{what} {label} has the value {float(flat[row, col]):.6g}{unit} at row {row} "
        f"({int(big.any(1).sum())} event(s) affected): |value| must be <= {limit:.0e}{unit} "
        "to be represented in the detector's arithmetic (float32 networks and squared "
        "distances overflow into inf/NaN scores). Check the units of that feature or a "
        "corrupt value; drop or clip those events, or drop a near-constant feature"
    )


def _check_vector(v: Any, n: int, what: str) -> np.ndarray:
    arr = _finite_array(v, what, np.float64)
    if arr.shape != (n,):
        raise DataError(f"{what} has shape {arr.shape}, expected ({n},), one value per event")
    return arr


def _canonical(value: Any) -> Any:
    """Parameter value in its JSON form (tuples -> lists, numpy scalars -> Python)."""
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ConfigError(
        f"detector parameters must be JSON values (numbers, strings, lists, dicts), got "
        f"{type(value).__name__}: {value!r}"
    )


# ---------------------------------------------------------------------------- parameters
#: integer parameters that count something (must be >= 1)
_COUNT_PARAMS = frozenset({
    "n_estimators", "epochs", "batch_size", "k", "n_components", "latent", "members",
    "n", "passes", "transforms", "flow_transforms", "flow_epochs", "flow_batch_size",
    "rep_dim", "heads", "layers", "channels", "npix", "max_particles", "max_train", "n_grid",
    "hidden", "flow_hidden",
})
#: numeric parameters that must be > 0
_POSITIVE_PARAMS = frozenset({"lr", "flow_lr", "temperature", "eps", "oversample",
                              "sideband_width"})
#: numeric parameters that must be >= 0
_NONNEGATIVE_PARAMS = frozenset({"seed", "weight_decay", "reg", "beta", "decor_strength",
                                 "oe_strength", "oe_margin"})
#: how a parameter is named in messages where its name alone is obscure
_LABELS = {"flow_kind": "flow_kind: flow kind"}
_HINTS: dict[type, dict[str, Any]] = {}


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
    if name in _COUNT_PARAMS:
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and v < 1:
                raise ConfigError(
                    f"{det}: {name} must be >= 1, got {value!r}; set a positive count")
    elif name in _POSITIVE_PARAMS and num and not value > 0:
        raise ConfigError(f"{det}: {name} must be > 0, got {value!r}")
    elif name in _NONNEGATIVE_PARAMS and num and not value >= 0:
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


def _check_class_params(cls: type[Detector], params: dict[str, Any]) -> None:
    """Check ``params`` (partial or full) of detector class ``cls``; see :func:`check_params`."""
    det = cls.name or cls.__name__
    if not isinstance(params, dict):
        raise ConfigError(f"{det}: parameters must be a mapping of name to value, got "
                          f"{type(params).__name__}")
    params = {str(k): _canonical(v) for k, v in params.items()}
    valid = cls.param_names()
    bad = sorted(str(k) for k in set(params) - set(valid))
    takes_any = any(p.kind is p.VAR_KEYWORD
                    for p in inspect.signature(cls.__init__).parameters.values())
    if bad and not cls.accepts_extra_params and not takes_any:
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
    cls._check_params({**{k: _canonical(v) for k, v in defaults.items()}, **params})


def extra_params(cls: type[Detector], params: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``params`` that are not ``cls``'s own (a wrapper's base parameters)."""
    own = set(cls.param_names())
    return {k: v for k, v in params.items() if k not in own}


def check_base_params(wrapper: str, base: str, params: dict[str, Any]) -> None:
    """Check the parameters a wrapper passes to its base detector (message names both)."""
    base_cls = detector_class(base)
    try:
        _check_class_params(base_cls, params)
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
    recursively.  :meth:`Detector.fit` runs the same check.

    Parameters
    ----------
    name : str
        Registry name (see :func:`available`).
    params : dict
        Parameters as given to :func:`make` (omitted ones take their defaults).

    Raises
    ------
    UnknownNameError
        ``name`` (or a wrapper's ``base``) is not a registered detector.
    ConfigError
        A parameter the detector does not take, or a value of the wrong type or range; the
        message names the parameter, the value and what is allowed.
    """
    _check_class_params(detector_class(name), params)


def sklearn_score(raw: np.ndarray) -> np.ndarray:
    """Convert a scikit-learn ``score_samples`` output (higher = more normal) to ours.

    This is the one place where scikit-learn's opposite sign convention is flipped.
    """
    return -np.asarray(raw, dtype=np.float64)


# ---------------------------------------------------------------------------- model files
_PART_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\.(skops|safetensors)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REFIT = "restore the directory from a backup, or refit and save the model again"
#: numeric dtypes an arrays part may hold
_ARRAY_KINDS = "biuf"


class _ModelMeta(pydantic.BaseModel):
    """Schema of ``meta.json`` (strict types, no unknown keys)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    format: str
    detector: str
    params: dict[str, Any]
    state: dict[str, Any]
    parts: dict[str, str]


class _StateSchema(pydantic.BaseModel):
    """Schema of the generic part of a saved state (every detector, every member)."""

    model_config = pydantic.ConfigDict(extra="forbid", strict=True)

    input_shape: list[pydantic.PositiveInt] = pydantic.Field(min_length=1, max_length=4)
    model: dict[str, Any]


def _schema_error(what: str, exc: pydantic.ValidationError) -> CorruptDataError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(top level)"
    return CorruptDataError(
        f"{what}: key {key!r}: {err['msg']} (got {err.get('input')!r:.80}); the file was "
        f"edited or written by another program — {_REFIT}"
    )


def _read_meta(directory: Path) -> _ModelMeta:
    meta_path = directory / _META
    if meta_path.is_symlink():
        raise CorruptDataError(f"{meta_path} is a symbolic link; model files must be regular "
                               f"files inside the model directory — {_REFIT}")
    if not meta_path.is_file():
        raise CorruptDataError(f"no {_META} in {str(directory)!r}; not a saved detector "
                               "(pass the directory written by Detector.save)")
    try:
        raw = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{meta_path} is not valid JSON: {exc}; {_REFIT}") from exc
    if not isinstance(raw, dict):
        raise CorruptDataError(f"{meta_path} must hold a JSON object, got "
                               f"{type(raw).__name__}; {_REFIT}")
    if raw.get("format") != MODEL_FORMAT:
        raise CorruptDataError(
            f"{meta_path} has format {raw.get('format')!r}; this sciood reads "
            f"{MODEL_FORMAT!r} — refit and save the model with this version of sciood"
        )
    try:
        return _ModelMeta.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise _schema_error(str(meta_path), exc) from exc


def _verify_parts(directory: Path, parts: dict[str, str]) -> None:
    """Every part confined to ``directory``, listed, present and matching its SHA-256."""
    where = str(directory)
    for fname, digest in parts.items():
        if not _PART_NAME.fullmatch(fname) or ".." in fname:
            raise CorruptDataError(
                f"meta.json lists model part {fname!r}, which is not a plain file name "
                f"(NAME.skops or NAME.safetensors) inside {where!r}; refusing a path that "
                f"could point outside the model directory — {_REFIT}")
        if not _SHA256.fullmatch(digest):
            raise CorruptDataError(f"meta.json: part {fname!r} has SHA-256 {digest!r:.80}, "
                                   f"not 64 hex digits; {_REFIT}")
    if _ARRAYS not in parts:
        raise CorruptDataError(f"meta.json does not list {_ARRAYS!r} in 'parts', so it "
                               f"cannot be verified; {_REFIT}")
    unlisted = sorted(p.name for p in directory.iterdir()
                      if p.suffix in (".skops", ".safetensors") and p.name not in parts)
    if unlisted:
        raise CorruptDataError(
            f"{where!r} holds model file(s) {unlisted} that meta.json does not list, so they "
            "cannot be verified; remove them (or save the model into an empty directory)")
    root = directory.resolve()
    for fname, digest in parts.items():
        fpath = directory / fname
        if fpath.is_symlink() or (fpath.exists() and fpath.resolve().parent != root):
            raise CorruptDataError(
                f"model part {fname!r} in {where!r} is a symbolic link; parts must be regular "
                f"files inside the model directory — {_REFIT}")
        if not fpath.is_file():
            raise CorruptDataError(f"model part {fname!r} is missing in {where!r}; {_REFIT}")
        actual = store.sha256_file(fpath)
        if actual != digest:
            raise CorruptDataError(
                f"model part {fname!r} in {where!r} has SHA-256 {actual[:12]}…, "
                f"but meta.json records {digest[:12]}…; the file was modified or "
                "corrupted — refusing to load it. Refit and save the model again"
            )


def _load_arrays(path: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    try:
        arrays = load_file(str(path))
    except (SafetensorError, OSError, ValueError, TypeError) as exc:
        raise CorruptDataError(f"model part {path.name!r} is not a readable safetensors "
                               f"file ({exc}); {_REFIT}") from exc
    for key, arr in arrays.items():
        if arr.dtype.kind not in _ARRAY_KINDS:
            raise CorruptDataError(f"array {key!r} in {path.name!r} has dtype {arr.dtype}, "
                                   f"not a numeric type; {_REFIT}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise CorruptDataError(f"array {key!r} in {path.name!r} contains NaN or Inf; "
                                   f"{_REFIT}")
    return arrays


def _bad(where: str, problem: str) -> CorruptDataError:
    return CorruptDataError(
        f"model part {where!r} holds a corrupt estimator: {problem}; refusing to use it "
        f"(compiled scikit-learn code would read out of bounds) — {_REFIT}")


def _int_array(a: Any) -> np.ndarray:
    arr = np.asarray(a)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"dtype {arr.dtype} is not an integer type")
    return arr.astype(np.int64)


def _finite(a: Any, where: str, what: str, shape: tuple[int, ...] | None = None) -> None:
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiu" or (shape is not None and arr.shape != shape):
        raise _bad(where, f"{what} has dtype {arr.dtype} and shape {arr.shape}, expected a "
                          f"numeric array of shape {shape}")
    if not np.isfinite(arr).all():
        raise _bad(where, f"{what} contains NaN or Inf")


def _check_children(where: str, what: str, left: np.ndarray, right: np.ndarray,
                    internal: np.ndarray) -> None:
    """Children of internal nodes point forward (no cycles) and inside the node array."""
    n = len(left)
    idx = np.arange(n)
    for name, child in (("left", left), ("right", right)):
        c = child[internal]
        if ((c <= idx[internal]) | (c >= n)).any():
            raise _bad(where, f"{what}: a {name} child index is outside ({n} nodes) or not "
                              f"after its parent (max {int(c.max(initial=-1))})")


def _check_tree(tree: Any, n_features: int, where: str) -> None:
    """A ``sklearn.tree._tree.Tree``: child, feature indices, thresholds, values."""
    from sklearn.tree._tree import Tree

    if type(tree) is not Tree:
        raise _bad(where, f"tree_ is a {type(tree).__name__}, not a sklearn Tree")
    n = int(tree.node_count)
    left, right = _int_array(tree.children_left), _int_array(tree.children_right)
    if n < 1 or left.shape != (n,) or right.shape != (n,):
        raise _bad(where, f"tree has node_count {n} but child arrays {left.shape}")
    internal = left != -1
    if (internal != (right != -1)).any():
        raise _bad(where, "a tree node has exactly one child")
    _check_children(where, "tree", left, right, internal)
    if int(tree.n_features) != n_features:
        raise _bad(where, f"tree has n_features {tree.n_features}, estimator {n_features}")
    feat = _int_array(tree.feature)[internal]
    if ((feat < 0) | (feat >= n_features)).any():
        raise _bad(where, f"a split feature index is outside [0, {n_features}): "
                          f"{int(feat.max(initial=0))}")
    _finite(np.asarray(tree.threshold)[internal], where, "tree threshold")
    _finite(tree.value, where, "tree value",
            (n, int(tree.n_outputs), int(np.atleast_1d(tree.max_n_classes).max())))
    nns = _int_array(tree.n_node_samples)
    if nns.shape != (n,) or (nns < 0).any():
        raise _bad(where, "tree n_node_samples is inconsistent")


def _check_iforest(m: Any, where: str) -> None:
    from sklearn.tree import ExtraTreeRegressor

    d = int(m.n_features_in_)
    trees, feats = list(m.estimators_), list(m.estimators_features_)
    lengths, avg = list(m._decision_path_lengths), list(m._average_path_length_per_tree)
    if not trees or not len(trees) == len(feats) == len(lengths) == len(avg):
        raise _bad(where, f"{len(trees)} trees but {len(feats)} feature lists, "
                          f"{len(lengths)} path-length arrays")
    if int(m._max_features) != d or int(m._max_samples) < 1:
        raise _bad(where, f"max_features {m._max_features} / max_samples {m._max_samples} "
                          f"do not fit {d} features")
    _finite(m.offset_, where, "offset_")
    for i, (t, f, pl, ap) in enumerate(zip(trees, feats, lengths, avg, strict=True)):
        if type(t) is not ExtraTreeRegressor:
            raise _bad(where, f"member {i} is a {type(t).__name__}")
        fi = _int_array(f)
        if fi.shape != (d,) or ((fi < 0) | (fi >= d)).any():
            raise _bad(where, f"member {i} feature indices {fi.tolist()[:5]} do not fit {d}")
        if int(t.n_features_in_) != d:
            raise _bad(where, f"member {i} has n_features_in_ {t.n_features_in_}, not {d}")
        _check_tree(t.tree_, d, f"{where}, tree {i}")
        n = int(t.tree_.node_count)
        _finite(pl, where, f"decision path lengths of tree {i}", (n,))
        _finite(ap, where, f"average path lengths of tree {i}", (n,))


def _check_gmm(m: Any, where: str) -> None:
    d, w = int(m.n_features_in_), np.asarray(m.weights_)
    k = len(w)
    _finite(w, where, "weights_", (k,))
    if k < 1 or (w < 0).any() or not np.isclose(w.sum(), 1.0):
        raise _bad(where, "mixture weights are not a probability vector")
    _finite(m.means_, where, "means_", (k, d))
    shapes = {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}
    if m.covariance_type not in shapes:
        raise _bad(where, f"covariance_type {m.covariance_type!r}")
    for attr in ("covariances_", "precisions_cholesky_", "precisions_"):
        _finite(getattr(m, attr), where, attr, shapes[m.covariance_type])


def _check_hgb(m: Any, where: str) -> None:
    from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor

    d, per_iter = int(m.n_features_in_), int(m.n_trees_per_iteration_)
    if m.is_categorical_ is not None or getattr(m, "_preprocessor", None) is not None:
        raise _bad(where, "categorical features (sciood never trains with them)")
    _finite(m._baseline_prediction, where, "baseline prediction", (1, per_iter))
    if not m._predictors:
        raise _bad(where, "no boosting iterations")
    for it, preds in enumerate(m._predictors):
        if len(preds) != per_iter:
            raise _bad(where, f"iteration {it} has {len(preds)} trees, not {per_iter}")
        for p in preds:
            if type(p) is not TreePredictor:
                raise _bad(where, f"predictor is a {type(p).__name__}")
            nodes = p.nodes
            n = len(nodes)
            leaf = np.asarray(nodes["is_leaf"]).astype(bool)
            if n < 1 or (np.asarray(nodes["is_categorical"]) != 0).any():
                raise _bad(where, f"iteration {it}: empty or categorical tree")
            left, right = _int_array(nodes["left"]), _int_array(nodes["right"])
            _check_children(where, f"iteration {it}", left, right, ~leaf)
            feat = _int_array(nodes["feature_idx"])[~leaf]
            if ((feat < 0) | (feat >= d)).any():
                raise _bad(where, f"iteration {it}: a split feature index is outside "
                                  f"[0, {d})")
            if np.isnan(np.asarray(nodes["num_threshold"])[~leaf]).any():
                raise _bad(where, f"iteration {it}: a NaN split threshold")
            _finite(np.asarray(nodes["value"])[leaf], where, f"iteration {it} leaf values")


def _estimator_checks() -> dict[str, tuple[str, Callable[[Any, str], None]]]:
    """Saved-estimator key (last dotted component) -> (expected class path, checker)."""
    return {
        "iforest": ("sklearn.ensemble._iforest.IsolationForest", _check_iforest),
        "gmm": ("sklearn.mixture._gaussian_mixture.GaussianMixture", _check_gmm),
        "hgb": ("sklearn.ensemble._hist_gradient_boosting.gradient_boosting."
                "HistGradientBoostingClassifier", _check_hgb),
    }


def _check_estimator(key: str, obj: Any, where: str) -> None:
    """Refuse an estimator of the wrong type or with a corrupt structure (see the checks)."""
    kind = re.sub(r"\d+$", "", key.rsplit(".", 1)[-1])
    checks = _estimator_checks()
    if kind not in checks:
        raise CorruptDataError(f"model part {where!r}: sciood writes no estimator named "
                               f"{key!r}; {_REFIT}")
    expected, check = checks[kind]
    actual = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if actual != expected:
        raise CorruptDataError(f"model part {where!r} holds a {actual}, expected {expected}; "
                               f"{_REFIT}")
    try:
        check(obj, where)
    except CorruptDataError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise _bad(where, f"{type(exc).__name__}: {exc}") from exc


def _load_skops(path: Path) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises assorted errors on a malformed archive
        raise CorruptDataError(f"model part {path.name!r} is not a readable skops file "
                               f"({type(exc).__name__}: {exc}); {_REFIT}") from exc
    refused = sorted(set(untrusted) - set(TRUSTED_SKOPS_TYPES))
    if refused:
        raise CorruptDataError(
            f"model part {path.name!r} contains untrusted type(s) {refused}; refusing to load "
            "it. Only files written by sciood for its registered detectors are accepted — "
            "refit and save the model again"
        )
    try:
        obj = sio.load(path, trusted=[t for t in untrusted if t in TRUSTED_SKOPS_TYPES])
    except Exception as exc:  # a trusted type whose state does not fit its class
        raise CorruptDataError(f"model part {path.name!r} cannot be rebuilt "
                               f"({type(exc).__name__}: {exc}); {_REFIT}") from exc
    _check_estimator(path.name[: -len(".skops")], obj, path.name)
    return obj


def _previous_parts(directory: Path) -> set[str]:
    """Part names listed by a model already saved in ``directory`` (empty if none)."""
    try:
        raw = json.loads((directory / _META).read_bytes())
        parts = raw["parts"] if isinstance(raw, dict) else {}
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    if not isinstance(parts, dict):
        return set()
    return {str(f) for f in parts if isinstance(f, str) and _PART_NAME.fullmatch(f)
            and ".." not in f}

# ---------------------------------------------------------------------------- base class
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
    accepts_extra_params: ClassVar[bool] = False
    #: ``_score_arrays`` is batch-invariant by itself — each row's score comes from that row
    #: alone in a fixed order of operations (tree traversals), or the model scores in fixed
    #: blocks of its own (torch detectors) — so :meth:`score` does not block it again; the
    #: contract test checks the property for every detector either way
    invariant_scoring: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self._store(params)

    # ---- parameters
    def __getattr__(self, name: str) -> Any:
        # constructor parameters are attributes (set in _store); this makes them visible to
        # type checkers and gives a clear message for a parameter the detector lacks
        params = self.__dict__.get("_params", {})
        if name in params:
            return params[name]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # one source of truth: assigning a constructor parameter (``det.k = 1``) updates the
        # stored parameters, so get_params(), clone() and save() see the new value
        params = self.__dict__.get("_params")
        if params is not None and name in params:
            value = _canonical(value)
            params[name] = value
            base = self.__dict__.get("_base_params")
            if base is not None and name in base:
                base[name] = value
        object.__setattr__(self, name, value)

    def _store(self, params: dict[str, Any]) -> None:
        params = {k: v for k, v in params.items() if k not in ("self", "__class__")}
        canonical = {k: _canonical(v) for k, v in params.items()}
        object.__setattr__(self, "_params", canonical)
        for k, v in canonical.items():
            setattr(self, k, v)
        self._fitted = False

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        """Family-specific parameter checks without data (hook of :func:`check_params`).

        ``params`` holds every parameter (defaults filled in), already type-checked against
        the constructor's annotations.  Raise :class:`ConfigError` naming the parameter.
        """
        del params  # the base class has no checks beyond the generic ones

    @classmethod
    def param_names(cls) -> list[str]:
        """Names of the constructor's keyword parameters."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY]

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (a copy); ``make(self.name, **get_params())`` clones."""
        return dict(self._params)

    def clone(self) -> Detector:
        """An unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items())
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
        except ValueError:  # ragged: _finite_array reports it
            shape = ()
        arr = _finite_array(X, "X", self.dtype, limit=MAX_ABS_INPUT,
                            names=self._feature_names(shape))
        if arr.ndim != self._expected_ndim():
            raise DataError(
                f"{self.name or type(self).__name__} expects X with {self._expected_ndim()} "
                f"dimensions, got shape {arr.shape}; pass the "
                f"{getattr(self, 'representation', 'hlf')!r} representation"
            )
        if not fitting:
            want = tuple(self._input_shape)
            if tuple(arr.shape[1:]) != want:
                raise DataError(
                    f"X has per-event shape {arr.shape[1:]} but the detector was fitted on "
                    f"{want}; use the same features/representation as in fit"
                )
        return arr

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise NotFittedError(
                f"{self.name or type(self).__name__} is not fitted; call fit(X) first "
                "(or load a saved model)"
            )

    # ---- public API
    def fit(
        self,
        X: Any,
        y: Any = None,
        *,
        weights: Any = None,
        observable: Any = None,
    ) -> Detector:
        """Fit on training events.

        Parameters
        ----------
        X : ndarray, shape ``(n, ...)``, or EventSet
        y : ndarray, shape ``(n,)``, optional
            Labels: unused by unsupervised detectors; 0/1 for ``supervised``; class names
            for ``msp`` / ``energy``; 1 = exposure event for ``oe_vae``.
        weights : ndarray, shape ``(n,)``, optional
            Per-event weights used in the training loss (negative allowed, positive sum).
        observable : ndarray, shape ``(n,)``, optional
            Observable to decorrelate from (detectors with ``decorrelate``).

        Returns
        -------
        self
        """
        _check_class_params(type(self), self.get_params())
        X, y, weights, observable = self._inputs(X, y, weights, observable)
        arr = self._validate(X, fitting=True)
        n = len(arr)
        if n < 2:
            raise DataError(f"need at least 2 training events, got {n}")
        w = np.ones(n) if weights is None else _check_vector(weights, n, "weights")
        if w.sum() <= 0:
            raise DataError("weights must have a positive sum (negative entries are allowed)")
        w = w / w.mean()
        obs = None if observable is None else _check_vector(observable, n, "observable")
        y_arr = self._check_labels(y, n)
        self._input_shape = tuple(int(s) for s in arr.shape[1:])
        if self._uses_scaler():
            from sciood.represent.hlf import Standardizer

            fit_mask = np.ones(n, bool) if self._label_kind() in ("none", "multiclass") else (
                np.asarray(y_arr) == 0)
            self._scaler = Standardizer().fit(arr[fit_mask], w[fit_mask])
            arr = self._scaler.transform(arr)
        self._fit_arrays(arr, y_arr, w, obs)
        self._fitted = True
        return self

    def _check_labels(self, y: Any, n: int) -> Any:
        kind = self._label_kind()
        if kind == "none":
            return None
        if y is None:
            raise DataError(
                f"{self.name} needs labels y at fit: "
                + {"binary": "0 = background, 1 = signal",
                   "multiclass": "one background class name per event",
                   "exposure": "0 = training background, 1 = outlier-exposure event"}[kind]
            )
        arr = np.asarray(y)
        if arr.shape != (n,):
            raise DataError(f"y has shape {arr.shape}, expected ({n},)")
        if kind == "multiclass":
            return arr.astype(str)
        if not np.isin(arr, [0, 1]).all():
            raise DataError("y must contain only 0 and 1 (or booleans)")
        arr = arr.astype(np.int64)
        if arr.min() == arr.max():
            raise DataError(f"{self.name} needs both y = 0 and y = 1 events, got only {arr[0]}")
        return arr

    def _prepared(self, X: Any) -> np.ndarray:
        self._check_fitted()
        arr = self._validate(self._represent(X) if isinstance(X, EventSet) else X,
                             fitting=False)
        if self._uses_scaler():
            arr = self._scaler.transform(arr)
            _check_magnitude(arr, "X (standardised with the training mean and std)",
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

    def score_with_uncertainty(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean score and epistemic standard deviation, each shape ``(n,)``.

        Only ensembles and MC-dropout detectors estimate it; the others raise
        :class:`ConfigError` naming the wrappers to use.
        """
        raise ConfigError(
            f"{self.name} gives no uncertainty on its own; wrap it: "
            f"make('ensemble', base={self.name!r}, n=5) or make('mc_dropout', base=...)"
        )

    def fit_score(
        self,
        X: Any,
        y: Any = None,
        *,
        folds: int = 5,
        weights: Any = None,
        observable: Any = None,
    ) -> np.ndarray:
        """Out-of-fold scores: each event is scored by a clone that never saw it.

        ``self`` is left unchanged.  Fold assignment is seeded by ``self.seed``
        (stratified by ``y`` when labels are used).  Scores from different folds come from
        different models; rank-based metrics on the union are the usual k-fold practice.

        Returns
        -------
        ndarray, shape ``(n,)``
        """
        from sklearn.model_selection import KFold, StratifiedKFold

        if folds < 2:
            raise ConfigError(f"folds must be >= 2, got {folds}")
        X, y, weights, observable = self._inputs(X, y, weights, observable)
        n = len(X)
        if n < 2 * folds:
            raise DataError(f"{n} events are too few for {folds} folds")
        seed = int(getattr(self, "seed", 0))
        if y is not None and self._label_kind() != "none":
            splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(
                np.zeros(n), np.asarray(y).astype(str))
        else:
            splits = KFold(folds, shuffle=True, random_state=seed).split(np.zeros(n))
        out = np.empty(n, dtype=np.float64)
        for train, test in splits:
            model = self.clone()
            model.fit(
                X[train],
                None if y is None else np.asarray(y)[train],
                weights=None if weights is None else np.asarray(weights)[train],
                observable=None if observable is None else np.asarray(observable)[train],
            )
            out[test] = model.score(X[test])
        return out

    # ---- persistence
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model to directory ``path`` (created; files replaced).

        Numeric arrays go to safetensors, scikit-learn estimators to skops, everything else
        to JSON; ``meta.json`` (written last) records the SHA-256 of each part.
        """
        from safetensors.numpy import save_file

        self._check_fitted()
        directory = store.check_writable(path)
        state, arrays, sk = self._full_state()
        stale = _previous_parts(directory)
        parts: dict[str, str] = {}
        arr_path = directory / _ARRAYS
        tmp = arr_path.with_suffix(".tmp")
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
        os.replace(tmp, arr_path)
        parts[_ARRAYS] = store.sha256_file(arr_path)
        if sk:
            import skops.io as sio

            for key, obj in sk.items():
                fname = f"{key}.skops"
                store.atomic_write_bytes(directory / fname, sio.dumps(obj))
                parts[fname] = store.sha256_file(directory / fname)
        meta = {
            "format": MODEL_FORMAT,
            "detector": self.name,
            "params": self.get_params(),
            "state": state,
            "parts": parts,
        }
        store.atomic_write_bytes(
            directory / _META, json.dumps(meta, indent=2, sort_keys=True).encode()
        )
        for fname in sorted(stale - set(parts)):
            # a part of the model this save replaced (listed in its meta.json): not ours now
            (directory / fname).unlink(missing_ok=True)
        return directory

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Detector:
        """Load a model saved by :meth:`save`, verifying it before any of it is used.

        ``meta.json`` is checked against a schema; every part must be a plain file inside
        the directory, listed in ``meta.json`` and match its SHA-256; parameters pass
        :func:`check_params`; arrays must be numeric and finite; scikit-learn parts may hold
        only trusted types and their trees are checked node by node (indices in bounds, no
        cycles); finally the model scores two probe events.

        Raises
        ------
        CorruptDataError
            Anything wrong with the files; the message names the file or key and the fix.
        ConfigError
            The directory holds another detector class than the one ``load`` was called on.
        """
        directory = Path(path)
        meta = _read_meta(directory)
        try:
            det_cls = detector_class(meta.detector)
        except UnknownNameError as exc:
            raise CorruptDataError(
                f"{directory / _META} names detector {meta.detector!r}, which this sciood "
                f"does not have ({exc}); {_REFIT}") from exc
        if cls is not Detector and not issubclass(det_cls, cls):
            raise ConfigError(f"{directory} holds a {meta.detector!r}, not a {cls.__name__}")
        _verify_parts(directory, meta.parts)
        try:
            _check_class_params(det_cls, meta.params)
        except ConfigError as exc:
            raise CorruptDataError(f"{directory / _META}: key 'params': {exc}; {_REFIT}"
                                   ) from exc
        arrays = _load_arrays(directory / _ARRAYS)
        sk = {
            fname[: -len(".skops")]: _load_skops(directory / fname)
            for fname in sorted(meta.parts)
            if fname.endswith(".skops")
        }
        det = det_cls(**meta.params)
        try:
            det._restore_full_state(meta.state, arrays, sk)
            probe = det._probe()
        except CorruptDataError:
            raise
        except (SciOODError, KeyError, TypeError, ValueError, IndexError, AttributeError,
                RuntimeError) as exc:
            raise CorruptDataError(
                f"the saved state in {str(directory)!r} does not fit a {meta.detector!r} "
                f"detector ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
                f"{_REFIT}") from exc
        if probe.shape != (2,) or np.isnan(probe).any():
            raise CorruptDataError(
                f"the model in {str(directory)!r} scores probe events as {probe!r}; the "
                f"saved state is inconsistent — {_REFIT}")
        return det

    def _probe(self) -> np.ndarray:
        """Scores of two probe events (the scaler's centre, or zeros) — a load-time check."""
        shape = tuple(self._input_shape)
        centre = np.zeros(shape)
        scaler = getattr(self, "_scaler", None) if self._uses_scaler() else None
        if scaler is not None:
            centre = np.asarray(scaler.mean_, dtype=np.float64).reshape(shape)
        return np.asarray(self.score(np.stack([centre, centre])), dtype=np.float64)

    def _full_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        state, arrays, sk = self._get_state()
        state = {"input_shape": list(self._input_shape), "model": state}
        arrays = {f"model.{k}": v for k, v in arrays.items()}
        if self._uses_scaler():
            arrays.update({f"scaler.{k}": v for k, v in self._scaler.state().items()})
        return state, arrays, sk

    def _restore_full_state(
        self, state: dict[str, Any], arrays: dict[str, np.ndarray], sk: dict[str, Any]
    ) -> None:
        from sciood.represent.hlf import Standardizer

        # members / bases rebuilt from a saved state pass the same parameter check
        _check_class_params(type(self), self.get_params())
        try:
            checked = _StateSchema.model_validate(state)
        except pydantic.ValidationError as exc:
            raise _schema_error(f"saved state of {self.name!r}", exc) from exc
        self._input_shape = tuple(checked.input_shape)
        if self._uses_scaler():
            scaler = {k[len("scaler."):]: v for k, v in arrays.items() if k.startswith("scaler.")}
            d = int(np.prod(self._input_shape))
            for key in ("mean", "scale"):
                arr = scaler.get(key)
                if arr is None or arr.shape != (d,) or arr.dtype.kind != "f":
                    raise CorruptDataError(
                        f"scaler array {key!r} is {None if arr is None else arr.shape}, "
                        f"expected ({d},) floats for inputs of shape {self._input_shape}; "
                        f"{_REFIT}")
            if not (scaler["scale"] > 0).all():
                raise CorruptDataError(f"scaler array 'scale' has entries <= 0; {_REFIT}")
            self._scaler = Standardizer.from_state(scaler)
        model_arrays = {k[len("model."):]: v for k, v in arrays.items()
                        if k.startswith("model.")}
        self._set_state(checked.model, model_arrays, sk)
        self._fitted = True

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
