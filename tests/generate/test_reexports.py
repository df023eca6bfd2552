"""The names that moved to ``sciood.reco`` (and the split modules) still import from the old
paths, as the very same objects."""

from __future__ import annotations

import importlib

import pytest

MOVED = [
    ("sciood.generate.jets", "FEATURES", "sciood.reco.features"),
    ("sciood.generate.jets", "JetBatch", "sciood.reco.jets"),
    ("sciood.generate.jets", "cluster_and_select", "sciood.reco.jets"),
    ("sciood.generate.jets", "nsubjettiness", "sciood.reco.nsubjettiness"),
    ("sciood.generate.jets", "softdrop_mass", "sciood.reco.softdrop"),
    ("sciood.generate.detector", "Reconstructed", "sciood.reco.event"),
    ("sciood.generate.processes", "Selection", "sciood.reco.selection"),
    ("sciood.generate.processes", "BEAM_ENERGY", "sciood.reco.selection"),
    ("sciood.generate.processes", "Process", "sciood.generate.process_model"),
    ("sciood.generate.processes", "CATALOGUE", "sciood.generate.catalogue"),
    ("sciood.generate.processes", "load_process_file", "sciood.generate.process_file"),
    ("sciood.generate.processes", "MAX_FILE_BYTES", "sciood.generate.process_file"),
    ("sciood.generate.pythia", "captured_stdout", "sciood.reco._stdout"),
    ("sciood.generate.run", "shard_seed", "sciood.generate.plan"),
    ("sciood.generate.run", "efficiency_bound", "sciood.generate.efficiency"),
    ("sciood.generate.run", "KILL_SHARD_ENV", "sciood.generate.executors"),
    ("sciood.data.store", "write_shard", "sciood.data.shards"),
    ("sciood.data.store", "read_manifest", "sciood.data.manifest"),
    ("sciood.data.store", "verify", "sciood.data.verify"),
    ("sciood.data.store", "sha256_file", "sciood.io"),
    ("sciood.distributed", "connect", "sciood.distributed.cluster"),
    ("sciood.distributed", "run_tasks", "sciood.distributed.tasks"),
    ("sciood.distributed", "CONNECT_TIMEOUT", "sciood.distributed.cluster"),
]


@pytest.mark.parametrize(("old", "name", "new"), MOVED, ids=lambda x: str(x))
def test_old_path_is_the_new_object(old: str, name: str, new: str) -> None:
    assert getattr(importlib.import_module(old), name) is getattr(importlib.import_module(new),
                                                                  name)


@pytest.mark.parametrize(("module", "names"), [
    ("sciood.generate.jets", ["FEATURES", "JetBatch", "cluster_and_select", "nsubjettiness",
                              "softdrop_mass"]),
    ("sciood.generate.processes", ["CATALOGUE", "Process", "Selection", "Slice", "get_process",
                                   "load_process_file", "process_names"]),
    ("sciood.generate.detector", ["CARDS", "JER_SIGMA", "JMR_SIGMA", "JMS_SIGMA",
                                  "VARIANT_TUNES", "DetectorCard", "Reconstructed", "get_card",
                                  "simulate"]),
    ("sciood.generate.run", ["MIN_EFFICIENCY", "ShardSpec", "efficiency_bound", "generate",
                             "plan_shards", "shard_seed"]),
    ("sciood.reco", ["EVENT_COLUMNS", "FEATURES", "TRUTH_LABELS", "EventObjects", "JetBatch",
                     "JetResponse", "Reconstructed", "Selection", "TruthParticles",
                     "cluster_and_select", "nsubjettiness", "softdrop_mass",
                     "truth_from_record"]),
    ("sciood.data.store", ["CHECKSUM_KEY", "FORMAT", "MANIFEST_NAME", "REQUIRED_COLUMNS",
                           "SCHEMA_VERSION", "atomic_write_bytes", "check_events_table",
                           "check_writable", "manifest_checksum", "read_manifest", "read_shard",
                           "seal_manifest", "sha256_file", "verify", "write_manifest",
                           "write_shard"]),
    ("sciood.distributed", ["check_shared_path", "connect", "current_client", "run_tasks",
                            "single_thread", "use_client"]),
])
def test_public_names_are_exactly(module: str, names: list[str]) -> None:
    assert sorted(importlib.import_module(module).__all__) == sorted(names)
