"""The run configuration: one YAML or TOML file, validated up front.

A run file names the processes to generate, the representation, the detectors, the evaluation
and the statistics settings (see ``docs/pipeline.md`` for every key and ``examples/*.yaml``).
Everything is checked *before* anything is written: unknown keys, unknown process / detector
/ feature / variant names, non-positive event counts, detector parameters a detector does not
take or of the wrong type / range (:func:`sciood.detectors.check_params`, also for an
ensemble's ``base``) and missing files all raise one :class:`~sciood.errors.ConfigError` whose
message lists every problem with its key path and what is allowed.

Types are strict: ``mpi: "false"`` (a string) is an error, not ``True``; ``seed: 1.5`` is not
truncated to 1; ``"1"`` is not a number.  Every value that becomes a path component (``name``,
detector ``label``, process names) must match :data:`NAME_PATTERN`, so no value can point
outside the run directory.  Files are read with bounded parsers (:mod:`sciood.safe_yaml`:
size, aliases, nesting, no tags, no repeated keys).

Relative paths (``output``, ``data.cache_dir``, ``data.process_file``) are relative to the
current working directory, like every other sciood command.

Example
-------
>>> from sciood.config import RunConfig
>>> cfg = RunConfig.model_validate({
...     "name": "tiny",
...     "data": {"background": {"qcd": 200}, "signals": {"wprime_wz_80": 100}},
...     "detectors": [{"name": "iforest"}],
... })
>>> cfg.output.as_posix(), cfg.data.variants
('runs/tiny', ['sim'])
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from sciood.errors import ConfigError
from sciood.safe_yaml import load_mapping_file

__all__ = [
    "NAME_PATTERN",
    "ComputeConfig",
    "DataConfig",
    "DetectorSpec",
    "EvaluationConfig",
    "InjectionConfig",
    "RepresentationConfig",
    "RunConfig",
    "StatisticsConfig",
    "WorkingPoints",
    "load_config",
    "parse_config",
]

#: Detector-card variants a run can generate (see :mod:`sciood.generate.detector`).
Variant = Literal["sim", "data", "sim_jes_up", "sim_jes_down"]

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


class InjectionConfig(_Strict):
    """Signal injected into the hunted pseudo-data: ``n`` events of ``process``."""

    process: str = Field(description="A process of data.signals.")
    n: int = Field(ge=0, description="Injected signal events (weight 1 each).")


class DataConfig(_Strict):
    """Which events to generate and how to split them.

    ``background`` and ``signals`` map process names to the number of *selected* events of the
    ``sim`` variant; every other variant gets a test set of the same size as the ``sim`` test
    split.  Datasets are generated into ``cache_dir`` (one directory per process, variant and
    generation settings) and reused by every run that asks for the same sample.
    """

    background: dict[str, int] = Field(description="Background process -> events.")
    signals: dict[str, int] = Field(description="Signal process -> events.")
    injection: InjectionConfig | None = None
    variants: list[Variant] = Field(default_factory=lambda: list[Variant](["sim"]))
    seed: int = Field(default=1, ge=0)
    cache_dir: LaxPath = Path("data/cache")
    process_file: LaxPath | None = None
    mpi: bool | None = Field(default=None, description="Override the process cards' MPI switch.")
    shard_size: int = Field(default=1000, ge=1)
    train_fraction: float = Field(default=0.5, gt=0.0, lt=1.0)
    keep_constituents: bool = True

    @field_validator("background", "signals")
    @classmethod
    def _positive_counts(cls, value: dict[str, int]) -> dict[str, int]:
        for name in value:
            check_path_name(name, "process name")
        bad = {k: v for k, v in value.items() if v < 2}
        if bad:
            raise ValueError(
                f"event counts must be integers >= 2 (a train and a test event), got {bad}"
            )
        return value

    @field_validator("variants")
    @classmethod
    def _sim_first(cls, value: list[Variant]) -> list[Variant]:
        if len(set(value)) != len(value):
            raise ValueError(f"variants must not repeat, got {value}")
        if "sim" not in value:
            raise ValueError(
                "variants must include 'sim' (detectors are trained on sim); e.g. [sim, data]"
            )
        return ["sim", *[v for v in value if v != "sim"]]

    @model_validator(mode="after")
    def _processes(self) -> DataConfig:
        if not self.background:
            raise ValueError("data.background is empty; name at least one background process")
        if not self.signals:
            raise ValueError(
                "data.signals is empty; name at least one signal process (evaluation needs one)"
            )
        from sciood.generate.processes import get_process, load_process_file

        extra = None
        if self.process_file is not None:
            if not self.process_file.is_file():
                raise ValueError(f"data.process_file {str(self.process_file)!r} does not exist")
            extra = load_process_file(self.process_file)
        problems = []
        for section, want_signal in (("background", False), ("signals", True)):
            for name in getattr(self, section):
                try:
                    proc = get_process(name, extra=extra)
                except ConfigError as exc:
                    problems.append(f"data.{section}.{name}: {exc}")
                    continue
                if proc.is_signal != want_signal:
                    kind = "a signal" if proc.is_signal else "a background"
                    other = "signals" if proc.is_signal else "background"
                    problems.append(f"data.{section}.{name}: {name!r} is {kind} process; "
                                    f"move it to data.{other}")
        if self.injection is not None and self.injection.process not in self.signals:
            problems.append(
                f"data.injection.process: {self.injection.process!r} is not in data.signals "
                f"({', '.join(self.signals)}); inject one of the generated signals"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self


class RepresentationConfig(_Strict):
    """Model inputs: ``kind: features`` with a feature-set name or a list of columns."""

    kind: Literal["features"] = "features"
    features: str | list[str] = "lhco"

    @field_validator("features")
    @classmethod
    def _known(cls, value: str | list[str]) -> str | list[str]:
        from sciood.generate.jets import FEATURES
        from sciood.represent.hlf import FEATURE_SETS

        if isinstance(value, str):
            if value not in FEATURE_SETS:
                raise ValueError(_unknown("feature set", value, FEATURE_SETS))
            return value
        if not value:
            raise ValueError("features is empty; give a feature-set name or column names")
        bad = [f for f in value if f not in FEATURES]
        if bad:
            raise ValueError(_unknown("feature", bad[0], FEATURES))
        return value

    def columns(self) -> list[str]:
        """The feature columns, shape ``(n_features,)``."""
        from sciood.represent.hlf import resolve_features

        return list(resolve_features(self.features))


class DetectorSpec(_Strict):
    """One detector: a registry name, its parameters and an optional unique label."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(default=None, description="Name in the report and of its "
                              "directories (RUN/models/<label>); default `name`.")

    @field_validator("label")
    @classmethod
    def _safe_label(cls, value: str | None) -> str | None:
        return None if value is None else check_path_name(value, "label")

    @field_validator("name")
    @classmethod
    def _registered(cls, value: str) -> str:
        from sciood.detectors.base import available

        if value not in available():
            raise ValueError(_unknown("detector", value, available()))
        return value

    @model_validator(mode="after")
    def _params(self) -> DetectorSpec:
        from sciood.detectors.base import detector_class

        cls = detector_class(self.name)
        if self.name == "idealized":
            raise ValueError(
                "detector 'idealized' needs an extra, independent background sample as its "
                "y = 0 class, which a run config does not provide (its labels would be signal "
                "truth, making it a supervised classifier); use 'supervised' for the "
                "reference, or benchmarks/rnd.py / the Python API for the idealized detector")
        if cls.label_kind in _UNSUPPORTED_LABEL_KINDS:
            raise ValueError(f"detector {self.name!r} needs "
                             f"{_UNSUPPORTED_LABEL_KINDS[cls.label_kind]}; choose another")
        from sciood.detectors import check_params

        valid = cls.param_names()
        bad = sorted(set(self.params) - set(valid))
        if bad and not cls.accepts_extra_params:
            raise ValueError(f"@params: detector {self.name!r} has no parameter(s) {bad}; "
                             f"valid parameters: {', '.join(sorted(valid))}")
        try:
            check_params(self.name, self.params)
        except ConfigError as exc:  # incl. UnknownNameError of an ensemble's base
            raise ValueError(f"@params: {exc}") from None
        return self

    @property
    def key(self) -> str:
        """The unique label of this detector in a run."""
        return self.label or self.name


