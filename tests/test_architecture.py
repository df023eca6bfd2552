"""The import graph of ``sciood``: no cycle, and no module importing from a layer above it.

The graph is read from the source (``ast``), so it sees every import — at module level, inside
functions (lazy imports) and under ``if TYPE_CHECKING:`` — whether or not a test exercises it.
``from pkg import name`` is an edge to the sub-module ``pkg.name`` when that is a module, else to
``pkg`` itself.  The layers mirror the data flow (docs/architecture.md): a package may import
from its own package and from packages of a strictly lower layer, never sideways or up.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import sciood

SRC = Path(sciood.__file__).parent
TOP = "sciood"

#: Layer of every top-level unit of ``sciood`` (a sub-package or a module); bottom = 0.
LAYERS: dict[str, int] = {
    "errors": 0, "_compat": 0, "_version": 0, "_repr": 0,
    "io": 1, "safe_yaml": 1,
    "distributed": 2,
    "reco": 3,
    "data": 4,
    "generate": 5, "represent": 5, "domains": 5,
    "metrics": 6,
    "plot": 7,
    "detectors": 8, "stats": 8,
    "evaluate": 9, "scoring": 9,
    "config": 10,
    "report": 11,
    "pipeline": 12,
    "cli": 13,
}
#: The package's own ``__init__`` is the facade: it may import anything (lazily or not).
FACADE = TOP


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    base = SRC.parent / rel
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` blocks."""
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            out.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return out


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(imported module, only under TYPE_CHECKING)`` for every sciood import in ``path``."""
    module = _module_name(path)
    tree = ast.parse(path.read_text(), filename=str(path))
    typing_only = _type_checking_nodes(tree)
    found: list[tuple[str, bool]] = []
    for node in ast.walk(tree):
        tc = id(node) in typing_only
        if isinstance(node, ast.Import):
            found += [(a.name, tc) for a in node.names if a.name.split(".")[0] == TOP]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts if path.name == "__init__.py" else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if base.split(".")[0] != TOP:
                continue
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.append((sub if _is_module(sub) else base, tc))
    return found


def _graph() -> dict[str, list[tuple[str, bool]]]:
    return {_module_name(p): _imports(p) for p in sorted(SRC.rglob("*.py"))}


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else FACADE


def test_every_unit_has_a_layer() -> None:
    units = {_unit(m) for m in _graph()} - {FACADE}
    assert units <= set(LAYERS), f"give these a layer in LAYERS: {sorted(units - set(LAYERS))}"


def test_no_import_points_up_or_sideways() -> None:
    bad = []
    for module, imports in _graph().items():
        a = _unit(module)
        if a == FACADE:
            continue
        for target, tc in imports:
            b = _unit(target)
            if b == a:
                continue
            if b == FACADE or LAYERS.get(b, -1) >= LAYERS.get(a, -1):
                bad.append(f"{module} -> {target}" + (" (TYPE_CHECKING)" if tc else ""))
    assert not bad, "imports against the layer order:\n" + "\n".join(sorted(set(bad)))


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, ())))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on.discard(w)
                        comp.append(w)
                        if w == node:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
    return out


def test_no_import_cycle_between_modules() -> None:
    """Runtime imports (lazy ones included) form a DAG; the facade ``sciood`` is left out."""
    edges: dict[str, set[str]] = defaultdict(set)
    for module, imports in _graph().items():
        edges[module]
        for target, tc in imports:
            if not tc and target != TOP and module != TOP and target != module:
                edges[module].add(target)
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_checker_sees_a_cycle_and_an_upward_import() -> None:
    """The checks above can fail: a made-up graph with both defects is caught."""
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert LAYERS["data"] < LAYERS["generate"] < LAYERS["detectors"] < LAYERS["pipeline"]


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: _module_name(p))
def test_modules_are_small_or_say_why(path: Path) -> None:
    """No module over ~500 lines unless its docstring says why it must be one piece."""
    n = len(path.read_text().splitlines())
    if n <= 520:
        return
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    assert "one piece" in doc, (f"{_module_name(path)} has {n} lines: split it, or say in its "
                                "docstring why it must be one piece")


def test_the_architecture_page_names_every_unit() -> None:
    """docs/architecture.md stays true: every unit of LAYERS is in its layer table."""
    page = (SRC.parents[1] / "docs" / "architecture.md").read_text()
    table = page.split("## The layers", 1)[1].split("\n## ", 1)[0]
    for unit, layer in LAYERS.items():
        row = next((r for r in table.splitlines() if f"`{unit}`" in r), None)
        assert row is not None, f"docs/architecture.md: no layer row names `{unit}`"
        assert row.startswith(f"| {layer} |"), f"`{unit}` is in layer {layer}: {row}"
