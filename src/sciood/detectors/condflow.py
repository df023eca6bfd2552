"""Conditional density p(x | c) with a zuko flow, for the resonant weak-supervision methods.

:class:`ConditionalFlow` is a torch detector whose input rows are ``[x, c]``: the first
``d`` columns are the features, the last ``n_context`` columns the conditioning variables
(the search observable).  Its score is ``−log p(x | c)`` and it can :meth:`sample`
features at given contexts.  It is not in the registry: ``cathode`` and ``anode``
(:mod:`sciood.detectors.weak`) build it on sideband / signal-region events.

Features are mapped to an unbounded space before the flow sees them, as in the CATHODE
authors' code: min-max scaled into (0, 1) with a margin, then ``logit``, then
standardised (:class:`LogitScaler`).  Bounded features (τ21 ∈ [0, 1], masses ≥ 0) would
otherwise put density outside their physical range, and a classifier trained on flow
samples (CATHODE) would learn that artefact instead of the signal.

Example
-------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> c = rng.uniform(-1, 1, size=(500, 1)); x = c + 0.1 * rng.normal(size=(500, 1))
>>> flow = ConditionalFlow(n_context=1, epochs=2, seed=0).fit(np.c_[x, c])
>>> flow.sample(np.zeros((5, 1)), seed=1).shape
(5, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from sciood.detectors.torchbase import TorchDetector, seeded
from sciood.errors import ConfigError, DataError, require

__all__ = ["ConditionalFlow", "LogitScaler"]

require("zuko", "ml")
import zuko  # noqa: E402


class LogitScaler:
    """``x -> standardise(logit((x − lo) / (hi − lo)))`` per column, and its inverse.

    ``lo`` / ``hi`` are the training range widened by ``margin`` of its width on each side,
    so training points never sit on the logit's poles; points outside are clipped to it.
    """

    def __init__(self, margin: float = 0.005) -> None:
        self.margin = float(margin)

    def fit(self, X: np.ndarray) -> LogitScaler:
        """Learn the range and the logit-space mean / std from ``X``, shape ``(n, d)``."""
        lo, hi = X.min(0), X.max(0)
        width = np.where(hi > lo, hi - lo, 1.0)
        self.lo, self.hi = lo - self.margin * width, hi + self.margin * width
        z = self._logit(X)
        self.mean, self.std = z.mean(0), np.where(z.std(0) > 0, z.std(0), 1.0)
        return self

    def _logit(self, X: np.ndarray) -> np.ndarray:
        u = np.clip((X - self.lo) / (self.hi - self.lo), 1e-6, 1 - 1e-6)
        out: np.ndarray = np.log(u) - np.log1p(-u)
        return out

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Features -> flow space, shape ``(n, d)``."""
        out: np.ndarray = (self._logit(X) - self.mean) / self.std
        return out

    def inverse(self, Z: np.ndarray) -> np.ndarray:
        """Flow space -> features, shape ``(n, d)``."""
        u = 1.0 / (1.0 + np.exp(-(Z * self.std + self.mean)))
        out: np.ndarray = self.lo + u * (self.hi - self.lo)
        return out

    def state(self) -> dict[str, np.ndarray]:
        """Arrays to save."""
        return {"lo": self.lo, "hi": self.hi, "mean": self.mean, "std": self.std,
                "margin": np.array([self.margin])}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> LogitScaler:
        """Inverse of :meth:`state`."""
        new = cls(float(state["margin"][0]))
        new.lo, new.hi, new.mean, new.std = (np.asarray(state[k], np.float64)
                                             for k in ("lo", "hi", "mean", "std"))
        return new