class WorkingPoints(_Strict):
    """Working points: rejection at signal efficiencies, efficiency at background efficiencies."""

    eff_s: list[float] = Field(default_factory=lambda: [0.2, 0.3, 0.5])
    eps_b: list[float] = Field(default_factory=lambda: [1e-2, 1e-3])

    @field_validator("eff_s", "eps_b")
    @classmethod
    def _fractions(cls, value: list[float]) -> list[float]:
        bad = [v for v in value if not 0.0 < v < 1.0]
        if bad:
            raise ValueError(f"working points are efficiencies in (0, 1), got {bad}")
        return value


class EvaluationConfig(_Strict):
    """Class-conditional evaluation settings (see :func:`sciood.evaluate.evaluate`)."""

    working_points: WorkingPoints = Field(default_factory=WorkingPoints)
    bootstrap: int = Field(default=100, ge=2, description="Poisson-bootstrap replicas (>= 2).")
    classes: list[str] | None = Field(
        default=None, description="Restrict the evaluation to these class labels.")
    metrics: list[str] | None = None
    top_k: int = Field(default=20, ge=1)
    max_dcor: int = Field(default=1000, ge=10)
    seed: int = Field(default=0, ge=0)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return value
        from sciood.evaluate import available_metrics

        bad = [m for m in value if m not in available_metrics()]
        if bad:
            raise ValueError(_unknown("metric", bad[0], available_metrics()))
        return value


