"""Thin layer over ``pythia8mc``: settings with Pythia's complaints captured, batched events
as flat numpy arrays of final-state particles.

Pythia writes its warnings to the C++ ``stdout``; :func:`captured_stdout` redirects file
descriptor 1 around a call so a rejected setting can be reported with Pythia's own words.
Events come from ``Pythia.nextBatch`` (an awkward array per batch), so nothing loops over
particles in Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sciood.errors import ConfigError, GenerationError, require
from sciood.reco._stdout import captured_stdout
from sciood.reco.truth import NEUTRINOS, TruthParticles, truth_from_record

__all__ = ["FinalState", "PythiaSource", "captured_stdout", "check_settings", "pythia_messages",
           "pythia_version"]

MAX_SEED = 900_000_000  # Pythia's Random:seed must be ≤ 900 000 000


def _new_pythia() -> Any:
    pythia8mc = require("pythia8mc", "gen")
    return pythia8mc.Pythia("", False)  # type: ignore[attr-defined]


def pythia_version() -> str:
    """Installed pythia8mc version string."""
    from importlib.metadata import version

    return version("pythia8mc")


_INT = re.compile(r"[+-]?\d+")
_FLOAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_BOOL = {"on", "off", "true", "false", "yes", "no", "ok", "1", "0"}
#: Particle-data properties and the value type Pythia parses them as (lower case).
_PARTICLE_TYPES: dict[str, str] = {
    **dict.fromkeys(("m0", "mwidth", "mmin", "mmax", "tau0"), "float+"),
    **dict.fromkeys(("spintype", "chargetype", "coltype"), "int"),
    **dict.fromkeys(("isresonance", "maydecay", "doexternaldecay", "isvisible",
                     "doforcewidth", "varwidth"), "bool"),
    "onmode": "onmode", "bratio": "float+", "memode": "int", "products": "ints",
    **dict.fromkeys(("onifany", "onifall", "onifmatch", "offifany", "offifall",
                     "offifmatch"), "ints"),
    **dict.fromkeys(("onechannel", "addchannel"), "channel"),
}


def _is_float(text: str, *, positive: bool = False) -> bool:
    if not _FLOAT.fullmatch(text):
        return False
    value = float(text)
    return math.isfinite(value) and (value >= 0 or not positive)


def _value_ok(kind: str, value: str) -> bool:
    """Would Pythia read ``value`` as what it says, for a setting of type ``kind``?"""
    tokens = value.replace(",", " ").split()
    if kind == "bool":
        return value.lower() in _BOOL
    if kind == "int":
        return bool(_INT.fullmatch(value))
    if kind in ("float", "float+"):
        return _is_float(value, positive=kind == "float+")
    if kind == "onmode":
        return value.lower() in _BOOL or bool(_INT.fullmatch(value))
    if kind == "ints":
        return bool(tokens) and all(_INT.fullmatch(t) for t in tokens)
    if kind == "floats":
        return bool(tokens) and all(_is_float(t) for t in tokens)
    if kind == "channel":  # onMode bRatio meMode product...
        return (len(tokens) >= 4 and bool(_INT.fullmatch(tokens[0]))
                and _is_float(tokens[1], positive=True) and bool(_INT.fullmatch(tokens[2]))
                and all(_INT.fullmatch(t) for t in tokens[3:]))
    return True


def _setting_kind(pythia: Any, key: str) -> str:
    """Value type of a ``Group:name`` or ``id:property`` setting ("" = not checked here)."""
    parts = key.split(":")
    if parts[0].isdigit():
        return _PARTICLE_TYPES.get(parts[-1].lower(), "")
    settings = pythia.settings
    for test, kind in ((settings.isFlag, "bool"), (settings.isMode, "int"),
                       (settings.isParm, "float"), (settings.isMVec, "ints"),
                       (settings.isPVec, "floats")):
        if test(key):
            return str(kind)
    return ""


def _check_value(pythia: Any, line: str, where: str) -> None:
    """Refuse a value Pythia would silently misread (``6:m0 = abc`` is read as 0)."""
    text = line.strip()
    if not text or not text[0].isalnum():  # Pythia treats these as comments
        return
    key, sep, value = text.partition("=")
    if not sep:
        key, _, value = text.partition(" ")
    # Pythia ignores what follows "!" (a comment, as in .cmnd files)
    key, value = key.strip().replace(" ", ""), value.split("!", 1)[0].strip()
    kind = _setting_kind(pythia, key)
    if kind and not _value_ok(kind, value):
        expect = {"bool": "on or off", "int": "an integer", "float": "a finite number",
                  "float+": "a finite number ≥ 0", "onmode": "on, off or an integer",
                  "ints": "integers (PDG ids)", "floats": "finite numbers",
                  "channel": "onMode bRatio meMode product1 product2 ... (integers, "
                             "bRatio a number ≥ 0)"}[kind]
        raise ConfigError(f"{where}: the setting {line!r} has value {value!r}, but "
                          f"{key} takes {expect}; Pythia would silently misread it "
                          f"(e.g. 'abc' as 0, '1d2' as 1): write {expect}")


def _read(pythia: Any, lines: Sequence[str], where: str) -> None:
    for line in lines:
        _check_value(pythia, line, where)
        with captured_stdout() as text:
            ok = pythia.readString(line)
        if not ok:
            complaint = " ".join(t.strip() for t in text if t.strip()) or "rejected"
            raise ConfigError(f"{where}: Pythia rejected the setting {line!r}: {complaint}")


def pythia_messages(pythia: Any) -> list[str]:
    """Pythia's error/warning/abort messages so far (from ``Pythia::stat``), in its words.

    ``Print:quiet = on`` keeps Pythia from printing them as they happen; its statistics
    block still lists every distinct message with a count.
    """
    with captured_stdout() as text:
        pythia.stat()
    msgs, inside = [], False
    for raw in "".join(text).splitlines():
        if "Error and Warning Messages Statistics" in raw:
            inside = "End PYTHIA" not in raw
            continue
        if not inside:
            continue
        body = raw.strip().strip("|").strip()
        count, _, message = body.partition(" ")
        if count.isdigit() and message.strip():
            msgs.append(message.strip())
    return msgs


def check_settings(lines: Sequence[str], *, where: str = "settings") -> None:
    """Feed ``lines`` to a fresh Pythia instance; raise on the first line it rejects.

    Raises
    ------
    ConfigError
        Quoting the line and Pythia's message.
    """
    _read(_new_pythia(), lines, where)


@dataclass
class FinalState:
    """Final-state particles of a batch of events, flattened.

    Attributes
    ----------
    counts : ndarray, shape ``(n_events,)``
        Particles per event.
    px, py, pz, e : ndarray, shape ``(n_particles,)``
        Four-momenta [GeV].
    charge : ndarray, shape ``(n_particles,)``
        Electric charge.
    pid : ndarray, shape ``(n_particles,)``
        PDG id.
    weight : ndarray, shape ``(n_events,)``
        Pythia's nominal event weight.
    pthat : ndarray, shape ``(n_events,)``
        Hard-process p̂T [GeV].
    truth : TruthParticles, optional
        Hard-process truth (W, Z, top, b-hadrons, true MET) of the same events.
    """

    counts: np.ndarray
    px: np.ndarray
    py: np.ndarray
    pz: np.ndarray
    e: np.ndarray
    charge: np.ndarray
    pid: np.ndarray
    weight: np.ndarray
    pthat: np.ndarray
    truth: TruthParticles | None = None

    def __len__(self) -> int:
        return len(self.counts)


def _empty_final_state() -> FinalState:
    ints, floats = np.zeros(0, np.int64), np.zeros(0, np.float64)
    return FinalState(counts=ints, px=floats, py=floats, pz=floats, e=floats, charge=floats,
                      pid=ints, weight=floats, pthat=floats)


class PythiaSource:
    """A seeded, initialised Pythia producing batches of visible final-state particles.

    Parameters
    ----------
    settings : sequence of str
        Pythia setting lines (process, tune, MPI, ...).
    seed : int
        1 ≤ seed ≤ 900 000 000.
    where : str
        Context for error messages (process name).
    """

    def __init__(self, settings: Sequence[str], *, seed: int, where: str = "process") -> None:
        if not 1 <= seed <= MAX_SEED:
            raise ConfigError(f"Pythia seed must be in [1, {MAX_SEED}], got {seed}")
        self.pythia = _new_pythia()
        _read(self.pythia, [*settings, "Random:setSeed = on", f"Random:seed = {seed}"], where)
        with captured_stdout() as text:
            ok = self.pythia.init()
        if not ok:
            msgs = pythia_messages(self.pythia)
            printed = [t.strip() for t in "".join(text).splitlines()
                       if any(w in t for w in ("Error", "Warning", "Abort"))]
            msgs.sort(key=lambda m: (m.startswith("Abort"), m.startswith("Warning")))
            reason = "; ".join(msgs or printed) or "Pythia gave no reason"
            raise GenerationError(
                f"{where}: Pythia initialisation failed: {reason[:1500]}. Fix the process "
                "settings (a missing process switch, a decay channel that cannot open, a "
                "mass or phase-space cut outside what the process can reach) and re-run the "
                "same command; the same --out directory can be reused")
        self._charge: dict[int, float] = {}
        self._visible: dict[int, bool] = {}
        self.n_generated = 0
        #: True once an input event file (``Beams:frameType = 4``) has run out of events.
        self.exhausted = False

    def _lookup(self, pids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        uniq, inverse = np.unique(pids, return_inverse=True)
        pdata = self.pythia.particleData
        for u in uniq.tolist():
            if u not in self._charge:
                self._charge[u] = float(pdata.charge(u))
                self._visible[u] = bool(pdata.isVisible(u))
        charge = np.array([self._charge[u] for u in uniq.tolist()])[inverse]
        visible = np.array([self._visible[u] for u in uniq.tolist()], dtype=bool)[inverse]
        return charge, visible

    def next_batch(self, n: int) -> FinalState:
        """Generate ``n`` events; return their visible final-state particles.

        Neutrinos and other invisible particles (e.g. stable dark hadrons) are dropped using
        Pythia's ``ParticleData::isVisible``. Reading a Les Houches file, fewer than ``n``
        events (possibly none) come back at its end, and :attr:`exhausted` is set.
        """
        ak = require("awkward", "gen")
        with captured_stdout():
            batch = self.pythia.nextBatch(n)
        n_got = len(batch)
        if n_got < n and bool(self.pythia.infoPython().atEndOfFile()):
            self.exhausted = True  # a Les Houches input file has no more events
            if n_got == 0:
                return _empty_final_state()
        if n_got == 0:
            raise GenerationError("Pythia returned no events (every event failed)")
        self.n_generated += n_got
        prt = batch.prt
        fs = prt[prt.status > 0]
        pid = ak.to_numpy(ak.flatten(fs.id)).astype(np.int64)  # type: ignore[attr-defined]
        counts = ak.to_numpy(ak.num(fs.id, axis=1)).astype(np.int64)  # type: ignore[attr-defined]
        mom = {c: ak.to_numpy(ak.flatten(fs.p[c])) for c in ("px", "py", "pz", "e")}  # type: ignore[attr-defined]
        charge, visible = self._lookup(pid)
        event_of = np.repeat(np.arange(n_got), counts)
        counts = np.bincount(event_of[visible], minlength=n_got)
        info = batch.info
        weight = ak.to_numpy(info.weights[:, 0]).astype(np.float64)  # type: ignore[attr-defined]
        pthat = np.sqrt(ak.to_numpy(info.pT2Hat).astype(np.float64))  # type: ignore[attr-defined]
        invisible = [*NEUTRINOS, *(u for u, v in self._visible.items() if not v)]
        return FinalState(
            counts=counts, px=mom["px"][visible], py=mom["py"][visible], pz=mom["pz"][visible],
            e=mom["e"][visible], charge=charge[visible], pid=pid[visible], weight=weight,
            pthat=pthat, truth=truth_from_record(ak, prt, invisible_ids=invisible),
        )

    def sigma(self) -> tuple[float, float]:
        """Pythia's cross-section estimate and its error for the events so far [fb]."""
        info = self.pythia.infoPython()
        mb_to_fb = 1e12
        return float(info.sigmaGen()) * mb_to_fb, float(info.sigmaErr()) * mb_to_fb
