"""DisCo distance correlation and decorrelated training."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sciood.detectors import make
from sciood.detectors.decorrelate import (
    Decorrelator,
    distance_correlation,
    distance_correlation_sq,
)
from sciood.errors import ConfigError


def dcorr2_reference(x: np.ndarray, y: np.ndarray) -> float:
    """Székely's squared distance correlation by explicit double centring (V-statistic)."""
    a = np.abs(x[:, None] - x[None, :])
    b = np.abs(y[:, None] - y[None, :])
    A = a - a.mean(0) - a.mean(1)[:, None] + a.mean()
    B = b - b.mean(0) - b.mean(1)[:, None] + b.mean()
    return float((A * B).mean() / np.sqrt((A * A).mean() * (B * B).mean()))


def test_distance_correlation_matches_reference() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    for y in (x**2 + 0.3 * rng.normal(size=300), rng.normal(size=300), 3 * x - 1):
        ours = float(distance_correlation_sq(torch.tensor(x), torch.tensor(y)))
        assert ours == pytest.approx(dcorr2_reference(x, y), rel=1e-9)
    assert float(distance_correlation_sq(torch.tensor(x), torch.tensor(3 * x - 1))) == \
        pytest.approx(1.0)


def test_weighted_distance_correlation_equals_duplication() -> None:
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=60), rng.normal(size=60)
    w = rng.integers(1, 4, size=60)
    dup = dcorr2_reference(np.repeat(x, w), np.repeat(y, w))
    tw = torch.tensor(w, dtype=torch.float64)
    ours = distance_correlation_sq(torch.tensor(x), torch.tensor(y), sample_weight=tw)
    assert float(ours) == pytest.approx(dup, rel=1e-9)


def test_old_name_is_a_deprecated_alias_of_the_squared_dcor() -> None:
    """``distance_correlation`` (old name, old positional ``weights``) warns and agrees; the
    new name is the square of :func:`sciood.evaluate.failure.distance_correlation`."""
    from sciood.evaluate.failure import distance_correlation as dcor

    rng = np.random.default_rng(2)
    x, y = rng.normal(size=80), rng.normal(size=80) + 0.5 * rng.normal(size=80) ** 2
    tx, ty, tw = torch.tensor(x), torch.tensor(y), torch.tensor(rng.uniform(0.5, 2, 80))
    for call in (lambda: distance_correlation(tx, ty, tw),
                 lambda: distance_correlation(tx, ty, weights=tw)):
        with pytest.warns(FutureWarning) as caught:
            old = call()
        said = " ".join(str(w.message) for w in caught)
        assert "use distance_correlation_sq" in said and "use `sample_weight=`" in said
        assert float(old) == float(distance_correlation_sq(tx, ty, sample_weight=tw))
    assert float(distance_correlation_sq(tx, ty)) == pytest.approx(float(dcor(x, y)) ** 2,
                                                                   rel=1e-6)


def test_distance_correlation_is_differentiable() -> None:
    x = torch.linspace(0, 1, 40, requires_grad=True)
    distance_correlation_sq(x, torch.linspace(0, 1, 40) ** 2).backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()



@pytest.mark.parametrize("method", ["disco", "adversarial"])
def test_decorrelation_reduces_dependence_on_the_observable(method: str) -> None:
    # features carry the observable m directly (column 0) plus noise
    rng = np.random.default_rng(2)
    m = rng.exponential(size=1500)
    X = np.c_[m + 0.1 * rng.normal(size=1500), rng.normal(size=(1500, 3))]
    base = make("ae", epochs=8, latent=1).fit(X)
    dec = make("ae", epochs=8, latent=1, decorrelate=method, decor_strength=20.0).fit(
        X, observable=m)

    def dc(det) -> float:
        return dcorr2_reference(det.score(X)[:800], m[:800])

    assert dc(dec) < 0.7 * dc(base)


def test_supervised_disco_runs_on_background_only() -> None:
    rng = np.random.default_rng(3)
    m = rng.uniform(size=600)
    y = (rng.uniform(size=600) < 0.3).astype(int)
    X = np.c_[m + y, rng.normal(size=600) + y]
    det = make("supervised", epochs=5, decorrelate="disco", decor_strength=5.0).fit(
        X, y, observable=m)
    assert np.isfinite(det.score(X)).all()


def test_bad_decorrelation_options() -> None:
    with pytest.raises(ConfigError, match="disco"):
        Decorrelator("pivot", 1.0)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=">= 0"):
        Decorrelator("disco", -1.0)
    with pytest.raises(ConfigError, match="valid parameters"):
        make("flow", decorrelate="disco")
