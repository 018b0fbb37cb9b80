"""Dagster assets of the trading stage: the specification's executor over every alert, and the
risk-management counterfactuals. Thin wrappers over `simulator` and `risk`; the trades'
check lives in `checks.py`."""

import json

import pandas as pd
from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.warehouse_io import available_days, load_bar_tape, read_table, replace_rows
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabConfigResource
from assets.pressure.calibration import split_calibration_days
from assets.trading.risk import risk_management_report as risk_management_report_of

GROUP = "trading"


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"},
       deps=[AssetKey("pressure_alerts")])
def simulated_trades(context: AssetExecutionContext, duckdb: DuckDBResource,
                     lab_config: LabConfigResource) -> MaterializeResult:
    """Every tradable alert, entered at the next bar's open and exited path-exactly: the
    units' priced candidates through one sequential pass (one position, recent accuracy,
    size) over every day."""
    from assets.engine.aggregate import sequential_trades
    from assets.engine.store import read_units
    from assets.engine.warehouse import saved_procedure

    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        proc = saved_procedure(conn, cfg)
        units = read_units(conn, proc.digest)
        tape = load_bar_tape(conn, units.days, cfg.calendar.exchange)
        trades, skipped = sequential_trades(units.candidates, units.summaries, tape, proc)
        replace_rows(conn, tables.TRADES, trades)
    oos = trades[~trades["is_calibration"].astype(bool)] if len(trades) else trades
    return MaterializeResult(metadata={
        "trades": len(trades), "out_of_sample_trades": len(oos),
        "skipped_alerts": MetadataValue.json(skipped),
        "out_of_sample_pnl_points_mean":
            float(oos["pnl_points"].mean()) if len(oos) else float("nan"),
    })


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"}, deps=[simulated_trades])
def risk_management_report(duckdb: DuckDBResource,
                           lab_config: LabConfigResource) -> MaterializeResult:
    """The specification's ExperimentalRiskManager: counterfactual replays on the same entries."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        trades = read_table(conn, tables.TRADES)
        alerts = read_table(conn, tables.ALERTS)
        days = available_days(conn)
        tape = load_bar_tape(conn, days, cfg.calendar.exchange)
    _, scored = split_calibration_days(days, cfg.pressure.calibration_days)
    report = risk_management_report_of(trades, alerts, tape, cfg.trading, all_days=scored)
    with duckdb.get_connection() as conn:
        replace_rows(conn, tables.RISK_REPORT, pd.DataFrame(
            {"report_json": [json.dumps(report, sort_keys=True, default=str)]}))
    return MaterializeResult(metadata={"report": MetadataValue.json(report.get("table", []))})
