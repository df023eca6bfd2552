"""Saved detectors: a directory of JSON, safetensors and skops files, verified before use.

Model directory layout::

    PATH/meta.json           format, registry name, params, JSON state, SHA-256 per part
    PATH/arrays.safetensors  every numeric array (scalers, torch weights, training points)
    PATH/<name>.skops        scikit-learn estimators (skops.io, explicit trusted types)

Nothing is unpickled.  :func:`load_model` checks ``meta.json`` against a strict schema (no
unknown keys, exact types, a known ``format``); every part must be a plain file name inside
the directory (no ``/``, no ``..``, no symbolic link), listed in ``meta.json`` and matching
its SHA-256, and no unlisted part may lie beside them; parameters pass the same check as
``fit`` (:func:`~sciood.detectors.params.check_class_params`); arrays must be numeric and
finite; scikit-learn parts go through :mod:`sciood.detectors.sklearn_parts`; finally the
model scores two probe events.  ``meta.json`` is written last, each file atomically, so an
interrupted save leaves the previous model or a directory that is refused as incomplete.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import load, make
>>> X = np.random.default_rng(0).normal(size=(100, 2))
>>> path = make("mahalanobis").fit(X).save("/tmp/sciood-doctest-model")   # doctest: +SKIP
>>> load(path).score(X).shape                                            # doctest: +SKIP
(100,)
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pydantic

from sciood.detectors.params import canonical, check_class_params
from sciood.detectors.registry import detector_class
from sciood.detectors.sklearn_parts import REFIT, load_skops
from sciood.errors import ConfigError, CorruptDataError, SciOODError, UnknownNameError
from sciood.io import atomic_write_bytes, check_writable, sha256_file

if TYPE_CHECKING:
    from sciood.detectors.contract import Detector

__all__ = ["MODEL_FORMAT", "full_state", "load_model", "restore_full_state", "save_model"]

MODEL_FORMAT = "sciood-detector/1"
_META = "meta.json"
_ARRAYS = "arrays.safetensors"
_PART_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*\.(skops|safetensors)")
_SHA256 = re.compile(r"[0-9a-f]{64}")
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
        f"edited or written by another program — {REFIT}"
    )


def _read_meta(directory: Path) -> _ModelMeta:
    meta_path = directory / _META
    if meta_path.is_symlink():
        raise CorruptDataError(f"{meta_path} is a symbolic link; model files must be regular "
                               f"files inside the model directory — {REFIT}")
    if not meta_path.is_file():
        raise CorruptDataError(f"no {_META} in {str(directory)!r}; not a saved detector "
                               "(pass the directory written by Detector.save)")
    try:
        raw = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CorruptDataError(f"{meta_path} is not valid JSON: {exc}; {REFIT}") from exc
    if not isinstance(raw, dict):
        raise CorruptDataError(f"{meta_path} must hold a JSON object, got "
                               f"{type(raw).__name__}; {REFIT}")
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
                f"could point outside the model directory — {REFIT}")
        if not _SHA256.fullmatch(digest):
            raise CorruptDataError(f"meta.json: part {fname!r} has SHA-256 {digest!r:.80}, "
                                   f"not 64 hex digits; {REFIT}")
    if _ARRAYS not in parts:
        raise CorruptDataError(f"meta.json does not list {_ARRAYS!r} in 'parts', so it "
                               f"cannot be verified; {REFIT}")
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
                f"files inside the model directory — {REFIT}")
        if not fpath.is_file():
            raise CorruptDataError(f"model part {fname!r} is missing in {where!r}; {REFIT}")
        actual = sha256_file(fpath)
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
                               f"file ({exc}); {REFIT}") from exc
    for key, arr in arrays.items():
        if arr.dtype.kind not in _ARRAY_KINDS:
            raise CorruptDataError(f"array {key!r} in {path.name!r} has dtype {arr.dtype}, "
                                   f"not a numeric type; {REFIT}")
        if arr.dtype.kind == "f" and not np.isfinite(arr).all():
            raise CorruptDataError(f"array {key!r} in {path.name!r} contains NaN or Inf; "
                                   f"{REFIT}")
    return arrays




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


# ---------------------------------------------------------------------------- state
def full_state(det: Detector) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """``(JSON state, arrays, estimators)`` of a fitted detector, scaler included.

    The detector's own ``_get_state`` parts are prefixed ``model.``; the feature scaler's
    arrays ``scaler.``; the input shape is part of the JSON state.
    """
    state, arrays, sk = det._get_state()
    full = {"input_shape": list(det._input_shape), "model": state}
    out = {f"model.{k}": v for k, v in arrays.items()}
    if det._uses_scaler():
        out.update({f"scaler.{k}": v for k, v in det._scaler.state().items()})
    return full, out, sk


def restore_full_state(det: Detector, state: dict[str, Any], arrays: dict[str, np.ndarray],
                       sk: dict[str, Any]) -> None:
    """Inverse of :func:`full_state` on an unfitted ``det``; marks it fitted.

    Raises
    ------
    CorruptDataError
        The state does not fit the detector (schema, scaler arrays of the wrong shape, ...).
    """
    from sciood.represent.hlf import Standardizer

    # members / bases rebuilt from a saved state pass the same parameter check
    params = det.get_params()
    check_class_params(type(det), params)
    try:
        checked = _StateSchema.model_validate(state)
    except pydantic.ValidationError as exc:
        raise _schema_error(f"saved state of {det.name!r}", exc) from exc
    det._input_shape = tuple(checked.input_shape)
    if det._uses_scaler():
        scaler = {k[len("scaler."):]: v for k, v in arrays.items() if k.startswith("scaler.")}
        d = int(np.prod(det._input_shape))
        for key in ("mean", "scale"):
            arr = scaler.get(key)
            if arr is None or arr.shape != (d,) or arr.dtype.kind != "f":
                raise CorruptDataError(
                    f"scaler array {key!r} is {None if arr is None else arr.shape}, "
                    f"expected ({d},) floats for inputs of shape {det._input_shape}; "
                    f"{REFIT}")
        if not (scaler["scale"] > 0).all():
            raise CorruptDataError(f"scaler array 'scale' has entries <= 0; {REFIT}")
        det._scaler = Standardizer.from_state(scaler)
    model_arrays = {k[len("model."):]: v for k, v in arrays.items() if k.startswith("model.")}
    det._set_state(checked.model, model_arrays, sk)
    det._fitted = True
    det._fit_params = {k: canonical(v) for k, v in params.items()}


def _probe(det: Detector) -> np.ndarray:
    """Scores of two probe events (the scaler's centre, or zeros) — a load-time check."""
    shape = tuple(det._input_shape)
    centre = np.zeros(shape)
    scaler = getattr(det, "_scaler", None) if det._uses_scaler() else None
    if scaler is not None:
        centre = np.asarray(scaler.mean_, dtype=np.float64).reshape(shape)
    return np.asarray(det.score(np.stack([centre, centre])), dtype=np.float64)


# ---------------------------------------------------------------------------- save / load
def save_model(det: Detector, path: str | os.PathLike[str]) -> Path:
    """Write fitted ``det`` to directory ``path`` (created; files replaced); return it.

    Raises
    ------
    NotFittedError
        ``det`` is not fitted.
    ConfigError
        A parameter was changed after ``fit`` (the file would describe another model).
    DataError
        The directory cannot be written.
    """
    from safetensors.numpy import save_file

    det._check_fitted()
    params = {k: canonical(v) for k, v in det.get_params().items()}
    fitted = getattr(det, "_fit_params", params)
    changed = sorted(k for k in set(params) | set(fitted) if params.get(k) != fitted.get(k))
    if changed:
        raise ConfigError(
            f"{det.name}: parameter(s) {changed} changed after fit "
            f"({', '.join(f'{k}: {fitted.get(k)!r} -> {params.get(k)!r}' for k in changed)}); "
            "the saved file would not describe the fitted model — fit again, or set them back")
    directory = check_writable(path)
    state, arrays, sk = full_state(det)
    stale = _previous_parts(directory)
    parts: dict[str, str] = {}
    arr_path = directory / _ARRAYS
    tmp = arr_path.with_suffix(".tmp")
    save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, str(tmp))
    os.replace(tmp, arr_path)
    parts[_ARRAYS] = sha256_file(arr_path)
    if sk:
        import skops.io as sio

        for key, obj in sk.items():
            fname = f"{key}.skops"
            atomic_write_bytes(directory / fname, sio.dumps(obj))
            parts[fname] = sha256_file(directory / fname)
    meta = {"format": MODEL_FORMAT, "detector": det.name, "params": params, "state": state,
            "parts": parts}
    atomic_write_bytes(directory / _META, json.dumps(meta, indent=2, sort_keys=True).encode())
    for fname in sorted(stale - set(parts)):
        # a part of the model this save replaced (listed in its meta.json): not ours now
        (directory / fname).unlink(missing_ok=True)
    return directory


