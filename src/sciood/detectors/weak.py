"""Weakly supervised, resonance-aware detectors (SPEC §1): CWoLa hunting and the idealized AD.

* ``cwola`` — Classification Without Labels (Metodiev, Nachman, Thaler 2017; CWoLa hunting,
  Collins, Howe, Nachman 2018): a classifier of signal-region (SR) events against sideband
  (SB) events in the search observable (mjj).  It needs no labels, only ``observable``;
  with an EventSet the first observable (``mjj``) is used.  Sidebands are
  ``[lo - sideband_width, lo)`` and ``[hi, hi + sideband_width)`` (SPEC §1: ± 200 GeV, as in
  the CATHODE authors' code).  Score = classifier logit (higher = more SR-like = more
  anomalous).  Events outside the SR can be scored too.
* ``idealized`` — the idealized anomaly detector: a classifier of SR *data* (``y = 1``)
  against an independent, perfect background sample (``y = 0``).  The caller supplies the
  extra background as the ``y = 0`` rows of the training set (a fit-time input, so no path
  is hidden in the model); if ``observable`` is given, only SR events of both are used.

Both reuse the :class:`~sciood.detectors.classifier.Supervised` MLP (torch) rather than a new
network; ensembles over folds come from ``fit_score`` (out-of-fold) or the ``ensemble``
wrapper (uncertainty).  Training-set construction (SR / SB split) is the only code written
here, because no library offers it.

>>> import numpy as np
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> X, mjj = rng.normal(size=(400, 2)), rng.uniform(3100, 3900, 400)
>>> det = make("cwola", epochs=1, seed=0).fit(X, observable=mjj)
>>> det.score(X).shape
(400,)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from sciood.detectors.base import LabelKind, register
from sciood.detectors.classifier import Supervised
from sciood.errors import ConfigError, DataError

__all__ = ["CWoLa", "Idealized", "sideband_masks"]

#: SPEC §1 signal region in mjj (GeV).
DEFAULT_SR = (3300.0, 3700.0)


def _region(signal_region: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in signal_region)
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"signal_region must be two numbers [low, high] in the observable's unit (GeV), "
            f"got {signal_region!r}") from exc
    if not hi > lo:
        raise ConfigError(f"signal_region needs low < high, got [{lo}, {hi}]")
    return lo, hi


def sideband_masks(
    observable: np.ndarray, signal_region: Sequence[float], sideband_width: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks ``(in_sr, in_sb)``, each shape ``(n,)``.

    Parameters
    ----------
    observable : ndarray, shape ``(n,)``
        Search observable (mjj, GeV).
    signal_region : (low, high)
        SR is ``low <= obs < high``.
    sideband_width : float or None
        SB is ``[low - width, low) ∪ [high, high + width)``; ``None`` = everything outside the SR.
    """
    lo, hi = _region(signal_region)
    obs = np.asarray(observable, dtype=np.float64)
    in_sr = (obs >= lo) & (obs < hi)
    if sideband_width is None:
        return in_sr, ~in_sr
    if sideband_width <= 0:
        raise ConfigError(f"sideband_width must be > 0 (GeV) or None, got {sideband_width}")
    in_sb = ((obs >= lo - sideband_width) & (obs < lo)) | (
        (obs >= hi) & (obs < hi + sideband_width))
    return in_sr, in_sb


class _WeakBase(Supervised):
    supports_decorrelation = False
    #: the pipeline trains these on background + injected signal (pseudo-data)
    trains_on_mixture = True

    def __init__(
        self,
        *,
        seed: int = 0,
        signal_region: Sequence[float] = DEFAULT_SR,
        sideband_width: float | None = 200.0,
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
    ) -> None:
        self._store(locals())

    # the Supervised options these detectors do not expose
    max_particles = 30
    encoder = "deepsets"
    decorrelate = None
    decor_strength = 10.0

    def _need_obs(self, obs: np.ndarray | None) -> np.ndarray:
        if obs is None:
            raise DataError(
                f"{self.name} needs the search observable at fit: pass observable=mjj "
                "(shape (n,)) or an EventSet with an 'mjj' observable")
        return obs

    def _train(self, X: np.ndarray, y: np.ndarray, w: np.ndarray, what: str) -> None:
        for c, label in ((0, "class 0"), (1, "class 1")):
            if int((y == c).sum()) < 2:
                raise DataError(
                    f"{self.name}: {what} has fewer than 2 {label} events; widen "
                    "signal_region / sideband_width or use more events")
        Supervised._fit_arrays(self, X, y, w, None)


@register("cwola")
class CWoLa(_WeakBase):
    """CWoLa hunting: classifier of signal region vs sidebands in ``observable`` (no labels).

    Parameters
    ----------
    signal_region : (low, high), default (3300, 3700)
        SR in the observable's unit (GeV for mjj).
    sideband_width : float or None, default 200
        Width of each sideband; ``None`` = all events outside the SR.
    Other parameters as :class:`~sciood.detectors.classifier.Supervised`.
    """

    label_kind: ClassVar[LabelKind] = "none"

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        in_sr, in_sb = sideband_masks(self._need_obs(obs), self.signal_region,
                                      self.sideband_width)
        keep = in_sr | in_sb
        self._train(X[keep], in_sr[keep].astype(np.int64), w[keep], "SR vs SB training set")


@register("idealized")
class Idealized(_WeakBase):
    """Idealized anomaly detector: SR data (``y = 1``) vs independent background (``y = 0``).

    ``y`` marks the origin of each training row, not signal truth: 1 = pseudo-data (background
    + injected signal), 0 = the extra, independent background sample.  With ``observable``
    only rows inside ``signal_region`` are used.
    """

    label_kind: ClassVar[LabelKind] = "binary"
    trains_on_mixture = False

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        keep = np.ones(len(X), bool) if obs is None else sideband_masks(
            obs, self.signal_region, self.sideband_width)[0]
        self._train(X[keep], np.asarray(y)[keep], w[keep], "SR data vs reference background")
