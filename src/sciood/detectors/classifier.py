"""Classifier-based detectors: supervised reference, outlier exposure, MSP and energy.

* ``supervised`` — binary background-vs-signal classifier, the Neyman–Pearson reference
  (it sees the signal, so it is an upper bound, not an anomaly detector).  Score = logit.
* ``oe_vae`` — VAE trained with outlier exposure (Cheng et al., arXiv:2007.01850): the
  VAE loss on background plus a margin term pushing exposure events' score above the
  batch's background score, ``λ · max(0, margin + mean s(x_bg) − s(x_oe))``.  The exposure
  events are those with ``y = 1`` at fit; they must come from processes disjoint from every
  signal the detector is tested on (the benchmark states which).
* ``msp`` / ``energy`` — a multi-class classifier over the *background processes*
  (``y`` = class names); an event unlike every class gets a low maximum softmax
  probability (score ``1 − max p``, Hendrycks & Gimpel 2017) or a high free energy
  (score ``−T · logsumexp(f / T)``, Liu et al. 2020).

All take ``representation="hlf"`` (MLP backbone) or ``"sets"``: the two jets' particle
sets are encoded by one shared set encoder (``encoder="deepsets"``, ``"transformer"``,
``"part"`` or ``"lorentz"``, built by :func:`~sciood.detectors.part.set_encoder`, the same
encoders as ``set_ae``) and the two embeddings concatenated before the head.  With
``encoder="lorentz"`` the score is invariant under a Lorentz transformation of each jet's
constituents.  Set inputs are scored in blocks of
:func:`~sciood.detectors.part.set_score_block` events.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> X = np.r_[rng.normal(size=(200, 3)), rng.normal(2, 1, size=(200, 3))]
>>> y = np.r_[np.zeros(200), np.ones(200)]
>>> s = make("supervised", epochs=5, seed=0).fit(X, y).score(X)
>>> bool(s[200:].mean() > s[:200].mean())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from sciood.detectors.autoencoder import VAE, Decor, check_set_encoder
from sciood.detectors.inputs import SCORE_BLOCK, LabelKind
from sciood.detectors.invariance import Invariance
from sciood.detectors.nets import mlp, split_set
from sciood.detectors.part import SetEncoderKind, set_encoder, set_score_block
from sciood.detectors.registry import register
from sciood.detectors.torchbase import TorchDetector
from sciood.errors import ConfigError, DataError
from sciood.represent.sets import DEFAULT_MAX_PARTICLES

__all__ = ["BackgroundClassifier", "EnergyScore", "MaxSoftmax", "OutlierExposureVAE",
           "Supervised", "backbone", "balanced_weights"]


class _SetHead(nn.Module):
    def __init__(self, n_jets: int, n_out: int, hidden: list[int], kind: str,
                 latent: int, dropout: float) -> None:
        super().__init__()
        self.encoder = set_encoder(kind, latent, hidden=max(hidden[0], 16), dropout=dropout)
        self.head = mlp(n_jets * latent, hidden, n_out, dropout=dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, j = x.shape[:2]
        feats, mask = split_set(x.reshape(b * j, *x.shape[2:]))
        z = self.encoder(feats, mask).reshape(b, -1)
        out: torch.Tensor = self.head(z)
        return out


def backbone(input_shape: tuple[int, ...], hidden: Sequence[int], n_out: int, *,
             encoder: str = "deepsets", dropout: float = 0.0) -> nn.Module:
    """Classifier network for features ``(d,)`` or particle sets ``(2, m, 4)``.

    ``encoder`` (one of :data:`~sciood.detectors.part.SET_ENCODERS`) encodes each jet's set;
    its width is ``max(hidden[0], 16)`` (4 attention heads, 2 layers).
    """
    hid = [int(h) for h in hidden]
    if len(input_shape) == 1:
        return mlp(int(input_shape[0]), hid, n_out, dropout=dropout)
    if len(input_shape) == 3:
        return _SetHead(int(input_shape[0]), n_out, hid, encoder, 16, dropout)
    raise ConfigError(f"no classifier backbone for per-event input shape {input_shape}")


def balanced_weights(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Copy of ``w`` (shape ``(n,)``) rescaled so classes 0 and 1 carry equal total weight.

    Raises
    ------
    DataError
        A class whose (signed) total weight is not positive.
    """
    w = w.copy()
    for c in (0, 1):
        m = y == c
        w[m] *= 0.5 * len(w) / class_weight_sum(w[m], f"class {c}")
    return w


