"""Bring your own generator: shower and hadronise a Les Houches event file (LHE) with Pythia.

``generate_lhe(FILE, out=DIR)`` (CLI ``sciood generate --lhe FILE --out DIR``) feeds every
event of a Les Houches file (e.g. from MadGraph) to Pythia 8 (``Beams:frameType = 4``,
``Beams:LHEF = FILE``): parton shower, MPI (unless ``mpi=False``), hadronisation, then the same
parametrised detector, jets, selection and sharded store as :func:`sciood.generate`.

Cross-section and weights come from the file, through Pythia: each stored event keeps
Pythia's event weight (``XWGTUP`` for weighted files, ``IDWTUP = ±4``, negative ones
included; 1 for unweighted ones, ``IDWTUP = ±3``) and the manifest's weight scale is
σ / Σ w over *all* events read (selected or not), σ being Pythia's ``sigmaGen`` (for
``IDWTUP = ±3`` the header's Σ XSECUP, for ``±4`` the mean ``XWGTUP``). So ``weight`` is,
as for catalogue samples, expected selected events per fb⁻¹. The header's own σ (Σ XSECUP),
√s (EBMUP1 + EBMUP2), the file's path, size, SHA-256 and event count are in the provenance
(``provenance["lhe"]``).

The file is read and checked before Pythia sees it (:func:`read_lhe_header`): a missing,
unreadable, empty or garbled file (no ``<LesHouchesEvents>``, a malformed ``<init>`` block,
an event whose particle count disagrees with its lines) is refused with a
:class:`~sciood.errors.DataError` naming the line. The whole file is one shard (one Pythia
seed, derived from ``seed``); an event Pythia fails on is skipped (``n_showered`` in the
provenance counts those it returned; ``sigmaGen`` accounts for the others). Re-running the
same command with an unchanged file reads the finished dataset; a changed file is a
different dataset.
"""

from __future__ import annotations

import gzip
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from sciood.data import store
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, GenerationError
from sciood.generate.detector import get_card
from sciood.generate.outdir import claim, finished_dataset, write_claim
from sciood.generate.plan import ShardSpec, shard_seed
from sciood.generate.process_model import Process, Slice
from sciood.generate.provenance import build_manifest, dataset_hash
from sciood.generate.shards import run_shard
from sciood.io import check_writable, sha256_file
from sciood.reco.features import EVENT_COLUMNS

__all__ = ["LHEHeader", "generate_lhe", "read_lhe_header"]

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.]{0,63}")
PB_TO_FB = 1e3


@dataclass(frozen=True)
class LHEHeader:
    """What a Les Houches file declares (its ``<init>`` block) and how many events it holds.

    Attributes
    ----------
    beams : tuple of int
        PDG ids of the two beams (IDBMUP).
    energies : tuple of float
        Beam energies [GeV] (EBMUP).
    idwtup : int
        Weighting strategy (±1 … ±4).
    xsec_pb, xerr_pb : tuple of float
        Per-subprocess cross-sections and errors [pb] (XSECUP, XERRUP).
    n_events : int
        ``<event>`` blocks in the file.
    """

    beams: tuple[int, int]
    energies: tuple[float, float]
    idwtup: int
    xsec_pb: tuple[float, ...]
    xerr_pb: tuple[float, ...]
    n_events: int

    @property
    def sqrt_s(self) -> float:
        """Centre-of-mass energy [GeV] of head-on beams, EBMUP1 + EBMUP2."""
        return self.energies[0] + self.energies[1]

    @property
    def sigma_fb(self) -> float:
        """The header's cross-section Σ XSECUP [fb]."""
        return sum(self.xsec_pb) * PB_TO_FB


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="strict")
    return path.open(encoding="utf-8", errors="strict")


def _numbers(line: str, n: int | None, where: str) -> list[float]:
    try:
        values = [float(t.replace("D", "E").replace("d", "e")) for t in line.split()]
    except ValueError:
        raise DataError(f"{where}: expected numbers, got {line.strip()[:120]!r}") from None
    if n is not None and len(values) < n:
        raise DataError(f"{where}: expected {n} numbers, got {len(values)} in "
                        f"{line.strip()[:120]!r}")
    return values


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with _open(path) as fh:
            yield from enumerate(fh, start=1)
    except (UnicodeDecodeError, OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot be read as a Les Houches text file ({exc}); give an "
                        "LHE file (plain text or .gz)") from None


