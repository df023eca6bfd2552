"""Lazy imports of the GW physics libraries (pycbc, lalsuite): the ``gw`` extra."""

from __future__ import annotations

from typing import Any

from sciood.errors import require

__all__ = ["lal", "lalsimulation", "pycbc_detector", "pycbc_psd", "pycbc_waveform"]


def lal() -> Any:
    """The ``lal`` module (lalsuite)."""
    return require("lal", "gw")


def lalsimulation() -> Any:
    """The ``lalsimulation`` module (lalsuite)."""
    return require("lalsimulation", "gw")


def pycbc_psd() -> Any:
    """The ``pycbc.psd`` module."""
    return require("pycbc.psd", "gw")


def pycbc_waveform() -> Any:
    """The ``pycbc.waveform`` module."""
    return require("pycbc.waveform", "gw")


def pycbc_detector() -> Any:
    """The ``pycbc.detector`` module."""
    return require("pycbc.detector", "gw")
