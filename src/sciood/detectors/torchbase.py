"""Common machinery of the torch detectors: device, seeding, weighted training, scoring.

A :class:`TorchDetector` subclass builds its network in :meth:`TorchDetector._build` and
defines per-event training terms in :meth:`TorchDetector._batch_terms` (loss and score
of each event) and the score in :meth:`TorchDetector._batch_score`.  The loop here applies
event weights (``mean(w · loss)``), the optional decorrelation penalty
(:mod:`sciood.detectors.decorrelate`), Adam, seeded shuffling and deterministic algorithms.

Device: CUDA when available (``device=None``), else CPU.  On CPU, a fixed ``seed`` gives
bit-identical results.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from sciood.detectors.base import Detector
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["TorchDetector", "pick_device", "seeded"]

log = logging.getLogger(__name__)


def pick_device(requested: str | None = None) -> torch.device:
    """``requested`` if given, else CUDA when present, else CPU."""
    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


#: intra-op CPU threads used while training/scoring.  The networks here are small: on a
#: shared 2-core machine, OpenMP spin-waiting with 2 threads made a tiny MLP step ~80×
#: slower than with 1 thread, so the default is 1 (override with SCIOOD_TORCH_THREADS).
TORCH_THREADS = int(os.environ.get("SCIOOD_TORCH_THREADS", "1"))


@contextlib.contextmanager
def threads(n: int = TORCH_THREADS) -> Iterator[None]:
    """Use ``n`` intra-op torch threads inside the block (restored afterwards)."""
    prev = torch.get_num_threads()
    if n > 0 and n != prev:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != prev:
            torch.set_num_threads(prev)


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG, enable deterministic algorithms and set the thread count."""
    prev = torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(int(seed))
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        with threads():
            yield
    finally:
        torch.use_deterministic_algorithms(prev)


class TorchDetector(Detector):
    """Base class of the neural detectors (training loop, scoring, weight storage).

    Expected parameters on subclasses: ``seed, epochs, batch_size, lr, weight_decay,
    dropout, device`` (and ``decorrelate, decor_strength`` where supported).
    """

    dtype = np.float32
    supports_decorrelation = False
    score_batch_size = 65_536

    # ---- to implement
    def _build(self) -> nn.Module:
        raise NotImplementedError

    def _batch_terms(
        self, net: nn.Module, x: torch.Tensor, y: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-event (loss, score) of a training batch, each shape ``(b,)``."""
        raise NotImplementedError

    def _batch_score(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Per-event anomaly score, shape ``(b,)``."""
        raise NotImplementedError

    def _before_training(self, net: nn.Module, X: torch.Tensor, w: torch.Tensor) -> None:
        """Hook run once after building (e.g. Deep SVDD's centre)."""

    def _y_tensor(self, y: Any) -> torch.Tensor | None:
        return None if y is None else torch.as_tensor(np.asarray(y), dtype=torch.int64)

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_extra_state` wrote (before the net is rebuilt)."""

    def _background_mask(self, y: torch.Tensor | None, n: int) -> torch.Tensor:
        if y is None or self._label_kind() == "multiclass":
            return torch.ones(n, dtype=torch.bool)
        return y == 0

    # ---- training
    def _check_training_params(self) -> None:
        for name in ("epochs", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= float(getattr(self, "dropout", 0.0)) < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {self.dropout}")
        if getattr(self, "decorrelate", None) and not self.supports_decorrelation:
            raise ConfigError(f"{self.name} does not support decorrelate")

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        self._check_training_params()
        device = pick_device(getattr(self, "device", None))
        with seeded(self.seed):
            self._net = self._build().to(device)
            Xt = torch.tensor(np.asarray(X), dtype=torch.float32)
            wt = torch.tensor(np.asarray(w), dtype=torch.float32)
            yt = self._y_tensor(y)
            self._before_training(self._net, Xt.to(device), wt.to(device))
            decor = None
            method = getattr(self, "decorrelate", None)
            if method:
                from sciood.detectors.decorrelate import Decorrelator

                decor = Decorrelator(method, float(self.decor_strength), seed=self.seed)
                decor.setup(obs, device)
            obst = None if obs is None else torch.tensor(np.asarray(obs), dtype=torch.float32)
            bg = self._background_mask(yt, len(Xt))
            opt = torch.optim.Adam(
                self._net.parameters(), lr=float(self.lr),
                weight_decay=float(getattr(self, "weight_decay", 0.0)),
            )
            gen = torch.Generator().manual_seed(int(self.seed))
            n, bs = len(Xt), int(self.batch_size)
            self._net.train()
            for epoch in range(int(self.epochs)):
                perm = torch.randperm(n, generator=gen)
                total = 0.0
                for start in range(0, n, bs):
                    idx = perm[start:start + bs]
                    xb, wb = Xt[idx].to(device), wt[idx].to(device)
                    yb = None if yt is None else yt[idx].to(device)
                    loss_vec, score_vec = self._batch_terms(self._net, xb, yb)
                    loss = (wb * loss_vec).mean()
                    if decor is not None and obst is not None:
                        m = bg[idx].to(device)
                        ob = obst[idx].to(device)
                        decor.adversary_step(score_vec[m], ob[m], wb[m])
                        loss = loss + decor.penalty(score_vec[m], ob[m], wb[m])
                    if not torch.isfinite(loss):
                        raise DataError(
                            f"{self.name}: training loss became {loss.item()} at epoch {epoch};"
                            " lower lr or check the inputs for extreme values"
                        )
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(idx)
                log.debug("%s epoch %d loss %.5g", self.name, epoch, total / n)
            self._net.eval()

    # ---- scoring
    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return self._predict(X, mc_dropout=False)

    def _predict(self, X: np.ndarray, *, mc_dropout: bool) -> np.ndarray:
        net = self._net
        device = next(net.parameters()).device
        net.eval()
        if mc_dropout:
            for mod in net.modules():
                if isinstance(mod, nn.Dropout):
                    mod.train()
        out = np.empty(len(X), dtype=np.float64)
        ctx = torch.no_grad() if mc_dropout else torch.inference_mode()
        with ctx, threads():
            for start in range(0, len(X), self.score_batch_size):
                xb = torch.as_tensor(X[start:start + self.score_batch_size]).to(device)
                out[start:start + len(xb)] = self._batch_score(net, xb).double().cpu().numpy()
        net.eval()
        return out

    def mc_scores(self, X: Any, passes: int, seed: int) -> np.ndarray:
        """Scores from ``passes`` forward passes with dropout active, shape ``(passes, n)``."""
        arr = self._prepared(X)
        with seeded(seed):
            return np.stack([self._predict(arr, mc_dropout=True) for _ in range(passes)])

    # ---- state
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        arrays = {k: v.detach().cpu().numpy() for k, v in self._net.state_dict().items()}
        return self._extra_state(), arrays, {}

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        self._load_extra_state(state)
        with seeded(self.seed):
            net = self._build()
        net.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in arrays.items()})
        self._net = net.to(pick_device(getattr(self, "device", None))).eval()
