"""Jet clustering and the event selection, vectorised with FastJet's awkward API.

* Jets: anti-kT, R = 1.0, on the reconstructed particles of each event (FastJet multi-event
  clustering: one C++ call per batch, no per-particle Python loop), E-scheme recombination.
* Jet systematics (a card's :class:`~sciood.reco.event.JetResponse`): each jet's
  four-momentum and constituents are scaled by its ``pt_factor`` (JER) before the selection,
  and the two leading jets' masses by ``mass_factor`` (JMS / JMR) after substructure.
* Selection (:class:`~sciood.reco.selection.Selection`): jets with pT > ``jet_pt_min`` and
  |η| < ``jet_eta_max``; at least ``min_jets``; leading jet pT > ``leading_pt_min``;
  optionally |η_j1 − η_j2| < ``delta_eta_max`` and no isolated lepton (``lepton_veto``).
* The two leading-pT jets are then ordered by ungroomed mass: ``j1`` is the lighter.
* Their substructure: :func:`~sciood.reco.nsubjettiness.nsubjettiness` (τ1..τ3) and
  :func:`~sciood.reco.softdrop.softdrop_mass`; the columns are defined in
  :mod:`sciood.reco.features`.
* With reconstructed objects (:class:`~sciood.reco.objects.EventObjects`) the selected events
  also get :data:`~sciood.reco.objects.OBJECT_COLUMNS`; with truth
  (:class:`~sciood.reco.truth.TruthParticles`) :data:`~sciood.reco.truth.TRUTH_COLUMNS`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from sciood.errors import ConfigError
from sciood.reco._fastjet import R_JET, flat, modules, momenta, silence_banner
from sciood.reco.event import Reconstructed
from sciood.reco.kinematics import kinematics, ratio
from sciood.reco.nsubjettiness import nsubjettiness
from sciood.reco.selection import Selection
from sciood.reco.softdrop import softdrop_mass
from sciood.reco.truth import jet_truth_labels

__all__ = ["JetBatch", "cluster_and_select"]


@dataclass
class JetBatch:
    """Selected events of one batch.

    Attributes
    ----------
    selected : ndarray of int, shape ``(n_sel,)``
        Indices (within the batch) of events passing the selection, increasing.
    columns : dict of str -> ndarray, each shape ``(n_sel,)``
        ``mjj``, ``lead_pt`` and :data:`~sciood.reco.features.FEATURES`; the object and
        truth columns when the batch has objects / truth.
    constituents : dict of str -> (ndarray counts ``(n_sel,)``, ndarray flat values)
        Per jet (``j1``/``j2``) and coordinate (``pt``/``eta``/``phi``), pT-ordered.
    """

    selected: np.ndarray
    columns: dict[str, np.ndarray]
    constituents: dict[str, tuple[np.ndarray, np.ndarray]]


def cluster_and_select(reco: Reconstructed, selection: Selection,
                       timings: dict[str, float] | None = None) -> JetBatch:
    """Cluster jets, apply the event selection and compute every feature.

    Parameters
    ----------
    reco : Reconstructed
        Detector-level particles of a batch of events.
    selection : Selection
        Jet acceptance and event selection.
    timings : dict, optional
        If given, seconds spent are added under ``"clustering"`` and ``"substructure"``.

    Returns
    -------
    JetBatch
        The selected events' indices, :data:`~sciood.reco.features.FEATURES` plus ``mjj``
        and ``lead_pt``, and (mass-ordered) jet constituents.
    """
    t0 = time.perf_counter()
    ak, fastjet = modules()
    silence_banner(ak, fastjet)
    jets, consts, sel = _selected_jets(ak, fastjet, reco, selection)
    n_sel = len(sel)
    if n_sel == 0:
        return JetBatch(sel, {}, {})

    two = jets[sel][:, :2]
    j4 = {f: flat(ak, two[f]).reshape(n_sel, 2) for f in ("px", "py", "pz", "E")}
    kin = kinematics(j4["px"], j4["py"], j4["pz"], j4["E"])

    c2 = consts[sel][:, :2]
    ncon = ak.to_numpy(ak.num(c2, axis=2)).reshape(n_sel, 2)
    counts = ncon.reshape(-1)
    cflat = {f: flat(ak, c2[f]) for f in ("px", "py", "pz", "E")}
    t1 = time.perf_counter()
    taus = nsubjettiness(counts, cflat["px"], cflat["py"], cflat["pz"], cflat["E"]).reshape(
        n_sel, 2, 3)
    msd = softdrop_mass(counts, cflat["px"], cflat["py"], cflat["pz"], cflat["E"]).reshape(
        n_sel, 2)
    if timings is not None:
        t2 = time.perf_counter()
        timings["clustering"] = timings.get("clustering", 0.0) + (t1 - t0)
        timings["substructure"] = timings.get("substructure", 0.0) + (t2 - t1)
    if reco.jet_response is not None:  # JMS / JMR: masses scaled, pT kept
        factor = reco.jet_response.mass_factor[sel][:, :2]
        kin["m"], msd = kin["m"] * factor, msd * factor
        j4["E"] = np.sqrt(j4["px"] ** 2 + j4["py"] ** 2 + j4["pz"] ** 2 + kin["m"] ** 2)
    tot = {f: j4[f].sum(axis=1) for f in j4}
    mjj = kinematics(tot["px"], tot["py"], tot["pz"], tot["E"])["m"]

    idx = _lighter_first(kin["m"])
    cols = {"mjj": mjj, "lead_pt": kin["pt"][:, 0],
            **_feature_columns(idx, kin, taus, msd, ncon)}
    cols.update(_event_columns(reco, sel, idx, kin))
    return JetBatch(sel, cols, _constituents(ak, cflat, counts, idx))


def _event_columns(reco: Reconstructed, sel: np.ndarray, idx: np.ndarray,
                   kin: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Object columns (with ``reco.objects``) and truth columns (with ``reco.truth``).

    Parameters
    ----------
    sel : ndarray of int, shape ``(n_sel,)``
    idx : ndarray of int, shape ``(n_sel, 2)``
        Mass order (:func:`_lighter_first`).
    kin : dict of str -> ndarray, each shape ``(n_sel, 2)``
        The two leading jets in pT order.
    """
    cols: dict[str, np.ndarray] = {}
    if reco.objects is not None:
        cols.update(reco.objects.columns(sel))
    if reco.truth is not None:
        label, nb = jet_truth_labels(reco.truth, sel, kin["eta"], kin["phi"], R_JET)
        label, nb = np.take_along_axis(label, idx, axis=1), np.take_along_axis(nb, idx, axis=1)
        cols.update({"truth_j1": label[:, 0], "truth_j2": label[:, 1], "nb_j1": nb[:, 0],
                     "nb_j2": nb[:, 1],
                     "truth_met": np.hypot(reco.truth.met_x, reco.truth.met_y)[sel]})
    return cols


