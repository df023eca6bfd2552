"""The ``data`` section: processes to generate, variants, the split and the injection."""

from __future__ import annotations

from pathlib import Path

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from sciood.config.base import LaxPath, Variant, _Strict, check_path_name
from sciood.config.source import SourceConfig
from sciood.errors import ConfigError

__all__ = ["DataConfig", "InjectionConfig"]


class InjectionConfig(_Strict):
    """Signal injected into the hunted pseudo-data: ``n`` events of ``process``."""

    process: str = Field(description="A process of data.signals.")
    n: int = Field(ge=0, description="Injected signal events (weight 1 each).")


class DataConfig(_Strict):
    """Which events to generate (or read) and how to split them.

    Either ``source`` (the user's files, :class:`~sciood.config.source.SourceConfig`) or
    ``background`` and ``signals`` (generated processes), not both.  ``background`` and
    ``signals`` map process names to the number of *selected* events of the
    ``sim`` variant; every other variant gets a test set of the same size as the ``sim`` test
    split.  Datasets are generated into ``cache_dir`` (one directory per process, variant and
    generation settings) and reused by every run that asks for the same sample.
    """

    background: dict[str, int] = Field(default_factory=dict,
                                       description="Background process -> events.")
    signals: dict[str, int] = Field(default_factory=dict,
                                    description="Signal process -> events.")
    source: SourceConfig | None = Field(default=None,
                                        description="Read these files instead of generating.")
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

    def signal_names(self) -> list[str]:
        """Signal processes (generated) or signal classes (``source``), in config order."""
        return list(self.source.signal) if self.source is not None else list(self.signals)

    def class_of(self, process: str) -> str:
        """The class label of a process (``source``: the class itself)."""
        if self.source is not None:
            return process
        from sciood.generate.processes import get_process, load_process_file

        extra = load_process_file(self.process_file) if self.process_file else None
        return get_process(process, extra=extra).class_name

    def _check_source(self, source: SourceConfig) -> None:
        problems = []
        if self.background or self.signals:
            problems.append("data: give either data.source (your files) or data.background and "
                            "data.signals (generated processes), not both")
        if self.variants != ["sim"]:
            problems.append(f"data.variants: {self.variants[1:]} are generator variants; a "
                            "data.source run has one variant (its files); remove data.variants")
        if self.process_file is not None or self.mpi is not None:
            problems.append("data.process_file / data.mpi configure generation; remove them "
                            "from a data.source run")
        inj = self.injection
        if inj is not None and inj.process not in source.signal:
            problems.append(f"data.injection.process: {inj.process!r} is not in "
                            f"data.source.signal ({', '.join(source.signal)})")
        if problems:
            raise ValueError("\n".join(problems))

    @model_validator(mode="after")
    def _processes(self) -> DataConfig:
        if self.source is not None:
            self._check_source(self.source)
            return self
        if not self.background:
            raise ValueError("data.background is empty; name at least one background process "
                             "(or read your files with data.source)")
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
