"""Background model: the dijet function family, the Fisher-scoring fit and the F-test."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from sciood.errors import DataError, StatisticsError
from sciood.stats import (
    dijet_function,
    fit_spectrum,
    log_bins,
    select_function,
    signal_template,
)

RANGE = (2600.0, 5000.0)


def expected(params: tuple[float, ...], n: float, edges: np.ndarray) -> np.ndarray:
    fine = [np.linspace(a, b, 201) for a, b in itertools.pairwise(edges)]
    dens = np.array([np.trapezoid(dijet_function(f, params), f) for f in fine])
    return n * dens / dens.sum()


def migrad_nll(edges, counts, template, n_par):
    """Reference: iminuit's ExtendedBinnedNLL on the same model (published parameters)."""
    from iminuit import Minuit, cost

    fine_t, fine_w = np.polynomial.legendre.leggauss(8)

    def cdf(xe, *par):
        p = np.asarray(par[:n_par])
        lo, hi = xe[:-1], xe[1:]
        half = 0.5 * (hi - lo)
        nodes = (0.5 * (hi + lo))[:, None] + half[:, None] * fine_t
        b = (dijet_function(nodes.ravel(), p).reshape(nodes.shape) * fine_w).sum(1) * half
        s = par[n_par] * np.diff(sps.norm.cdf(xe, 3500.0, 175.0)) if template else 0.0
        return np.concatenate([[0.0], np.cumsum(b + s)])

    ref = fit_spectrum(edges, counts, counts, model=f"dijet{n_par}",
                       template=signal_template(edges, 3500.0, 175.0) if template else None)
    start = [*ref.values, *( [ref.signal] if template else [])]
    c = cost.ExtendedBinnedNLL(counts, edges, cdf)
    m = Minuit(c, *start)
    m.migrad()
    return ref, m


@pytest.mark.parametrize("template", [False, True])
def test_fisher_scoring_finds_migrads_minimum(template: bool) -> None:
    edges = log_bins(*RANGE)
    rng = np.random.default_rng(1)
    counts = rng.poisson(expected((0.0, 10.0, 5.0, 0.0), 50_000, edges)).astype(float)
    counts += template * rng.poisson(300 * signal_template(edges, 3500.0, 175.0))
    ours, m = migrad_nll(edges, counts, template, 4)
    assert ours.converged and m.valid
    # MIGRAD started at our minimum cannot go lower (iminuit's NLL differs by a constant:
    # compare the Baker–Cousins chi2, which iminuit reports as fval for a binned NLL)
    assert m.fval == pytest.approx(ours.chi2, abs=1e-4)
    if template:
        assert ours.signal == pytest.approx(m.values[4], abs=0.02 * ours.signal_error)
        # the Fisher error is the profile-likelihood interval: Δ(2 NLL) = 1 at ŝ ± σ
        tmpl = signal_template(edges, 3500.0, 175.0)
        for sign in (-1.0, 1.0):
            prof = fit_spectrum(edges, counts, counts, template=tmpl, start=ours.values,
                                mu=ours.signal + sign * ours.signal_error)
            assert 2.0 * (prof.nll - ours.nll) == pytest.approx(1.0, abs=0.05)


def test_fit_from_a_bad_start_still_converges_to_the_same_minimum() -> None:
    edges = log_bins(*RANGE)
    counts = np.random.default_rng(2).poisson(expected((0.0, 10.0, 5.0, 0.0), 20_000, edges))
    counts = counts.astype(float)
    a = fit_spectrum(edges, counts, counts)
    b = fit_spectrum(edges, counts, counts, start=(20.0, 1.0, 1.0, 1.0))
    assert a.converged and b.converged
    assert b.nll == pytest.approx(a.nll, abs=1e-6)


def test_signal_yield_is_unbiased_and_its_error_covers() -> None:
    edges = log_bins(*RANGE)
    mu_b = expected((0.0, 10.0, 5.0, 0.0), 100_000, edges)
    tmpl = signal_template(edges, 3800.0, 190.0)
    rng = np.random.default_rng(3)
    pulls = []
    for _ in range(60):
        counts = rng.poisson(mu_b + 400 * tmpl).astype(float)
        f = fit_spectrum(edges, counts, counts, model="dijet3", template=tmpl)
        assert f.converged
        pulls.append((f.signal - 400.0) / f.signal_error)
    pulls = np.asarray(pulls)
    assert abs(pulls.mean()) < 3 / math.sqrt(pulls.size)
    assert 0.7 < pulls.std() < 1.35


def test_f_test_picks_the_generating_function() -> None:
    edges = log_bins(*RANGE)
    rng = np.random.default_rng(4)
    three = rng.poisson(expected((0.0, 10.0, 5.0, 0.0), 1e6, edges)).astype(float)
    five = rng.poisson(expected((0.0, 10.0, 5.0, 8.0, 4.0), 1e7, edges)).astype(float)
    assert select_function(edges, three, three).model == "dijet3"
    choice = select_function(edges, five, five)
    assert choice.model == "dijet5" and choice.alternative == "dijet4"
    assert choice.f_test_p["dijet4->dijet5"] < 0.05
    assert set(choice.to_dict()["chi2_ndf"]) == {"dijet3", "dijet4", "dijet5"}


def test_nested_parametrisations_agree() -> None:
    m = np.linspace(2600, 5000, 7)
    assert np.allclose(dijet_function(m, (1.0, 9.0, 4.0)), dijet_function(m, (1.0, 9.0, 4.0, 0.0)))
    assert np.allclose(dijet_function(m, (1.0, 9.0, 4.0, 0.2)),
                       dijet_function(m, (1.0, 9.0, 4.0, 0.2, 0.0)))
    with pytest.raises(DataError, match="3, 4 or 5"):
        dijet_function(m, (1.0, 2.0))


def test_bad_histograms_are_refused() -> None:
    edges = log_bins(*RANGE)
    counts = np.full(edges.size - 1, 100.0)
    with pytest.raises(StatisticsError, match="negative"):
        fit_spectrum(edges, np.r_[-1.0, counts[1:]], counts)
    with pytest.raises(StatisticsError, match="non-empty"):
        fit_spectrum(edges, np.r_[counts[:2], np.zeros(counts.size - 2)], counts)
    with pytest.raises(DataError, match="√s"):
        fit_spectrum(np.array([1e4, 1.2e4, 1.4e4, 1.6e4, 1.8e4, 2e4]), counts[:5], counts[:5])
    with pytest.raises(DataError, match="width"):
        signal_template(edges, 3500.0, 0.0)


def test_spurious_signal_test_rejects_a_function_too_small_for_the_statistics() -> None:
    from sciood.stats import spurious_signal

    edges = log_bins(*RANGE)
    template = expected((0.0, 10.0, 5.0, 3.0, 1.2), 1e8, edges)  # smooth, 5-parameter truth
    big = spurious_signal(edges, template, data_events=1e7, model="dijet4")
    assert not big.passed and big.worst > 0.5
    assert spurious_signal(edges, template, data_events=1e7, model="dijet5").passed
    small = spurious_signal(edges, template, data_events=1e5, model="dijet4")
    assert small.passed and small.worst == pytest.approx(big.worst / 10, rel=1e-6)
    with pytest.raises(DataError, match="larger template"):
        spurious_signal(edges, template, data_events=1e9)