def class_weight_sum(w: np.ndarray, what: str) -> float:
    """``w.sum()`` if positive, else a :class:`DataError` naming ``what``."""
    total = float(w.sum())
    if not total > 0:
        raise DataError(
            f"the training weights of {what} sum to {total:.4g} ({int((w < 0).sum())} of "
            f"{len(w)} negative); a class needs a positive total weight to be balanced — "
            "add events of that class, or clip its negative weights")
    return total


class _ClassifierBase(TorchDetector):
    #: :meth:`latent` = the last hidden layer (after its ReLU), shape ``(n, hidden[-1])``
    latent_space = True

    def _expected_ndim(self) -> int:
        return 4 if self.representation == "sets" else 2

    def _uses_scaler(self) -> bool:
        return self.representation == "hlf"

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        super()._check_params(params)
        if "encoder" in params:
            hidden = list(params.get("hidden") or [16])
            check_set_encoder(str(cls.name), params["encoder"], max(int(hidden[0]), 16), 4)

    @property
    def score_batch_size(self) -> int:  # type: ignore[override]
        """Events per scoring block: :func:`~sciood.detectors.part.set_score_block` for
        particle sets ``(2, m, 4)``, else :data:`~sciood.detectors.inputs.SCORE_BLOCK`."""
        shape = getattr(self, "_input_shape", None)
        if shape and len(shape) == 3:
            return set_score_block(int(shape[1]), int(shape[0]))
        return SCORE_BLOCK

    @property
    def has_latent(self) -> bool:
        """True unless the classifier is boosted trees (``classifier="hgb"``), which have no
        latent space; a subclass with a ``latent`` method of its own has one regardless."""
        if type(self).latent is not TorchDetector.latent:
            return True
        return getattr(self, "classifier", "mlp") != "hgb"

    def _no_latent_note(self) -> str:
        return " with classifier='hgb' (boosted trees); use classifier='mlp'"

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return last_hidden(net, x)


