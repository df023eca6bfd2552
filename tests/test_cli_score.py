"""`sciood score MODEL INPUT --out OUT`: scores back out, aligned with the input, and the
errors a newcomer meets (not a model, a missing column, an existing OUT); the one-argument
`sciood score CONFIG` form keeps running the pipeline up to scoring."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from sciood.cli import app
from sciood.data.adapters import read_table
from sciood.data.eventset import EventSet
from sciood.detectors import load, make

FEATURES = ["mj1", "mj2", "tau21_j1"]
N = 300


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _text(res) -> str:
    return " ".join(res.output.split())


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A Parquet table of N events (keys run/event, shuffled event numbers), a store of the
    same events and an isolation forest saved after fitting on them."""
    d = tmp_path_factory.mktemp("score")
    rng = np.random.default_rng(7)
    table = pa.table({
        "run": np.full(N, 3, dtype=np.int64),
        "event": rng.permutation(N).astype(np.int64) + 1000,
        "mj1": rng.normal(100.0, 10.0, N), "mj2": rng.normal(80.0, 10.0, N),
        "tau21_j1": rng.uniform(0.0, 1.0, N), "mjj": rng.uniform(3000.0, 4000.0, N),
    })
    pq.write_table(table, d / "events.parquet")
    events = read_table(d / "events.parquet", observables=["mjj"], features=FEATURES)
    events.write(d / "store")
    det = make("iforest", n_estimators=20, features=FEATURES, seed=0).fit(events)
    det.save(d / "model")
    pq.write_table(table.drop(["tau21_j1"]), d / "no_tau.parquet")
    return {"dir": d, "parquet": d / "events.parquet", "store": d / "store",
            "model": d / "model", "no_tau": d / "no_tau.parquet"}


def _direct(tiny: dict[str, Path]) -> np.ndarray:
    events = read_table(tiny["parquet"], observables=["mjj"], features=FEATURES)
    return load(tiny["model"]).score(events)


def test_parquet_input_gets_a_joinable_score_table(tiny, tmp_path) -> None:
    out = tmp_path / "scores.parquet"
    res = _invoke("score", tiny["model"], tiny["parquet"], "--out", out, "--json")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["n_events"] == N and summary["kind"] == "file"
    got = pq.read_table(out).to_pydict()
    assert list(got)[:3] == ["entry", "run", "event"]
    assert got["entry"] == list(range(N))
    src = pq.read_table(tiny["parquet"]).to_pydict()
    assert got["event"] == src["event"] and got["run"] == src["run"]  # keys join the input
    np.testing.assert_array_equal(got["score_iforest"], _direct(tiny))


def test_default_output_lands_next_to_the_input_and_is_never_overwritten(tiny,
                                                                          tmp_path) -> None:
    src = tmp_path / "mine.parquet"
    src.write_bytes(tiny["parquet"].read_bytes())
    res = _invoke("score", tiny["model"], src, "-q")
    assert res.exit_code == 0, res.output
    written = tmp_path / "mine.scores.parquet"
    before = written.read_bytes()
    res = _invoke("score", tiny["model"], src)
    assert res.exit_code == 2
    assert f"--out '{written}' exists" in _text(res) and "--force" in _text(res)
    assert written.read_bytes() == before
    res = _invoke("score", tiny["model"], src, "--force", "-q")
    assert res.exit_code == 0, res.output
    np.testing.assert_array_equal(pq.read_table(written).column("score_iforest").to_numpy(),
                                  _direct(tiny))


def test_store_input_gets_a_row_aligned_score_store(tiny, tmp_path) -> None:
    out = tmp_path / "scored"
    res = _invoke("score", tiny["model"], tiny["store"], "--out", out, "-q")
    assert res.exit_code == 0, res.output
    scored = EventSet.read(out)
    np.testing.assert_array_equal(scored.column("score"), _direct(tiny))
    np.testing.assert_array_equal(scored.column("mjj"), EventSet.read(tiny["store"])
                                  .column("mjj"))
    res = _invoke("score", tiny["model"], tiny["store"], "--out", out)
    assert res.exit_code == 2 and "exists" in _text(res)
    res = _invoke("score", tiny["model"], tiny["store"], "--out", out, "--force", "-q")
    assert res.exit_code == 0, res.output


