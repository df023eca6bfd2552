"""Nuisance-parameterised training: the nuisance ν is an input, profiled or marginalised.

``make("nuisance_param", base="ae" | "vae" | "flow", ...)`` trains a *conditional* torch
model on ``[x, ν]``, where ν is the nuisance value of each training event's environment
(e.g. the jet-energy-scale shift in units of its σ: ``sim`` = 0, JES up = +1, JES down = −1;
Baldi et al., EPJC 76 (2016) 235, for parameterised networks).  ν is passed at fit, either
directly (``nuisance=`` floats) or through integer environments (``environment=`` labels
``k`` mapped to ``nuisance_values[k]``); :func:`sciood.detectors.invariance.environments`
builds both from EventSets of different variants (their provenance names the detector card).

The conditioning is part of the network, never of its target:

* ``base="ae"`` — encoder ``[x, ν] -> z``, decoder ``[z, ν] -> x̂``; per-event loss and
  score ``mean((x̂ − x)²)`` (the reconstruction of *x* only);
* ``base="vae"`` — the same with a Gaussian encoder, loss ``mse + β·KL``, score the
  reconstruction error at ``z = μ(x, ν)``;
* ``base="flow"`` — a zuko MAF for ``p(x | ν)``; score ``−log p(x | ν)`` in the features'
  original units.

At inference ν is unknown: the event is scored at every ν of a grid (``grid``; default the
distinct training values) and the scores ``s_k(x) = s(x, ν_k)`` are combined:

* ``inference="profile"`` — ``min_k s_k``: the most background-like value of the nuisance
  (for the flow, the profile likelihood ``−log max_k p(x | ν_k)``);
* ``inference="marginal"`` — the mean over a prior ``π_k ∝ exp(−ν_k² / 2 w²)``
  (``w = prior_width``; ``None``: uniform): ``Σ_k π_k s_k`` for the autoencoders and
  the marginal likelihood ``−log Σ_k π_k p(x | ν_k)`` for the flow.

ν is standardised with its training mean and standard deviation (1 when constant) before the
network sees it, so any unit works.  Scoring runs each grid point in the fixed blocks of the
torch detectors and combines per row, so a score never depends on the batch.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> nu = rng.choice([-1.0, 0.0, 1.0], size=300)
>>> X = rng.normal(size=(300, 3)) + 0.5 * nu[:, None]
>>> det = make("nuisance_param", base="ae", epochs=2, seed=0).fit(X, nuisance=nu)
>>> det.nuisance_grid, det.grid_scores(X).shape
([-1.0, 0.0, 1.0], (3, 300))
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from sciood.detectors.nets import mlp
from sciood.detectors.registry import register
from sciood.detectors.torchbase import TorchDetector
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
require("zuko", "ml")
import torch  # noqa: E402
import zuko  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["BASES", "NuisanceParameterised", "nuisance_of"]

log = logging.getLogger(__name__)

Base = Literal["ae", "vae", "flow"]
Inference = Literal["profile", "marginal"]
BASES = ("ae", "vae", "flow")


class _CondAE(nn.Module):
    """``[x, ν] -> z``, ``[z, ν] -> x̂``; rows of the input are ``[x, ν]``."""

    def __init__(self, d: int, hidden: list[int], latent: int, dropout: float,
                 variational: bool) -> None:
        super().__init__()
        self.d, self.latent, self.variational = d, latent, variational
        self.enc = mlp(d + 1, hidden, (2 if variational else 1) * latent, dropout=dropout)
        self.dec = mlp(latent + 1, hidden[::-1], d, dropout=dropout)

    def forward(self, xc: torch.Tensor, sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-event (mse, kl), each ``(b,)`` (kl = 0 for the plain autoencoder)."""
        x, nu = xc[:, :self.d], xc[:, self.d:]
        h = self.enc(xc)
        if self.variational:
            mu, logvar = h[:, :self.latent], h[:, self.latent:].clamp(-10.0, 10.0)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if sample else mu
            kl = 0.5 * (mu ** 2 + logvar.exp() - 1.0 - logvar).sum(1)
        else:
            z, kl = torch.relu(h), torch.zeros(len(x), dtype=x.dtype, device=x.device)
        rec = self.dec(torch.cat([z, nu], 1))
        return ((rec - x) ** 2).mean(1), kl


