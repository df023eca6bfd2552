"""Build a real :class:`~sciood.report.inputs.ReportInputs` from small real Pythia samples.

Every number in it comes from a real stage: detectors fitted on real QCD events, the
class-conditional evaluation with bootstrap intervals, sculpting, failure analysis, a
``sim`` -> ``data`` comparison on events generated with the ``data`` variant, a bump hunt on
the generated ``mjj`` spectrum, a pyhf CLs limit and a small injection scan.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sciood
from sciood.data.eventset import EventSet
from sciood.detectors import make
from sciood.evaluate import compare, evaluate, latent_view, score_correlations, top_anomalies
from sciood.metrics import sculpting_jsd
from sciood.report import DetectorResult, ReportInputs, write_report
from sciood.stats import bump_hunt, injection_scan, upper_limit

FEATURES = ["mj1", "mj2", "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2"]
BOOT = 30


def _data_summary(sets: dict[str, EventSet]) -> pd.DataFrame:
    rows = []
    for variant, es in sets.items():
        for lab in es.classes:
            m = es.labels == lab
            rows.append({
                "label": lab, "variant": variant,
                "kind": "signal" if bool(es.is_signal[m][0]) else "background",
                "events": int(m.sum()), "sum_weights": float(es.weights[m].sum()),
                "detector_card": str(es.provenance.get("detector_card", variant))[:40]
                if isinstance(es.provenance.get("detector_card"), str) else variant,
            })
    return pd.DataFrame(rows)


def build(make_sample: Callable[..., EventSet]) -> ReportInputs:
    """Real inputs from the cached conftest samples (≈ 700 sim + 300 data test events)."""
    t0 = time.perf_counter()
    train = make_sample("qcd", 400, 21)
    sim = EventSet.concat([
        make_sample("qcd", 300, 11), make_sample("ttbar", 200, 41),
        make_sample("wprime_wz_80", 150, 12), make_sample("zprime_tt", 250, 32),
    ])
    data = EventSet.concat([
        make_sample("qcd", 200, 51, variant="data"),
        make_sample("wprime_wz_80", 100, 52, variant="data"),
    ])
    tests = {"sim": sim, "data": data}
    x_train = train.to_numpy(FEATURES)
    dets: dict[str, Any] = {
        "mahalanobis": make("mahalanobis", seed=0).fit(x_train),
        "iforest": make("iforest", seed=0).fit(x_train),
    }
    # a tiny supervised classifier: the only probabilistic output (reliability plot)
    sup_train = EventSet.concat([train, make_sample("wprime_wz_80", 300, 31)])
    sup = make("supervised", seed=0, hidden=(16,), epochs=15, features=FEATURES)
    sup.fit(sup_train.to_numpy(FEATURES), sup_train.is_signal.astype(np.int64))
    dets["supervised"] = sup

    results = []
    for name, det in dets.items():
        scores = {v: np.asarray(det.score(es.to_numpy(FEATURES))) for v, es in tests.items()}
        table = evaluate(scores["sim"], sim, n_bootstrap=BOOT, seed=0)
        t_data = evaluate(scores["data"], data, n_bootstrap=BOOT, seed=0)
        bkg = ~sim.is_signal
        sig = sim.labels == "wprime_wz_80"
        keep = bkg | sig
        sculpt = sculpting_jsd(sig[keep], scores["sim"][keep], sim.column("mjj")[keep],
                               bins=20, sample_weight=sim.weights[keep])
        prob = None
        if name == "supervised":
            prob = 1.0 / (1.0 + np.exp(-scores["sim"]))
        results.append(DetectorResult(
            name=name, scores=scores, table=table,
            robustness=compare(table, data=t_data),
            probability=prob, sculpting=sculpt,
            correlations=score_correlations(scores["sim"], sim, max_dcor=300),
            top_anomalies=top_anomalies(scores["sim"], sim, k=10),
            latent=latent_view(sim, columns=FEATURES, max_events=600),
        ))

    # bump hunt on the generated mjj spectrum: 700 QCD events + 60 injected W' events, the
    # injected events weighted like a typical QCD event (weights in units of its median)
    qcd = EventSet.concat([train, make_sample("qcd", 300, 11)])
    wz = make_sample("wprime_wz_80", 150, 12)
    pool = EventSet.concat([qcd, wz])
    unit = float(np.median(qcd.weights))
    w = np.where(pool.is_signal, unit, pool.weights) / unit
    mjj = pool.column("mjj")
    hs = np.asarray(dets["mahalanobis"].score(pool.to_numpy(FEATURES)))
    hunted = np.flatnonzero(~pool.is_signal | (np.cumsum(pool.is_signal) <= 60))
    common: dict[str, Any] = {"bins": 12, "mjj_range": (2800.0, 5500.0), "n_toys": 0}
    truth = pool.is_signal[hunted]
    hunt = bump_hunt(mjj[hunted], hs[hunted], sample_weight=w[hunted], cut_eff_b=0.5,
                     is_signal=truth, **common)
    base = bump_hunt(mjj[hunted], None, sample_weight=w[hunted], is_signal=truth, **common)
    inj = injection_scan({"mahalanobis": hs}, mjj, pool.is_signal, sample_weight=w,
                         n_signal=(0, 30, 60, 120), cut_eff_b=0.5, **common)
    cut = hs[hunted] >= float(hunt.cut_threshold)
    sig_hist, _ = np.histogram(mjj[hunted][cut & truth], bins=hunt.edges)
    lim = upper_limit(signal=sig_hist.astype(float), background=hunt.background_fit)
    return ReportInputs(
        title="report test run",
        config={"data": {"sim": ["qcd", "ttbar", "wprime_wz_80", "zprime_tt"]},
                "detectors": list(dets), "features": FEATURES, "n_bootstrap": BOOT},
        provenance={"sciood": sciood.__version__, "seeds": {"detectors": 0, "bootstrap": 0},
                    "generator": make_sample("qcd", 300, 11).provenance.get("versions", {}),
                    "timings_s": {"build_inputs": round(time.perf_counter() - t0, 2)}},
        data_summary=_data_summary(tests),
        test_sets=tests, detectors=results,
        hunt=hunt, hunt_baseline=base, hunt_detector="mahalanobis",
        limit=lim, injection=inj,
        results={"best_detector": "supervised",
                 "max_sic": {r.name: r.table.get("wprime_wz_80", "all_backgrounds",
                                                 "max_sic")[0] for r in results}},
        notes=["small test sample: intervals are wide"],
    )


@pytest.fixture(scope="session")
def report_inputs(make_sample) -> ReportInputs:
    """Real report inputs (≈ 6 s once the samples are cached)."""
    return build(make_sample)


@pytest.fixture(scope="session")
def report_dir(tmp_path_factory, report_inputs) -> Path:
    """A run directory with ``report.html`` written from :func:`report_inputs`."""
    run_dir = tmp_path_factory.mktemp("run")
    write_report(run_dir, report_inputs)
    return run_dir
