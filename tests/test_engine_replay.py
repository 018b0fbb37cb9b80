"""Replay equals batch: every scored day of a multi-week planted-steering world, fed to the
engine one minute at a time, gives the batch run's alerts and trades field for field; the
events come out at their own bars, and bars the replay has not reached change nothing it
has printed (the no-lookahead property, the strong way).

The oracle is the in-memory batch engine (`run_engine`): every day at once, every bar seen.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from assets.common.market_day import MarketDay
from assets.engine.replay import Opening, last_bar_at, opening, replay_day
from assets.engine.replay_events import summary
from assets.trading.simulator import new_tracker
from tests.support.replay_world import END, START, replay_world


@pytest.fixture(scope="module")
def world():
    w = replay_world(START, END)
    replays = {d: replay_day(w.market[d], w.agg.procedure,
                             opening(w.units.candidates, w.n_bars, d, w.cfg.trading))
               for d in w.agg.scored_days}
    return w.market, w.cfg, w.agg, w.units, w.n_bars, replays


def _local(trades: pd.DataFrame, agg, day) -> np.ndarray:
    start = agg.tape.day_start[agg.tape.day_position(day)]
    return trades["entry_index"].to_numpy() - start, trades["exit_index"].to_numpy() - start


def test_every_scored_day_replays_to_the_batch_alerts_and_trades(world):
    market, cfg, agg, _, _, replays = world
    assert len(agg.scored_days) == 31
    for day, replay in replays.items():
        alerts = agg.alerts[agg.alerts["quote_date"] == day].reset_index(drop=True)
        pd.testing.assert_frame_equal(replay.alerts, alerts, obj=f"alerts of {day}")
        trades = agg.trades[agg.trades["quote_date"] == day].reset_index(drop=True)
        pd.testing.assert_frame_equal(replay.trades, trades, obj=f"trades of {day}")
        assert replay.open_trades.empty
    # Not vacuous: the world trades on most scored days, and sizing uses earlier days.
    scored = agg.trades[~agg.trades["is_calibration"]]
    assert len(scored) >= 30 and scored["quote_date"].nunique() >= 15
    assert scored["recent_accuracy"].nunique() > 3


def test_the_open_carries_the_earlier_days_sizing_state(world):
    # Started from a blank sizing state, some day trades differently: the state of the
    # open is needed, and the equality above would catch its absence.
    market, cfg, agg, units, n_bars, replays = world
    differs = 0
    for day in agg.scored_days:
        real = opening(units.candidates, n_bars, day, cfg.trading)
        blank = Opening(new_tracker(cfg.trading).settled(), real.offset)
        a, b = replay_day(market[day], agg.procedure, blank).trades, replays[day].trades
        differs += (len(a) != len(b)) or not np.array_equal(a["size"], b["size"])
        if differs:
            break
    assert differs > 0


def _minute_positions(events: list[dict]) -> dict[int, int]:
    return {e["bar_index"]: i for i, e in enumerate(events) if e["event"] == "minute"}


def test_events_appear_at_their_own_bars(world):
    market, _, agg, _, _, replays = world
    for day, replay in replays.items():
        events = replay.events
        minute_at = _minute_positions(events)
        assert sorted(minute_at) == list(range(market[day].n_bars))

        def bar_of(position: int, minute_at=minute_at) -> int:  # the minute it came in
            return min(b for b, i in minute_at.items() if i > position)

        entries = {e["alert_id"]: bar_of(i) for i, e in enumerate(events)
                   if e["event"] == "entry"}
        exits = {e["alert_id"]: bar_of(i) for i, e in enumerate(events) if e["event"] == "exit"}
        entry_bar, exit_bar = _local(replay.trades, agg, day)
        for k, alert in enumerate(replay.trades["alert_id"]):
            assert entries[alert] == entry_bar[k] and exits[alert] == exit_bar[k]
        for i, e in enumerate(events):
            if e["event"] == "alert":
                assert bar_of(i) == e["bar_index"]
        assert set(entries) == set(exits) == set(replay.trades["alert_id"])


def _poisoned(day: MarketDay, after: int, rng: np.random.Generator) -> MarketDay:
    """The same day with every bar after `after` replaced by a different path."""
    def change(x: np.ndarray, shift: np.ndarray) -> np.ndarray:
        out = np.array(x, dtype=float)
        out[after + 1:] += shift
        return out

    shift = np.cumsum(rng.normal(0.0, 3.0, day.n_bars - after - 1)) + 40.0
    return MarketDay(day.quote_date, day.session_open, day.session_close, day.ts,
                     change(day.open, shift), change(day.high, shift + 2.0),
                     change(day.low, shift - 2.0), change(day.close, shift),
                     day.minutes_to_expiry, day.strikes, day.call_oi, day.put_oi)


def _without_latency(events: list[dict]) -> list[str]:
    return [json.dumps({k: v for k, v in e.items() if k != "latency_ms"}, sort_keys=True)
            for e in events]


def test_bars_not_yet_fed_change_nothing_already_printed(world):
    market, cfg, agg, units, n_bars, replays = world
    rng = np.random.default_rng(5)
    checked = 0
    for day, replay in replays.items():
        if replay.trades.empty:
            continue
        entry, exit_ = _local(replay.trades, agg, day)
        u = int((entry[-1] + exit_[-1]) // 2)  # inside the day's last trade, when possible
        other = replay_day(_poisoned(market[day], u, rng), agg.procedure,
                           opening(units.candidates, n_bars, day, cfg.trading))
        cut = _minute_positions(replay.events)[u] + 1
        assert _without_latency(other.events[:cut]) == _without_latency(replay.events[:cut])
        assert _without_latency(other.events) != _without_latency(replay.events)
        checked += 1
        if checked == 4:
            break
    assert checked == 4


def test_until_stops_the_feed_and_reports_open_positions(world):
    market, cfg, agg, units, n_bars, replays = world
    day = next(d for d, r in replays.items() if len(r.trades))
    entry, exit_ = _local(replays[day].trades, agg, day)
    if exit_[0] > entry[0]:
        stop = int(entry[0])
    else:
        pytest.skip("the day's first trade exits on its entry bar")
    part = replay_day(market[day], agg.procedure,
                      opening(units.candidates, n_bars, day, cfg.trading), last_bar=stop)
    assert part.latency_ms.size == stop + 1
    assert list(part.open_trades["alert_id"]) == [replays[day].trades["alert_id"].iloc[0]]
    # what was known at the entry is the final trade's; its exit is not known yet
    held, final = part.open_trades.iloc[0], replays[day].trades.iloc[0]
    for column in ("entry_ts", "entry_index", "entry_price", "size", "recent_accuracy",
                   "stop_price", "target_price"):
        assert held[column] == final[column], column
    assert np.isnan(held["exit_price"]) and held["exit_reason"] is None
    assert part.trades.empty or part.trades["exit_index"].max() < exit_[0] + \
        agg.tape.day_start[agg.tape.day_position(day)]
    s = summary(part)
    assert s["open_trades"] == 1 and s["minutes"] == stop + 1
    assert set(s["latency_ms"]) == {"p50", "p99", "max"}
    assert s["latency_ms"]["p50"] <= s["latency_ms"]["p99"] <= s["latency_ms"]["max"]


def test_last_bar_at_reads_exchange_time(world):
    market, *_ = world
    day = market[dt.date(2024, 3, 1)]
    assert last_bar_at(day, dt.time(9, 29)) == -1
    assert last_bar_at(day, dt.time(9, 30)) == 0
    assert last_bar_at(day, dt.time(15, 0)) == 330
    assert last_bar_at(day, dt.time(20, 0)) == day.n_bars - 1