class _CondFlow(nn.Module):
    """MAF for ``p(x | ν)``; rows of the input are ``[x, ν]``."""

    def __init__(self, d: int, transforms: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.d = d
        self.flow = zuko.flows.MAF(d, 1, transforms=transforms, hidden_features=hidden)

    def forward(self, xc: torch.Tensor, sample: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-event (−log p(x | ν), 0), each ``(b,)``."""
        del sample
        nll: torch.Tensor = -self.flow(xc[:, self.d:]).log_prob(xc[:, :self.d])
        return nll, torch.zeros_like(nll)


def nuisance_of(nuisance: Any, environment: Any, values: Sequence[float], n: int) -> np.ndarray:
    """Per-event nuisance ν ``(n,)`` from ``nuisance=`` or ``environment=`` (clear errors).

    Parameters
    ----------
    nuisance : array-like of float, shape ``(n,)``, or None
    environment : array-like of int, shape ``(n,)``, or None
        Label ``k`` means ``ν = values[k]``.
    values : sequence of float
        ``nuisance_values`` of the detector.
    n : int
        Number of training events.

    Returns
    -------
    ndarray, shape ``(n,)``, float64 (zeros when both are ``None``).
    """
    if nuisance is not None and environment is not None:
        raise ConfigError("give nuisance= (the value of each event) or environment= (labels "
                          "mapped through nuisance_values), not both")
    if nuisance is None and environment is None:
        log.warning("nuisance_param fitted without nuisance= or environment=: nu = 0 for "
                    "every event, so the model cannot learn the nuisance's effect (it is a "
                    "plain conditional model at the nominal value)")
        return np.zeros(n)
    arr = np.asarray(nuisance if nuisance is not None else environment)
    what = "nuisance" if nuisance is not None else "environment"
    if arr.ndim != 1 or len(arr) != n:
        raise DataError(f"{what} must have shape ({n},) like the training events, got "
                        f"{arr.shape}")
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.number):
        raise DataError(f"{what} must be numeric, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{what} holds NaN or Inf; give a finite value for every event")
    if nuisance is not None:
        return arr.astype(np.float64)
    if not np.all(arr == np.round(arr)) or arr.min() < 0 or arr.max() >= len(values):
        raise DataError(f"environment labels must be integers 0 .. {len(values) - 1} indexing "
                        f"nuisance_values={list(values)}, got {np.unique(arr).tolist()}; "
                        "extend nuisance_values or pass nuisance= directly")
    return np.asarray(values, dtype=np.float64)[arr.astype(np.int64)]


@register("nuisance_param")
class NuisanceParameterised(TorchDetector):
    """Conditional AE / VAE / flow on ``[x, ν]``; ν profiled or marginalised at inference.

    Parameters
    ----------
    seed : int
    base : {"ae", "vae", "flow"}
        The conditional model (see the module docstring).
    nuisance_values : sequence of float
        ν of environment ``k`` when fitting with ``environment=`` (default: 0 = ``sim``,
        +1 = JES up, −1 = JES down, in units of the JES σ).
    inference : {"profile", "marginal"}
        How the scores over the ν grid are combined.
    grid : sequence of float or None
        ν values scored at inference; ``None``: the distinct training values.
    prior_width : float or None
        Width w of the Gaussian prior (centred on ν = 0) of ``"marginal"``; ``None``: uniform.
    hidden : sequence of int
        Hidden widths (encoder; the decoder mirrors them) or the flow's MADE widths.
    latent : int
        Bottleneck size (``ae``, ``vae``).
    beta : float
        KL weight (``vae``).
    transforms : int
        Autoregressive transforms (``flow``).
    epochs, batch_size, lr, weight_decay, dropout, device, representation, features
        As for the other torch detectors.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        base: Base = "ae",
        nuisance_values: Sequence[float] = (0.0, 1.0, -1.0),
        inference: Inference = "profile",
        grid: Sequence[float] | None = None,
        prior_width: float | None = 1.0,
        hidden: Sequence[int] = (32, 32),
        latent: int = 2,
        beta: float = 0.1,
        transforms: int = 4,
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

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        if params["base"] not in BASES:
            raise ConfigError(f"nuisance_param: base must be one of {list(BASES)}, got "
                              f"{params['base']!r}")
        if params["inference"] not in ("profile", "marginal"):
            raise ConfigError("nuisance_param: inference must be 'profile' or 'marginal', got "
                              f"{params['inference']!r}")
        if len(params["nuisance_values"]) < 1:
            raise ConfigError("nuisance_param: nuisance_values needs >= 1 value (ν of "
                              "environment 0, 1, ...)")
        if params["grid"] is not None and len(params["grid"]) < 1:
            raise ConfigError("nuisance_param: grid needs >= 1 value, or None for the "
                              "training values")
        width = params["prior_width"]
        if width is not None and not width > 0:
            raise ConfigError(f"nuisance_param: prior_width must be > 0 or None (uniform), "
                              f"got {width}")

    # ---- training
    def fit(self, X: Any, y: Any = None, *, nuisance: Any = None, environment: Any = None,
            **kwargs: Any) -> Any:
        """:meth:`Detector.fit` with the nuisance value of every training event.

        Parameters
        ----------
        nuisance : array-like of float, shape ``(n,)``, optional
            ν of each event (e.g. the JES shift in σ).
        environment : array-like of int, shape ``(n,)``, optional
            Environment labels; label ``k`` means ``ν = nuisance_values[k]``.

        Without either, ν = 0 for every event (a warning is logged).
        """
        self._fit_nu = nuisance_of(nuisance, environment, self.nuisance_values, len(X))
        try:
            return super().fit(X, y, **kwargs)
        finally:
            del self._fit_nu

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        nu = np.asarray(self._fit_nu, dtype=np.float64)
        self._nu_seen = sorted(float(v) for v in np.unique(nu))
        self._nu_mean = float(np.average(nu, weights=np.abs(w)))
        std = float(np.sqrt(np.average((nu - self._nu_mean) ** 2, weights=np.abs(w))))
        self._nu_scale = std if std > 0 else 1.0
        super()._fit_arrays(self._with_nu(X, nu), y, w, obs)

    def _with_nu(self, X: np.ndarray, nu: Any) -> np.ndarray:
        """Rows ``[x, standardised ν]``, shape ``(n, d + 1)``, in the model's dtype."""
        col = (np.broadcast_to(np.asarray(nu, np.float64), (len(X),)) - self._nu_mean)
        return np.c_[X, col / self._nu_scale].astype(self.dtype)

    def _build(self) -> nn.Module:
        d = int(np.prod(self._input_shape))
        hid = [int(h) for h in self.hidden]
        if self.base == "flow":
            return _CondFlow(d, int(self.transforms), tuple(hid))
        if self.base in ("ae", "vae"):
            return _CondAE(d, hid, int(self.__dict__["latent"]), float(self.dropout),
                           self.base == "vae")
        raise ConfigError(f"nuisance_param: base must be one of {list(BASES)}, got "
                          f"{self.base!r}")

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        mse, kl = net(x, sample=True)
        return mse + float(self.beta) * kl, mse

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = net(x, sample=False)[0]
        return out

    # ---- scoring
    @property
    def nuisance_grid(self) -> list[float]:
        """The ν values scored at inference (``grid``, else the distinct training values)."""
        self._check_fitted()
        return [float(v) for v in (self.grid if self.grid is not None else self._nu_seen)]

    def prior(self) -> np.ndarray:
        """Prior weights ``π_k`` of :attr:`nuisance_grid`, shape ``(K,)``, summing to 1."""
        g = np.asarray(self.nuisance_grid)
        if self.prior_width is None:
            return np.full(len(g), 1.0 / len(g))
        p = np.exp(-0.5 * (g / float(self.prior_width)) ** 2)
        out: np.ndarray = p / p.sum()
        return out

    def _offset(self) -> float:
        # the flow's −log p of standardised features + Σ log σ_j = −log p in feature units
        return float(np.log(np.asarray(self._scaler.scale_)).sum()) if self.base == "flow" else 0.0

    def _grid_arrays(self, X: np.ndarray) -> np.ndarray:
        """Scores of standardised ``X`` ``(n, d)`` at every grid point, shape ``(K, n)``."""
        return np.stack([self._in_blocks(self._batch_score, self._with_nu(X, nu))
                         for nu in self.nuisance_grid]) + self._offset()

    def _predict(self, X: np.ndarray, *, mc_dropout: bool = False) -> np.ndarray:
        """Scores ``(n,)``: rows ``[x, ν]`` (the training rows) at their own ν; rows ``x``
        combined over the ν grid (``inference``)."""
        if X.shape[1] == int(np.prod(self._input_shape)) + 1:
            return super()._predict(X, mc_dropout=mc_dropout)
        return self._combine(self._grid_arrays(X))

    def _combine(self, s: np.ndarray) -> np.ndarray:
        """Grid scores ``(K, n)`` -> one score per event ``(n,)``."""
        if self.inference == "profile":
            out: np.ndarray = s.min(0)
            return out
        logp = np.log(self.prior())[:, None]
        if self.base == "flow":  # −log Σ_k π_k p(x | ν_k)
            m = (logp - s).max(0)
            return -(m + np.log(np.exp(logp - s - m).sum(0)))
        return np.asarray((np.exp(logp) * s).sum(0))

    def grid_scores(self, X: Any) -> np.ndarray:
        """Scores at every ν of :attr:`nuisance_grid`, shape ``(K, n)``."""
        return self._grid_arrays(self._prepared(X))

    def score_at(self, X: Any, nu: float) -> np.ndarray:
        """Scores with the nuisance fixed at ``nu``, shape ``(n,)``."""
        if not np.isfinite(nu):
            raise DataError(f"nu must be finite, got {nu}")
        arr = self._prepared(X)
        return self._in_blocks(self._batch_score, self._with_nu(arr, float(nu))) + self._offset()

    # ---- state
    def _extra_state(self) -> dict[str, Any]:
        return {"nu_seen": self._nu_seen, "nu_mean": self._nu_mean, "nu_scale": self._nu_scale}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        self._nu_seen = [float(v) for v in state["nu_seen"]]
        self._nu_mean, self._nu_scale = float(state["nu_mean"]), float(state["nu_scale"])
