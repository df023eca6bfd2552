"""Parametrised, Delphes-like detector response, vectorised over all particles of a batch.

The model (every number lives in a named, versioned :class:`DetectorCard`):

* **Tracker** (|η| < ``tracker_eta``): charged particles with pT > ``track_pt_min`` are
  reconstructed with efficiency ``track_eff`` and relative pT resolution
  σ(pT)/pT = a ⊕ b·pT (GeV). Charged particles that are not tracked reach the calorimeter.
* **Calorimeter** (|η| < ``calo_eta``): photons and electrons deposit in the ECAL, hadrons
  (and untracked charged particles) in the HCAL, on an η-φ grid of ``tower_deta`` ×
  ``tower_dphi``. Each tower's energy is the sum of its deposits, smeared with
  σ(E)/E = S/√E ⊕ C (stochastic ⊕ constant); towers below threshold are dropped; a tower
  becomes a massless particle at the tower centre.
* **Muons** are treated as tracks. Neutrinos and invisible BSM particles never arrive here
  (dropped in :mod:`sciood.generate.pythia`).
* **Isolated electrons, muons and photons** (values of the Delphes ATLAS card): final-state
  e / γ with |η| < ``electron_eta`` / ``photon_eta`` and μ with |η| < ``muon_eta``, pT >
  ``object_pt_min``, are identified with efficiency ``id_eff`` (per |η| bin) and are *isolated*
  when Σ pT of the other visible particles (pT > ``iso_pt_min``; for e / μ the other e / μ
  candidates excluded) within ΔR < ``iso_cone`` is below ``iso_ratio_max`` × their pT
  (:func:`sciood.reco.objects.relative_isolation`).
  e / γ energies are smeared with the ECAL resolution, muon pT with ``muon_res`` (per |η|
  bin: σ/pT = a ⊕ b·pT). With ``remove_isolated`` (default) isolated objects are taken out of
  the tracks and towers, so they never enter a jet; identification draws come from their
  own random stream, so the jets of events without an isolated object are unchanged.
* **MET** = −Σ p⃗T of the tracks, towers and isolated objects.
* **Jet energy scale / resolution**: every reconstructed constituent's momentum is
  multiplied by ``jes`` (so jet pT and mass scale by it), and every resolution term by
  ``resolution_scale``.
* **Jet systematics** (applied per jet by clustering, :class:`~sciood.reco.event.JetResponse`):
  ``jer_smear`` — an extra Gaussian smear of relative width ``jer_smear`` of each jet's
  four-momentum (pT and mass; in quadrature with the detector's own resolution); ``jms`` —
  the jet masses (ungroomed and soft-drop) scaled by it; ``jmr_smear`` — an extra Gaussian
  mass smear of relative width ``jmr_smear``. Their random numbers come from their own
  stream, so the rest of the event is the nominal one.

The output, :class:`~sciood.reco.event.Reconstructed` (defined in :mod:`sciood.reco`, beneath
``generate`` and ``data``; re-exported here), is what jet clustering reads.

Cards: ``sim`` (nominal), ``data`` (JES +3 %, resolutions × 1.2, plus a different Pythia
tune, see :data:`VARIANT_TUNES`) and the nuisance cards ``sim_jes_up`` / ``sim_jes_down``
(JES ± 1σ, σ = 2 %, a typical large-R jet-energy-scale uncertainty), ``sim_jer_up`` (an extra
2 % jet-energy smear), ``sim_jms_up`` / ``sim_jms_down`` (jet mass scale ± 3 %) and
``sim_jmr_up`` (an extra 5 % jet-mass smear); sizes in :data:`JER_SIGMA`, :data:`JMS_SIGMA`,
:data:`JMR_SIGMA`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from sciood.errors import UnknownNameError
from sciood.generate.pythia import FinalState
from sciood.reco.event import JET_RESPONSE_RANKS, JetResponse, Reconstructed
from sciood.reco.objects import ELECTRON, MUON, PHOTON, EventObjects, missing_pt, relative_isolation

__all__ = ["CARDS", "JER_SIGMA", "JMR_SIGMA", "JMS_SIGMA", "VARIANT_TUNES", "DetectorCard",
           "Reconstructed", "get_card", "simulate"]

ELECTROMAGNETIC = (11, 22)  # |pid| depositing in the ECAL


@dataclass(frozen=True)
class DetectorCard:
    """Parameters of the parametrised detector (see module docstring for the model)."""

    name: str = "sim"
    version: str = "2"
    tracker_eta: float = 2.5
    track_pt_min: float = 0.5
    track_eff: float = 0.95
    track_res_const: float = 0.005
    track_res_slope: float = 1.0e-4  # per GeV
    calo_eta: float = 4.9
    tower_deta: float = 0.1
    tower_dphi: float = 2 * np.pi / 64
    ecal_stochastic: float = 0.10
    ecal_constant: float = 0.01
    hcal_stochastic: float = 0.50
    hcal_constant: float = 0.03
    ecal_threshold: float = 0.5
    hcal_threshold: float = 1.0
    jes: float = 1.0
    resolution_scale: float = 1.0
    # isolated objects (Delphes ATLAS card values; the isolation cone is CMS-like)
    object_pt_min: float = 10.0
    electron_eta: float = 2.5
    muon_eta: float = 2.7
    photon_eta: float = 2.5
    id_eff: tuple[tuple[float, float], ...] = ((1.5, 0.95), (2.7, 0.85))  # (|η| edge, eff)
    muon_res: tuple[tuple[float, float, float], ...] = (  # (|η| edge, a, b per GeV)
        (0.5, 0.010, 1.0e-4), (1.5, 0.015, 1.5e-4), (2.7, 0.025, 3.5e-4))
    iso_cone: float = 0.3
    iso_ratio_max: float = 0.12
    iso_pt_min: float = 0.5
    remove_isolated: bool = True
    # jet systematics (applied per jet by clustering)
    jer_smear: float = 0.0
    jms: float = 1.0
    jmr_smear: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        """All parameters as a JSON-able dict."""
        return asdict(self)


_SIM = DetectorCard()
JES_SIGMA = 0.02
#: Extra relative jet-energy smear of ``sim_jer_up`` (in quadrature with the detector's own).
JER_SIGMA = 0.02
#: Jet-mass-scale shift of ``sim_jms_up`` / ``sim_jms_down``.
JMS_SIGMA = 0.03
#: Extra relative jet-mass smear of ``sim_jmr_up``.
JMR_SIGMA = 0.05

CARDS: dict[str, DetectorCard] = {
    "sim": _SIM,
    "data": replace(_SIM, name="data", jes=1.03, resolution_scale=1.2),
    "sim_jes_up": replace(_SIM, name="sim_jes_up", jes=1.0 + JES_SIGMA),
    "sim_jes_down": replace(_SIM, name="sim_jes_down", jes=1.0 - JES_SIGMA),
    "sim_jer_up": replace(_SIM, name="sim_jer_up", jer_smear=JER_SIGMA),
    "sim_jms_up": replace(_SIM, name="sim_jms_up", jms=1.0 + JMS_SIGMA),
    "sim_jms_down": replace(_SIM, name="sim_jms_down", jms=1.0 - JMS_SIGMA),
    "sim_jmr_up": replace(_SIM, name="sim_jmr_up", jmr_smear=JMR_SIGMA),
}

#: Extra Pythia lines per variant: "data" uses the ATLAS A14 tune instead of Monash (default)
#: and a harder Lund fragmentation function, so shower *and* hadronisation differ.
VARIANT_TUNES: dict[str, tuple[str, ...]] = {
    "sim": (),
    "data": ("Tune:pp = 21", "StringZ:aLund = 0.55", "StringZ:bLund = 0.75"),
    "sim_jes_up": (),
    "sim_jes_down": (),
    "sim_jer_up": (),
    "sim_jms_up": (),
    "sim_jms_down": (),
    "sim_jmr_up": (),
}


def get_card(name: str) -> DetectorCard:
    """Card by name; unknown names raise :class:`UnknownNameError` listing the valid ones."""
    if name not in CARDS:
        raise UnknownNameError("detector card / variant", name, list(CARDS))
    return CARDS[name]


def _pt_eta_phi(fs: FinalState) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pt = np.hypot(fs.px, fs.py)
    p = np.sqrt(pt**2 + fs.pz**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        eta = np.arcsinh(np.where(pt > 0, fs.pz / np.where(pt > 0, pt, 1.0), np.sign(fs.pz) * 1e3))
    eta = np.where(p > 0, eta, 0.0)
    return pt, eta, np.arctan2(fs.py, fs.px)


def _tracks(card: DetectorCard, pt: np.ndarray, eta: np.ndarray, charged: np.ndarray,
            rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Return (tracked mask, smeared pT) for all particles."""
    in_acc = charged & (np.abs(eta) < card.tracker_eta) & (pt > card.track_pt_min)
    found = in_acc & (rng.random(pt.shape) < card.track_eff)
    sigma = card.resolution_scale * np.hypot(card.track_res_const, card.track_res_slope * pt)
    smeared = pt * np.clip(1.0 + sigma * rng.standard_normal(pt.shape), 0.01, None)
    return found, smeared