def _parse_init(lines: Iterator[tuple[int, str]], path: Path
                ) -> tuple[list[float], list[list[float]]]:
    """The ``<init>`` block: its first line (10 numbers) and NPRUP subprocess lines."""
    for _, line in lines:
        if line.strip().startswith("<init"):
            break
    else:
        raise DataError(f"{path}: no <init> block; a Les Houches file declares its beams and "
                        "cross-sections there (see the LHE standard, hep-ph/0609017)")
    body = []
    for no, line in lines:
        text = line.strip()
        if text.startswith("</init"):
            break
        if text and not text.startswith("#") and not text.startswith("<"):
            body.append((no, text))
    if not body:
        raise DataError(f"{path}: the <init> block is empty or not closed by </init>")
    first = _numbers(body[0][1], 10, f"{path}:{body[0][0]} (<init> beam line)")
    nprup = int(first[9])
    if nprup < 1 or len(body) < 1 + nprup:
        raise DataError(f"{path}: <init> declares NPRUP = {nprup} subprocesses but has "
                        f"{len(body) - 1} subprocess lines")
    procs = [_numbers(t, 4, f"{path}:{no} (<init> subprocess line)")
             for no, t in body[1:1 + nprup]]
    return first, procs


def _count_events(lines: Iterator[tuple[int, str]], path: Path) -> int:
    """Count ``<event>`` blocks, checking each has NUP particle lines of 13 numbers."""
    n, inside, expect, got, start = 0, False, -1, 0, 0
    for no, line in lines:
        text = line.strip()
        if text.startswith("<event"):
            inside, expect, got, start = True, -1, 0, no
        elif text.startswith("</event"):
            if not inside or expect < 0 or got != expect:
                raise DataError(f"{path}:{start}: event block declares NUP = {expect} "
                                f"particles but has {got} particle lines")
            inside, n = False, n + 1
        elif inside and text and not text.startswith("#") and not text.startswith("<"):
            if expect < 0:
                expect = int(_numbers(text, 6, f"{path}:{no} (event line)")[0])
            elif got < expect:
                _numbers(text, 13, f"{path}:{no} (particle line)")
                got += 1
    if inside:
        raise DataError(f"{path}:{start}: the last event block is not closed (truncated file?)")
    return n


def read_lhe_header(path: str | os.PathLike[str]) -> LHEHeader:
    """Read and check a Les Houches file's ``<init>`` block and count its events.

    Parameters
    ----------
    path : path-like
        A Les Houches event file, plain text or gzip (``.gz``).

    Returns
    -------
    LHEHeader

    Raises
    ------
    DataError
        The file is missing, unreadable, not a Les Houches file, has a malformed ``<init>``
        block or event, or holds no event; the message names the file and line.
    """
    p = Path(path)
    if not p.is_file():
        raise DataError(f"LHE file {str(p)!r} does not exist (or is not a file); give the path "
                        "of a Les Houches event file")
    lines = _lines(p)
    for _, line in lines:
        if line.strip():
            if "<LesHouchesEvents" not in line:
                raise DataError(f"{p}: not a Les Houches event file (it should start with "
                                f"<LesHouchesEvents ...>, starts with {line.strip()[:80]!r})")
            break
    else:
        raise DataError(f"{p}: the file is empty; give a Les Houches event file")
    first, procs = _parse_init(lines, p)
    n = _count_events(lines, p)
    if n == 0:
        raise DataError(f"{p}: the file holds no <event> block")
    header = LHEHeader(beams=(int(first[0]), int(first[1])), energies=(first[2], first[3]),
                       idwtup=int(first[8]), xsec_pb=tuple(q[0] for q in procs),
                       xerr_pb=tuple(q[1] for q in procs), n_events=n)
    if abs(header.idwtup) not in (1, 2, 3, 4):
        raise DataError(f"{p}: IDWTUP = {header.idwtup} in <init>; the standard allows ±1 … ±4")
    if not all(e > 0 for e in header.energies):
        raise DataError(f"{p}: beam energies {header.energies} in <init> must be > 0 GeV")
    return header


