"""LaCATHODE: CATHODE's classifier moved into the latent space of the sideband flow.

LaCATHODE (Hallin, Kasieczka, Quadfasel, Shih, Sommerhalder, arXiv:2210.14924) keeps
CATHODE's conditional flow ``p(x | mjj)`` trained on the sidebands (SB), but instead of
sampling it in the signal region (SR) it maps every event to the flow's latent space with its
own mjj, ``z = f⁻¹(x; mjj)``.  For background the flow makes ``z`` standard normal *and
independent of mjj*, so

* the classifier learns SR data in latent space (class 1) against ``N(0, 1)`` samples
  (class 0; ``oversample`` × the SR count) — no mjj KDE, no sampling of the flow;
* the score of any event (SR or SB) is the classifier's logit at its latent point.  A cut on
  it keeps the same fraction of background at every mjj (up to the flow's imperfection), so
  it does not sculpt the mjj spectrum, which CATHODE's classifier in feature space does when
  the features depend on mjj.  The bump hunt after the cut can then fit the sidebands.

Because scoring needs each event's mjj, the **model input is** ``[features..., mjj]``: for an
EventSet the detector appends its first observable (``mjj``) to the ``features`` columns
itself (``det.as_array(events)`` shows the rows it scores); an array passed to ``fit`` /
``score`` must carry mjj as its last column.  ``observable=`` at ``fit`` is optional and, if
given, must equal that column.  The flow is saved with the classifier (scoring needs it).

The sideband flow, the SR / SB bookkeeping and the classifiers are CATHODE's
(:class:`~sciood.detectors.weak.Cathode`): :class:`~sciood.detectors.weak._SidebandDensity`,
:class:`~sciood.detectors.weak._WeakBase`, :class:`~sciood.detectors.condflow.ConditionalFlow`
and :class:`~sciood.detectors.condflow.LogitScaler`.

>>> import numpy as np
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> mjj = rng.uniform(2900, 4300, 600)
>>> X = np.c_[rng.normal(size=(600, 2)) + 1e-3 * mjj[:, None], mjj]   # [features, mjj]
>>> det = make("lacathode", flow_epochs=1, flow_transforms=1, members=1, seed=0).fit(X)
>>> det.score(X).shape, det.latent(X).shape
((600,), (600, 2))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from sciood.data.eventset import EventSet
from sciood.detectors.classifier import backbone
from sciood.detectors.condflow import (
    ConditionalFlow,
    LogitScaler,
    _CondNet,
    restore_flow,
    state_arrays,
)
from sciood.detectors.inputs import LabelKind, score_in_blocks
from sciood.detectors.registry import register
from sciood.detectors.torchbase import threads
from sciood.detectors.weak import DEFAULT_SR, _SidebandDensity, _WeakBase
from sciood.errors import ConfigError, DataError

__all__ = ["LaCathode"]

_INPUT = ("lacathode's input rows are [features..., mjj]: pass an EventSet with an 'mjj' "
          "observable, or an array with mjj as its last column (np.c_[X, mjj])")


@register("lacathode")
class LaCathode(_SidebandDensity, _WeakBase):
    """LaCATHODE: classifier of SR data vs ``N(0, 1)`` in the sideband flow's latent space.

    Parameters
    ----------
    signal_region : (low, high), default (3300, 3700)
        SR in the observable's unit (GeV for mjj).
    sideband_width : float or None, default None
        Sidebands the flow is trained on; ``None`` = every event outside the SR.
    oversample : float, default 4
        Standard-normal background samples per SR data event.
    flow_kind, flow_transforms, flow_hidden, flow_epochs, flow_batch_size, flow_lr
        The conditional flow (see :class:`~sciood.detectors.condflow.ConditionalFlow`).
    Other parameters (the classifier) as :class:`~sciood.detectors.classifier.Supervised`.

    Notes
    -----
    Input rows are ``[features..., mjj]`` (module docstring).  Score = classifier logit
    (higher = more SR-data-like = more anomalous), defined for events at any mjj.
    """

    label_kind: ClassVar[LabelKind] = "none"
    #: the flow map and the classifier run inside Detector.score's fixed blocks of rows
    invariant_scoring = False
    _flow: ConditionalFlow  # the sideband flow p(x | mjj), saved with the classifier

    def __init__(
        self,
        *,
        seed: int = 0,
        signal_region: Sequence[float] = DEFAULT_SR,
        sideband_width: float | None = None,
        oversample: float = 4.0,
        flow_kind: Literal["maf", "nsf"] = "nsf",
        flow_transforms: int = 4,
        flow_hidden: Sequence[int] = (64, 64),
        flow_epochs: int = 30,
        flow_batch_size: int = 512,
        flow_lr: float = 1e-3,
        hidden: Sequence[int] = (64, 64),
        epochs: int = 30,
        batch_size: int = 256,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        dropout: float = 0.0,
        balance: bool = True,
        classifier: Literal["mlp", "hgb"] = "hgb",
        members: int = 5,
        device: str | None = None,
        representation: str = "hlf",
        features: str | Sequence[str] | None = None,
    ) -> None:
        self._store(locals())

    # ---- inputs: [features..., mjj]
    def _uses_scaler(self) -> bool:
        return False  # features go through the flow's LogitScaler; mjj is the context

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        super()._check_params(params)
        if params["representation"] != "hlf":
            raise ConfigError(f"lacathode works on high-level features; set "
                              f"representation='hlf', got {params['representation']!r}")

    def _represent(self, events: EventSet) -> np.ndarray:
        if not events.observables:
            raise DataError(f"the EventSet has no observable; {_INPUT}")
        return np.c_[super()._represent(events), events.column(events.observables[0])]

    def _split(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        arr = np.asarray(X, np.float64)
        return arr[:, :-1], arr[:, -1]

    def _build(self) -> nn.Module:  # the MLP classifier sees z: the features' width
        return backbone((int(self._input_shape[0]) - 1,), self.hidden, 1,
                        encoder=self.encoder, dropout=float(self.dropout))

    # ---- fit
    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        if not float(self.oversample) > 0:
            raise ConfigError(f"oversample must be > 0, got {self.oversample}")
        if X.shape[1] < 2:
            raise DataError(f"X has {X.shape[1]} column; {_INPUT}")
        feats, mjj = self._split(X)
        if obs is not None and not np.allclose(obs, mjj, rtol=1e-6, atol=1e-3):
            raise DataError(f"observable differs from X's last column; {_INPUT}")
        try:
            in_sr, in_sb = self._regions(mjj, self.name)
        except DataError as exc:
            raise DataError(f"{exc} (is X's last column mjj? {_INPUT})") from exc
        self._setup_space(feats[in_sr | in_sb], mjj[in_sr | in_sb])
        self._flow = self._fit_flow(feats[in_sb], mjj[in_sb], w[in_sb], int(self.seed))
        z_sr = self._latent_arrays(X[in_sr])
        n = max(round(float(self.oversample) * int(in_sr.sum())), 2)
        rng = np.random.default_rng(np.random.SeedSequence([int(self.seed), 7]))
        gauss = rng.standard_normal((n, z_sr.shape[1])).astype(self.dtype)
        self._train(np.r_[z_sr, gauss],
                    np.r_[np.ones(len(z_sr), np.int64), np.zeros(n, np.int64)],
                    np.r_[w[in_sr], np.ones(n)], "SR data (latent) vs N(0, 1) samples")

    # ---- latent map and scores
    def _latent_arrays(self, X: np.ndarray) -> np.ndarray:
        """``z = f⁻¹(x; mjj)`` for validated rows ``[x, mjj]`` ``(n, d + 1)``: ``(n, d)``."""
        feats, mjj = self._split(X)
        net = self._flow._net
        assert isinstance(net, _CondNet)
        device = next(net.parameters()).device
        x = torch.as_tensor(self._prep.transform(feats), dtype=torch.float32).to(device)
        c = torch.as_tensor(self._context(mjj), dtype=torch.float32).to(device)
        net.eval()
        with torch.inference_mode(), threads():
            z = net.flow(c).transform(x)
        out: np.ndarray = z.cpu().numpy().astype(self.dtype)
        return out

    def latent(self, X: Any) -> np.ndarray:
        """Latent coordinates ``z = f⁻¹(x; mjj)`` of events, shape ``(n, d)``.

        ``X`` as for :meth:`score` (rows ``[features..., mjj]`` or an EventSet).  Background
        at any mjj should be ``N(0, 1)`` in every coordinate (the flow's training target on
        the sidebands; interpolated into the SR).
        """
        arr = self._prepared(X)
        return score_in_blocks(self._latent_arrays, arr)

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return super()._score_arrays(self._latent_arrays(X))

    # ---- state: the flow is saved too (scoring needs the latent map)
    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        state, arrays, sk = super()._get_state()
        out = {f"clf.{k}": v for k, v in arrays.items()}
        out.update({f"prep.{k}": v for k, v in self._prep.state().items()})
        out.update(state_arrays("flow", self._flow), ctx=self._ctx)
        return {"clf": state, "flow_shape": list(self._flow._input_shape)}, out, sk

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        self._prep = LogitScaler.from_state(
            {k[5:]: v for k, v in arrays.items() if k.startswith("prep.")})
        self._ctx = np.asarray(arrays["ctx"])
        self._flow = restore_flow(self._flow_params(int(self.seed)), state["flow_shape"],
                                  arrays, "flow")
        super()._set_state(state["clf"], {k[4:]: v for k, v in arrays.items()
                                          if k.startswith("clf.")}, sk)

