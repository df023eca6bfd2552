"""Decorrelating a learned score from an observable (e.g. the jet or dijet mass).

Two penalties, applied to background events during training (``decorrelate=`` parameter of
``ae``, ``vae`` and ``supervised``; the observable is the one passed to ``fit``):

* ``"disco"`` — the distance-correlation penalty of DisCo (Kasieczka & Shih,
  arXiv:2001.05310): ``loss += strength * dCorr²(score, observable)`` with event weights.
  Written by hand (no maintained library provides a weighted, differentiable torch version);
  cross-checked in the tests against a plain numpy double-centring implementation.
* ``"adversarial"`` — learning to pivot (Louppe, Kagan, Cranmer, arXiv:1611.01046): an
  adversary predicts the observable's quantile bin from the score; the model is trained to
  minimise ``loss − strength · CE(adversary)``, the adversary to minimise its CE, in
  alternating steps.  A binned (classification) adversary replaces the paper's mixture
  density network, as in Shimmin et al. (arXiv:1703.03507).

Example
-------
>>> import torch
>>> x = torch.linspace(0, 1, 50)
>>> float(distance_correlation_sq(x, 2 * x + 1)) > 0.99
True
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np

from sciood._compat import renamed_weights
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["Decorrelator", "distance_correlation", "distance_correlation_sq"]

Method = Literal["disco", "adversarial"]

#: largest batch used for the O(b²) distance correlation
DISCO_MAX_EVENTS = 2048


def distance_correlation_sq(
    x: torch.Tensor, y: torch.Tensor, *, sample_weight: torch.Tensor | None = None
) -> torch.Tensor:
    """Weighted **squared** distance correlation dCorr²(x, y) (V-statistic), differentiable.

    With ``a_ij = |x_i − x_j|`` double-centred with the weights into ``A`` (and ``B`` from
    ``y`` alike), ``dCov²(x, y) = Σ_ij w_i w_j A_ij B_ij / (Σ w)²`` and
    ``dCorr² = dCov²(x, y) / sqrt(dCov²(x, x) dCov²(y, y))``.  Not to be confused with
    :func:`sciood.evaluate.failure.distance_correlation`, the unweighted dCor (not squared)
    of two numpy arrays used by the failure analysis.

    Parameters
    ----------
    x, y : Tensor, shape ``(n,)``
    sample_weight : Tensor, shape ``(n,)``, optional
        Event weights, normalised internally to mean 1.

    Returns
    -------
    Tensor, scalar in [0, 1]; 0 for independent variables (in the large-n limit).
    """
    n = x.shape[0]
    w = torch.ones_like(x) if sample_weight is None else sample_weight / sample_weight.mean()
    a = (x[:, None] - x[None, :]).abs()
    b = (y[:, None] - y[None, :]).abs()

    def centre(m: torch.Tensor) -> torch.Tensor:
        row = (m * w[None, :]).mean(1)
        return m - row[None, :] - row[:, None] + (row * w).mean()

    A, B = centre(a), centre(b)

    def avg(m: torch.Tensor) -> torch.Tensor:
        return ((m * w[None, :]).mean(1) * w).mean()

    ab, aa, bb = avg(A * B), avg(A * A), avg(B * B)
    denom = torch.sqrt(aa * bb)
    if n < 2:
        return torch.zeros((), dtype=x.dtype)
    return ab / denom.clamp(min=1e-12)


def distance_correlation(x: torch.Tensor, y: torch.Tensor, weights: torch.Tensor | None = None,
                         *, sample_weight: torch.Tensor | None = None) -> torch.Tensor:
    """Deprecated name of :func:`distance_correlation_sq` (removed in sciood 0.3).

    Renamed because :func:`sciood.evaluate.failure.distance_correlation` is the unweighted,
    not squared dCor; ``weights`` is the deprecated spelling of ``sample_weight``.
    """
    warnings.warn("sciood.detectors.decorrelate.distance_correlation is deprecated (removed "
                  "in sciood 0.3): it is the squared dCor, use distance_correlation_sq",
                  FutureWarning, stacklevel=2)
    w = renamed_weights(sample_weight, weights, "distance_correlation")
    return distance_correlation_sq(x, y, sample_weight=w)


class Decorrelator:
    """Penalty (and adversary) tying a score to be independent of an observable.

    Parameters
    ----------
    method : {"disco", "adversarial"}
    strength : float
        λ multiplying the penalty.
    n_bins : int
        Quantile bins of the observable predicted by the adversary.
    seed : int
    """

    def __init__(self, method: Method, strength: float, *, n_bins: int = 10, seed: int = 0):
        if method not in ("disco", "adversarial"):
            raise ConfigError(
                f"decorrelate must be None, 'disco' or 'adversarial', got {method!r}"
            )
        if strength < 0:
            raise ConfigError(f"decor_strength must be >= 0, got {strength}")
        self.method = method
        self.strength = float(strength)
        self.n_bins = int(n_bins)
        self.seed = seed
        self.edges: np.ndarray | None = None
        self.adversary: nn.Module | None = None
        self.opt: torch.optim.Optimizer | None = None

    def setup(self, observable: np.ndarray | None, device: torch.device) -> None:
        """Prepare for training on the observable of the training events ``(n,)``."""
        if observable is None:
            raise DataError(
                "decorrelation needs the observable: fit(X, observable=mass) or pass an "
                "EventSet with an observable"
            )
        if self.method == "adversarial":
            qs = np.quantile(observable, np.linspace(0, 1, self.n_bins + 1)[1:-1])
            self.edges = qs
            self.adversary = nn.Sequential(
                nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                nn.Linear(32, self.n_bins),
            ).to(device)
            self.opt = torch.optim.Adam(self.adversary.parameters(), lr=1e-3)

    def _bins(self, obs: torch.Tensor) -> torch.Tensor:
        edges = torch.as_tensor(self.edges, dtype=obs.dtype, device=obs.device)
        return torch.bucketize(obs, edges)

    @staticmethod
    def _norm(score: torch.Tensor) -> torch.Tensor:
        s = score.detach()
        return ((score - s.mean()) / s.std().clamp(min=1e-6)).unsqueeze(1)

    def _adv_loss(self, score: torch.Tensor, obs: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        if self.adversary is None:
            raise RuntimeError("Decorrelator.setup must run before training")
        logits = self.adversary(self._norm(score))
        ce = nn.functional.cross_entropy(logits, self._bins(obs), reduction="none")
        return (ce * w).sum() / w.sum().clamp(min=1e-12)

    def penalty(self, score: torch.Tensor, obs: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Penalty to add to the model loss for background events of one batch."""
        if score.shape[0] < 4:
            return score.sum() * 0.0
        if self.method == "disco":
            k = min(score.shape[0], DISCO_MAX_EVENTS)
            return self.strength * distance_correlation_sq(score[:k], obs[:k], sample_weight=w[:k])
        return -self.strength * self._adv_loss(score, obs, w)

    def adversary_step(self, score: torch.Tensor, obs: torch.Tensor, w: torch.Tensor) -> None:
        """One optimisation step of the adversary on a detached score (no-op for DisCo)."""
        if self.method != "adversarial" or score.shape[0] < 4:
            return
        if self.opt is None:
            raise RuntimeError("Decorrelator.setup must run before training")
        self.opt.zero_grad()
        self._adv_loss(score.detach(), obs, w).backward()
        self.opt.step()