def last_hidden(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Activations of the last hidden layer of a :func:`backbone` network, ``(b, h)``."""
    if isinstance(net, _SetHead):
        b, j = x.shape[:2]
        feats, mask = split_set(x.reshape(b * j, *x.shape[2:]))
        z = net.encoder(feats, mask).reshape(b, -1)
        head: nn.Module = net.head
    else:
        z, head = x, net
    if not isinstance(head, nn.Sequential):  # pragma: no cover - backbone() builds these
        raise TypeError("classifier backbone (nn.Sequential) expected")
    out: torch.Tensor = head[:-1](z)
    return out


@register("supervised")
class Supervised(_ClassifierBase):
    """Binary classifier (``y``: 0 = background, 1 = signal); score = logit.

    ``balance=True`` reweights so both classes carry equal total weight.  ``decorrelate``
    penalises dependence of the background's sigmoid output on the observable.
    """

    label_kind: ClassVar[LabelKind] = "binary"
    supports_decorrelation = True

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        balance: bool = True,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        max_particles: int = DEFAULT_MAX_PARTICLES,
        encoder: SetEncoderKind = "deepsets",
        decorrelate: Decor = None,
        decor_strength: float = 10.0,
        invariance: Invariance = None,
        invariance_strength: float = 1.0,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        return backbone(self._input_shape, self.hidden, 1, encoder=self.encoder,
                        dropout=float(self.dropout))

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        if self.balance:
            w = balanced_weights(y, w)
        super()._fit_arrays(X, y, w, obs)

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net(x).squeeze(1)
        return out

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        logit = self._batch_score(net, x)
        if y is None:
            raise DataError("supervised needs labels")
        loss = nn.functional.binary_cross_entropy_with_logits(
            logit, y.to(logit.dtype), reduction="none")
        return loss, torch.sigmoid(logit)


class BackgroundClassifier(_ClassifierBase):
    """Multi-class classifier over background processes; OOD score from its logits.

    ``balance=True`` (default) gives every class the same total weight: with
    cross-section weights a rare background (tt̄ beside QCD) would otherwise be ignored.
    """

    label_kind: ClassVar[LabelKind] = "multiclass"
    kind: str = "msp"

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (64, 64),
        temperature: float = 1.0,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        balance: bool = True,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
        max_particles: int = DEFAULT_MAX_PARTICLES,
        encoder: SetEncoderKind = "deepsets",
    ) -> None:
        self._store(locals())

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        classes = sorted(set(np.asarray(y).tolist()))
        if len(classes) < 2:
            raise DataError(
                f"{self.name} needs at least two background classes in y, got {classes}; "
                "train on several background processes (e.g. qcd, ttbar, wjets)"
            )
        self._classes = classes
        yi = np.searchsorted(np.asarray(classes), np.asarray(y))
        if self.balance:
            w = w.copy()
            for c in range(len(classes)):
                m = yi == c
                w[m] *= len(w) / (len(classes) * class_weight_sum(w[m], f"class {classes[c]!r}"))
        super()._fit_arrays(X, yi, w, obs)

    @property
    def classes(self) -> list[str]:
        """Background class names (the classifier's outputs, in order)."""
        return list(self._classes)

    def _extra_state(self) -> dict[str, Any]:
        return {"classes": self._classes}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._classes = list(state["classes"])

    def _build(self) -> nn.Module:
        return backbone(self._input_shape, self.hidden, len(self._classes),
                        encoder=self.encoder, dropout=float(self.dropout))

    def _ood(self, logits: torch.Tensor) -> torch.Tensor:
        t = float(self.temperature)
        if self.kind == "msp":
            return 1.0 - torch.softmax(logits / t, dim=1).max(1).values
        return -t * torch.logsumexp(logits / t, dim=1)

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return self._ood(net(x))

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        logits = net(x)
        if y is None:
            raise DataError(f"{self.name} needs labels")
        return nn.functional.cross_entropy(logits, y, reduction="none"), self._ood(logits)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape ``(n, n_classes)`` (columns = :attr:`classes`)."""
        t = float(self.temperature)
        return self._in_blocks(lambda net, x: torch.softmax(net(x) / t, 1), self._prepared(X))


@register("msp")
class MaxSoftmax(BackgroundClassifier):
    """Maximum-softmax-probability score ``1 − max_k p_k`` of a background classifier."""

    kind = "msp"


@register("energy")
class EnergyScore(BackgroundClassifier):
    """Free-energy score ``−T logsumexp(f/T)`` of a background classifier."""

    kind = "energy"


@register("oe_vae")
class OutlierExposureVAE(VAE):
    """VAE with an outlier-exposure margin loss (``y = 1`` marks exposure events).

    Parameters (besides the VAE's)
    ------------------------------
    oe_strength : float
        λ of the margin term.
    oe_margin : float
        Required gap between exposure and background scores.
    """

    label_kind: ClassVar[LabelKind] = "exposure"
    supports_decorrelation = False

    def __init__(
        self,
        *,
        seed: int = 0,
        hidden: Sequence[int] = (32, 32),
        latent: int = 2,
        beta: float = 0.1,
        score_space: Literal["input", "latent", "combined"] = "input",
        oe_strength: float = 1.0,
        oe_margin: float = 1.0,
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
    ) -> None:
        self._store(locals())

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        mse, kl = net(x, sample=True)
        s = self._select(mse, kl)
        if y is None:
            raise DataError("oe_vae needs y (1 = exposure event)")
        inl = y == 0
        s_in = s[inl].mean() if bool(inl.any()) else s.new_zeros(())
        margin = float(self.oe_strength) * torch.relu(float(self.oe_margin) + s_in - s)
        loss = torch.where(inl, mse + float(self.beta) * kl, margin)
        return loss, s
