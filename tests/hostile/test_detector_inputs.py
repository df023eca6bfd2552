"""Hostile detector inputs and numerics: unrepresentable values, wrong shapes and types,
hostile weights, and inputs that are legal but numerically awkward.

Every case is a distinct input on real Pythia features (``small_dijet``); an error case
asserts the error class and a message naming the problem and the fix, a "correct" case
asserts the result against a reference (the same scores from an equivalent input, or a
hand calculation).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.detectors import Detector, make
from sciood.errors import DataError


def err(category: str = "detector-inputs") -> Any:
    return pytest.mark.hostile(category, "error")


def ok(category: str = "numerics") -> Any:
    return pytest.mark.hostile(category, "correct")


@pytest.fixture(scope="module")
def X(small_dijet: EventSet) -> np.ndarray:
    """The lhco features (mj1, delta_mj, tau21_j1, tau21_j2), shape (450, 4), float64."""
    return make("mahalanobis").as_array(small_dijet)


@pytest.fixture(scope="module")
def maha(X: np.ndarray) -> Detector:
    return make("mahalanobis").fit(X)


@pytest.fixture(scope="module")
def ae(X: np.ndarray) -> Detector:
    return make("ae", epochs=2, seed=0).fit(X)


def with_value(X: np.ndarray, row: int, col: int, value: float) -> np.ndarray:
    out = X.copy()
    out[row, col] = value
    return out


# ------------------------------------------------------------ values that cannot be represented
@pytest.mark.parametrize("value", [
    pytest.param(1e300, id="fit-1e300", marks=err("numerics")),
    pytest.param(-3e35, id="fit-minus-3e35", marks=err("numerics")),
])
def test_unrepresentable_training_value(X: np.ndarray, value: float) -> None:
    with pytest.raises(DataError, match=r"X column 1 \('delta_mj'\) has the value .*e\+3\d+ "
                                        r"at row 7 .*<= 1e\+30.*Check the units"):
        make("mahalanobis").fit(with_value(X, 7, 1, value))


@err("numerics")
def test_float32_network_gets_a_value_beyond_float32(ae: Detector, X: np.ndarray) -> None:
    # 1e39 is finite in float64 but inf in float32: reported as the value, not "NaN or Inf"
    with pytest.raises(DataError, match=r"column 0 \('mj1'\) has the value 1e\+39 at row 3"):
        ae.score(with_value(X[:10], 3, 0, 1e39))


@err("numerics")
def test_score_time_value_a_million_std_out_names_the_feature(ae: Detector,
                                                              X: np.ndarray) -> None:
    far = with_value(X[:10], 4, 2, 5e6)  # tau21_j1 of 5e6: std ~0.1 -> ~5e7 std
    with pytest.raises(DataError, match=r"standardised.*column 2 \('tau21_j1'\).*std at row 4"
                                        r".*<= 1e\+06 std.*near-constant feature"):
        ae.score(far)


@err("numerics")
def test_near_constant_training_feature_then_a_real_deviation(X: np.ndarray) -> None:
    Xc = X.copy()
    Xc[:, 3] = 0.5 + 1e-9 * np.random.default_rng(0).normal(size=len(X))
    det = make("mahalanobis").fit(Xc)
    with pytest.raises(DataError, match=r"column 3 \('tau21_j2'\).*near-constant"):
        det.score(with_value(Xc[:5], 0, 3, 0.51))


@err()
def test_jet_level_input_with_a_huge_value(small_dijet: EventSet) -> None:
    det = make("per_jet", n_components=2, seed=0)
    J = det.as_array(small_dijet)
    J[5, 1, 0] = 1e301
    with pytest.raises(DataError, match=r"has the value 1e\+301 at row 5"):
        det.fit(J)


@err()
def test_particle_set_with_a_huge_momentum(small_dijet: EventSet) -> None:
    det = make("set_ae", epochs=1, max_particles=8, hidden=8)
    S = det.as_array(small_dijet)
    S[2, 0, 0, 0] = 1e33
    with pytest.raises(DataError, match=r"value 1e\+33 at row 2"):
        det.fit(S)


# ------------------------------------------------------------------------ wrong types / shapes
@pytest.mark.parametrize("bad, message", [
    pytest.param(lambda X: X[:5] + 1j, r"X is complex .*pass real numbers", id="complex",
                 marks=err()),
    pytest.param(lambda X: np.array([[1.0, None, 2.0, 3.0]], dtype=object),
                 r"NaN or Inf in 1 event\(s\).*drop or impute", id="object-none", marks=err()),
    pytest.param(lambda X: [[1.0, 2.0, 3.0, 4.0], [1.0, 2.0]],
                 r"cannot be converted to a numeric array", id="ragged-list", marks=err()),
    pytest.param(lambda X: np.array([["a", "b", "c", "d"]]),
                 r"cannot be converted to a numeric array", id="strings", marks=err()),
    pytest.param(lambda X: X[:0], r"X is empty .*pass at least one event", id="empty",
                 marks=err()),
    pytest.param(lambda X: X[:, 0], r"expects X with 2 dimensions, got shape \(450,\)",
                 id="one-dimensional", marks=err()),
    pytest.param(lambda X: X[:, :, None], r"expects X with 2 dimensions, got shape "
                 r"\(450, 4, 1\)", id="three-dimensional", marks=err()),
    pytest.param(lambda X: X[:, :3], r"per-event shape \(3,\) but the detector was fitted "
                 r"on \(4,\); use the same features", id="n-features-mismatch", marks=err()),
    pytest.param(lambda X: np.float64(3.0), r"X is empty \(shape \(\)\)", id="scalar",
                 marks=err()),
])
def test_bad_score_input(maha: Detector, X: np.ndarray, bad: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        maha.score(bad(X))


@err()
def test_single_training_event(X: np.ndarray) -> None:
    with pytest.raises(DataError, match=r"need at least 2 training events, got 1"):
        make("ae", epochs=1).fit(X[:1])


# ------------------------------------------------------------------------------ hostile weights
@pytest.mark.parametrize("weights, message", [
    pytest.param(lambda n: np.r_[np.nan, np.ones(n - 1)], r"weights contains NaN or Inf",
                 id="weight-nan", marks=err()),
    pytest.param(lambda n: np.ones(n - 1), r"weights has shape \(449,\), expected \(450,\)",
                 id="weight-length", marks=err()),
    pytest.param(lambda n: -np.ones(n), r"weights must have a positive sum",
                 id="weights-all-negative", marks=err()),
])
def test_bad_weights(X: np.ndarray, weights: Any, message: str) -> None:
    with pytest.raises(DataError, match=message):
        make("mahalanobis").fit(X, sample_weight=weights(len(X)))


@err()
def test_class_with_only_negative_weight(X: np.ndarray) -> None:
    y = np.r_[np.zeros(len(X) - 20), np.ones(20)].astype(int)
    with pytest.raises(DataError, match=r"class 1 sum to -.*20 of 20 negative.*clip its "
                                        r"negative weights"):
        make("supervised", epochs=1).fit(X, y, sample_weight=np.where(y == 1, -1.0, 1.0))


# ----------------------------------------------------------- legal but awkward: correct results
@ok("detector-inputs")
def test_int64_inputs_score_like_floats(maha: Detector, ae: Detector, X: np.ndarray) -> None:
    Xi = np.round(X * 10).astype(np.int64)
    for det in (maha, ae):
        np.testing.assert_array_equal(det.score(Xi), det.score(Xi.astype(np.float64)))


@ok("detector-inputs")
def test_float32_and_fortran_ordered_inputs(maha: Detector, ae: Detector,
                                            X: np.ndarray) -> None:
    for det in (maha, ae):
        ref = det.score(X)
        np.testing.assert_array_equal(det.score(np.asfortranarray(X)), ref)
        np.testing.assert_array_equal(det.score(X[::-1][::-1]), ref)
    x32 = X.astype(np.float32)
    np.testing.assert_array_equal(maha.score(x32), maha.score(x32.astype(np.float64)))


@ok()
def test_all_constant_feature_column(X: np.ndarray) -> None:
    Xc = X.copy()
    Xc[:, 2] = 0.7
    got = make("mahalanobis").fit(Xc).score(Xc)
    ref = make("mahalanobis").fit(Xc[:, [0, 1, 3]]).score(Xc[:, [0, 1, 3]])
    np.testing.assert_allclose(got, ref, rtol=1e-9)
    s = make("ae", epochs=2, seed=0).fit(Xc).score(Xc)
    assert np.isfinite(s).all() and s.std() > 0


@pytest.mark.parametrize("factor", [
    pytest.param(1e-20, id="tiny-units", marks=ok()),
    pytest.param(1e20, id="huge-units", marks=ok()),
])
def test_feature_units_do_not_matter(X: np.ndarray, factor: float) -> None:
    """A standardising detector is invariant to the unit of its features (the constant-
    column test is relative, and the moments never overflow)."""
    ref = make("mahalanobis").fit(X).score(X)
    np.testing.assert_allclose(make("mahalanobis").fit(X * factor).score(X * factor), ref,
                               rtol=1e-7)


@ok()
def test_subnormal_and_negative_zero_values(maha: Detector, ae: Detector,
                                            X: np.ndarray) -> None:
    Xz = X[:20].copy()
    Xz[:, 2] = 0.0
    Xs, Xn = Xz.copy(), Xz.copy()
    Xs[:, 2] = 5e-324  # smallest subnormal
    Xn[:, 2] = -0.0
    np.testing.assert_array_equal(ae.score(Xn), ae.score(Xz))
    np.testing.assert_array_equal(ae.score(Xs), ae.score(Xz))  # float32: subnormal -> 0
    np.testing.assert_allclose(maha.score(Xs), maha.score(Xz), rtol=1e-12)


@ok()
def test_offset_and_length_never_change_a_score(ae: Detector, X: np.ndarray) -> None:
    """The AVX-512 finding: a row's score depended on the rows scored with it."""
    full = ae.score(X)
    for k in range(0, 40, 3):
        for length in (1, 2, 9, 100, 450 - k):
            np.testing.assert_array_equal(ae.score(X[k:k + length]), full[k:k + length])
    # across internal block boundaries (3072 rows): 7200 distinct real-like rows
    big = np.tile(X, (16, 1)) * (1 + 1e-3 * np.random.default_rng(0).normal(size=(7200, 1)))
    full = ae.score(big)
    for k in (1, 3071, 3072, 3073, 5000):
        for length in (1, 100, 3500):
            np.testing.assert_array_equal(ae.score(big[k:k + length]), full[k:k + length])


@ok()
def test_mc_dropout_passes_do_not_depend_on_the_batch(X: np.ndarray) -> None:
    det = make("mc_dropout", base="ae", passes=3, dropout=0.2, epochs=1, seed=0).fit(X)
    mean, std = det.score_with_uncertainty(X)
    for k, length in ((1, 5), (33, 200)):
        m, s = det.score_with_uncertainty(X[k:k + length])
        np.testing.assert_array_equal(m, mean[k:k + length])
        np.testing.assert_array_equal(s, std[k:k + length])
    assert (std > 0).all()


@ok()
def test_rows_repeated_many_times_score_identically(ae: Detector, X: np.ndarray) -> None:
    """7000 copies of one event (more than two internal blocks) all get its own score."""
    one = ae.score(X[17:18])
    np.testing.assert_array_equal(ae.score(np.repeat(X[17:18], 7000, axis=0)),
                                  np.repeat(one, 7000))


@err()
def test_ragged_training_list(X: np.ndarray) -> None:
    with pytest.raises(DataError, match=r"X cannot be read as a rectangular array .*pass an "
                                        r"\(n_events, n_features\) array"):
        make("mahalanobis").fit([[1.0, 2.0], [3.0]])
