"""pyhf workspaces of a measurement: a histogram template, or a fitted spectrum's sidebands.

:func:`build_workspace` writes the pyhf model of a template background (``staterror``
for MC statistics, a ``jes`` ``histosys``); :func:`fit_workspace` the signal region of a
fitted spectrum with the background extrapolated from the other bins (every event used
once); :func:`signal_window` the bins holding a fraction of the signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood.errors import DataError, StatisticsError
from sciood.stats.binning import scale_factors
from sciood.stats.spectrum_fit import BackgroundFit, fit_spectrum

__all__ = ["build_workspace", "fit_workspace", "signal_window"]


def _hist(name: str, values: ArrayLike | None, n_bins: int | None = None) -> NDArray[np.float64]:
    if values is None:
        raise DataError(f"{name} is missing")
    arr = np.asarray(values, dtype=float).ravel()
    if arr.size == 0:
        raise DataError(f"{name} is empty; pass one value per bin")
    if n_bins is not None and arr.size != n_bins:
        raise DataError(f"{name} has {arr.size} bins but the background has {n_bins}")
    if not np.all(np.isfinite(arr)):
        raise DataError(f"{name} contains NaN/inf; clean the histogram first")
    return arr


#: modifier types accepted by ``extra_modifiers`` (histosys and shapesys carry per-bin data)
_EXTRA_TYPES = ("normsys", "histosys", "shapesys")
_SAMPLES = ("signal", "background")


def _check_extra(
    extra: Sequence[tuple[str, Mapping[str, Any]]], n: int
) -> list[tuple[str, dict[str, Any]]]:
    """Validate ``(sample, pyhf modifier)`` pairs; return JSON-ready copies."""
    out: list[tuple[str, dict[str, Any]]] = []
    for k, item in enumerate(extra):
        if not (isinstance(item, tuple | list) and len(item) == 2):
            raise DataError(
                f"extra_modifiers[{k}] must be a (sample, modifier) pair, e.g. "
                "('signal', {'name': 'eff', 'type': 'normsys', 'data': {'hi': 1.1, 'lo': 0.9}})"
            )
        sample, mod = item
        if sample not in _SAMPLES:
            raise DataError(f"extra_modifiers[{k}] names sample {sample!r}; use one of {_SAMPLES}")
        name, kind = mod.get("name"), mod.get("type")
        if not isinstance(name, str) or not name or name == "mu":
            raise DataError(f"extra_modifiers[{k}] needs a non-empty name other than 'mu'")
        if kind not in _EXTRA_TYPES:
            raise DataError(
                f"extra_modifiers[{k}] ({name!r}) has type {kind!r}; use one of {_EXTRA_TYPES}"
            )
        data = mod.get("data")
        what = f"extra modifier {name!r} ({kind}) on the {sample}"
        if kind == "normsys":
            if not isinstance(data, Mapping) or set(data) != {"hi", "lo"}:
                raise DataError(f"{what}: data must be {{'hi': factor, 'lo': factor}}")
            hi, lo = float(data["hi"]), float(data["lo"])
            if not (np.isfinite(hi) and np.isfinite(lo) and hi > 0.0 and lo > 0.0):
                raise DataError(f"{what}: hi = {hi}, lo = {lo} must be finite and > 0")
            clean: Any = {"hi": hi, "lo": lo}
        elif kind == "histosys":
            if not isinstance(data, Mapping) or set(data) != {"hi_data", "lo_data"}:
                raise DataError(f"{what}: data must be {{'hi_data': bins, 'lo_data': bins}}")
            clean = {key: _hist(f"{what} {key}", data[key], n).tolist() for key in data}
            if min(min(clean["hi_data"]), min(clean["lo_data"])) < 0.0:
                raise DataError(f"{what}: templates must be >= 0")
        else:
            arr = _hist(f"{what} data", data, n)
            if np.any(arr < 0.0):
                raise DataError(f"{what}: uncertainties must be >= 0")
            clean = arr.tolist()
        out.append((sample, {"name": name, "type": kind, "data": clean}))
    return out


def _add_extra(
    mods: dict[str, list[dict[str, Any]]], extra: list[tuple[str, dict[str, Any]]]
) -> None:
    """Append validated extra modifiers; a (name, type) already on a sample is refused."""
    for sample, mod in extra:
        taken = {(m["name"], m["type"]) for m in mods[sample]}
        if (mod["name"], mod["type"]) in taken:
            raise DataError(
                f"the {sample} already has a {mod['type']} named {mod['name']!r} (e.g. from "
                "jes_up/jes_down); pass the variation once, or rename the extra modifier"
            )
        mods[sample].append(mod)


def _restrict_extra(
    extra: Sequence[tuple[str, Mapping[str, Any]]], mask: NDArray[np.bool_]
) -> list[tuple[str, dict[str, Any]]]:
    """The extra modifiers restricted to the bins of ``mask`` (per-bin data sliced)."""
    checked = _check_extra(extra, mask.size)
    out: list[tuple[str, dict[str, Any]]] = []
    for sample, mod in checked:
        data = mod["data"]
        if mod["type"] == "histosys":
            data = {k: np.asarray(v)[mask].tolist() for k, v in data.items()}
        elif mod["type"] == "shapesys":
            data = np.asarray(data)[mask].tolist()
        out.append((sample, {**mod, "data": data}))
    return out


def build_workspace(
    signal: ArrayLike,
    background: ArrayLike,
    observed: ArrayLike | None = None,
    *,
    background_variations: Sequence[tuple[ArrayLike, ArrayLike]] = (),
    background_sumw2: ArrayLike | None = None,
    signal_sumw2: ArrayLike | None = None,
    jes_up: tuple[ArrayLike, ArrayLike] | None = None,
    jes_down: tuple[ArrayLike, ArrayLike] | None = None,
    extra_modifiers: Sequence[tuple[str, Mapping[str, Any]]] = (),
    channel: str = "mjj",
) -> dict[str, Any]:
    """Build the pyhf JSON workspace of a binned signal-strength measurement.

    One channel with two samples: ``signal`` (``normfactor`` ``mu``) and ``background``.
    Nuisance parameters: ``bkg_shape_<k>`` (``histosys``, e.g. one per eigenvector of a
    background-fit covariance, the ``(up, down)`` pairs of
    :meth:`BackgroundFit.eigen_variations`), ``staterror`` (MC statistics from the sums of
    squared weights), and ``jes`` (``histosys`` shared by both samples).

    Parameters
    ----------
    signal, background : array-like, shape (n_bins,)
        Nominal expected counts per bin.
    observed : array-like, shape (n_bins,), optional
        Observed counts.  ``None`` uses the background (expected-only / Asimov data).
    background_variations : sequence of (up, down) arrays, each shape (n_bins,)
        Background shape variations (e.g. ±1σ eigen-variations of a fit).
    background_sumw2, signal_sumw2 : array-like, shape (n_bins,), optional
        Sums of squared weights per bin; enable ``staterror``.
    jes_up, jes_down : (signal, background) pair of arrays, optional
        Templates with the jet energy scale shifted up / down (both or neither).
    extra_modifiers : sequence of (sample, modifier) pairs
        Further pyhf modifiers, ``sample`` one of ``"signal"``, ``"background"`` and
        ``modifier`` a pyhf dict of type ``normsys`` (``data={"hi": f, "lo": f}``),
        ``histosys`` (``data={"hi_data": bins, "lo_data": bins}``) or ``shapesys``
        (``data=bins``); e.g. the detector nuisances of
        :mod:`sciood.stats.detector_nuisances`.  A modifier named like another one
        (``"jes"``) shares its nuisance parameter (correlated); the same name *and* type
        twice on one sample is refused.
    channel : str
        Channel name.

    Returns
    -------
    dict
        A pyhf workspace specification (JSON-serialisable).

    Examples
    --------
    >>> spec = build_workspace([2.0, 5.0], [50.0, 40.0], extra_modifiers=[
    ...     ("signal", {"name": "eff", "type": "normsys", "data": {"hi": 1.1, "lo": 0.9}})])
    >>> [m["name"] for m in spec["channels"][0]["samples"][0]["modifiers"]]
    ['mu', 'eff']
    """
    bkg = _hist("background", background)
    n = bkg.size
    sig = _hist("signal", signal, n)
    if np.any(bkg <= 0.0):
        bad = np.flatnonzero(bkg <= 0.0)
        raise StatisticsError(
            f"background template has non-positive expected counts in bins {bad.tolist()}; "
            "merge or drop those bins (a Poisson model needs b > 0)"
        )
    if np.any(sig < 0.0):
        raise DataError("signal template has negative bins; clip or rebin the signal")
    obs = bkg.copy() if observed is None else _hist("observed", observed, n)
    if np.any(obs < 0.0):
        raise DataError("observed counts must be >= 0")
    if (jes_up is None) != (jes_down is None):
        raise DataError("pass both jes_up and jes_down (signal, background) templates, or neither")
    extra = _check_extra(extra_modifiers, n)

    sig_mods: list[dict[str, Any]] = [{"name": "mu", "type": "normfactor", "data": None}]
    bkg_mods: list[dict[str, Any]] = []
    for k, (up, down) in enumerate(background_variations):
        bkg_mods.append(
            {
                "name": f"bkg_shape_{k}",
                "type": "histosys",
                "data": {
                    "hi_data": _hist(f"background variation {k} up", up, n).tolist(),
                    "lo_data": _hist(f"background variation {k} down", down, n).tolist(),
                },
            }
        )
    if background_sumw2 is not None:
        err = np.sqrt(np.clip(_hist("background_sumw2", background_sumw2, n), 0.0, None))
        bkg_mods.append({"name": "staterror_" + channel, "type": "staterror", "data": err.tolist()})
    if signal_sumw2 is not None:
        err = np.sqrt(np.clip(_hist("signal_sumw2", signal_sumw2, n), 0.0, None))
        sig_mods.append({"name": "staterror_" + channel, "type": "staterror", "data": err.tolist()})
    if jes_up is not None and jes_down is not None:
        for mods, i, label in ((sig_mods, 0, "signal"), (bkg_mods, 1, "background")):
            mods.append(
                {
                    "name": "jes",
                    "type": "histosys",
                    "data": {
                        "hi_data": _hist(f"jes_up {label}", jes_up[i], n).tolist(),
                        "lo_data": _hist(f"jes_down {label}", jes_down[i], n).tolist(),
                    },
                }
            )
    _add_extra({"signal": sig_mods, "background": bkg_mods}, extra)
    return {
        "channels": [
            {
                "name": channel,
                "samples": [
                    {"name": "signal", "data": sig.tolist(), "modifiers": sig_mods},
                    {"name": "background", "data": bkg.tolist(), "modifiers": bkg_mods},
                ],
            }
        ],
        "observations": [{"name": channel, "data": obs.tolist()}],
        "measurements": [{"name": "signal_strength", "config": {"poi": "mu", "parameters": []}}],
        "version": "1.0.0",
    }


def signal_window(signal: ArrayLike, fraction: float = 0.95) -> NDArray[np.bool_]:
    """The contiguous bins around the signal peak that hold ``fraction`` of its total.

    For a Gaussian template and ``fraction = 0.95`` this is the ±2σ window.

    Parameters
    ----------
    signal : array-like, shape (n_bins,)
        Expected signal counts per bin (>= 0, not all zero).
    fraction : float
        Fraction of the signal the window must contain.

    Returns
    -------
    ndarray of bool, shape (n_bins,)
    """
    s = np.clip(_hist("signal", signal), 0.0, None)
    total = float(s.sum())
    if total <= 0.0:
        raise StatisticsError("signal template sums to zero; no limit on mu can be set")
    lo = hi = int(np.argmax(s))
    inside = float(s[lo])
    while inside < fraction * total - 1e-12 * total:
        left = s[lo - 1] if lo > 0 else -1.0
        right = s[hi + 1] if hi + 1 < s.size else -1.0
        if left < 0 and right < 0:
            break
        if right >= left:
            hi += 1
            inside += float(s[hi])
        else:
            lo -= 1
            inside += float(s[lo])
    mask = np.zeros(s.size, dtype=bool)
    mask[lo : hi + 1] = True
    return mask


def fit_workspace(
    signal: ArrayLike,
    fit: BackgroundFit,
    observed: ArrayLike | None = None,
    *,
    signal_sumw2: ArrayLike | None = None,
    jes_up: tuple[ArrayLike, ArrayLike] | None = None,
    jes_down: tuple[ArrayLike, ArrayLike] | None = None,
    extra_modifiers: Sequence[tuple[str, Mapping[str, Any]]] = (),
    fraction: float = 0.95,
) -> dict[str, Any]:
    """A pyhf workspace of a fitted spectrum that uses every event once.

    The channel is the signal region: the bins holding ``fraction`` of the signal
    (:func:`signal_window`, ±2σ for a Gaussian).  The background there is the
    extrapolation of a dijet-function fit to the **other** bins only (independent data),
    and its ±1σ eigen-variations are constrained ``histosys`` nuisances.  The observed
    counts are those of the signal region; ``mu`` multiplies the same template as the
    profile-likelihood limit, so the two limits are directly comparable.

    Parameters
    ----------
    signal : array-like, shape (n_bins,)
        Expected signal counts per bin of ``fit`` for ``mu = 1``.
    fit : BackgroundFit
        The fit whose histogram (edges, counts, mask, function) is used.
    observed : array-like, shape (n_bins,), optional
        Counts replacing the fit's histogram.
    signal_sumw2, jes_up, jes_down, extra_modifiers
        As in :func:`build_workspace`, per bin of the full histogram (per-bin modifier
        data are restricted to the signal region here).
    fraction : float
        Signal fraction defining the signal region.

    Returns
    -------
    dict
        The pyhf workspace specification.

    Raises
    ------
    StatisticsError
        If the sideband fit does not converge (too few bins outside the signal region).
    """
    sig = _hist("signal", signal, fit.counts.size)
    win = signal_window(sig, fraction)
    extra = _restrict_extra(extra_modifiers, win)
    counts = fit.counts if observed is None else _hist("observed", observed, fit.counts.size)
    w2 = fit.sumw2 if observed is None else scale_factors(fit.counts, fit.sumw2) * counts
    side = fit_spectrum(
        fit.edges, counts, w2, model=fit.model, mask=fit.fit_mask & ~win, sqrt_s=fit.sqrt_s,
        start=fit.values if np.all(np.isfinite(fit.values)) else None,
    )
    if not side.converged:
        raise StatisticsError(
            "the sideband fit (signal region excluded) did not converge; widen the mjj range "
            "around the signal"
        )
    up, down = side.eigen_variations()

    def cut(pair: tuple[ArrayLike, ArrayLike] | None) -> tuple[ArrayLike, ArrayLike] | None:
        if pair is None:
            return None
        return (
            _hist("jes signal", pair[0], sig.size)[win],
            _hist("jes background", pair[1], sig.size)[win],
        )

    return build_workspace(
        sig[win],
        side.expected()[win],
        counts[win],
        background_variations=[
            (np.clip(u[win], 1e-9, None), np.clip(d[win], 1e-9, None))
            for u, d in zip(up, down, strict=True)
        ],
        signal_sumw2=None if signal_sumw2 is None else _hist("signal_sumw2", signal_sumw2)[win],
        jes_up=cut(jes_up),
        jes_down=cut(jes_down),
        extra_modifiers=extra,
    )
