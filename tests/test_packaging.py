"""Packaging as a newcomer finds it: metadata that matches the code, a wheel that carries
what the commands need (the demo config, the licence), package-data globs that match files."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import sciood
from sciood.config import load_config

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _floor(spec: str) -> tuple[int, ...]:
    assert spec.startswith(">="), spec
    return tuple(int(p) for p in spec[2:].split("."))


def _tomllib_importers() -> list[str]:
    """Files importing ``tomllib`` (in the standard library from Python 3.11 on)."""
    hits = []
    for path in (ROOT / "src" / "sciood").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if "tomllib" in names:
                hits.append(str(path.relative_to(ROOT)))
    return hits


def test_requires_python_admits_only_interpreters_that_have_the_imported_stdlib() -> None:
    floor = _floor(PYPROJECT["project"]["requires-python"])
    if _tomllib_importers():
        assert floor >= (3, 11), "tomllib is imported: requires-python must be >= 3.11"
    assert sys.version_info[:2] >= floor[:2]


def test_licence_metadata_is_buildable_and_the_file_exists() -> None:
    project = PYPROJECT["project"]
    assert isinstance(project["license"], str)  # an SPDX expression (PEP 639) ...
    requires = PYPROJECT["build-system"]["requires"]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    assert _floor(setuptools.removeprefix("setuptools")) >= (77,)  # ... needs setuptools >= 77
    for name in project["license-files"]:
        assert (ROOT / name).is_file(), name
    assert "BSD 3-Clause" in (ROOT / "LICENSE").read_text()


def test_every_package_data_glob_matches_a_file() -> None:
    for package, globs in PYPROJECT["tool"]["setuptools"]["package-data"].items():
        base = ROOT / "src" / package
        for pattern in globs:
            assert list(base.glob(pattern)), f"package-data {package}:{pattern} matches nothing"


def test_the_demo_config_is_shipped_and_found_outside_a_checkout(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    from sciood.cli import _demo_config

    monkeypatch.chdir(tmp_path)  # not a git checkout, no examples/ here
    path = _demo_config()
    assert path.is_file() and path.parent.parent == Path(sciood.__file__).parent
    assert path.read_bytes() == (ROOT / "examples" / "demo.yaml").read_bytes()
    assert load_config(path).name == "demo"


def test_the_wheel_carries_the_demo_config_the_licence_and_the_type_marker(
        tmp_path: Path) -> None:
    # build from a copy of the sources, so no build/ directory is left in the checkout
    src = tmp_path / "src-copy"
    shutil.copytree(ROOT / "src", src / "src",
                    ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp_path), str(src)],
        capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("sciood-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sciood/examples/demo.yaml" in names
    assert {"sciood/cli/__init__.py", "sciood/cli/__main__.py"} <= set(names)  # `sciood`
    assert "sciood/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names[-8:]
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "sciood = sciood.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "Requires-Python: >=3.11" in text and "License-Expression: BSD-3-Clause" in text
