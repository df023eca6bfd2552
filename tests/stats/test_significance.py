"""Counting significances and look-elsewhere helpers, cross-checked with pyhf."""

from __future__ import annotations

import math

import numpy as np
import pyhf
import pytest

from sciood.errors import DataError, StatisticsError
from sciood.stats import (
    counting_significance,
    gross_vitells_p,
    observed_significance,
    p_to_z,
    upcrossings,
    z_to_p,
)

pyhf.set_backend("numpy")

CASES = [
    (10.0, 20.0, 0.0),
    (5.0, 100.0, 0.0),
    (50.0, 10.0, 0.0),
    (10.0, 20.0, 5.0),
    (30.0, 200.0, 20.0),
    (3.0, 1.5, 0.5),
]


def _pyhf_counting_model(b: float, sigma_b: float, s: float = 1.0) -> pyhf.Model:
    """Single-bin model: signal template s (normfactor mu), background b (shapesys σ_b)."""
    bkg_mods = []
    if sigma_b > 0:
        bkg_mods = [{"name": "unc", "type": "shapesys", "data": [sigma_b]}]
    spec = {
        "channels": [
            {
                "name": "c",
                "samples": [
                    {
                        "name": "s",
                        "data": [s],
                        "modifiers": [{"name": "mu", "type": "normfactor", "data": None}],
                    },
                    {"name": "b", "data": [b], "modifiers": bkg_mods},
                ],
            }
        ]
    }
    return pyhf.Model(spec, poi_name="mu")


def _pyhf_z(n: float, s: float, b: float, sigma_b: float) -> tuple[float, float]:
    """(observed, expected) discovery Z from pyhf hypotest with test_stat q0."""
    model = _pyhf_counting_model(b, sigma_b, s)
    data = [n, *model.config.auxdata]
    p_obs, p_exp = pyhf.infer.hypotest(0.0, data, model, test_stat="q0", return_expected=True)
    return float(p_to_z(float(p_obs))), float(p_to_z(float(p_exp)))


@pytest.mark.parametrize(("s", "b", "sigma_b"), CASES)
def test_expected_matches_closed_formula_and_pyhf(s: float, b: float, sigma_b: float) -> None:
    z = counting_significance(s, b, sigma_b)
    if sigma_b == 0:
        closed = math.sqrt(2 * ((s + b) * math.log(1 + s / b) - s))
    else:
        v = sigma_b**2
        closed = math.sqrt(
            2
            * (
                (s + b) * math.log((s + b) * (b + v) / (b * b + (s + b) * v))
                - b * b / v * math.log(1 + v * s / (b * (b + v)))
            )
        )
    assert z == pytest.approx(closed, abs=1e-12)
    _, z_exp_pyhf = _pyhf_z(
        s + b, s, b, sigma_b
    )  # expected: Asimov data n = s + b  # expected: Asimov data s + b
    assert z == pytest.approx(z_exp_pyhf, abs=1e-3)


@pytest.mark.parametrize(
    ("n", "b", "sigma_b"),
    [(35.0, 20.0, 0.0), (130.0, 100.0, 0.0), (35.0, 20.0, 4.0), (260.0, 200.0, 25.0)],
)
def test_observed_matches_closed_formula_and_pyhf(n: float, b: float, sigma_b: float) -> None:
    z = observed_significance(n, b, sigma_b)
    if sigma_b == 0:
        assert z == pytest.approx(math.sqrt(2 * (n * math.log(n / b) - (n - b))), abs=1e-12)
    z_obs_pyhf, _ = _pyhf_z(n, n - b, b, sigma_b)  # template s = n - b keeps mu-hat ~ 1
    assert z == pytest.approx(z_obs_pyhf, abs=1e-3)


def test_observed_equals_expected_on_asimov_data_and_deficit_is_zero() -> None:
    assert observed_significance(30.0, 20.0) == pytest.approx(counting_significance(10.0, 20.0))
    assert observed_significance(15.0, 20.0) == 0.0
    assert observed_significance(20.0, 20.0, 3.0) == 0.0
    # uncertainty can only lower the significance
    assert counting_significance(10.0, 20.0, 5.0) < counting_significance(10.0, 20.0)


def test_counting_background_only_toys_are_calibrated() -> None:
    rng = np.random.default_rng(11)
    b = 400.0
    n = rng.poisson(b, 20000)
    p = np.array([z_to_p(observed_significance(float(k), b)) for k in n])
    for alpha in (0.05, 0.01):
        frac = float(np.mean(p <= alpha))
        err = math.sqrt(alpha * (1 - alpha) / n.size)
        # Poisson discreteness at b = 400 shifts the rate by < 0.3 %
        assert abs(frac - alpha) < 3 * err + 0.003, (alpha, frac)
    assert np.mean(p == 0.5) > 0.45  # one-sided q0: deficits pile up at p = 0.5


@pytest.mark.parametrize(
    ("args", "exc"),
    [
        ((1.0, 0.0), StatisticsError),
        ((1.0, -3.0), StatisticsError),
        ((float("nan"), 1.0), DataError),
        ((1.0, float("nan")), DataError),
        ((-1.0, 5.0), DataError),
    ],
)
def test_bad_counting_input(args: tuple[float, float], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        counting_significance(*args)
    with pytest.raises(DataError):
        counting_significance(1.0, 5.0, -1.0)
    with pytest.raises(DataError):
        observed_significance(-1.0, 5.0)


def test_p_z_roundtrip() -> None:
    z = np.array([0.0, 1.0, 3.0, 5.0])
    assert np.allclose(p_to_z(z_to_p(z)), z)
    assert z_to_p(0.0) == pytest.approx(0.5)


def test_upcrossings_counts_and_gross_vitells() -> None:
    scan = np.array([[0.0, 2.0, 0.5, 1.5, 0.2], [2.0, 2.0, 0.0, 0.0, 0.0]])
    # u0 = 1 in q units → Z > 1: first row crosses twice, second starts above (one crossing)
    assert upcrossings(scan, 1.0).tolist() == [2, 1]
    assert int(upcrossings(scan[0], 1.0)) == 2
    p_loc = float(z_to_p(4.0))
    p_glob = gross_vitells_p(4.0, 2.0, 1.0)
    assert p_glob == pytest.approx(p_loc + 2.0 * math.exp(-(16.0 - 1.0) / 2))
    assert gross_vitells_p(4.0, 0.0, 1.0) == pytest.approx(p_loc)
    assert gross_vitells_p(5.0, 3.0, 1.0) < gross_vitells_p(4.0, 3.0, 1.0)
    with pytest.raises(DataError):
        gross_vitells_p(float("nan"), 1.0, 1.0)


def test_gross_vitells_matches_toys_on_gaussian_process() -> None:
    """GV extrapolation of upcrossings agrees with the toy tail of max Z² (chi2 1-dof process)."""
    from scipy.signal import fftconvolve

    rng = np.random.default_rng(5)
    # smooth Gaussian process: correlated Z along the scan (moving average of white noise)
    white = rng.standard_normal((10000, 220))
    z = fftconvolve(white, np.full((1, 20), 1 / math.sqrt(20)), mode="valid", axes=1)[:, :200]
    n_up = float(np.mean(upcrossings(z, 1.0)))
    z_star = 3.5
    p_toys = float(np.mean(z.max(axis=1) >= z_star))
    p_gv = gross_vitells_p(z_star, n_up, 1.0)
    # GV is an asymptotically tight upper bound: at Z = 3.5 within ~40 % above the toys
    assert p_toys * 0.9 <= p_gv <= p_toys * 1.6
