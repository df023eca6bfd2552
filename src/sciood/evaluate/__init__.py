"""sciood.evaluate: class-conditional weighted evaluation, robustness and failure analysis.

* :func:`evaluate` — one row per (signal, background class) plus inclusive rows, every cell
  with its Poisson-bootstrap interval (:class:`ResultTable`: pandas / JSON / Markdown).
* :func:`compare` / :func:`evaluate_variants` — ``sim`` vs ``data`` and nuisance variations.
* :func:`score_correlations`, :func:`top_anomalies`, :func:`latent_view` — failure analysis.
"""

from sciood.evaluate.failure import (
    LatentView,
    distance_correlation,
    latent_view,
    score_correlations,
    top_anomalies,
)
from sciood.evaluate.robustness import DeltaTable, compare, evaluate_variants
from sciood.evaluate.suite import (
    ALL_BACKGROUNDS,
    ALL_SIGNALS,
    DEFAULT_METRICS,
    METRICS,
    SPEC_WORKING_POINTS,
    Cell,
    MetricSpec,
    ResultTable,
    available_metrics,
    evaluate,
    get_metric,
    register_metric,
    sculpting_table,
)

__all__ = [
    "ALL_BACKGROUNDS",
    "ALL_SIGNALS",
    "DEFAULT_METRICS",
    "METRICS",
    "SPEC_WORKING_POINTS",
    "Cell",
    "DeltaTable",
    "LatentView",
    "MetricSpec",
    "ResultTable",
    "available_metrics",
    "compare",
    "distance_correlation",
    "evaluate",
    "evaluate_variants",
    "get_metric",
    "latent_view",
    "register_metric",
    "score_correlations",
    "sculpting_table",
    "top_anomalies",
]
