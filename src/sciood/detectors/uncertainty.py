"""Epistemic uncertainty: deep ensembles and MC dropout.

* ``make("ensemble", base="ae", n=5, **base_params)`` — ``n`` copies of a registered
  detector trained with different seeds (Lakshminarayanan et al. 2017);
* ``make("mc_dropout", base="ae", passes=20, dropout=0.1, **base_params)`` — one torch
  detector trained with dropout, scored with dropout active (Gal & Ghahramani 2016).

Ensemble members are independent fits: inside ``sciood.distributed.connect(...)`` (or
``use_client``) they are trained in parallel as Dask tasks, one torch thread each; the members
are then bit-identical to an in-process fit run with one torch thread.

Both give :meth:`score_with_uncertainty` ``-> (mean, std)`` over members / passes; ``score``
returns the mean (``score_mode="mean"``) or the epistemic std itself (``"std"``), which is
a detector in its own right.

Example
-------
>>> import numpy as np
>>> from sciood.detectors import make
>>> X = np.random.default_rng(0).normal(size=(200, 3))
>>> det = make("ensemble", base="mahalanobis", n=3, seed=0).fit(X)
>>> mean, std = det.score_with_uncertainty(X)
>>> mean.shape, std.shape
((200,), (200,))
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from sciood.data.eventset import EventSet
from sciood.detectors.contract import Detector
from sciood.detectors.inputs import LabelKind
from sciood.detectors.params import check_base_params, extra_params
from sciood.detectors.registry import detector_class, make, register
from sciood.distributed import current_client, run_tasks, single_thread
from sciood.errors import ConfigError

__all__ = ["Ensemble", "MCDropout", "member_seeds"]

ScoreMode = Literal["mean", "std"]


def member_seeds(seed: int, n: int) -> list[int]:
    """``n`` independent member seeds derived from ``seed`` (numpy SeedSequence)."""
    return [int(s) for s in np.random.SeedSequence(int(seed)).generate_state(n)]


def _fit_member(seed: int, base: str, params: dict[str, Any], X: np.ndarray, y: Any,
                w: np.ndarray, obs: np.ndarray | None) -> Detector:
    """One ensemble member, fitted with one torch thread (a Dask task)."""
    with single_thread():
        return make(base, **{**params, "seed": seed}).fit(X, y, sample_weight=w, observable=obs)


class _Wrapper(Detector):
    """Shared plumbing: inputs and labels follow the wrapped base detector."""

    standardize = False
    accepts_extra_params = True

    def _store_wrapper(self, own: dict[str, Any], base_params: dict[str, Any]) -> None:
        own = {k: v for k, v in own.items() if k not in ("self", "__class__", "base_params")}
        self._store({**own, **base_params})

    def _check_mode(self) -> None:
        if self.score_mode not in ("mean", "std"):
            raise ConfigError(f"score_mode must be 'mean' or 'std', got {self.score_mode!r}")

    def _proto(self) -> Detector:
        return make(self.base, **self._base_kwargs())

    def _base_kwargs(self) -> dict[str, Any]:
        return dict(self._base_params)

    def _label_kind(self) -> LabelKind:
        return detector_class(self.base).label_kind

    def _expected_ndim(self) -> int:
        return self._proto()._expected_ndim()

    def _represent(self, events: Any) -> np.ndarray:
        return self._proto()._represent(events)

    def score(self, X: Any) -> np.ndarray:
        mean, std = self.score_with_uncertainty(X)
        return std if self.score_mode == "std" else mean


@register("ensemble")
class Ensemble(_Wrapper):
    """Deep ensemble of ``n`` members of detector ``base`` with independent seeds.

    Parameters
    ----------
    base : str
        Registry name of the member detector.
    n : int
        Number of members.
    seed : int
        Master seed; member seeds come from :func:`member_seeds`.
    score_mode : {"mean", "std"}
        What :meth:`score` returns.
    **base_params
        Parameters of every member (``seed`` excluded).
    """

    def __init__(self, *, base: str = "ae", n: int = 5, seed: int = 0,
                 score_mode: ScoreMode = "mean", **base_params: Any) -> None:
        self._store_wrapper(dict(locals()), base_params)

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        if int(params["n"]) < 2:
            raise ConfigError(f"an ensemble needs n >= 2 members, got {params['n']}")
        if params["base"] in ("ensemble", "mc_dropout"):
            raise ConfigError("ensemble base must be a plain detector, not a wrapper")
        check_base_params("ensemble", params["base"],
                          {**extra_params(cls, params), "seed": params["seed"]})

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        self._check_mode()
        if int(self.n) < 2:
            raise ConfigError(f"an ensemble needs n >= 2 members, got {self.n}")
        if self.base in ("ensemble", "mc_dropout"):
            raise ConfigError("ensemble base must be a plain detector, not a wrapper")
        seeds = member_seeds(self.seed, int(self.n))
        client = current_client()
        if client is not None:
            self._members = run_tasks(_fit_member, seeds, client=client,
                                      shared=(self.base, self._base_params, X, y, w, obs),
                                      name="sciood-ensemble")
            return
        self._members = [
            make(self.base, **{**self._base_params, "seed": s}).fit(
                X, y, sample_weight=w, observable=obs)
            for s in seeds
        ]

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return self.score_with_uncertainty(X)[0]

    def member_scores(self, X: Any) -> np.ndarray:
        """Scores of every member, shape ``(n_members, n_events)``."""
        self._check_fitted()
        arr = self._validate(self._represent(X) if isinstance(X, EventSet) else X,
                             fitting=False)
        return np.stack([m.score(arr) for m in self._members])

    def score_with_uncertainty(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean over members and their standard deviation (ddof=1), each ``(n,)``."""
        s = self.member_scores(X)
        return s.mean(0), s.std(0, ddof=1)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        states, arrays, sk = [], {}, {}
        for i, m in enumerate(self._members):
            st, ar, skm = m._full_state()
            states.append({"params": m.get_params(), "state": st})
            arrays.update({f"m{i}.{k}": v for k, v in ar.items()})
            sk.update({f"m{i}.{k}": v for k, v in skm.items()})
        return {"members": states}, arrays, sk

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        self._members = []
        for i, ms in enumerate(state["members"]):
            pre = f"m{i}."
            m = make(self.base, **ms["params"])
            m._restore_full_state(
                ms["state"],
                {k[len(pre):]: v for k, v in arrays.items() if k.startswith(pre)},
                {k[len(pre):]: v for k, v in sk.items() if k.startswith(pre)},
            )
            self._members.append(m)


