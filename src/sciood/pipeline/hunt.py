"""Stage *hunt*: bump hunt, CLs limit and signal-injection scan on the run's test events.

Pseudo-data: the ``sim`` background test events with weights × luminosity (default
luminosity: the one at which the background's expected count equals its MC count, so weights
are ≈ 1 per event) plus ``data.injection.n`` events drawn (seeded, without replacement) from the
``sim`` test events of ``data.injection.process``, each with weight 1.  The cut is on the
detector ``statistics.detector`` (default: of the detectors that do not see signal labels,
the best max SIC for the injected signal against all backgrounds) and keeps
``statistics.cut_eff_b`` of the background; the no-cut (mjj-only) hunt is the baseline.
The limit is a profile likelihood over the hunt's background function with the injected
process's template (the data used once), on the signal strength and, with the injected
process's cross-section, in fb (σ × BR from the generator; σ × BR × A, the files'
normalisation, for a ``data.source`` signal) and in signal events; the Brazil band
repeats it for Gaussian resonances of the scan's width versus mass, in fb of the visible
cross-section.
The scan hunts once per injected count and detector, without toys.

A failed fit (small samples) does not stop the run: the result is ``None`` and the reason
goes into the report's notes and ``results.json``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import RunConfig
from sciood.data.eventset import EventSet
from sciood.errors import SciOODError
from sciood.pipeline.cache import StageRecord, stage_dir, stage_key

__all__ = ["HuntOutput", "hunt_key", "run_hunt"]


@dataclass
class HuntOutput:
    """Objects of the hunt stage (any may be ``None`` if its fit failed)."""

    detector: str | None
    luminosity: float
    n_injected: int
    injection_process: str
    hunt: Any = None
    baseline: Any = None
    limit: Any = None
    brazil: Any = None
    injection: Any = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (the ``statistics`` block of ``results.json``)."""
        return {
            "detector": self.detector, "luminosity_fb": self.luminosity,
            "injection_process": self.injection_process, "n_injected": self.n_injected,
            "hunt": None if self.hunt is None else self.hunt.to_dict(),
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "limit": None if self.limit is None else self.limit.to_dict(),
            "brazil": None if self.brazil is None else self.brazil.to_dict(),
            "injection": None if self.injection is None else self.injection.to_dict(),
            "notes": list(self.notes),
        }


def _injection(cfg: RunConfig) -> tuple[str, int]:
    inj = cfg.data.injection
    if inj is not None:
        return inj.process, inj.n
    return cfg.data.signal_names()[0], 0


def _class_of(cfg: RunConfig, process: str) -> str:
    return cfg.data.class_of(process)


def hunt_key(cfg: RunConfig, score_keys: dict[str, str], split_key: str,
             candidates: list[str]) -> str:
    """Cache key of the hunt stage (``score_keys``: detector -> key of its sim scores)."""
    return stage_key("hunt", split_key, score_keys, cfg.statistics.model_dump(mode="json"),
                     _injection(cfg), candidates)


def _best(labels: list[str], scores: dict[str, np.ndarray], test: EventSet,
          pool: np.ndarray) -> str:
    from sciood.metrics import max_sic

    bkg = ~test.is_signal
    mask = bkg | pool
    values = {}
    for k in labels:
        try:
            values[k] = max_sic(pool[mask], scores[k][mask], sample_weight=test.weights[mask])
        except SciOODError:
            values[k] = float("nan")
    finite = {k: v for k, v in values.items() if np.isfinite(v)}
    return max(finite, key=lambda k: finite[k]) if finite else labels[0]


def _in_fb(limit: Any, test: EventSet, label: str, pool_weights: np.ndarray) -> Any:
    """The limit with the injected signal's cross-section attached (limits in fb).

    A generated signal has Pythia's σ × BR (before the selection); a signal read from the
    user's files has only its normalisation, the selected cross-section σ × BR × A
    (the test events' weights sum to it).
    """
    from sciood.data.cross_section import generated_cross_section_fb

    sigma = generated_cross_section_fb(test.provenance, label)
    if sigma is not None:
        return limit.with_cross_section(sigma, "σ × BR")
    visible = float(pool_weights.sum())
    return limit.with_cross_section(visible, "σ × BR × A") if visible > 0.0 else limit


