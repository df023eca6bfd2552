"""The process catalogue, as data: Pythia 8 settings, class name, selection, physics notes.

Every process is pp at √s = 13 TeV with hadronisation on. Multi-parton interactions (MPI)
are a per-process card setting (``mpi``), on by default; the dijet R&D benchmark config
switches it off (as the LHCO R&D set is believed to have been made) — see SPEC §1.

Background cross-sections come from Pythia's own estimate (``Info::sigmaGen``) of each
generated sample, so weights ``σ · L / N_generated`` are exact for the sample. Signal
cross-sections are model-dependent (couplings left at Pythia defaults); a benchmark
normalises the signal by injecting a chosen number of events, not by its σ.

High-p̂T background is generated in p̂T slices (``slices``) stitched with per-slice weights:
the leading-jet trigger (pT > 1.2 TeV) sits well above the lowest slice edge (1 TeV) so it
is on its plateau — ``benchmarks/generation.py --plateau`` measures this.

Users add processes without touching the code through a TOML/YAML process file, see
:func:`load_process_file`.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from sciood.errors import ConfigError, UnknownNameError

__all__ = [
    "CATALOGUE",
    "Process",
    "Selection",
    "Slice",
    "get_process",
    "load_process_file",
    "process_names",
]

#: Settings every process shares (beam, quiet output).
COMMON_SETTINGS: tuple[str, ...] = (
    "Beams:eCM = 13000.",
    "Next:numberCount = 0",
    "Next:numberShowEvent = 0",
    "Next:numberShowInfo = 0",
    "Next:numberShowProcess = 0",
    "Init:showProcesses = off",
    "Init:showMultipartonInteractions = off",
    "Init:showChangedSettings = off",
    "Init:showChangedParticleData = off",
    "Print:quiet = on",
    "Check:event = on",
)

HADRONIC = "1 2 3 4 5"

#: Beam energy [GeV] of every process (pp at √s = 13 TeV): no jet can carry more pT.
BEAM_ENERGY = 6500.0
#: Physical range of each selection cut (inclusive); outside it no event can ever pass.
_SELECTION_RANGE: dict[str, tuple[float, float]] = {
    "leading_pt_min": (0.0, BEAM_ENERGY),
    "jet_eta_max": (0.1, 10.0),
    "min_jets": (2, 20),
    "jet_pt_min": (0.0, BEAM_ENERGY),
}
_SELECTION_WHY = {
    "leading_pt_min": "GeV; a jet carries at most the beam energy, 6500 GeV at √s = 13 TeV",
    "jet_eta_max": "|η| acceptance; 0.1 or more, the calorimeter ends at 4.9",
    "min_jets": "the features need the two leading jets",
    "jet_pt_min": "GeV; a jet carries at most the beam energy, 6500 GeV",
}


@dataclass(frozen=True)
class Selection:
    """Event selection applied after jet clustering.

    Attributes
    ----------
    leading_pt_min : float
        Leading jet pT threshold [GeV] (the trigger).
    jet_eta_max : float
        |η| acceptance of jets.
    min_jets : int
        Number of jets (within acceptance) required.
    jet_pt_min : float
        Minimum pT for a jet to count [GeV].
    """

    leading_pt_min: float = 1200.0
    jet_eta_max: float = 2.5
    min_jets: int = 2
    jet_pt_min: float = 20.0

    def __post_init__(self) -> None:
        for key in _SELECTION_RANGE:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float | np.integer
                                                          | np.floating):
                raise ConfigError(f"selection.{key} must be a number, got {value!r}; write "
                                  f"e.g. {key} = {getattr(_DEFAULT_SELECTION, key)}")
            if not math.isfinite(float(value)):
                raise ConfigError(f"selection.{key} = {value!r} is not a finite number; no "
                                  "event could pass it: choose a value in "
                                  f"[{_SELECTION_RANGE[key][0]:g}, "
                                  f"{_SELECTION_RANGE[key][1]:g}] ({_SELECTION_WHY[key]})")
            if key == "min_jets" and float(value) != int(value):
                raise ConfigError(f"selection.{key} must be an integer, got {value!r}")
            object.__setattr__(self, key, int(value) if key == "min_jets" else float(value))

    def check_physical(self) -> None:
        """Refuse cuts no generated event can pass (generation would never finish).

        Raises
        ------
        ConfigError
            Naming the cut, its physical range and why.
        """
        for key, (low, high) in _SELECTION_RANGE.items():
            value = getattr(self, key)
            if not low <= value <= high:
                raise ConfigError(
                    f"selection.{key} = {value!r} is outside the physical range "
                    f"[{low:g}, {high:g}] ({_SELECTION_WHY[key]}); no event could pass it, "
                    "so generation would never finish: choose a value in that range")


_DEFAULT_SELECTION = Selection()


@dataclass(frozen=True)
class Slice:
    """One phase-space slice of a process, generated separately and stitched by weight.

    Attributes
    ----------
    settings : tuple of str
        Extra Pythia lines for this slice (e.g. ``PhaseSpace:pTHatMin``).
    fraction : float
        Share of the requested selected events generated in this slice.
    """

    settings: tuple[str, ...] = ()
    fraction: float = 1.0


@dataclass(frozen=True)
class Process:
    """A physics process: Pythia settings + class name + selection + description."""

    name: str
    is_signal: bool
    description: str
    settings: tuple[str, ...]
    slices: tuple[Slice, ...] = (Slice(),)
    selection: Selection = field(default_factory=Selection)
    mpi: bool = True
    label: str | None = None
    notes: str = ""

    @property
    def class_name(self) -> str:
        """Class label written into the EventSet (defaults to the name)."""
        return self.label or self.name

    def pythia_settings(self, slice_index: int = 0, *, mpi: bool | None = None) -> list[str]:
        """All Pythia lines for one slice, MPI switch included."""
        use_mpi = self.mpi if mpi is None else mpi
        return [
            *COMMON_SETTINGS,
            *self.settings,
            *self.slices[slice_index].settings,
            f"PartonLevel:MPI = {'on' if use_mpi else 'off'}",
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able description (stored in the manifest's provenance)."""
        return {
            "name": self.name,
            "label": self.class_name,
            "is_signal": self.is_signal,
            "description": self.description,
            "settings": list(self.settings),
            "slices": [{"settings": list(s.settings), "fraction": s.fraction}
                       for s in self.slices],
            "selection": self.selection.__dict__,
            "mpi": self.mpi,
            "notes": self.notes,
        }


