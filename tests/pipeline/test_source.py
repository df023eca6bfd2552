"""A ``data.source`` run: the user's files through split, train and score; scores written back."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sciood.config import parse_config
from sciood.data.eventset import EventSet
from sciood.pipeline import run
from sciood.pipeline.results import provenance
from sciood.pipeline.scores_out import write_back_scores
from sciood.pipeline.source import INDEX_NAME

N_BKG, N_SIG = 240, 40


def _table(seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = N_BKG + N_SIG
    sig = np.arange(n) >= N_BKG
    return pa.table({
        "event": np.arange(n, dtype=np.int64) * 5 + 3,
        "kind": np.where(sig, "sig", "qcd"),
        "mjj": np.where(sig, rng.normal(3500, 100, n), 2800 + rng.exponential(500, n)),
        "mj1": np.where(sig, rng.normal(100, 10, n), rng.exponential(50, n)),
        "delta_mj": np.where(sig, rng.normal(400, 20, n), rng.exponential(80, n)),
        "tau21_j1": rng.uniform(0.1, 0.9, n), "tau21_j2": rng.uniform(0.1, 0.9, n),
    })


def _config(tmp: Path, files: list[str], **source: object) -> object:
    return parse_config({
        "name": "src", "output": str(tmp / "run"),
        "data": {"cache_dir": str(tmp / "cache"), "train_fraction": 0.5,
                 "source": {"files": files, "label": "kind", "signal": ["sig"],
                            "cross_sections_fb": {"qcd": 1200.0, "sig": 3.0}, **source}},
        "detectors": [{"name": "iforest", "params": {"n_estimators": 10}}],
    })


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    tmp = tmp_path_factory.mktemp("source")
    pq.write_table(_table(), tmp / "a.parquet")
    pq.write_table(_table(1).slice(0, 200), tmp / "b.parquet")
    cfg = _config(tmp, [str(tmp / "a.parquet"), str(tmp / "b.parquet")], write_scores=True)
    res = run(cfg, quiet=True, until="score")
    assert [r.name for r in res.stages][:2] == ["generate/source", "split"]
    return tmp, cfg


def test_classes_become_samples_with_cross_section_weights(scored: tuple[Path, object]) -> None:
    tmp, _ = scored
    summary = json.loads((tmp / "run" / "split" / "summary.json").read_text())
    by_class = {r["process"]: r for r in summary}
    assert set(by_class) == {"qcd", "sig"}
    assert by_class["qcd"]["events"] == N_BKG + 200 and by_class["sig"]["events"] == N_SIG
    assert by_class["sig"]["is_signal"] and not by_class["qcd"]["is_signal"]
    assert by_class["qcd"]["sum_weights"] == pytest.approx(1200.0)
    assert by_class["qcd"]["files"] == "a.parquet, b.parquet"
    test = EventSet.read(tmp / "run" / "split" / "test-sim")
    train = EventSet.read(tmp / "run" / "split" / "train")
    for part in (test, train):  # each part describes the full cross-section (weights / f)
        assert part.weights[part.labels == "sig"].sum() == pytest.approx(3.0)
    rows = set(zip(np.r_[train.column("source_file"), test.column("source_file")].tolist(),
                   np.r_[train.column("entry"), test.column("entry")].tolist(), strict=True))
    assert rows == {(0, i) for i in range(N_BKG + N_SIG)} | {(1, i) for i in range(200)}


def test_source_is_cached_by_file_content(scored: tuple[Path, object], tmp_path: Path) -> None:
    tmp, cfg = scored
    again = run(cfg, quiet=True, until="split")
    assert all(r.cached for r in again.stages)
    index = list((tmp / "cache").glob(f"source-*/{INDEX_NAME}"))
    assert len(index) == 1
    body = json.loads(index[0].read_text())
    assert [f["sha256"] for f in body["files"]] == [
        provenance(cfg, [])["data_source"]["files"][i]["sha256"] for i in (0, 1)]
    # one changed value in a file: new samples, a new split
    changed = tmp_path / "a.parquet"
    pq.write_table(_table().set_column(3, "mj1", pa.array(np.ones(N_BKG + N_SIG))), changed)
    other = _config(tmp, [str(changed), str(tmp / "b.parquet")])
    res = run(other, quiet=True, until="split", out=tmp_path / "run2")
    assert not any(r.cached for r in res.stages)


def test_scores_written_back_match_the_score_stage(scored: tuple[Path, object]) -> None:
    tmp, cfg = scored
    model = SimpleNamespace(label="iforest", path=tmp / "run" / "models" / "iforest" / "model")
    written = write_back_scores(cfg, [model], tmp / "run" / "split")
    assert [Path(w["output"]).name for w in written] == ["a.scores.parquet", "b.scores.parquet"]
    test = EventSet.read(tmp / "run" / "split" / "test-sim")
    stage = EventSet.read(tmp / "run" / "scores" / "iforest" / "sim").column("score")
    back = {i: pq.read_table(w["output"]).to_pandas() for i, w in enumerate(written)}
    for i, n in ((0, N_BKG + N_SIG), (1, 200)):
        assert len(back[i]) == n and back[i]["scored"].all()
        assert back[i]["entry"].tolist() == list(range(n))
        assert back[i]["event"].tolist() == (np.arange(n) * 5 + 3).tolist()  # the file's key
        rows = test.column("source_file") == i
        got = back[i]["score_iforest"].to_numpy()[test.column("entry")[rows]]
        np.testing.assert_allclose(got, stage[rows], rtol=1e-12)       # same scores as the run
        assert not back[i]["in_training"].to_numpy()[test.column("entry")[rows]].any()
    assert sum(int(b["in_training"].sum()) for b in back.values()) == len(
        EventSet.read(tmp / "run" / "split" / "train"))
    again = write_back_scores(cfg, [model], tmp / "run" / "split")  # its own files: replaced
    assert [w["sha256"] for w in again] == [w["sha256"] for w in written]


def test_foreign_file_in_the_way_is_refused(scored: tuple[Path, object], tmp_path: Path) -> None:
    from sciood.errors import DataError

    tmp, _ = scored
    pq.write_table(_table(), tmp_path / "c.parquet")
    pq.write_table(pa.table({"x": [1]}), tmp_path / "c.scores.parquet")  # the user's own file
    cfg = _config(tmp_path, [str(tmp_path / "c.parquet")], write_scores=True)
    model = SimpleNamespace(label="iforest", path=tmp / "run" / "models" / "iforest" / "model")
    run(cfg, quiet=True, until="split")
    with pytest.raises(DataError, match=r"c\.scores\.parquet' exists and is not a sciood score"):
        write_back_scores(cfg, [model], tmp_path / "run" / "split")


@pytest.mark.hostile("configs", "error")
def test_default_detector_on_files_without_its_columns_names_the_fix(tmp_path: Path) -> None:
    """No `detectors` key: the default per-jet detector needs m_sd, τ32, n_const columns that
    this table lacks — the training stage says which and what to do, before any model file."""
    from sciood.errors import DataError

    pq.write_table(_table(), tmp_path / "a.parquet")
    body = {
        "name": "src", "output": str(tmp_path / "run"),
        "representation": {"features": ["mj1", "delta_mj", "tau21_j1", "tau21_j2"]},
        "data": {"cache_dir": str(tmp_path / "cache"),
                 "source": {"files": [str(tmp_path / "a.parquet")], "label": "kind",
                            "signal": ["sig"], "cross_sections_fb": {"qcd": 1200.0, "sig": 3.0}}},
    }
    cfg = parse_config(body)
    assert [d.key for d in cfg.detectors] == ["default"]
    with pytest.raises(DataError, match=r"detector 'default' cannot read its inputs: unknown "
                       r"column\(s\) \['mj1_sd'.*default detector \(the config names none\)"):
        run(cfg, quiet=True, until="train")
    assert not (tmp_path / "run" / "models" / "default" / "model").exists()
