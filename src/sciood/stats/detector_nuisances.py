"""The detector's uncertainties as nuisance parameters of the hunt's pyhf model.

Two sources, each turned into ``(sample, pyhf modifier)`` pairs for the
``extra_modifiers=`` keyword of :func:`~sciood.stats.workspace.build_workspace` /
:func:`~sciood.stats.workspace.fit_workspace`:

* **epistemic spread of the cut efficiency** — the same cut (e.g. at a fixed background
  efficiency) applied with each ensemble member or MC-dropout pass: :func:`cut_efficiencies`
  gives the efficiency per member, :func:`spread_modifiers` a ``normsys`` on the signal
  (``1 ± σ_ε/ε``, ``σ`` the member standard deviation, ddof = 1) and, with the background
  efficiencies, a correlated ``normsys`` on the background (one parameter along the
  signal's direction, a second for the background's uncorrelated rest: the 2×2 member
  covariance exactly);
* **the detector's response to JES ±1σ** — the *same* cut (the nominal threshold) applied to
  events simulated with the jet energy scale shifted (``sciood generate --variant
  sim_jes_up|sim_jes_down``): :func:`jes_response` histograms the passing events of each,
  and :meth:`JESResponse.modifiers` writes a ``histosys`` (shape and yield) or a ``normsys``
  (yield only) named ``jes``, so it shares the parameter of the workspace's ``jes``
  nuisance (fully correlated between signal and background, as the JES is one number).

Example
-------
>>> import numpy as np
>>> eff_s = cut_efficiencies(np.array([[0.2, 0.9, 0.7], [0.1, 0.8, 0.4]]), 0.5)
>>> eff_s.tolist()
[0.6666666666666666, 0.3333333333333333]
>>> [(s, m["type"], m["name"]) for s, m in spread_modifiers(eff_s)]
[('signal', 'normsys', 'detector_spread')]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError

__all__ = ["JESResponse", "cut_efficiencies", "jes_response", "spread_modifiers"]

#: a ``(sample, pyhf modifier)`` pair, as ``build_workspace(extra_modifiers=...)`` takes
Modifier = tuple[str, dict[str, Any]]
Sample = Literal["signal", "background"]


def _finite(name: str, values: ArrayLike) -> NDArray[np.float64]:
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        raise DataError(f"{name} is empty")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN/inf; drop or impute those events first")
    return arr


def _weights(sample_weight: ArrayLike | None, n: int, what: str) -> NDArray[np.float64]:
    if sample_weight is None:
        return np.ones(n)
    w = _finite(f"{what} sample_weight", sample_weight).ravel()
    if w.size != n:
        raise DataError(f"{what} sample_weight has {w.size} entries for {n} events")
    return w


def cut_efficiencies(
    scores: ArrayLike,
    thresholds: ArrayLike,
    *,
    sample_weight: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Weighted fraction of events passing ``score >= threshold`` for every member.

    Parameters
    ----------
    scores : array-like, shape (n_members, n_events)
        Scores of each ensemble member (``Ensemble.member_scores``) or MC-dropout pass
        (higher = more anomalous).
    thresholds : float or array-like, shape (n_members,)
        One threshold for all members or one per member (e.g. each member's cut at the
        same background efficiency).
    sample_weight : array-like, shape (n_events,), optional
        Per-event weights (default 1).

    Returns
    -------
    ndarray, shape (n_members,)
        The efficiencies.

    Raises
    ------
    DataError
        On NaN scores, mismatched shapes or a non-positive total weight.
    """
    s = _finite("scores", scores)
    if s.ndim != 2:
        raise DataError(
            f"scores has shape {s.shape}; pass (n_members, n_events), e.g. "
            "Ensemble.member_scores(X)"
        )
    t = _finite("thresholds", thresholds)
    if t.ndim > 1 or (t.ndim == 1 and t.size != s.shape[0]):
        raise DataError(f"thresholds has shape {t.shape}; pass a float or ({s.shape[0]},)")
    w = _weights(sample_weight, s.shape[1], "cut_efficiencies")
    total = float(w.sum())
    if total <= 0.0:
        raise DataError(f"the events' weights sum to {total:g}; efficiencies need a sum > 0")
    passed = s >= (t[:, None] if t.ndim == 1 else t)
    return np.asarray((passed * w).sum(axis=1) / total, dtype=float)


def _efficiency_set(name: str, eff: ArrayLike) -> NDArray[np.float64]:
    e = _finite(name, eff).ravel()
    if e.size < 2:
        raise DataError(f"{name} has {e.size} member(s); a spread needs at least 2")
    if np.any(e < 0.0) or np.any(e > 1.0):
        raise DataError(f"{name} must lie in [0, 1] (got {e.min():.3g} … {e.max():.3g})")
    if float(e.mean()) <= 0.0:
        raise StatisticsError(
            f"{name}: the nominal efficiency is 0 (no event passes the cut); loosen the cut"
        )
    return e


