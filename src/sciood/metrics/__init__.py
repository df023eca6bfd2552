"""sciood.metrics: weighted, sort-bound evaluation metrics (scores: higher = more anomalous).

Every metric takes ``(y, score, ...)`` in that order (scikit-learn's ``(y_true, y_score)``)
and per-event weights as the keyword-only ``sample_weight=``.  Definitions:
``docs/evaluation.md``, "Metric definitions".

* :mod:`~sciood.metrics.ranking` — ROC, SIC, rejection / efficiency at working points,
  AUROC, AUPR, FPR at 95 % TPR, all from one sort; built on :mod:`~sciood.metrics.curve`
  (:class:`RankingCurve`), :mod:`~sciood.metrics.sorting` and :mod:`~sciood.metrics.inputs`.
* :mod:`~sciood.metrics.bootstrap` — vectorised Poisson-bootstrap percentile intervals.
* :mod:`~sciood.metrics.calibration` — ECE, reliability curves, temperature / isotonic /
  Platt calibration and the prior-shift correction to another signal fraction
  (probabilistic classifier outputs only).
* :mod:`~sciood.metrics.sculpting` — Jensen–Shannon divergence of the background observable
  passing vs failing a cut, and ``sculpting_bump``: the largest localised excess of the
  pass fraction over a smooth fit (ranks bump-making sculpting above smooth sculpting).
* :mod:`~sciood.metrics.honest` — cross-fitted max SIC with a bootstrap repeating the
  working-point choice (unbiased, covering interval).
* :mod:`~sciood.metrics.conformal` — conformal p-values from a held-out background
  calibration set (weighted, per class): a guaranteed false-alarm rate per background event.
* :mod:`~sciood.metrics.likelihood_ratio` — a classifier score calibrated into the likelihood
  ratio ``p(x|sig)/p(x|bkg)`` (histogram or isotonic; Cranmer et al. 2015).
"""

from sciood.metrics.bootstrap import BootstrapResult, bootstrap, bootstrap_many
from sciood.metrics.calibration import (
    Calibrator,
    ece,
    isotonic_calibrate,
    platt_scale,
    prior_shift,
    reliability_curve,
    temperature_scale,
)
from sciood.metrics.conformal import ConformalPValues, conformal_pvalues
from sciood.metrics.curve import DEFAULT_MIN_BACKGROUND, RankingCurve, ranking_curve
from sciood.metrics.honest import HONEST_METHOD, HonestMaxSIC, max_sic_honest
from sciood.metrics.inputs import MetricWarning
from sciood.metrics.likelihood_ratio import LikelihoodRatio, calibrated_likelihood_ratio
from sciood.metrics.ranking import (
    auc,
    average_precision,
    efficiency_at,
    fpr_at_tpr,
    max_sic,
    rejection_at,
    roc_curve,
    sic_curve,
)
from sciood.metrics.sculpting import (
    SculptingBump,
    SculptingResult,
    sculpting_bump,
    sculpting_jsd,
)
from sciood.metrics.streaming import ScoreHistogram, histogram_store, summary

__all__ = [
    "DEFAULT_MIN_BACKGROUND",
    "HONEST_METHOD",
    "BootstrapResult",
    "Calibrator",
    "ConformalPValues",
    "HonestMaxSIC",
    "LikelihoodRatio",
    "MetricWarning",
    "RankingCurve",
    "ScoreHistogram",
    "SculptingBump",
    "SculptingResult",
    "auc",
    "average_precision",
    "bootstrap",
    "bootstrap_many",
    "calibrated_likelihood_ratio",
    "conformal_pvalues",
    "ece",
    "efficiency_at",
    "fpr_at_tpr",
    "histogram_store",
    "isotonic_calibrate",
    "max_sic",
    "max_sic_honest",
    "platt_scale",
    "prior_shift",
    "ranking_curve",
    "rejection_at",
    "reliability_curve",
    "roc_curve",
    "sculpting_bump",
    "sculpting_jsd",
    "sic_curve",
    "summary",
    "temperature_scale",
]
