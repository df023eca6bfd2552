"""Lorentz-invariant set encoder (LorentzNet / PELICAN style) on Minkowski inner products.

Each real particle of a jet-relative set (``z = pT/ΣpT``, Δη, Δφ; :mod:`sciood.represent.sets`)
is read as the massless four-vector ``p = z (cosh Δη, cos Δφ, sin Δφ, sinh Δη)``.  The
network sees the particles *only* through their Minkowski inner products, normalised by the
jet's invariant mass squared ``M² = ⟨J, J⟩`` (``J = Σ p``):

* the Gram matrix ``G_ab = ⟨p_a, p_b⟩ / M²``, computed as
  ``z_a z_b · 2 (sinh²(Δη_ab/2) + sin²(Δφ_ab/2)) / M²`` (the same number as
  ``E_a E_b − p⃗_a·p⃗_b`` for massless vectors, without its cancellation for collinear pairs);
* the node scalars ``x_a = ⟨p_a, J⟩ / M² = Σ_b G_ab`` (the particle's energy fraction in the
  jet rest frame; ``Σ_a x_a = 1``).

Both are unchanged by any Lorentz transformation of the constituents and by a common
rescaling of their momenta; the jet-relative set itself changes under a Lorentz
transformation only by a boost along the beam, a rotation about it and a rescaling (the
centroid subtraction and the ``1/ΣpT``), so every output of this encoder — and the score
of a classifier built on it — is Lorentz-invariant.

Layers (LorentzNet, Gong et al. 2022, with its coordinate update written on the Gram matrix):
edge messages ``m_ab = φ_e(h_a, h_b, ψ(G_ab), ψ(G_aa + G_bb − 2 G_ab))`` with
``ψ(u) = sign(u) ln(1 + |u|/s)``; node update ``h_a ← h_a + φ_h(h_a, mean_b m_ab)``; and the
equivariant coordinate update ``x_a ← x_a + c · mean_b φ_x(m_ab) x_b``, i.e. ``X ← T X``
with ``T = 1 + c A``, carried out on the inner products as ``G ← T G Tᵀ`` (exactly the
Gram matrix of the updated vectors, so the vectors never need to be formed).  Means run
over the other real particles; pooling is a masked mean of the node features, so the output
is invariant under permutations of the real particles and padded slots cannot change it.

Memory is that of one ``(B, m, m, edge)`` tensor per layer, as for the ParT encoder.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from sciood.detectors.nets import mlp
from sciood.errors import ConfigError

__all__ = ["LorentzEncoder", "lorentz_gram", "minkowski_psi"]

_EPS = 1e-12
#: scale ``s`` of :func:`minkowski_psi`: normalised inner products of soft pairs are ~1e-6,
#: of hard pairs ~0.1-1; ψ is linear below s and logarithmic above
PSI_SCALE = 1e-4


def minkowski_psi(u: torch.Tensor, scale: float = PSI_SCALE) -> torch.Tensor:
    """``sign(u) ln(1 + |u| / scale)``: the signed-log squash of LorentzNet, shape kept."""
    return torch.sign(u) * torch.log1p(u.abs() / scale)


def lorentz_gram(feats: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Normalised Minkowski inner products ``⟨p_a, p_b⟩ / M²`` of the particles of each set.

    Parameters
    ----------
    feats : Tensor, shape ``(B, m, 3)``
        (z, Δη, Δφ) per particle (massless four-vectors).
    mask : Tensor, shape ``(B, m)``, bool

    Returns
    -------
    Tensor, shape ``(B, m, m)``
        Symmetric, zero on the diagonal (massless particles) and for pairs with a padded
        particle; the entries of a set sum to 1 unless its mass is 0 (one particle, or all
        collinear), where they are all 0.
    """
    z = feats[..., 0] * mask.to(feats.dtype)
    eta, phi = feats[..., 1], feats[..., 2]
    deta = eta[:, :, None] - eta[:, None, :]
    dphi = phi[:, :, None] - phi[:, None, :]
    # cosh Δη − cos Δφ = 2 sinh²(Δη/2) + 2 sin²(Δφ/2): no cancellation for collinear pairs
    dist = 2.0 * (torch.sinh(0.5 * deta) ** 2 + torch.sin(0.5 * dphi) ** 2)
    dot = z[:, :, None] * z[:, None, :] * dist
    valid = mask[:, :, None] & mask[:, None, :]
    dot = torch.where(valid, dot, torch.zeros_like(dot))
    m2 = dot.sum((1, 2))
    scale = torch.where(m2 > _EPS, 1.0 / m2.clamp(min=_EPS), torch.zeros_like(m2))
    return dot * scale[:, None, None]


