"""Dagster assets of the pressure stage: thin wrappers around the pure numpy modules.

`pressure_series` is partitioned by expiration day and stores the compact surface (see
`assets.pressure.series`); being partitioned, it is made by `build_pressure_series` from the
partitions definition the code location passes in (importing this module builds no
calendar). `pressure_alerts` and `prediction_outcomes` span every day in the warehouse at
once, because the calibration window (the first N days) sets the thresholds that every later
day is scored with. Their checks live in `checks.py`.
"""

import json

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    PartitionsDefinition,
    asset,
)
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.pools import DUCKDB_POOL
from assets.common.resources import LabConfigResource
from assets.common.warehouse_io import as_dates, load_market_days, read_table, replace_rows
from assets.in_memory_pipeline import alerts_for
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.outcomes import prediction_outcomes as compute_outcomes
from assets.pressure.series import stored_cells

GROUP = "pressure"


def build_pressure_series(partitions_def: PartitionsDefinition) -> AssetsDefinition:
    """The partitioned `pressure_series` asset on the given expiration partitions."""

    @asset(partitions_def=partitions_def, backfill_policy=BackfillPolicy.single_run(),
           pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"},
           deps=[AssetKey("oi_concentration"), AssetKey("raw_bars")])
    def pressure_series(context: AssetExecutionContext, duckdb: DuckDBResource,
                        lab_config: LabConfigResource) -> MaterializeResult:
        """Minutes x strikes pressure of each day (the specification's formula), stored
        compactly."""
        cfg = lab_config.load()
        days = as_dates(context.partition_keys)
        with duckdb.get_connection() as conn:
            market = load_market_days(conn, days, cfg.calendar.exchange)
        missing = [d.isoformat() for d in days if d not in market]
        if missing:
            raise Failure(f"no published bars or OI for {', '.join(missing[:10])}",
                          metadata={"missing_days": missing})
        frames, cells = [], 0
        workspace = GridWorkspace()
        for day in market.values():
            grid = pressure_grid(day, cfg.pressure, workspace=workspace)
            cells += grid.pressure.size
            frames.append(stored_cells(day, grid, cfg.pressure))
        stored = pd.concat(frames, ignore_index=True)
        with duckdb.get_connection() as conn:
            replace_rows(conn, tables.PRESSURE_SERIES, stored, days)
        return MaterializeResult(metadata={"days": len(days), "strike_minutes": cells,
                                           "stored_rows": len(stored),
                                           "model": cfg.pressure.probability_model})

    return pressure_series


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"},
       deps=[AssetKey("pressure_series")])
def pressure_alerts(context: AssetExecutionContext, duckdb: DuckDBResource,
                    lab_config: LabConfigResource) -> MaterializeResult:
    """Predictions: calibrated on the first N days only, detected causally minute by minute."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        market = load_market_days(conn, exchange=cfg.calendar.exchange)
    if len(market) <= cfg.pressure.calibration_days:
        context.log.warning(f"{len(market)} days: all inside the {cfg.pressure.calibration_days}"
                            "-day calibration window, nothing is out of sample")
    alerts, calibration = alerts_for(market, cfg)
    record = calibration.as_record()
    calib = pd.DataFrame({**{k: [v] for k, v in record.items() if k != "thresholds"},
                          "thresholds_json": [json.dumps(record["thresholds"], sort_keys=True)]})
    with duckdb.get_connection() as conn:
        replace_rows(conn, tables.ALERTS, alerts)
        replace_rows(conn, tables.CALIBRATION, calib)
    thresholds = record["thresholds"]
    counts = alerts["urgency"].value_counts().to_dict() if len(alerts) else {}
    return MaterializeResult(metadata={
        "alerts": len(alerts), "by_class": MetadataValue.json(counts),
        "thresholds": MetadataValue.json(thresholds),
        "calibration_days": len(calibration.days), "scored_days": len(calibration.scored_days)})


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"}, deps=[pressure_alerts])
def prediction_outcomes(duckdb: DuckDBResource, lab_config: LabConfigResource) -> MaterializeResult:
    """What the market did after each prediction (the specification's
    validate_prediction_accuracy)."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        alerts = read_table(conn, tables.ALERTS)
        market = load_market_days(conn, exchange=cfg.calendar.exchange)
    outcomes = compute_outcomes(alerts, market, cfg.pressure)
    with duckdb.get_connection() as conn:
        replace_rows(conn, tables.PREDICTION_OUTCOMES, outcomes)
    scored = outcomes[~outcomes["is_calibration"]] if "is_calibration" in outcomes else outcomes
    acc = float(scored["direction_correct"].mean()) if len(scored) else float("nan")
    return MaterializeResult(metadata={"predictions": len(outcomes),
                                       "out_of_sample_direction_accuracy": acc})
