"""HuntSettings: one typed, frozen, validated home of the hunt's settings and defaults.

``bump_hunt(settings=...)`` must give the same hunt as the keywords, a keyword that says
something else next to ``settings=`` must be refused, and the run configuration's
``statistics`` section must convert to the same settings (defaults from one place).
"""

from __future__ import annotations

import dataclasses
import inspect
import typing

import numpy as np
import pytest

from sciood.config import StatisticsConfig
from sciood.errors import DataError, UnknownNameError
from sciood.stats import MODELS, HuntSettings, bump_hunt, dijet_function
from sciood.stats.settings import DEFAULTS, METHODS

RANGE = (2600.0, 5000.0)


@pytest.fixture(scope="module")
def spectrum() -> tuple[np.ndarray, np.ndarray]:
    """20 000 dijet background events and a 400-event Gaussian bump at 3.5 TeV."""
    rng = np.random.default_rng(3)
    grid = np.linspace(*RANGE, 20001)
    pdf = dijet_function(grid, (0.0, 10.0, 5.0, 0.0))
    cdf = np.cumsum(pdf) / pdf.sum()
    bkg = np.interp(rng.random(20_000), cdf, grid)
    sig = rng.normal(3500.0, 175.0, 400)
    obs = np.concatenate([bkg, sig[(sig > RANGE[0]) & (sig < RANGE[1])]])
    truth = np.arange(obs.size) >= bkg.size
    return obs, truth


def test_settings_give_the_same_hunt_as_the_keywords(spectrum) -> None:
    obs, truth = spectrum
    kw = dict(mjj_range=RANGE, n_toys=0, model="dijet4", signal_rel_width=0.05)
    a = bump_hunt(obs, is_signal=truth, **kw)
    b = bump_hunt(obs, is_signal=truth, settings=HuntSettings(**kw))
    assert a.local_z_observed > 3.0  # the bump is found ...
    assert b.local_z_observed == a.local_z_observed  # ... identically
    np.testing.assert_array_equal(a.z_local_observed, b.z_local_observed)
    assert b.local_z_expected == a.local_z_expected
    c = bump_hunt(obs, is_signal=truth, settings=HuntSettings(**kw).replace(mjj_range=(2800.0,
                                                                                      5000.0)))
    assert c.windows[0, 0] >= 2800.0 > a.windows[0, 0]  # the settings are really used


def test_a_keyword_next_to_settings_is_a_conflict(spectrum) -> None:
    obs, _ = spectrum
    s = HuntSettings(mjj_range=RANGE, n_toys=0)
    with pytest.raises(TypeError, match="n_toys"):
        bump_hunt(obs, settings=s, n_toys=5)
    with pytest.raises(TypeError, match="mjj_range"):
        bump_hunt(obs, settings=s, mjj_range=(2700.0, 5000.0))
    with pytest.raises(TypeError, match="HuntSettings"):
        bump_hunt(obs, settings={"n_toys": 0})  # type: ignore[arg-type]


def test_bump_hunt_defaults_are_the_settings_defaults() -> None:
    params = inspect.signature(bump_hunt).parameters
    for f in dataclasses.fields(HuntSettings):
        assert params[f.name].kind is inspect.Parameter.KEYWORD_ONLY, f.name
        assert params[f.name].default == getattr(DEFAULTS, f.name), f.name


def test_settings_are_frozen_validated_and_normalised() -> None:
    s = HuntSettings(bins=np.geomspace(*RANGE, 11), windows=[(3000, 3300)], mjj_range=[1, 2])
    assert s.bins == tuple(np.geomspace(*RANGE, 11)) and isinstance(s.bins, tuple)
    assert s.windows == ((3000.0, 3300.0),) and s.mjj_range == (1.0, 2.0)
    assert hash(s) == hash(HuntSettings(**s.to_dict()))
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.n_toys = 3  # type: ignore[misc]
    with pytest.raises(UnknownNameError, match="signal-fit"):
        HuntSettings(method="sliding")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="dijet4"):
        HuntSettings(model="dijet6")  # type: ignore[arg-type]
    for bad in ({"n_toys": -1}, {"n_toys": True}, {"toy_rel_error": 1.0},
                {"window_rel_width": 0.0}, {"signal_rel_width": float("nan")},
                {"edge_bins": -1}, {"mask_pad_bins": -1}, {"luminosity": 0.0},
                {"sculpt_alpha": 1.0}, {"sculpt_z_threshold": float("inf")},
                {"cut_eff_b": 0.0}, {"cut_eff_b": 1.5}):
        with pytest.raises(DataError, match=next(iter(bad)).split("_")[0]):
            HuntSettings(**bad)


def test_settings_literals_match_the_registries() -> None:
    from sciood.stats.settings import Method, Model

    assert typing.get_args(Method) == METHODS == ("signal-fit", "masked-window")
    assert set(typing.get_args(Model)) == {"auto", *MODELS}


def test_config_section_converts_to_the_settings() -> None:
    cfg = StatisticsConfig()
    s = cfg.to_settings()
    assert isinstance(s, HuntSettings)
    # shared keys: the library defaults; the pipeline's own: cut, range and toy budget
    for key in ("toy_rel_error", "method", "model", "signal_rel_width", "seed"):
        assert getattr(cfg, key) == getattr(DEFAULTS, key) == getattr(s, key), key
    assert (s.cut_eff_b, s.mjj_range, s.n_toys) == (0.1, (2800.0, 6500.0), 200)
    assert s.luminosity is None  # the pipeline folds the luminosity into the weights
    custom = StatisticsConfig(toys=7, method="masked-window", model="dijet5", seed=3,
                              cut_eff_b=0.5, mjj_range=(3000.0, 6000.0)).to_settings()
    assert (custom.n_toys, custom.method, custom.model, custom.seed) == (
        7, "masked-window", "dijet5", 3)
    assert (custom.cut_eff_b, custom.mjj_range) == (0.5, (3000.0, 6000.0))
