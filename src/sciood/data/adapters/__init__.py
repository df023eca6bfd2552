"""Readers for external formats into an :class:`~sciood.data.eventset.EventSet`.

* :func:`read_table` — generic CSV / Parquet / NumPy (``.npz``/``.npy``) / HDF5 / ROOT tables
  where you name the label, weight, observable and feature columns;
* :func:`read_lhco_features` — the LHC Olympics R&D high-level features file;
* :func:`read_lhco_lowlevel` — the LHC Olympics R&D particle file, re-clustered with FastJet;
* :func:`read_root_jets` — a NanoAOD-like ROOT file with jagged ``FatJet_*`` / ``PFCands_*``
  branches (through awkward);
* :func:`read_source_file` — one file the way a run's ``data.source`` reads it (format by
  suffix and content);
* :func:`write_scores` — per-event scores next to the input (a ROOT friend tree or a Parquet
  file with the event key columns to join them).

Example
-------
>>> from sciood.data.adapters import read_table
>>> es = read_table("events.csv", label="cls", weight="w", observables=["mass"],
...                 signal_labels=["sig"])  # doctest: +SKIP
"""

from sciood.data.adapters.assemble import build_eventset
from sciood.data.adapters.formats import FORMATS
from sciood.data.adapters.jagged import read_root_jets
from sciood.data.adapters.lhco import read_lhco_features, read_lhco_lowlevel
from sciood.data.adapters.pandas_h5 import PandasFixedFrame
from sciood.data.adapters.source import read_source_file
from sciood.data.adapters.table import read_table
from sciood.data.adapters.writeback import write_scores

__all__ = [
    "FORMATS",
    "PandasFixedFrame",
    "build_eventset",
    "read_lhco_features",
    "read_lhco_lowlevel",
    "read_root_jets",
    "read_source_file",
    "read_table",
    "write_scores",
]
