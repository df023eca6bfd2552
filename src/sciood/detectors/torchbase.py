"""Common machinery of the torch detectors: device, seeding, weighted training, scoring.

A :class:`TorchDetector` subclass builds its network in :meth:`TorchDetector._build` and
defines per-event training terms in :meth:`TorchDetector._batch_terms` (loss and score
of each event) and the score in :meth:`TorchDetector._batch_score`.  The loop here applies
event weights (``mean(w · loss)``), the optional decorrelation penalty
(:mod:`sciood.detectors.decorrelate`), Adam, seeded shuffling and deterministic algorithms.

Negative event weights (legal Monte-Carlo weights) enter the loss with their sign, so the
objective is the unbiased estimate of the expected loss.  Because a negative weight rewards a
*large* loss, an isolated negative-weight event would make every density / reconstruction /
classification loss unbounded below; so the loss of a negative-weight event is capped at
the largest loss of the positive-weight events in the same batch (a negative weight may
cancel positive weight but never rewards making an event worse than any normal one).  After
training on negative weights, the scores of the positive-weight training events are checked:
a non-finite or exploded score raises :class:`~sciood.errors.DataError` naming the negative
weights and the fix (docs/decisions.md, "Negative weights in training").

Scoring runs in fixed blocks of :data:`~sciood.detectors.base.SCORE_BLOCK` rows
(:func:`~sciood.detectors.base.score_in_blocks`), so a score never depends on the batch it
came in; MC-dropout passes use one dropout mask per pass and layer (one sampled network per
pass), drawn from ``(seed, pass)``, so they are batch-invariant too.

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

from sciood.detectors.base import SCORE_BLOCK, Detector, score_in_blocks
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["DIVERGENCE_FACTOR", "TorchDetector", "pick_device", "seeded"]

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


#: After training with negative weights, a positive-weight training event whose score lies
#: more than this many robust spreads (median absolute deviation + 0.001·(|median| + 1))
#: from the median counts as a diverged fit.
DIVERGENCE_FACTOR = 1e6


def cap_negative(loss_vec: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Per-event losses with those of negative-weight events capped, shape ``(b,)``.

    The cap is the largest loss of a positive-weight event of the batch (detached); in a
    batch without positive weights the negative-weight events get the batch's smallest loss
    (no gradient).  Positive-weight events are untouched.
    """
    neg = w < 0
    if not bool(neg.any()):
        return loss_vec
    pos = ~neg
    ref = loss_vec.detach()
    cap = ref[pos].max() if bool(pos.any()) else ref.min()
    return torch.where(neg, torch.minimum(loss_vec, cap), loss_vec)


def _weights_note(w: np.ndarray) -> str:
    """`` N of M event weights are negative …`` (empty without negative weights)."""
    neg = w < 0
    if not neg.any():
        return ""
    return (f"; {int(neg.sum())} of {len(w)} event weights are negative (their sum is "
            f"{float(w[neg].sum()):.4g} against {float(w[~neg].sum()):.4g} positive)")


