"""Drawdowns of the realized equity curve.

The curve starts at the starting equity and steps at each trade's exit (realized P&L, in
exit order). The starting value counts as a peak, so a strategy that loses from its first
trade shows that loss as a drawdown. Reported in dollars, in points (the cumulative
per-contract points curve, starting at 0) and as a fraction of the peak equity; the
success criterion ("max drawdown ≤ 15 %") reads the fraction. The daily curve for the
report's figure is end-of-day equity over every out-of-sample day; its drawdown can only
be smaller than the trade-level one, which is the figure of record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd


def _order(trades: pd.DataFrame) -> pd.DataFrame:
    for col in ("exit_ts", "exit_index", "entry_ts"):
        if col in trades.columns:
            return trades.sort_values(col, kind="stable")
    return trades


def drawdown_path(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Running peak and drawdown (peak - value) of a curve whose first element is the
    starting value."""
    v = np.asarray(values, dtype=float)
    peak = np.maximum.accumulate(v)
    return peak, peak - v


def max_drawdown(values: np.ndarray) -> dict[str, Any]:
    """Largest peak-to-trough fall of a curve (first element = start, counted as a peak):
    absolute, as a fraction of the peak, positions of peak/trough/recovery, and the
    longest underwater stretch (steps from a peak until the curve is back at it, or to
    the end)."""
    v = np.asarray(values, dtype=float)
    peak, dd = drawdown_path(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(peak > 0, dd / peak, np.nan)
    trough = int(np.argmax(dd)) if v.size else 0
    peak_pos = int(np.flatnonzero(v[: trough + 1] == peak[trough])[0]) if v.size else 0
    after = np.flatnonzero(v[trough:] >= peak[trough]) if v.size else np.array([], int)
    recovery = int(trough + after[0]) if after.size and dd[trough] > 0 else None
    under = dd > 0
    longest, run = 0, 0
    for u in under:  # short curves (one point per trade): a plain loop is clear and cheap
        run = run + 1 if u else 0
        longest = max(longest, run)
    return {
        "max_drawdown": float(dd.max()) if v.size else 0.0,
        "max_drawdown_fraction": float(np.nanmax(frac)) if np.isfinite(frac).any() else None,
        "peak_position": peak_pos, "trough_position": trough, "recovery_position": recovery,
        "longest_underwater_steps": int(longest),
    }


def drawdown_statistics(trades: pd.DataFrame, starting_equity: float) -> dict[str, Any]:
    """Trade-level drawdown of the (out-of-sample) trades in dollars, points, fraction and
    duration (trades, and calendar days from the peak's date to recovery or the last
    trade's date). Position 0 of the curve is the start; it is dated like the first trade."""
    t = _order(trades)
    usd = np.asarray(t["pnl_dollars"], dtype=float)
    pts = np.asarray(t["pnl_points"], dtype=float)
    equity = starting_equity + np.concatenate([[0.0], np.cumsum(usd)])
    points = np.concatenate([[0.0], np.cumsum(pts)])
    d_usd = max_drawdown(equity)
    d_pts = max_drawdown(points)
    trade_dates = ([pd.Timestamp(d).date() for d in t["quote_date"]]
                   if "quote_date" in t.columns else [])

    def date_at(pos: int | None) -> dt.date | None:
        if pos is None or not trade_dates:
            return None
        return trade_dates[max(pos, 1) - 1]

    has_dd = d_usd["max_drawdown"] > 0
    recovery = d_usd["recovery_position"]
    end_pos = recovery if recovery is not None else len(equity) - 1
    peak_date, end_date = date_at(d_usd["peak_position"]), date_at(end_pos)
    trough_date = date_at(d_usd["trough_position"])
    duration_days = (end_date - peak_date).days if has_dd and peak_date and end_date else 0
    # Sizes are set in contracts, not from equity, so a losing run can trade past zero: the
    # package says when the account would have been wiped out instead of only showing a
    # drawdown above 100 %.
    broke = np.flatnonzero(equity[1:] <= 0.0)
    exhausted_date = date_at(int(broke[0]) + 1) if broke.size else None
    return {
        "starting_equity": float(starting_equity),
        "ending_equity": float(equity[-1]),
        "max_drawdown_dollars": d_usd["max_drawdown"],
        "max_drawdown_fraction": d_usd["max_drawdown_fraction"],
        "max_drawdown_points": d_pts["max_drawdown"],
        "max_drawdown_peak_date": peak_date.isoformat() if has_dd and peak_date else None,
        "max_drawdown_trough_date": trough_date.isoformat() if has_dd and trough_date else None,
        "max_drawdown_recovered": recovery is not None,
        "max_drawdown_duration_trades": end_pos - d_usd["peak_position"] if has_dd else 0,
        "max_drawdown_duration_days": duration_days,
        "longest_underwater_trades": d_usd["longest_underwater_steps"],
        "minimum_equity": float(equity.min()),
        "equity_exhausted": bool(broke.size),
        "equity_exhausted_date": exhausted_date.isoformat() if exhausted_date else None,
        "basis": "trade-level realized equity, starting equity counted as a peak",
    }


def daily_equity_curve(trades: pd.DataFrame, days: Iterable,
                       starting_equity: float) -> dict[str, list]:
    """End-of-day equity over every out-of-sample day, for the report's figure."""
    from assets.validation.statistics.sharpe import daily_pnl

    daily = daily_pnl(trades, days)
    equity = starting_equity + daily.cumsum().to_numpy()
    full = np.concatenate([[starting_equity], equity])
    peak, dd = drawdown_path(full)
    frac = (dd / np.where(peak > 0, peak, np.nan))[1:]
    return {"dates": [d.isoformat() for d in daily.index],
            "equity": [float(v) for v in equity],
            "drawdown_fraction": [float(v) if np.isfinite(v) else None for v in frac]}
