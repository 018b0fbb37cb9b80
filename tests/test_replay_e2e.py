"""After a real `pressure-lab run` on a planted-steering world (the end-to-end world:
`steer`, strength 3, seed 11, 2024-01-02 .. 2024-03-28, 30 calibration + 31 scored days):
every scored day replayed minute by minute equals the run's `pressure.alerts` and
`trading.trades` rows; `pressure-lab replay --json` prints the run's alerts; every day has
its page, the report links them, and each `pressure_series` partition carries its own
summary in the Dagster instance."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from assets.common import tables
from assets.common.config import LabConfig
from assets.common.warehouse_io import read_table
from assets.engine.replay import replay_day
from assets.engine.replay_inputs import replay_inputs
from tests.support.lab_env import child_environment, lab_environment, scoped_environ
from tests.support.warehouse_world import comparable

pytestmark = pytest.mark.slow
CLI = str(Path(sys.executable).with_name("pressure-lab"))


def _cli(home: Path, user: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], env=child_environment(home, user), cwd=user,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def run_home(tmp_path_factory):
    home, user = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("user")
    synth = _cli(home, user, "synth", "--scenario", "steer", "--strength", "3", "--seed", "11",
                 "--start", "2024-01-02", "--end", "2024-03-28")
    assert synth.returncode == 0, synth.stderr
    run = _cli(home, user, "run")
    assert run.returncode == 0, run.stderr[-3000:]
    return home, user


def _connect(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "warehouse.duckdb"), read_only=True)


def _scored(conn) -> list[dt.date]:
    return [r[0] for r in conn.execute(f"select quote_date from {tables.ENGINE_UNITS} "
                                       "where not is_calibration order by 1").fetchall()]


def test_every_scored_day_replays_to_the_runs_alerts_and_trades(run_home):
    home, _ = run_home
    cfg = LabConfig()
    with _connect(home) as conn:
        scored = _scored(conn)
        assert len(scored) == 31
        trades_seen = 0
        for day in scored:
            market_day, proc, start = replay_inputs(conn, cfg, day)
            replay = replay_day(market_day, proc, start)
            for table, got, order in ((tables.ALERTS, replay.alerts, "bar_index"),
                                      (tables.TRADES, replay.trades, "entry_index")):
                want = read_table(conn, table, where="quote_date = ?", params=[day],
                                  order=order)
                pd.testing.assert_frame_equal(comparable(got), comparable(want),
                                              check_dtype=False, obj=f"{table} of {day}")
            trades_seen += len(replay.trades)
    assert trades_seen >= 30


def test_the_command_prints_the_runs_alerts_for_the_day(run_home):
    home, user = run_home
    day = "2024-03-15"
    out = _cli(home, user, "replay", day, "--json")
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    with _connect(home) as conn:
        alerts = read_table(conn, tables.ALERTS, where="quote_date = ?",
                            params=[dt.date.fromisoformat(day)], order="bar_index")
    got = [(e["alert_id"], pd.Timestamp(e["time"]), e["strike"], e["class"], e["direction"],
            e["pressure"], e["confidence"]) for e in lines if e["event"] == "alert"]
    assert got == list(zip(alerts["alert_id"], alerts["ts"], alerts["strike"],
                           alerts["urgency"], alerts["direction_label"], alerts["pressure"],
                           alerts["confidence"], strict=True))
    assert len(got) > 0
    latency = lines[-1]["latency_ms"]
    assert lines[-1]["event"] == "summary" and latency["p50"] <= latency["p99"] <= latency["max"]


def test_every_day_has_its_page_and_the_report_links_them(run_home):
    home, _ = run_home
    evidence = home / "evidence"
    with _connect(home) as conn:
        flags = dict(conn.execute(f"select quote_date, is_calibration from "
                                  f"{tables.ENGINE_UNITS}").fetchall())
    assert len(flags) == 61
    for day, calibration in flags.items():
        html = (evidence / "days" / f"{day}.html").read_text()
        assert html.count('<img src="data:image/svg+xml;base64,') == 1
        assert ('id="calibration-label"' in html) is calibration
    report = (evidence / "report.html").read_text()
    for table_id in ("days-strongest", "days-wins", "days-losses"):
        assert f'id="{table_id}"' in report
    links = {h.split("#")[0] for h in pd.Series(report.split('href="'))[1:].str.split('"').str[0]
             if h.startswith("days/")}
    assert links and all((evidence / h).exists() for h in links)
    assert all(not flags[dt.date.fromisoformat(Path(h).stem)] for h in links)


def test_each_pressure_series_partition_carries_its_summary(run_home):
    home, _ = run_home
    from dagster import AssetKey, DagsterInstance

    with _connect(home) as conn:
        oracle = conn.execute(f"""
            select s.quote_date, s.m, coalesce(a.n, 0), coalesce(t.n, 0), coalesce(t.pnl, 0)
            from (select quote_date, max(pressure) m from {tables.PRESSURE_SERIES} group by 1) s
            left join (select quote_date, count(*) n from {tables.ALERTS} group by 1) a
              using (quote_date)
            left join (select quote_date, count(*) n, sum(pnl_dollars) pnl
                       from {tables.TRADES} group by 1) t using (quote_date)
            order by 1""").fetchall()
    with scoped_environ(lab_environment(home)), DagsterInstance.get() as instance:
        records = instance.fetch_materializations(AssetKey("pressure_series"),
                                                  limit=1000).records
        meta = {r.asset_materialization.partition: r.asset_materialization.metadata
                for r in records}
    assert len(meta) == len(oracle) == 61
    for day, max_pressure, alerts, trades, pnl in oracle:
        m = meta[day.isoformat()]
        assert m["max_pressure"].value == pytest.approx(max_pressure, rel=1e-12)
        assert (m["alerts"].value, m["trades"].value) == (alerts, trades)
        assert m["pnl_dollars"].value == pytest.approx(pnl, abs=1e-6)
        assert Path(m["day_page"].value) == home / "evidence" / "days" / f"{day}.html"
