"""The synthetic market: determinism, the landing contract, plausible volatility, and a
planted steering/pinning effect measured with an independent statistic (not the lab's engine).
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pandas_market_calendars as mcal
import pytest
from scipy import stats

from assets.synthetic_market import CHAIN_COLUMNS, generate_market, write_landing
from assets.synthetic_market.price_paths import SteeringForce, simulate_path

BAR_COLUMNS = ["symbol", "ts", "open", "high", "low", "close", "volume"]
QUARTER = ("2024-01-01", "2024-03-31")
STEER_SEEDS = (0, 1)


def _days(*args, **kwargs):
    return list(generate_market(*args, **kwargs))


@pytest.fixture(scope="module")
def worlds() -> dict[tuple[str, int], list]:
    return {(s, seed): _days(*QUARTER, scenario=s, seed=seed)
            for s in ("null", "steer", "pin") for seed in STEER_SEEDS}


@pytest.fixture(scope="module")
def late_2024():
    return _days("2024-11-01", "2024-12-31", scenario="steer", seed=7)


# ---------------------------------------------------------------- determinism

def test_same_seed_gives_identical_frames():
    a = _days("2024-03-01", "2024-03-15", scenario="steer", seed=11)
    b = _days("2024-03-01", "2024-03-15", scenario="steer", seed=11)
    assert [d.day for d in a] == [d.day for d in b]
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.chains, y.chains)
        pd.testing.assert_frame_equal(x.bars, y.bars)


def test_different_seed_gives_different_frames():
    a = _days("2024-03-01", "2024-03-08", seed=1)
    b = _days("2024-03-01", "2024-03-08", seed=2)
    assert not np.allclose(a[0].bars["close"], b[0].bars["close"])
    assert not a[0].chains["open_interest"].equals(b[0].chains["open_interest"])


def test_zero_strength_steer_is_the_null_world():
    null = _days("2024-05-01", "2024-05-10", scenario="null", seed=3)
    zero = _days("2024-05-01", "2024-05-10", scenario="steer", seed=3, strength=0.0)
    for x, y in zip(null, zero, strict=True):
        pd.testing.assert_frame_equal(x.bars, y.bars)
        pd.testing.assert_frame_equal(x.chains, y.chains)


def test_worlds_share_noise_and_differ_only_late(worlds):
    null, steer = worlds[("null", 0)], worlds[("steer", 0)]
    # Day one starts from the same close: same chain, same bars until the force switches on.
    pd.testing.assert_frame_equal(null[0].chains, steer[0].chains)
    n = len(null[0].bars)
    pd.testing.assert_frame_equal(null[0].bars.iloc[: n - 120], steer[0].bars.iloc[: n - 120])
    assert not np.allclose(null[0].bars["close"].iloc[-30:], steer[0].bars["close"].iloc[-30:])
    # Every later day: same log returns before the steering horizon (levels may differ).
    for x, y in zip(null, steer, strict=True):
        early = slice(0, len(x.bars) - 121)
        rx = np.diff(np.log(x.bars["close"].to_numpy()[early]))
        ry = np.diff(np.log(y.bars["close"].to_numpy()[early]))
        np.testing.assert_allclose(rx, ry, atol=5e-6)


def test_invalid_arguments_raise():
    with pytest.raises(ValueError):
        generate_market("2024-01-02", "2024-01-05", scenario="sideways")
    with pytest.raises(ValueError):
        generate_market("2024-01-02", "2024-01-05", scenario="steer", strength=-1.0)
    with pytest.raises(ValueError):
        generate_market("2024-01-02", "2024-01-05", seed=-3)


# ---------------------------------------------------------------- bars

def test_bars_cover_the_real_session(late_2024):
    sched = mcal.get_calendar("XNYS").schedule(start_date="2024-11-01", end_date="2024-12-31")
    assert [d.day for d in late_2024] == [ts.date() for ts in sched.index]  # spxw: every session
    by_day = {ts.date(): row for ts, row in sched.iterrows()}
    for d in late_2024:
        bars = d.bars
        assert list(bars.columns) == BAR_COLUMNS
        ts = pd.DatetimeIndex(bars["ts"])
        assert str(ts.tz) == "UTC"
        row = by_day[d.day]
        assert ts[0] == row["market_open"]
        assert ts[-1] == row["market_close"] - pd.Timedelta(minutes=1)
        assert len(ts) == (row["market_close"] - row["market_open"]) / pd.Timedelta(minutes=1)
        assert (np.diff(ts.asi8) > 0).all()
    early = {d.day: len(d.bars) for d in late_2024}
    assert early[dt.date(2024, 11, 29)] == 210
    assert early[dt.date(2024, 12, 24)] == 210
    assert early[dt.date(2024, 11, 27)] == 390


def test_ohlc_consistent_and_rounded(late_2024):
    for d in late_2024:
        b = d.bars
        assert (b[["open", "high", "low", "close"]] > 0).all().all()
        assert (b["high"] >= b[["open", "close"]].max(axis=1)).all()
        assert (b[["open", "close"]].min(axis=1) >= b["low"]).all()
        cents = b[["open", "high", "low", "close"]].to_numpy() * 100
        np.testing.assert_allclose(cents, np.round(cents), atol=1e-6)
        assert b["volume"].dtype.kind == "i" and (b["volume"] >= 0).all()


@pytest.mark.parametrize("rule", ["mwf", "spxw"])
def test_files_of_expiration_days_are_the_sessions_of_the_daily_world(rule):
    """Every session is simulated, files are written for expiration days only: in a null
    world of one seed, the Mon/Wed/Fri files of 2016 are exactly the daily world's."""
    every = {d.day: d for d in _days("2016-02-01", "2016-03-31", seed=3, rule="daily")}
    some = _days("2016-02-01", "2016-03-31", seed=3, rule=rule)
    assert [d.day for d in some] == [d for d in every if d.weekday() in (0, 2, 4)]
    for d in some:
        pd.testing.assert_frame_equal(d.bars, every[d.day].bars)
        pd.testing.assert_frame_equal(d.chains, every[d.day].chains)


