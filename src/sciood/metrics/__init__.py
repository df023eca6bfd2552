"""sciood.metrics: weighted, sort-bound evaluation metrics (scores: higher = more anomalous).

* :mod:`~sciood.metrics.ranking` — ROC, SIC, rejection / efficiency at working points,
  AUROC, AUPR, FPR at 95 % TPR, all from one sort.
* :mod:`~sciood.metrics.bootstrap` — vectorised Poisson-bootstrap percentile intervals.
* :mod:`~sciood.metrics.calibration` — ECE, reliability curves, temperature / isotonic
  calibration (probabilistic classifier outputs only).
* :mod:`~sciood.metrics.sculpting` — Jensen–Shannon divergence of the background observable
  passing vs failing a cut.
"""

from sciood.metrics.bootstrap import BootstrapResult, bootstrap, bootstrap_many
from sciood.metrics.calibration import (
    Calibrator,
    ece,
    isotonic_calibrate,
    reliability_curve,
    temperature_scale,
)
from sciood.metrics.ranking import (
    DEFAULT_MIN_BACKGROUND,
    MetricWarning,
    RankingCurve,
    auc,
    average_precision,
    efficiency_at,
    fpr_at_tpr,
    max_sic,
    ranking_curve,
    rejection_at,
    roc_curve,
    sic_curve,
)
from sciood.metrics.sculpting import SculptingResult, sculpting_jsd
from sciood.metrics.streaming import ScoreHistogram, histogram_store, summary

__all__ = [
    "DEFAULT_MIN_BACKGROUND",
    "BootstrapResult",
    "Calibrator",
    "MetricWarning",
    "RankingCurve",
    "ScoreHistogram",
    "SculptingResult",
    "auc",
    "average_precision",
    "bootstrap",
    "bootstrap_many",
    "ece",
    "efficiency_at",
    "fpr_at_tpr",
    "histogram_store",
    "isotonic_calibrate",
    "max_sic",
    "ranking_curve",
    "rejection_at",
    "reliability_curve",
    "roc_curve",
    "sculpting_jsd",
    "sic_curve",
    "summary",
    "temperature_scale",
]
