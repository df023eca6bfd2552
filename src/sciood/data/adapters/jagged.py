"""Jagged ROOT collections (NanoAOD-like ``nFatJet``, ``FatJet_pt``, ``PFCands_*``) -> columns.

:func:`read_root_jets` reads a TTree whose jets are jagged branches ``<collection>_<var>``
(one list per event, as NanoAOD stores them) through uproot + awkward and returns the sciood
event columns of :func:`sciood.data.adapters.read_table`'s world:

* the two leading jets by pT are kept (events with fewer jets are dropped; their entries are
  not in ``entry``), then ordered by **mass: j1 = the lighter** (the sciood convention);
* jet four-vectors ``(E, px, py, pz)`` with ``px = pT cos φ``, ``py = pT sin φ``,
  ``pz = pT sinh η``, ``E = sqrt(p² + m²)``; ``mjj`` = invariant mass of their sum;
* features ``mj1, mj2, delta_mj = mj2 − mj1``, ``mj1_sd, mj2_sd`` (if a soft-drop branch
  exists), ``tau1_j1 … tau3_j2`` with ``tau21 = τ2/τ1``, ``tau32 = τ3/τ2`` (0 for a zero
  denominator, :func:`sciood.reco.kinematics.ratio`) if τ branches exist, ``pt/eta/phi_j*``;
* with ``constituents="PFCands"`` the branches ``PFCands_pt/eta/phi`` and
  ``PFCands_<jet_index>`` (the index of the candidate's jet in the collection) give the list
  columns ``j1_const_pt/eta/phi``, ``j2_const_…`` (pT-ordered) and ``nconst_j1/j2``.

Example
-------
>>> cols, extra, entry = read_root_jets("nano.root", tree="Events",
...                                     constituents="PFCands")  # doctest: +SKIP
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sciood.data.eventset import CONSTITUENT_COORDS, constituent_column
from sciood.errors import CorruptDataError, DataError, require
from sciood.reco.kinematics import ratio

__all__ = ["read_root_jets"]

Columns = dict[str, np.ndarray]


def _open_tree(path: Path, tree: str | None) -> tuple[Any, Any]:
    from sciood.data.adapters.formats import TREE_CLASSES

    uproot: Any = require("uproot", "io")
    try:
        f = uproot.open(path)
    except Exception as exc:  # uproot raises several types for non-ROOT/truncated files
        raise CorruptDataError(f"cannot open {str(path)!r} as a ROOT file: {exc}") from exc
    trees = sorted({k.split(";")[0] for k, cls in f.classnames().items() if cls in TREE_CLASSES})
    if tree is None:
        if len(trees) != 1:
            f.close()
            raise DataError(f"{str(path)!r} holds trees {trees}; pass tree=<name>")
        tree = trees[0]
    if tree not in trees:
        f.close()
        raise DataError(f"tree {tree!r} not in {str(path)!r}; available trees: {trees}")
    return f, f[tree]


def _branches(t: Any, names: Sequence[str], path: Path, what: str) -> None:
    keys = set(t.keys())
    missing = [n for n in names if n not in keys]
    if missing:
        jagged = sorted(k for k in keys if "_" in k)[:12]
        raise DataError(f"{what} branch(es) {missing} are not in {str(path)!r}; branches "
                        f"include {jagged} — set data.source.jets (collection, mass, tau, "
                        "constituents) to the names your file uses")


def _two_leading(ak: Any, jets: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mask of events with >= 2 jets and, for those, the indices of jets j1 (lighter), j2."""
    pt = jets["pt"]
    keep = np.asarray(ak.num(pt, axis=1)) >= 2
    order = ak.argsort(pt[keep], axis=1, ascending=False)
    lead, sub = (np.asarray(order[:, k]) for k in (0, 1))
    mass = jets["mass"][keep]
    m_lead = np.asarray(mass[ak.local_index(mass) == ak.Array(lead)][:, 0])
    m_sub = np.asarray(mass[ak.local_index(mass) == ak.Array(sub)][:, 0])
    swap = m_lead > m_sub
    return keep, np.where(swap, sub, lead), np.where(swap, lead, sub)


def _pick(ak: Any, values: Any, keep: np.ndarray, index: np.ndarray) -> np.ndarray:
    v = values[keep]
    return np.asarray(v[ak.local_index(v) == ak.Array(index)][:, 0], dtype=np.float64)


def _list_column(ak: Any, values: Any) -> pa.Array:
    counts = np.asarray(ak.num(values, axis=1), dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    flat = np.asarray(ak.flatten(values, axis=None), dtype=np.float32)
    return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, pa.float32()))


