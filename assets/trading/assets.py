"""Dagster assets of the trading stage: the seed's executor over every alert, and the
risk-management counterfactuals. Thin wrappers over `simulator` and `risk`."""


import json

import numpy as np
import pandas as pd
from dagster import (AssetCheckResult, AssetExecutionContext, MaterializeResult, MetadataValue,
                     asset, asset_check)
from dagster_duckdb import DuckDBResource

from assets.common.warehouse import load_market_days, read_table, replace_rows
from assets.pressure.definitions import ALERTS_TABLE, CALIBRATION_TABLE, pressure_alerts
from assets.pipeline import risk_for, trades_for
from orchestration.resources import DUCKDB_POOL, LabConfigResource

TRADES_TABLE = "trading.trades"
RISK_TABLE = "trading.risk_report"


def scored_days(conn, market_days) -> list:
    """Expiration days after the calibration window: the only days that are scored."""
    calib = read_table(conn, CALIBRATION_TABLE)
    first = calib["first_scored_day"].iloc[0] if len(calib) else None
    if first is None or pd.isna(first):
        return []
    first = pd.Timestamp(first).date()
    return [d for d in market_days if d >= first]


@asset(pool=DUCKDB_POOL, group_name="trading", kinds={"numpy", "duckdb"}, deps=[pressure_alerts])
def simulated_trades(context: AssetExecutionContext, duckdb: DuckDBResource,
                     lab_config: LabConfigResource) -> MaterializeResult:
    """Every tradable alert, entered at the next bar's open and exited path-exactly."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        alerts = read_table(conn, ALERTS_TABLE)
        market = load_market_days(conn, exchange=cfg.calendar.exchange)
    trades = trades_for(alerts, market, cfg)
    skipped = dict(trades.attrs.get("skipped", {}))
    trades.attrs = {}
    with duckdb.get_connection() as conn:
        replace_rows(conn, TRADES_TABLE, trades)
    oos = trades[~trades["is_calibration"].astype(bool)] if len(trades) else trades
    return MaterializeResult(metadata={
        "trades": len(trades), "out_of_sample_trades": len(oos),
        "skipped_alerts": MetadataValue.json(skipped),
        "out_of_sample_pnl_points_mean": float(oos["pnl_points"].mean()) if len(oos) else float("nan"),
    })


@asset_check(asset=simulated_trades, blocking=True,
             description="No trade outside its session, exit after entry, P&L consistent with "
                         "prices and costs, size within the cap, no overlap when overlap is off.")
def simulated_trades_valid(duckdb: DuckDBResource, lab_config: LabConfigResource) -> AssetCheckResult:
    cfg = lab_config.load().trading
    with duckdb.get_connection() as conn:
        trades = read_table(conn, TRADES_TABLE)
    if trades.empty:
        return AssetCheckResult(passed=True, metadata={"trades": 0})
    entry = pd.to_datetime(trades["entry_ts"], utc=True)
    exit_ = pd.to_datetime(trades["exit_ts"], utc=True)
    day = pd.to_datetime(trades["quote_date"]).dt.date
    entry_day = entry.dt.tz_convert("America/New_York").dt.date
    gross = (trades["exit_price"] - trades["entry_price"]) * trades["predicted_direction"]
    expected_pts = gross - 2 * cfg.slippage_points
    expected_usd = (trades["size"] * cfg.point_value * expected_pts
                    - 2 * cfg.commission_per_contract * trades["size"])
    order = trades.sort_values("entry_index")
    overlaps = int((order["entry_index"].to_numpy()[1:] <= order["exit_index"].to_numpy()[:-1]).sum())
    bad = {
        "outside_session_day": int((entry_day != day).sum()),
        "exit_not_after_entry": int((exit_ < entry).sum() + (trades["exit_index"] < trades["entry_index"]).sum()),
        "pnl_points_mismatch": int((~np.isclose(trades["pnl_points"], expected_pts, atol=1e-6)).sum()),
        "pnl_dollars_mismatch": int((~np.isclose(trades["pnl_dollars"], expected_usd, atol=1e-4)).sum()),
        "size_outside_cap": int(((trades["size"] <= 0) | (trades["size"] > cfg.max_size + 1e-9)).sum()),
        "overlapping_positions": 0 if cfg.allow_overlap else overlaps,
    }
    return AssetCheckResult(passed=not any(bad.values()), metadata={"trades": len(trades), **bad})


@asset(pool=DUCKDB_POOL, group_name="trading", kinds={"numpy", "duckdb"}, deps=[simulated_trades])
def risk_management_report(duckdb: DuckDBResource, lab_config: LabConfigResource) -> MaterializeResult:
    """The seed's ExperimentalRiskManager: counterfactual replays on the same entries."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        trades = read_table(conn, TRADES_TABLE)
        alerts = read_table(conn, ALERTS_TABLE)
        market = load_market_days(conn, exchange=cfg.calendar.exchange)
        days = scored_days(conn, list(market))
    report = risk_for(trades, alerts, market, cfg, days)
    with duckdb.get_connection() as conn:
        replace_rows(conn, RISK_TABLE, pd.DataFrame({"report_json": [json.dumps(report, sort_keys=True, default=str)]}))
    return MaterializeResult(metadata={"report": MetadataValue.json(report.get("table", []))})
