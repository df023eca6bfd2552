"""Common machinery of the torch detectors: device, seeding, weighted training, scoring.

A :class:`TorchDetector` subclass builds its network in :meth:`TorchDetector._build` and
defines per-event training terms in :meth:`TorchDetector._batch_terms` (loss and score
of each event) and the score in :meth:`TorchDetector._batch_score`.  The loop here applies
event weights (``mean(w · loss)``), the optional decorrelation penalty
(:mod:`sciood.detectors.decorrelate`), the optional training over environments
(``invariance=``, ``environment=`` at fit; :mod:`sciood.detectors.invariance`), Adam, seeded
shuffling and deterministic algorithms.

Negative event weights (legal Monte-Carlo weights) enter the loss with their sign, so the
objective is the unbiased estimate of the expected loss wherever positive weights cancel
them.  A negative weight rewards a *large* loss, so an isolated, uncancelled negative-weight
event makes every density / reconstruction / classification loss unbounded below: the loss
of a negative-weight event is therefore capped at the largest loss of the positive-weight
events of its batch, and after training three checks look for trouble — too much negative
weight above the cap (uncancelled), the positive-weight events' loss growing, exploded or
non-finite training scores.  If any fires, a warning is logged naming the negative weights
and the network is retrained on the positive part ``max(w, 0)`` of the weights
(docs/decisions.md, "Negative weights in training").

Scoring runs in fixed blocks of :data:`~sciood.detectors.inputs.SCORE_BLOCK` rows
(:func:`~sciood.detectors.inputs.score_in_blocks`), so a score never depends on the batch it
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

from sciood.detectors.contract import Detector
from sciood.detectors.inputs import SCORE_BLOCK, score_in_blocks
from sciood.errors import ConfigError, DataError, require

require("torch", "ml")
import torch  # noqa: E402
from torch import nn  # noqa: E402

__all__ = ["DIVERGENCE_FACTOR", "LOSS_GROWTH", "NEIGHBOURS", "UNCANCELLED", "TorchDetector",
           "cap_negative", "pick_device", "seeded", "uncancelled_note"]

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
DIVERGENCE_FACTOR = 1e4
#: ... or whose positive-weight events' mean loss grew from the first to the last epoch by
#: more than this many times (|first-epoch loss| + 1).
LOSS_GROWTH = 1.0
#: Before training on flat inputs: the fraction of the negative weight whose neighbourhood
#: (:data:`NEIGHBOURS` nearest training events of the same class, itself included) has a
#: net weight <= 0 — negative weight that no positive weight cancels — above which the
#: network is trained on the positive part of the weights instead.
UNCANCELLED = 0.05
NEIGHBOURS = 50


def cap_negative(loss_vec: torch.Tensor, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-event losses with those of negative-weight events capped, and who was capped.

    The cap is the largest loss of a positive-weight event of the batch (detached); in a
    batch without positive weights the negative-weight events get the batch's smallest loss
    (no gradient).  Positive-weight events are untouched.

    Returns
    -------
    (Tensor, Tensor)
        Capped losses ``(b,)`` and the boolean mask ``(b,)`` of events above the cap.
    """
    neg = w < 0
    if not bool(neg.any()):
        return loss_vec, neg
    pos = ~neg
    ref = loss_vec.detach()
    cap = ref[pos].max() if bool(pos.any()) else ref.min()
    over = neg & (ref > cap)
    return torch.where(over, cap, loss_vec), over