def _smear_jets(ak: Any, jets: Any, consts: Any, jpt: Any,
                factor: np.ndarray) -> tuple[Any, Any, Any]:
    """Scale each jet (four-momentum and constituents) by its pT rank's factor, re-sort by pT.

    Parameters
    ----------
    jets, consts, jpt : awkward arrays, per event, jets by decreasing pT
    factor : ndarray, shape ``(n_events, K)``
        Factor of the jet of each pT rank; jets ranked K or lower keep 1.
    """
    njet = ak.to_numpy(ak.num(jpt, axis=1))
    rank = ak.to_numpy(ak.flatten(ak.local_index(jpt, axis=1)))
    event = np.repeat(np.arange(len(njet)), njet)
    k = factor.shape[1]
    f = ak.unflatten(np.where(rank < k, factor[event, np.minimum(rank, k - 1)], 1.0), njet)
    jets = momenta(ak, jets.px * f, jets.py * f, jets.pz * f, jets.E * f)
    consts = momenta(ak, consts.px * f, consts.py * f, consts.pz * f, consts.E * f)
    jpt = jpt * f
    order = ak.argsort(jpt, axis=1, ascending=False)
    return jets[order], consts[order], jpt[order]


def _passes(ak: Any, reco: Reconstructed, selection: Selection, jets: Any,
            jpt: Any) -> np.ndarray:
    """Per-event mask of the selection (jets already in acceptance, pT-ordered)."""
    njet = ak.to_numpy(ak.num(jpt, axis=1))
    lead = ak.to_numpy(ak.fill_none(ak.firsts(jpt), 0.0))
    ok = (njet >= selection.min_jets) & (lead > selection.leading_pt_min)
    if selection.delta_eta_max is not None:
        two = ak.pad_none(jets[:, :2], 2, axis=1)
        pt2 = np.hypot(two.px, two.py)
        eta = ak.to_numpy(ak.fill_none(np.arcsinh(two.pz / pt2), np.inf))
        deta = np.abs(eta[:, 0] - eta[:, 1])
        ok &= np.nan_to_num(deta, nan=np.inf) < selection.delta_eta_max
    if selection.lepton_veto:
        if reco.objects is None:
            raise ConfigError("selection.lepton_veto needs reconstructed leptons, but these "
                              "events carry only particles (e.g. an LHCO particle file): "
                              "set lepton_veto = false for them")
        ok &= reco.objects.n_leptons() == 0
    return np.asarray(ok, dtype=bool)


