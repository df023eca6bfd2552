"""What every section of the run configuration shares: strict models and safe names."""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Strict,
)

__all__ = ["NAME_MAX", "NAME_PATTERN", "LaxPath", "Variant", "check_path_name"]


#: Detector-card variants a run can generate (see :mod:`sciood.generate.detector`).
Variant = Literal[
    "sim", "data", "sim_jes_up", "sim_jes_down", "sim_jer_up", "sim_jms_up", "sim_jms_down",
    "sim_jmr_up",
]


#: Detectors whose ``y`` is not available in a pipeline run.
_UNSUPPORTED_LABEL_KINDS = {"exposure": "an outlier-exposure sample (not part of a run config)"}


#: Pattern of every config value used as a file or directory name (run name, detector label,
#: process name): ASCII letters, digits, '_', '.', '-', starting with a letter or a digit, so
#: never '', '.', '..', an absolute path or a path with a separator.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


#: Longest such name (file systems allow 255 bytes per component; leave room for suffixes).
NAME_MAX = 100


_NAME_RE = re.compile(NAME_PATTERN)


#: A path given as a string in the file (strict types elsewhere: no str -> bool / int).
LaxPath = Annotated[Path, Strict(False)]


def check_path_name(value: Any, what: str) -> str:
    """``value`` if it is a safe path component (see :data:`NAME_PATTERN`), else ValueError.

    Parameters
    ----------
    value : object
        The config value.
    what : str
        What it names, for the message (``"label"``, ``"process name"``).
    """
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value) or len(value) > NAME_MAX:
        raise ValueError(
            f"{what} {value!r} is not allowed: it names a directory, so it must match "
            f"{NAME_PATTERN} (ASCII letters, digits, '_', '.', '-', starting with a letter or "
            f"digit, at most {NAME_MAX} characters; no '/', '..' or absolute paths)")
    return value


class _Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are checked on assignment.

    Strict types: no string -> bool / number coercion and no float -> int truncation.
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True)


def _unknown(kind: str, name: str, valid: Any) -> str:
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; valid {kind} names are: {', '.join(valid)}"
