"""Readers for the public LHC Olympics 2020 R&D files (Kasieczka, Nachman, Shih et al.).

* :func:`read_lhco_features` — ``events_anomalydetection_v2.features.h5``: per event the two
  leading anti-kT R = 1.0 jets' ``px, py, pz, m, τ1, τ2, τ3`` and ``label``;
* :func:`read_lhco_lowlevel` — ``events_anomalydetection_v2.h5``: per event up to 700
  particles as ``(pT, η, φ)`` triplets, zero-padded, then ``label`` (2101 columns); the
  events are re-clustered with FastJet by :func:`sciood.reco.jets.cluster_and_select`,
  so every feature (:mod:`sciood.reco.features`) is computed exactly as for generated samples.

Both files are pandas ``to_hdf`` fixed-format frames, read with h5py
(:mod:`sciood.data.adapters.pandas_h5`). Labels: 0 → ``"qcd"``, 1 → ``"xy_qqqq"``
(W' → X Y, X → qq, Y → qq, the R&D signal) with ``is_signal`` True. The black-box files have
no label column: their events get the label ``"data"`` and ``is_signal`` False. LHCO has no
event weights: ``weight`` is 1.0 for every event (the R&D sample is unweighted Pythia).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data.adapters.assemble import build_eventset
from sciood.data.adapters.pandas_h5 import PandasFixedFrame
from sciood.data.eventset import EventSet, constituent_column
from sciood.errors import ConfigError, DataError, require
from sciood.reco.event import Reconstructed
from sciood.reco.features import FEATURES
from sciood.reco.jets import cluster_and_select
from sciood.reco.kinematics import ratio
from sciood.reco.selection import Selection

__all__ = [
    "LHCO_FEATURE_COLUMNS",
    "LHCO_LABELS",
    "LHCO_SELECTION",
    "jets_to_features",
    "read_lhco_features",
    "read_lhco_lowlevel",
]

log = logging.getLogger(__name__)

#: Columns of ``events_anomalydetection_v2.features.h5`` (``label`` absent in black boxes).
LHCO_FEATURE_COLUMNS: tuple[str, ...] = (
    "pxj1", "pyj1", "pzj1", "mj1", "tau1j1", "tau2j1", "tau3j1",
    "pxj2", "pyj2", "pzj2", "mj2", "tau1j2", "tau2j2", "tau3j2",
)
#: LHCO label value -> sciood class name.
LHCO_LABELS: dict[int, str] = {0: "qcd", 1: "xy_qqqq"}
#: Selection of the LHCO R&D sample: one anti-kT R=1.0 jet with pT > 1.2 TeV, |η| < 2.5.
LHCO_SELECTION = {"leading_pt_min": 1200.0, "jet_eta_max": 2.5, "min_jets": 2,
                  "jet_pt_min": 20.0}
N_PARTICLES = 700
UNLABELLED = "data"

#: Output features of :func:`read_lhco_features`, in order (the names of
#: :data:`sciood.reco.features.FEATURES` that the per-jet columns determine: no soft-drop mass,
#: no constituent count).
FEATURES_FROM_JETS: tuple[str, ...] = (
    "mj1", "mj2", "delta_mj",
    "tau1_j1", "tau2_j1", "tau3_j1", "tau1_j2", "tau2_j2", "tau3_j2",
    "tau21_j1", "tau21_j2", "tau32_j1", "tau32_j2",
    "pt_j1", "pt_j2", "eta_j1", "eta_j2", "phi_j1", "phi_j2",
)


def jets_to_features(cols: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The sciood features from the LHCO per-jet columns (``j1`` = the lighter jet).

    Jet four-momenta are ``(E, px, py, pz)`` with ``E = sqrt(p² + m²)``; ``mjj`` is the
    invariant mass of their sum. The jets are re-ordered so that ``j1`` is the lighter one
    (sciood convention; LHCO orders by pT): every ``j1``/``j2`` quantity is swapped where
    ``mj1 > mj2``.

    Parameters
    ----------
    cols : dict of str -> ndarray, each shape ``(n,)``
        The :data:`LHCO_FEATURE_COLUMNS`.

    Returns
    -------
    dict of str -> ndarray, each shape ``(n,)``
        ``mjj``, ``lead_pt`` and :data:`FEATURES_FROM_JETS`.
    """
    jets: list[dict[str, Any]] = []
    for j in ("j1", "j2"):
        px, py, pz, m = (np.asarray(cols[f"{c}{j}"], dtype=np.float64)
                         for c in ("px", "py", "pz", "m"))
        pt = np.hypot(px, py)
        with np.errstate(divide="ignore", invalid="ignore"):
            eta = np.arcsinh(pz / pt)
        jets.append({
            "px": px, "py": py, "pz": pz, "m": m, "pt": pt, "eta": eta,
            "phi": np.arctan2(py, px), "e": np.sqrt(px**2 + py**2 + pz**2 + m**2),
            "tau": [np.asarray(cols[f"tau{k}{j}"], dtype=np.float64) for k in (1, 2, 3)],
        })
    a, b = jets
    e, px, py, pz = (a[k] + b[k] for k in ("e", "px", "py", "pz"))
    out: dict[str, np.ndarray] = {
        "mjj": np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0)),
        "lead_pt": np.maximum(a["pt"], b["pt"]),
    }
    swap = a["m"] > b["m"]

    def pick(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.where(swap, y, x), np.where(swap, x, y)

    out["mj1"], out["mj2"] = pick(a["m"], b["m"])
    out["delta_mj"] = out["mj2"] - out["mj1"]
    for k in range(3):
        out[f"tau{k + 1}_j1"], out[f"tau{k + 1}_j2"] = pick(a["tau"][k], b["tau"][k])
    for j in ("j1", "j2"):
        out[f"tau21_{j}"] = ratio(out[f"tau2_{j}"], out[f"tau1_{j}"])
        out[f"tau32_{j}"] = ratio(out[f"tau3_{j}"], out[f"tau2_{j}"])
    for q in ("pt", "eta", "phi"):
        out[f"{q}_j1"], out[f"{q}_j2"] = pick(a[q], b[q])
    return out


def _check_labels(raw: np.ndarray, path: Path) -> None:
    bad = ~np.isin(raw, list(LHCO_LABELS))
    if bad.any():
        raise DataError(
            f"LHCO file {str(path)!r} has label values {np.unique(raw[bad])[:5].tolist()}; "
            "expected 0 (background) or 1 (signal). Is this an LHCO R&D file? For other "
            "files use read_table"
        )


def _range(n_rows: int, start: int, max_events: int | None) -> tuple[int, int]:
    if start < 0 or start > n_rows:
        raise ConfigError(f"start={start} is outside the file's {n_rows} events")
    if max_events is not None and max_events <= 0:
        raise ConfigError(f"max_events must be positive, got {max_events}")
    stop = n_rows if max_events is None else min(n_rows, start + max_events)
    return start, stop


def read_lhco_features(
    path: str | os.PathLike[str],
    *,
    key: str | None = None,
    start: int = 0,
    max_events: int | None = None,
) -> EventSet:
    """Read the LHCO R&D high-level features file into an :class:`EventSet`.

    Parameters
    ----------
    path : path-like
        ``events_anomalydetection_v2.features.h5`` (or a black-box features file).
    key : str, optional
        pandas key (default ``"df"``).
    start, max_events : int
        Read events ``[start, start + max_events)`` (default: all).

    Returns
    -------
    EventSet
        Observable ``mjj``; features :data:`FEATURES_FROM_JETS` (``j1`` = lighter jet); a
        ``lead_pt`` column; labels ``qcd`` / ``xy_qqqq`` (or ``data`` without a label
        column); ``weight`` 1.0 (LHCO events are unweighted).

    Raises
    ------
    CorruptDataError, DataError
        Missing/unreadable file, missing LHCO columns (listed), labels other than 0/1.

    Examples
    --------
    >>> es = read_lhco_features("events_anomalydetection_v2.features.h5")  # doctest: +SKIP
    >>> es.class_counts()                                                   # doctest: +SKIP
    {'qcd': 1000000, 'xy_qqqq': 100000}
    """
    path = Path(path)
    frame = PandasFixedFrame(path, key)
    missing = [c for c in LHCO_FEATURE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(
            f"{str(path)!r} lacks the LHCO feature columns {missing} (has {frame.columns}); "
            "is it the features file? The low-level file is read by read_lhco_lowlevel"
        )
    has_label = "label" in frame.columns
    lo, hi = _range(frame.n_rows, start, max_events)
    want = [*LHCO_FEATURE_COLUMNS, *(["label"] if has_label else [])]
    raw = frame.read(want, lo, hi)
    cols = jets_to_features(raw)
    if has_label:
        _check_labels(raw["label"], path)
        cols["label"] = raw["label"]
    lead_pt = pa.array(cols.pop("lead_pt"))
    return build_eventset(
        cols, label="label" if has_label else None, observables=["mjj"],
        features=list(FEATURES_FROM_JETS), signal_labels=[1] if has_label else (),
        label_names=LHCO_LABELS, default_label=UNLABELLED, extra={"lead_pt": lead_pt},
        provenance={"adapter": "read_lhco_features", "path": str(path.resolve()),
                    "key": frame.key, "rows": [lo, hi],
                    "weights": "LHCO events are unweighted: weight = 1.0",
                    "jet_order": "re-sorted by mass, j1 = lighter"},
        source=f"LHCO features file {str(path)!r}",
    )


def _chunk_reco(matrix: np.ndarray) -> Reconstructed:
    """``(c, 2100)`` (pT, η, φ)×700 zero-padded -> massless flat four-momenta."""
    pt, eta, phi = (matrix[:, k:3 * N_PARTICLES:3].astype(np.float64) for k in range(3))
    real = pt > 0
    pt, eta, phi = pt[real], eta[real], phi[real]  # row-major: stays event-contiguous
    return Reconstructed.from_pt_eta_phi(real.sum(axis=1).astype(np.int64), pt, eta, phi)


def _list_column(counts: list[np.ndarray], values: list[np.ndarray]) -> pa.Array:
    cnt = np.concatenate(counts) if counts else np.zeros(0, np.int64)
    offsets = np.concatenate([[0], np.cumsum(cnt)]).astype(np.int32)
    flat = np.concatenate(values) if values else np.zeros(0, np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.float32()))


ChunkResult = tuple[dict[str, np.ndarray] | None, dict[str, tuple[np.ndarray, np.ndarray]]]


def _process_chunk(path: Path, key: str, lo: int, hi: int, selection: Selection,
                   has_label: bool, keep_constituents: bool) -> ChunkResult:
    """Read rows ``[lo, hi)``, cluster, select, compute features (one worker's job)."""
    matrix = PandasFixedFrame(path, key).read_matrix(lo, hi)
    if has_label:
        _check_labels(matrix[:, -1], path)
    jb = cluster_and_select(_chunk_reco(matrix), selection)
    log.info("LHCO low-level: events %d-%d read, %d selected", lo, hi, len(jb.selected))
    if len(jb.selected) == 0:
        return None, {}
    part = {k: jb.columns[k] for k in ("mjj", "lead_pt", *FEATURES)}
    if has_label:
        part["label"] = matrix[jb.selected, -1]
    part["entry"] = lo + np.asarray(jb.selected, dtype=np.int64)
    return part, (jb.constituents if keep_constituents else {})


def read_lhco_lowlevel(
    path: str | os.PathLike[str],
    *,
    key: str | None = None,
    start: int = 0,
    max_events: int | None = None,
    chunk_size: int = 10_000,
    leading_pt_min: float = 0.0,
    jet_eta_max: float = 2.5,
    jet_pt_min: float = 20.0,
    keep_constituents: bool = True,
    workers: int = 1,
) -> EventSet:
    """Read the LHCO R&D low-level (particle) file, cluster jets and compute all features.

    Each chunk of ``chunk_size`` events is read (the full file is ~18 GB as float64, so it is
    never loaded at once), its particles are clustered with FastJet anti-kT R = 1.0 and the
    event selection and features are computed by
    :func:`sciood.reco.jets.cluster_and_select` — identical definitions to generated
    samples (N-subjettiness, soft drop, ``j1`` = lighter of the two leading jets).

    Parameters
    ----------
    path : path-like
        ``events_anomalydetection_v2.h5`` (2101 columns) or a black-box file (2100 columns).
    key : str, optional
        pandas key (default ``"df"``).
    start, max_events : int
        Read events ``[start, start + max_events)`` (default: all).
    chunk_size : int
        Events read and clustered at once (memory ≈ chunk_size × 17 kB per worker).
    leading_pt_min : float
        Leading-jet pT threshold [GeV]. Default 0: keep every event (the LHCO events already
        passed the 1.2 TeV trigger; :data:`LHCO_SELECTION` has the published value).
    jet_eta_max, jet_pt_min : float
        Jet acceptance, as :class:`sciood.reco.selection.Selection`. Events with fewer
        than two jets in acceptance are dropped (counted in ``provenance``).
    keep_constituents : bool
        Store the two jets' constituents as ``j1_const_pt/eta/phi``, ``j2_const_…``.
    workers : int
        Processes clustering chunks in parallel (each reads its own rows). The output does
        not depend on ``workers`` or ``chunk_size``.

    Returns
    -------
    EventSet
        Observable ``mjj``; features :data:`sciood.reco.features.FEATURES`; ``lead_pt``;
        ``entry`` (int64: the event's row in the file, for writing scores back);
        labels ``qcd`` / ``xy_qqqq`` (``data`` without a label column); weight 1.0.

    Raises
    ------
    MissingDependencyError
        FastJet / awkward are not installed (extra ``gen``).
    DataError
        Wrong column count, labels other than 0/1, no event passing the selection.

    Examples
    --------
    >>> es = read_lhco_lowlevel("events_anomalydetection_v2.h5", max_events=20_000,
    ...                         workers=2)                                     # doctest: +SKIP
    >>> es.constituents(1, max_particles=100)[0].shape                         # doctest: +SKIP
    (20000, 100, 3)
    """
    require("fastjet", "gen")
    if chunk_size <= 0:
        raise ConfigError(f"chunk_size must be positive, got {chunk_size}")
    if workers <= 0:
        raise ConfigError(f"workers must be positive, got {workers}")
    path = Path(path)
    frame = PandasFixedFrame(path, key)
    n_cols = len(frame.columns)
    if n_cols not in (3 * N_PARTICLES, 3 * N_PARTICLES + 1):
        raise DataError(
            f"{str(path)!r} has {n_cols} columns; the LHCO low-level file has 2101 "
            "(700 × (pT, η, φ) + label) or 2100 (black box). The features file is read by "
            "read_lhco_features"
        )
    has_label = n_cols == 3 * N_PARTICLES + 1
    selection = Selection(leading_pt_min=leading_pt_min, jet_eta_max=jet_eta_max,
                          min_jets=2, jet_pt_min=jet_pt_min)
    lo, hi = _range(frame.n_rows, start, max_events)
    jobs = [(path, frame.key, a, min(a + chunk_size, hi), selection, has_label,
             keep_constituents) for a in range(lo, hi, chunk_size)]
    if workers == 1 or len(jobs) == 1:
        results = [_process_chunk(*job) for job in jobs]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(max_workers=min(workers, len(jobs))) as pool:
            results = list(pool.map(_process_chunk, *zip(*jobs, strict=True)))
    parts = [part for part, _ in results if part is not None]
    const: dict[str, tuple[list[np.ndarray], list[np.ndarray]]] = {}
    for part, chunk_const in results:
        if part is None:
            continue
        for k, (counts, values) in chunk_const.items():
            const.setdefault(k, ([], []))
            const[k][0].append(counts)
            const[k][1].append(values)
    if not parts:
        raise DataError(f"no event of {str(path)!r} rows [{lo}, {hi}) passes the selection "
                        f"{selection}; loosen leading_pt_min / jet_eta_max")
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    extra: dict[str, pa.Array] = {"lead_pt": pa.array(cols.pop("lead_pt")),
                                  "entry": pa.array(cols.pop("entry"))}
    for jet in (1, 2):
        for coord in ("pt", "eta", "phi"):
            if f"j{jet}_{coord}" in const:
                cnt_list, val_list = const[f"j{jet}_{coord}"]
                extra[constituent_column(jet, coord)] = _list_column(cnt_list, val_list)
    n_sel = len(cols["mjj"])
    return build_eventset(
        cols, label="label" if has_label else None, observables=["mjj"],
        features=list(FEATURES), signal_labels=[1] if has_label else (),
        label_names=LHCO_LABELS, default_label=UNLABELLED, extra=extra,
        provenance={"adapter": "read_lhco_lowlevel", "path": str(path.resolve()),
                    "key": frame.key, "rows": [lo, hi], "chunk_size": chunk_size,
                    "selection": {"leading_pt_min": leading_pt_min,
                                  "jet_eta_max": jet_eta_max, "min_jets": 2,
                                  "jet_pt_min": jet_pt_min},
                    "n_events_in_range": hi - lo, "n_selected": n_sel,
                    "clustering": "anti-kT R=1.0 (fastjet), sciood.reco.jets",
                    "weights": "LHCO events are unweighted: weight = 1.0"},
        source=f"LHCO low-level file {str(path)!r}",
    )
