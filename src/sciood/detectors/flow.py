"""Density estimation with a zuko normalizing flow; score = −log p(x).

The flow is trained on standardised features by weighted maximum likelihood; the score
adds back the log-Jacobian of the standardisation, so it is −log p of the features in their
original units.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(256, 3))
>>> make("flow", epochs=2, seed=0).fit(X).score(X).shape
(256,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from sciood.detectors.invariance import Invariance
from sciood.detectors.registry import register
from sciood.detectors.torchbase import TorchDetector
from sciood.errors import ConfigError, require

__all__ = ["Flow"]

require("zuko", "ml")
import zuko  # noqa: E402


@register("flow")
class Flow(TorchDetector):
    """Masked autoregressive (``kind="maf"``) or neural spline (``"nsf"``) flow (zuko).

    Parameters
    ----------
    seed : int
    kind : {"maf", "nsf"}
    transforms : int
        Number of autoregressive transforms.
    hidden : sequence of int
        Widths of each transform's MADE network.
    epochs, batch_size, lr, weight_decay : training settings (Adam).
    invariance, invariance_strength : training over the environments given to
        ``fit(..., environment=)`` (:mod:`sciood.detectors.invariance`).

    :meth:`latent` = the base space ``z = f(x')`` of the standardised features ``x'``,
    shape ``(n, d)``: N(0, 1) in every coordinate for events like the training sample.
    """

    latent_space = True

    def __init__(
        self,
        *,
        seed: int = 0,
        kind: Literal["maf", "nsf"] = "maf",
        transforms: int = 4,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        invariance: Invariance = None,
        invariance_strength: float = 1.0,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        d = int(np.prod(self._input_shape))
        hid = tuple(int(h) for h in self.hidden)
        if self.kind == "maf":
            flow: nn.Module = zuko.flows.MAF(d, transforms=int(self.transforms),
                                            hidden_features=hid)
        elif self.kind == "nsf":
            flow = zuko.flows.NSF(d, transforms=int(self.transforms), hidden_features=hid)
        else:
            raise ConfigError(f"flow kind must be 'maf' or 'nsf', got {self.kind!r}")
        return flow

    def _nll(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = -net().log_prob(x)
        return out

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        nll = self._nll(net, x)
        return nll, nll

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self._nll(net, x)

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net().transform(x)
        return out

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        # −log p(x) = −log p_std(x') + Σ log σ_j  (x' = (x − μ) / σ)
        scale = np.asarray(self._scaler.scale_)
        return super()._score_arrays(X) + float(np.log(scale).sum())

    def log_prob(self, X: Any) -> np.ndarray:
        """log p(x) in the original feature units, shape ``(n,)``."""
        return -self.score(X)
