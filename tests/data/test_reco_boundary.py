"""``data`` and ``reco`` never import upwards: the LHCO reader shares reconstruction with the
generator through ``sciood.reco``, not by reaching into ``sciood.generate``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import sciood

SRC = Path(sciood.__file__).parent
#: What ``sciood.reco`` may import from sciood (everything else is above it).
RECO_MAY_IMPORT = {"reco", "errors", "io", "distributed", "safe_yaml"}


def _sciood_imports(path: Path) -> list[tuple[int, str]]:
    """Every ``sciood.*`` module a file imports, at any depth (functions, try, if)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out += [(node.lineno, n) for n in names if n == "sciood" or n.startswith("sciood.")]
    return out


def _files(package: str) -> list[Path]:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, package
    return files


@pytest.mark.parametrize("path", _files("data"), ids=lambda p: str(p.relative_to(SRC)))
def test_data_never_imports_generate(path: Path) -> None:
    bad = [(line, m) for line, m in _sciood_imports(path) if m.startswith("sciood.generate")]
    assert not bad, f"{path}: imports {bad} (use sciood.reco)"


@pytest.mark.parametrize("path", _files("reco"), ids=lambda p: str(p.relative_to(SRC)))
def test_reco_imports_only_the_layers_below(path: Path) -> None:
    bad = [(line, m) for line, m in _sciood_imports(path)
           if m == "sciood" or m.split(".")[1] not in RECO_MAY_IMPORT]
    assert not bad, f"{path}: imports {bad}"


def test_the_checker_sees_lazy_imports(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("def f():\n    from sciood.generate.jets import FEATURES\n")
    assert _sciood_imports(f) == [(2, "sciood.generate.jets")]