def _selected_jets(ak: Any, fastjet: Any, reco: Reconstructed,
                   selection: Selection) -> tuple[Any, Any, np.ndarray]:
    """Anti-kT jets in acceptance, pT-ordered, and the indices of the selected events.

    Returns
    -------
    jets, constituents : awkward arrays, per event
        Jets with pT > ``jet_pt_min`` and |η| < ``jet_eta_max``, by decreasing pT (after the
        card's JER factors, if any).
    selected : ndarray of int, shape ``(n_sel,)``
        Events passing the selection (:func:`_passes`).
    """
    events = ak.unflatten(momenta(ak, reco.px, reco.py, reco.pz, reco.e), reco.counts)
    jetdef = fastjet.JetDefinition(fastjet.antikt_algorithm, R_JET)
    cs = fastjet.ClusterSequence(events, jetdef)
    jets = cs.inclusive_jets(min_pt=selection.jet_pt_min)
    consts = cs.constituents(min_pt=selection.jet_pt_min)

    jpt = np.hypot(jets.px, jets.py)
    jeta = np.arcsinh(jets.pz / jpt)
    good = abs(jeta) < selection.jet_eta_max
    jets, consts, jpt = jets[good], consts[good], jpt[good]
    order = ak.argsort(jpt, axis=1, ascending=False)
    jets, consts, jpt = jets[order], consts[order], jpt[order]
    if reco.jet_response is not None:
        jets, consts, jpt = _smear_jets(ak, jets, consts, jpt, reco.jet_response.pt_factor)
    return jets, consts, np.flatnonzero(_passes(ak, reco, selection, jets, jpt))


def _lighter_first(mass: np.ndarray) -> np.ndarray:
    """Order the two leading jets by ungroomed mass, ``j1`` = the lighter.

    Parameters
    ----------
    mass : ndarray, shape ``(n_sel, 2)``
        Masses of the two leading-pT jets (pT order).

    Returns
    -------
    ndarray of int, shape ``(n_sel, 2)``
        Column ``k`` is the pT-order index of ``j{k+1}``.
    """
    swap = mass[:, 0] > mass[:, 1]
    return np.stack([swap.astype(int), (~swap).astype(int)], axis=1)


def _feature_columns(idx: np.ndarray, kin: dict[str, np.ndarray], taus: np.ndarray,
                     msd: np.ndarray, ncon: np.ndarray) -> dict[str, np.ndarray]:
    """:data:`~sciood.reco.features.FEATURES` from pT-ordered per-jet quantities.

    Parameters
    ----------
    idx : ndarray of int, shape ``(n_sel, 2)``
        Mass order (:func:`_lighter_first`).
    kin : dict of str -> ndarray, each shape ``(n_sel, 2)``
        ``m``, ``pt``, ``eta``, ``phi`` of the two leading jets.
    taus : ndarray, shape ``(n_sel, 2, 3)``
        τ1..τ3 per jet.
    msd, ncon : ndarray, shape ``(n_sel, 2)``
        Soft-drop mass and constituent count per jet.
    """
    def pick(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, idx if a.ndim == 2 else idx[:, :, None], axis=1)

    m, pt, eta, phi = pick(kin["m"]), pick(kin["pt"]), pick(kin["eta"]), pick(kin["phi"])
    tau, sd, nc = pick(taus), pick(msd), pick(ncon)
    cols: dict[str, np.ndarray] = {"mj1": m[:, 0], "mj2": m[:, 1], "delta_mj": m[:, 1] - m[:, 0],
                                   "mj1_sd": sd[:, 0], "mj2_sd": sd[:, 1]}
    for j in (0, 1):
        s = f"_j{j + 1}"
        for n in range(3):
            cols[f"tau{n + 1}{s}"] = tau[:, j, n]
        cols[f"tau21{s}"] = ratio(tau[:, j, 1], tau[:, j, 0])
        cols[f"tau32{s}"] = ratio(tau[:, j, 2], tau[:, j, 1])
        cols[f"pt{s}"] = pt[:, j]
        cols[f"eta{s}"] = eta[:, j]
        cols[f"phi{s}"] = phi[:, j]
        cols[f"nconst{s}"] = nc[:, j].astype(np.float64)
    return cols


def _constituents(ak: Any, cflat: dict[str, np.ndarray], counts: np.ndarray,
                  idx: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-jet (mass-ordered) constituent (pT, η, φ), each jet pT-sorted."""
    n_sel = len(idx)
    k = kinematics(cflat["px"], cflat["py"], cflat["pz"], cflat["E"])
    jet_of = np.repeat(np.arange(len(counts)), counts)
    order = np.lexsort((-k["pt"], jet_of))  # by jet, then descending pT
    starts = np.concatenate([[0], np.cumsum(counts)])
    out = {}
    for j in (0, 1):
        src_jet = np.arange(n_sel) * 2 + idx[:, j]
        cnt = counts[src_jet]
        first = np.concatenate([[0], np.cumsum(cnt)[:-1]])
        take = order[np.repeat(starts[src_jet] - first, cnt) + np.arange(cnt.sum())]
        for coord in ("pt", "eta", "phi"):
            out[f"j{j + 1}_{coord}"] = (cnt, k[coord][take].astype(np.float32))
    return out
