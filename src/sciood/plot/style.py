"""The house style of every sciood figure: mplhep ``ROOT`` style, colours, figure factory.

Figures are built on the object-oriented API (``matplotlib.figure.Figure``, Agg canvas), never
through ``pyplot``, so no global figure state leaks between calls or threads.

>>> from sciood.plot.style import hep_style, new_figure   # doctest: +SKIP
>>> with hep_style():                                      # doctest: +SKIP
...     fig, axes = new_figure()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sciood.errors import MissingDependencyError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["COLORS", "EXPERIMENT", "color", "experiment_label", "hep_style", "new_figure",
           "require_matplotlib"]

#: Colour cycle (colour-blind safe, Petroff 2021 10-colour set) shared by every figure.
COLORS = ("#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6", "#a96b59", "#e76300",
          "#b9ac70", "#717581", "#92dadd")

#: The bold word of the experiment-style label above each physics figure.
EXPERIMENT = "sciood"


def require_matplotlib() -> Any:
    """Import matplotlib (Agg backend) and mplhep; return the ``mplhep`` module.

    Raises
    ------
    MissingDependencyError
        If either is missing, naming ``pip install 'sciood[report]'``.
    """
    try:
        import matplotlib
        import mplhep
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "plotting needs matplotlib and mplhep: pip install 'sciood[report]'"
        ) from exc
    matplotlib.use("Agg", force=False)
    return mplhep


@contextmanager
def hep_style() -> Iterator[None]:
    """Apply the mplhep ``ROOT`` style (smaller fonts, report-sized figures) in a block."""
    import matplotlib as mpl
    from cycler import cycler

    hep = require_matplotlib()
    style = dict(hep.style.ROOT)
    # per-glyph fallback to DejaVu Sans (ships with matplotlib) for √, ε, χ² missing in TeX Gyre
    style["font.sans-serif"] = [*style.get("font.sans-serif", []), "DejaVu Sans"]
    style.update({"font.size": 13, "axes.labelsize": 13, "legend.fontsize": 10,
                  "xtick.labelsize": 11, "ytick.labelsize": 11, "figure.dpi": 100,
                  "savefig.dpi": 100, "axes.titlesize": 13, "legend.frameon": False,
                  "axes.prop_cycle": cycler(color=list(COLORS))})
    with mpl.rc_context(style):
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (7.0, 5.0),
               **kw: Any) -> tuple[Figure, Any]:
    """A constrained-layout ``Figure`` and its ``(nrows, ncols)`` array of axes (never squeezed)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def color(i: int) -> str:
    """The ``i``-th colour of :data:`COLORS` (cycling)."""
    return COLORS[i % len(COLORS)]


def experiment_label(ax: Axes, llabel: str = "Simulation", *, rlabel: str | None = None,
                     lumi: float | None = None, com: float | None = 13.0) -> Any:
    """Experiment-style label above ``ax`` (mplhep ``exp_label``): **sciood** *Simulation*.

    Parameters
    ----------
    ax : Axes
    llabel : str, default "Simulation"
        The italic text after the bold :data:`EXPERIMENT` name, on the left.
    rlabel : str, optional
        Right-hand text; default: ``"<lumi> fb⁻¹ (<com> TeV)"`` from ``lumi`` and ``com``.
    lumi : float, optional
        Integrated luminosity [fb⁻¹] shown on the right.
    com : float, optional, default 13
        Centre-of-mass energy [TeV] shown on the right; ``None`` omits it.

    Returns
    -------
    The mplhep text artists.
    """
    hep = require_matplotlib()
    if rlabel is None:
        parts = []
        if lumi is not None:
            parts.append(f"{lumi:.3g} fb$^{{-1}}$")
        if com is not None:
            parts.append(f"({com:g} TeV)")
        rlabel = " ".join(parts)
    return hep.label.exp_label(exp=EXPERIMENT, llabel=llabel, rlabel=rlabel, loc=0, ax=ax)
