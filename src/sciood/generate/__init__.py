"""Real Monte Carlo event generation: Pythia 8 + parametrised detector + FastJet.

``sciood.generate`` is both this package and the public function
``sciood.generate(process, n_events, *, seed, variant="sim", out) -> EventSet``: the module
object is callable (its class is swapped for a callable subclass), so
``sciood.generate(...)`` and ``from sciood.generate import generate`` both work and
importing a submodule such as ``sciood.generate.processes`` cannot shadow the function.
Pythia, FastJet and awkward are imported lazily, only when events are generated.
"""

from __future__ import annotations

import inspect
import sys
import types
from typing import Any

__all__ = ["generate"]


def generate(process: str, n_events: int, *, seed: int, variant: str = "sim",
             out: Any, **kwargs: Any) -> Any:
    """Generate ``n_events`` selected events of ``process`` into ``out``; see
    :func:`sciood.generate.run.generate` for the full documentation."""
    from sciood.generate.run import generate as _generate

    return _generate(process, n_events, seed=seed, variant=variant, out=out, **kwargs)


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return generate(*args, **kwargs)


#: ``inspect.signature(sciood.generate)`` shows the function's parameters, not ``*args``.
__signature__ = inspect.signature(generate)

sys.modules[__name__].__class__ = _CallableModule
