"""Jet clustering, event selection and substructure, vectorised with fastjet's awkward API.

* Jets: anti-kT, R = 1.0, on the reconstructed particles of each event (fastjet
  multi-event clustering: one C++ call per batch, no per-particle Python loop).
* Selection (:class:`~sciood.generate.processes.Selection`): jets with pT > ``jet_pt_min``
  and |η| < ``jet_eta_max``; at least ``min_jets``; leading jet pT > ``leading_pt_min``.
* The two leading-pT jets are then ordered by ungroomed mass: ``j1`` is the lighter (SPEC §1).
* N-subjettiness (SPEC §1): τ_N = Σ_i pT_i min_k ΔR(i, a_k) / (Σ_i pT_i · R0), β = 1,
  R0 = 1.0, axes a_k = the N exclusive-kT jets from reclustering the jet's own constituents
  (E-scheme, R large enough that nothing merges with the beam, as fjcontrib's KT_Axes),
  ΔR² = Δy² + Δφ². A jet with ≤ N constituents has τ_N = 0 exactly (each constituent is an
  axis); a ratio τ_N/τ_{N-1} with a zero denominator is set to 0.
* Soft drop: C/A reclustering of each jet's constituents, β = 0, z_cut = 0.1, R0 = 1.0
  (fastjet's ``exclusive_jets_softdrop_grooming``).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from sciood.errors import require
from sciood.generate.detector import Reconstructed
from sciood.generate.processes import Selection

__all__ = ["FEATURES", "JetBatch", "cluster_and_select", "nsubjettiness", "softdrop_mass"]

R_JET = 1.0
R0 = 1.0
KT_AXES_R = 10.0  # large: exclusive kT clustering never uses the beam distance

#: Feature columns written for every selected event (order kept in the manifest).
FEATURES: tuple[str, ...] = (
    "mj1", "mj2", "delta_mj", "mj1_sd", "mj2_sd",
    "tau1_j1", "tau2_j1", "tau3_j1", "tau1_j2", "tau2_j2", "tau3_j2",
    "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2",
    "pt_j1", "pt_j2", "eta_j1", "eta_j2", "phi_j1", "phi_j2", "nconst_j1", "nconst_j2",
)


@dataclass
class JetBatch:
    """Selected events of one batch.

    Attributes
    ----------
    selected : ndarray of int, shape ``(n_sel,)``
        Indices (within the batch) of events passing the selection, increasing.
    columns : dict of str -> ndarray, each shape ``(n_sel,)``
        ``mjj``, ``lead_pt`` and :data:`FEATURES`.
    constituents : dict of str -> (ndarray counts ``(n_sel,)``, ndarray flat values)
        Per jet (``j1``/``j2``) and coordinate (``pt``/``eta``/``phi``), pT-ordered.
    """

    selected: np.ndarray
    columns: dict[str, np.ndarray]
    constituents: dict[str, tuple[np.ndarray, np.ndarray]]


def _kin(px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray) -> dict[str, np.ndarray]:
    pt = np.hypot(px, py)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(pz / np.where(pt > 0, pt, 1e-12))
        rap = 0.5 * np.log((e + pz) / (e - pz))
    m2 = e**2 - px**2 - py**2 - pz**2
    return {"pt": pt, "eta": eta, "rap": rap, "phi": np.arctan2(py, px),
            "m": np.sqrt(np.maximum(m2, 0.0))}


_BANNER_DONE = False


def _silence_banner(ak: Any, fastjet: Any) -> None:
    """FastJet prints its banner on the first clustering; swallow it once per process."""
    global _BANNER_DONE
    if _BANNER_DONE:
        return
    from sciood.generate.pythia import captured_stdout

    one = ak.Array([[{"px": 1.0, "py": 0.0, "pz": 0.0, "E": 1.0}]], with_name="Momentum4D")
    with captured_stdout():
        fastjet.ClusterSequence(one, fastjet.JetDefinition(fastjet.antikt_algorithm, R_JET))
    _BANNER_DONE = True


def _momenta(ak: Any, px: Any, py: Any, pz: Any, e: Any) -> Any:
    return ak.zip({"px": px, "py": py, "pz": pz, "E": e}, with_name="Momentum4D")


def _flat(ak: Any, arr: Any) -> np.ndarray:
    return np.asarray(ak.to_numpy(ak.flatten(arr, axis=None)), dtype=np.float64)


def _delta_phi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a - b + np.pi) % (2 * np.pi) - np.pi


def nsubjettiness(
    counts: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray, e: np.ndarray,
    n_max: int = 3,
) -> np.ndarray:
    """τ_1..τ_n_max of many jets at once (definition in the module docstring).

    Parameters
    ----------
    counts : ndarray, shape ``(n_jets,)``
        Constituents per jet.
    px, py, pz, e : ndarray, shape ``(sum(counts),)``
        Constituent four-momenta, jet-contiguous.
    n_max : int
        Highest N.

    Returns
    -------
    ndarray, shape ``(n_jets, n_max)``
    """
    ak = require("awkward", "gen")
    fastjet = require("fastjet", "gen")
    n_jets = len(counts)
    jet_of = np.repeat(np.arange(n_jets), counts)
    c = _kin(px, py, pz, e)
    norm = np.bincount(jet_of, weights=c["pt"], minlength=n_jets) * R0
    out = np.zeros((n_jets, n_max))
    jetdef = fastjet.JetDefinition(fastjet.kt_algorithm, KT_AXES_R)  # type: ignore[attr-defined]
    for n in range(1, n_max + 1):
        big = counts > n
        if not big.any():
            continue
        keep = big[jet_of]
        parts = ak.unflatten(  # type: ignore[attr-defined]
            _momenta(ak, px[keep], py[keep], pz[keep], e[keep]), counts[big])
        cs = fastjet.ClusterSequence(parts, jetdef)  # type: ignore[attr-defined]
        with warnings.catch_warnings():  # fastjet warns generically; kT exclusive is exact
            warnings.simplefilter("ignore", UserWarning)
            axes = cs.exclusive_jets(n_jets=n, dcut=-1)
        a = _kin(*(_flat(ak, axes[f]).reshape(-1, n) for f in ("px", "py", "pz", "E")))
        jets_big = np.flatnonzero(big)
        local = np.repeat(np.arange(len(jets_big)), counts[big])
        dy = c["rap"][keep][:, None] - a["rap"][local]
        dphi = _delta_phi(c["phi"][keep][:, None], a["phi"][local])
        dmin = np.sqrt(np.min(dy**2 + dphi**2, axis=1))
        num = np.bincount(local, weights=c["pt"][keep] * dmin, minlength=len(jets_big))
        out[jets_big, n - 1] = num / norm[jets_big]
    return out


def softdrop_mass(counts: np.ndarray, px: np.ndarray, py: np.ndarray, pz: np.ndarray,
                  e: np.ndarray, *, beta: float = 0.0, z_cut: float = 0.1) -> np.ndarray:
    """Soft-drop groomed mass of many jets (C/A reclustering, R0 = 1.0).

    Returns
    -------
    ndarray, shape ``(n_jets,)``
        Non-negative. FastJet reports ``-sqrt(-m^2)`` when rounding makes the groomed
        four-vector's ``m^2`` slightly negative (a one- or two-particle massless groomed jet);
        that is a mass of zero, so it is clipped at 0.
    """
    ak = require("awkward", "gen")
    fastjet = require("fastjet", "gen")
    parts = ak.unflatten(_momenta(ak, px, py, pz, e), counts)  # type: ignore[attr-defined]
    jetdef = fastjet.JetDefinition(fastjet.cambridge_algorithm, KT_AXES_R)  # type: ignore[attr-defined]
    cs = fastjet.ClusterSequence(parts, jetdef)  # type: ignore[attr-defined]
    groomed = cs.exclusive_jets_softdrop_grooming(njets=1, beta=beta, symmetry_cut=z_cut, R0=R0)
    mass = np.asarray(ak.to_numpy(groomed.msoftdrop), dtype=np.float64)  # type: ignore[attr-defined]
    return np.maximum(mass, 0.0)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def cluster_and_select(reco: Reconstructed, selection: Selection,
                       timings: dict[str, float] | None = None) -> JetBatch:
    """Cluster jets, apply the event selection and compute all SPEC §1 features.

    Parameters
    ----------
    reco : Reconstructed
        Detector-level particles of a batch of events.
    selection : Selection
    timings : dict, optional
        If given, seconds spent are added under ``"clustering"`` and ``"substructure"``.

    Returns
    -------
    JetBatch
    """
    t0 = time.perf_counter()
    ak = require("awkward", "gen")
    fastjet = require("fastjet", "gen")
    _silence_banner(ak, fastjet)
    events = ak.unflatten(  # type: ignore[attr-defined]
        _momenta(ak, reco.px, reco.py, reco.pz, reco.e), reco.counts)
    jetdef = fastjet.JetDefinition(fastjet.antikt_algorithm, R_JET)  # type: ignore[attr-defined]
    cs = fastjet.ClusterSequence(events, jetdef)  # type: ignore[attr-defined]
    jets = cs.inclusive_jets(min_pt=selection.jet_pt_min)
    consts = cs.constituents(min_pt=selection.jet_pt_min)

    jpt = np.hypot(jets.px, jets.py)
    jeta = np.arcsinh(jets.pz / jpt)
    good = abs(jeta) < selection.jet_eta_max
    jets, consts, jpt = jets[good], consts[good], jpt[good]
    order = ak.argsort(jpt, axis=1, ascending=False)  # type: ignore[attr-defined]
    jets, consts, jpt = jets[order], consts[order], jpt[order]
    njet = ak.to_numpy(ak.num(jpt, axis=1))  # type: ignore[attr-defined]
    lead = ak.to_numpy(ak.fill_none(ak.firsts(jpt), 0.0))  # type: ignore[attr-defined]
    sel = np.flatnonzero((njet >= selection.min_jets) & (lead > selection.leading_pt_min))
    n_sel = len(sel)
    if n_sel == 0:
        return JetBatch(sel, {}, {})

    two = jets[sel][:, :2]
    j4 = {f: _flat(ak, two[f]).reshape(n_sel, 2) for f in ("px", "py", "pz", "E")}
    kin = _kin(j4["px"], j4["py"], j4["pz"], j4["E"])
    tot = {f: j4[f].sum(axis=1) for f in j4}
    mjj = _kin(tot["px"], tot["py"], tot["pz"], tot["E"])["m"]
    lead_pt = kin["pt"][:, 0]

    c2 = consts[sel][:, :2]
    ncon = ak.to_numpy(ak.num(c2, axis=2)).reshape(n_sel, 2)  # type: ignore[attr-defined]
    counts = ncon.reshape(-1)
    cflat = {f: _flat(ak, c2[f]) for f in ("px", "py", "pz", "E")}
    t1 = time.perf_counter()
    taus = nsubjettiness(counts, cflat["px"], cflat["py"], cflat["pz"], cflat["E"]).reshape(
        n_sel, 2, 3)
    msd = softdrop_mass(counts, cflat["px"], cflat["py"], cflat["pz"], cflat["E"]).reshape(
        n_sel, 2)

    if timings is not None:
        t2 = time.perf_counter()
        timings["clustering"] = timings.get("clustering", 0.0) + (t1 - t0)
        timings["substructure"] = timings.get("substructure", 0.0) + (t2 - t1)
    # order the two leading jets by ungroomed mass: j1 = lighter
    swap = kin["m"][:, 0] > kin["m"][:, 1]
    idx = np.stack([swap.astype(int), (~swap).astype(int)], axis=1)

    def pick(a: np.ndarray) -> np.ndarray:
        return np.take_along_axis(a, idx if a.ndim == 2 else idx[:, :, None], axis=1)

    m, pt, eta, phi = pick(kin["m"]), pick(kin["pt"]), pick(kin["eta"]), pick(kin["phi"])
    tau, sd, nc = pick(taus), pick(msd), pick(ncon)
    cols: dict[str, np.ndarray] = {"mjj": mjj, "lead_pt": lead_pt}
    cols.update({"mj1": m[:, 0], "mj2": m[:, 1], "delta_mj": m[:, 1] - m[:, 0],
                 "mj1_sd": sd[:, 0], "mj2_sd": sd[:, 1]})
    for j in (0, 1):
        s = f"_j{j + 1}"
        for n in range(3):
            cols[f"tau{n + 1}{s}"] = tau[:, j, n]
        cols[f"tau21{s}"] = _ratio(tau[:, j, 1], tau[:, j, 0])
        cols[f"tau32{s}"] = _ratio(tau[:, j, 2], tau[:, j, 1])
        cols[f"pt{s}"] = pt[:, j]
        cols[f"eta{s}"] = eta[:, j]
        cols[f"phi{s}"] = phi[:, j]
        cols[f"nconst{s}"] = nc[:, j].astype(np.float64)
    return JetBatch(sel, cols, _constituents(ak, cflat, counts, idx))


def _constituents(ak: Any, cflat: dict[str, np.ndarray], counts: np.ndarray,
                  idx: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-jet (mass-ordered) constituent (pT, η, φ), each jet pT-sorted."""
    n_sel = len(idx)
    k = _kin(cflat["px"], cflat["py"], cflat["pz"], cflat["E"])
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
