"""Leave one class out: does an unsupervised detector flag a *known* background it never saw?

Within-benchmark evaluation of the false-discovery risk of an unmodelled background: for
each background class ``c`` the detector is cloned and fitted on the background events of the
**other** classes only, then every event is scored and two kinds of row are reported against
the remaining background (the training classes, cross-section weighted):

* ``c`` as "signal" — its AUROC against the training background and the fraction of ``c``
  passing the cuts that keep ε_B = 1e-2, 1e-3 of the training background (the false-alarm
  rate on an unmodelled class);
* each signal class, scored by the same fold — how an unmodelled background compares with a
  real signal.

Every number comes from :func:`sciood.metrics.bootstrap.bootstrap_many` (the batched metrics
behind :func:`~sciood.evaluate.evaluate`) with its Poisson-bootstrap percentile interval.  By
default the events of the training classes are split in half, per class: the detector is
fitted on one half and the cuts are set on the other (the held-out class and the signals are
never trained on), so the ε_B working points are not in-sample; ``test_size=None`` fits and
cuts on the same events.

Rows are :class:`~sciood.evaluate.table.Cell` objects of a :class:`LOCOTable` (a
:class:`~sciood.evaluate.table.ResultTable`, so JSON / pandas / Markdown work as usual): the
row's ``signal`` is the tested class and its ``background`` is ``all_but_<c>``.

Example
-------
>>> import numpy as np, pyarrow as pa
>>> from sciood.data.eventset import EventSet
>>> from sciood.detectors import make
>>> rng = np.random.default_rng(0)
>>> lab = np.array(["a"] * 400 + ["b"] * 400 + ["sig"] * 100)
>>> x = rng.normal(size=(lab.size, 2)) + 4.0 * (lab == "b")[:, None]
>>> es = EventSet(pa.table({"label": lab, "is_signal": lab == "sig",
...                         "weight": np.ones(lab.size), "f0": x[:, 0], "f1": x[:, 1]}))
>>> t = leave_one_class_out(es, make("mahalanobis", features=["f0", "f1"]), n_bootstrap=20)
>>> t.held_out_classes
['a', 'b']
>>> t.get("b", "all_but_b", "auc")[0] > 0.95  # b sits far from a: flagged when unmodelled
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sciood import _repr
from sciood.data.eventset import EventSet
from sciood.errors import ConfigError, DataError, UnknownNameError
from sciood.evaluate.classwise import _kish, _notes
from sciood.evaluate.registry import get_metric, working_point_metrics
from sciood.evaluate.table import Cell, ResultTable
from sciood.metrics.bootstrap import bootstrap_many
from sciood.metrics.inputs import as_weights, normalise_weights

__all__ = ["LOCO_WORKING_POINTS", "LOCOTable", "leave_one_class_out", "rest_name"]

#: Default working points: ε_S (here: the fraction of the tested class passing) at these
#: background efficiencies ε_B of the training background.
LOCO_WORKING_POINTS: dict[str, tuple[float, ...]] = {"eps_b": (1e-2, 1e-3)}


def rest_name(held_out: str) -> str:
    """Background name of the rows of the fold that leaves ``held_out`` out: ``all_but_<c>``."""
    return f"all_but_{held_out}"


class LOCOTable(ResultTable):
    """Leave-one-class-out results: a :class:`ResultTable` with one fold per held-out class.

    Rows, fold by fold: the held-out class ``c`` against ``all_but_<c>`` (the training
    background of that fold), then every signal class against the same background.
    ``meta["held_out"]`` lists the folds, ``meta["signals"]`` the signal classes.
    """

    @property
    def held_out_classes(self) -> list[str]:
        """The held-out background classes, one fold each."""
        return list(self.meta.get("held_out", []))

    def held_out(self, cls: str) -> Cell:
        """The row of the held-out class ``cls`` against the background it was not part of.

        Raises
        ------
        UnknownNameError
            If ``cls`` was not held out (the message lists the folds).
        """
        if cls not in self.held_out_classes:
            raise UnknownNameError("held-out class", cls, self.held_out_classes)
        return self.cell(cls, rest_name(cls))

    def signal_in_fold(self, signal: str, held_out: str) -> Cell:
        """The row of ``signal`` scored by the fold that left ``held_out`` out."""
        if held_out not in self.held_out_classes:
            raise UnknownNameError("held-out class", held_out, self.held_out_classes)
        return self.cell(signal, rest_name(held_out))

    def summary(self, metric: str) -> Any:
        """Fold × tested-class matrix of one metric (pandas; rows: held-out class)."""
        if metric not in self.metrics:
            raise UnknownNameError("metric", metric, self.metrics)
        import pandas as pd

        data = {
            c: {("held-out class" if cell.signal == c else cell.signal): cell.values[metric][0]
                for cell in self.cells if cell.background == rest_name(c)}
            for c in self.held_out_classes
        }
        return pd.DataFrame.from_dict(data, orient="index")

    def _shape(self) -> str:
        sig = list(self.meta.get("signals", []))
        return (f"{_repr.plural(len(self.held_out_classes), 'fold')} "
                f"(held out: {_repr.short_list(self.held_out_classes)}), "
                f"{_repr.plural(len(sig), 'signal')}")

    def __repr__(self) -> str:
        return (f"LOCOTable({self._shape()}, {_repr.plural(len(self.cells), 'row')}, "
                f"metrics={_repr.short_list(self.metrics)})")

    def _repr_html_(self, max_rows: int = 30, max_metrics: int = 10) -> str:
        html = super()._repr_html_(max_rows=max_rows, max_metrics=max_metrics)
        return html.replace("ResultTable: ", "LOCOTable: ", 1)


def _split(
    labels: NDArray[Any], bkg: NDArray[np.bool_], test_size: float | None, seed: int
) -> NDArray[np.bool_]:
    """Per-event flag "used for fitting" (background only), stratified per class."""
    fit = bkg.copy()
    if test_size is None:
        return fit
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 2]))
    for lab in sorted(set(labels[bkg].tolist())):
        idx = np.flatnonzero(bkg & (labels == lab))
        n_test = round(test_size * idx.size)
        fit[rng.permutation(idx)[:n_test]] = False
    return fit


def leave_one_class_out(
    events: EventSet,
    detector: Any,
    *,
    classes: Sequence[str] | None = None,
    working_points: Mapping[str, Iterable[float]] | None = None,
    sample_weight: ArrayLike | None = None,
    test_size: float | None = 0.5,
    n_bootstrap: int = 200,
    level: float = 0.68,
    seed: int = 0,
) -> LOCOTable:
    """Fit the detector without one background class at a time and test that class.

    Parameters
    ----------
    events : EventSet
        Background and signal events (``label``, ``is_signal``, ``weight``) with the inputs the
        detector reads; at least two background classes.
    detector : Detector
        An unfitted (or fitted: it is cloned, never changed) detector; each fold fits
        ``sklearn.base.clone(detector)`` on the training background.
    classes : sequence of str, optional
        Background classes to hold out (default: every background class).
    working_points : mapping, optional
        As for :func:`~sciood.evaluate.evaluate`: ``{"eps_b": [...], "eff_s": [...]}``;
        default :data:`LOCO_WORKING_POINTS` (the fraction of the tested class passing the cut
        at ε_B = 1e-2 and 1e-3 of the training background).  ``auc`` is always reported.
    sample_weight : array_like, shape (n_events,), optional
        Per-event weights for fitting and for the metrics (default: the events'
        cross-section weights).
    test_size : float in (0, 1) or None, default 0.5
        Fraction of each training class's events kept out of the fit and used to set the
        ε_B cuts (and as the background of the AUROC).  ``None``: fit and cut on the same
        events (in-sample working points, optimistic for a detector that overfits).
    n_bootstrap : int, default 200
        Poisson-bootstrap replicas per row.
    level : float, default 0.68
        Coverage of the percentile intervals.
    seed : int, default 0
        Seeds the train / test split and the replica streams (row ``k`` uses
        ``SeedSequence(seed, spawn_key=(k,))``, as in :func:`~sciood.evaluate.evaluate`).

    Returns
    -------
    LOCOTable

    Raises
    ------
    ConfigError
        With fewer than two background classes, or a bad ``test_size``.
    UnknownNameError
        If ``classes`` names a class that is not a background class of ``events``.
    DataError
        If ``sample_weight`` does not match the events, a fold has no events to fit on or
        to set the cuts on, or the detector does not return one finite score per event.
    """
    from sklearn.base import clone

    if not isinstance(events, EventSet):
        raise DataError(f"events must be an EventSet, got {type(events).__name__}")
    if test_size is not None and not 0.0 < float(test_size) < 1.0:
        raise ConfigError(f"test_size must be in (0, 1) or None, got {test_size}")
    labels = events.labels
    is_sig = events.is_signal.astype(bool)
    bkg_classes = sorted(set(labels[~is_sig].tolist()))
    sig_classes = sorted(set(labels[is_sig].tolist()))
    if len(bkg_classes) < 2:
        raise ConfigError(
            f"leave-one-class-out needs at least two background classes, got {bkg_classes}; "
            "add another background process to the events (e.g. EventSet.concat with a "
            "ttbar sample), or use sciood.evaluate.evaluate for a single background"
        )
    held = bkg_classes if classes is None else list(classes)
    for c in held:
        if c not in bkg_classes:
            raise UnknownNameError("background class", c, bkg_classes)
    raw_w = as_weights(events.weights if sample_weight is None else sample_weight,
                       len(events))
    w_all = normalise_weights(raw_w)  # exact power-of-two rescaling; metrics are invariant
    wp = LOCO_WORKING_POINTS if working_points is None else working_points
    specs = [get_metric("auc")] + [sp for sp in working_point_metrics(wp) if sp.name != "auc"]
    request = {sp.name: (sp.curve_metric, dict(sp.kwargs)) for sp in specs}
    fit_flag = _split(labels, ~is_sig, test_size, seed)
    eval_bkg = ~is_sig & ~fit_flag if test_size is not None else ~is_sig

    cells: list[Cell] = []
    n_fit: dict[str, int] = {}
    row = 0
    for c in held:
        others = ~is_sig & (labels != c)
        train = others & fit_flag
        rest = others & eval_bkg
        if not train.any() or not rest.any():
            raise DataError(
                f"fold without {c}: events to fit on: {int(train.sum())}, to set the cuts "
                f"on: {int(rest.sum())}; every other background class needs "
                "at least two events (or pass test_size=None to fit and cut on the same events)"
            )
        det = clone(detector)
        det.fit(events.select(np.flatnonzero(train)), sample_weight=raw_w[train])
        n_fit[c] = int(train.sum())
        s = np.asarray(det.score(events), dtype=np.float64)
        if s.shape != (len(events),) or not np.all(np.isfinite(s)):
            raise DataError(f"fold without {c}: the detector returned scores of shape "
                            f"{s.shape} (finite: {bool(np.all(np.isfinite(s)))}); it must "
                            "return one finite score per event")
        for tested in [c, *sig_classes]:
            mask = rest | (labels == tested)
            y = labels[mask] == tested
            w = w_all[mask]
            res = bootstrap_many(
                request, y, s[mask], sample_weight=w, n=n_bootstrap,
                seed=np.random.SeedSequence(seed, spawn_key=(row,)), level=level,
                undefined="nan",
            )
            values = {sp.name: (float(res[sp.name].value), float(res[sp.name].lo),
                                float(res[sp.name].hi)) for sp in specs}
            n_eff = _kish(w[~y])
            notes = _notes(specs, values, n_eff)
            cells.append(Cell(tested, rest_name(c), int(y.sum()), int((~y).sum()), n_eff,
                              values, notes))
            row += 1
    meta = {
        "protocol": "leave one class out",
        "held_out": held, "signals": sig_classes, "background_classes": bkg_classes,
        "n_fit": n_fit, "test_size": test_size, "n_bootstrap": int(n_bootstrap),
        "seed": int(seed), "level": float(level), "interval": "Poisson bootstrap, percentile",
        "detector": repr(detector),
        "metric_descriptions": {sp.name: sp.description for sp in specs},
    }
    return LOCOTable(cells=cells, metrics=[sp.name for sp in specs], meta=meta)
