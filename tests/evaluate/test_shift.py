"""Shift diagnostics on real events: alike samples look alike, a shifted one does not."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError
from sciood.evaluate.shift import ShiftDiagnostic, shift_diagnostic

FEATURES = ["mj1_sd", "nconst_j1", "mj2_sd", "nconst_j2"]


@pytest.fixture(scope="module")
def samples(make_sample) -> tuple[EventSet, EventSet, EventSet]:
    tt = make_sample("ttbar", 200, 41)
    half = np.arange(len(tt)) % 2 == 0
    sim = EventSet.concat([make_sample("qcd", 300, 11), tt.select(half)])
    other = EventSet.concat([make_sample("qcd", 400, 21), tt.select(~half)])
    return sim, other, tt


def test_independent_samples_of_one_simulation_look_alike(samples) -> None:
    sim, other, _ = samples
    d = shift_diagnostic(sim, other, features=FEATURES, n_bootstrap=50)
    assert set(d.auc) == {"all", "qcd", "ttbar"}
    for c in d.auc:
        _, lo, hi = d.auc[c]
        assert lo - 0.05 < 0.5 < hi + 0.05, (c, d.auc[c])      # no shift to find
        assert d.outside[c] < 0.05, (c, d.outside[c])
    assert d.n_sim["ttbar"] == 100 and d.n_data["qcd"] == 400


def test_a_shifted_class_is_found_and_the_others_are_not(samples) -> None:
    sim, other, _ = samples
    rng = np.random.default_rng(0)
    qcd = other.labels == "qcd"
    # 30 % of data QCD beyond the simulated range (m_sd of j1 up to 585 GeV in sim)
    far = qcd & (rng.uniform(size=len(other)) < 0.3)
    shifted = other.with_columns(
        mj1_sd=np.where(far, other.column("mj1_sd") + 1500.0, other.column("mj1_sd")),
        nconst_j1=np.where(qcd, 1.3 * other.column("nconst_j1"), other.column("nconst_j1")))
    d = shift_diagnostic(sim, shifted, features=FEATURES, n_bootstrap=50)
    assert d.auc["qcd"][1] > 0.6                           # the classifier sees the shift
    assert d.outside["qcd"] > 0.2                          # and most of the far 30 %
    assert d.outside["ttbar"] < 0.05 and d.auc["ttbar"][1] < 0.6
    assert "qcd" in repr(d) and "outside support" in d._repr_html_()
    assert d.to_dict()["classes"]["qcd"]["n_data"] == int(qcd.sum())


def test_small_classes_are_skipped_with_the_reason(samples) -> None:
    sim, other, tt = samples
    few = EventSet.concat([other.select(np.flatnonzero(other.labels == "qcd")),
                           tt.select(np.arange(10))])
    d = shift_diagnostic(sim, few, features=FEATURES, n_bootstrap=20)
    assert "ttbar" not in d.auc and "< 50" in d.skipped["ttbar"]


def test_bad_inputs_are_refused() -> None:
    rng = np.random.default_rng(1)
    with pytest.raises(ConfigError, match="alpha"):
        shift_diagnostic(rng.normal(size=(100, 2)), rng.normal(size=(100, 2)), alpha=0.0)
    with pytest.raises(DataError, match="2 features, data 3"):
        shift_diagnostic(rng.normal(size=(100, 2)), rng.normal(size=(100, 3)))
    with pytest.raises(DataError, match=">= 50 events"):
        shift_diagnostic(rng.normal(size=(100, 2)), rng.normal(size=(10, 2)))
    bad = rng.normal(size=(100, 2))
    bad[3, 1] = np.nan
    with pytest.raises(DataError, match="NaN"):
        shift_diagnostic(rng.normal(size=(100, 2)), bad)
    assert isinstance(shift_diagnostic(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)),
                                       n_bootstrap=10), ShiftDiagnostic)


def test_report_shows_the_diagnostics_and_flags_a_shifted_class(samples) -> None:
    import dataclasses

    from sciood.report.sections.robustness import build, shift_rows

    sim, other, _ = samples
    qcd = other.labels == "qcd"
    far = other.with_columns(mj1_sd=np.where(qcd, other.column("mj1_sd") + 1500.0,
                                             other.column("mj1_sd")))
    d = shift_diagnostic(sim, far, features=FEATURES, n_bootstrap=20)
    verdict = {r[0]: r[-1] for r in shift_rows(d)}
    assert verdict["qcd"] == "<b>shifted</b>" and verdict["ttbar"] == "ok"

    @dataclasses.dataclass
    class Inputs:
        shift: ShiftDiagnostic
        detectors: tuple = ()
        test_sets: dict = dataclasses.field(default_factory=lambda: {"sim": None})

    html = build(Inputs(d), lambda *a, **k: "")  # type: ignore[arg-type]
    assert "Is the data inside the simulation?" in html and "<b>shifted</b>" in html
    assert "No robustness table" in html