class StatisticsConfig(_Strict):
    """Bump hunt on the observable after a cut on the score (see :func:`sciood.stats.bump_hunt`).

    The hunted pseudo-data are the ``sim`` background test events (weights × luminosity)
    plus ``data.injection.n`` signal events of ``data.injection.process``.
    """

    enabled: bool = True
    observable: Literal["mjj"] = "mjj"
    cut_eff_b: float = Field(default=0.1, gt=0.0, le=1.0,
                             description="Background efficiency kept by the score cut.")
    mjj_range: tuple[float, float] = Field(
        default=(2800.0, 6500.0), description="[lo, hi] in GeV (a list in YAML / TOML).")
    luminosity: float | None = Field(
        default=None, gt=0.0,
        description="fb^-1; default: the MC background count (weights ≈ 1 per event).")
    toys: int = Field(
        default=200, ge=0,
        description="Toy budget for the global p-value (adaptive: stops at toy_rel_error).")
    toy_rel_error: float = Field(default=0.2, gt=0.0, lt=1.0,
                                 description="Target relative error of the toy global p.")
    method: Literal["signal-fit", "masked-window"] = Field(
        default="signal-fit", description="Scan: S+B fit per mass, or masked-window fits.")
    model: Literal["auto", "dijet3", "dijet4", "dijet5"] = Field(
        default="auto", description="Background function; auto = F-test choice.")
    signal_rel_width: float = Field(
        default=0.05, gt=0.0, lt=1.0,
        description="Gaussian signal width sigma/m of the scan (the mjj resolution).")
    detector: str | None = Field(
        default=None, description="Detector label to cut on; default the best max SIC.")
    injection_scan: list[int] = Field(default_factory=lambda: [0, 20, 50, 100])
    limit: bool = True
    brazil: bool = Field(
        default=True, description="Limits vs mass (Brazil band, fb; HEPData + workspaces).")
    seed: int = Field(default=0, ge=0)

    @field_validator("mjj_range", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        # YAML / TOML have lists, not tuples; the elements stay strictly typed
        return tuple(value) if isinstance(value, list) else value

    @field_validator("mjj_range")
    @classmethod
    def _range(cls, value: tuple[float, float]) -> tuple[float, float]:
        lo, hi = value
        if not 0.0 <= lo < hi:
            raise ValueError(f"mjj_range must be [lo, hi] in GeV with 0 <= lo < hi, got {value}")
        return value

    @field_validator("injection_scan")
    @classmethod
    def _counts(cls, value: list[int]) -> list[int]:
        if any(v < 0 for v in value):
            raise ValueError(f"injection_scan counts must be >= 0, got {value}")
        return sorted(set(value))


class ComputeConfig(_Strict):
    """Where stages run: in-process (default), a local Dask cluster, or a scheduler."""

    scheduler: str | None = Field(default=None, description="Dask scheduler address or file.")
    workers: int | None = Field(default=None, ge=1, description="Local Dask worker processes.")

    @model_validator(mode="after")
    def _exclusive(self) -> ComputeConfig:
        if self.scheduler is not None and self.workers is not None:
            raise ValueError("give compute.scheduler (an existing cluster) or compute.workers "
                             "(a local cluster), not both")
        return self


class RunConfig(_Strict):
    """A whole run (top-level keys of the config file)."""

    name: str = Field(description="Run name: letters, digits, '_', '.', '-' (NAME_PATTERN).")
    output: LaxPath | None = Field(default=None,
                                   description="Run directory; default runs/<name>.")
    data: DataConfig
    representation: RepresentationConfig = Field(default_factory=RepresentationConfig)
    detectors: list[DetectorSpec] = Field(min_length=1)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    statistics: StatisticsConfig = Field(default_factory=StatisticsConfig)
    compute: ComputeConfig = Field(default_factory=ComputeConfig)

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        return check_path_name(value, "name")

    @model_validator(mode="after")
    def _cross(self) -> RunConfig:
        if self.output is None:
            self.output = Path("runs") / self.name
        labels = [d.key for d in self.detectors]
        dup = sorted({x for x in labels if labels.count(x) > 1})
        if dup:
            raise ValueError(f"detectors: labels {dup} repeat; give each a unique `label`")
        folded = [x.casefold() for x in labels]
        clash = sorted({x for x in labels if folded.count(x.casefold()) > 1})
        if clash:  # one directory on case-insensitive file systems (macOS, Windows)
            raise ValueError(f"detectors: labels {clash} differ only in letter case and would "
                             "share a directory on macOS / Windows; rename one `label`")
        stat = self.statistics.detector
        if stat is not None and stat not in labels:
            raise ValueError(f"statistics.detector: {stat!r} is not a detector label of this "
                             f"run; valid: {', '.join(labels)}")
        if self.evaluation.classes is not None:
            self._check_classes(self.evaluation.classes)
        return self

    def _check_classes(self, classes: list[str]) -> None:
        from sciood.generate.processes import get_process, load_process_file

        extra = load_process_file(self.data.process_file) if self.data.process_file else None
        present = {get_process(p, extra=extra).class_name
                   for p in [*self.data.background, *self.data.signals]}
        bad = sorted(set(classes) - present)
        if bad:
            raise ValueError(f"evaluation.classes: {bad} are not classes of this run; valid: "
                             f"{', '.join(sorted(present))}")

    @property
    def run_dir(self) -> Path:
        """The run directory (``output``)."""
        return self.output if self.output is not None else Path("runs") / self.name

    def to_dict(self) -> dict[str, Any]:
        """The resolved configuration as JSON-able data."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """SHA-256 of the resolved configuration (hex)."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- loading
def _unknown(kind: str, name: str, valid: Any) -> str:
    valid = sorted(valid)
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; valid {kind} names are: {', '.join(valid)}"


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
