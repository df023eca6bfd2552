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
* **Jet energy scale / resolution**: every reconstructed constituent's momentum is
  multiplied by ``jes`` (so jet pT and mass scale by it), and every resolution term by
  ``resolution_scale``.

The output, :class:`~sciood.reco.event.Reconstructed` (defined in :mod:`sciood.reco`, beneath
``generate`` and ``data``; re-exported here), is what jet clustering reads.

Cards: ``sim`` (nominal), ``data`` (JES +3 %, resolutions × 1.2, plus a different Pythia
tune, see :data:`VARIANT_TUNES`) and the nuisance cards ``sim_jes_up`` / ``sim_jes_down``
(JES ± 1σ, σ = 2 %, a typical large-R jet-energy-scale uncertainty).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from sciood.errors import UnknownNameError
from sciood.generate.pythia import FinalState
from sciood.reco.event import Reconstructed

__all__ = ["CARDS", "VARIANT_TUNES", "DetectorCard", "Reconstructed", "get_card", "simulate"]

ELECTROMAGNETIC = (11, 22)  # |pid| depositing in the ECAL


@dataclass(frozen=True)
class DetectorCard:
    """Parameters of the parametrised detector (see module docstring for the model)."""

    name: str = "sim"
    version: str = "1"
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

    def to_dict(self) -> dict[str, Any]:
        """All parameters as a JSON-able dict."""
        return asdict(self)


_SIM = DetectorCard()
JES_SIGMA = 0.02

CARDS: dict[str, DetectorCard] = {
    "sim": _SIM,
    "data": replace(_SIM, name="data", jes=1.03, resolution_scale=1.2),
    "sim_jes_up": replace(_SIM, name="sim_jes_up", jes=1.0 + JES_SIGMA),
    "sim_jes_down": replace(_SIM, name="sim_jes_down", jes=1.0 - JES_SIGMA),
}

#: Extra Pythia lines per variant: "data" uses the ATLAS A14 tune instead of Monash (default)
#: and a harder Lund fragmentation function, so shower *and* hadronisation differ.
VARIANT_TUNES: dict[str, tuple[str, ...]] = {
    "sim": (),
    "data": ("Tune:pp = 21", "StringZ:aLund = 0.55", "StringZ:bLund = 0.75"),
    "sim_jes_up": (),
    "sim_jes_down": (),
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


def simulate(fs: FinalState, card: DetectorCard, rng: np.random.Generator) -> Reconstructed:
    """Apply the detector card to a batch of final states.

    Parameters
    ----------
    fs : FinalState
        Visible final-state particles of ``n_events`` events.
    card : DetectorCard
    rng : numpy.random.Generator
        Source of the smearing randomness (seeded per shard by the runner).

    Returns
    -------
    Reconstructed
        Tracks and calorimeter towers as massless particles, grouped by event.
    """
    n_events = len(fs.counts)
    event = np.repeat(np.arange(n_events), fs.counts)
    pt, eta, phi = _pt_eta_phi(fs)
    charged = fs.charge != 0
    tracked, trk_pt = _tracks(card, pt, eta, charged, rng)
    to_calo = ~tracked & (np.abs(eta) < card.calo_eta)
    em = np.isin(np.abs(fs.pid), ELECTROMAGNETIC)
    t_ev, t_e, t_eta, t_phi = _towers(card, event[to_calo], fs.e[to_calo], eta[to_calo],
                                      phi[to_calo], em[to_calo], rng)
    t_pt = t_e / np.cosh(t_eta)
    all_event = np.concatenate([event[tracked], t_ev])
    all_pt = np.concatenate([trk_pt[tracked], t_pt]) * card.jes
    all_eta = np.concatenate([eta[tracked], t_eta])
    all_phi = np.concatenate([phi[tracked], t_phi])
    order = np.argsort(all_event, kind="stable")
    all_pt, all_eta, all_phi = all_pt[order], all_eta[order], all_phi[order]
    counts = np.bincount(all_event, minlength=n_events)
    return Reconstructed.from_pt_eta_phi(counts, all_pt, all_eta, all_phi)
