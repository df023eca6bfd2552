"""Training over environments: a score whose distribution does not depend on the environment.

An *environment* is an integer label per training event (``sim``, a ``data``-like tune,
JES ±1σ, ...), passed to :meth:`TorchDetector.fit` as ``environment=``.  Two penalties are
added to a torch detector's training loss when its ``invariance=`` parameter is set
(``invariance_strength`` = λ); scoring is untouched, so a score never depends on the batch.

* ``"adversarial"`` — domain-adversarial training (Ganin et al., JMLR 17 (2016) 59): an
  adversary reads the (batch-standardised) per-event score of the background events through a
  gradient-reversal layer and predicts the environment.  One backward pass trains the
  adversary to minimise its cross-entropy and, through the reversed gradient scaled by λ, the
  detector to maximise it.  The cross-entropy uses the event weights renormalised so every
  environment carries the same total weight (a large ``sim`` sample does not dominate).
* ``"irm"`` — the IRMv1 penalty (Arjovsky et al., arXiv:1907.02893): the squared gradient,
  w.r.t. a dummy scale ``s = 1`` on the per-event loss, of each environment's weighted risk
  ``R_e(s)``, summed over environments.  The detectors' losses are linear in such a scale, so
  the raw gradient would be the risk itself; it is taken of ``R_e(s) − R̄(s)`` (``R̄`` the mean
  over environments), which makes the penalty ``Σ_e (R_e − R̄)²`` — zero when every
  environment has the same risk (the variance-of-risks form, V-REx, Krueger et al. 2021).

Example
-------
>>> import torch
>>> x = torch.ones(3, requires_grad=True)
>>> grad_reverse(x, 2.0).sum().backward()
>>> x.grad.tolist()
[-2.0, -2.0, -2.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["METHODS", "Invariance", "InvariancePenalty", "check_environment", "environment_drift",
           "environments", "grad_reverse"]

Invariance = Literal["adversarial", "irm"] | None
METHODS = ("adversarial", "irm")


class _GradReverse(torch.autograd.Function):
    """Identity forward; gradient multiplied by ``-lam`` backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, lam: float) -> torch.Tensor:
        ctx.lam = lam
        return x.view_as(x)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor, None]:
        return -ctx.lam * grad, None


def grad_reverse(x: torch.Tensor, lam: float) -> torch.Tensor:
    """Gradient-reversal layer: ``x`` forward, ``-lam · ∂L/∂x`` backward (Ganin et al.)."""
    out: torch.Tensor = _GradReverse.apply(x, float(lam))
    return out


def check_environment(environment: Any, n: int, method: str | None) -> np.ndarray:
    """Environment labels ``(n,)`` recoded to ``0 .. K-1``; clear errors for bad input.

    Parameters
    ----------
    environment : array-like of int, shape ``(n,)``
    n : int
        Number of training events.
    method : str or None
        The detector's ``invariance`` (``None``: an environment makes no sense, error).

    Raises
    ------
    ConfigError
        ``environment`` given without ``invariance``, or ``invariance`` set without one.
    DataError
        Wrong length, non-integer labels, or fewer than 2 distinct environments.
    """
    if method is None:
        if environment is not None:
            raise ConfigError("environment= was given but invariance is None; set "
                              "invariance='adversarial' or 'irm', or drop environment=")
        return np.zeros(0, np.int64)
    if method not in METHODS:
        raise ConfigError(f"invariance must be None, 'adversarial' or 'irm', got {method!r}")
    if environment is None:
        raise DataError(f"invariance={method!r} needs the environment of every training event: "
                        "fit(X, environment=labels) with an integer array of shape (n,) "
                        "(EventSets carry no per-event environment column; "
                        "invariance.environments([sim, jes_up, ...]) builds the labels from "
                        "the variants of several EventSets)")
    env = np.asarray(environment)
    if env.ndim != 1 or len(env) != n:
        raise DataError(f"environment must have shape ({n},) like the training events, got "
                        f"{env.shape}")
    if env.dtype == bool or not (np.issubdtype(env.dtype, np.integer) or (
            np.issubdtype(env.dtype, np.floating) and np.all(np.isfinite(env))
            and np.all(env == np.round(env)))):
        raise DataError(f"environment must hold integer labels, got dtype {env.dtype}; "
                        "encode each environment as 0, 1, ...")
    values, codes = np.unique(env.astype(np.int64), return_inverse=True)
    if len(values) < 2:
        raise DataError(f"invariance={method!r} needs at least 2 environments, got "
                        f"{values.tolist()}; add events from another variant (e.g. JES ±1σ)")
    return codes.astype(np.int64)


