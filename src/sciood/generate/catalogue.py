"""The built-in process catalogue, as data: Pythia 8 settings, physics notes, aliases.

Background cross-sections come from Pythia's own estimate (``Info::sigmaGen``) of each
generated sample, so weights ``σ · L / N_generated`` are exact for the sample. Signal
cross-sections are model-dependent (couplings left at Pythia defaults); a benchmark
normalises the signal by injecting a chosen number of events, not by its σ.

High-p̂T background is generated in p̂T slices (``slices``) stitched with per-slice weights:
the leading-jet trigger (pT > 1.2 TeV) sits well above the lowest slice edge (0.8 TeV for QCD,
0.7 TeV for tt̄, W + jet, Z + jet) so it is on its plateau — ``benchmarks/generation.py``
measures this (its plateau tables; tt̄ is the exception, see ``_PT_EW``).

The dijet R&D benchmark's background ``qcd_rnd`` is made as the LHC Olympics 2020 R&D set is
believed to have been made; its config switches MPI off (``mpi = false``).
"""

from __future__ import annotations

from collections.abc import Mapping

from sciood.errors import UnknownNameError
from sciood.generate.process_model import Process, Slice

__all__ = ["ALIASES", "CATALOGUE", "get_process", "process_names"]

HADRONIC = "1 2 3 4 5"


def _hadronic(pid: int) -> tuple[str, ...]:
    return (f"{pid}:onMode = off", f"{pid}:onIfAny = {HADRONIC}")


def _narrow(pid: int, mass: float, width: float) -> tuple[str, ...]:
    return (f"{pid}:m0 = {mass:g}", f"{pid}:mWidth = {width:g}", f"{pid}:doForceWidth = on",
            f"{pid}:mMin = {max(mass - 20 * width, 1.0):g}", f"{pid}:mMax = {mass + 20 * width:g}")


#: Heavy-H couplings that are switched off for ``four_prong`` (H then decays to f f̄, g g,
#: γ γ and A A only, with a natural width of ≈ 140 GeV instead of 36 TeV).
_H2_ONLY_FERMIONS_AND_AA = (
    "HiggsH2:coup2W = 0", "HiggsH2:coup2Z = 0", "HiggsH2:coup2H1Z = 0",
    "HiggsH2:coup2H1H1 = 0", "HiggsH2:coup2A3H1 = 0", "HiggsH2:coup2HchgW = 0",
    "HiggsA3:coup2H2Z = 0",
)


def _wprime_to(m_wprime: float, m_z: float, m_w: float) -> tuple[str, ...]:
    """W' → (23)(24) with both daughters re-massed (narrow) and decaying to light quarks."""
    return (
        "NewGaugeBoson:ffbar2Wprime = on",
        f"34:m0 = {m_wprime:g}",
        "Wprime:coup2WZ = 1",
        "34:onMode = off",
        "34:onIfAll = 23 24",
        *_narrow(23, m_z, 0.01 * m_z),
        *_narrow(24, m_w, 0.01 * m_w),
        *_hadronic(23),
        *_hadronic(24),
    )


# p̂T slices for QCD. Measured (benchmarks/generation.py --plateau): of the events passing the
# 1.2 TeV leading-jet selection, ≈ 15 % come from 800 < p̂T < 1000 GeV (hard ISR captured by the
# R = 1.0 jet) and ≈ 3 % from p̂T < 800 GeV, which is not generated (it would need ~1000
# generated events per selected one). Selected-event shares per slice are chosen for cost;
# weights make the mixture physical.
_PT_SLICES = (
    Slice(("PhaseSpace:pTHatMin = 800.", "PhaseSpace:pTHatMax = 1000."), 0.1),
    Slice(("PhaseSpace:pTHatMin = 1000.", "PhaseSpace:pTHatMax = 1500."), 0.7),
    Slice(("PhaseSpace:pTHatMin = 1500.",), 0.2),
)
# p̂T slices for tt̄, W + jet, Z + jet: > 1 TeV (slice 0, unchanged, so its shard seeds are the
# same as before) plus 700 < p̂T < 1000 GeV (slice 1). Measured (benchmarks/generation.py,
# plateau tables, MPI off / on): 700–1000 GeV adds 11.6 ± 2.4 / 12.4 ± 2.5 % (tt̄),
# 12.5 ± 2.0 / 7.4 ± 1.5 % (W + jet), 10.3 ± 1.8 / 10.9 ± 1.8 % (Z + jet) of the selected σ·ε
# of p̂T > 1 TeV; 500–700 GeV adds < 1 % for W/Z + jet (≤ 1 of 12 000 selected), while tt̄ adds
# another ≈ 11 % (Pythia's power shower: ISR of a tt̄ pair starts at the kinematic limit),
# which is not generated (see docs/generation.md).
# The low slice selects < 1 % of its events, so it gets 3 % of the selected events (near the
# cost-optimal share s_k·√ε_k); its weights are ≈ 4× the others'.
_PT_LOW_EDGE = 700.0
_PT_EW = (Slice(("PhaseSpace:pTHatMin = 1000.",), 0.97),
           Slice((f"PhaseSpace:pTHatMin = {_PT_LOW_EDGE:g}.", "PhaseSpace:pTHatMax = 1000."),
                 0.03))

