"""User processes from a TOML or YAML file, validated strictly (:func:`load_process_file`).

Types are strict, selection cuts must be finite and physical
(:class:`~sciood.reco.selection.Selection`), names must not shadow a built-in process
(:mod:`sciood.generate.catalogue`), setting lines sciood controls itself are refused
(:data:`RESERVED_SETTINGS`), and every line can be checked by Pythia itself.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from sciood.errors import ConfigError
from sciood.generate.catalogue import ALIASES, CATALOGUE
from sciood.generate.process_model import Process, Slice
from sciood.reco.selection import Selection

__all__ = ["MAX_FILE_BYTES", "RESERVED_SETTINGS", "load_process_file"]

#: Largest process file read [bytes] (a catalogue of many processes is a few kB).
MAX_FILE_BYTES = 1 << 20
#: Most processes in one file, slices per process, setting lines per process and line length.
MAX_PROCESSES = 200
MAX_SLICES = 50
MAX_LINES = 2000
MAX_LINE_CHARS = 500

_PROCESS_KEYS = {"name", "signal", "description", "settings", "selection", "mpi", "slices",
                 "label", "notes"}
_SELECTION_KEYS = set(Selection.__dataclass_fields__)
_SLICE_KEYS = {"settings", "fraction"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")

#: Setting lines sciood controls itself (prefixes, lower case: Pythia keys ignore case).
RESERVED_SETTINGS: dict[str, str] = {
    "random:": "the Pythia seed of every shard is derived from --seed (reproducibility)",
    "beams:": "every process is pp at √s = 13 TeV (selection ranges and weights assume it)",
    "partonlevel:mpi": "use the process key `mpi = true/false` (or --mpi/--no-mpi)",
    "tune:": "the tune is set by the detector variant (--variant); a Tune line would reset it",
}


def _load_mapping(path: Path) -> Any:
    from sciood.safe_yaml import load_mapping_file

    return load_mapping_file(path, kind="process file", max_bytes=MAX_FILE_BYTES)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, got {value!r} "
                          f"({type(value).__name__}); write it without quotes")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r} ({type(value).__name__})")
    return value


def _selection(spec: Any, where: str) -> Selection:
    if not isinstance(spec, Mapping) or set(spec) - _SELECTION_KEYS:
        extra = sorted(set(spec) - _SELECTION_KEYS) if isinstance(spec, Mapping) else spec
        raise ConfigError(f"{where}.selection: allowed keys are {sorted(_SELECTION_KEYS)}, "
                          f"got unknown {extra!r}")
    values: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "lepton_veto":
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.selection.lepton_veto must be true or false "
                                  f"(unquoted), got {value!r} ({type(value).__name__})")
        else:
            _number(value, f"{where}.selection.{key}")
        values[key] = value
    try:
        selection = replace(Selection(), **values)
        selection.check_physical()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return selection


def _setting_lines(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [s for s in value.splitlines() if s.strip()]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where} must be a list of Pythia setting lines (strings), got "
                          f"{value!r:.80}")
    if len(value) > MAX_LINES:
        raise ConfigError(f"{where}: {len(value)} setting lines, more than the {MAX_LINES} "
                          "allowed; is this the right file?")
    lines = []
    for line in value:
        line = line.strip()
        if len(line) > MAX_LINE_CHARS or "\n" in line or "\r" in line:
            raise ConfigError(f"{where}: setting line {line[:60]!r}... is longer than "
                              f"{MAX_LINE_CHARS} characters or spans lines; one setting "
                              "per line")
        low = line.lower().replace(" ", "")
        for prefix, why in RESERVED_SETTINGS.items():
            if low.startswith(prefix):
                raise ConfigError(f"{where}: the setting {line!r} is not allowed in a "
                                  f"process file: {why}")
        lines.append(line)
    return tuple(lines)


def _slices(value: Any, where: str) -> tuple[Slice, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_SLICES:
        raise ConfigError(f"{where}.slices must be a list of 1 to {MAX_SLICES} tables "
                          "{settings = [...], fraction = F}")
    out = []
    for i, item in enumerate(value):
        at = f"{where}.slices[{i}]"
        if not isinstance(item, Mapping) or set(item) - _SLICE_KEYS:
            raise ConfigError(f"{at} must be a table with keys {sorted(_SLICE_KEYS)}, got "
                              f"{item!r:.80}")
        fraction = _number(item.get("fraction", 1.0), f"{at}.fraction")
        if not (math.isfinite(fraction) and 0.0 < fraction <= 1.0):
            raise ConfigError(f"{at}.fraction = {fraction!r} must be in (0, 1]")
        out.append(Slice(_setting_lines(item.get("settings", []), f"{at}.settings"), fraction))
    total = math.fsum(s.fraction for s in out)
    if abs(total - 1.0) > 1e-9:
        raise ConfigError(f"{where}.slices: fractions must be positive and sum to 1 "
                          f"(got {total})")
    return tuple(out)


def _parse_process(spec: Any, where: str) -> Process:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: a process must be a table/mapping, got {type(spec).__name__}")
    unknown = set(spec) - _PROCESS_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(map(str, unknown))}; allowed: "
                          f"{sorted(_PROCESS_KEYS)}")
    for key in ("name", "signal", "settings"):
        if key not in spec:
            raise ConfigError(f"{where}: missing required key {key!r}")
    name = spec["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: name {name!r} must start with a letter and be letters, "
                          "digits, '_' or '.' (at most 64 characters)")
    if name in CATALOGUE or name in ALIASES:
        raise ConfigError(f"{where}: name {name!r} is a built-in process (see `sciood "
                          "processes`); choose another name for your process")
    where = f"{where} ({name})"
    for key in ("signal", "mpi"):
        if key in spec and not isinstance(spec[key], bool):
            raise ConfigError(f"{where}.{key} must be true or false (unquoted), got "
                              f"{spec[key]!r} ({type(spec[key]).__name__})")
    label = spec.get("label")
    if label is not None and (not isinstance(label, str) or not _NAME.fullmatch(label)):
        raise ConfigError(f"{where}.label {label!r} must start with a letter and be letters, "
                          "digits, '_' or '.' (at most 64 characters)")
    return Process(
        name=name, is_signal=spec["signal"],
        description=_text(spec.get("description", ""), f"{where}.description"),
        settings=_setting_lines(spec["settings"], f"{where}.settings"),
        slices=_slices(spec["slices"], where) if "slices" in spec else (Slice(),),
        selection=_selection(spec.get("selection", {}), where),
        mpi=spec.get("mpi", True), label=label,
        notes=_text(spec.get("notes", ""), f"{where}.notes"),
    )


def _items(data: Any, path: Path) -> list[Any]:
    if isinstance(data, Mapping) and "process" in data:
        if set(data) != {"process"}:
            raise ConfigError(f"{path}: unknown top-level key(s) "
                              f"{sorted(map(str, set(data) - {'process'}))}; a process file "
                              "holds only `process` (TOML [[process]] tables)")
        data = data["process"]
    items = [data] if isinstance(data, Mapping) and data else data
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{path}: expected one or more processes under 'process' (TOML "
                          "[[process]] tables, YAML `process:` list); the file defines none")
    if len(items) > MAX_PROCESSES:
        raise ConfigError(f"{path}: {len(items)} processes, more than the {MAX_PROCESSES} "
                          "allowed in one file; split it")
    return items


def load_process_file(path: str | os.PathLike[str], *, check_pythia: bool = True) -> dict[
    str, Process
]:
    """Read user processes from a TOML or YAML file.

    The file holds one process or a list under ``process`` (TOML ``[[process]]``)::

        [[process]]
        name = "my_zprime"
        signal = true
        description = "Z'(2 TeV) -> b bbar"
        settings = ["NewGaugeBoson:ffbar2gmZZprime = on", "32:m0 = 2000",
                    "32:onMode = off", "32:onIfAny = 5"]
        selection = { leading_pt_min = 800.0 }

    Types are strict (``mpi = "false"`` is refused, not read as true), selection cuts must be
    finite and physical (:class:`Selection`), names must not shadow a built-in process, and
    lines that would override what sciood controls (``Random:``, ``Beams:``, ``Tune:``,
    ``PartonLevel:MPI``; see :data:`RESERVED_SETTINGS`) are refused. YAML is read with
    :func:`sciood.safe_yaml.load_yaml` (no tags, bounded aliases); files are at most
    :data:`MAX_FILE_BYTES`.

    Parameters
    ----------
    path : path-like
        ``.toml``, ``.yaml`` or ``.yml`` file.
    check_pythia : bool
        Feed every setting line to Pythia and report lines it rejects or would misread
        (needs ``pythia8mc``).

    Returns
    -------
    dict
        Name -> :class:`Process`.

    Raises
    ------
    ConfigError
        Missing file, bad syntax, unknown keys, wrong types, or a setting Pythia does not
        accept (the line and Pythia's complaint are quoted).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(f"process file {str(path)!r} {what}; pass the path of a .toml or "
                          ".yaml process file")
    items = _items(_load_mapping(path), path)
    procs: dict[str, Process] = {}
    for i, spec in enumerate(items):
        proc = _parse_process(spec, f"{path.name}: process[{i}]")
        if proc.name in procs:
            raise ConfigError(f"{path}: process name {proc.name!r} defined twice; rename one")
        procs[proc.name] = proc
    if check_pythia:
        from sciood.generate.pythia import check_settings

        for proc in procs.values():
            for k in range(len(proc.slices)):
                check_settings(proc.pythia_settings(k), where=f"{path.name}: {proc.name}")
    return procs