def test_each_chain_is_built_on_the_previous_sessions_close():
    """Wednesday's chain carries Tuesday's close (a session without a file), not Monday's:
    the previous session from the exchange's own schedule, its close from the daily world."""
    sched = mcal.get_calendar("XNYS").schedule(start_date="2016-01-04", end_date="2016-03-31")
    previous = dict(zip([t.date() for t in sched.index[1:]], [t.date() for t in sched.index],
                        strict=False))
    closes = {d.day: d.bars["close"].iloc[-1]
              for d in _days("2016-01-04", "2016-03-31", seed=3, rule="daily")}
    some = _days("2016-01-04", "2016-03-31", seed=3, rule="mwf")
    for d in some[1:]:
        assert d.chains["underlying_price"].iloc[0] == pytest.approx(
            closes[previous[d.day]], abs=1e-9)
    wednesday = next(d for d in some if d.day.weekday() == 2)
    monday = next(d for d in some if d.day == wednesday.day - dt.timedelta(days=2))
    assert wednesday.chains["underlying_price"].iloc[0] != monday.bars["close"].iloc[-1]


def test_same_seed_gives_identical_files_in_the_mon_wed_fri_era(tmp_path):
    a = write_landing(tmp_path / "a", _days("2016-05-02", "2016-05-31", scenario="steer",
                                           seed=3))
    b = write_landing(tmp_path / "b", _days("2016-05-02", "2016-05-31", scenario="steer",
                                           seed=3))
    # 12 Mon/Wed/Fri sessions (Memorial Day, Monday 2016-05-30, is closed), two files each
    assert [p.name for p in a] == [p.name for p in b] and len(a) == 2 * 12
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))


def test_expiration_rule_mwf_keeps_mon_wed_fri():
    days = [d.day for d in generate_market("2024-06-03", "2024-06-16", rule="mwf")]
    assert days and all(day.weekday() in (0, 2, 4) for day in days)
    assert dt.date(2024, 6, 4) not in days


def test_null_volatility_is_plausible_and_u_shaped(worlds):
    null = worlds[("null", 0)] + worlds[("null", 1)]
    rets = [np.diff(np.log(d.bars["close"].to_numpy())) for d in null]
    minute_vol = np.concatenate(rets).std(ddof=1) * np.sqrt(252 * 390)
    assert 0.08 < minute_vol < 0.22
    closes = np.array([d.bars["close"].iloc[-1] for d in worlds[("null", 0)]])
    daily_vol = np.diff(np.log(closes)).std(ddof=1) * np.sqrt(252)
    assert 0.07 < daily_vol < 0.3
    regular = np.array([np.abs(r) for r in rets if r.size == 389])
    open_half_hour = regular[:, :30].mean()
    midday = regular[:, 150:240].mean()
    last_half_hour = regular[:, -30:].mean()
    assert open_half_hour > 1.3 * midday
    assert last_half_hour > midday
    # overnight gaps exist
    gaps = [abs(b.bars["open"].iloc[0] - a.bars["close"].iloc[-1])
            for a, b in zip(null, null[1:], strict=False)]
    assert np.median(gaps) > 0.5


