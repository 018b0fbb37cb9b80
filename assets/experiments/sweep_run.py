"""A sweep from plan to `sweep.json`, in three steps that any executor can run.

1. `plan_sweep` (before the run): checks the grid against the config model, fixes the
   days, and snapshots their bars and OI from the warehouse into Parquet beside the plan,
   so variant steps never open the warehouse and can run on any worker sharing the home.
2. `evaluate_units` (one or many steps): evaluates a subset of the variants on the
   snapshot and writes each variant's out-of-sample daily P&L to its own Parquet file.
3. `summarize_sweep` (the fan-in, the only warehouse writer): loads every variant's file
   into `experiments.sweep_daily`, records the variants in the registry, and computes the
   overfitting statistics over all of them.

Files: `$PRESSURE_LAB_HOME/experiments/sweeps/<name>/` (plan, snapshot, variant files) and
`$PRESSURE_LAB_HOME/evidence/sweeps/<name>/` (sweep.json, sweep.html).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from assets.common.atomic_files import write_text_atomic
from assets.common.config import LabConfig
from assets.common.settings import lab_paths
from assets.common.tables import OI_CONCENTRATION, RAW_BARS, SWEEP_DAILY
from assets.common.warehouse_io import available_days, load_market_days
from assets.experiments import registry
from assets.experiments.evaluate import VariantResult, evaluate_variants, scored_days
from assets.experiments.grid import Variant, apply_overrides, expand_grid
from assets.experiments.summary import build_sweep_document, daily_sharpe_variance
from assets.experiments.units import load_units, write_unit
from assets.validation.statistics.sharpe import sharpe

SWEEP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
DAILY_TABLE = SWEEP_DAILY
PLAN_FILE = "plan.json"


class SweepError(ValueError):
    """A sweep that cannot run; the message says why and what to do."""


def work_dir(name: str) -> Path:
    return lab_paths().home / "experiments" / "sweeps" / name


def output_dir(name: str) -> Path:
    return lab_paths().evidence / "sweeps" / name


@dataclass(frozen=True)
class SweepPlan:
    name: str
    dataset: str
    grid: dict[str, list[Any]]
    base: LabConfig
    days: tuple[dt.date, ...]
    variants: tuple[Variant, ...]
    heatmap: tuple[str, ...] = ()  # the page's two heat-map parameters (default: first two)

    def partition_key(self, digest: str) -> str:
        """The variant's dynamic partition: one per config digest, grouped by sweep."""
        return f"{self.name}:{digest[:16]}"

    @property
    def keys(self) -> list[str]:
        return [self.partition_key(v.digest) for v in self.variants]

    def variants_for(self, keys: Sequence[str]) -> list[Variant]:
        by_key = {self.partition_key(v.digest): v for v in self.variants}
        unknown = [k for k in keys if k not in by_key]
        if unknown:
            raise SweepError(f"partitions {unknown[:5]} are not variants of sweep {self.name}")
        return [by_key[k] for k in keys]

    def to_json(self) -> str:
        return json.dumps({
            "name": self.name, "dataset": self.dataset, "grid": self.grid,
            "base_config": json.loads(self.base.canonical_json()),
            "days": [d.isoformat() for d in self.days], "heatmap": list(self.heatmap),
            "variants": [{"key": self.partition_key(v.digest), "config_digest": v.digest,
                          "overrides": v.overrides} for v in self.variants],
        }, indent=1, sort_keys=True)


def load_plan(name: str) -> SweepPlan:
    path = work_dir(name) / PLAN_FILE
    if not path.exists():
        raise SweepError(f"no sweep named {name!r} is planned ({path} is missing): start it "
                         "with `pressure-lab sweep GRID.json --name NAME`")
    data = json.loads(path.read_text())
    base = LabConfig.model_validate(data["base_config"])
    variants = []
    for item in data["variants"]:
        cfg = apply_overrides(base, item["overrides"])
        variants.append(Variant(item["overrides"], cfg, item["config_digest"]))
    return SweepPlan(data["name"], data["dataset"], data["grid"], base,
                     tuple(dt.date.fromisoformat(d) for d in data["days"]), tuple(variants),
                     tuple(data.get("heatmap", ())))


def plan_sweep(name: str, grid: Mapping[str, list[Any]], base: LabConfig,
               start: dt.date | None = None, end: dt.date | None = None,
               heatmap: Sequence[str] = ()) -> SweepPlan:
    """Check everything that can be checked before a run, snapshot the days, write the plan.
    A plan of the same name is replaced, with its variant files."""
    if not SWEEP_NAME.match(name):
        raise SweepError(f"sweep name {name!r}: use letters, digits, '_' and '-' (<= 64)")
    variants = expand_grid(base, grid)
    unknown = [p for p in heatmap if p not in grid]
    if unknown or len(heatmap) not in (0, 2):
        raise SweepError(f"--heatmap takes two paths of the grid ({', '.join(grid)}); "
                         f"got {list(heatmap)}")
    paths = lab_paths()
    if not paths.duckdb.exists():
        raise SweepError(f"no warehouse at {paths.duckdb}: ingest the data first with "
                         "`pressure-lab run` (a sweep uses the same checked days)")
    with duckdb.connect(str(paths.duckdb), read_only=True) as conn:
        days = [d for d in available_days(conn)
                if (start is None or d >= start) and (end is None or d <= end)]
        _check_days(days, base)
        target = work_dir(name)
        if target.exists():
            shutil.rmtree(target)
        (target / "market").mkdir(parents=True)
        for table, columns in ((RAW_BARS, "quote_date, ts, open, high, low, close"),
                               (OI_CONCENTRATION, "quote_date, strike, call_oi, put_oi")):
            out = target / "market" / f"{table}.parquet"
            conn.execute(f"copy (select {columns} from {table} where quote_date in "
                         f"(select unnest(?::date[])) order by all) to '{out}' "
                         "(format parquet)", [days])
    dataset = registry.landing_dataset_id(paths.landing, base.ingestion.underlying)
    plan = SweepPlan(name, dataset, {k: list(v) for k, v in grid.items()}, base, tuple(days),
                     tuple(variants), tuple(heatmap))
    (target / PLAN_FILE).write_text(plan.to_json())
    return plan


