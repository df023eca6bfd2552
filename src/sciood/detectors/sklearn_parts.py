"""Reading the scikit-learn parts of a model file (``NAME.skops``) without trusting them.

A ``.skops`` part is read with :mod:`skops.io`, which rebuilds objects without unpickling.
Only the types in :data:`TRUSTED_SKOPS_TYPES` (beyond skops' built-in defaults) are accepted;
any other type is refused before it is imported.  The rebuilt estimator must then be the one
class sciood writes under that part's name (``iforest``, ``gmm``, ``hgb``, optionally followed
by a member number), and its arrays are checked node by node — child indices inside the node
array and pointing forward (no cycles), split-feature indices in range, finite thresholds and
values, probability-vector mixture weights — because scikit-learn's compiled code would read
out of bounds on a corrupt tree.

>>> from sciood.detectors.sklearn_parts import TRUSTED_SKOPS_TYPES
>>> "sklearn.tree._tree.Tree" in TRUSTED_SKOPS_TYPES
True
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from sciood.errors import CorruptDataError

__all__ = ["REFIT", "TRUSTED_SKOPS_TYPES", "check_estimator", "load_skops"]

#: The fix named by every message about a damaged model file.
REFIT = "restore the directory from a backup, or refit and save the model again"

#: Types a ``.skops`` part may contain beyond skops' built-in defaults.  Anything else is
#: refused at load time (see :func:`load_skops`).
TRUSTED_SKOPS_TYPES: tuple[str, ...] = (
    "sklearn.ensemble._iforest.IsolationForest",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.tree._tree.Tree",
    "sklearn.mixture._gaussian_mixture.GaussianMixture",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
)


def _bad(where: str, problem: str) -> CorruptDataError:
    return CorruptDataError(
        f"model part {where!r} holds a corrupt estimator: {problem}; refusing to use it "
        f"(compiled scikit-learn code would read out of bounds) — {REFIT}")


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


def check_estimator(key: str, obj: Any, where: str) -> None:
    """Refuse an estimator of the wrong type or a corrupt structure (module docstring)."""
    kind = re.sub(r"\d+$", "", key.rsplit(".", 1)[-1])
    checks = _estimator_checks()
    if kind not in checks:
        raise CorruptDataError(f"model part {where!r}: sciood writes no estimator named "
                               f"{key!r}; {REFIT}")
    expected, check = checks[kind]
    actual = f"{type(obj).__module__}.{type(obj).__qualname__}"
    if actual != expected:
        raise CorruptDataError(f"model part {where!r} holds a {actual}, expected {expected}; "
                               f"{REFIT}")
    try:
        check(obj, where)
    except CorruptDataError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError) as exc:
        raise _bad(where, f"{type(exc).__name__}: {exc}") from exc


def load_skops(path: Path) -> Any:
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:  # skops raises assorted errors on a malformed archive
        raise CorruptDataError(f"model part {path.name!r} is not a readable skops file "
                               f"({type(exc).__name__}: {exc}); {REFIT}") from exc
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
                               f"({type(exc).__name__}: {exc}); {REFIT}") from exc
    check_estimator(path.name[: -len(".skops")], obj, path.name)
    return obj
