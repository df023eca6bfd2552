"""Named evaluation metrics: the registry behind the columns of a :class:`ResultTable`.

A :class:`MetricSpec` names a batched curve metric of :mod:`sciood.metrics.bootstrap`
(``auc``, ``average_precision``, ``max_sic``, ``rejection_at``, ``efficiency_at``,
``fpr_at_tpr``) or a selection metric (``max_sic_honest``) with its arguments.  The registry
holds the defaults (``auc``, ``aupr``, ``max_sic`` = honest max SIC, ``max_sic_naive``,
``fpr@tpr=0.95``) and the working-point metrics, named ``rejection@eff_s=0.5`` (= R50) and
``eff_s@eps_b=0.001``; :func:`working_point_metrics` registers new working points on demand.

>>> get_metric("rejection@eff_s=0.5").kwargs
{'eff_s': 0.5}
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sciood.errors import ConfigError, UnknownNameError
from sciood.metrics.bootstrap import CURVE_METRICS
from sciood.metrics.curve import DEFAULT_MIN_BACKGROUND
from sciood.metrics.honest import HONEST_METHOD

__all__ = [
    "DEFAULT_METRICS",
    "DEFAULT_WORKING_POINTS",
    "METRICS",
    "SELECTION_METRICS",
    "MetricSpec",
    "available_metrics",
    "get_metric",
    "register_metric",
    "working_point_metrics",
]

#: Default working points: background rejection 1/ε_B at these signal efficiencies ε_S, and
#: signal efficiency ε_S at these background efficiencies ε_B.
DEFAULT_WORKING_POINTS: dict[str, tuple[float, ...]] = {
    "eff_s": (0.2, 0.3, 0.5),
    "eps_b": (1e-2, 1e-3, 1e-4, 1e-5),
}


@dataclass(frozen=True)
class MetricSpec:
    """A named metric: which batched curve metric to run, with which arguments.

    Attributes
    ----------
    name : str
        Registry name, used as the column name.
    curve_metric : str
        Key of :data:`sciood.metrics.bootstrap.CURVE_METRICS`.
    kwargs : dict
        Keyword arguments of the curve metric (e.g. ``{"eff_s": 0.5}``).
    description : str
        One line for docs and tables.
    """

    name: str
    curve_metric: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""


METRICS: dict[str, MetricSpec] = {}

#: Metrics that re-choose a working point in every replica (not a function of one curve);
#: :func:`evaluate` runs them outside the shared-replica bootstrap.
SELECTION_METRICS: tuple[str, ...] = ("max_sic_honest",)


def register_metric(
    name: str, curve_metric: str, description: str = "", **kwargs: Any
) -> MetricSpec:
    """Add (or replace) a named metric in the registry.

    Parameters
    ----------
    name : str
        Column name, e.g. ``"rejection@eff_s=0.4"``.
    curve_metric : str
        One of :data:`~sciood.metrics.bootstrap.CURVE_METRICS` (``auc``, ``average_precision``,
        ``max_sic``, ``rejection_at``, ``efficiency_at``, ``fpr_at_tpr``) or of
        :data:`SELECTION_METRICS` (``max_sic_honest``).
    description : str
    **kwargs
        Arguments of the curve metric.

    Raises
    ------
    UnknownNameError
        If ``curve_metric`` is unknown.
    """
    if curve_metric not in CURVE_METRICS and curve_metric not in SELECTION_METRICS:
        raise UnknownNameError("curve metric", curve_metric,
                               [*CURVE_METRICS, *SELECTION_METRICS])
    spec = MetricSpec(name, curve_metric, dict(kwargs), description)
    METRICS[name] = spec
    return spec


def _rej_name(x: float) -> str:
    return f"rejection@eff_s={x:g}"


def _eff_name(x: float) -> str:
    return f"eff_s@eps_b={x:g}"


register_metric("auc", "auc", "area under the weighted ROC (signal vs background efficiency)")
register_metric("aupr", "average_precision", "average precision (area under precision-recall)")
register_metric(
    "max_sic", "max_sic_honest",
    "max ε_S/√ε_B with ≥ 50 effective background events passing; honest: " + HONEST_METHOD,
    min_background=DEFAULT_MIN_BACKGROUND,
)
register_metric(
    "max_sic_naive", "max_sic",
    "in-sample max ε_S/√ε_B (≥ 50 effective background events): biased high, its percentile "
    "interval undercovers; kept for comparison",
    min_background=DEFAULT_MIN_BACKGROUND,
)
register_metric("fpr@tpr=0.95", "fpr_at_tpr", "background efficiency at 95 % signal efficiency",
                tpr=0.95)
for _x in DEFAULT_WORKING_POINTS["eff_s"]:
    register_metric(_rej_name(_x), "rejection_at", f"1/ε_B at ε_S = {_x:g}", eff_s=_x)
for _x in DEFAULT_WORKING_POINTS["eps_b"]:
    register_metric(_eff_name(_x), "efficiency_at", f"ε_S at ε_B = {_x:g}", eps_b=_x)

#: Metrics computed by :func:`evaluate` by default (plus the working-point metrics).
DEFAULT_METRICS: tuple[str, ...] = ("auc", "aupr", "max_sic", "fpr@tpr=0.95")


def available_metrics() -> list[str]:
    """Sorted names of the registered metrics."""
    return sorted(METRICS)


def get_metric(name: str) -> MetricSpec:
    """Look a metric up by name.

    Raises
    ------
    UnknownNameError
        Listing the valid names.
    """
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownNameError("metric", name, list(METRICS)) from None


def working_point_metrics(working_points: Mapping[str, Iterable[float]]) -> list[MetricSpec]:
    """Metric specs for working points ``{"eff_s": [...], "eps_b": [...]}`` (registered).

    Raises
    ------
    ConfigError
        On an unknown key or a value outside (0, 1).
    """
    out = []
    for key, values in working_points.items():
        if key not in ("eff_s", "eps_b"):
            raise ConfigError(
                f"working_points keys must be 'eff_s' (rejection at signal efficiency) or "
                f"'eps_b' (signal efficiency at background efficiency), got {key!r}"
            )
        for v in values:
            x = float(v)
            if not 0.0 < x < 1.0:
                raise ConfigError(f"working point {key}={v} must be in (0, 1)")
            if key == "eff_s":
                name = _rej_name(x)
                out.append(METRICS.get(name) or register_metric(
                    name, "rejection_at", f"1/ε_B at ε_S = {x:g}", eff_s=x))
            else:
                name = _eff_name(x)
                out.append(METRICS.get(name) or register_metric(
                    name, "efficiency_at", f"ε_S at ε_B = {x:g}", eps_b=x))
    return out