def _normsys(name: str, rel: float, what: str) -> dict[str, Any]:
    if abs(rel) >= 1.0:
        raise StatisticsError(
            f"{what}: relative spread {abs(rel):.2f} >= 1 cannot be a normsys (the down "
            "variation would be <= 0); use more members or a looser cut"
        )
    return {"name": name, "type": "normsys",
            "data": {"hi": float(1.0 + rel), "lo": float(1.0 - rel)}}


def spread_modifiers(
    signal_efficiency: ArrayLike,
    background_efficiency: ArrayLike | None = None,
    *,
    name: str = "detector_spread",
    n_sigma: float = 1.0,
) -> list[Modifier]:
    """``normsys`` modifiers from the member-to-member spread of the cut efficiencies.

    The signal gets ``1 ± n_sigma σ_S/ε̄_S`` on parameter ``name``.  With
    ``background_efficiency`` (same members, same order) the background gets
    ``1 ± n_sigma ρ σ_B/ε̄_B`` on the same parameter (``ρ`` the members' correlation of
    ε_S and ε_B, so a looser member moves both) and ``1 ± n_sigma √(1 − ρ²) σ_B/ε̄_B`` on
    ``name + "_background"``: together exactly the members' 2×2 covariance.

    Parameters
    ----------
    signal_efficiency : array-like, shape (n_members,)
        Signal cut efficiency per member (:func:`cut_efficiencies`), in [0, 1].
    background_efficiency : array-like, shape (n_members,), optional
        Background cut efficiency per member.
    name : str
        Name of the nuisance parameter.
    n_sigma : float
        Scale of the variation (1: the members' standard deviation is ±1σ).

    Returns
    -------
    list of (sample, modifier) pairs
        For ``build_workspace(extra_modifiers=...)``.

    Raises
    ------
    DataError
        On efficiencies outside [0, 1], fewer than two members or mismatched lengths.
    StatisticsError
        On a zero nominal efficiency or a relative spread of 100 % or more.
    """
    if not (np.isfinite(n_sigma) and n_sigma >= 0.0):
        raise DataError(f"n_sigma = {n_sigma} must be finite and >= 0")
    es = _efficiency_set("signal_efficiency", signal_efficiency)
    sd_s = float(es.std(ddof=1))
    out: list[Modifier] = [
        ("signal", _normsys(name, n_sigma * sd_s / float(es.mean()), "signal efficiency"))
    ]
    if background_efficiency is None:
        return out
    eb = _efficiency_set("background_efficiency", background_efficiency)
    if eb.size != es.size:
        raise DataError(
            f"background_efficiency has {eb.size} members, signal_efficiency {es.size}; "
            "pass the same members in the same order"
        )
    sd_b = float(eb.std(ddof=1))
    rho = 0.0 if sd_s == 0.0 or sd_b == 0.0 else float(np.corrcoef(es, eb)[0, 1])
    rel_b = n_sigma * sd_b / float(eb.mean())
    out.append(("background", _normsys(name, rho * rel_b, "background efficiency")))
    out.append(
        (
            "background",
            _normsys(name + "_background", np.sqrt(max(1.0 - rho**2, 0.0)) * rel_b,
                     "background efficiency"),
        )
    )
    return out


@dataclass(frozen=True)
class JESResponse:
    """Histograms of the events passing one fixed cut, nominal and with JES ±1σ.

    Attributes
    ----------
    nominal, up, down : ndarray, shape (n_bins,)
        Σ weight × scale of the passing events per bin of ``edges``.
    edges : ndarray, shape (n_bins + 1,)
        Bin edges of the observable.
    efficiency : ndarray, shape (3,)
        Cut efficiency (passing / all, weighted) nominal, up, down: the detector's response.
    sample : {"signal", "background"}
        Which workspace sample the modifiers act on.
    name : str
        Nuisance-parameter name (``"jes"``: shared with the workspace's ``jes``).
    """

    nominal: NDArray[np.float64]
    up: NDArray[np.float64]
    down: NDArray[np.float64]
    edges: NDArray[np.float64]
    efficiency: NDArray[np.float64]
    sample: Sample
    name: str = "jes"

    @property
    def yield_ratio(self) -> tuple[float, float]:
        """Total passing yield up / nominal and down / nominal."""
        tot = float(self.nominal.sum())
        return float(self.up.sum()) / tot, float(self.down.sum()) / tot

    def modifiers(self, kind: Literal["histosys", "normsys"] = "histosys") -> list[Modifier]:
        """The response as one pyhf modifier on :attr:`sample`.

        Parameters
        ----------
        kind : {"histosys", "normsys"}
            ``"histosys"``: the up / down histograms (mjj shape and yield: the cut's
            efficiency change, the acceptance and the mass shift); ``"normsys"``: only the
            total yield ratios (:attr:`yield_ratio`).

        Returns
        -------
        list of (sample, modifier) pairs
        """
        if kind == "histosys":
            data: dict[str, Any] = {"hi_data": self.up.tolist(), "lo_data": self.down.tolist()}
        elif kind == "normsys":
            hi, lo = self.yield_ratio
            if hi <= 0.0 or lo <= 0.0:
                raise StatisticsError(
                    f"JES {self.sample} yield ratios {hi:.3g}/{lo:.3g}: no shifted event passes "
                    "the cut, so a normsys is undefined; use kind='histosys'"
                )
            data = {"hi": hi, "lo": lo}
        else:
            raise DataError(f"kind {kind!r} is not one of 'histosys', 'normsys'")
        return [(self.sample, {"name": self.name, "type": kind, "data": data})]


