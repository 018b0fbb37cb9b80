"""A small warehouse written straight from in-memory days, without Dagster or dbt: the
tables the replay and the day pages read (published bars and opening OI, the engine's
units, the stored pressure cells, the trades and the calibration record), filled by the
engine's own functions as the pressure and trading stages fill them.

For fast tests of the warehouse paths (`pressure-lab replay`, the day pages); the slow
end-to-end tests check the same against a real `pressure-lab run`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from assets.common import tables
from assets.common.config import LabConfig
from assets.common.warehouse_io import load_bar_tape, replace_rows
from assets.engine.aggregate import sequential_trades
from assets.engine.run import procedure_for
from assets.engine.store import read_units
from assets.engine.warehouse import refresh_units, save_procedure
from assets.pressure.kernel import pressure_grid
from assets.pressure.series import stored_cells, utc_timestamps
from assets.synthetic_market.in_memory_days import synthetic_market

CONFIG = {"pressure": {"calibration_days": 5},
          "validation": {"null_replications": 20, "oi_placebo_replications": 3}}


@dataclass
class World:
    home: Path
    cfg: LabConfig
    market: dict

    @property
    def duckdb(self) -> Path:
        return self.home / "warehouse.duckdb"

    def connect(self, read_only: bool = True) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.duckdb), read_only=read_only)


def build_world(home: Path, start: str = "2024-01-02", end: str = "2024-01-19",
                seed: int = 11, strength: float = 3.0) -> World:
    """A planted-steering world's warehouse under `home` (with its config.json)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.json").write_text(json.dumps(CONFIG))
    cfg = LabConfig.model_validate(CONFIG)
    market = synthetic_market(start, end, "steer", seed=seed, strength=strength)
    days = sorted(market)
    with duckdb.connect(str(home / "warehouse.duckdb")) as conn:
        bars = pd.concat([pd.DataFrame({
            "quote_date": d, "ts": utc_timestamps(m.ts), "open": m.open, "high": m.high,
            "low": m.low, "close": m.close}) for d, m in sorted(market.items())])
        replace_rows(conn, tables.RAW_BARS, bars)
        oi = pd.concat([pd.DataFrame({"quote_date": d, "strike": m.strikes,
                                      "call_oi": m.call_oi.astype("int64"),
                                      "put_oi": m.put_oi.astype("int64")})
                        for d, m in sorted(market.items())])
        replace_rows(conn, tables.OI_CONCENTRATION, oi)
        proc = procedure_for(market, cfg)
        replace_rows(conn, tables.PRESSURE_SERIES, pd.concat(
            [stored_cells(m, pressure_grid(m, cfg.pressure), cfg.pressure)
             for _, m in sorted(market.items())], ignore_index=True))
        refresh_units(conn, days, proc)
        save_procedure(conn, proc)
        replace_rows(conn, tables.CALIBRATION, pd.DataFrame(
            {"thresholds_json": [json.dumps(proc.thresholds, sort_keys=True)]}))
        units = read_units(conn, proc.digest)  # what simulated_trades does
        tape = load_bar_tape(conn, units.days, cfg.calendar.exchange)
        trades, _ = sequential_trades(units.candidates, units.summaries, tape, proc)
        replace_rows(conn, tables.TRADES, trades)
    return World(home, cfg, market)


def comparable(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as the warehouse gives them back (timestamps in UTC at ns, a fresh index)."""
    out = frame.reset_index(drop=True).copy()
    for c in out.columns:
        if isinstance(out[c].dtype, pd.DatetimeTZDtype):
            out[c] = out[c].dt.tz_convert("UTC").astype("datetime64[ns, UTC]")
    return out
