"""Shared torch building blocks: MLPs, the permutation-invariant set encoder, CNN parts.

:class:`SetEncoder` is the one particle-set encoder of the package: the set autoencoder
(:mod:`sciood.detectors.autoencoder`) and the classifier heads
(:mod:`sciood.detectors.classifier`) both build on it.  It has two variants:

* ``"deepsets"`` — Particle-Flow-Network style (Komiske, Metodiev, Thaler 2019):
  a per-particle MLP Φ, a masked sum over particles, then an MLP F;
* ``"transformer"`` — a small particle transformer: linear embedding, ``layers`` of
  multi-head self-attention without positional encoding (so permutation-equivariant),
  masked mean pooling, then a linear map.

Both are invariant under any permutation of the real (unmasked) particles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sciood.errors import ConfigError, require

require("torch", "ml")
import torch  # noqa: E402  (after the guard, for type checkers)
from torch import nn  # noqa: E402

__all__ = ["CNNDecoder", "CNNEncoder", "SetEncoder", "mlp", "split_set"]


def mlp(
    n_in: int,
    hidden: Sequence[int],
    n_out: int,
    *,
    dropout: float = 0.0,
    bias: bool = True,
) -> nn.Sequential:
    """Fully connected net ``n_in -> hidden... -> n_out`` with ReLU (and dropout) between.

    Parameters
    ----------
    n_in, n_out : int
    hidden : sequence of int
    dropout : float
        Dropout probability after each hidden activation (used by MC dropout).
    bias : bool
        Biases in every layer (Deep SVDD needs ``False``).
    """
    layers: list[nn.Module] = []
    prev = n_in
    for h in hidden:
        layers += [nn.Linear(prev, h, bias=bias), nn.ReLU()]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        prev = h
    layers.append(nn.Linear(prev, n_out, bias=bias))
    return nn.Sequential(*layers)


def split_set(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a set tensor ``(..., m, 4)`` into features ``(..., m, 3)`` and mask ``(..., m)``."""
    return x[..., :3], x[..., 3] > 0.5


class SetEncoder(nn.Module):
    """Permutation-invariant encoder of a masked particle set.

    Parameters
    ----------
    n_in : int
        Per-particle features (3: z, Δη, Δφ).
    latent : int
        Output size.
    hidden : int
        Width of the per-particle representation.
    kind : {"deepsets", "transformer"}
    heads, layers : int
        Transformer attention heads and blocks.
    dropout : float

    Shapes
    ------
    forward(x ``(B, m, n_in)``, mask ``(B, m)``) -> ``(B, latent)``
    """

    def __init__(
        self,
        n_in: int = 3,
        latent: int = 16,
        *,
        hidden: int = 64,
        kind: Literal["deepsets", "transformer"] = "deepsets",
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if kind not in ("deepsets", "transformer"):
            raise ConfigError(f"encoder must be 'deepsets' or 'transformer', got {kind!r}")
        self.kind = kind
        if kind == "deepsets":
            self.phi = mlp(n_in, [hidden, hidden], hidden, dropout=dropout)
            self.rho = mlp(hidden, [hidden], latent, dropout=dropout)
        else:
            if hidden % heads:
                raise ConfigError(f"hidden={hidden} must be divisible by heads={heads}")
            self.embed = nn.Linear(n_in, hidden)
            block = nn.TransformerEncoderLayer(
                hidden, heads, dim_feedforward=2 * hidden, dropout=dropout, batch_first=True
            )
            self.blocks = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
            self.rho = mlp(hidden, [hidden], latent, dropout=dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.to(x.dtype).unsqueeze(-1)
        if self.kind == "deepsets":
            pooled = (self.phi(x) * m).sum(1)
        else:
            # a set with no particle would make attention all -inf; let it attend to slot 0
            pad = ~mask
            pad[:, 0] = pad[:, 0] & mask.any(1)
            h = self.blocks(self.embed(x), src_key_padding_mask=pad)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
        out: torch.Tensor = self.rho(pooled)
        return out


class CNNEncoder(nn.Module):
    """Two conv + average-pool stages and a linear map: ``(B, 1, P, P) -> (B, latent)``."""

    def __init__(self, npix: int, latent: int, *, channels: int = 8, dropout: float = 0.0):
        super().__init__()
        if npix % 4:
            raise ConfigError(f"npix must be divisible by 4 for the CNN, got {npix}")
        c = channels
        self.net = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Conv2d(c, 2 * c, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(2 * c * (npix // 4) ** 2, latent),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(x)
        return out


class CNNDecoder(nn.Module):
    """Mirror of :class:`CNNEncoder`: ``(B, latent) -> (B, 1, P, P)``."""

    def __init__(self, npix: int, latent: int, *, channels: int = 8, dropout: float = 0.0):
        super().__init__()
        c, q = channels, npix // 4
        self.net = nn.Sequential(
            nn.Linear(latent, 2 * c * q * q), nn.ReLU(), nn.Dropout(dropout),
            nn.Unflatten(1, (2 * c, q, q)),
            nn.Upsample(scale_factor=2), nn.Conv2d(2 * c, c, 3, padding=1), nn.ReLU(),
            nn.Upsample(scale_factor=2), nn.Conv2d(c, 1, 3, padding=1),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.net(z)
        return out