@register("mc_dropout")
class MCDropout(_Wrapper):
    """MC dropout around a torch detector (``ae``, ``vae``, ``svdd``, ``supervised`` …).

    Parameters
    ----------
    base : str
        Registry name of a torch detector with a ``dropout`` parameter.
    passes : int
        Stochastic forward passes at scoring time.
    dropout : float
        Dropout probability used for training and scoring.
    seed : int
    score_mode : {"mean", "std"}
    **base_params
        Further parameters of the base detector.
    """

    def __init__(self, *, base: str = "ae", passes: int = 20, dropout: float = 0.1,
                 seed: int = 0, score_mode: ScoreMode = "mean", **base_params: Any) -> None:
        self._store_wrapper(dict(locals()), base_params)

    def _base_kwargs(self) -> dict[str, Any]:
        return {**self._base_params, "dropout": self.dropout, "seed": self.seed}

    @classmethod
    def _check_params(cls, params: dict[str, Any]) -> None:
        base = params["base"]
        if "dropout" not in detector_class(base).param_names():
            raise ConfigError(f"mc_dropout needs a torch detector with dropout; {base!r} "
                              "has none")
        if not 0 < float(params["dropout"]) < 1 or int(params["passes"]) < 2:
            raise ConfigError("mc_dropout needs 0 < dropout < 1 and passes >= 2, got "
                              f"dropout={params['dropout']}, passes={params['passes']}")
        check_base_params("mc_dropout", base, {**extra_params(cls, params),
                                               "dropout": params["dropout"],
                                               "seed": params["seed"]})

    def _fit_arrays(self, X: np.ndarray, y: Any, w: np.ndarray, obs: np.ndarray | None) -> None:
        self._check_mode()
        if "dropout" not in detector_class(self.base).param_names():
            raise ConfigError(f"mc_dropout needs a torch detector with dropout; {self.base!r} "
                              "has none")
        if not 0 < float(self.dropout) < 1 or int(self.passes) < 2:
            raise ConfigError("mc_dropout needs 0 < dropout < 1 and passes >= 2")
        self._model = self._proto().fit(X, y, sample_weight=w, observable=obs)

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return self.score_with_uncertainty(X)[0]

    def score_with_uncertainty(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Mean and std (ddof=1) over ``passes`` dropout passes, each ``(n,)``."""
        self._check_fitted()
        arr = self._validate(self._represent(X) if isinstance(X, EventSet) else X,
                             fitting=False)
        s = self._model.mc_scores(arr, int(self.passes), int(self.seed))
        return s.mean(0), s.std(0, ddof=1)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
        st, ar, sk = self._model._full_state()
        return {"state": st}, ar, sk

    def _set_state(self, state: dict[str, Any], arrays: dict[str, np.ndarray],
                   sk: dict[str, Any]) -> None:
        self._model = self._proto()
        self._model._restore_full_state(state["state"], arrays, sk)