def _hadronic(pid: int) -> tuple[str, ...]:
    return (f"{pid}:onMode = off", f"{pid}:onIfAny = {HADRONIC}")


def _narrow(pid: int, mass: float, width: float) -> tuple[str, ...]:
    return (f"{pid}:m0 = {mass:g}", f"{pid}:mWidth = {width:g}", f"{pid}:doForceWidth = on",
            f"{pid}:mMin = {max(mass - 20 * width, 1.0):g}", f"{pid}:mMax = {mass + 20 * width:g}")


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
_PT_ONE = (Slice(("PhaseSpace:pTHatMin = 1000.",), 1.0),)

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
            "Stand-in of SPEC §1: W'→ZW with Z re-massed to m_X and W to m_Y, narrow forced "
            "widths (1 % of the mass), both decaying to light quarks (d,u,s,c,b). X and Y are "
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
            notes=("Background of the dijet R&D benchmark (SPEC §1, benchmarks/rnd.py): "
                   "generated only in the m̂ window around the signal region; analyse "
                   "2.9 < mjj < 4.3 TeV, where the m̂ and p̂T cuts do not shape mjj."),
        ),
        Process(
            name="ttbar", is_signal=False,
            description="tt̄ production (gg, qq̄ → tt̄), all decays, p̂T > 1 TeV",
            settings=("Top:gg2ttbar = on", "Top:qqbar2ttbar = on"), slices=_PT_ONE,
        ),
        Process(
            name="wjets", is_signal=False,
            description="W + jet (qq̄ → Wg, qg → Wq'), all W decays, p̂T > 1 TeV",
            settings=("WeakBosonAndParton:qqbar2Wg = on", "WeakBosonAndParton:qg2Wq = on"),
            slices=_PT_ONE,
        ),
        Process(
            name="zjets", is_signal=False,
            description="Z + jet (qq̄ → Zg, qg → Zq; Z only, no γ*), all Z decays, p̂T > 1 TeV",
            settings=("WeakBosonAndParton:qqbar2gmZg = on", "WeakBosonAndParton:qg2gmZq = on",
                      "WeakZ0:gmZmode = 2"),
            slices=_PT_ONE,
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
                "Higgs:useBSM = on", "HiggsBSM:gg2H2 = on", *_narrow(35, 3500.0, 10.0),
                "35:onMode = off", "35:onIfAll = 36 36", "36:m0 = 400", "36:onMode = off",
                "36:onIfAll = 23 25", "25:onMode = off", "25:onIfAny = 5", *_hadronic(23),
            ),
            notes=("Four hard prongs in one boosted jet of mass ≈ 400 GeV (cf. the HH-like "
                   "test set of arXiv:2007.01850); BSM Higgs couplings at Pythia defaults."),
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


