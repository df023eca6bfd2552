"""The particle cap of the set representation, on real Pythia events."""

from __future__ import annotations

import numpy as np
import pytest

from sciood.data.eventset import EventSet
from sciood.errors import ConfigError
from sciood.represent.sets import DEFAULT_MAX_PARTICLES, particle_sets, truncated_fraction


def test_default_cap_is_at_least_100(small_dijet: EventSet) -> None:
    assert DEFAULT_MAX_PARTICLES >= 100
    assert particle_sets(small_dijet.select(np.arange(5))).shape == (5, 2, DEFAULT_MAX_PARTICLES, 4)


def test_mask_counts_real_particles_up_to_the_cap(small_dijet: EventSet) -> None:
    ev = small_dijet.select(np.arange(40))
    for cap in (30, 100):
        s = particle_sets(ev, max_particles=cap)
        for jet in (1, 2):
            n = ev.constituents(jet)[1].sum(1)
            np.testing.assert_array_equal(s[:, jet - 1, :, 3].sum(1), np.minimum(n, cap))
        # padded slots are all zero
        assert not s[..., :3][s[..., 3] == 0].any()


def test_larger_cap_keeps_the_smaller_cap_prefix(small_dijet: EventSet) -> None:
    ev = small_dijet.select(np.arange(40))
    big, small = particle_sets(ev, max_particles=100), particle_sets(ev, max_particles=30)
    # z is normalised to the kept particles, so compare the angles and the mask only
    np.testing.assert_array_equal(big[:, :, :30, 3], small[..., 3])
    untruncated = (big[:, :, 30:, 3].sum(2) == 0)
    np.testing.assert_allclose(big[:, :, :30][untruncated], small[untruncated], atol=1e-6)


def test_truncated_fraction_drops_with_the_cap(small_dijet: EventSet) -> None:
    f30, f100 = truncated_fraction(small_dijet, 30), truncated_fraction(small_dijet, 100)
    counts = np.concatenate([small_dijet.constituents(j)[1].sum(1) for j in (1, 2)])
    assert f30 == pytest.approx(float((counts > 30).mean()))
    assert f100 < f30
    assert truncated_fraction(small_dijet, int(counts.max())) == 0.0


def test_bad_cap_is_refused(small_dijet: EventSet) -> None:
    with pytest.raises(ConfigError, match="max_particles"):
        truncated_fraction(small_dijet, 0)
