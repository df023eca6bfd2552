"""``data.source.write_scores``: every detector's per-event scores, written beside each file.

After the score stage (called by the report stage, :func:`sciood.pipeline.results.build_results`)
every event read from each input file — training and test events — is scored by every
trained detector and :func:`sciood.data.adapters.writeback.write_scores` writes one row per
row of the file, in its order: a ROOT friend tree ``<stem>.scores.root`` (tree ``scores``)
beside a ROOT file, a Parquet file ``<stem>.scores.parquet`` beside a table (or in
``data.source.scores_dir``).  Columns: ``entry``, the file's key columns (``run``,
``luminosityBlock``, ``event`` when present), ``scored`` (False for rows the reader dropped:
fewer than two jets, NaN with ``nan_policy: drop``), ``in_training`` (the detectors were fit
on that event: its score is not an unbiased test score), then ``score_<label>`` per detector
(the ``score`` of :meth:`sciood.detectors.Detector.score`: higher = more anomalous).

A file of that name written by an earlier run (a sciood score file: ``entry`` and ``scored``
columns) is replaced; any other existing file is refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sciood.config import RunConfig
from sciood.data.eventset import EventSet
from sciood.errors import DataError

__all__ = ["is_score_file", "write_back_scores"]


def is_score_file(path: Path) -> bool:
    """Whether ``path`` is a score file sciood wrote (``entry`` and ``scored`` columns)."""
    try:
        if path.suffix == ".root":
            import uproot

            with uproot.open(path) as f:
                trees = [k.split(";")[0] for k in f.keys()]  # noqa: SIM118
                return any({"entry", "scored"} <= set(f[t].keys()) for t in trees)
        import pyarrow.parquet as pq

        return {"entry", "scored"} <= set(pq.read_schema(path).names)
    except Exception:  # unreadable: not ours
        return False


def _events(split_dir: Path) -> EventSet:
    train = EventSet.read(split_dir / "train")
    test = EventSet.read(split_dir / "test-sim")
    train = train.with_columns(in_training=np.ones(len(train), dtype=bool))
    test = test.with_columns(in_training=np.zeros(len(test), dtype=bool))
    return EventSet.concat([train, test])


def write_back_scores(cfg: RunConfig, models: list[Any],
                      split_dir: Path) -> list[dict[str, Any]]:
    """Score every event of every source file with every detector and write the scores back.

    ``models``: the trained detectors (``label`` and ``path`` of their saved model);
    ``split_dir``: the split stage's directory (``train/`` and ``test-sim/`` stores).

    Returns
    -------
    list of dict
        Per input file: ``input``, ``output`` (the file written), ``sha256`` of the output,
        ``rows`` and ``scored`` counts, the score ``columns``.
    """
    from sciood.data.adapters.writeback import default_output, input_rows, write_scores
    from sciood.detectors import Detector
    from sciood.io import sha256_file
    from sciood.scoring import score_events

    src = cfg.data.source
    if src is None or not src.write_scores:
        return []
    if src.scores_dir is not None:
        from sciood.io import check_writable

        check_writable(src.scores_dir)
    events = _events(split_dir)
    scores = {f"score_{m.label}": score_events(Detector.load(m.path), events)["score"]
              for m in models}
    file_of = events.column("source_file").astype(np.int64)
    entry = events.column("entry").astype(np.int64)
    training = events.column("in_training").astype(bool)
    written = []
    for i, f in enumerate(src.files):
        rows = np.flatnonzero(file_of == i)
        target = default_output(f.path, src.scores_dir)
        if target.exists() and not is_score_file(target):
            raise DataError(f"{str(target)!r} exists and is not a sciood score file; move it, "
                            "or set data.source.scores_dir to write the scores elsewhere")
        n_rows, keys = input_rows(f.path, tree=f.tree, key=f.key)
        in_training = np.zeros(n_rows, dtype=bool)
        in_training[entry[rows]] = training[rows]
        out = write_scores(f.path, {k: v[rows] for k, v in scores.items()}, target,
                           keys={**keys, "in_training": in_training}, tree=f.tree, key=f.key,
                           entry=entry[rows], overwrite=True)
        written.append({"input": str(f.path.resolve()), "output": str(out.resolve()),
                        "sha256": sha256_file(out), "rows": n_rows, "scored": int(rows.size),
                        "columns": list(scores)})
    return written