# ---------------------------------------------------------------------- process files
#: Largest process file read [bytes] (a catalogue of many processes is a few kB).
MAX_FILE_BYTES = 1 << 20
#: Most processes in one file, slices per process, setting lines per process and line length.
MAX_PROCESSES = 200
MAX_SLICES = 50
MAX_LINES = 2000
MAX_LINE_CHARS = 500

_PROCESS_KEYS = {"name", "signal", "description", "settings", "selection", "mpi", "slices",
                 "label", "notes"}
_SELECTION_KEYS = set(Selection.__dataclass_fields__)
_SLICE_KEYS = {"settings", "fraction"}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")

#: Setting lines sciood controls itself (prefixes, lower case: Pythia keys ignore case).
RESERVED_SETTINGS: dict[str, str] = {
    "random:": "the Pythia seed of every shard is derived from --seed (reproducibility)",
    "beams:": "every process is pp at √s = 13 TeV (selection ranges and weights assume it)",
    "partonlevel:mpi": "use the process key `mpi = true/false` (or --mpi/--no-mpi)",
    "tune:": "the tune is set by the detector variant (--variant); a Tune line would reset it",
}


def _load_mapping(path: Path) -> Any:
    from sciood.safe_yaml import load_mapping_file

    return load_mapping_file(path, kind="process file", max_bytes=MAX_FILE_BYTES)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, got {value!r} "
                          f"({type(value).__name__}); write it without quotes")
    return float(value)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r} ({type(value).__name__})")
    return value


def _selection(spec: Any, where: str) -> Selection:
    if not isinstance(spec, Mapping) or set(spec) - _SELECTION_KEYS:
        extra = sorted(set(spec) - _SELECTION_KEYS) if isinstance(spec, Mapping) else spec
        raise ConfigError(f"{where}.selection: allowed keys are {sorted(_SELECTION_KEYS)}, "
                          f"got unknown {extra!r}")
    values: dict[str, Any] = {}
    for key, value in spec.items():
        _number(value, f"{where}.selection.{key}")
        values[key] = value
    try:
        selection = replace(Selection(), **values)
        selection.check_physical()
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return selection


def _setting_lines(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [s for s in value.splitlines() if s.strip()]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise ConfigError(f"{where} must be a list of Pythia setting lines (strings), got "
                          f"{value!r:.80}")
    if len(value) > MAX_LINES:
        raise ConfigError(f"{where}: {len(value)} setting lines, more than the {MAX_LINES} "
                          "allowed; is this the right file?")
    lines = []
    for line in value:
        line = line.strip()
        if len(line) > MAX_LINE_CHARS or "\n" in line or "\r" in line:
            raise ConfigError(f"{where}: setting line {line[:60]!r}... is longer than "
                              f"{MAX_LINE_CHARS} characters or spans lines; one setting "
                              "per line")
        low = line.lower().replace(" ", "")
        for prefix, why in RESERVED_SETTINGS.items():
            if low.startswith(prefix):
                raise ConfigError(f"{where}: the setting {line!r} is not allowed in a "
                                  f"process file: {why}")
        lines.append(line)
    return tuple(lines)


def _slices(value: Any, where: str) -> tuple[Slice, ...]:
    if not isinstance(value, list) or not value or len(value) > MAX_SLICES:
        raise ConfigError(f"{where}.slices must be a list of 1 to {MAX_SLICES} tables "
                          "{settings = [...], fraction = F}")
    out = []
    for i, item in enumerate(value):
        at = f"{where}.slices[{i}]"
        if not isinstance(item, Mapping) or set(item) - _SLICE_KEYS:
            raise ConfigError(f"{at} must be a table with keys {sorted(_SLICE_KEYS)}, got "
                              f"{item!r:.80}")
        fraction = _number(item.get("fraction", 1.0), f"{at}.fraction")
        if not (math.isfinite(fraction) and 0.0 < fraction <= 1.0):
            raise ConfigError(f"{at}.fraction = {fraction!r} must be in (0, 1]")
        out.append(Slice(_setting_lines(item.get("settings", []), f"{at}.settings"), fraction))
    total = math.fsum(s.fraction for s in out)
    if abs(total - 1.0) > 1e-9:
        raise ConfigError(f"{where}.slices: fractions must be positive and sum to 1 "
                          f"(got {total})")
    return tuple(out)


def _parse_process(spec: Any, where: str) -> Process:
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{where}: a process must be a table/mapping, got {type(spec).__name__}")
    unknown = set(spec) - _PROCESS_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(map(str, unknown))}; allowed: "
                          f"{sorted(_PROCESS_KEYS)}")
    for key in ("name", "signal", "settings"):
        if key not in spec:
            raise ConfigError(f"{where}: missing required key {key!r}")
    name = spec["name"]
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(f"{where}: name {name!r} must start with a letter and be letters, "
                          "digits, '_' or '.' (at most 64 characters)")
    if name in CATALOGUE or name in ALIASES:
        raise ConfigError(f"{where}: name {name!r} is a built-in process (see `sciood "
                          "processes`); choose another name for your process")
    where = f"{where} ({name})"
    for key in ("signal", "mpi"):
        if key in spec and not isinstance(spec[key], bool):
            raise ConfigError(f"{where}.{key} must be true or false (unquoted), got "
                              f"{spec[key]!r} ({type(spec[key]).__name__})")
    label = spec.get("label")
    if label is not None and (not isinstance(label, str) or not _NAME.fullmatch(label)):
        raise ConfigError(f"{where}.label {label!r} must start with a letter and be letters, "
                          "digits, '_' or '.' (at most 64 characters)")
    return Process(
        name=name, is_signal=spec["signal"],
        description=_text(spec.get("description", ""), f"{where}.description"),
        settings=_setting_lines(spec["settings"], f"{where}.settings"),
        slices=_slices(spec["slices"], where) if "slices" in spec else (Slice(),),
        selection=_selection(spec.get("selection", {}), where),
        mpi=spec.get("mpi", True), label=label,
        notes=_text(spec.get("notes", ""), f"{where}.notes"),
    )


