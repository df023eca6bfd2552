"""Readers for external formats into an :class:`~sciood.data.eventset.EventSet`.

* :func:`read_table` — generic CSV / Parquet / NumPy (``.npz``/``.npy``) / HDF5 / ROOT tables
  where you name the label, weight, observable and feature columns;
* :func:`read_lhco_features` — the LHC Olympics R&D high-level features file;
* :func:`read_lhco_lowlevel` — the LHC Olympics R&D particle file, re-clustered with FastJet.

Example
-------
>>> from sciood.data.adapters import read_table
>>> es = read_table("events.csv", label="cls", weight="w", observables=["mass"],
...                 signal_labels=["sig"])  # doctest: +SKIP
"""

from sciood.data.adapters.assemble import build_eventset
from sciood.data.adapters.formats import FORMATS
from sciood.data.adapters.lhco import read_lhco_features, read_lhco_lowlevel
from sciood.data.adapters.pandas_h5 import PandasFixedFrame
from sciood.data.adapters.table import read_table

__all__ = [
    "FORMATS",
    "PandasFixedFrame",
    "build_eventset",
    "read_lhco_features",
    "read_lhco_lowlevel",
    "read_table",
]