# ---------------------------------------------------------------- chains

def test_chains_obey_the_contract(late_2024):
    prev_close = None
    for d in late_2024:
        c = d.chains
        assert list(c.columns) == list(CHAIN_COLUMNS)
        assert (c["quote_date"] == d.day).all() and (c["expiration"] == d.day).all()
        assert set(c["root"]) == {"SPXW"} and set(c["underlying"]) == {"SPX"}
        assert set(c["option_type"]) == {"C", "P"}
        assert np.allclose(np.remainder(c["strike"], 5.0), 0.0)
        assert c["open_interest"].dtype.kind == "i" and (c["open_interest"] >= 0).all()
        assert not c.duplicated(["expiration", "strike", "option_type"]).any()
        spot = c["underlying_price"].iloc[0]
        assert c["strike"].min() <= 0.94 * spot and c["strike"].max() >= 1.06 * spot
        assert (c["bid"] <= c["ask"]).all() and (c["bid"] >= 0).all()
        assert c["implied_volatility"].between(0.01, 3.0).all()
        # OI is the pre-open snapshot: built around the previous session's close.
        if prev_close is not None:
            assert spot == pytest.approx(prev_close, abs=1e-9)
        prev_close = d.bars["close"].iloc[-1]


def test_oi_shape_round_strikes_and_call_put_skew(late_2024):
    round_ratio, calls_above, puts_below, totals = [], [], [], []
    for d in late_2024:
        c = d.chains
        spot = c["underlying_price"].iloc[0]
        total = c.groupby("strike")["open_interest"].sum()
        totals.append(total.to_numpy())
        near = total[(total.index - spot).__abs__() <= 0.03 * spot]
        is_round = np.remainder(near.index, 25.0) == 0
        round_ratio.append(near[is_round].mean() / near[~is_round].mean())
        piv = c.pivot(index="strike", columns="option_type", values="open_interest")
        above, below = piv[piv.index > spot + 10], piv[piv.index < spot - 10]
        calls_above.append(above["C"].sum() > above["P"].sum())
        puts_below.append(below["P"].sum() > below["C"].sum())
    assert np.mean(round_ratio) > 1.5
    assert all(calls_above) and all(puts_below)
    allt = np.concatenate(totals)
    assert allt.min() < 300 and allt.max() > 10_000


# ---------------------------------------------------------------- planted effect

def _away_moves(days, last: int = 45, near: float = 10.0, top: float = 0.8) -> np.ndarray:
    """Signed next-minute moves relative to the nearest heavy strike in the last `last` minutes.

    Heavy strikes: the top 20 % by call+put OI among strikes within 100 points of the
    chain's pre-open reference price. For each late minute t with the close within `near`
    points of its nearest heavy strike K: sign(close_t - K) * (close_{t+1} - close_t),
    positive when the price moves away from K. A martingale gives mean zero.
    """
    out = []
    for d in days:
        close = d.bars["close"].to_numpy()
        total = d.chains.groupby("strike")["open_interest"].sum()
        k, w = total.index.to_numpy(), total.to_numpy()
        spot = d.chains["underlying_price"].iloc[0]
        local = np.abs(k - spot) <= 100
        heavy = k[local & (w >= np.quantile(w[local], top))]
        t = np.arange(close.size - last - 1, close.size - 1)
        p, move = close[t], close[t + 1] - close[t]
        nearest = heavy[np.abs(p[:, None] - heavy[None, :]).argmin(axis=1)]
        dist = p - nearest
        keep = (np.abs(dist) <= near) & (dist != 0)
        out.append(np.sign(dist[keep]) * move[keep])
    return np.concatenate(out)


def _pooled(worlds, scenario):
    return np.concatenate([_away_moves(worlds[(scenario, s)]) for s in STEER_SEEDS])