class InvariancePenalty:
    """The training-time penalty of one fit (adversary included for ``"adversarial"``).

    Parameters
    ----------
    method : {"adversarial", "irm"}
    strength : float
        λ (>= 0).
    n_env : int
        Number of environments K (labels ``0 .. K-1``).
    """

    def __init__(self, method: str, strength: float, n_env: int) -> None:
        if method not in METHODS:
            raise ConfigError(f"invariance must be None, 'adversarial' or 'irm', got {method!r}")
        if not strength >= 0:
            raise ConfigError(f"invariance_strength must be >= 0, got {strength}")
        self.method = method
        self.strength = float(strength)
        self.n_env = int(n_env)
        self.adversary: nn.Module | None = None
        self.opt: torch.optim.Optimizer | None = None

    def setup(self, device: torch.device) -> None:
        """Build the adversary (under the caller's seed) on ``device``."""
        if self.method == "adversarial":
            self.adversary = nn.Sequential(
                nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                nn.Linear(32, self.n_env),
            ).to(device)
            self.opt = torch.optim.Adam(self.adversary.parameters(), lr=1e-3)

    def _balanced(self, env: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """Weights rescaled so each environment present carries the same total weight."""
        tot = torch.zeros(self.n_env, dtype=w.dtype, device=w.device).index_add(0, env, w)
        present = int((tot != 0).sum())
        scale = torch.where(tot != 0, 1.0 / tot.abs().clamp(min=1e-12), torch.zeros_like(tot))
        return w * scale[env] * (len(w) / max(present, 1))

    def penalty(self, loss_vec: torch.Tensor, score_vec: torch.Tensor, env: torch.Tensor,
                w: torch.Tensor, bg: torch.Tensor) -> torch.Tensor:
        """Term to add to the batch loss.

        Parameters
        ----------
        loss_vec, score_vec : Tensor, shape ``(b,)``
            Per-event loss and score of the batch.
        env : Tensor of int64, shape ``(b,)``
        w : Tensor, shape ``(b,)``
            Event weights.
        bg : Tensor of bool, shape ``(b,)``
            Background events (the adversary sees only these).
        """
        if len(torch.unique(env)) < 2:
            return loss_vec.sum() * 0.0
        if self.method == "adversarial":
            return self._adversarial(score_vec[bg], env[bg], w[bg])
        return self._irm(loss_vec, env, w)

    def _adversarial(self, score: torch.Tensor, env: torch.Tensor,
                     w: torch.Tensor) -> torch.Tensor:
        if self.adversary is None:
            raise RuntimeError("InvariancePenalty.setup must run before training")
        if score.shape[0] < 4:
            return score.sum() * 0.0
        s = score.detach()
        z = ((score - s.mean()) / s.std().clamp(min=1e-6)).unsqueeze(1)
        logits = self.adversary(grad_reverse(z, self.strength))
        ce = nn.functional.cross_entropy(logits, env, reduction="none")
        wb = self._balanced(env, w)
        return (ce * wb).sum() / wb.sum().clamp(min=1e-12)

    def _irm(self, loss_vec: torch.Tensor, env: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        scale = torch.ones((), dtype=loss_vec.dtype, device=loss_vec.device, requires_grad=True)
        scaled = loss_vec * scale * w
        risks = []
        for e in torch.unique(env):
            m = env == e
            risks.append(scaled[m].sum() / w[m].sum().abs().clamp(min=1e-12))
        r = torch.stack(risks)
        # one gradient per environment: d/ds of each centred risk, kept in the graph
        g = torch.stack([torch.autograd.grad(ri, scale, create_graph=True)[0]
                         for ri in (r - r.mean())])
        return self.strength * (g ** 2).sum()

    def zero_grad(self) -> None:
        """Clear the adversary's gradients (before the batch's backward pass)."""
        if self.opt is not None:
            self.opt.zero_grad()

    def step(self) -> None:
        """Update the adversary after the batch's backward pass (no-op for IRM)."""
        if self.opt is not None:
            self.opt.step()


def _variant_of(es: EventSet, i: int) -> tuple[str, float]:
    """(variant name, JES shift in units of its σ) from an EventSet's provenance."""
    from sciood.generate.detector import JES_SIGMA

    parts = es.provenance.get("parts", [es.provenance])
    found = {(str(p.get("variant")), float(p.get("detector_card", {}).get("jes", np.nan)))
             for p in parts if isinstance(p, dict)}
    if len(found) != 1 or "None" in {v for v, _ in found}:
        names = sorted(v for v, _ in found)
        raise DataError(f"EventSet {i} has no single variant in its provenance (found "
                        f"{names}); pass one EventSet per variant, or give fit(..., "
                        "environment=) explicitly for events not generated by sciood")
    variant, jes = found.pop()
    if not np.isfinite(jes):
        raise DataError(f"EventSet {i} (variant {variant!r}) records no detector card jes; "
                        "give the nuisance values explicitly")
    return variant, (jes - 1.0) / JES_SIGMA


def environments(sets: Sequence[EventSet]) -> tuple[EventSet, np.ndarray, np.ndarray]:
    """Concatenate EventSets of different variants; environment and JES ν of every event.

    The variant (``sim``, ``sim_jes_up``, ...) and the detector card are read from each set's
    provenance (a generated sample records them): EventSets carry no per-event environment
    column, so this is how ``fit(..., environment=)`` gets its labels from them.

    Parameters
    ----------
    sets : sequence of EventSet
        One or more sets per variant (a concatenated set must hold one variant).

    Returns
    -------
    (EventSet, ndarray of int64 (n,), ndarray of float64 (n,))
        The concatenation; environment codes ``0 .. K-1`` in order of first appearance of
        each variant; ν = (jes − 1) / σ_JES of each event's detector card (0 for ``sim``,
        ±1 for ``sim_jes_up`` / ``sim_jes_down``).

    Raises
    ------
    DataError
        No set, or a set whose provenance names no single variant / detector card.
    """
    if len(sets) == 0:
        raise DataError("environments needs at least one EventSet")
    info = [_variant_of(es, i) for i, es in enumerate(sets)]
    order = list(dict.fromkeys(v for v, _ in info))
    env = np.concatenate([np.full(len(es), order.index(v), np.int64)
                          for es, (v, _) in zip(sets, info, strict=True)])
    nu = np.concatenate([np.full(len(es), n, np.float64)
                         for es, (_, n) in zip(sets, info, strict=True)])
    return EventSet.concat(list(sets)), env, nu


def environment_drift(score_a: np.ndarray, score_b: np.ndarray) -> float:
    """Two-sample KS distance between the score distributions of two environments."""
    from scipy.stats import ks_2samp

    return float(ks_2samp(np.asarray(score_a), np.asarray(score_b)).statistic)