class _LorentzLayer(nn.Module):
    """One message-passing layer: edge messages, node update, Gram-matrix update."""

    def __init__(self, hidden: int, edge: int, coord_step: float, dropout: float) -> None:
        super().__init__()
        self.src = nn.Linear(hidden, edge)
        self.dst = nn.Linear(hidden, edge, bias=False)
        self.inv = nn.Linear(2, edge, bias=False)
        self.msg = nn.Sequential(nn.ReLU(), nn.Linear(edge, edge), nn.ReLU())
        self.node = mlp(hidden + edge, [hidden], hidden, dropout=dropout)
        self.coord = nn.Linear(edge, 1)
        self.step = coord_step

    def forward(self, h: torch.Tensor, gram: torch.Tensor, pair_w: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        diag = torch.diagonal(gram, dim1=1, dim2=2)
        dist = diag[:, :, None] + diag[:, None, :] - 2.0 * gram
        inv = torch.stack([minkowski_psi(gram), minkowski_psi(dist)], -1)
        # φ_e(h_a, h_b, invariants): the first linear layer split so no (B, m, m, 2h) tensor
        pre = self.src(h)[:, :, None, :] + self.dst(h)[:, None, :, :] + self.inv(inv)
        msg = self.msg(pre) * pair_w[..., None]  # (B, m, m, edge), rows sum to <= 1
        h = h + self.node(torch.cat([h, msg.sum(2)], -1))
        a = torch.tanh(self.coord(msg).squeeze(-1)) * pair_w  # (B, m, m)
        t = torch.eye(gram.shape[1], dtype=gram.dtype, device=gram.device) + self.step * a
        gram = t @ gram @ t.transpose(1, 2)
        return h, gram


class LorentzEncoder(nn.Module):
    """Lorentz- and permutation-invariant encoder of a masked particle set.

    Parameters
    ----------
    n_in : int
        Per-particle features (3: z, Δη, Δφ; the four-vectors need exactly these).
    latent : int
        Output size.
    hidden : int
        Width of the node features.
    layers : int
        Message-passing layers.
    edge : int
        Width of the edge messages (memory ∝ ``B m² edge``).
    coord_step : float
        ``c`` of the coordinate update ``x_a ← x_a + c mean_b φ_x(m_ab) x_b`` (|φ_x| ≤ 1).
    dropout : float

    Shapes
    ------
    forward(x ``(B, m, 3)``, mask ``(B, m)``) -> ``(B, latent)``
    """

    def __init__(self, n_in: int = 3, latent: int = 16, *, hidden: int = 64, layers: int = 2,
                 edge: int = 16, coord_step: float = 0.1, dropout: float = 0.0) -> None:
        super().__init__()
        if n_in != 3:
            raise ConfigError(f"the Lorentz encoder needs the (z, deta, dphi) set channels, "
                              f"got n_in={n_in}")
        if min(hidden, layers, edge) < 1:
            raise ConfigError(f"the Lorentz encoder needs hidden, layers and edge >= 1, got "
                              f"{hidden}, {layers}, {edge}")
        if not (math.isfinite(coord_step) and coord_step >= 0):
            raise ConfigError(f"coord_step must be finite and >= 0, got {coord_step}")
        self.embed = mlp(2, [hidden], hidden, dropout=dropout)
        self.layers = nn.ModuleList(
            _LorentzLayer(hidden, edge, float(coord_step), dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden)
        self.rho = mlp(hidden, [hidden], latent, dropout=dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        m = mask.shape[1]
        gram = lorentz_gram(x, mask)
        node = gram.sum(2)  # ⟨p_a, J⟩ / M²
        w = mask.to(x.dtype)
        h = self.embed(torch.stack([minkowski_psi(node), torch.log(node + 1e-8)], -1))
        h = h * w[..., None]
        eye = torch.eye(m, dtype=torch.bool, device=mask.device)
        pair = (mask[:, :, None] & mask[:, None, :] & ~eye).to(x.dtype)
        pair_w = pair / pair.sum(2, keepdim=True).clamp(min=1.0)  # mean over the others
        for layer in self.layers:
            h, gram = layer(h, gram, pair_w)
            h = h * w[..., None]
        pooled = (self.norm(h) * w[..., None]).sum(1) / w.sum(1, keepdim=True).clamp(min=1.0)
        out: torch.Tensor = self.rho(pooled)
        return out
