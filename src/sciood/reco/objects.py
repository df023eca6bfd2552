"""Isolated electrons, muons and photons, and the missing transverse momentum, per event.

The parametrised detector (:func:`sciood.generate.detector.simulate`) decides which final-state
electrons, muons and photons are reconstructed as *isolated objects* (efficiency, resolution,
isolation: the numbers are in its card) and hands them here as :class:`EventObjects`, together
with the missing transverse momentum.  Isolated objects are removed from the particles jets are
clustered from, so a lepton from a W decay is no longer a one-particle "fat jet".

Definitions
-----------
* **Relative isolation** of a candidate: Σ pT of the *other* visible final-state particles with
  pT > ``pt_min`` within ΔR = √(Δη² + Δφ²) < ``cone`` of it, divided by its own pT
  (:func:`relative_isolation`); for an electron or muon, the other electron / muon
  candidates do not count (the detector's choice).
* **MET**: the missing transverse momentum, −Σ p⃗T of everything reconstructed (tracks,
  calorimeter towers and the isolated objects); ``met`` is its magnitude [GeV], ``met_phi`` its
  azimuth (:func:`missing_pt`).

Per-event columns (:data:`OBJECT_COLUMNS`, written by :meth:`EventObjects.columns`):
``n_electrons``, ``n_muons``, ``n_photons`` (isolated objects with pT above the card's
threshold); ``lep1_pt``, ``lep1_eta``, ``lep1_phi``, ``lep1_pid`` of the leading isolated
electron or muon (PDG id, signed: 11 = e⁻, −13 = μ⁺); ``pho1_pt``, ``pho1_eta``, ``pho1_phi`` of
the leading isolated photon; ``met``, ``met_phi``. An absent object has pT, η, φ and id 0.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from sciood.reco.kinematics import delta_phi

__all__ = ["ELECTRON", "MUON", "OBJECT_COLUMNS", "PHOTON", "EventObjects", "missing_pt",
           "relative_isolation"]

ELECTRON, MUON, PHOTON = 11, 13, 22

#: Per-event object columns, in the order they are written.
OBJECT_COLUMNS: tuple[str, ...] = (
    "n_electrons", "n_muons", "n_photons", "lep1_pt", "lep1_eta", "lep1_phi", "lep1_pid",
    "pho1_pt", "pho1_eta", "pho1_phi", "met", "met_phi",
)
#: Largest number of (candidate, particle) pairs held at once by :func:`relative_isolation`.
MAX_PAIRS = 1 << 21
_ETA_CLIP = 40.0  # |η| of any particle at √s = 13 TeV is far below
_EVENT_STRIDE = 4 * _ETA_CLIP  # (event, η) as one sortable key


@dataclass
class EventObjects:
    """Isolated leptons and photons of a batch of events, and each event's missing pT.

    Attributes
    ----------
    n_events : int
    event : ndarray of int, shape ``(n_obj,)``
        Event index of each object (increasing).
    pid : ndarray of int, shape ``(n_obj,)``
        Signed PDG id: ±11, ±13 or 22.
    pt, eta, phi : ndarray, shape ``(n_obj,)``
        Reconstructed kinematics [GeV].
    met_x, met_y : ndarray, shape ``(n_events,)``
        Missing transverse momentum components [GeV].
    """

    n_events: int
    event: np.ndarray
    pid: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    met_x: np.ndarray
    met_y: np.ndarray

    def count(self, kind: int) -> np.ndarray:
        """Objects of ``kind`` (11, 13 or 22) per event, shape ``(n_events,)``."""
        mask = np.abs(self.pid) == kind
        return np.bincount(self.event[mask], minlength=self.n_events)

    def n_leptons(self) -> np.ndarray:
        """Isolated electrons + muons per event, shape ``(n_events,)``."""
        return self.count(ELECTRON) + self.count(MUON)

    def _leading(self, mask: np.ndarray) -> tuple[np.ndarray, ...]:
        """(pt, eta, phi, pid) of the leading object among ``mask`` per event (0 if none)."""
        out = [np.zeros(self.n_events) for _ in range(3)] + [np.zeros(self.n_events, np.int32)]
        idx = np.flatnonzero(mask)
        if len(idx):
            order = idx[np.lexsort((-self.pt[idx], self.event[idx]))]
            ev = self.event[order]
            first = order[np.r_[True, ev[1:] != ev[:-1]]]
            e = self.event[first]
            for arr, src in zip(out, (self.pt, self.eta, self.phi, self.pid), strict=True):
                arr[e] = src[first]
        return tuple(out)

    def columns(self, events: np.ndarray) -> dict[str, np.ndarray]:
        """:data:`OBJECT_COLUMNS` for the events ``events``.

        Parameters
        ----------
        events : ndarray of int, shape ``(n,)``
            Indices into the batch (e.g. the selected events).

        Returns
        -------
        dict of str -> ndarray, each shape ``(n,)``
            Counts and ids as int32, kinematics as float64.
        """
        lepton = np.isin(np.abs(self.pid), (ELECTRON, MUON))
        lpt, leta, lphi, lpid = self._leading(lepton)
        gpt, geta, gphi, _ = self._leading(self.pid == PHOTON)
        cols = {"n_electrons": self.count(ELECTRON), "n_muons": self.count(MUON),
                "n_photons": self.count(PHOTON), "lep1_pt": lpt, "lep1_eta": leta,
                "lep1_phi": lphi, "lep1_pid": lpid, "pho1_pt": gpt, "pho1_eta": geta,
                "pho1_phi": gphi, "met": np.hypot(self.met_x, self.met_y),
                "met_phi": np.arctan2(self.met_y, self.met_x)}
        ints = ("n_electrons", "n_muons", "n_photons", "lep1_pid")
        return {k: v[events].astype(np.int32 if k in ints else np.float64)
                for k, v in cols.items()}


def relative_isolation(counts: np.ndarray, pt: np.ndarray, eta: np.ndarray, phi: np.ndarray,
                       candidates: np.ndarray, *, cone: float, pt_min: float,
                       exclude: np.ndarray | None = None) -> np.ndarray:
    """Relative isolation of candidate particles (definition in the module docstring).

    Parameters
    ----------
    counts : ndarray of int, shape ``(n_events,)``
        Particles per event.
    pt, eta, phi : ndarray, shape ``(counts.sum(),)``
        Event-contiguous particles the isolation sum runs over (the candidates among them).
    candidates : ndarray of int, shape ``(n_cand,)``
        Indices of the candidates into ``pt``.
    cone : float
        ΔR of the isolation cone.
    pt_min : float
        Particles below this pT [GeV] do not count.
    exclude : ndarray of bool, shape ``(counts.sum(),)``, optional
        Particles that never count (the detector passes the other lepton candidates, so the
        two collimated leptons of a boosted Z → ℓℓ do not spoil each other's isolation).

    Returns
    -------
    ndarray, shape ``(n_cand,)``
        Σ pT(others in the cone) / pT(candidate); independent of how the candidates are
        grouped into chunks.
    """
    event = np.repeat(np.arange(len(counts)), counts)
    # the particles that count, sorted by (event, η): each candidate pairs only with those
    # inside its η window [η − cone, η + cone]
    use = np.flatnonzero((pt > pt_min) if exclude is None else (pt > pt_min) & ~exclude)
    key = event[use] * _EVENT_STRIDE + np.clip(eta[use], -_ETA_CLIP, _ETA_CLIP)
    order = np.argsort(key, kind="stable")
    use, key = use[order], key[order]
    ckey = event[candidates] * _EVENT_STRIDE + np.clip(eta[candidates], -_ETA_CLIP, _ETA_CLIP)
    lo = np.searchsorted(key, ckey - cone, side="left")
    per = np.searchsorted(key, ckey + cone, side="right") - lo
    out = np.zeros(len(candidates))
    for a, b in _chunks(per):
        cand, n_in = candidates[a:b], per[a:b]
        pair_c = np.repeat(np.arange(len(cand)), n_in)
        local = np.arange(n_in.sum()) - np.repeat(np.cumsum(n_in) - n_in, n_in)
        pair_p = use[np.repeat(lo[a:b], n_in) + local]
        dr2 = (eta[pair_p] - eta[cand][pair_c]) ** 2 + delta_phi(phi[pair_p],
                                                                 phi[cand][pair_c]) ** 2
        near = (dr2 < cone**2) & (pair_p != cand[pair_c])
        total = np.bincount(pair_c[near], weights=pt[pair_p][near], minlength=len(cand))
        out[a:b] = total / pt[cand]
    return out


def _chunks(per: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive ``(lo, hi)`` ranges of candidates with at most :data:`MAX_PAIRS` pairs each
    (a single candidate with more pairs gets a range of its own)."""
    cum = np.cumsum(per)
    edges = [0]
    while edges[-1] < len(per):
        done = int(cum[edges[-1] - 1]) if edges[-1] else 0
        nxt = int(np.searchsorted(cum, done + MAX_PAIRS, side="right"))
        edges.append(max(nxt, edges[-1] + 1))
    return list(itertools.pairwise(edges))


def missing_pt(n_events: int, event: np.ndarray, px: np.ndarray,
               py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Missing transverse momentum −Σ p⃗T per event.

    Parameters
    ----------
    n_events : int
    event : ndarray of int, shape ``(n,)``
        Event of each reconstructed object (tracks, towers, isolated objects together).
    px, py : ndarray, shape ``(n,)``

    Returns
    -------
    met_x, met_y : ndarray, shape ``(n_events,)``
    """
    return (-np.bincount(event, weights=px, minlength=n_events),
            -np.bincount(event, weights=py, minlength=n_events))