def read_root_jets(
    path: str | os.PathLike[str],
    *,
    tree: str | None = None,
    collection: str = "FatJet",
    mass: str = "mass",
    softdrop_mass: str | None = "msoftdrop",
    tau: Sequence[str] = ("tau1", "tau2", "tau3"),
    constituents: str | None = None,
    jet_index: str = "jetIdx",
    flat: Sequence[str] = (),
    stop: int | None = None,
) -> tuple[Columns, dict[str, pa.Array], np.ndarray]:
    """Event columns from a TTree's jagged jet (and constituent) collections.

    Parameters
    ----------
    path : path-like
        The ``.root`` file.
    tree : str, optional
        The TTree (needed when the file holds several).
    collection : str
        Jet branch prefix: ``<collection>_pt``, ``_eta``, ``_phi``, ``_<mass>`` are required.
    mass, softdrop_mass : str
        Branch suffixes of the ungroomed and soft-drop masses (soft drop optional).
    tau : sequence of 3 str
        Suffixes of τ1, τ2, τ3 (used when all three exist).
    constituents : str, optional
        Constituent prefix (``<constituents>_pt/eta/phi/<jet_index>``).
    jet_index : str
        Suffix of the constituent branch holding its jet's index in the collection.
    flat : sequence of str
        Flat branches to read too (label, weight, keys, …), one value per entry.
    stop : int, optional
        Read entries ``[0, stop)``.

    Returns
    -------
    columns : dict of str -> ndarray, each shape ``(n_selected,)``
        ``mjj``, the features and the ``flat`` branches of the selected events.
    extra : dict of str -> pyarrow.Array
        ``lead_pt`` and the constituent list columns.
    entry : ndarray of int64, shape ``(n_selected,)``
        The TTree entry of each selected event.

    Raises
    ------
    DataError
        Missing branches (named, with the fix), no event with two jets, a flat branch that
        is jagged.
    CorruptDataError
        Not a ROOT file.
    """
    ak: Any = require("awkward", "io")
    p = Path(path)
    if not p.is_file():
        raise CorruptDataError(f"file {str(p)!r} does not exist; check the path")
    f, t = _open_tree(p, tree)
    with f:
        need = [f"{collection}_{v}" for v in ("pt", "eta", "phi", mass)]
        _branches(t, need, p, "jet")
        keys = set(t.keys())
        opt = [f"{collection}_{s}" for s in ([softdrop_mass] if softdrop_mass else [])]
        taus = [f"{collection}_{s}" for s in tau] if len(tau) == 3 else []
        if not all(b in keys for b in taus):
            taus = []
        cands = []
        if constituents is not None:
            cands = [f"{constituents}_{v}" for v in (*CONSTITUENT_COORDS, jet_index)]
            _branches(t, cands, p, "constituent")
        _branches(t, list(flat), p, "column")
        names = [*need, *[b for b in opt if b in keys], *taus, *cands, *flat]
        arr = t.arrays(list(dict.fromkeys(names)), library="ak", entry_stop=stop)
    n_entries = len(arr)
    for b in flat:
        if arr[b].ndim != 1:
            raise DataError(f"branch {b!r} of {str(p)!r} is jagged (a list per entry); name a "
                            "flat branch (one value per entry) for label/weight/keys")
    jets = {"pt": arr[need[0]], "eta": arr[need[1]], "phi": arr[need[2]],
            "mass": arr[need[3]]}
    keep, i1, i2 = _two_leading(ak, jets)
    if not keep.any():
        raise DataError(f"no entry of {str(p)!r} ({n_entries} read) has two {collection} jets; "
                        f"check data.source.jets.collection (branches {need})")
    cols: Columns = {}
    per_jet: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for q, values in jets.items():
        per_jet[q] = (_pick(ak, values, keep, i1), _pick(ak, values, keep, i2))
    four = []
    for k in (0, 1):
        pt, eta, phi, m = (per_jet[q][k] for q in ("pt", "eta", "phi", "mass"))
        px, py, pz = pt * np.cos(phi), pt * np.sin(phi), pt * np.sinh(eta)
        four.append((np.sqrt(px**2 + py**2 + pz**2 + m**2), px, py, pz))
    e, px, py, pz = (four[0][i] + four[1][i] for i in range(4))
    cols["mjj"] = np.sqrt(np.maximum(e**2 - px**2 - py**2 - pz**2, 0.0))
    cols["mj1"], cols["mj2"] = per_jet["mass"]
    cols["delta_mj"] = cols["mj2"] - cols["mj1"]
    if opt and opt[0] in keys:
        cols["mj1_sd"], cols["mj2_sd"] = (_pick(ak, arr[opt[0]], keep, i) for i in (i1, i2))
    if taus:
        for j, idx in (("j1", i1), ("j2", i2)):
            t1, t2, t3 = (_pick(ak, arr[b], keep, idx) for b in taus)
            cols.update({f"tau1_{j}": t1, f"tau2_{j}": t2, f"tau3_{j}": t3,
                         f"tau21_{j}": ratio(t2, t1), f"tau32_{j}": ratio(t3, t2)})
    for q in ("pt", "eta", "phi"):
        cols[f"{q}_j1"], cols[f"{q}_j2"] = per_jet[q]
    extra: dict[str, pa.Array] = {"lead_pt": pa.array(np.maximum(*per_jet["pt"]))}
    if constituents is not None:
        owner = arr[cands[3]][keep]
        for jet, idx in ((1, i1), (2, i2)):
            mine = owner == ak.Array(idx)
            c_pt = arr[cands[0]][keep][mine]
            order = ak.argsort(c_pt, axis=1, ascending=False)
            for coord, b in zip(CONSTITUENT_COORDS, cands[:3], strict=True):
                extra[constituent_column(jet, coord)] = _list_column(
                    ak, arr[b][keep][mine][order])
            cols[f"nconst_j{jet}"] = np.asarray(ak.num(c_pt, axis=1), dtype=np.float64)
    for b in flat:
        cols[b] = np.asarray(arr[b][keep])
    return cols, extra, np.flatnonzero(keep).astype(np.int64)
