"""sciood.evaluate: class-conditional weighted evaluation, robustness and failure analysis.

* :func:`evaluate` — one row per (signal, background class) plus inclusive rows, every cell
  with its Poisson-bootstrap interval (:class:`ResultTable`: pandas / JSON / Markdown).
* :func:`compare` / :func:`evaluate_variants` — ``sim`` vs ``data`` and nuisance variations.
* :func:`score_correlations`, :func:`top_anomalies`, :func:`latent_view` — failure analysis.
* :func:`leave_one_class_out` — train without one background class, test whether it is
  flagged (:class:`LOCOTable`).

Modules: :mod:`~sciood.evaluate.registry` (metric names, default working points),
:mod:`~sciood.evaluate.table` (:class:`ResultTable`), :mod:`~sciood.evaluate.classwise`
(:func:`evaluate`), :mod:`~sciood.evaluate.sculpting` (:func:`sculpting_table`),
:mod:`~sciood.evaluate.robustness`, :mod:`~sciood.evaluate.failure`,
:mod:`~sciood.evaluate.loco` (:func:`leave_one_class_out`), :mod:`~sciood.evaluate.shift`
(:func:`shift_diagnostic`: is the data inside the simulation?);
:mod:`~sciood.evaluate.suite` is the old path of the first four.
"""

from sciood.evaluate.classwise import evaluate
from sciood.evaluate.failure import (
    LatentView,
    distance_correlation,
    latent_view,
    score_correlations,
    top_anomalies,
)
from sciood.evaluate.loco import LOCOTable, leave_one_class_out
from sciood.evaluate.registry import (
    DEFAULT_METRICS,
    DEFAULT_WORKING_POINTS,
    METRICS,
    MetricSpec,
    available_metrics,
    get_metric,
    register_metric,
)
from sciood.evaluate.robustness import DeltaTable, compare, evaluate_variants
from sciood.evaluate.sculpting import sculpting_table
from sciood.evaluate.shift import ShiftDiagnostic, shift_diagnostic
from sciood.evaluate.table import ALL_BACKGROUNDS, ALL_SIGNALS, Cell, ResultTable

#: Deprecated name of :data:`DEFAULT_WORKING_POINTS`, kept for one release (removed in 0.3).
SPEC_WORKING_POINTS = DEFAULT_WORKING_POINTS

__all__ = [
    "ALL_BACKGROUNDS",
    "ALL_SIGNALS",
    "DEFAULT_METRICS",
    "DEFAULT_WORKING_POINTS",
    "METRICS",
    "SPEC_WORKING_POINTS",
    "Cell",
    "DeltaTable",
    "LOCOTable",
    "LatentView",
    "MetricSpec",
    "ResultTable",
    "ShiftDiagnostic",
    "available_metrics",
    "compare",
    "distance_correlation",
    "evaluate",
    "evaluate_variants",
    "get_metric",
    "latent_view",
    "leave_one_class_out",
    "register_metric",
    "score_correlations",
    "sculpting_table",
    "shift_diagnostic",
    "top_anomalies",
]