def _items(data: Any, path: Path) -> list[Any]:
    if isinstance(data, Mapping) and "process" in data:
        if set(data) != {"process"}:
            raise ConfigError(f"{path}: unknown top-level key(s) "
                              f"{sorted(map(str, set(data) - {'process'}))}; a process file "
                              "holds only `process` (TOML [[process]] tables)")
        data = data["process"]
    items = [data] if isinstance(data, Mapping) and data else data
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{path}: expected one or more processes under 'process' (TOML "
                          "[[process]] tables, YAML `process:` list); the file defines none")
    if len(items) > MAX_PROCESSES:
        raise ConfigError(f"{path}: {len(items)} processes, more than the {MAX_PROCESSES} "
                          "allowed in one file; split it")
    return items


def load_process_file(path: str | os.PathLike[str], *, check_pythia: bool = True) -> dict[
    str, Process
]:
    """Read user processes from a TOML or YAML file.

    The file holds one process or a list under ``process`` (TOML ``[[process]]``)::

        [[process]]
        name = "my_zprime"
        signal = true
        description = "Z'(2 TeV) -> b bbar"
        settings = ["NewGaugeBoson:ffbar2gmZZprime = on", "32:m0 = 2000",
                    "32:onMode = off", "32:onIfAny = 5"]
        selection = { leading_pt_min = 800.0 }

    Types are strict (``mpi = "false"`` is refused, not read as true), selection cuts must be
    finite and physical (:class:`Selection`), names must not shadow a built-in process, and
    lines that would override what sciood controls (``Random:``, ``Beams:``, ``Tune:``,
    ``PartonLevel:MPI``; see :data:`RESERVED_SETTINGS`) are refused. YAML is read with
    :func:`sciood.safe_yaml.load_yaml` (no tags, bounded aliases); files are at most
    :data:`MAX_FILE_BYTES`.

    Parameters
    ----------
    path : path-like
        ``.toml``, ``.yaml`` or ``.yml`` file.
    check_pythia : bool
        Feed every setting line to Pythia and report lines it rejects or would misread
        (needs ``pythia8mc``).

    Returns
    -------
    dict
        Name -> :class:`Process`.

    Raises
    ------
    ConfigError
        Missing file, bad syntax, unknown keys, wrong types, or a setting Pythia does not
        accept (the line and Pythia's complaint are quoted).
    """
    path = Path(path)
    if not path.is_file():
        what = "is a directory, not a file" if path.is_dir() else "does not exist"
        raise ConfigError(f"process file {str(path)!r} {what}; pass the path of a .toml or "
                          ".yaml process file")
    items = _items(_load_mapping(path), path)
    procs: dict[str, Process] = {}
    for i, spec in enumerate(items):
        proc = _parse_process(spec, f"{path.name}: process[{i}]")
        if proc.name in procs:
            raise ConfigError(f"{path}: process name {proc.name!r} defined twice; rename one")
        procs[proc.name] = proc
    if check_pythia:
        from sciood.generate.pythia import check_settings

        for proc in procs.values():
            for k in range(len(proc.slices)):
                check_settings(proc.pythia_settings(k), where=f"{path.name}: {proc.name}")
    return procs