# The dijet R&D background: only the m̂ window around the 3.5 TeV signal region is generated
# (SR 3.3–3.7 TeV, analysed mjj window 2.9–4.3 TeV, so the m̂ edges sit ≥ 300 GeV outside
# it), with p̂T > 900 GeV so that events failing the 1.2 TeV leading-jet selection are
# mostly never showered.
_RND_WINDOW = ("PhaseSpace:mHatMin = 2600.", "PhaseSpace:mHatMax = 4600.",
               "PhaseSpace:pTHatMin = 900.")


def _xy(m_res: float, m_x: float, m_y: float, name: str) -> Process:
    return Process(
        name=name,
        is_signal=True,
        description=(f"Z'/W'({m_res / 1000:g} TeV) → X({m_x:g}) Y({m_y:g}), X,Y → qq̄ "
                     "(LHCO R&D-like)"),
        settings=_wprime_to(m_res, m_x, m_y),
        notes=(
            "Stand-in for the LHCO R&D signal W' → X Y, X → qq̄, Y → qq̄: W'→ZW with Z "
            "re-massed to m_X and W to m_Y, narrow forced widths (1 % of the mass), both "
            "decaying to light quarks (d,u,s,c,b). X and Y are "
            "vector bosons here instead of scalars; for jet substructure (two-prong, mass peak) "
            "this barely matters."
        ),
    )


def _wprime_wz(m_w: float) -> Process:
    return Process(
        name=f"wprime_wz_{m_w:g}",
        is_signal=True,
        description=f"W'(3.5 TeV) → W Z → (qq)(qq), W-like boson mass {m_w:g} GeV (two-prong)",
        settings=_wprime_to(3500.0, 91.1876, m_w),
        notes="Jet test-set design of arXiv:2007.01850: the W-like boson mass is varied.",
    )


def _dark(r_inv: float) -> Process:
    vis = 1.0 - r_inv
    return Process(
        name=f"dark_shower_{r_inv:g}",
        is_signal=True,
        description=(f"Hidden-Valley Z'(3.5 TeV) → q_D q̄_D, semi-visible jets, r_inv = {r_inv:g}"),
        settings=(
            "HiddenValley:ffbar2Zv = on",
            *_narrow(4900023, 3500.0, 10.0),
            "4900023:onMode = off",
            "4900023:onIfAny = 4900101",
            "4900101:m0 = 10",
            "HiddenValley:Ngauge = 2",
            "HiddenValley:nFlav = 2",
            "HiddenValley:fragment = on",
            "HiddenValley:FSR = on",
            "HiddenValley:alphaOrder = 1",
            "HiddenValley:Lambda = 20",
            "HiddenValley:pTminFSR = 22",
            "HiddenValley:spinFv = 0",
            "HiddenValley:probVector = 0.75",
            "4900111:m0 = 20",
            "4900113:m0 = 20",
            "4900211:m0 = 9.99",
            "4900213:m0 = 9.99",
            f"4900111:oneChannel = 1 {vis:g} 91 -3 3",
            f"4900111:addChannel = 1 {r_inv:g} 0 4900211 -4900211",
            f"4900113:oneChannel = 1 {vis:g} 91 -3 3",
            f"4900113:addChannel = 1 {r_inv:g} 0 4900213 -4900213",
        ),
        notes=(
            "After the CMS semi-visible-jet benchmark (CMS-EXO-19-020): dark SU(N_c=2) with "
            "N_f=2 flavours, Λ_D = 20 GeV, dark quark m_qD = 10 GeV, dark pseudoscalar and "
            "vector mesons m_πD = m_ρD = 20 GeV (probVector 0.75), dark-shower FSR on "
            "(running α_D at one loop, pT_min = 1.1 Λ_D), Z' mass 3.5 TeV (width 10 GeV). "
            "Unstable dark mesons decay to s s̄ with probability 1 − r_inv and to stable "
            "invisible dark hadrons (4900211/4900213, m = 9.99 GeV) with probability r_inv."
        ),
    )


