"""The engine over the warehouse: the steps the Dagster assets call, free of Dagster.

`refresh_units` computes and stores units (a partition's days, or every stale day);
`stored_aggregate` runs the aggregation from the stored units, the bars and the summed
shares, loading full days only for the few a step needs (calibration, redraws, the
package's example day). Days are loaded in chunks so memory stays at a chunk's chains
however many years the warehouse holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import duckdb
import pandas as pd
from threadpoolctl import threadpool_limits

from assets.common import tables
from assets.common.config import LabConfig
from assets.common.warehouse_io import (
    append_rows,
    available_days,
    load_bar_tape,
    load_fingerprint,
    load_market_days,
    read_table,
    replace_rows,
    table_exists,
)
from assets.engine.aggregate import Aggregate, sequential_trades
from assets.engine.procedure import Procedure, calibrate
from assets.engine.run import aggregate
from assets.engine.store import WarehouseShares, read_units, stale_days, write_units
from assets.engine.unit import SUMMARY_COLUMNS, compute_units
from assets.pressure.calibration import split_calibration_days
from assets.pressure.kernel import GridWorkspace

LOAD_CHUNK_DAYS = 64


def current_procedure(conn: duckdb.DuckDBPyConnection, cfg: LabConfig) -> Procedure:
    """Calibrated on the warehouse's first `pressure.calibration_days` days: the stored
    procedure when it was calibrated on those very days, under this config, from rows
    that have not changed since; else calibrated anew and stored."""
    days = available_days(conn)
    if not days:
        raise ValueError("no expiration day has both published bars and OI: nothing to score")
    calib, _ = split_calibration_days(days, cfg.pressure.calibration_days)
    source = calibration_fingerprint(conn, calib)
    stored = _stored_procedure(conn, cfg, source)
    if stored is not None and list(stored.calibration_days) == calib:
        return stored
    market = load_market_days(conn, calib, cfg.calendar.exchange)
    proc = calibrate([market[d] for d in calib], cfg)
    save_procedure(conn, proc, source)
    return proc


def calibration_fingerprint(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date]) -> str:
    """An order-independent hash of the calibration days' bars and OI rows."""
    return str(load_fingerprint(conn, list(days)))


def refresh_units(conn: duckdb.DuckDBPyConnection, days: Sequence[dt.date],
                  proc: Procedure, on_chunk=None) -> int:
    """Compute and store the units of `days` under `proc`, a chunk of days at a time.
    `on_chunk(market)` sees each chunk's loaded days (the pressure stage stores its
    surfaces from the same load)."""
    exchange = proc.cfg.calendar.exchange
    workspace = GridWorkspace()
    done = 0
    ordered = sorted(days)
    with threadpool_limits(limits=1, user_api="blas"):
        for i in range(0, len(ordered), LOAD_CHUNK_DAYS):
            market = load_market_days(conn, ordered[i:i + LOAD_CHUNK_DAYS], exchange)
            if on_chunk is not None:
                on_chunk(market)
            units = compute_units(list(market.values()), proc, workspace=workspace)
            done += write_units(conn, units, proc.digest)
    return done


def refresh_stale(conn: duckdb.DuckDBPyConnection, proc: Procedure,
                  run_id: str, on_chunk=None) -> dict[str, int]:
    """Units for every available day whose stored unit is missing or stale (`on_chunk` as
    in `refresh_units`)."""
    stale, changed = stale_days(conn, available_days(conn), proc.digest)
    computed = refresh_units(conn, stale, proc, on_chunk=on_chunk)
    record_refresh(conn, run_id, proc.digest, computed, changed)
    return {"computed": computed, "recomputed_after_procedure_change": changed}


def record_refresh(conn: duckdb.DuckDBPyConnection, run_id: str, digest: str, computed: int,
                   recomputed: int) -> None:
    row = pd.DataFrame({"run_id": [run_id], "digest": [digest], "computed": [computed],
                        "recomputed": [recomputed],
                        "recorded_at": [pd.Timestamp.now(tz="UTC").tz_localize(None)]})
    append_rows(conn, tables.ENGINE_REFRESHES, row)


