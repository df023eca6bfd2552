"""Generate GW windows as an :class:`~sciood.data.EventSet` (the domain's front door).

One event = one window of ``duration`` seconds in H1 and L1. Each event is simulated on a
segment twice as long (coloured Gaussian noise from the variant's PSD, plus a glitch in one
detector or a signal projected onto both), whitened with that PSD, and the central window is
kept — so the whitening filter's edges never reach the stored window.

Every event has its own random stream, ``SeedSequence([seed, crc32(process), index])``: the
output does not depend on how many events are generated at once, on chunking or on workers.

Columns of the returned set:

* ``label``, ``is_signal``, ``weight`` (background: windows per day; signal: 1 / generated);
* ``strain_h1``, ``strain_l1`` — whitened windows, ``list<float32>`` of ``duration·fs`` samples;
* the expert features (:data:`~sciood.domains.gw.features.FEATURES`, the set's features) and
  ``loudest_tile`` (the excess-power baseline statistic);
* truth: ``h_rss`` (0 for background), ``snr_injected`` (network optimal SNR of the injected
  signal or glitch), ``snr_injected_h1``/``_l1``, ``distance_mpc`` (BBH only, else 0),
  ``lag_true`` (``t_L1 − t_H1`` of the injection, s; 0 when none), ``t_peak`` (s into the
  window), ``ifo`` (``"H1"``, ``"L1"``, ``"H1L1"`` or ``""``) and ``gps``.

Example
-------
>>> events = generate_gw("sine_gaussian", 4, seed=1)         # doctest: +SKIP
>>> events.features[:3]                                      # doctest: +SKIP
('snr_h1', 'snr_l1', 'snr_net')
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data.eventset import EventSet
from sciood.domains.gw.catalogue import get_process, get_variant
from sciood.domains.gw.features import BASELINE_COLUMN, FEATURES, expert_features
from sciood.domains.gw.glitches import GLITCHES
from sciood.domains.gw.noise import colored_noise, design_psd, optimal_snr, whiten
from sciood.domains.gw.projection import DETECTORS, GPS_EPOCH, draw_sky, place, project
from sciood.domains.gw.sources import SOURCES
from sciood.errors import DataError

__all__ = ["STRAIN_COLUMNS", "GWSettings", "generate_gw", "generate_gw_sample"]

log = logging.getLogger(__name__)

#: The whitened-strain list columns, in :data:`~sciood.domains.gw.projection.DETECTORS` order.
STRAIN_COLUMNS = ("strain_h1", "strain_l1")
_TRUTH = ("h_rss", "snr_injected", "snr_injected_h1", "snr_injected_l1", "distance_mpc",
          "lag_true", "t_peak", "gps")


@dataclass(frozen=True)
class GWSettings:
    """Sampling of the windows.

    Attributes
    ----------
    sample_rate : float
        Hz (default 2048: band up to 1 kHz).
    duration : float
        Window length, s (default 1); ``duration · sample_rate`` must be a multiple of 64.
    """

    sample_rate: float = 2048.0
    duration: float = 1.0

    @property
    def n_window(self) -> int:
        """Samples per stored window."""
        return round(self.sample_rate * self.duration)

    def check(self) -> None:
        """Raise :class:`DataError` for an unusable setting."""
        n = self.sample_rate * self.duration
        if self.sample_rate < 256 or self.duration <= 0 or abs(n - round(n)) > 1e-9 \
                or round(n) % 64:
            raise DataError(
                f"GWSettings(sample_rate={self.sample_rate}, duration={self.duration}): need "
                "sample_rate >= 256 Hz and duration * sample_rate a positive multiple of 64 "
                "(e.g. 2048 Hz x 1 s)")


def _rng(seed: int, process: str, index: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(process.encode()),
                                                         index]))


def _signal(name: str, rng: np.random.Generator, psd: np.ndarray, n_seg: int, fs: float,
            at: float) -> tuple[np.ndarray, dict[str, Any]]:
    pol = SOURCES[name](rng, fs)
    sky = draw_sky(rng)
    strain = project(pol, sky, at, n_seg, fs)
    snr = {d: float(optimal_snr(strain[d], psd, fs)) for d in DETECTORS}
    dly = sky.delays()
    truth = {"h_rss": pol.params["h_rss"], "snr_injected_h1": snr["H1"],
             "snr_injected_l1": snr["L1"], "distance_mpc": pol.params.get("distance_mpc", 0.0),
             "lag_true": dly["L1"] - dly["H1"], "gps": sky.gps, "ifo": "H1L1"}
    return np.stack([strain[d] for d in DETECTORS]), truth


def _glitch(name: str, rng: np.random.Generator, psd: np.ndarray, n_seg: int, fs: float,
            at: float) -> tuple[np.ndarray, dict[str, Any]]:
    g = GLITCHES[name](rng, fs)
    det = int(rng.integers(0, 2))
    h = place(g.h, g.t_peak, at, n_seg, fs)
    h *= g.snr / max(float(optimal_snr(h, psd, fs)), 1e-300)
    out = np.zeros((2, n_seg))
    out[det] = h
    snr = [0.0, 0.0]
    snr[det] = g.snr
    truth = {"h_rss": 0.0, "snr_injected_h1": snr[0], "snr_injected_l1": snr[1],
             "distance_mpc": 0.0, "lag_true": 0.0, "gps": GPS_EPOCH + rng.uniform(0, 86400.0),
             "ifo": DETECTORS[det]}
    return out, truth


def _event(process: str, index: int, seed: int, psd: np.ndarray,
           settings: GWSettings) -> tuple[np.ndarray, dict[str, Any]]:
    """One whitened window ``(2, n_window)`` and its truth."""
    fs, n_win = settings.sample_rate, settings.n_window
    n_seg = 2 * n_win
    rng = _rng(seed, process, index)
    noise = colored_noise(psd, n_seg, fs, rng, size=(2,))
    kind = get_process(process).kind
    frac = rng.uniform(0.55, 0.8) if process == "bbh" else rng.uniform(0.3, 0.7)
    at = settings.duration * (0.5 + frac)  # peak time in the segment (window starts at 0.5 d)
    if kind == "signal":
        inj, truth = _signal(process, rng, psd, n_seg, fs, at)
    elif kind == "glitch":
        inj, truth = _glitch(process, rng, psd, n_seg, fs, at)
    else:
        inj = np.zeros((2, n_seg))
        truth = {"h_rss": 0.0, "snr_injected_h1": 0.0, "snr_injected_l1": 0.0,
                 "distance_mpc": 0.0, "lag_true": 0.0,
                 "gps": GPS_EPOCH + rng.uniform(0, 86400.0), "ifo": ""}
    truth["snr_injected"] = float(np.hypot(truth["snr_injected_h1"], truth["snr_injected_l1"]))
    truth["t_peak"] = float(frac * settings.duration)
    white = whiten(noise + inj, psd, fs)
    return white[:, n_win // 2:n_win // 2 + n_win].astype(np.float32), truth


@lru_cache(maxsize=1)
def _code_hash() -> str:
    """SHA-256 of this package's source: a cached set is reused only by the code that made it."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def _versions() -> dict[str, str]:
    out = {}
    for pkg in ("pycbc", "lalsuite", "numpy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "absent"
    return out


def _table(process: str, windows: np.ndarray, truths: list[dict[str, Any]],
           feats: dict[str, np.ndarray], weight: float) -> pa.Table:
    n, _, n_win = windows.shape
    cols: dict[str, Any] = {
        "label": pa.array([process] * n, pa.string()),
        "is_signal": pa.array([get_process(process).is_signal] * n, pa.bool_()),
        "weight": pa.array(np.full(n, weight), pa.float64()),
    }
    for k, name in enumerate(STRAIN_COLUMNS):
        flat = pa.array(np.ascontiguousarray(windows[:, k, :]).reshape(-1), pa.float32())
        offsets = pa.array(np.arange(n + 1, dtype=np.int32) * n_win, pa.int32())
        cols[name] = pa.ListArray.from_arrays(offsets, flat)
    for name in (*FEATURES, BASELINE_COLUMN):
        cols[name] = pa.array(feats[name], pa.float64())
    for name in _TRUTH:
        cols[name] = pa.array([float(t[name]) for t in truths], pa.float64())
    cols["ifo"] = pa.array([str(t["ifo"]) for t in truths], pa.string())
    return pa.table(cols)


def generate_gw(process: str, n_events: int, *, seed: int = 0, variant: str = "sim",
                out: str | os.PathLike[str] | None = None,
                settings: GWSettings | None = None) -> EventSet:
    """Simulate ``n_events`` windows of one GW process.

    Parameters
    ----------
    process : str
        A name of :data:`~sciood.domains.gw.catalogue.PROCESSES` (background class or
        signal family).
    n_events : int
        Windows to generate (> 0).
    seed : int
        Random seed; same seed → identical output.
    variant : {"sim", "data"}
        Detector setting (:data:`~sciood.domains.gw.catalogue.VARIANTS`).
    out : path-like, optional
        Write the set there (sharded Parquet + manifest); an existing set there with the same
        provenance (arguments, library versions, hash of this package's code) is read back
        instead of regenerated.
    settings : GWSettings, optional
        Sample rate and window length.

    Returns
    -------
    EventSet
        ``n_events`` rows; features = the expert features; ``observables`` empty.

    Raises
    ------
    UnknownNameError
        Unknown process or variant.
    DataError
        ``n_events`` not a positive integer, or unusable ``settings``.
    """
    settings = settings or GWSettings()
    settings.check()
    proc, var = get_process(process), get_variant(variant)
    if isinstance(n_events, bool) or not isinstance(n_events, int) or n_events <= 0:
        raise DataError(f"n_events must be a positive integer, got {n_events!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    provenance = {"generator": "sciood.domains.gw", "process": process, "n_events": n_events,
                  "seed": seed, "variant": variant, "psd": var.psd,
                  "settings": asdict(settings), "versions": _versions(),
                  "code": _code_hash()}
    if out is not None:
        cached = _read_cached(Path(out), provenance)
        if cached is not None:
            return cached
    fs, n_seg = settings.sample_rate, 2 * settings.n_window
    psd = design_psd(var.psd, n_seg, fs)
    windows = np.empty((n_events, 2, settings.n_window), dtype=np.float32)
    truths = []
    for i in range(n_events):
        windows[i], truth = _event(process, i, seed, psd, settings)
        truths.append(truth)
    feats = expert_features(windows, fs)
    if proc.is_signal:
        weight = 1.0 / n_events
    else:
        rate = proc.rate(variant) / (settings.duration if proc.kind == "noise" else 1.0)
        weight = rate / n_events
    events = EventSet(_table(process, windows, truths, feats, weight), features=list(FEATURES),
                      provenance=provenance)
    if out is not None:
        events.write(out)
    log.info("generated %d %s windows (%s)", n_events, process, variant)
    return events


def _read_cached(path: Path, provenance: dict[str, Any]) -> EventSet | None:
    if not (path / "manifest.json").is_file():
        return None
    try:
        events = EventSet.read(path)
    except DataError:
        return None
    same = json.loads(json.dumps(provenance)) == events.provenance
    return events if same else None


def generate_gw_sample(counts: Mapping[str, int], *, seed: int = 0, variant: str = "sim",
                       settings: GWSettings | None = None) -> EventSet:
    """Several processes in one set (each with its own stream), concatenated in given order.

    Parameters
    ----------
    counts : mapping
        ``{process: n_events}``.
    seed, variant, settings
        As in :func:`generate_gw`.

    Returns
    -------
    EventSet
    """
    if not counts:
        raise DataError("counts is empty; give {process: n_events}, e.g. {'gaussian': 100}")
    parts = [generate_gw(p, n, seed=seed, variant=variant, settings=settings)
             for p, n in counts.items()]
    return EventSet.concat(parts)
