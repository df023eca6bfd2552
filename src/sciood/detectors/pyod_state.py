"""A fitted PyOD model as (JSON, numeric arrays, checked scikit-learn estimators) — no pickle.

PyOD models are plain Python objects whose fitted state lives in their attributes.  A model
can be saved when every fitted attribute is one of:

* a numeric numpy array -> ``arrays.safetensors`` (``ECOD``, ``COPOD``: ``X_train``;
  ``HBOS``: ``hist_``, ``bin_edges_``; every model: ``decision_scores_``, ``labels_``);
* a JSON value or a numpy scalar -> ``meta.json`` (``threshold_``, ``_mu``, ``_classes``);
* a scikit-learn estimator that sciood reads back with skops and checks node by node
  (:mod:`sciood.detectors.sklearn_parts`): ``IForest.detector_`` (an ``IsolationForest``)
  and ``GMM.detector_`` (a ``GaussianMixture``);
* an index PyOD rebuilds deterministically from its training array: ``KNN``, ``LOF`` and
  ``ABOD`` keep their neighbour index's training array and are refitted on load (same
  scores, bit for bit).

Anything else (torch modules, callables, other estimators) makes :func:`get_state` refuse
with a :class:`~sciood.errors.ConfigError` naming the attributes — never a pickle fallback.
Scratch arrays PyOD leaves from its last ``decision_function`` call (ECOD's ``U_l``, ``O``,
...) are not part of the model and are not saved.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from sciood.errors import ConfigError, CorruptDataError

__all__ = ["REFIT_ON_LOAD", "SCRATCH", "get_state", "set_state"]

#: attributes recomputed by every decision_function call (not model state)
SCRATCH: dict[str, frozenset[str]] = {
    "ECOD": frozenset({"U_l", "U_r", "U_skew", "O"}),
    "COPOD": frozenset({"U_l", "U_r", "U_skew", "O"}),
}
#: PyOD class -> (attribute, its training-array attribute): refit from that array on load
REFIT_ON_LOAD: dict[str, tuple[str, str]] = {
    "KNN": ("neigh_", "_fit_X"), "LOF": ("detector_", "_fit_X"), "ABOD": ("neigh_", "_fit_X"),
}
#: scikit-learn estimator class (module.qualname) -> the skops part key sciood checks
_SKOPS_KEYS = {"sklearn.ensemble._iforest.IsolationForest": "iforest",
               "sklearn.mixture._gaussian_mixture.GaussianMixture": "gmm"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*|_[A-Za-z0-9][A-Za-z0-9_]*")


def _json_value(v: Any) -> bool:
    if v is None or isinstance(v, (bool, int, float, str)):
        return not isinstance(v, float) or bool(np.isfinite(v))
    if isinstance(v, (list, tuple)):
        return all(_json_value(x) for x in v)
    if isinstance(v, dict):
        return all(isinstance(k, str) and _json_value(x) for k, x in v.items())
    return False


def _qualname(v: Any) -> str:
    return f"{type(v).__module__}.{type(v).__qualname__}"


def get_state(model: Any, kind: str, ctor: set[str], who: str
              ) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """``(JSON state, arrays, estimators)`` of fitted PyOD ``model`` of class ``kind``.

    Parameters
    ----------
    model : pyod BaseDetector
    kind : str
        Its PyOD class name.
    ctor : set of str
        Its constructor's parameter names (set by the constructor, not saved as state).
    who : str
        The sciood detector name, for messages.

    Raises
    ------
    ConfigError
        A fitted attribute that can be saved neither as an array, nor as JSON, nor with
        checked skops; the message names them.
    """
    scalars: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    sk: dict[str, Any] = {}
    bad: list[str] = []
    refit = REFIT_ON_LOAD.get(kind)
    if refit is not None:
        arrays["refit"] = np.asarray(getattr(getattr(model, refit[0]), refit[1]))
        return {"refit": True, "scalars": {}}, arrays, sk
    for key, v in vars(model).items():
        if key in ctor or key in SCRATCH.get(kind, ()):
            continue
        if isinstance(v, np.ndarray) and v.dtype.kind in "biuf":
            arrays[key] = v
        elif isinstance(v, np.generic) and v.dtype.kind in "biuf":
            scalars[key] = {"value": v.item(), "dtype": v.dtype.str}
        elif _json_value(v):
            scalars[key] = {"value": v, "dtype": None}
        elif _qualname(v) in _SKOPS_KEYS and _SKOPS_KEYS[_qualname(v)] not in sk:
            sk[_SKOPS_KEYS[_qualname(v)]] = v
            scalars[key] = {"value": _SKOPS_KEYS[_qualname(v)], "dtype": "skops"}
        else:
            bad.append(f"{key} ({_qualname(v)})")
    if bad:
        raise ConfigError(
            f"{who} cannot be saved without pickle: its fitted state holds {', '.join(bad)}, "
            "which is neither a numeric array, a JSON value, nor a scikit-learn estimator that "
            "sciood can check when loading. sciood never falls back to pickle — keep the model "
            "in memory (fit in the same session), or use a PyOD model listed as saveable in "
            "docs/detectors.md ('PyOD detectors')")
    return {"refit": False, "scalars": scalars}, arrays, sk


def set_state(model: Any, kind: str, state: dict[str, Any], arrays: dict[str, np.ndarray],
              sk: dict[str, Any], n_features: int) -> None:
    """Inverse of :func:`get_state` on a freshly constructed PyOD ``model``.

    Raises
    ------
    CorruptDataError
        Unknown keys, attribute names that are not plain identifiers, a training array that
        does not fit ``n_features``.
    """
    if set(state) != {"refit", "scalars"} or not isinstance(state["scalars"], dict):
        raise CorruptDataError(f"saved PyOD state has keys {sorted(state)}, expected "
                               "['refit', 'scalars']; refit and save the model again")
    if state["refit"]:
        train = arrays.get("refit")
        if kind not in REFIT_ON_LOAD or train is None or train.ndim != 2 \
                or train.shape[1] != n_features:
            raise CorruptDataError(f"saved PyOD {kind} has no usable training array; refit "
                                   "and save the model again")
        model.fit(train)
        return
    for key, arr in arrays.items():
        _check_name(key)
        if key == "X_train" and (arr.ndim != 2 or arr.shape[1] != n_features):
            raise CorruptDataError(f"saved PyOD {kind}: X_train has shape {arr.shape}, "
                                   f"expected (n, {n_features}); refit and save again")
        setattr(model, key, arr)
    for key, entry in state["scalars"].items():
        _check_name(key)
        if not isinstance(entry, dict) or set(entry) != {"value", "dtype"}:
            raise CorruptDataError(f"saved PyOD attribute {key!r} is malformed; refit and "
                                   "save the model again")
        value, dtype = entry["value"], entry["dtype"]
        if dtype == "skops":
            if value not in sk:
                raise CorruptDataError(f"saved PyOD attribute {key!r} names the missing "
                                       f"estimator part {value!r}; refit and save again")
            value = sk[value]
        elif dtype is not None:
            dt = np.dtype(str(dtype))
            if dt.kind not in "biuf":
                raise CorruptDataError(f"saved PyOD attribute {key!r} has dtype {dt}, not a "
                                       "number; refit and save the model again")
            value = dt.type(value)
        setattr(model, key, value)


def _check_name(key: str) -> None:
    if not _NAME.fullmatch(key) or key.startswith("__"):
        raise CorruptDataError(f"saved PyOD attribute name {key!r} is not a plain "
                               "identifier; refit and save the model again")
