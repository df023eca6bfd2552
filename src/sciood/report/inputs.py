"""What the report is drawn from: the interface between the pipeline and :mod:`sciood.report`.

The pipeline (``sciood.pipeline``) fills a :class:`ReportInputs` from its stage outputs and calls
``sciood.report.write_report(run_dir, inputs)``; the report never re-runs a stage. Every field that
a stage may not have produced (a detector without probabilistic output, a run without a bump hunt)
is optional, and the report leaves its section out with a one-line explanation instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    import pandas as pd

    from sciood.data.eventset import EventSet
    from sciood.evaluate.failure import LatentView
    from sciood.evaluate.robustness import DeltaTable
    from sciood.evaluate.suite import ResultTable
    from sciood.metrics.sculpting import SculptingResult
    from sciood.stats.brazil import BrazilResult
    from sciood.stats.bumphunt import HuntResult
    from sciood.stats.injection import InjectionResult
    from sciood.stats.limits import LimitResult


@dataclass
class DetectorResult:
    """Everything the evaluation stage produced for one detector.

    Attributes
    ----------
    name : str
        Label of the detector in the run (unique; e.g. ``"flow"`` or ``"ae[disco]"``).
    scores : dict of str to ndarray, shape (n_events,)
        Per-event scores (higher = more anomalous) on each test set of
        :attr:`ReportInputs.test_sets`, keyed by the same variant name (``"sim"``, ``"data"``,
        ``"sim_jes_up"``...). ``scores["sim"]`` is required.
    table : ResultTable
        :func:`sciood.evaluate.evaluate` on the ``sim`` test set.
    robustness : DeltaTable, optional
        :func:`sciood.evaluate.compare` of ``sim`` against the other variants.
    probability : ndarray, shape (n_events,), optional
        Calibrated probability that an event is signal, on the ``sim`` test set, for detectors
        with probabilistic output only (reliability plot); ``None`` for AE/flow-type scores.
    sculpting : SculptingResult, optional
        :func:`sciood.metrics.sculpting_jsd` on the background of the ``sim`` test set.
    correlations : pandas.DataFrame, optional
        :func:`sciood.evaluate.score_correlations` output.
    top_anomalies : pandas.DataFrame, optional
        :func:`sciood.evaluate.top_anomalies` output.
    latent : LatentView, optional
        :func:`sciood.evaluate.latent_view` output.
    """

    name: str
    scores: dict[str, NDArray[np.float64]]
    table: ResultTable
    robustness: DeltaTable | None = None
    probability: NDArray[np.float64] | None = None
    sculpting: SculptingResult | None = None
    correlations: pd.DataFrame | None = None
    top_anomalies: pd.DataFrame | None = None
    latent: LatentView | None = None


@dataclass
class ReportInputs:
    """Inputs of one report.

    Attributes
    ----------
    title : str
        Run name, shown as the page title.
    config : dict
        The resolved configuration of the run (shown verbatim in the provenance section).
    provenance : dict
        Versions, seeds, git commit, host, stage cache keys, data manifest hashes and timings.
    data_summary : pandas.DataFrame
        One row per process and variant: label, signal/background, events, sum of weights,
        cross-section, generator/detector card.
    test_sets : dict of str to EventSet
        Test events per variant; ``"sim"`` is required. Rows align with
        :attr:`DetectorResult.scores`.
    detectors : list of DetectorResult
        In the order of the configuration.
    hunt : HuntResult, optional
        Bump hunt after the cut on the best detector (``hunt_detector``).
    hunt_baseline : HuntResult, optional
        The same hunt with no cut (observable only): the baseline a detector must beat.
    hunt_detector : str, optional
        Which detector's score the :attr:`hunt` cut used.
    limit : LimitResult, optional
        CLs upper limit on the signal strength, with the workspace path in provenance.
    brazil : BrazilResult, optional
        Observed and expected limits versus the resonance mass (fb).
    injection : InjectionResult, optional
        Significance vs injected signal per detector, with the no-cut baseline.
    shift : ShiftDiagnostic, optional
        Simulation-vs-data diagnostics of the test sets (:func:`sciood.evaluate.shift.
        shift_diagnostic`), shown before the robustness numbers.
    results : dict
        Exactly what was written to ``results.json`` (for the summary numbers at the top).
    notes : list of str
        Stage warnings worth showing to the reader (e.g. small-statistics notes).
    """

    title: str
    config: dict[str, Any]
    provenance: dict[str, Any]
    data_summary: pd.DataFrame
    test_sets: dict[str, EventSet]
    detectors: list[DetectorResult]
    hunt: HuntResult | None = None
    hunt_baseline: HuntResult | None = None
    hunt_detector: str | None = None
    limit: LimitResult | None = None
    brazil: BrazilResult | None = None
    injection: InjectionResult | None = None
    shift: Any = None
    results: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