def _passing_hist(
    what: str, events: tuple[ArrayLike, ArrayLike, ArrayLike | None], threshold: float,
    edges: NDArray[np.float64], scale: float,
) -> tuple[NDArray[np.float64], float]:
    if not (isinstance(events, tuple | list) and len(events) == 3):
        raise DataError(f"{what} must be an (observable, score, sample_weight) triple")
    obs = _finite(f"{what} observable", events[0]).ravel()
    score = _finite(f"{what} score", events[1]).ravel()
    if obs.size != score.size:
        raise DataError(f"{what}: {obs.size} observable values but {score.size} scores")
    w = _weights(events[2], obs.size, what)
    total = float(w.sum())
    if total <= 0.0:
        raise DataError(f"{what}: the weights sum to {total:g}; need a sum > 0")
    keep = score >= threshold
    hist, _ = np.histogram(obs[keep], edges, weights=w[keep] * scale)
    return hist.astype(float), float(w[keep].sum()) / total


def jes_response(
    nominal: tuple[ArrayLike, ArrayLike, ArrayLike | None],
    up: tuple[ArrayLike, ArrayLike, ArrayLike | None],
    down: tuple[ArrayLike, ArrayLike, ArrayLike | None],
    *,
    threshold: float,
    edges: ArrayLike,
    scale: float = 1.0,
    sample: Sample = "signal",
    name: str = "jes",
) -> JESResponse:
    """The same cut applied to nominal and JES-shifted events, as histograms.

    Parameters
    ----------
    nominal, up, down : (observable, score, sample_weight) triples
        Per-event search observable (e.g. mjj), detector score and weight (``None``: 1) of
        the nominal and the JES ±1σ samples (``--variant sim_jes_up`` / ``sim_jes_down``),
        all scored by the same trained detector.  Generated weights already carry the
        selection acceptance of each variant.
    threshold : float
        The cut (fixed on the nominal sample, e.g. at a background efficiency); not refit on
        the shifted samples.
    edges : array-like, shape (n_bins + 1,)
        Bin edges of the workspace's histogram.
    scale : float
        Factor on every weight (e.g. luminosity, or signal events per unit weight).
    sample : {"signal", "background"}
        The workspace sample the modifiers act on.
    name : str
        Nuisance-parameter name; ``"jes"`` correlates it with the workspace's ``jes``.

    Returns
    -------
    JESResponse
        Use :attr:`JESResponse.nominal` as the sample's template and
        :meth:`JESResponse.modifiers` as its extra modifiers.

    Raises
    ------
    DataError
        On NaN, mismatched lengths, unsorted edges or a bad ``sample``.
    StatisticsError
        If no nominal event passes the cut inside the edges (zero nominal efficiency).
    """
    if sample not in ("signal", "background"):
        raise DataError(f"sample {sample!r} is not 'signal' or 'background'")
    e = _finite("edges", edges).ravel()
    if e.size < 2 or np.any(np.diff(e) <= 0.0):
        raise DataError("edges must be at least two strictly increasing values")
    if not (np.isfinite(scale) and scale > 0.0):
        raise DataError(f"scale = {scale} must be finite and > 0")
    if not np.isfinite(threshold):
        raise DataError(f"threshold = {threshold} must be finite")
    hists, effs = [], []
    for label, ev in (("nominal", nominal), ("up", up), ("down", down)):
        h, eff = _passing_hist(f"jes_response {label}", ev, float(threshold), e, float(scale))
        hists.append(h)
        effs.append(eff)
    if hists[0].sum() <= 0.0:
        raise StatisticsError(
            "no nominal event passes the cut inside the edges (zero nominal efficiency); "
            "loosen the cut or widen the edges"
        )
    return JESResponse(hists[0], hists[1], hists[2], e, np.array(effs), sample, name)
