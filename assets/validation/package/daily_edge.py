"""The per-day file beside each underlying's package: what the pooled package needs.

Why: the pooled package compares underlyings in basis points of the underlying with
inference clustered by date, and the package itself carries only sample totals. Per
scored day this file holds the strategy's trades and points, the matched random-entry
null's expected points over those same trades (the engine's per-day Monte Carlo shares,
`Aggregate.null_day_means`, never recomputed), and the day's open (the first bar's), so a
day's edge in bp is 1e4 x (pnl_points - null_mean_points) / open. The clustered variance
of a mean per trade depends only on each day's sums, so these rows lose nothing the
trade-level test would use.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from assets.validation.statistics.metrics import out_of_sample

DAILY_EDGE_FILE = "daily_edge.csv"
COLUMNS: tuple[str, ...] = ("date", "n_trades", "pnl_points", "null_mean_points", "open")


class DailyEdgeError(ValueError):
    """A daily-edge file that breaks its contract (names the file, the row and the rule)."""


def daily_edge(agg) -> pd.DataFrame:
    """One row per scored day of the engine's aggregate (days without a trade included)."""
    oos = out_of_sample(agg.trades)
    counts = oos.groupby("quote_date")["pnl_points"].agg(["size", "sum"]) if len(oos) else None
    tape = agg.tape
    rows = []
    for d in agg.scored_days:
        pos = tape.day_position(d)
        day_open = float(tape.open[tape.day_start[pos]]) if pos >= 0 else math.nan
        n, pts = ((int(counts.at[d, "size"]), float(counts.at[d, "sum"]))
                  if counts is not None and d in counts.index else (0, 0.0))
        rows.append((d.isoformat(), n, pts, float(agg.null_day_means.get(d, 0.0)), day_open))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def daily_edge_csv(frame: pd.DataFrame) -> str:
    """The file's text: fixed columns, one line a day, full float precision."""
    return frame.loc[:, list(COLUMNS)].to_csv(index=False, lineterminator="\n",
                                              float_format="%.10g")


def read_daily_edge(path: Path) -> pd.DataFrame:
    """The file, checked row by row: dates unique and ISO, n_trades a whole number >= 0,
    points finite, no trade and no points on a day without trades, open > 0."""
    path = Path(path)
    try:
        frame = pd.read_csv(io.StringIO(path.read_text()), dtype={"date": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DailyEdgeError(f"{path}: not a readable CSV ({exc})") from exc
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DailyEdgeError(f"{path}: missing column(s) {missing}; expected {list(COLUMNS)}")
    seen: set[str] = set()
    for i, row in enumerate(frame.itertuples(index=False), start=2):
        where = f"{path}, line {i}"
        try:
            day = pd.Timestamp(str(row.date)).date().isoformat()
        except ValueError as exc:
            raise DailyEdgeError(f"{where}: date {row.date!r} is not YYYY-MM-DD") from exc
        if day in seen:
            raise DailyEdgeError(f"{where}: date {day} appears twice")
        seen.add(day)
        n = float(row.n_trades)
        if not (math.isfinite(n) and n >= 0 and n == int(n)):
            raise DailyEdgeError(f"{where}: n_trades {row.n_trades!r} is not a whole number >= 0")
        for col in ("pnl_points", "null_mean_points"):
            if not math.isfinite(float(getattr(row, col))):
                raise DailyEdgeError(f"{where}: {col} {getattr(row, col)!r} is not finite")
        if n == 0 and (row.pnl_points != 0 or row.null_mean_points != 0):
            raise DailyEdgeError(f"{where}: points on a day without trades")
        if not (float(row.open) > 0):
            raise DailyEdgeError(f"{where}: open {row.open!r} is not a price > 0")
    out = frame.loc[:, list(COLUMNS)].copy()
    out["date"] = [pd.Timestamp(str(d)).date() for d in out["date"]]
    out["n_trades"] = out["n_trades"].astype(np.int64)
    return out


__all__ = ["COLUMNS", "DAILY_EDGE_FILE", "DailyEdgeError", "daily_edge", "daily_edge_csv",
           "read_daily_edge"]
