"""Dagster assets of the pressure stage: thin wrappers around the engine and the kernel.

`pressure_series` is partitioned by expiration day (and, with `validation.calendar_placebo`,
by every session: a placebo day's surface is stored, its unit is the validation stage's): it
stores the compact surface (see
`assets.pressure.series`) and each day's engine unit (`assets.engine`: alerts, outcomes,
priced candidates, Monte Carlo shares), so a night computes one day. Being partitioned, it
is made by `build_pressure_series` from the partitions definition the code location passes
in (importing this module builds no calendar). `pressure_alerts` spans every day: the
calibration window (the first N days) fixes the procedure every unit is computed under, and
a day whose stored unit came from another procedure is recomputed there. Checks live in
`checks.py`.
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
from assets.common.settings import lab_paths
from assets.common.warehouse_io import (
    as_dates,
    available_days,
    load_market_days,
    placebo_days,
    replace_rows,
)
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import LabConfigResource
from assets.pressure.calibration import Calibration
from assets.pressure.kernel import GridWorkspace, pressure_grid
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
        compactly, and each day's engine unit under the current calibration."""
        from assets.engine.warehouse import current_procedure, record_refresh, refresh_units

        cfg = lab_config.load()
        days = as_dates(context.partition_keys)
        stats = {"cells": 0, "rows": 0}
        with duckdb.get_connection() as conn:
            present = set(available_days(conn))
            placebo = (sorted(set(days) & set(placebo_days(conn)))
                       if cfg.validation.calendar_placebo else [])
            missing = [d.isoformat() for d in days if d not in present and d not in placebo]
            if missing:
                raise Failure(f"no published bars or OI for {', '.join(missing[:10])}",
                              metadata={"missing_days": missing})
            days = [d for d in days if d in present]
            proc = current_procedure(conn, cfg)
            workspace = GridWorkspace()
            max_pressure: dict = {}

            def store_surfaces(market) -> None:
                frames = []
                for day in market.values():
                    grid = pressure_grid(day, cfg.pressure, workspace=workspace)
                    stats["cells"] += grid.pressure.size
                    max_pressure[day.quote_date] = float(grid.pressure.max(initial=0.0))
                    frames.append(stored_cells(day, grid, cfg.pressure))
                stored = pd.concat(frames, ignore_index=True)
                stats["rows"] += len(stored)
                replace_rows(conn, tables.PRESSURE_SERIES, stored, list(market))

            computed = refresh_units(conn, days, proc, on_chunk=store_surfaces)
            record_refresh(conn, context.run_id, proc.digest, computed, 0)
            for key, metadata in partition_summaries(conn, proc, days, max_pressure).items():
                context.add_asset_metadata(metadata, partition_key=key)
            # Calendar placebo days: their surfaces only. Their units are a separate sample
            # the validation stage scores under the same procedure (never the primary one).
            for i in range(0, len(placebo), 64):
                market = load_market_days(conn, placebo[i:i + 64], cfg.calendar.exchange)
                store_surfaces(market)
                for d in market:
                    context.add_asset_metadata(
                        {"max_pressure": max_pressure.get(d, float("nan")),
                         "calendar_placebo_day": True}, partition_key=d.isoformat())
        return MaterializeResult(metadata={"days": len(days), "strike_minutes": stats["cells"],
                                           "stored_rows": stats["rows"], "units": computed,
                                           "procedure_digest": proc.digest[:16],
                                           "model": cfg.pressure.probability_model})

    return pressure_series


def partition_summaries(conn, proc, days, max_pressure) -> dict[str, dict]:
    """Each partition's own metadata: its maximum pressure, alerts, trades (the batch's,
    once every earlier day's unit is current) and the path of its day page (written by
    `day_pages` later in the run)."""
    from assets.engine.warehouse import trades_through

    alerts = dict(conn.execute(f"select quote_date, count(*) from {tables.ALERTS} where "
                               "quote_date in (select unnest(?::date[])) group by 1",
                               [list(days)]).fetchall())
    trades = trades_through(conn, proc, max(days)) if days else None
    paths = lab_paths()
    out = {}
    for day in days:
        meta = {"max_pressure": max_pressure.get(day, float("nan")),
                "alerts": int(alerts.get(day, 0)),
                "calibration_day": proc.is_calibration(day),
                "day_page": MetadataValue.path(str(paths.day_page(day)))}
        if trades is None:
            meta["trades"] = MetadataValue.text("known once pressure_alerts has brought the "
                                                "earlier days' units up to the procedure")
        else:
            mine = trades[[q == day for q in trades["quote_date"]]]
            meta["trades"] = int(len(mine))
            meta["pnl_dollars"] = float(mine["pnl_dollars"].sum())
        out[day.isoformat()] = meta
    return out


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"},
       deps=[AssetKey("pressure_series")])
def pressure_alerts(context: AssetExecutionContext, duckdb: DuckDBResource,
                    lab_config: LabConfigResource) -> MaterializeResult:
    """Predictions: calibrated on the first N days only, detected causally minute by minute.

    Each day's alerts are part of its engine unit (stored by `pressure_series` for the
    run's partitions); this step brings every other day's unit up to the current procedure
    (a new config or calibration makes them stale) and records the calibration."""
    from assets.engine.warehouse import current_procedure, refresh_stale

    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        days = available_days(conn)
        if len(days) <= cfg.pressure.calibration_days:
            context.log.warning(f"{len(days)} days: all inside the "
                                f"{cfg.pressure.calibration_days}-day calibration window, "
                                "nothing is out of sample")
        proc = current_procedure(conn, cfg)
        refreshed = refresh_stale(conn, proc, context.run_id)
        calibration = Calibration(proc.calibration_days,
                                  tuple(d for d in days if d not in set(proc.calibration_days)),
                                  dict(proc.thresholds))
        record = calibration.as_record()
        calib = pd.DataFrame({**{k: [v] for k, v in record.items() if k != "thresholds"},
                              "thresholds_json": [json.dumps(record["thresholds"],
                                                             sort_keys=True)]})
        replace_rows(conn, tables.CALIBRATION, calib)
        counts = dict(conn.execute(f"select urgency, count(*) from {tables.ALERTS} "
                                   "group by all").fetchall())
    return MaterializeResult(metadata={
        "alerts": int(sum(counts.values())), "by_class": MetadataValue.json(counts),
        "thresholds": MetadataValue.json(record["thresholds"]),
        "units_refreshed": refreshed["computed"],
        "units_recomputed_after_procedure_change": refreshed["recomputed_after_procedure_change"],
        "calibration_days": len(calibration.days), "scored_days": len(calibration.scored_days)})


@asset(pool=DUCKDB_POOL, group_name=GROUP, kinds={"numpy", "duckdb"}, deps=[pressure_alerts])
def prediction_outcomes(duckdb: DuckDBResource) -> MaterializeResult:
    """What the market did after each prediction (the specification's
    validate_prediction_accuracy), stored with each day's unit."""
    with duckdb.get_connection() as conn:
        n, acc = conn.execute(
            "select count(*), avg(case when not is_calibration then direction_correct::int end) "
            f"from {tables.PREDICTION_OUTCOMES}").fetchone()
    return MaterializeResult(metadata={"predictions": int(n),
                                       "out_of_sample_direction_accuracy":
                                           float("nan") if acc is None else float(acc)})