def _check_days(days: list[dt.date], base: LabConfig) -> None:
    n_oos = max(0, len(days) - base.pressure.calibration_days)
    need = 2 * max(base.experiments.pbo_blocks, base.experiments.walk_forward_blocks)
    if n_oos < need:
        raise SweepError(f"{len(days)} expiration days in the warehouse for this range leave "
                         f"{n_oos} out-of-sample days after the {base.pressure.calibration_days}"
                         f"-day calibration window; PBO and the walk-forward over "
                         f"{need // 2} blocks need at least {need}")


def snapshot_market(plan: SweepPlan) -> dict:
    """The plan's days as MarketDays, built from the snapshot exactly as from the warehouse."""
    folder = work_dir(plan.name) / "market"
    with duckdb.connect() as conn:
        for table in (RAW_BARS, OI_CONCENTRATION):
            conn.execute(f"create schema if not exists {table.split('.')[0]}")
            conn.execute(f"create view {table} as select * from "
                         f"read_parquet('{folder / (table + '.parquet')}')")
        return load_market_days(conn, list(plan.days), exchange=plan.base.calendar.exchange)


def evaluate_units(plan: SweepPlan, keys: Sequence[str]) -> list[Path]:
    """Evaluate the variants behind `keys` and write one Parquet file per variant."""
    variants = plan.variants_for(keys)
    market = snapshot_market(plan)
    days = scored_days(market, plan.base)
    results = evaluate_variants(market, variants)
    written = []
    for key, r in zip(keys, results, strict=True):
        frame = pd.DataFrame({
            "sweep": plan.name, "config_digest": r.digest, "quote_date": days,
            "pnl_dollars": r.daily_pnl, "benchmark_dollars": r.benchmark_daily_pnl,
            "overrides_json": json.dumps(r.overrides, sort_keys=True),
            "n_trades": r.n_trades, "win_rate": r.win_rate,
            "mean_pnl_points": r.mean_pnl_points, "sharpe_ratio": r.sharpe_ratio})
        written.append(write_unit(work_dir(plan.name) / "variants", key, frame))
    return written


def _results_from_table(conn: duckdb.DuckDBPyConnection, plan: SweepPlan
                        ) -> tuple[list[dt.date], list[VariantResult]]:
    frame = conn.execute(f"select * from {DAILY_TABLE} where sweep = ? "
                         "order by config_digest, quote_date", [plan.name]).df()
    results = []
    days: list[dt.date] = []
    groups = {d: g for d, g in frame.groupby("config_digest", sort=False)}
    for v in plan.variants:
        g = groups[v.digest]
        days = [pd.Timestamp(x).date() for x in g["quote_date"]]
        first = g.iloc[0]
        results.append(VariantResult(
            digest=v.digest, overrides=json.loads(first["overrides_json"]),
            n_trades=int(first["n_trades"]),
            win_rate=None if pd.isna(first["win_rate"]) else float(first["win_rate"]),
            mean_pnl_points=(None if pd.isna(first["mean_pnl_points"])
                             else float(first["mean_pnl_points"])),
            sharpe_ratio=float(first["sharpe_ratio"]),
            daily_pnl=g["pnl_dollars"].to_numpy(float),
            benchmark_daily_pnl=g["benchmark_dollars"].to_numpy(float)))
    return days, results


def summarize_sweep(plan: SweepPlan, conn: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The fan-in: load the variant files, record the variants, compute sweep.json."""
    load_units(conn, DAILY_TABLE, work_dir(plan.name) / "variants", plan.keys,
               delete_where=("sweep = ?", [plan.name]))
    days, results = _results_from_table(conn, plan)
    registry.record_variants(conn, plan.dataset,
                             [(r.digest, r.overrides, {**r.metrics(),
                                                       "daily_sharpe": _daily_sharpe(r)})
                              for r in results], origin=f"sweep {plan.name}")
    n_trials = registry.count_variants(conn, plan.dataset)
    document = build_sweep_document(plan.name, plan.dataset, plan.grid, plan.base, results,
                                    days, n_trials)
    registry.record_sweep(conn, plan.dataset, plan.name, len(results),
                          daily_sharpe_variance(results))
    return document


def _daily_sharpe(r: VariantResult) -> float | None:
    value = sharpe(r.daily_pnl)
    return float(value) if np.isfinite(value) else None


def write_outputs(document: Mapping[str, Any], timings: Mapping[str, float] | None = None,
                  heatmap: Sequence[str] | None = None) -> Path:
    """sweep.json (schema-checked first) and sweep.html, each replaced atomically."""
    from assets.experiments.summary import validate_sweep
    from assets.experiments.sweep_page import PAGE_FILE, render_sweep_page

    full = {**document, "timings": dict(timings or {}),
            "created_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
    validate_sweep(full)
    folder = output_dir(document["name"])
    write_text_atomic(folder / "sweep.json", json.dumps(full, indent=1, sort_keys=True) + "\n")
    write_text_atomic(folder / PAGE_FILE, render_sweep_page(document, heatmap))
    return folder / "sweep.json"