def _check_args(path: Path, label: Any, seed: Any, variant: Any, mpi: Any) -> None:
    if any(c.isspace() or c in "!=" for c in str(path)):
        raise ConfigError(f"LHE path {str(path)!r} contains a space, '!' or '=', which Pythia "
                          "cannot read in Beams:LHEF; rename the file or link it elsewhere")
    if not isinstance(label, str) or not _NAME.fullmatch(label):
        raise ConfigError(f"label must start with a letter and use letters, digits, '_' or '.' "
                          f"(≤ 64 characters), got {label!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63:
        raise ConfigError(f"seed must be an integer in [0, 2^63 - 1], got {seed!r}")
    if not isinstance(variant, str):
        raise ConfigError(f"variant must be a name (str), got {variant!r}")
    get_card(variant)
    if not isinstance(mpi, bool):
        raise ConfigError(f"mpi must be True or False, got {mpi!r}")


def lhe_process(path: Path, *, label: str, signal: bool, mpi: bool) -> Process:
    """The :class:`Process` that reads ``path`` (absolute) with Pythia."""
    return Process(name=label, is_signal=signal, description=f"Les Houches file {path.name}",
                   settings=("Beams:frameType = 4", f"Beams:LHEF = {path}"),
                   slices=(Slice(),), mpi=mpi)


def generate_lhe(
    path: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    seed: int = 1,
    variant: str = "sim",
    label: str = "lhe",
    signal: bool = False,
    mpi: bool = True,
    keep_constituents: bool = True,
    progress: Callable[[int], None] | None = None,
) -> EventSet:
    """Shower, hadronise, simulate and select every event of a Les Houches file into ``out``.

    Parameters
    ----------
    path : path-like
        Les Houches event file (plain or ``.gz``).
    out : path-like
        Output directory; re-running with the same file and arguments reads the dataset.
    seed : int
        Run seed (Pythia's shower/hadronisation seed and the detector's are derived from it).
    variant : str
        Detector card / tune variant (as :func:`sciood.generate`).
    label : str
        Class name of the events.
    signal : bool
        Mark the events as signal.
    mpi : bool
        Multi-parton interactions on top of the file's hard events.
    keep_constituents : bool
        Store both jets' constituents.
    progress : callable, optional
        Called with the number of newly selected events.

    Returns
    -------
    EventSet
        The selected events; ``weight`` in expected events per fb⁻¹.

    Raises
    ------
    DataError
        Missing or garbled file (:func:`read_lhe_header`), ``out`` not writable.
    ConfigError
        Bad arguments, or ``out`` holding a different dataset.
    GenerationError
        Pythia could not read the file or no event passed the selection.
    """
    src = Path(path).resolve() if Path(path).exists() else Path(path)
    header = read_lhe_header(src)
    _check_args(src, label, seed, variant, mpi)
    proc = lhe_process(src, label=label, signal=bool(signal), mpi=mpi)
    lhe_info = {"path": str(src), "sha256": sha256_file(src), "bytes": src.stat().st_size,
                "n_events": header.n_events, "header": asdict(header),
                "header_sigma_fb": header.sigma_fb}
    body = {"process": proc.to_dict(), "lhe": lhe_info, "n_events": header.n_events,
            "seed": int(seed), "variant": variant, "mpi": mpi, "shard_size": header.n_events,
            "keep_constituents": bool(keep_constituents), "schema_version": store.SCHEMA_VERSION,
            "detector_card": get_card(variant).to_dict(), "event_columns": list(EVENT_COLUMNS)}
    chash = dataset_hash(body)
    directory = Path(out)
    done = finished_dataset(directory, chash)
    if done is not None:
        return done
    check_writable(directory)
    claim(directory, chash, body)
    spec = ShardSpec(proc, 0, 0, header.n_events, shard_seed(int(seed), 0, 0, label), variant,
                     mpi, str(directory), bool(keep_constituents), chash, 0.0)
    t0 = time.perf_counter()
    try:
        stats = run_shard(spec, progress)
    except GenerationError as exc:
        write_claim(directory, chash, body, status="failed", error=str(exc))
        raise
    manifest = build_manifest(proc, [spec], [stats], body, chash, time.perf_counter() - t0)
    manifest["n_events"] = int(stats["rows"])
    manifest["provenance"]["kind"] = "generated"
    # events Pythia returned (an event Pythia fails on is skipped; sigmaGen accounts for it)
    manifest["provenance"]["lhe"] = {**lhe_info, "n_showered": int(stats["n_generated"])}
    manifest["provenance"]["sqrt_s_gev"] = header.sqrt_s
    store.write_manifest(directory, manifest)
    return EventSet.read(directory)
