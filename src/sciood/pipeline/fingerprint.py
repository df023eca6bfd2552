"""Code fingerprints: a stage's cache key changes when the code that computes the stage changes.

The fingerprint of a stage is the SHA-256 over the *code* of every sciood module the stage can
run: the modules of the packages it names (all of them: a detector family is imported lazily by
name, so static imports alone would miss it) and, transitively, every ``sciood`` module those
import — at module level or inside a function.  Code means the parsed syntax tree without
docstrings (``ast.dump``), so editing a comment or a docstring keeps every cached stage, while
any change to what runs — in the stage's own package or in a helper three imports down —
recomputes it; so does a change to package data that shapes the output (the report's CSS).
No hand-bumped version string is involved.  Two things are left out on purpose:
the top-level ``sciood/__init__.py`` (it only re-exports, and every module imports through it)
and a package's ``__init__`` unless it is imported by name (``from sciood.data import X`` counts,
``import sciood.data.store`` counts only the module).  Code outside sciood (numpy, Pythia, …)
enters the key through the run's recorded library versions, not here.

>>> from sciood.pipeline.fingerprint import code_fingerprint
>>> len(code_fingerprint(("sciood.stats",)))
64
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

__all__ = ["NOT_STAGE_CODE", "STAGE_CODE", "code_fingerprint", "imported_modules",
           "stage_fingerprint"]

#: The packages (or modules) whose code computes each pipeline stage.
STAGE_CODE: dict[str, tuple[str, ...]] = {
    "dataset": ("sciood.generate", "sciood.pipeline.data"),
    "split": ("sciood.data", "sciood.pipeline.data"),
    "train": ("sciood.detectors", "sciood.represent", "sciood.pipeline.models"),
    "score": ("sciood.detectors", "sciood.represent", "sciood.scoring", "sciood.pipeline.models"),
    "evaluate": ("sciood.evaluate", "sciood.metrics", "sciood.pipeline.evaluation"),
    "hunt": ("sciood.stats", "sciood.pipeline.hunt"),
    "report": ("sciood.report", "sciood.plot", "sciood.pipeline.results"),
}

#: Modules whose code is not part of any stage's result, so never walked into: the config models
#: (their effect — defaults included — enters every key as the dumped config section) and the
#: pipeline's plumbing (cache markers, run directory, progress, scheduling: results do not
#: depend on how or where they were computed).
NOT_STAGE_CODE = frozenset({
    "sciood.config", "sciood.pipeline.cache", "sciood.pipeline.compute",
    "sciood.pipeline.progress", "sciood.pipeline.rundir",
})


def _module_file(name: str, root: Path) -> Path | None:
    """The file that importing module ``name`` runs (a package's ``__init__.py``), if any."""
    rel = Path(*name.split("."))
    for file in (root / rel / "__init__.py", root / rel.with_suffix(".py")):
        if file.is_file():
            return file
    return None


def _package_modules(name: str, root: Path) -> list[str]:
    """``name`` and, if it is a package, every module below it."""
    pkg = root / Path(*name.split("."))
    if not (pkg / "__init__.py").is_file():
        return [name]
    out = []
    for f in sorted(pkg.rglob("*.py")):
        parts = f.relative_to(root).with_suffix("").parts
        out.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return out


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return tree


def imported_modules(tree: ast.AST, module: str, *, is_package: bool, top: str) -> set[str]:
    """Every ``top.*`` module named by an import anywhere in ``tree`` (relative ones resolved)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == top)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = module.split(".")
                parts = parts if is_package else parts[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            if base.split(".")[0] == top:
                found.add(base)
                found.update(f"{base}.{a.name}" for a in node.names)
    return found


@lru_cache(maxsize=1024)
def _parsed(file: Path, module: str, top: str) -> tuple[str, frozenset[str]]:
    """``(code hash, imported top.* modules)`` of one source file (read once per process)."""
    tree = ast.parse(file.read_bytes(), filename=str(file))
    imports = imported_modules(tree, module, is_package=file.name == "__init__.py", top=top)
    code = ast.dump(_strip_docstrings(tree)).encode()
    return hashlib.sha256(code).hexdigest(), frozenset(imports)


def _closure(names: Iterable[str], root: Path, top: str,
             exclude: frozenset[str] = frozenset()) -> dict[str, str]:
    """Code hash of every module reachable from ``names`` (packages expanded), by module."""
    seen: dict[str, str] = {}
    todo = [m for n in names for m in _package_modules(n, root)]
    while todo:
        mod = todo.pop()
        if mod in seen or mod == top or mod in exclude:  # the top-level __init__ re-exports
            continue
        file = _module_file(mod, root)
        if file is None:  # an imported name that is not a module (a function, a class)
            seen[mod] = ""
            continue
        seen[mod], imports = _parsed(file, mod, top)
        todo.extend(imports)
    return {m: h for m, h in seen.items() if h}


#: Package data that shapes a stage's output (the report's stylesheet): hashed byte for byte.
DATA_PATTERNS = ("*.css",)


def _data_files(names: tuple[str, ...], root: Path) -> list[Path]:
    out: set[Path] = set()
    for name in names:
        pkg = root / Path(*name.split("."))
        if pkg.is_dir():
            out.update(f for pattern in DATA_PATTERNS for f in pkg.rglob(pattern))
    return sorted(out)


def _fingerprint(names: tuple[str, ...], root: str, top: str, exclude: frozenset[str]) -> str:
    h = hashlib.sha256()
    for mod, code in sorted(_closure(names, Path(root), top, exclude).items()):
        h.update(f"{mod}\0{code}\0".encode())
    for file in _data_files(names, Path(root)):
        rel = file.relative_to(root).as_posix()
        h.update(f"{rel}\0".encode() + hashlib.sha256(file.read_bytes()).digest())
    return h.hexdigest()


def code_fingerprint(names: Iterable[str], *, root: str | Path | None = None,
                     exclude: Iterable[str] = ()) -> str:
    """SHA-256 (hex) of the code of ``names`` (modules or packages) and all they import.

    Parameters
    ----------
    names : iterable of str
        Dotted module or package names, all under one top-level package (e.g. ``sciood.stats``).
    root : path, optional
        Directory holding the top-level package; default: where ``sciood`` is imported from.
        Files are read once per process (cached): the code does not change while it runs.
    exclude : iterable of str
        Modules neither hashed nor walked into.
    """
    names = tuple(sorted(set(names)))
    if not names:
        raise ValueError("code_fingerprint needs at least one module name")
    top = names[0].split(".")[0]
    if root is None:
        spec = importlib.util.find_spec(top)
        if spec is None or spec.origin is None:
            raise ValueError(f"cannot locate the source of package {top!r}")
        root = Path(spec.origin).parent.parent
    return _fingerprint(names, str(Path(root).resolve()), top, frozenset(exclude))


def stage_fingerprint(stage: str) -> str:
    """:func:`code_fingerprint` of the code in :data:`STAGE_CODE` for ``stage``."""
    try:
        return code_fingerprint(STAGE_CODE[stage], exclude=NOT_STAGE_CODE)
    except KeyError:
        raise ValueError(f"unknown pipeline stage {stage!r}; known: {sorted(STAGE_CODE)}") from None