class _CondNet(nn.Module):
    def __init__(self, d: int, n_context: int, transforms: int, hidden: tuple[int, ...],
                 kind: str) -> None:
        super().__init__()
        self.d = d
        if kind not in ("maf", "nsf"):
            raise ConfigError(f"flow kind must be 'maf' or 'nsf', got {kind!r}")
        cls = zuko.flows.MAF if kind == "maf" else zuko.flows.NSF
        self.flow = cls(d, n_context, transforms=transforms, hidden_features=hidden)

    def log_prob(self, xc: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = self.flow(xc[:, self.d:]).log_prob(xc[:, :self.d])
        return out


class ConditionalFlow(TorchDetector):
    """Autoregressive flow for ``p(x | c)`` (zuko); rows of ``X`` are ``[x, c]``.

    Parameters
    ----------
    n_context : int
        Number of trailing columns that are conditioning variables.
    kind : {"maf", "nsf"}
        Affine (masked autoregressive) or rational-quadratic spline (neural spline) transforms.
    seed, transforms, hidden, epochs, batch_size, lr, weight_decay, device
        As for :class:`~sciood.detectors.flow.Flow`.
    """

    name = "cond_flow"
    #: rows per sampling pass (sampling is a fit-time tool of cathode, not a score)
    sample_batch_size = 65_536
    standardize = False  # the caller maps features to flow space (LogitScaler)

    def __init__(
        self,
        *,
        seed: int = 0,
        n_context: int = 1,
        kind: Literal["maf", "nsf"] = "maf",
        transforms: int = 4,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 512,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        device: str | None = None,
    ) -> None:
        self._store(locals())

    def _build(self) -> nn.Module:
        d = int(self._input_shape[0]) - int(self.n_context)
        if d < 1 or int(self.n_context) < 1:
            raise ConfigError(
                f"cond_flow needs >= 1 feature and >= 1 context column; got "
                f"{self._input_shape[0]} columns with n_context={self.n_context}")
        return _CondNet(d, int(self.n_context), int(self.transforms),
                        tuple(int(h) for h in self.hidden), str(self.kind))

    def _batch_terms(self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
        nll = self._batch_score(net, x)
        return nll, nll

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        out: torch.Tensor = -net.log_prob(x)  # type: ignore[operator]
        return out

    def log_prob(self, x: np.ndarray, c: np.ndarray) -> np.ndarray:
        """log p(x | c), shape ``(n,)``, for ``x`` shape ``(n, d)`` and ``c`` ``(n, k)``."""
        return -self.score(np.c_[x, c])

    def sample(self, c: np.ndarray, *, seed: int) -> np.ndarray:
        """One draw of ``x ~ p(x | c)`` per row of ``c`` (shape ``(n, k)``): ``(n, d)``."""
        self._check_fitted()
        c = np.asarray(c, dtype=np.float32).reshape(len(c), -1)
        if c.shape[1] != int(self.n_context):
            raise DataError(f"context has {c.shape[1]} columns, the flow was fitted with "
                            f"{self.n_context}")
        net = self._net
        assert isinstance(net, _CondNet)
        device = next(net.parameters()).device
        out = [np.empty((0, int(self._input_shape[0]) - int(self.n_context)))]
        with seeded(seed), torch.no_grad():
            for start in range(0, len(c), self.sample_batch_size):
                cb = torch.as_tensor(c[start:start + self.sample_batch_size]).to(device)
                out.append(net.flow(cb).sample().double().cpu().numpy())
        return np.concatenate(out)


def state_arrays(prefix: str, det: TorchDetector) -> dict[str, np.ndarray]:
    """A fitted torch detector's network weights under ``prefix.``, for a parent's save."""
    return {f"{prefix}.{k}": v.detach().cpu().numpy() for k, v in det._net.state_dict().items()}


def restore_flow(params: dict[str, Any], input_shape: Sequence[int],
                 arrays: dict[str, np.ndarray], prefix: str) -> ConditionalFlow:
    """Rebuild a fitted :class:`ConditionalFlow` from :func:`state_arrays` output."""
    flow = ConditionalFlow(**params)
    flow._input_shape = tuple(int(s) for s in input_shape)
    sub = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}
    flow._set_state({}, sub, {})
    flow._fitted = True
    return flow
