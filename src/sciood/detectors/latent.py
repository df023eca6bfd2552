"""Latent spaces of detectors: :meth:`Detector.latent` / :meth:`Detector.encode`.

Detectors whose family has a latent space set ``latent_space = True`` and implement
``_latent_arrays`` (torch detectors: ``_batch_latent`` per block):

* ``ae`` — the bottleneck (the encoder's linear output; the decoder sees its ReLU);
* ``vae`` / ``oe_vae`` — the posterior mean μ(x);
* ``flow`` — the base space ``z = f(x')`` of the standardised features, N(0, 1) for events
  like the training sample;
* ``svdd`` — the embedding ``f(x)`` whose squared distance to the centre is the score;
* ``supervised``, ``msp``, ``energy`` (and ``cwola`` / ``idealized`` / ``cathode`` with
  ``classifier="mlp"``) — the last hidden layer of the classifier;
* ``per_jet`` — the per-jet space its base is fitted in, ``(n, 2, k)``: Gaussianized jet
  features (``space="gauss"`` / ``"copula"``) or the raw ones;
* ``lacathode`` — its own ``latent``: the conditional flow's ``z``.

Latents are computed like scores: on validated (and standardised) inputs, in the fixed
blocks of :func:`~sciood.detectors.inputs.score_in_blocks` (so a row's latent does not
depend on its batch), without gradients, with the network in eval mode.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(256, 3))
>>> make("svdd", epochs=1, rep_dim=4, seed=0).fit(X).latent(X).shape
(256, 4)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sciood.detectors.inputs import score_in_blocks
from sciood.errors import ConfigError, MissingDependencyError, UnknownNameError

if TYPE_CHECKING:
    from sciood.detectors.contract import Detector

__all__ = ["latent_detectors", "latent_of"]


def latent_of(det: Detector, X: Any) -> np.ndarray:
    """The latent coordinates of ``X`` under the fitted detector ``det``.

    Parameters
    ----------
    det : Detector
    X : ndarray, shape ``(n, ...)``, or EventSet
        As for :meth:`~sciood.detectors.Detector.score`.

    Returns
    -------
    ndarray, shape ``(n, k)``, float64
        ``(n, 2, k)`` for ``per_jet`` (one row per jet).

    Raises
    ------
    ConfigError
        The detector has no latent space (the message lists those that do).
    NotFittedError
        Before ``fit`` (or ``load``).
    """
    name = det.name or type(det).__name__
    if not det.has_latent:
        raise ConfigError(
            f"{name} has no latent space{det._no_latent_note()}; detectors with one: "
            f"{', '.join(latent_detectors())} (make one of them, then call latent(X))")
    if type(det)._own_latent():  # a family's own latent() (lacathode)
        return np.asarray(det.latent(X), dtype=np.float64)
    arr = det._prepared(X)
    if det.invariant_scoring:
        return np.asarray(det._latent_arrays(arr), dtype=np.float64)
    return np.asarray(score_in_blocks(det._latent_arrays, arr), dtype=np.float64)


def latent_detectors() -> list[str]:
    """Names of the available detectors whose family has a latent space (sorted).

    PyOD detectors are not imported to ask (none exposes a latent space here); a detector
    whose optional dependency is missing is left out.
    """
    from sciood.detectors.registry import PYOD_PREFIX, available, detector_class

    out = []
    for name in available():
        if name.startswith(PYOD_PREFIX):
            continue
        try:
            cls = detector_class(name)
        except (MissingDependencyError, UnknownNameError):
            continue
        if cls.latent_space or cls._own_latent():
            out.append(name)
    return out