def test_steer_world_moves_away_from_heavy_strikes(worlds):
    steer, null = _pooled(worlds, "steer"), _pooled(worlds, "null")
    res = stats.ttest_ind(steer, null, equal_var=False, alternative="greater")
    assert res.pvalue < 0.01
    assert steer.mean() > 0.05  # points per minute, away from the strike
    # the null world shows no such drift
    assert stats.ttest_1samp(null, 0.0).pvalue > 0.001


def test_pin_world_moves_toward_heavy_strikes(worlds):
    pin, null = _pooled(worlds, "pin"), _pooled(worlds, "null")
    res = stats.ttest_ind(pin, null, equal_var=False, alternative="less")
    assert res.pvalue < 0.01
    assert pin.mean() < -0.05


def test_stronger_steering_moves_further():
    weak = _days(*QUARTER, scenario="steer", seed=5, strength=0.5)
    strong = _days(*QUARTER, scenario="steer", seed=5, strength=4.0)
    assert _away_moves(strong).mean() > _away_moves(weak).mean()


def test_force_hand_computed_step_and_ramp():
    # No noise, one strike of 10,000 contracts (weight 1) at 5000, price 5 points above:
    # phi(1) = 1, 60 minutes left -> urgency (1 - 60/120)^2 = 0.25, 10 sub-steps per minute.
    force = SteeringForce(np.array([4995.0, 5000.0, 5005.0]), np.array([0.0, 1.0, 0.0]))
    minutes = 60
    tau = minutes - np.arange(minutes * 10) / 10
    urg = np.clip(1 - tau / 120, 0, 1) ** 2
    zero = np.zeros(minutes * 10)
    away = simulate_path(5005.0, zero, urg / 10, force)
    toward = simulate_path(5005.0, zero, -urg / 10, force)
    assert away[1] - away[0] == pytest.approx(0.25 / 10, rel=1e-3)
    assert toward[1] - toward[0] == pytest.approx(-0.25 / 10, rel=1e-3)
    assert (np.diff(away) > 0).all() and away[-1] > 5010
    assert abs(toward[-1] - 5000.0) < 0.5
    # no force -> no move, and the grid table matches the direct formula
    assert np.all(simulate_path(5005.0, zero, zero, force) == 5005.0)
    origin, step, values = force.table(4980.0, 5020.0)
    grid = origin + step * np.arange(values.size)
    x = (grid - 5000.0) / 5.0
    np.testing.assert_allclose(values, x * np.exp(0.5 * (1 - x * x)), atol=1e-9)


# ---------------------------------------------------------------- landing files

def test_write_landing_csv_roundtrip(tmp_path):
    days = _days("2024-11-27", "2024-11-29", scenario="pin", seed=4)
    paths = write_landing(tmp_path, days)
    names = sorted(p.relative_to(tmp_path).as_posix() for p in paths)
    assert names == ["bars/2024-11-27.csv", "bars/2024-11-29.csv",
                     "chains/2024-11-27.csv", "chains/2024-11-29.csv"]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no temp files left
    bars = pd.read_csv(tmp_path / "bars/2024-11-29.csv")
    assert len(bars) == 210
    assert bars["ts"].iloc[0] == "2024-11-29T14:30:00+00:00"
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:00\+00:00", s) for s in bars["ts"])
    pd.testing.assert_series_equal(pd.to_datetime(bars["ts"]), days[1].bars["ts"],
                                   check_dtype=False)
    np.testing.assert_allclose(bars["close"], days[1].bars["close"])
    chains = pd.read_csv(tmp_path / "chains/2024-11-29.csv")
    assert list(chains.columns) == list(CHAIN_COLUMNS)
    assert (chains["quote_date"] == "2024-11-29").all()
    np.testing.assert_array_equal(chains["open_interest"], days[1].chains["open_interest"])
    # rewriting replaces files in place
    assert write_landing(tmp_path, days[:1]) == paths[:2]


def test_write_landing_parquet_roundtrip(tmp_path):
    days = _days("2024-07-01", "2024-07-02", seed=9)
    paths = write_landing(tmp_path, days, fmt="parquet")
    assert {p.suffix for p in paths} == {".parquet"}
    back = pd.read_parquet(tmp_path / "bars/2024-07-01.parquet")
    pd.testing.assert_frame_equal(back, days[0].bars, check_dtype=False)
    chains = pd.read_parquet(tmp_path / "chains/2024-07-01.parquet")
    np.testing.assert_array_equal(chains["strike"], days[0].chains["strike"])
    with pytest.raises(ValueError):
        write_landing(tmp_path, days, fmt="xlsx")