def uncancelled_note(X: np.ndarray, w: np.ndarray, y: Any = None) -> str | None:
    """Why the negative weights of ``X`` are not cancelled locally, or ``None``.

    For every negative-weight event, the net weight of its :data:`NEIGHBOURS` nearest
    events (Euclidean, standardised features, same class when labels ``y`` are given,
    itself included) is computed; if the events whose neighbourhood has a net weight
    <= 0 carry :data:`UNCANCELLED` or more of the negative weight, a reason is returned.
    Only for flat inputs ``(n, d)``; sets and images rely on the post-training checks.
    """
    from sklearn.neighbors import NearestNeighbors

    if X.ndim != 2:
        return None
    groups = [np.ones(len(w), bool)] if y is None else [
        np.asarray(y) == c for c in np.unique(np.asarray(y))]
    bad = 0.0
    for g in groups:
        if not (w[g] < 0).any():
            continue
        Xg, wg = X[g], w[g]
        k = min(NEIGHBOURS, len(Xg))
        neg = np.flatnonzero(wg < 0)
        _, idx = NearestNeighbors(n_neighbors=k).fit(Xg).kneighbors(Xg[neg])
        net = wg[idx].sum(1)
        bad += float(-wg[neg][net <= 0].sum())
    frac = bad / float(-w[w < 0].sum())
    if frac < UNCANCELLED:
        return None
    return (f"{100 * frac:.0f} % of the negative weight sits where the net weight of the "
            f"{NEIGHBOURS} nearest training events is <= 0 (no positive weight cancels it)")


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
    #: ``_predict`` / ``_in_blocks`` score in fixed blocks of ``score_batch_size`` rows
    invariant_scoring = True
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

    def _batch_latent(self, net: nn.Module, x: torch.Tensor) -> torch.Tensor:
        """Latent coordinates of a block, shape ``(b, k)`` (families with ``latent_space``)."""
        raise ConfigError(f"{self.name} has no latent space")

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
    def fit(self, X: Any, y: Any = None, *, environment: Any = None, **kwargs: Any) -> Any:
        """:meth:`Detector.fit`, plus ``environment`` for detectors with ``invariance``.

        Parameters
        ----------
        environment : array-like of int, shape ``(n,)``, optional
            Environment of each training event (e.g. 0 = ``sim``, 1 = JES up, 2 = JES down);
            required when ``invariance`` is set, refused otherwise.  EventSets carry no
            per-event environment label: build the labels from samples of different variants
            with :func:`sciood.detectors.invariance.environments`.
        """
        from sciood.detectors.invariance import check_environment

        method = getattr(self, "invariance", None)
        if environment is None and method is None:
            return super().fit(X, y, **kwargs)
        n = len(X)
        self._fit_env = check_environment(environment, n, method)
        try:
            return super().fit(X, y, **kwargs)
        finally:
            del self._fit_env

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
        w = np.asarray(w, dtype=np.float64)
        if not (w < 0).any():
            self._train_net(X, y, w, obs)
            return
        problem = uncancelled_note(np.asarray(X), w, y)
        if problem is None:
            stats = self._train_net(X, y, w, obs)
            problem = self._negative_weight_problem(np.asarray(X), w, stats)
            if problem is None:
                return
        log.warning(
            "%s: %s%s. The signed-weight objective is unbounded there, so the model was "
            "retrained with the negative weights clipped to 0 (the positive part of the "
            "weights; metrics still use the signed weights). To avoid this, merge or resample "
            "negative-weight events so that positive ones cancel them locally",
            self.name, problem, _weights_note(w))
        clipped = np.clip(w, 0.0, None)
        clipped = clipped / clipped.mean()
        # standardise with the moments of the distribution now trained on (the signed ones
        # are not those of any density where the negative weight is not cancelled)
        X = self._refit_scaler(X, y, clipped)
        self._train_net(X, y, clipped, obs)

    def _train_net(self, X: np.ndarray, y: Any, w: np.ndarray,
                   obs: np.ndarray | None) -> dict[str, Any]:
        """Build and train the network; returns diagnostics of the weights' effect.

        Returns
        -------
        dict
            ``pos_loss``: per epoch, the weighted mean loss of the positive-weight events;
            ``capped``: fraction of the negative weight whose loss exceeded the cap in the
            last epoch (0 without negative weights).
        """
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
            inv, envt = self._invariance_setup(len(Xt), device)
            bg = self._background_mask(yt, len(Xt))
            opt = torch.optim.Adam(
                self._net.parameters(), lr=float(self.lr),
                weight_decay=float(getattr(self, "weight_decay", 0.0)),
            )
            gen = torch.Generator().manual_seed(int(self.seed))
            n, bs = len(Xt), int(self.batch_size)
            self._net.train()
            pos_loss: list[float] = []
            capped = 0.0
            for epoch in range(int(self.epochs)):
                perm = torch.randperm(n, generator=gen)
                total = 0.0
                pos_sum = pos_w = neg_w = neg_capped = 0.0
                for start in range(0, n, bs):
                    idx = perm[start:start + bs]
                    xb, wb = Xt[idx].to(device), wt[idx].to(device)
                    yb = None if yt is None else yt[idx].to(device)
                    loss_vec, score_vec = self._batch_terms(self._net, xb, yb)
                    capped_vec, over = cap_negative(loss_vec, wb)
                    if self.cap_negative_weights:
                        loss_vec = capped_vec
                    loss = (wb * loss_vec).mean()
                    if decor is not None and obst is not None:
                        m = bg[idx].to(device)
                        ob = obst[idx].to(device)
                        decor.adversary_step(score_vec[m], ob[m], wb[m])
                        loss = loss + decor.penalty(score_vec[m], ob[m], wb[m])
                    if inv is not None and envt is not None:
                        loss = loss + inv.penalty(loss_vec, score_vec, envt[idx].to(device),
                                                  wb, bg[idx].to(device))
                        inv.zero_grad()
                    if not torch.isfinite(loss):
                        raise DataError(
                            f"{self.name}: training loss became {loss.item()} at epoch {epoch}"
                            f"{_weights_note(np.asarray(w))}; lower lr, check the inputs for "
                            "extreme values, and clip or merge isolated negative weights"
                        )
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    if inv is not None:
                        inv.step()
                    total += float(loss.detach()) * len(idx)
                    wp = wb.clamp(min=0.0)
                    pos_sum += float((wp * loss_vec.detach()).sum())
                    pos_w += float(wp.sum())
                    wn = (-wb).clamp(min=0.0)
                    neg_w += float(wn.sum())
                    neg_capped += float(wn[over].sum())
                pos_loss.append(pos_sum / pos_w if pos_w > 0 else 0.0)
                capped = neg_capped / neg_w if neg_w > 0 else 0.0
                log.debug("%s epoch %d loss %.5g (positive-weight loss %.5g, capped %.3f)",
                          self.name, epoch, total / n, pos_loss[-1], capped)
            self._net.eval()
        return {"pos_loss": pos_loss, "capped": capped}

    def _invariance_setup(self, n: int, device: torch.device) -> tuple[Any, Any]:
        """The invariance penalty and environment tensor of this fit, or ``(None, None)``."""
        method = getattr(self, "invariance", None)
        if method is None:
            return None, None
        env = getattr(self, "_fit_env", None)
        if env is None or len(env) != n:
            raise DataError(f"{self.name}: invariance={method!r} needs fit(X, environment=...) "
                            f"with one integer label per training event ({n}); fit_score, "
                            "ensembles and wrappers do not forward environment=")
        from sciood.detectors.invariance import InvariancePenalty

        inv = InvariancePenalty(method, float(getattr(self, "invariance_strength", 1.0)),
                                int(env.max()) + 1)
        inv.setup(device)
        return inv, torch.as_tensor(env, dtype=torch.int64)

    def _negative_weight_problem(self, X: np.ndarray, w: np.ndarray,
                                 stats: dict[str, Any]) -> str | None:
        """Why the fit on signed weights cannot be trusted, or ``None`` if it can.

        * the positive-weight events' mean loss grew from the first to the last epoch by
          more than :data:`LOSS_GROWTH` × (|first| + 1): the fit sacrificed the normal events;
        * a positive-weight training event's score is non-finite or more than
          :data:`DIVERGENCE_FACTOR` robust spreads from their median: an exploded region.
        """
        first, last = stats["pos_loss"][0], stats["pos_loss"][-1]
        if not last <= first + LOSS_GROWTH * (abs(first) + 1.0):
            return (f"training diverged: the mean loss of the positive-weight events grew "
                    f"from {first:.4g} (epoch 0) to {last:.4g}")
        s = self._predict(np.asarray(X, dtype=self.dtype))[w > 0]
        finite = np.isfinite(s)
        if not finite.all():
            return f"training diverged: {int((~finite).sum())} training score(s) are not finite"
        med = float(np.median(s))
        spread = float(np.median(np.abs(s - med)))
        bound = DIVERGENCE_FACTOR * (spread + 1e-3 * (abs(med) + 1.0))
        worst = float(np.max(np.abs(s - med)))
        if worst > bound:
            return (f"training diverged: a positive-weight training event scores "
                    f"{worst + med:.4g} (median {med:.4g}, allowed spread {bound:.3g})")
        return None

    # ---- scoring
    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return self._predict(X)

    def _latent_arrays(self, X: np.ndarray) -> np.ndarray:
        """:meth:`_batch_latent` over the fixed scoring blocks, no gradient, eval mode."""
        return self._in_blocks(self._batch_latent, X)

    def _predict(self, X: np.ndarray, *, mc_dropout: bool = False) -> np.ndarray:
        """Scores of standardised inputs ``(n, ...) -> (n,)`` in fixed blocks of rows.

        ``mc_dropout`` is kept for callers of the old signature; MC-dropout passes go through
        :meth:`mc_scores`.
        """
        if mc_dropout:
            raise ConfigError("use mc_scores(X, passes, seed) for MC-dropout scores")
        return self._in_blocks(self._batch_score, X)

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
