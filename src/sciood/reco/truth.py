"""Hard-process truth and per-jet truth labels: b-hadron / top / W / Z matching by ΔR.

:func:`truth_from_record` reads Pythia's event record (the awkward ``prt`` array of
``Pythia.nextBatch``: ``id``, ``status``, ``mother1``, ``daughter1``, ``daughter2``, ``p``) into
:class:`TruthParticles`:

* **W, Z, top**: the *last copy* of each (the one that decays; recoil copies are skipped), with
  the directions of its decay products right after the decay — the two fermions of a W or Z,
  and for a top its b quark and its W's two fermions.  ``decay`` is the smallest |PDG id| of the
  products (of the W for a top): 1–5 hadronic, 11/13/15 a charged lepton, 12/14/16 Z → νν.
* **b-hadrons**: the last b-hadron of each chain (no b-hadron among its daughters) with
  pT > :data:`B_HADRON_PT_MIN`.
* the **true missing pT**: −Σ p⃗T of the invisible final-state particles (neutrinos and the
  ids passed as invisible, e.g. stable dark hadrons).

:func:`jet_truth_labels` labels jets: a jet is **top** if the top's three decay products all lie
within ΔR < ``radius`` of the jet axis, **W** / **Z** if both decay fermions of a hadronically
decaying W / Z do, else **b** if a b-hadron does, else **light**; priority top > W > Z > b
(:data:`TRUTH_LABELS`). ``nb`` counts the b-hadrons within ΔR < ``radius``. ΔR uses η and φ.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from sciood.reco.kinematics import delta_phi, kinematics

__all__ = ["B_HADRON_PT_MIN", "NEUTRINOS", "TRUTH_COLUMNS", "TRUTH_LABELS", "TruthParticles",
           "is_b_hadron", "jet_truth_labels", "truth_from_record"]

#: Integer code of each per-jet truth label (higher code wins when several match).
TRUTH_LABELS: dict[str, int] = {"light": 0, "b": 1, "Z": 2, "W": 3, "top": 4}
#: Per-event truth columns: label and b-hadron count of ``j1``/``j2`` (mass-ordered like the
#: features) and the true missing pT [GeV].
TRUTH_COLUMNS: tuple[str, ...] = ("truth_j1", "truth_j2", "nb_j1", "nb_j2", "truth_met")
#: b-hadrons softer than this [GeV] are not matched to jets.
B_HADRON_PT_MIN = 5.0
NEUTRINOS = (12, 14, 16)
_KIND = {"b": 1, "Z": 2, "W": 3, "top": 4}
_PDG = {23: _KIND["Z"], 24: _KIND["W"], 6: _KIND["top"]}


@dataclass
class TruthParticles:
    """Truth objects of a batch of events (flat), and each event's true missing pT.

    Attributes
    ----------
    n_events : int
    event : ndarray of int, shape ``(n_obj,)``
    kind : ndarray of int, shape ``(n_obj,)``
        1 b-hadron, 2 Z, 3 W, 4 top (the codes of :data:`TRUTH_LABELS`).
    decay : ndarray of int, shape ``(n_obj,)``
        Smallest |PDG id| among the decay products (0 for b-hadrons).
    pt, eta, phi : ndarray, shape ``(n_obj,)``
        The object's own kinematics.
    prod_eta, prod_phi : ndarray, shape ``(n_obj, 3)``
        Directions of the decay products (NaN-padded: 2 for W/Z, 3 for top, 0 for b-hadrons).
    met_x, met_y : ndarray, shape ``(n_events,)``
        True missing pT components (invisible final-state particles) [GeV].
    """

    n_events: int
    event: np.ndarray
    kind: np.ndarray
    decay: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    prod_eta: np.ndarray
    prod_phi: np.ndarray
    met_x: np.ndarray
    met_y: np.ndarray

    @property
    def hadronic(self) -> np.ndarray:
        """W / Z / top decaying to quarks, shape ``(n_obj,)``."""
        return (self.kind >= _KIND["Z"]) & (self.decay >= 1) & (self.decay <= 5)


def is_b_hadron(pid: np.ndarray) -> np.ndarray:
    """Whether each PDG id is a hadron containing a b quark (mesons 5xx, baryons 5xxx).

    Diquarks (``5101``, ``5503``, ...; tens digit 0) and the b quark itself are not hadrons.
    """
    full = np.abs(np.asarray(pid, dtype=np.int64))
    a = full % 10_000  # excited states: 10511, 20523, 100553, ...
    meson = ((a // 100) % 10 == 5) & (a < 1000)
    baryon = ((a // 1000) % 10 == 5) & ((a // 10) % 10 != 0)
    return (meson | baryon) & (full < 1_000_000)


def _flat(ak: Any, arr: Any, dtype: Any) -> np.ndarray:
    return np.asarray(ak.to_numpy(ak.flatten(arr)), dtype=dtype)


def truth_from_record(ak: Any, prt: Any, *, invisible_ids: Collection[int] = NEUTRINOS
                      ) -> TruthParticles:
    """W / Z / top / b-hadron truth and the true missing pT from Pythia's event record.

    Parameters
    ----------
    ak : module
        ``awkward``.
    prt : awkward array, ``n_events * var * PythiaParticle``
        ``batch.prt`` of ``Pythia.nextBatch`` (the whole record, not only the final state).
    invisible_ids : collection of int
        |PDG ids| of invisible particles (neutrinos by default; add e.g. stable dark hadrons).

    Returns
    -------
    TruthParticles
    """
    counts = np.asarray(ak.to_numpy(ak.num(prt.id, axis=1)), dtype=np.int64)
    n_events = len(counts)
    off = np.repeat(np.cumsum(counts) - counts, counts)
    pid = _flat(ak, prt.id, np.int64)
    status = _flat(ak, prt.status, np.int64)
    mother = _flat(ak, prt.mother1, np.int64) + off
    d1 = _flat(ak, prt.daughter1, np.int64)
    d2 = _flat(ak, prt.daughter2, np.int64)
    has = d1 > 0
    d1 = np.where(has, d1 + off, 0)
    d2 = np.where(d2 > 0, d2 + off, d1)
    mom = {c: _flat(ak, prt.p[c], np.float64) for c in ("px", "py", "pz", "e")}
    kin = kinematics(mom["px"], mom["py"], mom["pz"], mom["e"])
    event = np.repeat(np.arange(n_events), counts)
    apid = np.abs(pid)

    final_invisible = (status > 0) & np.isin(apid, list(invisible_ids))
    met_x = -np.bincount(event[final_invisible], weights=mom["px"][final_invisible],
                         minlength=n_events)
    met_y = -np.bincount(event[final_invisible], weights=mom["py"][final_invisible],
                         minlength=n_events)

    boson = np.isin(apid, list(_PDG)) & has & (pid[d1] != pid) & (pid[d2] != pid)
    res = np.flatnonzero(boson)
    a, b = d1[res], d2[res]
    decay = np.minimum(apid[a], apid[b])
    prod = np.stack([a, b, np.full_like(a, -1)], axis=1)
    kind = np.array([_PDG[int(x)] for x in apid[res]], dtype=np.int64)
    _attach_top_w(res, kind, prod, decay, pid, mother, apid)

    bh = is_b_hadron(pid) & (kin["pt"] > B_HADRON_PT_MIN)
    last_b = bh & ~(has & (is_b_hadron(pid[d1]) | is_b_hadron(pid[d2])))
    bidx = np.flatnonzero(last_b)
    idx = np.concatenate([res, bidx])
    prod = np.concatenate([prod, np.full((len(bidx), 3), -1)])
    pe = np.where(prod >= 0, kin["eta"][np.maximum(prod, 0)], np.nan)
    pp = np.where(prod >= 0, kin["phi"][np.maximum(prod, 0)], np.nan)
    order = np.argsort(event[idx], kind="stable")
    return TruthParticles(
        n_events=n_events, event=event[idx][order],
        kind=np.concatenate([kind, np.full(len(bidx), _KIND["b"])])[order],
        decay=np.concatenate([decay, np.zeros(len(bidx), np.int64)])[order],
        pt=kin["pt"][idx][order], eta=kin["eta"][idx][order], phi=kin["phi"][idx][order],
        prod_eta=pe[order], prod_phi=pp[order], met_x=met_x, met_y=met_y)


def _attach_top_w(res: np.ndarray, kind: np.ndarray, prod: np.ndarray, decay: np.ndarray,
                  pid: np.ndarray, mother: np.ndarray, apid: np.ndarray) -> None:
    """For each top (in place): products = its b and its W's two fermions; decay = the W's.

    A W's top is found by walking the W's recoil copies back (``mother1`` with the same id)
    to the first copy, whose mother is the top's last copy.
    """
    tops = np.flatnonzero(kind == _KIND["top"])
    if not len(tops):
        return
    ws = np.flatnonzero(kind == _KIND["W"])
    first = res[ws].copy()
    for _ in range(100):
        up = pid[mother[first]] == pid[first]
        if not up.any():
            break
        first[up] = mother[first[up]]
    parent = mother[first]
    for t in tops:  # a handful per batch
        top = res[t]
        w = ws[(parent == top)]
        bq = prod[t, :2][apid[prod[t, :2]] == 5]
        if len(w) and len(bq):
            prod[t] = [bq[0], prod[w[0], 0], prod[w[0], 1]]
            decay[t] = decay[w[0]]
        else:  # t -> W b not found (should not happen): never matched as a hadronic top
            decay[t] = 0


def jet_truth_labels(truth: TruthParticles, events: np.ndarray, jet_eta: np.ndarray,
                     jet_phi: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Truth label code and b-hadron count of jets (definitions in the module docstring).

    Parameters
    ----------
    truth : TruthParticles
    events : ndarray of int, shape ``(n,)``
        Batch index of each row of jets.
    jet_eta, jet_phi : ndarray, shape ``(n, k)``
        Jet axes.
    radius : float
        Matching radius (the jet radius).

    Returns
    -------
    label : ndarray of int32, shape ``(n, k)``
        :data:`TRUTH_LABELS` code.
    nb : ndarray of int32, shape ``(n, k)``
        b-hadrons within ``radius``.
    """
    n, k = jet_eta.shape
    label = np.zeros((n, k), np.int32)
    nb = np.zeros((n, k), np.int32)
    row_of = np.full(truth.n_events, -1)
    row_of[events] = np.arange(n)
    rows = row_of[truth.event]
    use = rows >= 0
    rows, obj = rows[use], np.flatnonzero(use)
    if not len(obj):
        return label, nb
    je, jp = jet_eta[rows], jet_phi[rows]  # (m, k)
    dr_obj = np.hypot(truth.eta[obj][:, None] - je, delta_phi(truth.phi[obj][:, None], jp))
    is_b = truth.kind[obj] == _KIND["b"]
    hit_b = is_b[:, None] & (dr_obj < radius)
    np.add.at(nb, rows, hit_b.astype(np.int32))
    pe, pp = truth.prod_eta[obj], truth.prod_phi[obj]  # (m, 3)
    dr_p = np.hypot(pe[:, :, None] - je[:, None, :], delta_phi(pp[:, :, None], jp[:, None, :]))
    inside = np.where(np.isnan(pe)[:, :, None], True, dr_p < radius).all(axis=1)
    hit = (truth.hadronic[obj][:, None] & inside) | hit_b
    code = np.where(hit, truth.kind[obj][:, None], 0).astype(np.int32)
    np.maximum.at(label, rows, code)
    return label, nb
