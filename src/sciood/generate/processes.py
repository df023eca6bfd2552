"""Processes: the model, the built-in catalogue and user process files (one door).

The code lives in three modules; this one re-exports their names:

* :mod:`sciood.generate.process_model` — :class:`Process`, :class:`Slice` (a process as data:
  Pythia settings, phase-space slices, MPI switch, selection, class name);
* :mod:`sciood.generate.catalogue` — :data:`CATALOGUE`, :data:`ALIASES`, :func:`get_process`,
  :func:`process_names` (the built-in processes and their physics notes);
* :mod:`sciood.generate.process_file` — :func:`load_process_file` (user processes from TOML or
  YAML, validated strictly).

The event selection, :class:`Selection`, is shared with the LHCO reader and lives in
:mod:`sciood.reco.selection`.
"""

from __future__ import annotations

from sciood.generate.catalogue import ALIASES as ALIASES
from sciood.generate.catalogue import CATALOGUE, get_process, process_names
from sciood.generate.catalogue import HADRONIC as HADRONIC
from sciood.generate.process_file import MAX_FILE_BYTES as MAX_FILE_BYTES
from sciood.generate.process_file import MAX_LINE_CHARS as MAX_LINE_CHARS
from sciood.generate.process_file import MAX_LINES as MAX_LINES
from sciood.generate.process_file import MAX_PROCESSES as MAX_PROCESSES
from sciood.generate.process_file import MAX_SLICES as MAX_SLICES
from sciood.generate.process_file import RESERVED_SETTINGS as RESERVED_SETTINGS
from sciood.generate.process_file import load_process_file
from sciood.generate.process_model import COMMON_SETTINGS as COMMON_SETTINGS
from sciood.generate.process_model import Process, Slice
from sciood.reco.selection import BEAM_ENERGY as BEAM_ENERGY
from sciood.reco.selection import Selection

__all__ = [
    "CATALOGUE",
    "Process",
    "Selection",
    "Slice",
    "get_process",
    "load_process_file",
    "process_names",
]
