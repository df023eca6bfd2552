"""Signal-injection scan: significance vs injected signal per detector and the mjj-only baseline."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sciood.errors import DataError
from sciood.stats import dijet_function, injection_scan

RANGE = (2600.0, 5000.0)


@pytest.fixture(scope="module")
def sample() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(10)
    grid = np.linspace(*RANGE, 20001)
    cdf = np.cumsum(dijet_function(grid, (0.0, 10.0, 5.0, 0.0)))
    bkg = np.interp(rng.random(40000), cdf / cdf[-1], grid)
    sig = rng.normal(3500.0, 175.0, 3000)
    mjj = np.r_[bkg, sig]
    is_sig = np.r_[np.zeros(bkg.size, bool), np.ones(sig.size, bool)]
    good = np.where(is_sig, rng.uniform(0.95, 1.0, mjj.size), rng.random(mjj.size))
    noise = rng.random(mjj.size)
    return {"mjj": mjj, "is_signal": is_sig, "good": good, "noise": noise}


def test_injection_scan_shapes_and_physics(sample: dict[str, np.ndarray], tmp_path) -> None:
    res = injection_scan(
        {"good": sample["good"], "noise": sample["noise"]},
        sample["mjj"],
        sample["is_signal"],
        n_signal=[0, 200, 800],
        cut_eff_b=0.1,
        mjj_range=RANGE,
        seed=3,
    )
    assert res.detectors == ["mjj_only", "good", "noise"]
    for det in res.detectors:
        assert res.local_z_observed[det].shape == (1, 3)
        assert np.all(np.isfinite(res.local_z_observed[det]))
        # expected (Asimov) significance grows with the injected signal
        assert np.all(np.diff(res.local_z_expected[det][0]) > 0)
        assert np.all(np.isnan(res.global_z_observed[det]))  # n_toys = 0
    assert res.local_z_expected["good"][0, 2] > 2 * res.local_z_expected["mjj_only"][0, 2]
    # a detector blind to the signal keeps 10 % of both: it cannot beat the baseline
    assert res.local_z_expected["noise"][0, 2] < res.local_z_expected["mjj_only"][0, 2]
    assert 3300 < res.best_window_center["good"][0, 2] < 3700
    assert res.cut_thresholds["mjj_only"] is None
    assert res.cut_thresholds["good"] == pytest.approx(0.9, abs=0.02)
    assert np.all(res.fake_bump_z["good"] < 3.0)
    frame = res.to_frame()
    assert len(frame) == 3 * 3
    res.to_json(tmp_path / "inj.json")
    back = json.loads((tmp_path / "inj.json").read_text())
    assert back["local_z_expected"]["good"][0][2] == pytest.approx(
        res.local_z_expected["good"][0, 2]
    )


def test_injection_is_reproducible_and_labels_accepted(sample: dict[str, np.ndarray]) -> None:
    labels = np.where(sample["is_signal"], "xy_qqqq", "qcd")
    kwargs = dict(n_signal=[300], mjj_range=RANGE, include_baseline=False, n_repeats=2, seed=4)
    a = injection_scan(
        {"good": sample["good"]}, sample["mjj"], labels, signal_labels=["xy_qqqq"], **kwargs
    )
    b = injection_scan({"good": sample["good"]}, sample["mjj"], sample["is_signal"], **kwargs)
    assert np.array_equal(a.local_z_observed["good"], b.local_z_observed["good"])
    assert a.local_z_observed["good"].shape == (2, 1)
    # the two repeats draw different signal events
    assert a.local_z_observed["good"][0, 0] != a.local_z_observed["good"][1, 0]


def test_injection_bad_input(sample: dict[str, np.ndarray]) -> None:
    with pytest.raises(DataError, match="without replacement"):
        injection_scan({"g": sample["good"]}, sample["mjj"], sample["is_signal"], n_signal=[5000])
    with pytest.raises(DataError, match="signal_labels"):
        injection_scan(
            {"g": sample["good"]},
            sample["mjj"],
            np.where(sample["is_signal"], "s", "b"),
            n_signal=[10],
        )
    with pytest.raises(DataError, match="reserved"):
        injection_scan({"mjj_only": sample["good"]}, sample["mjj"], sample["is_signal"])
    with pytest.raises(DataError):
        injection_scan({"g": sample["good"][:10]}, sample["mjj"], sample["is_signal"])
    with pytest.raises(DataError):
        injection_scan({"g": sample["good"]}, sample["mjj"], sample["is_signal"], n_signal=[-1])
