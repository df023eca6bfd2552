"""Code fingerprints: cache keys follow the code that computes a stage, not a version string."""

from __future__ import annotations

from pathlib import Path

import pytest

from sciood.pipeline.cache import stage_key
from sciood.pipeline.fingerprint import STAGE_CODE, code_fingerprint, stage_fingerprint


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    _write(tmp_path, {
        "pkg/__init__.py": '"""Top."""\n',
        "pkg/stage/__init__.py": "from pkg.stage.run import go\n",
        "pkg/stage/run.py": '"""Run."""\n\ndef go():\n    from pkg.helpers import deep\n'
                            '    return deep() + 1\n',
        "pkg/helpers/__init__.py": "",
        "pkg/helpers/deep.py": '"""Deep helper."""\n\ndef deep():\n    return 41  # answer\n',
        "pkg/other.py": "X = 1\n",
    })
    return tmp_path


def _fp(root: Path, *names: str) -> str:
    from sciood.pipeline import fingerprint

    fingerprint._parsed.cache_clear()  # files change between calls in this test
    return code_fingerprint(names or ("pkg.stage",), root=root)


def test_a_change_three_imports_down_changes_the_fingerprint(tree: Path) -> None:
    before = _fp(tree)
    (tree / "pkg/helpers/deep.py").write_text('"""Deep helper."""\n\ndef deep():\n    return 42\n')
    assert _fp(tree) != before


def test_docstrings_comments_and_unrelated_modules_do_not(tree: Path) -> None:
    before = _fp(tree)
    (tree / "pkg/helpers/deep.py").write_text(
        '"""Another docstring."""\n\n# a comment\ndef deep():\n    """Doc."""\n'
        '    return 41  # still the answer\n')
    (tree / "pkg/other.py").write_text("X = 2\n")
    assert _fp(tree) == before


def test_every_module_of_a_named_package_counts(tree: Path) -> None:
    """A module nobody imports statically (a lazily registered family) is still covered."""
    _write(tree, {"pkg/stage/family.py": "Y = 1\n"})
    before = _fp(tree)
    (tree / "pkg/stage/family.py").write_text("Y = 2\n")
    assert _fp(tree) != before


def test_package_data_counts(tree: Path) -> None:
    _write(tree, {"pkg/stage/style.css": "body { color: black }\n"})
    before = _fp(tree)
    (tree / "pkg/stage/style.css").write_text("body { color: red }\n")
    assert _fp(tree) != before


def test_stage_keys_differ_by_stage_and_are_stable() -> None:
    assert len({stage_fingerprint(s) for s in ("dataset", "train", "hunt", "report")}) == 4
    assert stage_key("hunt", {"toys": 20}) == stage_key("hunt", {"toys": 20})
    assert stage_key("hunt", {"toys": 20}) != stage_key("evaluate", {"toys": 20})
    assert set(STAGE_CODE) >= {"dataset", "split", "train", "score", "evaluate", "hunt", "report"}
    with pytest.raises(ValueError, match="unknown pipeline stage"):
        stage_key("nonsense", 1)
