"""Dagster checks of the trading stage: every simulated trade obeys the executor's rules.

Blocking: a failed check stops the risk report and validation of the run.
"""

import numpy as np
import pandas as pd
from dagster import AssetCheckResult, asset_check
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.calendar import EXCHANGE_TZ
from assets.common.warehouse_io import read_table
from assets.dagster_common.resources import LabConfigResource


@asset_check(asset="simulated_trades", blocking=True,
             description="No trade outside its session, exit after entry, P&L consistent with "
                         "prices and costs, size within the cap, no overlap when overlap is off.")
def simulated_trades_valid(duckdb: DuckDBResource,
                           lab_config: LabConfigResource) -> AssetCheckResult:
    cfg = lab_config.load().trading
    with duckdb.get_connection() as conn:
        trades = read_table(conn, tables.TRADES)
    if trades.empty:
        return AssetCheckResult(passed=True, metadata={"trades": 0})
    entry = pd.to_datetime(trades["entry_ts"], utc=True)
    exit_ = pd.to_datetime(trades["exit_ts"], utc=True)
    day = pd.to_datetime(trades["quote_date"]).dt.date
    entry_day = entry.dt.tz_convert(EXCHANGE_TZ).dt.date
    gross = (trades["exit_price"] - trades["entry_price"]) * trades["predicted_direction"]
    expected_pts = gross - 2 * cfg.slippage_points
    expected_usd = (trades["size"] * cfg.point_value * expected_pts
                    - 2 * cfg.commission_per_contract * trades["size"])
    order = trades.sort_values("entry_index")
    entries, exits = order["entry_index"].to_numpy(), order["exit_index"].to_numpy()
    overlaps = int((entries[1:] <= exits[:-1]).sum())
    size = trades["size"]
    bad = {
        "outside_session_day": int((entry_day != day).sum()),
        "exit_not_after_entry": int((exit_ < entry).sum()
                                    + (trades["exit_index"] < trades["entry_index"]).sum()),
        "pnl_points_mismatch":
            int((~np.isclose(trades["pnl_points"], expected_pts, atol=1e-6)).sum()),
        "pnl_dollars_mismatch":
            int((~np.isclose(trades["pnl_dollars"], expected_usd, atol=1e-4)).sum()),
        "size_outside_cap": int(((size <= 0) | (size > cfg.max_size + 1e-9)).sum()),
        "overlapping_positions": 0 if cfg.allow_overlap else overlaps,
    }
    return AssetCheckResult(passed=not any(bad.values()), metadata={"trades": len(trades), **bad})
