"""Reading and validating a run file: one :class:`~sciood.errors.ConfigError` for every problem.

Each problem is listed with its key path and what is allowed there (the allowed keys of a
section, the close match of a misspelt key, the type a strict field wants).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from sciood.config.run import RunConfig
from sciood.errors import ConfigError
from sciood.safe_yaml import load_mapping_file

__all__ = ["load_config", "parse_config"]


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for p in loc:
        if str(p).startswith(("function-", "tagged-union")):
            continue
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


#: Pydantic error types of strict typing -> the allowed type, for the message.
_TYPE_NAMES = {
    "bool_type": "true or false (not a string or a number)",
    "int_type": "an integer (not a string, a float or true/false)",
    "float_type": "a number (not a string or true/false)",
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "tuple_type": "a list of two numbers",
    "model_type": "a mapping of keys",
    "path_type": "a path string",
    "is_instance_of": "a path string",
}


def _type_msg(err: Any) -> str | None:
    want = _TYPE_NAMES.get(err["type"])
    if want is None:
        if err["type"] == "int_from_float":
            want = _TYPE_NAMES["int_type"]
        else:
            return None
    got = err.get("input")
    return f"must be {want}, got {got!r} ({type(got).__name__})"


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed at ``loc`` (the parent of an unknown key)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        current = _model_of(field.annotation)
    return sorted(getattr(current, "model_fields", {}))


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _format(exc: ValidationError, source: str) -> str:
    lines = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(RunConfig, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{_loc(loc)}: unknown key{hint}; allowed keys here: "
                         f"{', '.join(allowed)}")
            continue
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "required key is missing"
        elif err["type"] == "literal_error":
            msg = f"{msg} (got {err.get('input')!r})"
        elif _type_msg(err) is not None:
            msg = str(_type_msg(err))
        for i, line in enumerate(msg.splitlines()):
            if line.startswith("@"):  # a key relative to loc: "@params: ..."
                lines.append(f"{_loc(loc)}.{line[1:]}")
            else:
                lines.append(line if i or ":" in line.split(" ")[0] else f"{_loc(loc)}: {line}")
    body = "\n".join(f"  - {line}" for line in lines)
    return f"invalid run configuration {source}:\n{body}"


def parse_config(data: Any, *, source: str = "(dict)") -> RunConfig:
    """Validate a configuration mapping.

    Parameters
    ----------
    data : mapping
        The parsed file contents.
    source : str
        Where the data came from (shown in error messages).

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        Listing every problem with its key path and what is allowed.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"invalid run configuration {source}: the file must hold a mapping "
                          f"of keys (name, data, detectors, ...), got {type(data).__name__}")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format(exc, source)) from None


def _read(path: Path) -> Any:
    return load_mapping_file(path, kind="configuration file")


def load_config(path: str | os.PathLike[str], **overrides: Any) -> RunConfig:
    """Read and validate a YAML or TOML run configuration.

    Parameters
    ----------
    path : path-like
        ``.yaml`` / ``.yml`` / ``.toml`` file.
    **overrides
        Top-level keys replacing the file's (e.g. ``output="runs/x"``).

    Returns
    -------
    RunConfig

    Raises
    ------
    ConfigError
        Missing file, unreadable syntax, or invalid contents (every problem listed).

    Examples
    --------
    >>> cfg = load_config("examples/demo.yaml")  # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"config file {str(p)!r} does not exist; pass the path of a .yaml or "
                          ".toml run configuration (see examples/demo.yaml)")
    data = _read(p)
    if isinstance(data, dict):
        data = {**data, **{k: v for k, v in overrides.items() if v is not None}}
    return parse_config(data, source=str(p))
