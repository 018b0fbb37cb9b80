"""Dagster checks of the pressure stage: what the stored pressures and alerts must satisfy.

Blocking: a failed check stops the trading and validation assets of the run. Checks name
their assets by key, so this module needs no partitions definition.
"""

import numpy as np
from dagster import AssetCheckResult, asset_check
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.warehouse_io import read_table

ALLOWED_CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT", "NO_SIGNAL")


@asset_check(asset="pressure_series", blocking=True,
             description="Stored pressures are finite and non-negative.")
def pressure_series_valid(duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as conn:
        row = conn.execute(
            f"select count(*), count(*) filter (where not isfinite(pressure) or pressure < 0 "
            f"or pressure is null) from {tables.PRESSURE_SERIES}").fetchone()
    return AssetCheckResult(passed=row[1] == 0,
                            metadata={"rows": row[0], "invalid_rows": row[1]})


@asset_check(asset="pressure_alerts", blocking=True,
             description="No NaN/inf, pressure >= 0, only the specification's classes, every alert "
                         "inside its session and before the close.")
def pressure_alerts_valid(duckdb: DuckDBResource) -> AssetCheckResult:
    with duckdb.get_connection() as conn:
        alerts = read_table(conn, tables.ALERTS)
    if alerts.empty:
        return AssetCheckResult(passed=True, metadata={"alerts": 0})
    numeric = alerts[["pressure", "probability", "distance", "minutes_to_expiry", "confidence"]]
    bad = {
        "non_finite": int((~np.isfinite(numeric.to_numpy(float))).any(axis=1).sum()),
        "negative_pressure": int((alerts["pressure"] < 0).sum()),
        "unknown_class": int((~alerts["urgency"].isin(ALLOWED_CLASSES)).sum()),
        "after_close": int((alerts["minutes_to_expiry"] < 0).sum()),
        "confidence_outside_0_1":
            int(((alerts["confidence"] < 0) | (alerts["confidence"] > 1)).sum()),
    }
    return AssetCheckResult(passed=not any(bad.values()),
                            metadata={"alerts": len(alerts), **bad})
