"""The registry: static table, lazy imports, missing extras, entry points, name clashes.

Missing dependencies are made real in a fresh interpreter (an import hook at the front of
``sys.meta_path`` makes every ``import torch`` fail exactly as if torch were not installed;
``sys.modules["torch"] = None`` would not do: SciPy probes ``sys.modules["torch"]``); entry
points are real
``*.dist-info`` directories on ``sys.path``, read by :mod:`importlib.metadata`.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sciood.detectors import Detector, available, make, register, registry
from sciood.detectors.registry import BUILTIN, detector_class
from sciood.errors import ConfigError, MissingDependencyError, UnknownNameError

from .test_contract import check_batch_invariance, check_params_follow_attributes, check_save_load

X = np.random.default_rng(0).normal(size=(500, 3))  # >= 450 rows for the batch windows


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runtime registrations and loaded entry points of one test stay in that test."""
    monkeypatch.setattr(registry, "_LOADED", dict(registry._LOADED))
    monkeypatch.setattr(registry, "_WARNED", set())


# ---------------------------------------------------------------- built-in table
def test_every_builtin_resolves_to_its_registered_class() -> None:
    for name, target in BUILTIN.items():
        cls = detector_class(name)
        assert f"{cls.__module__}:{cls.__qualname__}" == target and cls.name == name


def test_available_imports_no_detector_module_and_make_imports_one() -> None:
    out = run_python("""
        import sys
        from sciood.detectors import available, make
        names = available()
        assert "ae" in names and "iforest" in names and "cathode" in names, names
        heavy = [m for m in ("torch", "sklearn", "zuko", "sciood.detectors.classical")
                 if m in sys.modules]
        assert not heavy, heavy
        make("mahalanobis")
        assert "sciood.detectors.classical" in sys.modules
        assert "torch" not in sys.modules and "sciood.detectors.autoencoder" not in sys.modules
        print("ok")
    """)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr


@pytest.mark.parametrize(("blocked", "name", "module"), [
    ("torch", "ae", "torch"),
    ("torch", "cathode", "torch"),
    ("zuko", "flow", "zuko"),
    ("sklearn", "iforest", "sklearn"),
])
def test_known_detector_without_its_extra_names_the_extra(blocked: str, name: str,
                                                          module: str) -> None:
    """Before: "unknown detector 'iforest'" when scikit-learn was missing."""
    out = run_python(f"""
        import sys

        class NotInstalled:  # an import hook: {blocked} now fails as if not installed
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] == {blocked!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)

        sys.meta_path.insert(0, NotInstalled())
        from sciood.detectors import available, make, check_params
        from sciood.errors import MissingDependencyError, UnknownNameError
        assert {name!r} in available()
        for call in (lambda: make({name!r}), lambda: check_params({name!r}, {{}})):
            try:
                call()
            except MissingDependencyError as exc:
                print(exc)
            else:
                raise SystemExit("no MissingDependencyError")
        try:
            make("no_such_detector")
        except UnknownNameError as exc:
            assert "valid detector names are" in str(exc) and {name!r} in str(exc)
    """)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert len(lines) == 2
    for line in lines:
        assert f"detector {name!r}" in line and f"'{module}'" in line, line
        assert "pip install 'sciood[ml]'" in line, line


def test_unknown_name_is_still_an_unknown_name_error() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown detector 'xgboost'; valid detector "
                                               r"names are: .*iforest"):
        make("xgboost")


# ---------------------------------------------------------------- runtime registration
class Centroid(Detector):
    """Euclidean distance to the weighted training mean (a minimal third-party detector)."""

    invariant_scoring = True  # one row at a time

    def __init__(self, *, seed: int = 0, power: float = 1.0) -> None:
        self._store(locals())

    def _fit_arrays(self, X: np.ndarray, y: object, w: np.ndarray, obs: object) -> None:
        self._centre = (w[:, None] * X).sum(0) / w.sum()

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        return np.sqrt(((X - self._centre) ** 2).sum(1)) ** self.power

    def _get_state(self) -> tuple[dict, dict, dict]:
        return {}, {"centre": self._centre}, {}

    def _set_state(self, state: dict, arrays: dict, sk: dict) -> None:
        self._centre = arrays["centre"]


class BatchDependent(Centroid):
    """Broken on purpose: the score of an event depends on the batch it comes in."""

    def _score_arrays(self, X: np.ndarray) -> np.ndarray:
        d = super()._score_arrays(X)
        return d - d.mean()


def test_register_at_runtime_adds_a_name_and_refuses_clashes(isolated_registry: None) -> None:
    register("centroid_rt")(Centroid)
    assert "centroid_rt" in available() and make("centroid_rt").name == "centroid_rt"
    register("centroid_rt")(Centroid)  # the same class again is fine
    with pytest.raises(ConfigError, match="registered twice"):
        register("centroid_rt")(BatchDependent)
    with pytest.raises(ConfigError, match="'iforest' is a built-in sciood detector"):
        register("iforest")(Centroid)


