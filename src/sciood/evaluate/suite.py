"""Old import path of the class-conditional evaluation; the code now lives in four modules.

* :mod:`sciood.evaluate.registry` — :class:`MetricSpec`, :data:`METRICS`,
  :func:`register_metric`, :data:`DEFAULT_WORKING_POINTS` (formerly ``SPEC_WORKING_POINTS``);
* :mod:`sciood.evaluate.table` — :class:`Cell`, :class:`ResultTable`, ``ALL_BACKGROUNDS``;
* :mod:`sciood.evaluate.classwise` — :func:`evaluate`;
* :mod:`sciood.evaluate.sculpting` — :func:`sculpting_table`.

Every name this module exported keeps working from here (and from :mod:`sciood.evaluate`).

>>> from sciood.evaluate.suite import ResultTable, evaluate
>>> evaluate.__module__, ResultTable.__module__
('sciood.evaluate.classwise', 'sciood.evaluate.table')
"""

from sciood.evaluate.classwise import evaluate
from sciood.evaluate.registry import (
    DEFAULT_METRICS,
    DEFAULT_WORKING_POINTS,
    METRICS,
    SELECTION_METRICS,
    MetricSpec,
    available_metrics,
    get_metric,
    register_metric,
    working_point_metrics,
)
from sciood.evaluate.sculpting import sculpting_table
from sciood.evaluate.table import ALL_BACKGROUNDS, ALL_SIGNALS, Cell, ResultTable

#: Deprecated name of :data:`~sciood.evaluate.registry.DEFAULT_WORKING_POINTS` (one release).
SPEC_WORKING_POINTS = DEFAULT_WORKING_POINTS

__all__ = [
    "ALL_BACKGROUNDS",
    "ALL_SIGNALS",
    "DEFAULT_METRICS",
    "DEFAULT_WORKING_POINTS",
    "METRICS",
    "SELECTION_METRICS",
    "SPEC_WORKING_POINTS",
    "Cell",
    "MetricSpec",
    "ResultTable",
    "available_metrics",
    "evaluate",
    "get_metric",
    "register_metric",
    "sculpting_table",
    "working_point_metrics",
]