class TorchDetector(Detector):
    """Base class of the neural detectors (training loop, scoring, weight storage).

    Expected parameters on subclasses: ``seed, epochs, batch_size, lr, weight_decay,
    dropout, device`` (and ``decorrelate, decor_strength`` where supported).
    """

    dtype = np.float32
    supports_decorrelation = False
    #: rows per forward pass at scoring time (every pass has exactly this many rows)
    score_batch_size = SCORE_BLOCK
    #: cap the loss of negative-weight events (see the module docstring); tests switch it
    #: off to show that the divergence check catches what the cap prevents
    cap_negative_weights = True

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        if params.get("decorrelate") and not cls.supports_decorrelation:
            raise ConfigError(f"{cls.name} does not support decorrelate; remove it or use "
                              "ae, vae or supervised")

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
                    if self.cap_negative_weights:
                        loss_vec = cap_negative(loss_vec, wb)
                    loss = (wb * loss_vec).mean()
                    if decor is not None and obst is not None:
                        m = bg[idx].to(device)
                        ob = obst[idx].to(device)
                        decor.adversary_step(score_vec[m], ob[m], wb[m])
                        loss = loss + decor.penalty(score_vec[m], ob[m], wb[m])
                    if not torch.isfinite(loss):
                        raise DataError(
                            f"{self.name}: training loss became {loss.item()} at epoch {epoch}"
                            f"{_weights_note(np.asarray(w))}; lower lr, check the inputs for "
                            "extreme values, and clip or merge isolated negative weights"
                        )
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += float(loss.detach()) * len(idx)
                log.debug("%s epoch %d loss %.5g", self.name, epoch, total / n)
            self._net.eval()
        if (np.asarray(w) < 0).any():
            self._check_divergence(np.asarray(X), np.asarray(w))

    def _check_divergence(self, X: np.ndarray, w: np.ndarray) -> None:
        """Raise :class:`DataError` if the fit on negative weights diverged.

        Looks at the scores of the positive-weight training events: any non-finite score,
        or one more than :data:`DIVERGENCE_FACTOR` robust spreads from their median.
        """
        s = self._predict(np.asarray(X, dtype=self.dtype))[w > 0]
        if len(s) == 0:
            return
        finite = np.isfinite(s)
        med = float(np.median(s[finite])) if finite.any() else float("nan")
        spread = float(np.median(np.abs(s[finite] - med))) if finite.any() else 0.0
        bound = DIVERGENCE_FACTOR * (spread + 1e-3 * (abs(med) + 1.0))
        worst = float(np.max(np.abs(s[finite] - med))) if finite.any() else float("inf")
        if finite.all() and worst <= bound:
            return
        shown = float("nan") if not finite.all() else worst + med
        raise DataError(
            f"{self.name}: training diverged with negative event weights: a positive-weight "
            f"training event scores {shown:.4g} (median {med:.4g}, allowed spread "
            f"{bound:.3g}){_weights_note(w)}. Negative weights must be cancelled locally "
            "by positive ones: merge or resample isolated negative-weight events, or clip "
            "them (weights=np.clip(w, 0, None)); a lower lr or fewer epochs can also help"
        )

    # ---- scoring
    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return self._predict(X)

    def _predict(self, X: np.ndarray, *, mc_dropout: bool = False) -> np.ndarray:
        """Scores of standardised inputs ``(n, ...) -> (n,)`` in fixed blocks of rows.

        ``mc_dropout`` is kept for callers of the old signature; MC-dropout passes go through
        :meth:`mc_scores`.
        """
        if mc_dropout:
            raise ConfigError("use mc_scores(X, passes, seed) for MC-dropout scores")
        net = self._net
        device = next(net.parameters()).device
        net.eval()
        def block(xb: np.ndarray) -> np.ndarray:
            out: np.ndarray = self._batch_score(net, torch.as_tensor(xb).to(device)
                                                ).double().cpu().numpy()
            return out

        with torch.inference_mode(), threads():
            return score_in_blocks(block, np.asarray(X), self.score_batch_size)

    def _in_blocks(self, fn: Any, X: np.ndarray) -> np.ndarray:
        """``fn(net, x_block) -> Tensor`` over fixed blocks of rows (see ``_predict``)."""
        net = self._net
        device = next(net.parameters()).device
        net.eval()

        def block(xb: np.ndarray) -> np.ndarray:
            out: np.ndarray = fn(net, torch.as_tensor(xb).to(device)).double().cpu().numpy()
            return out

        with torch.inference_mode(), threads():
            return score_in_blocks(block, np.asarray(X), self.score_batch_size)

    def mc_scores(self, X: Any, passes: int, seed: int) -> np.ndarray:
        """Scores from ``passes`` forward passes with dropout active, shape ``(passes, n)``.

        Pass ``p`` applies one dropout mask per dropout layer, drawn from ``(seed, p)``, to
        every event: each pass is one network sampled from the dropout posterior, and an
        event's score does not depend on the batch it is scored in.
        """
        arr = self._prepared(X)
        with threads():
            return np.stack([self._mc_pass(arr, int(seed), p) for p in range(int(passes))])

    def _mc_pass(self, X: np.ndarray, seed: int, p: int) -> np.ndarray:
        masks: dict[int, torch.Tensor] = {}
        handles = []
        drops = [m for m in self._net.modules() if isinstance(m, nn.Dropout)]
        for i, mod in enumerate(drops):
            def hook(mod: nn.Module, inp: tuple[torch.Tensor, ...], out: torch.Tensor,
                     i: int = i) -> torch.Tensor:
                x = inp[0]
                if i not in masks:
                    gen = torch.Generator().manual_seed(
                        int(np.random.SeedSequence([seed, p, i]).generate_state(1)[0]))
                    keep = 1.0 - float(mod.p)  # type: ignore[arg-type]
                    m = torch.bernoulli(torch.full(tuple(x.shape[1:]), keep), generator=gen)
                    masks[i] = (m / keep).to(dtype=x.dtype, device=x.device)
                return x * masks[i]

            handles.append(mod.register_forward_hook(hook))
        try:
            return self._predict(X)
        finally:
            for h in handles:
                h.remove()

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