def test_force_never_replaces_a_directory_sciood_did_not_write(tiny, tmp_path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("keep me")
    res = _invoke("score", tiny["model"], tiny["store"], "--out", mine, "--force")
    assert res.exit_code == 2
    assert "does not hold a sciood score store" in _text(res)
    assert (mine / "thesis.tex").read_text() == "keep me"


def test_root_input_gets_a_friend_tree(tiny, tmp_path) -> None:
    uproot = pytest.importorskip("uproot")
    src = tmp_path / "events.root"
    columns = pq.read_table(tiny["parquet"]).to_pydict()
    with uproot.recreate(src) as f:
        f["Events"] = {k: np.asarray(v) for k, v in columns.items()}
    res = _invoke("score", tiny["model"], src, "-q")
    assert res.exit_code == 0, res.output
    friend = uproot.open(tmp_path / "events.scores.root")["scores"].arrays(library="np")
    np.testing.assert_array_equal(friend["event"], columns["event"])
    np.testing.assert_array_equal(friend["score_iforest"], _direct(tiny))


def test_a_missing_column_is_named(tiny, tmp_path) -> None:
    res = _invoke("score", tiny["model"], tiny["no_tau"], "--out", tmp_path / "s.parquet")
    assert res.exit_code == 2
    text = _text(res)
    assert "['tau21_j1']" in text and "iforest" in text and str(tiny["model"]) in text
    assert not (tmp_path / "s.parquet").exists()


def test_a_missing_column_of_a_store_is_named(tiny, tmp_path) -> None:
    events = read_table(tiny["no_tau"], observables=["mjj"], features=["mj1", "mj2"])
    events.write(tmp_path / "store")
    res = _invoke("score", tiny["model"], tmp_path / "store", "--out", tmp_path / "s")
    assert res.exit_code == 2
    assert "lacks the column(s) ['tau21_j1']" in _text(res)
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("what", ["missing", "file", "store"])
def test_a_model_that_is_not_one_is_refused(tiny, tmp_path, what) -> None:
    model = {"missing": tmp_path / "nope", "file": tiny["parquet"], "store": tiny["store"]}[what]
    res = _invoke("score", model, tiny["parquet"], "--out", tmp_path / "s.parquet")
    assert res.exit_code == 2
    assert f"MODEL '{model}' is not a saved sciood detector" in _text(res)
    assert not (tmp_path / "s.parquet").exists()


def test_the_two_forms_are_told_apart(tiny, tmp_path, monkeypatch) -> None:
    res = _invoke("score", tiny["model"])
    assert res.exit_code == 2 and "is a saved detector: give the events to score" in _text(res)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("name: x\n")
    res = _invoke("score", cfg, tiny["parquet"])
    assert res.exit_code == 2 and "is a run configuration" in _text(res)
    res = _invoke("score", tiny["model"], tiny["store"])
    assert res.exit_code == 2 and "--out OUT is required to score a store" in _text(res)

    import sciood.cli.pipeline_commands as commands

    seen = {}

    def fake_run_stage(config, until, **kwargs):
        seen.update(config=config, until=until, **kwargs)

    monkeypatch.setattr(commands, "_run_stage", fake_run_stage)
    res = _invoke("score", cfg, "--out", tmp_path / "run", "--workers", "2")
    assert res.exit_code == 0, res.output
    assert seen["config"] == cfg and seen["until"] == "score"
    assert seen["out"] == tmp_path / "run" and seen["workers"] == 2
    res = _invoke("score", cfg, "--tree", "Events")
    assert res.exit_code == 2 and "belong to `sciood score MODEL INPUT" in _text(res)


LHCO = Path(__file__).parent / "fixtures" / "adapters" / "lhco_features_pandas.h5"


def test_an_lhco_features_file_is_read_in_its_own_layout(tmp_path) -> None:
    pytest.importorskip("h5py")
    from sciood.data.adapters import read_lhco_features

    events = read_lhco_features(LHCO)  # mj1, tau21_j1, ... derived from the per-jet columns
    det = make("iforest", n_estimators=10, features=["mj1", "tau21_j1", "mj2"], seed=0)
    det.fit(events).save(tmp_path / "model")
    res = _invoke("score", tmp_path / "model", LHCO, "--out", tmp_path, "-q")
    assert res.exit_code == 0, res.output
    got = pq.read_table(tmp_path / "lhco_features_pandas.scores.parquet").to_pydict()
    assert got["entry"] == list(range(len(events)))
    np.testing.assert_array_equal(got["score_iforest"], det.score(events))

    soft_drop = make("iforest", n_estimators=10, features=["mj1_sd", "mj1"], seed=0)
    events_sd = events.with_columns(mj1_sd=events.column("mj1"))
    soft_drop.fit(events_sd).save(tmp_path / "sd")
    res = _invoke("score", tmp_path / "sd", LHCO, "--out", tmp_path / "sd.parquet")
    assert res.exit_code == 2
    assert "lacks the column(s) ['mj1_sd']" in _text(res) and "LHC Olympics" in _text(res)


def test_a_constituent_model_on_a_flat_file_is_refused_with_the_way_out(tiny) -> None:
    from sciood.cli.score_files import read_for_model
    from sciood.errors import ConfigError

    det = load(tiny["model"])
    with pytest.raises(ConfigError, match="builds its inputs from jet constituents") as info:
        read_for_model(det, tiny["model"], tiny["parquet"], None)  # needed None: constituents
    assert "score that store" in str(info.value)


def test_a_runs_model_label_directory_gets_a_hint(tiny, tmp_path) -> None:
    label = tmp_path / "models" / "iforest"
    label.mkdir(parents=True)
    (label / "model").symlink_to(tiny["model"], target_is_directory=True)
    res = _invoke("score", label, tiny["parquet"], "--out", tmp_path / "s.parquet")
    assert res.exit_code == 2
    assert f"did you mean '{label / 'model'}'?" in _text(res)


@pytest.mark.parametrize(("name", "column"), [("iforest", "score_iforest"),
                                              ("pyod:ECOD", "score_pyod_ECOD")])
def test_score_columns_are_named_after_the_detector(name, column) -> None:
    from types import SimpleNamespace

    from sciood.cli.score_files import score_column

    assert score_column(SimpleNamespace(name=name)) == column


def _nano(path: Path, n: int = 80) -> None:
    """A NanoAOD-like file: jagged FatJet_* (2 or 3 jets; the first 5 events one jet)."""
    ak = pytest.importorskip("awkward")
    uproot = pytest.importorskip("uproot")
    rng = np.random.default_rng(11)
    n_jets = np.where(rng.uniform(size=n) < 0.3, 3, 2)
    n_jets[:5] = 1
    jets: dict[str, list] = {q: [] for q in ("pt", "eta", "phi", "mass", "msoftdrop",
                                             "tau1", "tau2", "tau3")}
    for k in n_jets:
        tau1 = rng.uniform(0.2, 0.5, k)
        values = {"pt": np.sort(rng.uniform(1300.0, 1800.0, k))[::-1],
                  "eta": rng.uniform(-2.0, 2.0, k), "phi": rng.uniform(-3.1, 3.1, k),
                  "mass": rng.uniform(30.0, 300.0, k), "msoftdrop": rng.uniform(20.0, 250.0, k),
                  "tau1": tau1, "tau2": tau1 * rng.uniform(0.2, 0.9, k),
                  "tau3": tau1 * rng.uniform(0.1, 0.2, k)}
        for q, v in values.items():
            jets[q].append(v.tolist())
    with uproot.recreate(path) as f:
        f.mktree("Events", {
            "FatJet": ak.zip({q: ak.Array(v) for q, v in jets.items()}),
            "run": np.full(n, 1, np.int32), "event": np.arange(n, dtype=np.int64) * 3 + 11,
        }, field_name=lambda outer, inner: f"{outer}_{inner}", counter_name=lambda c: f"n{c}")


def test_a_jagged_root_file_is_scored_through_its_jet_collection(tmp_path) -> None:
    from sciood.data.adapters.source import read_source_file

    src = tmp_path / "nano.root"
    _nano(src)
    events = read_source_file(src, tree="Events", jets={"collection": "FatJet"},
                              observables=())
    det = make("iforest", n_estimators=10, features=["mj1", "mj2", "tau21_j1"], seed=0)
    det.fit(events).save(tmp_path / "model")
    res = _invoke("score", tmp_path / "model", src, "--tree", "Events", "--jets", "FatJet",
                  "-q")
    assert res.exit_code == 0, res.output
    import uproot

    friend = uproot.open(tmp_path / "nano.scores.root")["scores"].arrays(library="np")
    assert len(friend["entry"]) == 80 and not friend["scored"][:5].any()
    assert friend["scored"][5:].all()
    np.testing.assert_array_equal(friend["event"], np.arange(80) * 3 + 11)
    np.testing.assert_array_equal(friend["score_iforest"][5:], det.score(events))
    assert np.isnan(friend["score_iforest"][:5]).all()

    res = _invoke("score", tmp_path / "model", src, "--tree", "Events", "--out",
                  tmp_path / "flat.root")  # without --jets: flat branches only
    assert res.exit_code == 2 and "lacks column(s)" in _text(res) and "mj1" in _text(res)