def _towers(card: DetectorCard, event: np.ndarray, e: np.ndarray, eta: np.ndarray,
            phi: np.ndarray, em: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Sum deposits into (event, layer, iη, iφ) towers, smear, threshold.

    Returns event index, energy, η, φ of surviving towers, sorted by event.
    """
    n_eta = int(np.ceil(2 * card.calo_eta / card.tower_deta))
    n_phi = round(2 * np.pi / card.tower_dphi)
    ieta = np.clip(((eta + card.calo_eta) / card.tower_deta).astype(np.int64), 0, n_eta - 1)
    iphi = np.clip(((phi + np.pi) / card.tower_dphi).astype(np.int64), 0, n_phi - 1)
    layer = (~em).astype(np.int64)  # 0 = ECAL, 1 = HCAL
    key = ((event * 2 + layer) * n_eta + ieta) * n_phi + iphi
    uniq, inverse = np.unique(key, return_inverse=True)
    energy = np.bincount(inverse, weights=e)
    t_phi_i = uniq % n_phi
    rest = uniq // n_phi
    t_eta_i = rest % n_eta
    rest = rest // n_eta
    t_layer = rest % 2
    t_event = rest // 2
    is_em = t_layer == 0
    stoch = np.where(is_em, card.ecal_stochastic, card.hcal_stochastic) * card.resolution_scale
    const = np.where(is_em, card.ecal_constant, card.hcal_constant) * card.resolution_scale
    sigma = np.hypot(stoch / np.sqrt(np.maximum(energy, 1e-9)), const)
    smeared = energy * (1.0 + sigma * rng.standard_normal(energy.shape))
    keep = smeared > np.where(is_em, card.ecal_threshold, card.hcal_threshold)
    t_eta = -card.calo_eta + (t_eta_i + 0.5) * card.tower_deta
    t_phi = -np.pi + (t_phi_i + 0.5) * card.tower_dphi
    return t_event[keep], smeared[keep], t_eta[keep], t_phi[keep]


def _binned(table: tuple[tuple[float, ...], ...], abs_eta: np.ndarray) -> np.ndarray:
    """Row of ``table`` (rows ``(|η| upper edge, value, ...)``) for each |η|; 0 beyond the last.

    Returns
    -------
    ndarray, shape ``(len(abs_eta), len(row) - 1)``
    """
    rows = np.array([r[1:] for r in table] + [(0.0,) * (len(table[0]) - 1)])
    edges = np.array([r[0] for r in table])
    return rows[np.searchsorted(edges, abs_eta, side="right")]


def _isolated_objects(card: DetectorCard, fs: FinalState, pt: np.ndarray, eta: np.ndarray,
                      phi: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the particles reconstructed as isolated e / μ / γ, and their smeared pT.

    Returns
    -------
    index : ndarray of int, shape ``(n_obj,)``
        Into the final-state particles, increasing (so event-ordered).
    pt : ndarray, shape ``(n_obj,)``
        Reconstructed pT [GeV] (ECAL resolution for e / γ, ``muon_res`` for μ).
    """
    apid, aeta = np.abs(fs.pid), np.abs(eta)
    accepted = (((apid == ELECTRON) & (aeta < card.electron_eta))
                | ((apid == MUON) & (aeta < card.muon_eta))
                | ((fs.pid == PHOTON) & (aeta < card.photon_eta)))
    is_cand = accepted & (pt > card.object_pt_min)
    cand = np.flatnonzero(is_cand)
    found = rng.random(len(cand)) < _binned(card.id_eff, aeta[cand])[:, 0]
    noise = rng.standard_normal(len(cand))
    visible_pt = np.where(aeta < card.calo_eta, pt, 0.0)
    lepton = np.isin(apid, (ELECTRON, MUON))
    iso = np.zeros(len(cand))
    for mask, exclude in ((lepton[cand], is_cand & lepton), (~lepton[cand], None)):
        iso[mask] = relative_isolation(fs.counts, visible_pt, eta, phi, cand[mask],
                                       cone=card.iso_cone, pt_min=card.iso_pt_min,
                                       exclude=exclude)
    energy = fs.e[cand]
    ecal = np.hypot(card.ecal_stochastic / np.sqrt(np.maximum(energy, 1e-9)), card.ecal_constant)
    mu = _binned(card.muon_res, aeta[cand])
    sigma = card.resolution_scale * np.where(apid[cand] == MUON,
                                             np.hypot(mu[:, 0], mu[:, 1] * pt[cand]), ecal)
    smeared = pt[cand] * np.clip(1.0 + sigma * noise, 0.01, None)
    keep = found & (iso < card.iso_ratio_max)
    return cand[keep], smeared[keep]


def _jet_response(card: DetectorCard, n_events: int,
                  rng: np.random.Generator) -> JetResponse | None:
    """Per-jet JER / JMS / JMR factors of the card (None for a card without jet systematics)."""
    if card.jer_smear == 0.0 and card.jmr_smear == 0.0 and card.jms == 1.0:
        return None
    z = rng.standard_normal((2, n_events, JET_RESPONSE_RANKS))
    return JetResponse(pt_factor=np.clip(1.0 + card.jer_smear * z[0], 0.01, None),
                       mass_factor=card.jms * np.clip(1.0 + card.jmr_smear * z[1], 0.01, None))


def simulate(fs: FinalState, card: DetectorCard, rng: np.random.Generator) -> Reconstructed:
    """Apply the detector card to a batch of final states.

    Parameters
    ----------
    fs : FinalState
        Visible final-state particles of ``n_events`` events (with ``fs.truth``, if the source
        attached the hard-process truth, passed on for the jet truth labels).
    card : DetectorCard
    rng : numpy.random.Generator
        Source of the smearing randomness (seeded per shard by the runner). The isolated
        objects and the jet systematics draw from two streams spawned from it
        (:meth:`numpy.random.Generator.spawn`), so tracks and towers are those of a
        detector without them.

    Returns
    -------
    Reconstructed
        Tracks and calorimeter towers as massless particles, grouped by event, with the
        isolated objects and MET (``objects``) and the card's jet systematics
        (``jet_response``).
    """
    obj_rng, jet_rng = rng.spawn(2)
    n_events = len(fs.counts)
    event = np.repeat(np.arange(n_events), fs.counts)
    pt, eta, phi = _pt_eta_phi(fs)
    charged = fs.charge != 0
    tracked, trk_pt = _tracks(card, pt, eta, charged, rng)
    to_calo = ~tracked & (np.abs(eta) < card.calo_eta)
    em = np.isin(np.abs(fs.pid), ELECTROMAGNETIC)
    obj, obj_pt = _isolated_objects(card, fs, pt, eta, phi, obj_rng)
    removed = np.zeros(len(pt), dtype=bool)
    if card.remove_isolated:
        removed[obj] = True
    tracked &= ~removed
    deposit = np.where(removed, 0.0, fs.e)  # same towers and draws as without removal
    t_ev, t_e, t_eta, t_phi = _towers(card, event[to_calo], deposit[to_calo], eta[to_calo],
                                      phi[to_calo], em[to_calo], rng)
    t_pt = t_e / np.cosh(t_eta)
    all_event = np.concatenate([event[tracked], t_ev])
    all_pt = np.concatenate([trk_pt[tracked], t_pt]) * card.jes
    all_eta = np.concatenate([eta[tracked], t_eta])
    all_phi = np.concatenate([phi[tracked], t_phi])
    order = np.argsort(all_event, kind="stable")
    all_pt, all_eta, all_phi = all_pt[order], all_eta[order], all_phi[order]
    counts = np.bincount(all_event, minlength=n_events)
    reco = Reconstructed.from_pt_eta_phi(counts, all_pt, all_eta, all_phi)
    in_met = obj if card.remove_isolated else obj[:0]
    met_pt = np.concatenate([all_pt, obj_pt[np.isin(obj, in_met)]])
    met_phi = np.concatenate([all_phi, phi[in_met]])
    met_x, met_y = missing_pt(n_events, np.concatenate([all_event[order], event[in_met]]),
                              met_pt * np.cos(met_phi), met_pt * np.sin(met_phi))
    reco.objects = EventObjects(n_events=n_events, event=event[obj], pid=fs.pid[obj],
                                pt=obj_pt, eta=eta[obj], phi=phi[obj], met_x=met_x,
                                met_y=met_y)
    reco.truth = getattr(fs, "truth", None)
    reco.jet_response = _jet_response(card, n_events, jet_rng)
    return reco
