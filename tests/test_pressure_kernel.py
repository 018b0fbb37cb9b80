"""Hand-computed pressure scenarios, the early-close session, and the itm_normal model
against scipy's normal CDF and an explicit EWMA."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pydantic import ValidationError
from scipy.stats import norm

from assets.common.calendar import EXCHANGE_TZ, minutes_to_close, session
from assets.common.config import PressureConfig, load_config
from assets.common.market_day import MarketDay
from assets.pressure.kernel import pressure_grid
from assets.pressure.probability import (
    ItmNormalProbability,
    SpecificationProbability,
    ewma_minute_volatility,
    probability_model,
)
from tests.support.pressure_fixtures import make_custom_day, make_day

# (label, minutes, distance, total OI, probability, pressure), every number by hand:
# probability = max(0.1, base - d / scale); pressure = OI * probability / max(1, m^2).
SCENARIOS = [
    ("early zone at the money", 100.0, 0.0, 2000.0, 0.2, 2000 * 0.2 / 10000),
    ("early zone, floor binds exactly at d=3", 100.0, 3.0, 2000.0, 0.1, 2000 * 0.1 / 10000),
    ("early zone, d=1.5", 200.0, 1.5, 2000.0, 0.15, 2000 * 0.15 / 40000),
    ("exactly 45 minutes is early warning", 45.0, 0.0, 2000.0, 0.2, 2000 * 0.2 / 2025),
    ("44 minutes is warning", 44.0, 0.0, 2000.0, 0.5, 2000 * 0.5 / 1936),
    ("warning zone, floor at d=8", 30.0, 8.0, 2000.0, 0.1, 2000 * 0.1 / 900),
    ("warning zone, beyond the floor", 30.0, 12.0, 2000.0, 0.1, 2000 * 0.1 / 900),
    ("exactly 15 minutes is warning", 15.0, 4.0, 2000.0, 0.3, 2000 * 0.3 / 225),
    ("14 minutes is crisis", 14.0, 4.0, 2000.0, 0.4, 2000 * 0.4 / 196),
    ("crisis zone, floor at d=7", 10.0, 7.0, 2000.0, 0.1, 2000 * 0.1 / 100),
    ("crisis zone, far strike on the floor", 10.0, 10.0, 2000.0, 0.1, 2000 * 0.1 / 100),
    ("exactly 1 minute: divisor 1", 1.0, 0.25, 2000.0, 0.775, 2000 * 0.775),
    ("half a minute: divisor max(1, 0.25) = 1", 0.5, 2.0, 2000.0, 0.6, 2000 * 0.6),
    ("last bar, zero minutes, on the strike", 0.0, 0.0, 2000.0, 0.8, 1600.0),
    ("no open interest", 5.0, 1.0, 0.0, 0.7, 0.0),
]


@pytest.mark.parametrize("label,minutes,distance,oi,prob,pressure", SCENARIOS,
                         ids=[s[0] for s in SCENARIOS])
def test_hand_computed_scenarios(label, minutes, distance, oi, prob, pressure):
    # Price above the strike for one half of the check, below for the other: the
    # distance is symmetric.
    for sign in (1.0, -1.0):
        day = make_custom_day([5000.0 + sign * distance], [minutes], strikes=[5000.0],
                              call_oi=[oi / 2], put_oi=[oi / 2])
        grid = pressure_grid(day, PressureConfig())
        assert grid.distance[0, 0] == pytest.approx(distance, abs=1e-12)
        assert grid.probability[0, 0] == pytest.approx(prob, rel=1e-12, abs=1e-15)
        assert grid.pressure[0, 0] == pytest.approx(pressure, rel=1e-12, abs=1e-15)
        assert grid.total_oi[0] == oi


def test_scenarios_as_one_grid_share_rows_independently():
    # The same scenarios stacked as the rows of one day give the same values: each
    # minute is computed on its own.
    day = make_custom_day([5000.0 + s[2] for s in SCENARIOS], [s[1] for s in SCENARIOS],
                          strikes=[5000.0], call_oi=[2000.0], put_oi=[0.0])
    grid = pressure_grid(day, PressureConfig())
    expected = [s[4] * 2000.0 / max(1.0, s[1] ** 2) for s in SCENARIOS]
    np.testing.assert_allclose(grid.pressure[:, 0], expected, rtol=1e-12)


def test_early_close_day_uses_the_real_13h_close():
    sess = session("2024-11-29")
    assert sess.is_early_close
    starts = sess.bar_starts()
    assert len(starts) == 210
    minutes = minutes_to_close(starts, sess.close)
    strikes = np.array([5995.0, 6000.0, 6005.0])
    close = np.full(210, 6002.0)
    day = MarketDay(sess.day, sess.open, sess.close,
                    starts.tz_convert("UTC").tz_localize(None).to_numpy(), close, close,
                    close, close, minutes, strikes, np.array([1000.0, 3000.0, 500.0]),
                    np.array([1000.0, 1000.0, 500.0]))
    grid = pressure_grid(day, PressureConfig())
    local = starts.tz_convert(EXCHANGE_TZ)
    at = {f"{t:%H:%M}": i for i, t in enumerate(local)}
    # Bar 12:45 ET ends at 12:46, 14 minutes before 13:00: crisis zone (a 16:00 close
    # would have put it at 194 minutes, the early-warning zone).
    i = at["12:45"]
    assert grid.minutes[i] == 14.0
    assert grid.probability[i, 1] == pytest.approx(0.8 - 2.0 / 10)
    assert grid.pressure[i, 1] == pytest.approx(4000 * 0.6 / 196)
    # 12:15 ET: 44 minutes left, warning zone; 12:14 ET: 45 minutes, early warning.
    assert grid.probability[at["12:15"], 1] == pytest.approx(0.5 - 2.0 / 20)
    assert grid.probability[at["12:14"], 1] == pytest.approx(0.2 - 2.0 / 30)
    # The last bar (12:59 ET) has 0 minutes left: divisor 1.
    assert f"{local[-1]:%H:%M}" == "12:59" and grid.minutes[-1] == 0.0
    assert grid.pressure[-1, 1] == pytest.approx(4000 * 0.6)


def test_grid_records_model_and_is_float64():
    day = make_day(3, n_strikes=20)
    grid = pressure_grid(day, PressureConfig())
    assert grid.model.describe()["name"] == "specification"
    for arr in (grid.distance, grid.probability, grid.pressure, grid.minutes, grid.total_oi):
        assert arr.dtype == np.float64
    assert grid.pressure.shape == (day.n_bars, 20)
    described = probability_model(PressureConfig(probability_model="itm_normal")).describe()
    assert described["name"] == "itm_normal"
    assert described["params"]["vol_halflife_minutes"] == 30.0
    assert described["params"]["vol_floor_annual"] == 0.05


# --------------------------------------------------------------------------- itm_normal
def explicit_ewma_sigma(close, halflife, floor_annual):
    """sigma per minute at each bar from returns of earlier bars, written out."""
    alpha = 1.0 - math.exp(-math.log(2.0) / halflife)
    returns = [math.log(close[i] / close[i - 1]) for i in range(1, len(close))]
    floor = floor_annual / math.sqrt(252 * 390)
    out = []
    for t in range(len(close)):
        usable = returns[: max(t - 1, 0)]  # r_i ends at bar i; only bars < t allowed
        if not usable:
            out.append(floor)
            continue
        weights = [(1 - alpha) ** (len(usable) - 1 - j) for j in range(len(usable))]
        var = sum(w * r * r for w, r in zip(weights, usable, strict=True)) / sum(weights)
        out.append(max(math.sqrt(var), floor))
    return np.array(out)


def test_ewma_volatility_matches_explicit_weights_and_floor():
    rng = np.random.default_rng(7)
    close = 5000 * np.exp(np.cumsum(rng.normal(0, 4e-4, 60)))
    close[10:20] = close[9]  # a flat stretch drives the EWMA toward the floor
    got = ewma_minute_volatility(close, halflife_minutes=5.0, floor_annual=0.08)
    np.testing.assert_allclose(got, explicit_ewma_sigma(close, 5.0, 0.08), rtol=1e-10)
    assert got[0] == got[1] == pytest.approx(0.08 / math.sqrt(252 * 390))


def test_itm_normal_matches_scipy_lognormal_itm_probability():
    day = make_day(21, n_strikes=40)
    cfg = PressureConfig(probability_model="itm_normal", vol_halflife_minutes=20.0)
    grid = pressure_grid(day, cfg)
    sigma = explicit_ewma_sigma(day.close, 20.0, cfg.vol_floor_annual)
    rng = np.random.default_rng(0)
    for t, k in zip(rng.integers(0, day.n_bars - 1, 40), rng.integers(0, 40, 40), strict=True):
        s_price, strike = day.close[t], day.strikes[k]
        tau_sigma = sigma[t] * math.sqrt(day.minutes_to_expiry[t])
        d2 = (math.log(s_price / strike) - 0.5 * tau_sigma ** 2) / tau_sigma
        # OTM call (strike at/above the price) finishes ITM with N(d2); OTM put N(-d2).
        expected = norm.cdf(d2) if strike >= s_price else norm.cdf(-d2)
        assert grid.probability[t, k] == pytest.approx(expected, rel=1e-9, abs=1e-300)
        assert grid.pressure[t, k] == pytest.approx(
            grid.total_oi[k] * expected / max(1.0, day.minutes_to_expiry[t] ** 2),
            rel=1e-9, abs=1e-300)


def test_itm_normal_shape_properties():
    model = ItmNormalProbability(vol_halflife_minutes=30.0, vol_floor_annual=0.15)
    strikes = np.arange(4950.0, 5051.0, 5.0)
    close = np.array([5000.0, 5000.0, 5000.0])
    minutes = np.array([120.0, 10.0, 0.0])
    dist = np.abs(close[:, None] - strikes[None, :])
    out = np.empty(dist.shape)
    model.fill(close, strikes, dist, minutes, out)
    atm = np.flatnonzero(strikes == 5000.0)[0]
    assert out[0, atm] == pytest.approx(0.5, abs=0.01)
    # Falls with distance on both sides; away from the money it rises with time left
    # (at the money N(d2) = Phi(-s/2) falls slightly with s, as it should).
    assert np.all(np.diff(out[0, atm:]) < 0) and np.all(np.diff(out[0, :atm + 1]) > 0)
    away = strikes != 5000.0
    assert np.all(out[0, away] > out[1, away])
    assert out[1, atm] > out[0, atm]
    # Last bar: certain outcome, 1 on the strike, 0 elsewhere.
    expected_last = (strikes == 5000.0).astype(float)
    np.testing.assert_array_equal(out[2], expected_last)


def test_specification_model_describe_lists_the_zones():
    described = SpecificationProbability().describe()
    assert described["name"] == "specification"
    zones = described["params"]["zones"]
    assert [z["base"] for z in zones] == [0.8, 0.5, 0.2]
    assert [z["distance_scale"] for z in zones] == [10.0, 20.0, 30.0]
    assert described["params"]["floor"] == 0.1
    with pytest.raises(ValueError, match="unknown probability model"):
        probability_model(PressureConfig.model_construct(probability_model="nope"))



def test_deprecated_model_name_seed_loads_as_specification(tmp_path):
    """Older config.json files and sweep grids say "seed"; they keep working, unchanged."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"pressure": {"probability_model": "seed"}}))
    assert load_config(path).pressure.probability_model == "specification"
    assert PressureConfig(probability_model="seed") == PressureConfig()
    assert probability_model(PressureConfig(probability_model="seed")).describe()["name"] \
        == "specification"


def test_unknown_model_name_is_refused_naming_it(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"pressure": {"probability_model": "seeds"}}))
    with pytest.raises(ValidationError, match="probability_model(.|\\n)*'seeds'"):
        load_config(path)