def _attempt(notes: list[str], what: str, fn: Any, *args: Any,
             errors: tuple[type[Exception], ...] = (), **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        if not isinstance(exc, (SciOODError, *errors)):
            raise
        notes.append(f"{what} failed: {exc}")
        return None


def _compute(cfg: RunConfig, test: EventSet, scores: dict[str, np.ndarray],
             candidates: list[str]) -> HuntOutput:
    from sciood.stats import bump_hunt, injection_scan, upper_limit

    st = cfg.statistics
    process, n_inj = _injection(cfg)
    pool = test.labels == _class_of(cfg, process)
    bkg = ~test.is_signal
    w = test.weights
    lumi = st.luminosity or float(bkg.sum() / w[bkg].sum())
    notes: list[str] = []
    if n_inj > pool.sum():
        notes.append(f"data.injection.n = {n_inj} but only {int(pool.sum())} {process} test "
                     "events exist; all of them were injected")
        n_inj = int(pool.sum())
    rng = np.random.default_rng(st.seed)
    chosen = np.sort(rng.choice(np.flatnonzero(pool), n_inj, replace=False))
    rows = np.concatenate([np.flatnonzero(bkg), chosen])
    obs = test.column(st.observable)
    weight = np.where(test.is_signal, 1.0, w * lumi)
    det = st.detector or _best(candidates, scores, test, pool)
    out = HuntOutput(det, lumi, n_inj, process, notes=notes)
    hs = st.to_settings()
    out.hunt = _attempt(notes, f"bump hunt after the {det} cut", bump_hunt, obs[rows],
                        scores[det][rows], sample_weight=weight[rows],
                        is_signal=test.is_signal[rows], settings=hs)
    out.baseline = _attempt(notes, "mjj-only bump hunt", bump_hunt, obs[rows], None,
                            sample_weight=weight[rows], is_signal=test.is_signal[rows],
                            settings=hs.replace(cut_eff_b=None))
    if st.limit and out.hunt is not None:
        fit = out.hunt.background_fit
        passing = pool & (scores[det] >= out.hunt.cut_threshold)
        sig, _ = np.histogram(obs[passing], fit.edges, weights=w[passing] * lumi)
        sumw2, _ = np.histogram(obs[passing], fit.edges, weights=(w[passing] * lumi) ** 2)
        # a non-converging pyhf fit (tiny samples) is a StatisticsError: noted, run goes on
        out.limit = _attempt(notes, "CLs limit", upper_limit, sig, fit, signal_sumw2=sumw2,
                             seed=st.seed, n_toys=100, workspace_limit=False)
        if out.limit is not None:
            out.limit = _in_fb(out.limit, test, _class_of(cfg, process), w[pool])
    if st.brazil and out.hunt is not None:
        from sciood.stats import brazil_band

        # limits vs mass of a Gaussian resonance of the scan's width, on the visible
        # cross-section sigma x BR x A x eps at the hunt's luminosity
        # (6 masses, 100 toys per point where the background under the signal is small:
        # measured 59 s for 10 masses x 500 toys on a 2000-event spectrum, 0.7 s at 20000;
        # 100 toys leave the -2 sigma entry unresolved there, which the result flags)
        fit = out.hunt.background_fit
        lo = fit.edges[0] / (1.0 - 2.0 * st.signal_rel_width)
        hi = fit.edges[-1] / (1.0 + 2.0 * st.signal_rel_width)
        masses = np.geomspace(lo, hi, 6) if lo < hi else None
        out.brazil = _attempt(notes, "limits vs mass", brazil_band, fit, masses,
                              rel_width=st.signal_rel_width, luminosity=lumi, n_toys=100,
                              seed=st.seed)
    counts = [n for n in st.injection_scan if n <= pool.sum()]
    if len(counts) < len(st.injection_scan):
        notes.append(f"injection scan limited to {counts}: only {int(pool.sum())} {process} "
                     "test events")
    if counts:
        scan_rows = np.flatnonzero(bkg | pool)
        # the injection scan sets the cut threshold, the binning, the toys and the seed
        # of each hunt itself; the rest of the settings are the run's
        shared = {k: getattr(hs, k) for k in ("cut_eff_b", "mjj_range", "seed", "method",
                                              "model", "signal_rel_width")}
        out.injection = _attempt(
            notes, "injection scan", injection_scan,
            {k: v[scan_rows] for k, v in scores.items()}, obs[scan_rows],
            test.is_signal[scan_rows], sample_weight=weight[scan_rows], n_signal=counts,
            n_toys=0, **shared)
    return out


def run_hunt(cfg: RunConfig, test: EventSet | None, scores: dict[str, np.ndarray] | None,
             key: str, run_dir: Path, records: list[StageRecord], *,
             candidates: list[str],
             need_objects: bool) -> tuple[HuntOutput | None, dict[str, Any] | None]:
    """Run (or reuse) the hunt stage.

    ``test`` / ``scores`` are the full ``sim`` test set and every detector's scores on it;
    they may be ``None`` when the stage is cached and ``need_objects`` is false.
    ``candidates`` are the detectors the default cut may use (the run leaves out supervised
    classifiers: they are the reference, not a search strategy).

    Returns
    -------
    output : HuntOutput or None
        The objects (``None`` for a cached stage when not needed; a cached stage whose
        objects are needed for a new report is recomputed — it is deterministic).
    summary : dict or None
        :meth:`HuntOutput.to_dict` (``None`` when ``statistics.enabled`` is false).
    """
    if not cfg.statistics.enabled:
        return None, None
    with stage_dir(run_dir / "hunt", key, "hunt", records, root=run_dir) as (d, cached):
        if cached and not need_objects:
            return None, json.loads((d / "hunt.json").read_text())
        if test is None or scores is None:
            raise ValueError("hunt needs the test set and scores")  # internal invariant
        out = _compute(cfg, test, scores, candidates)
        summary = json.loads(json.dumps(out.to_dict(), default=_json_default))
        if not cached:
            (d / "hunt.json").write_text(json.dumps(summary, indent=1))
            if out.limit is not None:  # the pyhf workspace, loadable with pyhf.Workspace
                out.limit.to_json(d / "workspace.json")
            if out.brazil is not None:  # HEPData record and one pyhf workspace per mass
                out.brazil.write_workspaces(d / "workspaces")
                try:
                    out.brazil.to_hepdata(d / "hepdata")
                except SciOODError as exc:  # no mass with a complete band: nothing to export
                    summary["notes"].append(f"HEPData export skipped: {exc}")
                    (d / "hunt.json").write_text(json.dumps(summary, indent=1))
    return out, summary


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
