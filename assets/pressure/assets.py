"""Dagster assets of the pressure stage: thin wrappers around the pure numpy modules.

`pressure_series` is partitioned by expiration day and stores the compact surface (see
`assets.pressure.series`). `pressure_alerts` and `prediction_outcomes` span every day in the
warehouse at once, because the calibration window (the first N days) sets the thresholds
that every later day is scored with.
"""


import json

import numpy as np
import pandas as pd
from dagster import (AssetCheckResult, AssetExecutionContext, AssetKey, BackfillPolicy, Failure,
                     MaterializeResult, MetadataValue, asset, asset_check)
from dagster_duckdb import DuckDBResource

from assets.common.warehouse import as_dates, load_market_days, read_table, replace_rows
from assets.pipeline import alerts_for
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.outcomes import prediction_outcomes as compute_outcomes
from assets.pressure.series import stored_cells
from orchestration.partitions import expiration_partitions
from orchestration.resources import DUCKDB_POOL, LabConfigResource

SERIES_TABLE = "pressure.pressure_series"
ALERTS_TABLE = "pressure.alerts"
CALIBRATION_TABLE = "pressure.calibration"
OUTCOMES_TABLE = "pressure.prediction_outcomes"
ALLOWED_CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT", "NO_SIGNAL")


@asset(partitions_def=expiration_partitions, backfill_policy=BackfillPolicy.single_run(),
       pool=DUCKDB_POOL, group_name="pressure", kinds={"numpy", "duckdb"},
       deps=[AssetKey("oi_concentration"), AssetKey("raw_bars")])
def pressure_series(context: AssetExecutionContext, duckdb: DuckDBResource,
                    lab_config: LabConfigResource) -> MaterializeResult:
    """Minutes x strikes pressure of each day (the seed's formula), stored compactly."""
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
        replace_rows(conn, SERIES_TABLE, stored, days)
    return MaterializeResult(metadata={"days": len(days), "strike_minutes": cells,
                                       "stored_rows": len(stored),
                                       "model": cfg.pressure.probability_model})


@asset_check(asset=pressure_series, blocking=True,
             description="Stored pressures are finite and non-negative.")
def pressure_series_valid(duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as conn:
        row = conn.execute(
            f"select count(*), count(*) filter (where not isfinite(pressure) or pressure < 0 "
            f"or pressure is null) from {SERIES_TABLE}").fetchone()
    return AssetCheckResult(passed=row[1] == 0,
                            metadata={"rows": row[0], "invalid_rows": row[1]})


@asset(pool=DUCKDB_POOL, group_name="pressure", kinds={"numpy", "duckdb"}, deps=[pressure_series])
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
        replace_rows(conn, ALERTS_TABLE, alerts)
        replace_rows(conn, CALIBRATION_TABLE, calib)
    thresholds = record["thresholds"]
    counts = alerts["urgency"].value_counts().to_dict() if len(alerts) else {}
    return MaterializeResult(metadata={
        "alerts": len(alerts), "by_class": MetadataValue.json(counts),
        "thresholds": MetadataValue.json(thresholds),
        "calibration_days": len(calibration.days), "scored_days": len(calibration.scored_days)})


@asset_check(asset=pressure_alerts, blocking=True,
             description="No NaN/inf, pressure >= 0, only the seed's classes, every alert "
                         "inside its session and before the close.")
def pressure_alerts_valid(duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as conn:
        alerts = read_table(conn, ALERTS_TABLE)
    if alerts.empty:
        return AssetCheckResult(passed=True, metadata={"alerts": 0})
    numeric = alerts[["pressure", "probability", "distance", "minutes_to_expiry", "confidence"]]
    bad = {
        "non_finite": int((~np.isfinite(numeric.to_numpy(float))).any(axis=1).sum()),
        "negative_pressure": int((alerts["pressure"] < 0).sum()),
        "unknown_class": int((~alerts["urgency"].isin(ALLOWED_CLASSES)).sum()),
        "after_close": int((alerts["minutes_to_expiry"] < 0).sum()),
        "confidence_outside_0_1": int(((alerts["confidence"] < 0) | (alerts["confidence"] > 1)).sum()),
    }
    return AssetCheckResult(passed=not any(bad.values()),
                            metadata={"alerts": len(alerts), **bad})


@asset(pool=DUCKDB_POOL, group_name="pressure", kinds={"numpy", "duckdb"}, deps=[pressure_alerts])
def prediction_outcomes(duckdb: DuckDBResource, lab_config: LabConfigResource) -> MaterializeResult:
    """What the market did after each prediction (the seed's validate_prediction_accuracy)."""
    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        alerts = read_table(conn, ALERTS_TABLE)
        market = load_market_days(conn, exchange=cfg.calendar.exchange)
    outcomes = compute_outcomes(alerts, market, cfg.pressure)
    with duckdb.get_connection() as conn:
        replace_rows(conn, OUTCOMES_TABLE, outcomes)
    scored = outcomes[~outcomes["is_calibration"]] if "is_calibration" in outcomes else outcomes
    acc = float(scored["direction_correct"].mean()) if len(scored) else float("nan")
    return MaterializeResult(metadata={"predictions": len(outcomes),
                                       "out_of_sample_direction_accuracy": acc})