def refreshes_of(conn: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    if not table_exists(conn, tables.ENGINE_REFRESHES):
        return {"computed": 0, "recomputed": 0}
    got = conn.execute(f"select coalesce(sum(computed), 0), coalesce(sum(recomputed), 0) "
                       f"from {tables.ENGINE_REFRESHES} where run_id = ?", [run_id]).fetchone()
    return {"computed": int(got[0]), "recomputed": int(got[1])}


def save_procedure(conn: duckdb.DuckDBPyConnection, proc: Procedure, source: str = "") -> None:
    """The one stored procedure (the table is rebuilt: its columns are the record's)."""
    conn.execute(f"drop table if exists {tables.ENGINE_PROCEDURE}")
    replace_rows(conn, tables.ENGINE_PROCEDURE, pd.DataFrame(
        {"digest": [proc.digest], "record_json": [json.dumps(proc.record(), sort_keys=True)],
         "source_fingerprint": [source]}))


def _stored_procedure(conn: duckdb.DuckDBPyConnection, cfg: LabConfig,
                      source: str | None = None) -> Procedure | None:
    if not table_exists(conn, tables.ENGINE_PROCEDURE):
        return None
    row = read_table(conn, tables.ENGINE_PROCEDURE).iloc[0]
    if source is not None and row.get("source_fingerprint") != source:
        return None
    record = json.loads(row["record_json"])
    proc = Procedure(cfg, tuple(dt.date.fromisoformat(d) for d in record["calibration_days"]),
                     dict(record["thresholds"]),
                     {k: tuple(tuple(p) for p in v) for k, v in record["entry_minutes"].items()})
    return proc if proc.digest == row["digest"] else None


def saved_procedure(conn: duckdb.DuckDBPyConnection, cfg: LabConfig) -> Procedure:
    """The procedure the pressure stage stored, under today's `cfg`."""
    proc = _stored_procedure(conn, cfg)
    if proc is None:
        why = ("the stored procedure was calibrated under another config"
               if table_exists(conn, tables.ENGINE_PROCEDURE) else "no procedure is stored")
        raise ValueError(f"{why}: rerun the pressure stage (pressure_alerts)")
    return proc


def stored_aggregate(conn: duckdb.DuckDBPyConnection, proc: Procedure) -> Aggregate:
    """The sample from the stored units of `proc`."""
    stale, _ = stale_days(conn, available_days(conn), proc.digest)
    if stale:
        raise ValueError(f"{len(stale)} day(s) have no unit under the current procedure "
                         f"(first {stale[0]}): rerun the pressure stage")
    units = read_units(conn, proc.digest)
    exchange = proc.cfg.calendar.exchange
    shares = WarehouseShares(conn, proc)
    with threadpool_limits(limits=1, user_api="blas"):
        return aggregate(proc, load_bar_tape(conn, units.days, exchange), units.alerts,
                         units.outcomes, units.candidates, units.summaries, shares,
                         lambda ds: load_market_days(conn, ds, exchange), shares.stored)


def trades_through(conn: duckdb.DuckDBPyConnection, proc: Procedure,
                   last: dt.date) -> pd.DataFrame | None:
    """The batch's trades of every day up to `last` from the stored units (sizing runs
    across days, so a day's trades need every earlier unit); None while an earlier day's
    unit is missing or stale (the pressure stage brings it up to the procedure)."""
    days = [d for d in available_days(conn) if d <= last]
    stale, _ = stale_days(conn, days, proc.digest)
    if stale or not days:
        return None
    summaries = conn.execute(f"select {', '.join(SUMMARY_COLUMNS)} from {tables.ENGINE_UNITS} "
                             "where digest = ? and quote_date <= ? order by quote_date",
                             [proc.digest, last]).df()
    candidates = read_table(conn, tables.ENGINE_CANDIDATES, where="quote_date <= ?",
                            params=[last], order="quote_date, entry_index")
    tape = load_bar_tape(conn, days, proc.cfg.calendar.exchange)
    return sequential_trades(candidates, summaries, tape, proc)[0]
