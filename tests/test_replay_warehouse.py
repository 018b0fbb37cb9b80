"""`pressure-lab replay` over a warehouse: every scored day replayed from the stored
procedure and the earlier days' stored candidates gives the warehouse's own
`pressure.alerts` and `trading.trades` rows, field for field; the command prints them as
JSON lines and fails clearly on a day it cannot replay.

The warehouse is written straight from in-memory days by the engine's functions
(tests/support/warehouse_world.py); test_replay_e2e.py does the same after a real run.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assets.common import tables
from assets.common.warehouse_io import read_table
from assets.engine.replay import replay_day
from assets.engine.replay_events import summary
from assets.engine.replay_inputs import NotReplayable, replay_inputs
from tests.support.lab_env import child_environment
from tests.support.warehouse_world import build_world, comparable

CLI = str(Path(sys.executable).with_name("pressure-lab"))


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return build_world(tmp_path_factory.mktemp("replay") / "home")


def _cli(world, tmp_path, *args) -> subprocess.CompletedProcess:
    user = tmp_path / "user"
    user.mkdir(exist_ok=True)
    return subprocess.run([CLI, "replay", *args], env=child_environment(world.home, user),
                          cwd=user, capture_output=True, text=True, timeout=300)


def stored(conn, table: str, day: dt.date, order: str) -> pd.DataFrame:
    return read_table(conn, table, where="quote_date = ?", params=[day], order=order)


def test_every_scored_day_replays_to_the_stored_alerts_and_trades(world):
    with world.connect() as conn:
        scored = [d for d, c in conn.execute(
            f"select quote_date, is_calibration from {tables.ENGINE_UNITS} order by 1"
        ).fetchall() if not c]
        assert len(scored) == 8
        n_trades = 0
        for day in scored:
            market_day, proc, start = replay_inputs(conn, world.cfg, day)
            replay = replay_day(market_day, proc, start)
            alerts = stored(conn, tables.ALERTS, day, "bar_index")
            trades = stored(conn, tables.TRADES, day, "entry_index")
            pd.testing.assert_frame_equal(comparable(replay.alerts), comparable(alerts),
                                          check_dtype=False, obj=f"alerts of {day}")
            pd.testing.assert_frame_equal(comparable(replay.trades), comparable(trades),
                                          check_dtype=False, obj=f"trades of {day}")
            n_trades += len(trades)
    assert n_trades >= 8


def test_a_day_the_warehouse_cannot_replay_is_refused_with_the_days_it_can(world):
    with world.connect() as conn:
        with pytest.raises(NotReplayable, match="was not ingested.*2024-01-09"):
            replay_inputs(conn, world.cfg, dt.date(2024, 1, 6))
        with pytest.raises(NotReplayable, match="calibration day.*never scored"):
            replay_inputs(conn, world.cfg, dt.date(2024, 1, 3))
        other = world.cfg.model_copy(update={"trading": world.cfg.trading.model_copy(
            update={"max_size": 2.0})})
        with pytest.raises(NotReplayable, match="another config"):
            replay_inputs(conn, other, dt.date(2024, 1, 16))


def test_the_command_prints_the_stored_alerts_and_trades_as_json_lines(world, tmp_path):
    day = dt.date(2024, 1, 16)
    out = _cli(world, tmp_path, day.isoformat(), "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert {e["event"] for e in lines} == {"alert", "entry", "exit", "minute", "summary"}
    with world.connect() as conn:
        alerts = stored(conn, tables.ALERTS, day, "bar_index")
        trades = stored(conn, tables.TRADES, day, "entry_index")
    got = [e for e in lines if e["event"] == "alert"]
    assert [e["alert_id"] for e in got] == list(alerts["alert_id"])
    for e, (_, row) in zip(got, alerts.iterrows(), strict=True):
        assert pd.Timestamp(e["time"]) == row["ts"]
        assert (e["strike"], e["class"], e["direction"], e["pressure"], e["confidence"]) == (
            row["strike"], row["urgency"], row["direction_label"], row["pressure"],
            row["confidence"])
    exits = [e for e in lines if e["event"] == "exit"]
    assert [e["alert_id"] for e in exits] == list(trades["alert_id"])
    assert [e["pnl_dollars"] for e in exits] == list(trades["pnl_dollars"])
    assert [pd.Timestamp(e["time"]) for e in exits] == list(trades["exit_ts"])
    minutes = [e for e in lines if e["event"] == "minute"]
    assert len(minutes) == 390 and all(e["latency_ms"] > 0 for e in minutes)
    final = lines[-1]
    assert final["event"] == "summary" and final["trades"] == len(trades)
    assert final["latency_ms"]["p99"] == pytest.approx(
        np.percentile([e["latency_ms"] for e in minutes], 99))


def test_the_command_fails_clearly_and_stops_where_asked(world, tmp_path):
    missing = _cli(world, tmp_path, "2024-01-06")
    assert missing.returncode == 2 and "was not ingested" in missing.stderr
    assert ("days that can be replayed: 2024-01-09, 2024-01-10, 2024-01-11, 2024-01-12, "
            "2024-01-16, 2024-01-17, 2024-01-18, 2024-01-19") in missing.stderr
    calibration = _cli(world, tmp_path, "2024-01-03")
    assert calibration.returncode == 2 and "calibration day" in calibration.stderr
    part = _cli(world, tmp_path, "2024-01-16", "--until", "10:29")
    assert part.returncode == 0, part.stderr[-2000:]
    assert "summary 2024-01-16: 60 minutes fed" in part.stdout
    assert "latency per minute: p50" in part.stdout


def test_summary_counts_what_the_replay_saw(world):
    with world.connect() as conn:
        market_day, proc, start = replay_inputs(conn, world.cfg, dt.date(2024, 1, 19))
    replay = replay_day(market_day, proc, start)
    s = summary(replay)
    assert s["alerts"] == len(replay.alerts) == sum(s["alerts_by_class"].values())
    assert s["trades"] == len(replay.trades)
    assert s["pnl_dollars"] == pytest.approx(replay.trades["pnl_dollars"].sum())