def load_model(path: str | os.PathLike[str], expected: type | None = None) -> Detector:
    """Load a model saved by :func:`save_model`, verifying it before any of it is used.

    Parameters
    ----------
    path : path-like
        The model directory.
    expected : type, optional
        The detector class the caller asked for (``SomeDetector.load(path)``); the saved
        detector must be it or a subclass.

    Raises
    ------
    CorruptDataError
        Anything wrong with the files; the message names the file or key and the fix.
    ConfigError
        The directory holds another detector class than ``expected``.
    """
    directory = Path(path)
    meta = _read_meta(directory)
    try:
        det_cls = detector_class(meta.detector)
    except UnknownNameError as exc:
        raise CorruptDataError(
            f"{directory / _META} names detector {meta.detector!r}, which this sciood "
            f"does not have ({exc}); {REFIT}") from exc
    if expected is not None and not issubclass(det_cls, expected):
        raise ConfigError(f"{directory} holds a {meta.detector!r}, not a {expected.__name__}")
    _verify_parts(directory, meta.parts)
    try:
        check_class_params(det_cls, meta.params)
    except ConfigError as exc:
        raise CorruptDataError(f"{directory / _META}: key 'params': {exc}; {REFIT}") from exc
    arrays = _load_arrays(directory / _ARRAYS)
    sk = {fname[: -len(".skops")]: load_skops(directory / fname)
          for fname in sorted(meta.parts) if fname.endswith(".skops")}
    det = det_cls(**meta.params)
    try:
        restore_full_state(det, meta.state, arrays, sk)
        probe = _probe(det)
    except CorruptDataError:
        raise
    except (SciOODError, KeyError, TypeError, ValueError, IndexError, AttributeError,
            RuntimeError) as exc:
        raise CorruptDataError(
            f"the saved state in {str(directory)!r} does not fit a {meta.detector!r} "
            f"detector ({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); "
            f"{REFIT}") from exc
    if probe.shape != (2,) or np.isnan(probe).any():
        raise CorruptDataError(
            f"the model in {str(directory)!r} scores probe events as {probe!r}; the "
            f"saved state is inconsistent — {REFIT}")
    return det
