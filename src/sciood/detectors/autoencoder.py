"""Autoencoders: MLP AE and VAE on features, a set AE on constituents, a CNN AE on images.

Scores (higher = more anomalous):

* ``ae`` — per-event mean squared reconstruction error of the standardised features;
* ``vae`` — ``score_space="input"``: reconstruction error with z = μ(x);
  ``"latent"``: KL(q(z|x) ‖ N(0, 1)); ``"combined"``: reconstruction + β·KL (the per-event
  loss).  :meth:`VAE.score_components` returns all three;
* ``set_ae`` — per-jet Chamfer distance between the particle set and its reconstruction;
* ``image_ae`` — per-jet mean squared pixel error.

The two jet-level models score each of the two leading jets (:meth:`JetLevel.score_jets`,
shape ``(n, 2)``) and aggregate per event with ``aggregate="max"`` (default) or ``"mean"``;
training uses the mean of the two jets' losses.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(256, 4))
>>> make("ae", epochs=2, seed=0).fit(X).score(X).shape
(256,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from sciood.detectors.invariance import Invariance
from sciood.detectors.nets import CNNDecoder, CNNEncoder, mlp, split_set
from sciood.detectors.part import SET_ENCODERS, SetEncoderKind, set_encoder, set_score_block
from sciood.detectors.registry import register
from sciood.detectors.torchbase import TorchDetector
from sciood.errors import ConfigError
from sciood.represent.sets import DEFAULT_MAX_PARTICLES, N_SET_CHANNELS

__all__ = ["VAE", "Autoencoder", "ImageAutoencoder", "JetLevel", "SetAutoencoder",
           "check_set_encoder"]

Decor = Literal["disco", "adversarial"] | None


def _bottleneck(det: TorchDetector) -> int:
    """The ``latent`` *parameter* (bottleneck size).  It is an instance attribute that hides
    the :meth:`~sciood.detectors.Detector.latent` method on these detectors (call
    :meth:`~sciood.detectors.Detector.encode` there); read it from the instance dict."""
    return int(det.__dict__["latent"])


@register("ae")
class Autoencoder(TorchDetector):
    """MLP autoencoder on standardised high-level features.

    Parameters
    ----------
    seed : int
    hidden : sequence of int
        Encoder widths (the decoder mirrors them).
    latent : int
        Bottleneck size; keep it below the number of features.
    epochs, batch_size, lr, weight_decay : training settings (Adam).
    dropout : float
        Dropout after hidden layers (enables ``mc_dropout``).
    decorrelate : {None, "disco", "adversarial"}
        Decorrelate the score from the ``observable`` given to ``fit``.
    decor_strength : float
        λ of the decorrelation penalty.
    invariance : {None, "adversarial", "irm"}
        Train over the environments given to ``fit(..., environment=)``
        (:mod:`sciood.detectors.invariance`).
    invariance_strength : float
        λ of the invariance penalty.
    """

    supports_decorrelation = True
    #: :meth:`latent` = the bottleneck (encoder output before the ReLU the decoder applies)
    latent_space = True

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (32, 32),
        latent: int = 2,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        decorrelate: Decor = None,
        decor_strength: float = 10.0,
        invariance: Invariance = None,
        invariance_strength: float = 1.0,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        d = int(np.prod(self._input_shape))
        hid = [int(h) for h in self.hidden]
        return nn.Sequential(
            mlp(d, hid, _bottleneck(self), dropout=float(self.dropout)),
            nn.ReLU(),
            mlp(_bottleneck(self), hid[::-1], d, dropout=float(self.dropout)),
        )

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return ((net(x) - x) ** 2).mean(1)

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        # the encoder's linear output (n, latent); the decoder sees its ReLU, which would
        # fold every negative coordinate onto 0 in a plot
        out: torch.Tensor = net[0](x)  # type: ignore[index]
        return out

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        err = self._batch_score(net, x)
        return err, err


class _VAENet(nn.Module):
    def __init__(self, d: int, hidden: list[int], latent: int, dropout: float) -> None:
        super().__init__()
        self.enc = mlp(d, hidden, 2 * latent, dropout=dropout)
        self.dec = mlp(latent, hidden[::-1], d, dropout=dropout)
        self.latent = latent

    def forward(self, x: torch.Tensor, sample: bool) -> tuple[torch.Tensor, ...]:
        h = self.enc(x)
        mu, logvar = h[:, : self.latent], h[:, self.latent:].clamp(-10.0, 10.0)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
        rec = self.dec(z)
        mse = ((rec - x) ** 2).mean(1)
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(1)
        return mse, kl


@register("vae")
class VAE(TorchDetector):
    """Variational autoencoder on standardised features (Gaussian encoder, N(0, 1) prior).

    Per-event loss: ``mse + beta * KL``.  ``score_space`` selects the score: ``"input"``
    (reconstruction error at z = μ), ``"latent"`` (KL term) or ``"combined"``.
    Other parameters as for :class:`Autoencoder`.  :meth:`latent` = the posterior mean μ(x).
    """

    supports_decorrelation = True
    latent_space = True

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (32, 32),
        latent: int = 2,
        beta: float = 0.1,
        score_space: Literal["input", "latent", "combined"] = "input",
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        decorrelate: Decor = None,
        decor_strength: float = 10.0,
        invariance: Invariance = None,
        invariance_strength: float = 1.0,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        if self.score_space not in ("input", "latent", "combined"):
            raise ConfigError(
                f"score_space must be 'input', 'latent' or 'combined', got {self.score_space!r}"
            )
        d = int(np.prod(self._input_shape))
        return _VAENet(d, [int(h) for h in self.hidden], _bottleneck(self), float(self.dropout))

    def _select(self, mse: torch.Tensor, kl: torch.Tensor) -> torch.Tensor:
        if self.score_space == "input":
            return mse
        if self.score_space == "latent":
            return kl
        return mse + float(self.beta) * kl

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        mse, kl = net(x, sample=False)
        return self._select(mse, kl)

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        mse, kl = net(x, sample=True)
        return mse + float(self.beta) * kl, self._select(mse, kl)

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(net, _VAENet):
            raise TypeError("VAE network expected")
        return net.enc(x)[:, : net.latent]

    def score_components(self, X: Any) -> dict[str, np.ndarray]:
        """Input-space, latent-space and combined scores, each shape ``(n,)``."""
        both = self._in_blocks(lambda net, x: torch.stack(net(x, sample=False), 1),
                               self._prepared(X))
        mse_np, kl_np = both[:, 0], both[:, 1]
        return {"input": mse_np, "latent": kl_np, "combined": mse_np + float(self.beta) * kl_np}


class JetLevel(TorchDetector):
    """Mixin for models that score each of the two leading jets (input ``(n, 2, ...)``)."""

    input_ndim = 4
    jet_level = True
    standardize = False

    def _jet_loss(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-jet loss for jets stacked on the batch axis, ``(B, ...) -> (B,)``."""
        raise NotImplementedError

    def _per_jet(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        b = x.shape[0]
        return self._jet_loss(net, x.reshape(b * x.shape[1], *x.shape[2:])).reshape(b, -1)

    def _aggregate(self, per_jet: torch.Tensor) -> torch.Tensor:
        if self.aggregate == "max":
            return per_jet.max(1).values
        if self.aggregate == "mean":
            return per_jet.mean(1)
        raise ConfigError(f"aggregate must be 'max' or 'mean', got {self.aggregate!r}")

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        pj = self._per_jet(net, x)
        return pj.mean(1), self._aggregate(pj)

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self._aggregate(self._per_jet(net, x))

    def score_jets(self, X: Any) -> np.ndarray:
        """Per-jet scores, shape ``(n, 2)`` (column 0 = j1, the lighter jet)."""
        return self._in_blocks(self._per_jet, self._prepared(X))


class _SetAENet(nn.Module):
    def __init__(self, m: int, latent: int, hidden: int, kind: str, heads: int, layers: int,
                 dropout: float) -> None:
        super().__init__()
        self.m = m
        self.encoder = set_encoder(kind, latent, hidden=hidden, heads=heads, layers=layers,
                                   dropout=dropout)
        self.decoder = mlp(latent, [hidden, hidden], m * 3, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats, mask = split_set(x)
        rec = self.decoder(self.encoder(feats, mask)).reshape(-1, self.m, 3)
        return chamfer(feats, mask, rec)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Encoder output of jets ``(B, m, 4) -> (B, latent)``."""
        feats, mask = split_set(x)
        out: torch.Tensor = self.encoder(feats, mask)
        return out


def chamfer(real: torch.Tensor, mask: torch.Tensor, rec: torch.Tensor) -> torch.Tensor:
    """Masked Chamfer distance between sets, ``(B, m, F), (B, m), (B, k, F) -> (B,)``.

    Mean over real particles of the squared distance to the nearest reconstructed point,
    plus the mean over reconstructed points of the distance to the nearest real particle.
    A set without particles has distance 0.
    """
    d = ((real[:, :, None, :] - rec[:, None, :, :]) ** 2).sum(-1)  # (B, m, k)
    mf = mask.to(real.dtype)
    n_real = mf.sum(1)
    to_rec = (d.min(2).values * mf).sum(1) / n_real.clamp(min=1.0)
    big = torch.finfo(real.dtype).max / 4
    to_real = d.masked_fill(~mask[:, :, None], big).min(1).values.mean(1)
    to_real = torch.where(n_real > 0, to_real, torch.zeros_like(to_real))
    return to_rec + to_real


@register("set_ae")
class SetAutoencoder(JetLevel):
    """Permutation-invariant set autoencoder on jet constituents (representation ``sets``).

    Encoder (``encoder=``, built by :func:`~sciood.detectors.part.set_encoder`):
    ``"deepsets"`` or ``"transformer"`` (:class:`~sciood.detectors.nets.SetEncoder`),
    ``"part"`` (:class:`~sciood.detectors.part.ParticleTransformerEncoder`, attention biased
    by pairwise ΔR, k_T, z, m²) or ``"lorentz"``
    (:class:`~sciood.detectors.lorentz.LorentzEncoder`, Minkowski inner products only, so
    the latent code is Lorentz-invariant; the reconstruction target stays the jet-frame
    set, so the score is not).  ``max_particles`` (default 100) is the cap per jet and is
    saved with the model's parameters; decoder: MLP to ``max_particles`` points; loss:
    masked Chamfer distance, which does not depend on the order of particles.  Per-jet
    score = that distance; event score = ``aggregate`` over the two jets (default max).
    Scoring runs in blocks of :func:`~sciood.detectors.part.set_score_block` events
    (192 at 100 particles) to bound the memory of the ``m × m`` tensors.
    """

    #: :meth:`latent` = the encoder output of each jet, shape ``(n, 2, latent)``
    latent_space = True

    def __init__(
        self,
        *,
        seed: int = 0,
        max_particles: int = DEFAULT_MAX_PARTICLES,
        encoder: SetEncoderKind = "deepsets",
        latent: int = 8,
        hidden: int = 64,
        heads: int = 4,
        layers: int = 2,
        aggregate: Literal["max", "mean"] = "max",
        epochs: int = 20,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "sets",
    ) -> None:
        self._store(locals())

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        super()._check_params(params)
        check_set_encoder("set_ae", params["encoder"], params["hidden"], params["heads"])

    @property
    def score_batch_size(self) -> int:  # type: ignore[override]
        """Events per scoring block: :func:`~sciood.detectors.part.set_score_block` of the
        particle slots per jet (of the fitted input, else ``max_particles``)."""
        shape = getattr(self, "_input_shape", None)
        m = int(shape[-2]) if shape else int(self.max_particles)
        return set_score_block(m)

    def _build(self) -> nn.Module:
        if self._input_shape[-1] != N_SET_CHANNELS:
            raise ConfigError(f"set_ae needs the 'sets' representation (last axis "
                              f"{N_SET_CHANNELS}), got per-event shape {self._input_shape}")
        return _SetAENet(int(self._input_shape[1]), _bottleneck(self), int(self.hidden),
                         str(self.encoder), int(self.heads), int(self.layers),
                         float(self.dropout))

    def _jet_loss(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net(x)
        return out

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        if not isinstance(net, _SetAENet):
            raise TypeError("set AE network expected")
        b, j = x.shape[:2]
        return net.embed(x.reshape(b * j, *x.shape[2:])).reshape(b, j, -1)


def check_set_encoder(owner: str, encoder: Any, hidden: Any, heads: Any) -> None:
    """Refuse an unknown set ``encoder`` or ``hidden`` not divisible by ``heads`` for an
    attention encoder, with a :class:`ConfigError` naming ``owner`` and the fix."""
    if encoder not in SET_ENCODERS:
        raise ConfigError(f"{owner}: encoder must be one of {list(SET_ENCODERS)}, got "
                          f"{encoder!r}")
    if encoder in ("transformer", "part") and int(hidden) % int(heads):
        raise ConfigError(f"{owner}: hidden={hidden} must be divisible by heads={heads} "
                          f"for the {encoder} encoder")


class _ImageAENet(nn.Module):
    def __init__(self, npix: int, latent: int, channels: int, dropout: float) -> None:
        super().__init__()
        self.enc = CNNEncoder(npix, latent, channels=channels, dropout=dropout)
        self.dec = CNNDecoder(npix, latent, channels=channels, dropout=dropout)
        self.scale = float(npix * npix)  # images sum to 1: mean pixel becomes O(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(1) * self.scale
        return ((self.dec(self.enc(x)) - x) ** 2).mean((1, 2, 3))


@register("image_ae")
class ImageAutoencoder(JetLevel):
    """Convolutional autoencoder on jet images (representation ``images``).

    Per-jet score: mean squared pixel error of the image scaled by ``npix²`` (images are
    normalised to unit sum); event score = ``aggregate`` over the two jets (default max).
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        npix: int = 32,
        latent: int = 16,
        channels: int = 8,
        aggregate: Literal["max", "mean"] = "max",
        epochs: int = 20,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "images",
    ) -> None:
        self._store(locals())

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        super()._check_params(params)
        if int(params["npix"]) % 4:
            raise ConfigError(f"image_ae: npix must be divisible by 4 for the CNN, got "
                              f"{params['npix']}")

    def _build(self) -> nn.Module:
        p = int(self._input_shape[-1])
        if self._input_shape[-2] != p:
            raise ConfigError(f"image_ae needs square images, got {self._input_shape}")
        return _ImageAENet(p, _bottleneck(self), int(self.channels), float(self.dropout))

    def _jet_loss(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net(x)
        return out
