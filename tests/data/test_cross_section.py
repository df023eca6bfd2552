"""The generator's cross-section read back from a real sample's provenance."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.cross_section import generated_cross_section_fb
from sciood.data.eventset import EventSet


def test_sliced_qcd_sums_its_slices_and_matches_the_weights(make_sample) -> None:
    qcd = make_sample("qcd", 300, 11)
    slices = qcd.provenance["slices"]
    assert len(slices) == 3
    sigma = generated_cross_section_fb(qcd.provenance, "qcd")
    assert sigma == pytest.approx(sum(s["sigma_fb"] for s in slices))
    # each selected event weighs sigma_slice / N_generated(slice), so the selected weight
    # is below the generated cross-section by the selection efficiency
    assert 0.0 < qcd.weights.sum() < sigma


def test_a_signal_is_weights_over_selection_efficiency_and_survives_concat(make_sample) -> None:
    qcd, sig = make_sample("qcd", 300, 11), make_sample("wprime_wz_80", 150, 12)
    (part,) = sig.provenance["slices"]
    efficiency = len(sig) / part["n_generated"]
    sigma = generated_cross_section_fb(sig.provenance, "wprime_wz_80")
    assert sigma == pytest.approx(sig.weights.sum() / efficiency, rel=1e-9)
    both = EventSet.concat([qcd, EventSet.concat([sig, qcd.select(np.arange(5))])])
    assert generated_cross_section_fb(both.provenance, "wprime_wz_80") == pytest.approx(sigma)
    assert generated_cross_section_fb(both.provenance, "qcd") == pytest.approx(
        generated_cross_section_fb(qcd.provenance, "qcd"))


def test_no_generated_sample_gives_none(make_sample) -> None:
    sig = make_sample("wprime_wz_80", 150, 12)
    assert generated_cross_section_fb(sig.provenance, "xy_qqqq") is None
    assert generated_cross_section_fb({"kind": "files", "files": []}, "wprime_wz_80") is None
    assert generated_cross_section_fb({}, "qcd") is None
