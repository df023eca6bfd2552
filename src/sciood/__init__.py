"""sciood — context-aware anomaly and out-of-distribution detection for scientific data.

Collider physics (LHC jets) is the flagship domain: real Monte Carlo generation, detector
models, representations, a registry of detectors, class-conditional weighted evaluation,
and discovery statistics.

Example
-------
>>> import sciood
>>> es = sciood.generate("wprime_wz_80", 200, seed=1, out="data/wz")   # doctest: +SKIP
>>> X = es.to_numpy(["mj1_sd", "mj2_sd", "tau21_j1", "tau21_j2"])      # doctest: +SKIP
"""

from __future__ import annotations

from sciood import (
    errors,
    generate,  # the callable module: sciood.generate(...) and its submodules
)
from sciood._version import __version__
from sciood.data.eventset import EventSet
from sciood.errors import (
    ConfigError,
    CorruptDataError,
    DataError,
    NotFittedError,
    SciOODError,
)

#: Sub-packages and modules imported on first attribute access (``sciood.stats``, …).
_SUBPACKAGES = ("config", "data", "detectors", "distributed", "evaluate", "io", "metrics",
                "pipeline", "plot", "reco", "report", "represent", "scoring", "stats")


def __getattr__(name: str) -> object:
    """Import heavy sub-packages (``sciood.detectors``, ``sciood.metrics``, …) on first use."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"sciood.{name}")
    raise AttributeError(f"module 'sciood' has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public names and the lazily imported sub-packages (for tab completion)."""
    return sorted({*__all__, *_SUBPACKAGES})

__all__ = [
    "ConfigError",
    "CorruptDataError",
    "DataError",
    "EventSet",
    "NotFittedError",
    "SciOODError",
    "__version__",
    "errors",
    "generate",
]
