"""Particle-transformer (ParT-style) set encoder with pairwise interaction features.

Qu, Li, Qian 2022 (ParT) add to each self-attention logit a learned function of the
pairwise features of the two particles.  Here the pairs are built from the jet-relative
set channels of :mod:`sciood.represent.sets` (``z = pT/ΣpT``, Δη, Δφ), treating the
constituents as massless, so every quantity is in units of the jet pT:

* ``ln ΔR_ab``  with ``ΔR² = (η_a-η_b)² + (φ_a-φ_b)²`` (φ wrapped);
* ``ln k_T = ln(min(z_a, z_b) ΔR_ab)``;
* ``ln z = ln(min(z_a, z_b) / (z_a + z_b))``;
* ``ln m² = ln(2 z_a z_b (cosh Δη - cos Δφ))``.

Pairs with a padded particle, and the diagonal, get all-zero features; padded keys are
excluded from attention, so padded particles cannot change the output.  Pooling is a
masked mean, so the output is invariant under any permutation of the real particles.

This module also holds what every set-consuming head shares: :func:`set_encoder` builds
any of the :data:`SET_ENCODERS` (Deep Sets and transformer from
:mod:`sciood.detectors.nets`, this ParT encoder, the Lorentz-invariant encoder of
:mod:`sciood.detectors.lorentz`), and :func:`set_score_block` sizes the scoring block of
set models so that their ``m × m`` tensors (pair features, attention, the Chamfer distance)
stay within :data:`PAIR_BUDGET` entries.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import nn

from sciood.detectors.inputs import SCORE_BLOCK
from sciood.detectors.lorentz import LorentzEncoder
from sciood.detectors.nets import SetEncoder, mlp
from sciood.errors import ConfigError

__all__ = ["N_PAIR_FEATURES", "PAIR_BUDGET", "PAIR_FEATURES", "SET_ENCODERS",
           "ParticleTransformerEncoder", "SetEncoderKind", "pair_features", "set_encoder",
           "set_score_block"]

#: Names accepted by :func:`set_encoder` (``encoder=`` of ``set_ae`` and the classifiers).
SET_ENCODERS: tuple[str, ...] = ("deepsets", "transformer", "part", "lorentz")
SetEncoderKind = Literal["deepsets", "transformer", "part", "lorentz"]
#: Jet-pair entries (events × jets × m²) of one scoring block of a set model.  At the default
#: cap of 100 particles and two jets this gives 192 events per block: scoring ``set_ae``
#: with the ParT encoder in blocks of 3072 events peaked at ~9.4 GB of RAM
#: (benchmarks/encoders.py measures the peak after the change).
PAIR_BUDGET = 3_840_000
#: Scoring blocks are multiples of this many rows (lcm of the GEMM micro-kernel heights 32
#: and 48, see :data:`sciood.detectors.inputs.SCORE_BLOCK`), so no row ever falls into a
#: kernel's remainder path and scores stay bit-identical whatever the batch.
_BLOCK_UNIT = 96

#: Channel order of :func:`pair_features`' last axis.
PAIR_FEATURES: tuple[str, ...] = ("ln_dr", "ln_kt", "ln_z", "ln_m2")
N_PAIR_FEATURES = len(PAIR_FEATURES)
_EPS = 1e-8


def pair_features(feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """ParT pairwise features of every particle pair of each set.

    Parameters
    ----------
    feats : Tensor, shape ``(B, m, 3)``
        (z, Δη, Δφ) per particle.
    mask : Tensor, shape ``(B, m)``, bool

    Returns
    -------
    Tensor, shape ``(B, m, m, 4)``
        Channels :data:`PAIR_FEATURES`; zero on the diagonal and for pairs with a padded
        particle.
    """
    z, eta, phi = feats[..., 0], feats[..., 1], feats[..., 2]
    deta = eta[:, :, None] - eta[:, None, :]
    dphi = torch.remainder(phi[:, :, None] - phi[:, None, :] + math.pi, 2 * math.pi) - math.pi
    dr = torch.sqrt(deta**2 + dphi**2)
    za, zb = z[:, :, None], z[:, None, :]
    zmin = torch.minimum(za, zb)
    m2 = 2 * za * zb * (torch.cosh(deta) - torch.cos(dphi))
    out = torch.stack([
        torch.log(dr.clamp(min=_EPS)),
        torch.log((zmin * dr).clamp(min=_EPS)),
        torch.log((zmin / (za + zb).clamp(min=_EPS)).clamp(min=_EPS)),
        torch.log(m2.clamp(min=_EPS)),
    ], -1)
    eye = torch.eye(mask.shape[1], dtype=torch.bool, device=mask.device)
    valid = mask[:, :, None] & mask[:, None, :] & ~eye
    return out * valid[..., None].to(out.dtype)


class _Block(nn.Module):
    """Pre-norm self-attention block with an additive per-head attention bias."""

    def __init__(self, hidden: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden)
        self.attn = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.norm2 = nn.LayerNorm(hidden)
        self.ffn = mlp(hidden, [2 * hidden], hidden, dropout=dropout)

    def forward(self, h: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = self.norm1(h)
        a, _ = self.attn(x, x, x, attn_mask=bias, need_weights=False)
        h = h + a
        out: torch.Tensor = h + self.ffn(self.norm2(h))
        return out


class ParticleTransformerEncoder(nn.Module):
    """Permutation-invariant ParT-style encoder of a masked particle set.

    Parameters
    ----------
    n_in : int
        Per-particle features (3: z, Δη, Δφ; the pair features need exactly these).
    latent : int
        Output size.
    hidden : int
        Width of the per-particle representation (divisible by ``heads``).
    heads, layers : int
    dropout : float

    Shapes
    ------
    forward(x ``(B, m, 3)``, mask ``(B, m)``) -> ``(B, latent)``
    """

    def __init__(self, n_in: int = 3, latent: int = 16, *, hidden: int = 64, heads: int = 4,
                 layers: int = 2, dropout: float = 0.0) -> None:
        super().__init__()
        if n_in != 3:
            raise ConfigError(f"the ParT encoder needs the (z, deta, dphi) set channels, "
                              f"got n_in={n_in}")
        if hidden % heads:
            raise ConfigError(f"hidden={hidden} must be divisible by heads={heads}")
        self.heads = heads
        self.embed = mlp(n_in + 1, [hidden], hidden, dropout=dropout)
        self.pair = mlp(N_PAIR_FEATURES, [16], heads * layers, dropout=dropout)
        self.blocks = nn.ModuleList(_Block(hidden, heads, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)
        self.rho = mlp(hidden, [hidden], latent, dropout=dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, m = mask.shape
        # a set with no particle would make attention all -inf; let it attend to slot 0
        keys = mask.clone()
        keys[:, 0] = keys[:, 0] | ~mask.any(1)
        u = self.pair(pair_features(x, mask))  # (B, m, m, heads*layers)
        u = u * (mask[:, :, None] & mask[:, None, :])[..., None].to(u.dtype)
        u = u.masked_fill(~keys[:, None, :, None], float("-inf"))
        # (B, m, m, L*H) -> L tensors of (B*H, m, m), as nn.MultiheadAttention expects
        u = u.reshape(b, m, m, len(self.blocks), self.heads).permute(3, 0, 4, 1, 2)
        # ln z of the particle itself as an extra per-particle input (ParT uses ln pT)
        lnz = torch.log(x[..., :1].clamp(min=_EPS)) * mask[..., None].to(x.dtype)
        h = self.embed(torch.cat([x, lnz], -1))
        for i, block in enumerate(self.blocks):
            h = block(h, u[i].reshape(b * self.heads, m, m))
        w = mask.to(h.dtype).unsqueeze(-1)
        pooled = (self.norm(h) * w).sum(1) / w.sum(1).clamp(min=1.0)
        out: torch.Tensor = self.rho(pooled)
        return out


def set_encoder(kind: str, latent: int, *, hidden: int = 64, heads: int = 4, layers: int = 2,
                dropout: float = 0.0) -> nn.Module:
    """Build the set encoder ``kind`` (one of :data:`SET_ENCODERS`) on (z, Δη, Δφ) sets.

    Parameters
    ----------
    kind : {"deepsets", "transformer", "part", "lorentz"}
    latent : int
        Output size.
    hidden, heads, layers, dropout
        Width, attention heads (transformer, part; ignored otherwise), blocks / message
        passing layers (ignored by deepsets) and dropout.

    Returns
    -------
    nn.Module
        ``forward(x (B, m, 3), mask (B, m)) -> (B, latent)``, invariant under permutations of
        the real particles.

    Raises
    ------
    ConfigError
        An unknown ``kind``, or ``hidden`` not divisible by ``heads`` for an attention encoder.
    """
    if kind == "part":
        return ParticleTransformerEncoder(3, latent, hidden=hidden, heads=heads, layers=layers,
                                          dropout=dropout)
    if kind == "lorentz":
        return LorentzEncoder(3, latent, hidden=hidden, layers=layers, dropout=dropout)
    if kind in ("deepsets", "transformer"):
        return SetEncoder(3, latent, hidden=hidden, kind=kind,  # type: ignore[arg-type]
                          heads=heads, layers=layers, dropout=dropout)
    raise ConfigError(f"encoder must be one of {list(SET_ENCODERS)}, got {kind!r}")


def set_score_block(n_particles: int, n_jets: int = 2) -> int:
    """Events per scoring block for sets of ``n_particles`` slots per jet.

    The largest multiple of 96 rows with ``block × n_jets × n_particles² ≤``
    :data:`PAIR_BUDGET`, clipped to ``[96, SCORE_BLOCK]``: 192 events at 100 particles,
    2112 at 30, :data:`~sciood.detectors.inputs.SCORE_BLOCK` (3072) at 25 or fewer.  A
    score does not depend on the block (every pass sees exactly ``block`` rows, see
    :func:`~sciood.detectors.inputs.score_in_blocks`); the block only bounds memory.

    Parameters
    ----------
    n_particles : int
        Particle slots per jet (``max_particles``).
    n_jets : int
        Sets per event.

    Returns
    -------
    int
    """
    per_event = max(1, int(n_jets)) * max(1, int(n_particles)) ** 2
    units = PAIR_BUDGET // (per_event * _BLOCK_UNIT)
    return int(min(SCORE_BLOCK, max(_BLOCK_UNIT, units * _BLOCK_UNIT)))