def test_the_contract_checks_fail_on_a_broken_registered_detector(
        isolated_registry: None, tmp_path: Path) -> None:
    """A newly registered detector meets the same checks, and they can fail."""
    register("centroid_ok")(Centroid)
    register("batch_dependent")(BatchDependent)
    assert {"centroid_ok", "batch_dependent"} <= set(available())
    good = make("centroid_ok", power=2.0).fit(X)
    check_batch_invariance(good, X, good.score(X))
    check_params_follow_attributes(good, {"seed": 0, "power": 2.0})
    check_save_load(good, X, good.score(X), tmp_path / "good")
    bad = make("batch_dependent").fit(X)
    with pytest.raises(AssertionError, match="window"):
        check_batch_invariance(bad, X, bad.score(X))
    with pytest.raises(AssertionError):
        check_params_follow_attributes(good, {"seed": 0, "power": 1.0})


# ---------------------------------------------------------------- entry points
PLUGIN = '''
from __future__ import annotations

import numpy as np

from sciood.detectors import Detector


class Median(Detector):
    """L1 distance to the training median (raw features: no standardisation)."""

    standardize = False

    def __init__(self, *, seed: int = 0, scale: float = 1.0) -> None:
        self._store(locals())

    def _fit_arrays(self, X, y, w, obs):
        self._median = np.median(X, axis=0)

    def _score_arrays(self, X):
        return np.abs(X - self._median).sum(1) * self.scale

    def _get_state(self):
        return {}, {"median": self._median}, {}

    def _set_state(self, state, arrays, sk):
        self._median = arrays["median"]


class NotADetector:
    pass
'''


def install_plugin(root: Path, dist: str, entries: dict[str, str], module: str) -> None:
    """A real distribution: ``module.py`` and ``dist-0.1.dist-info`` with entry points."""
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{module}.py").write_text(PLUGIN)
    info = root / f"{dist.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
    lines = "".join(f"{k} = {v}\n" for k, v in entries.items())
    (info / "entry_points.txt").write_text(f"[sciood.detectors]\n{lines}")


def test_entry_point_detector_is_listed_made_saved_and_loaded(
        isolated_registry: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path / "site", "sciood-median", {"median_l1": "sciood_median_ep:Median"},
                   "sciood_median_ep")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    assert "median_l1" in available()
    assert "sciood_median_ep" not in sys.modules  # listing imports nothing
    det = make("median_l1", scale=2.0)
    assert type(det).__module__ == "sciood_median_ep" and det.name == "median_l1"
    det.scale = 3.0  # attributes are the parameters, for third-party detectors too
    scores = det.fit(X).score(X)
    np.testing.assert_allclose(scores, 3.0 * np.abs(X - np.median(X, 0)).sum(1))
    check_params_follow_attributes(det, {"seed": 0, "scale": 3.0})
    check_save_load(det, X, scores, tmp_path / "model")
    saved = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert saved["detector"] == "median_l1" and saved["params"]["scale"] == 3.0
    check_batch_invariance(det, X, scores)


def test_entry_point_name_clashes(isolated_registry: None, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  caplog: pytest.LogCaptureFixture) -> None:
    install_plugin(tmp_path / "a", "sciood-plugin-a",
                   {"iforest": "sciood_clash_a:Median", "dup_name": "sciood_clash_a:Median",
                    "not_a_detector": "sciood_clash_a:NotADetector",
                    "gone": "sciood_clash_missing_module:Median"}, "sciood_clash_a")
    install_plugin(tmp_path / "b", "sciood-plugin-b", {"dup_name": "sciood_clash_b:Median"},
                   "sciood_clash_b")
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    with caplog.at_level(logging.WARNING, logger="sciood.detectors.registry"):
        names = available()
    # a built-in name wins; the entry point is ignored with a warning naming the distribution
    assert names.count("iforest") == 1 and type(make("iforest")).__name__ != "Median"
    assert "ignoring the entry point 'iforest'" in caplog.text
    assert "sciood-plugin-a" in caplog.text
    # two distributions, one name: refused when used, naming both
    assert names.count("dup_name") == 1
    with pytest.raises(ConfigError, match=r"several entry points.*sciood-plugin-[ab].*"
                                          r"sciood-plugin-[ab]"):
        make("dup_name")
    with pytest.raises(ConfigError, match=r"not a subclass of sciood\.detectors\.Detector"):
        make("not_a_detector")
    with pytest.raises(MissingDependencyError, match="sciood_clash_missing_module"):
        make("gone")
    # runtime registration cannot take a name an entry point provides for another class
    with pytest.raises(ConfigError, match="provided by the entry point"):
        register("dup_name")(Centroid)
