"""Hostile-input suite: every case states its category and its expected outcome.

Each test (or parametrised case) carries ``@pytest.mark.hostile(category, outcome)`` with

* ``category`` — one of :data:`CATEGORIES`;
* ``outcome`` — ``"error"`` (a :class:`sciood.errors.SciOODError` subclass whose message names
  the problem and the fix) or ``"correct"`` (the input is legal and the result is checked
  against a reference).

``pytest tests/hostile`` ends with a tally per category and outcome (``tests/hostile/tally.py``
prints the same table without running anything).
"""

from __future__ import annotations

from collections import Counter

import pytest

CATEGORIES = (
    "metrics",
    "detector-inputs",
    "detector-params",
    "configs",
    "process-files",
    "stores",
    "model-files",
    "killed",
    "disk",
    "cluster",
    "numerics",
)
OUTCOMES = ("error", "correct")

_TALLY: Counter[tuple[str, str]] = Counter()


def hostile_case(item: pytest.Item) -> tuple[str, str] | None:
    """``(category, outcome)`` of a collected item, or ``None`` if it carries no mark."""
    mark = item.get_closest_marker("hostile")
    if mark is None:
        return None
    category, outcome = mark.args
    if category not in CATEGORIES or outcome not in OUTCOMES:
        raise pytest.UsageError(
            f"{item.nodeid}: hostile({category!r}, {outcome!r}) — category must be one of "
            f"{CATEGORIES}, outcome one of {OUTCOMES}"
        )
    return category, outcome


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    _TALLY.clear()
    for item in items:
        case = hostile_case(item)
        if case is not None:
            _TALLY[case] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TALLY:
        return
    tr = terminalreporter
    tr.section("hostile inputs and faults")
    for category in CATEGORIES:
        err, ok = _TALLY[(category, "error")], _TALLY[(category, "correct")]
        if err or ok:
            tr.write_line(f"{category:16s} clear error {err:4d}   correct behaviour {ok:4d}")
    total_err = sum(v for (_, o), v in _TALLY.items() if o == "error")
    total_ok = sum(v for (_, o), v in _TALLY.items() if o == "correct")
    tr.write_line(f"{'total':16s} clear error {total_err:4d}   correct behaviour {total_ok:4d}"
                  f"   ({total_err + total_ok} cases)")
