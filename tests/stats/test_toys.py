"""Adaptive background-only toys for the global p-value."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.errors import DataError
from sciood.stats import global_significance
from sciood.stats import toys as toys_mod


def gaussian_scan(n_windows: int = 20):
    """A scan whose local Z are Gaussian-smoothed Poisson pulls (exact null known by toys)."""
    def scan(sumw, sumw2):
        mu = np.full(sumw.size, 100.0)
        z = (sumw - mu) / np.sqrt(mu)
        z = np.convolve(z, np.ones(3) / np.sqrt(3), mode="valid")[:n_windows]
        return np.maximum(z, 0.0), np.full(z.size, 0.5)
    return scan


def test_result_does_not_depend_on_the_batch_size(monkeypatch) -> None:
    exp, k = np.full(22, 100.0), np.ones(22)
    args = (gaussian_scan(), exp, k, 2.5, 1.0)
    a = global_significance(*args, max_toys=300, rel_error=0.01, seed=3)
    monkeypatch.setattr(toys_mod, "_BATCH", 7)
    b = global_significance(*args, max_toys=300, rel_error=0.01, seed=3)
    assert a.n_toys == b.n_toys == 300
    assert np.array_equal(a.max_z, b.max_z) and a.p == b.p


def test_stops_when_the_relative_error_is_reached_and_states_it() -> None:
    exp, k = np.full(22, 100.0), np.ones(22)
    g = global_significance(gaussian_scan(), exp, k, 1.0, 1.0, max_toys=5000, rel_error=0.2,
                            min_toys=100, seed=1)
    assert g.method == "toys" and 100 <= g.n_toys < 5000
    assert g.p_error is not None
    assert np.sqrt((1 - g.p) / g.n_above) <= 0.2
    assert g.p_error == pytest.approx(np.sqrt(g.p * (1 - g.p) / g.n_toys))


def test_beyond_toy_reach_gross_vitells_is_used_and_labelled() -> None:
    exp, k = np.full(22, 100.0), np.ones(22)
    g = global_significance(gaussian_scan(), exp, k, 4.5, 1.0, max_toys=100, seed=1)
    assert g.method == "gross-vitells" and g.p_error is None
    assert 0.0 < g.p <= 1.0 and g.z == pytest.approx(g.z_gross_vitells)


def test_nonsense_settings_are_refused() -> None:
    exp, k = np.full(22, 100.0), np.ones(22)
    for kwargs in ({"max_toys": 0}, {"max_toys": -3}, {"max_toys": 10, "rel_error": 0.0},
                   {"max_toys": 10, "min_above": 0}, {"max_toys": 10, "u0": -1.0}):
        with pytest.raises(DataError):
            global_significance(gaussian_scan(), exp, k, 2.0, 1.0, **kwargs)
    from sciood.stats import gross_vitells_p

    with pytest.raises(DataError, match="mean_upcrossings"):
        gross_vitells_p(3.0, -1.0, 1.0)
    with pytest.raises(DataError, match="u0"):
        gross_vitells_p(3.0, 1.0, -1.0)
    assert 0.0 <= gross_vitells_p(3.0, 0.0, 1.0) <= 1.0
