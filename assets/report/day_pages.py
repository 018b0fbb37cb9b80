"""The day pages under `evidence/days/`, kept current incrementally.

A page is a pure function of what the warehouse stores for its day, so each page records a
fingerprint of those inputs (one hash aggregate per table and day in DuckDB: the bars, the
opening OI, the stored cells, alerts, outcomes, trades and session row, the unit's
procedure digest and the page's own version) in `days/index.json`. A refresh redraws only
the pages whose fingerprint changed: a night redraws its own day (and any later day whose
trades its sizing changed), a new config every page. The index also holds what the
reviewer's report links by (each day's maximum pressure, its trades' P&L).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.common import tables
from assets.common.atomic_files import write_text_atomic
from assets.common.config import LabConfig
from assets.common.warehouse_io import table_exists
from assets.report.day_data import DAILY_OUTCOMES, DayView, load_day_views
from assets.report.day_links import DAYS_DIR, INDEX_FILE
from assets.report.day_page import render_day_page

PAGE_VERSION = 1  # bump when a page's layout or content changes for the same inputs
LOAD_CHUNK_DAYS = 32
PAGE_FILE_MODE = 0o644
# (table, the hash aggregate of a day's rows) for every input of a page
INPUTS = (
    (tables.RAW_BARS, "count(*), sum(hash(ts, open, high, low, close)::hugeint)"),
    (tables.OI_CONCENTRATION, "sum(hash(strike, call_oi, put_oi)::hugeint)"),
    (tables.PRESSURE_SERIES, "count(*), max(pressure), sum(hash(bar_index, strike)::hugeint)"),
    (tables.ALERTS, "sum(hash(alert_id, pressure, threshold, confidence, price)::hugeint)"),
    (tables.PREDICTION_OUTCOMES,
     "sum(hash(alert_id, actual_move, max_favourable_excursion, minutes_to_extreme)::hugeint)"),
    (tables.TRADES, "sum(hash(alert_id, size, entry_ts, exit_ts, exit_price, pnl_dollars, "
                    "exit_reason)::hugeint)"),
    (DAILY_OUTCOMES, "sum(hash(nearest_strike, max_oi_strike, pin_window_move_away, "
                     "panic_window_move_away)::hugeint)"),
)


def page_path(evidence: Path, day: dt.date) -> Path:
    """`LabPaths.day_page` under any evidence folder."""
    return Path(evidence) / DAYS_DIR / f"{day.isoformat()}.html"


@dataclass
class PageRefresh:
    days: int
    built: list[dt.date] = field(default_factory=list)
    seconds: float = 0.0
    index: dict = field(default_factory=dict)
    pending: int = 0  # stale pages left for a later call (the per-run limit)


def fingerprints(conn: duckdb.DuckDBPyConnection) -> dict[dt.date, str]:
    """Each day with a unit: the fingerprint of everything its page shows."""
    if not table_exists(conn, tables.ENGINE_UNITS):
        return {}
    parts = {d: [PAGE_VERSION, digest, bool(c)] for d, digest, c in conn.execute(
        f"select quote_date, digest, is_calibration from {tables.ENGINE_UNITS}").fetchall()}
    for table, aggregate in INPUTS:
        if not table_exists(conn, table):
            continue
        rows = conn.execute(f"select quote_date, {aggregate} from {table} group by 1").fetchall()
        got = {r[0]: [str(v) for v in r[1:]] for r in rows}
        for day, values in parts.items():
            values.append(got.get(day))
    return {d: hashlib.sha256(json.dumps(v, sort_keys=True).encode()).hexdigest()
            for d, v in parts.items()}


def _calibration_days(conn: duckdb.DuckDBPyConnection) -> set[dt.date]:
    return {r[0] for r in conn.execute(
        f"select quote_date from {tables.ENGINE_UNITS} where is_calibration").fetchall()}


def read_index(evidence: Path) -> dict:
    path = Path(evidence) / DAYS_DIR / INDEX_FILE
    try:
        index = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return {"version": PAGE_VERSION, "pages": {}}
    return index if isinstance(index.get("pages"), dict) else {"version": PAGE_VERSION,
                                                               "pages": {}}


def index_entry(view: DayView, fingerprint: str) -> dict:
    """What the report links a day by."""
    t = view.trades
    trades = [{"alert_id": str(r["alert_id"]), "urgency": str(r["urgency"]),
               "pnl_dollars": float(r["pnl_dollars"])} for _, r in t.iterrows()]
    pressure = view.max_pressure
    return {"fingerprint": fingerprint, "page": f"{view.day.isoformat()}.html",
            "is_calibration": view.is_calibration, "alerts": int(len(view.alerts)),
            "max_pressure": pressure if pressure == pressure else None,
            "pnl_dollars": float(sum(x["pnl_dollars"] for x in trades)), "trades": trades}


def refresh_day_pages(conn: duckdb.DuckDBPyConnection, evidence: Path, cfg: LabConfig,
                      only: Sequence[dt.date] | None = None,
                      limit: int | None = None) -> PageRefresh:
    """Redraw the pages whose inputs changed (or are missing) and rewrite the index;
    `only` limits the redraw to those days (the others keep their pages as they are),
    `limit` to the newest that many (the rest, and the stale pages outside `only`, stay
    pending for a later call)."""
    started = time.perf_counter()
    evidence = Path(evidence)
    current = fingerprints(conn)
    index = read_index(evidence)
    old = index["pages"] if index.get("version") == PAGE_VERSION else {}
    stale = sorted(d for d, fp in current.items()
                   if (old.get(d.isoformat()) or {}).get("fingerprint") != fp
                   or not page_path(evidence, d).exists())
    pending = 0
    if only is not None:
        kept = sorted(set(stale) & set(only))
        pending = len(stale) - len(kept)
        stale = kept
    if limit is not None and len(stale) > limit:
        # scored days first, newest first: calibration days are never scored
        calibration = _calibration_days(conn)
        keep = sorted(stale, key=lambda d: (d not in calibration, d))[-limit:]
        pending += len(stale) - limit
        stale = sorted(keep)
    pages = {k: v for k, v in old.items() if dt.date.fromisoformat(k) in current}
    for i in range(0, len(stale), LOAD_CHUNK_DAYS):
        for day, view in load_day_views(conn, stale[i:i + LOAD_CHUNK_DAYS], cfg).items():
            write_text_atomic(page_path(evidence, day), render_day_page(view),
                              mode=PAGE_FILE_MODE)
            pages[day.isoformat()] = index_entry(view, current[day])
    for path in (evidence / DAYS_DIR).glob("????-??-??.html"):
        if path.stem not in pages:  # a day the warehouse no longer holds
            path.unlink()
    index = {"version": PAGE_VERSION, "pages": dict(sorted(pages.items()))}
    write_text_atomic(evidence / DAYS_DIR / INDEX_FILE, json.dumps(index, indent=1) + "\n",
                      mode=PAGE_FILE_MODE)
    return PageRefresh(len(current), stale, round(time.perf_counter() - started, 3), index,
                       pending)