def _catalogue() -> dict[str, Process]:
    procs = [
        Process(
            name="qcd", is_signal=False,
            description="QCD dijets (all 2→2 hard QCD), p̂T slices 0.8–1, 1–1.5, > 1.5 TeV",
            settings=("HardQCD:all = on",), slices=_PT_SLICES,
        ),
        Process(
            name="qcd_rnd", is_signal=False,
            description="QCD dijets for the R&D benchmark: 2.6 < m̂ < 4.6 TeV, p̂T > 0.9 TeV",
            settings=("HardQCD:all = on", *_RND_WINDOW),
            notes=("Background of the dijet R&D benchmark (benchmarks/rnd.py): "
                   "generated only in the m̂ window around the signal region; analyse "
                   "2.9 < mjj < 4.3 TeV, where the m̂ and p̂T cuts do not shape mjj."),
        ),
        Process(
            name="ttbar", is_signal=False,
            description="tt̄ production (gg, qq̄ → tt̄), all decays, p̂T slices 0.7–1, > 1 TeV",
            settings=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"), slices=_PT_EW,
        ),
        Process(
            name="wjets", is_signal=False,
            description="W + jet (qq̄ → Wg, qg → Wq'), all W decays, p̂T slices 0.7–1, > 1 TeV",
            settings=("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on"),
            slices=_PT_EW,
        ),
        Process(
            name="zjets", is_signal=False,
            description=("Z + jet (qq̄ → Zg, qg → Zq; Z only, no γ*), all Z decays, "
                         "p̂T slices 0.7–1, > 1 TeV"),
            settings=("WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on",
                      "WeakZ0:gmZmode = 2"),
            slices=_PT_EW,
        ),
        _xy(3500.0, 500.0, 100.0, "xy_qqqq"),
        _xy(3500.0, 300.0, 300.0, "xy_qqqq_300_300"),
        _xy(5000.0, 500.0, 100.0, "xy_qqqq_5000"),
        *(_wprime_wz(m) for m in (59.0, 80.0, 120.0, 174.0)),
        Process(
            name="zprime_tt", is_signal=True,
            description="Z'(3.5 TeV) → tt̄, fully hadronic, m_t = 174 GeV (three-prong)",
            settings=(
                "NewGaugeBoson:ffbar2gmZZprime = on", "Zprime:gmZmode = 3", "32:m0 = 3500",
                "32:onMode = off", "32:onIfAny = 6", "6:m0 = 174.0", *_hadronic(24),
            ),
        ),
        Process(
            name="four_prong", is_signal=True,
            description="gg → H(3.5 TeV) → A A, A(400) → Z h → (qq)(bb̄): four-prong jets",
            settings=(
                "Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", "35:m0 = 3500",
                "35:mMin = 2800", "35:mMax = 4200", *_H2_ONLY_FERMIONS_AND_AA,
                "35:onMode = off", "35:onIfAll = 36 36", *_narrow(36, 400.0, 4.0),
                "36:onMode = off", "36:onIfAll = 23 25", "25:onMode = off",
                "25:onIfAny = 5", *_hadronic(23),
            ),
            notes=("Four hard prongs in one boosted jet of mass ≈ 400 GeV (cf. the HH-like "
                   "test set of arXiv:2007.01850). H's couplings to W, Z, Z A, h h, A h, H± W "
                   "are off (they gave it a 36 TeV width), so it decays to fermions, gluons "
                   "and A A with its natural width (≈ 140 GeV, dominated by tt̄); A is narrow "
                   "(4 GeV, forced; its branching ratios kept). σ (≈ 5e-9 fb) is Pythia's "
                   "for this model and tiny (B(H → AA) ≈ 5e-5 beside tt̄): use the sample by "
                   "event count (signal injection), not by σ."),
        ),
        Process(
            name="qstar_qg", is_signal=True,
            description="excited quark q*(3.5 TeV) → q g (one-prong; hard for substructure)",
            settings=(
                "ExcitedFermion:dg2dStar = on", "ExcitedFermion:ug2uStar = on",
                "ExcitedFermion:Lambda = 3500", "4000001:m0 = 3500", "4000002:m0 = 3500",
                "4000001:onMode = off", "4000001:onIfAny = 21",
                "4000002:onMode = off", "4000002:onIfAny = 21",
            ),
        ),
        _dark(0.3),
        _dark(0.6),
    ]
    return {p.name: p for p in procs}


CATALOGUE: dict[str, Process] = _catalogue()

#: Short names that resolve to a catalogue entry.
ALIASES: dict[str, str] = {"wprime_wz": "wprime_wz_80", "dark_shower": "dark_shower_0.3"}


def process_names() -> list[str]:
    """Names of the built-in processes (aliases excluded), sorted."""
    return sorted(CATALOGUE)


def get_process(
    name: str, *, extra: Mapping[str, Process] | None = None
) -> Process:
    """Look up a process by name (or alias) in the catalogue and ``extra`` processes.

    Raises
    ------
    UnknownNameError
        Listing every valid name.
    """
    pool = dict(CATALOGUE)
    if extra:
        pool.update(extra)
    key = ALIASES.get(name, name) if name not in pool else name
    if key not in pool:
        raise UnknownNameError("process", name, [*pool, *ALIASES])
    return pool[key]
