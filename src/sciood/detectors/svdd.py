"""Deep SVDD (Ruff et al., ICML 2018), one-class objective.

A bias-free MLP maps events to a feature space; training pulls background events towards a
fixed centre ``c`` (the weighted mean of the initial outputs, with coordinates near zero
pushed to ±``eps`` to avoid the trivial solution).  Score = ‖f(x) − c‖².

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(256, 3))
>>> make("svdd", epochs=2, seed=0).fit(X).score(X).shape
(256,)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from sciood.detectors.nets import mlp
from sciood.detectors.registry import register
from sciood.detectors.torchbase import TorchDetector

__all__ = ["DeepSVDD"]


class _SVDDNet(nn.Module):
    def __init__(self, d: int, hidden: list[int], rep_dim: int, dropout: float) -> None:
        super().__init__()
        self.f = mlp(d, hidden, rep_dim, bias=False, dropout=dropout)
        self.register_buffer("center", torch.zeros(rep_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        center: torch.Tensor = self.center  # type: ignore[assignment]
        return ((self.f(x) - center) ** 2).sum(1)


@register("svdd")
class DeepSVDD(TorchDetector):
    """One-class Deep SVDD on standardised features.

    Parameters
    ----------
    seed : int
    hidden : sequence of int
    rep_dim : int
        Output dimension of the feature map.
    eps : float
        Minimum |c_j| of the centre.
    epochs, batch_size, lr, weight_decay, dropout : training settings (Adam).

    :meth:`latent` = the embedding ``f(x)``, shape ``(n, rep_dim)`` (the score is its squared
    distance to the fixed centre ``c``).
    """

    latent_space = True

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (32, 32),
        rep_dim: int = 8,
        eps: float = 0.1,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 1e-6,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        d = int(np.prod(self._input_shape))
        return _SVDDNet(d, [int(h) for h in self.hidden], int(self.rep_dim),
                        float(self.dropout))

    def _before_training(self, net: nn.Module, X: torch.Tensor, w: torch.Tensor) -> None:
        if not isinstance(net, _SVDDNet):
            raise TypeError("Deep SVDD network expected")
        with torch.no_grad():
            out = net.f(X)
            c = (out * w[:, None]).sum(0) / w.sum()
            eps = float(self.eps)
            c = torch.where(c.abs() < eps, torch.where(c < 0, -eps, eps), c)
            net.center.copy_(c)  # type: ignore[operator]

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        d = net(x)
        return d, d

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net(x)
        return out

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(net, _SVDDNet):
            raise TypeError("Deep SVDD network expected")
        out: torch.Tensor = net.f(x)
        return out
