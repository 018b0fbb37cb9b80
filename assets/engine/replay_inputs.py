"""What a replay reads from the warehouse: the day, the run's procedure and the open.

The day's bars and opening OI are the published ones; the thresholds are the stored
procedure's (`saved_procedure`), so a replay scores the day exactly as the run did; the
sizing state at the open comes from the earlier days' stored candidates. Only a scored day
with a current unit can be replayed: anything else is refused with the reason and the days
that can be.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from assets.common import tables
from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.common.warehouse_io import (
    available_days,
    load_market_days,
    read_table,
    table_exists,
)
from assets.engine.procedure import Procedure
from assets.engine.replay import Opening, opening
from assets.engine.store import stale_days
from assets.engine.warehouse import saved_procedure


class NotReplayable(ValueError):
    """The day cannot be replayed; the message says why and which days can."""


def describe_days(days: list[dt.date]) -> str:
    if not days:
        return "none"
    if len(days) <= 8:
        return ", ".join(d.isoformat() for d in days)
    return f"the {len(days)} days {days[0]} .. {days[-1]}"


def replayable_days(conn: duckdb.DuckDBPyConnection, proc: Procedure) -> list[dt.date]:
    """The scored days with a unit under `proc`."""
    if not table_exists(conn, tables.ENGINE_UNITS):
        return []
    rows = conn.execute(f"select quote_date from {tables.ENGINE_UNITS} where digest = ? "
                        "and not is_calibration order by 1", [proc.digest]).fetchall()
    return [r[0] for r in rows]


def replay_inputs(conn: duckdb.DuckDBPyConnection, cfg: LabConfig,
                  day: dt.date) -> tuple[MarketDay, Procedure, Opening]:
    """The day as published, the run's procedure and the state of the day's open."""
    if not table_exists(conn, tables.ENGINE_PROCEDURE):
        raise NotReplayable("the warehouse holds no run yet: run `pressure-lab run` first")
    try:
        proc = saved_procedure(conn, cfg)
    except ValueError as exc:  # the config changed since the run
        raise NotReplayable(str(exc)) from exc
    scored = replayable_days(conn, proc)
    can = f"days that can be replayed: {describe_days(scored)}"
    days = available_days(conn)
    if day not in days:
        raise NotReplayable(f"{day} was not ingested (the warehouse has no published bars "
                            f"and OI for it); {can}")
    if proc.is_calibration(day):
        raise NotReplayable(f"{day} is a calibration day: the first "
                            f"{len(proc.calibration_days)} days fix the thresholds and are "
                            f"never scored; {can}")
    stale, _ = stale_days(conn, [d for d in days if d <= day], proc.digest)
    if stale:
        raise NotReplayable(f"{len(stale)} day(s) up to {day} have no unit under the run's "
                            f"procedure (first {stale[0]}): rerun `pressure-lab run`")
    n_bars = dict(conn.execute(f"select quote_date, n_bars from {tables.ENGINE_UNITS} "
                               "where digest = ?", [proc.digest]).fetchall())
    earlier = read_table(conn, tables.ENGINE_CANDIDATES, where="quote_date < ?",
                         params=[day], order="quote_date, entry_index")
    market = load_market_days(conn, [day], cfg.calendar.exchange)
    return market[day], proc, opening(earlier, n_bars, day, cfg.trading)
