"""Capture what C/C++ code writes to file descriptor 1 (FastJet's banner, Pythia's warnings).

Python's ``sys.stdout`` redirection does not see output of compiled libraries;
:func:`captured_stdout` redirects the file descriptor itself around a block.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator

__all__ = ["captured_stdout"]


@contextlib.contextmanager
def captured_stdout() -> Iterator[list[str]]:
    """Capture what C/C++ code writes to file descriptor 1 (yielded list gets the text)."""
    out: list[str] = []
    sys.stdout.flush()
    saved = os.dup(1)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 1)
        try:
            yield out
        finally:
            with contextlib.suppress(Exception):
                import ctypes

                ctypes.CDLL(None).fflush(None)
            os.dup2(saved, 1)
            os.close(saved)
            tmp.seek(0)
            out.append(tmp.read().decode(errors="replace"))
