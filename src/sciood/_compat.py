"""Deprecated spellings kept for one release (see docs/decisions.md, "one name per concept").

Per-event weights are spelled ``sample_weight`` (keyword-only) in every public function and
method, as in scikit-learn; the older ``weights=`` keyword still works for one release with a
:class:`FutureWarning` (shown to users, unlike ``DeprecationWarning``) that names the new
spelling.  Data fields keep their names: ``EventSet.weights`` and the ``weight`` column are the
data, not an argument.

>>> from sciood._compat import renamed_weights
>>> renamed_weights(None, None, "auc") is None
True
"""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

__all__ = ["WEIGHTS_RENAMED", "renamed_weights"]

T = TypeVar("T")

#: The warning text's tail: when the old spelling goes away.
WEIGHTS_RENAMED = "`weights=` is deprecated (removed in sciood 0.3); use `sample_weight=`"


def renamed_weights(sample_weight: T | None, weights: Any, where: str,
                    *, stacklevel: int = 3) -> T | None:
    """Resolve ``sample_weight`` given the deprecated ``weights`` spelling of the same argument.

    Parameters
    ----------
    sample_weight : array-like or None
        The argument under its current name.
    weights : array-like or None
        The deprecated name; when given, a :class:`FutureWarning` is issued.
    where : str
        Name of the calling function, for the messages.

    Returns
    -------
    The weights to use (``sample_weight`` or, if only the old spelling was given, ``weights``).

    Raises
    ------
    TypeError
        Both spellings were given.
    """
    if weights is None:
        return sample_weight
    if sample_weight is not None:
        raise TypeError(f"{where}() got both `sample_weight=` and its deprecated alias "
                        "`weights=`; pass only `sample_weight=`")
    warnings.warn(f"{where}(): {WEIGHTS_RENAMED}", FutureWarning, stacklevel=stacklevel)
    return weights
