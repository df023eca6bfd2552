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

One module per section (imports point down): :mod:`~sciood.config.base` (strict models,
safe names) → :mod:`~sciood.config.data`, :mod:`~sciood.config.representation`,
:mod:`~sciood.config.detectors`, :mod:`~sciood.config.evaluation`,
:mod:`~sciood.config.statistics`, :mod:`~sciood.config.compute` (and
:mod:`~sciood.config.source` under ``data``) →
:mod:`~sciood.config.run` (:class:`RunConfig`) → :mod:`~sciood.config.loading`
(:func:`parse_config`, :func:`load_config`).  Validation imports the stages below the
config (detectors, evaluate, generate, represent, stats) to check names against them.

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

from sciood.config.base import NAME_MAX, NAME_PATTERN, LaxPath, Variant, check_path_name
from sciood.config.compute import ComputeConfig
from sciood.config.data import DataConfig, InjectionConfig
from sciood.config.detectors import DetectorSpec
from sciood.config.evaluation import EvaluationConfig, WorkingPoints
from sciood.config.loading import load_config, parse_config
from sciood.config.representation import RepresentationConfig
from sciood.config.run import RunConfig
from sciood.config.source import JetsConfig, SourceConfig, SourceFile
from sciood.config.statistics import StatisticsConfig

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

#: Also importable from here, as before the split (not in ``__all__``).
_ALSO = (NAME_MAX, LaxPath, Variant, check_path_name)
#: The ``data.source`` section's models (``sciood.config.source``; not in ``__all__``).
_SOURCE = (JetsConfig, SourceConfig, SourceFile)
