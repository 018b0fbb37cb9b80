"""Risk-management counterfactuals: what each rule did, by replaying the same entries.

The specification's ExperimentalRiskManager asserts three things; each is tested by re-pricing the
very same trades (same entry bar, direction and costs) with one rule taken away:
- stop loss: replay with no stop. Which stopped trades would have recovered (false stops),
  which would have lost more (losses prevented), and the net value of the stop;
- time stop: replay with no time stop (held until target, stop or the day's hard exit).
  The profit it gave up, how many trades it kept from being carried to the close;
- adaptive sizing: the same trades at the fixed `base_size`. Max drawdown (fraction of
  equity, the starting equity counted as a peak), total return, annualized daily Sharpe.

Sharpe here is the annualized daily one of the evidence package: the daily dollar P&L
series over the expiration days, 0 on days without a trade, mean / sample std x
sqrt(expiration days per year in the sample) (`calendar.expiration_days_per_year`; 252
when every session expires; dividing by a constant starting equity would not change it).
Drawdowns are on the trade-by-trade equity curve, in exit order. Undefined numbers
(nothing to measure) are None so the dict is valid JSON.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from assets.common.calendar import expiration_days_per_year
from assets.common.config import TradingConfig
from assets.common.market_day import MarketDay
from assets.trading.exits import REASON_NAMES, first_exits
from assets.trading.simulator import BarTape, as_date, as_tape, hold_bars, trade_dollars

NO_LIMIT_BARS = 10**9  # a time stop that never fires (the hard exit still does)


def replay_exits(trades: pd.DataFrame, tape: BarTape, cfg: TradingConfig, *,
                 stop: bool = True, time_stop: bool = True) -> pd.DataFrame:
    """Re-price the trades' entries with the stop and/or the time stop removed.

    Returns exit_index, exit_price, exit_reason, pnl_points (after slippage) per trade,
    aligned with `trades`.
    """
    entry = trades["entry_index"].to_numpy(dtype=np.int64)
    if len(entry) and (entry.max() >= tape.n_bars or not np.array_equal(
            tape.open[entry], trades["entry_price"].to_numpy(dtype=np.float64))):
        raise ValueError("trades do not line up with these bars (built from other days?)")
    direction = trades["predicted_direction"].to_numpy(dtype=np.int64)
    stop_pts = trades["stop_points"].to_numpy(dtype=np.float64)
    target_pts = trades["target_points"].to_numpy(dtype=np.float64)
    hold = hold_bars(trades["max_hold_minutes"].to_numpy(dtype=np.float64))
    if not stop:
        stop_pts = np.full_like(stop_pts, np.inf)
    if not time_stop:
        hold = np.full_like(hold, NO_LIMIT_BARS)
    last = tape.hard_exit_index(cfg.exit_before_close_minutes)[tape.day_of(entry)]
    x_idx, x_price, reason = first_exits(tape.open, tape.high, tape.low, tape.close,
                                         entry, direction, stop_pts, target_pts, hold, last)
    pts = direction * (x_price - tape.open[entry]) - 2.0 * cfg.slippage_points
    return pd.DataFrame({"exit_index": x_idx, "exit_price": x_price,
                         "exit_reason": np.asarray(REASON_NAMES, dtype=object)[reason],
                         "pnl_points": pts}, index=trades.index)


def equity_path(pnl_dollars: np.ndarray, starting_equity: float) -> dict[str, float | None]:
    """Total return and max drawdown (dollars and fraction of the running peak, the
    starting equity counted as a peak) of a sequence of trade P&Ls."""
    pnl = np.asarray(pnl_dollars, dtype=np.float64)
    equity = starting_equity + np.concatenate([[0.0], np.cumsum(pnl)])
    peak = np.maximum.accumulate(equity)
    dd = peak - equity
    with np.errstate(divide="ignore", invalid="ignore"):
        dd_frac = np.where(peak > 0, dd / peak, np.nan)
    return {
        "total_pnl_dollars": float(pnl.sum()),
        "total_return": float(pnl.sum() / starting_equity),
        "max_drawdown_dollars": float(dd.max()),
        "max_drawdown_fraction": _num(np.nanmax(dd_frac)) if np.any(~np.isnan(dd_frac)) else None,
        "final_equity": float(equity[-1]),
    }


def daily_sharpe(trade_days: Iterable[dt.date], pnl_dollars: np.ndarray,
                 all_days: Iterable[dt.date]) -> float | None:
    """Annualized daily Sharpe: P&L summed per day over `all_days` (0 on days without a
    trade), mean / sample std x sqrt(expiration days per year). None with < 2 days or no
    variation."""
    days = sorted(set(all_days))
    if len(days) < 2:
        return None
    pos = {d: i for i, d in enumerate(days)}
    daily = np.zeros(len(days))
    for d, p in zip(trade_days, np.asarray(pnl_dollars, dtype=np.float64), strict=False):
        i = pos.get(as_date(d))
        if i is None:
            raise ValueError(f"trade day {d} not among the days of the Sharpe series")
        daily[i] += p
    sd = daily.std(ddof=1)
    if not sd > 0:
        return None
    return float(daily.mean() / sd * math.sqrt(expiration_days_per_year(days)))


def risk_management_report(trades: pd.DataFrame, alerts: pd.DataFrame | None,
                           days: BarTape | Mapping[dt.date, MarketDay] | Iterable[MarketDay],
                           cfg: TradingConfig, *, all_days: Iterable[dt.date] | None = None,
                           scored_only: bool = True) -> dict[str, Any]:
    """The specification's validate_risk_assumptions, measured. Returns a JSON-able dict with
    `stop_loss_validation`, `time_stop_validation`, `position_sizing_validation` (the
    specification's keys first, then the underlying numbers), `sample` and a flat `table`.

    `scored_only` drops calibration trades (and, when `all_days` is not given, the
    calibration days from the Sharpe series: days with a calibration alert or trade).
    `all_days` defaults to every day on the tape.
    """
    tape = as_tape(days)
    t = trades
    if scored_only and len(t) and "is_calibration" in t:
        t = t[~t["is_calibration"].astype(bool)]
    t = t.sort_values(["exit_index", "entry_index"], kind="mergesort").reset_index(drop=True)

    if all_days is None:
        calib: set[dt.date] = set()
        if scored_only:
            for frame in (alerts, trades):
                if frame is not None and len(frame) and "is_calibration" in frame:
                    flags = frame["is_calibration"].astype(bool)
                    calib |= {as_date(d) for d in frame.loc[flags, "quote_date"]}
        all_days = [d for d in tape.dates if d not in calib]
    all_days = sorted({as_date(d) for d in all_days})

    n = len(t)
    report: dict[str, Any] = {
        "sample": {
            "n_trades": n,
            "n_days": len(all_days),
            "n_signal_alerts": _signal_alerts(alerts, scored_only),
            "scored_only": scored_only,
        }
    }
    if n == 0:
        report["stop_loss_validation"] = _stop_section(t, None, cfg.point_value)
        report["time_stop_validation"] = _time_section(t, None, tape)
        report["position_sizing_validation"] = _sizing_section(t, cfg, all_days)
    else:
        report["stop_loss_validation"] = _stop_section(
            t, replay_exits(t, tape, cfg, stop=False), cfg.point_value)
        report["time_stop_validation"] = _time_section(
            t, replay_exits(t, tape, cfg, time_stop=False), tape)
        report["position_sizing_validation"] = _sizing_section(t, cfg, all_days)
    report["table"] = _flat_table(report)
    return report


def _stop_section(t: pd.DataFrame, alt: pd.DataFrame | None,
                  point_value: float) -> dict[str, Any]:
    stopped = (t["exit_reason"] == "STOP").to_numpy() if len(t) else np.zeros(0, bool)
    n_stop = int(stopped.sum())
    actual = t["pnl_points"].to_numpy(dtype=float) if len(t) else np.zeros(0)
    out: dict[str, Any] = {
        "prevented_large_losses": None, "average_loss_when_hit": None,
        "false_stop_rate": None,
        "n_trades": len(t), "n_stopped": n_stop,
        "stop_hit_rate": _ratio(n_stop, len(t)),
        "average_loss_when_hit_dollars": None,
        "loss_prevented_points": None, "profit_given_up_points": None,
        "net_value_points": None, "net_value_dollars": None,
        "worst_trade_points_with_stop": _num(actual.min()) if len(t) else None,
        "worst_trade_points_without_stop": None,
    }
    if alt is None:
        return out
    without = alt["pnl_points"].to_numpy(dtype=float)
    size = t["size"].to_numpy(dtype=float)
    out["worst_trade_points_without_stop"] = _num(without.min())
    out["net_value_points"] = _num(actual.sum() - without.sum())
    # commissions are the same with or without the stop, so they cancel
    out["net_value_dollars"] = _num(np.sum(size * point_value * (actual - without)))
    if n_stop:
        a, w = actual[stopped], without[stopped]
        out["prevented_large_losses"] = _num(np.mean(w < a))  # the stop saved money
        out["average_loss_when_hit"] = _num(a.mean())
        out["average_loss_when_hit_dollars"] = _num(
            t.loc[stopped, "pnl_dollars"].to_numpy(dtype=float).mean())
        out["false_stop_rate"] = _num(np.mean(w > 0))  # would have ended profitable
        out["loss_prevented_points"] = _num(np.clip(a - w, 0, None).sum())
        out["profit_given_up_points"] = _num(np.clip(w - a, 0, None).sum())
    return out


def _time_section(t: pd.DataFrame, alt: pd.DataFrame | None, tape: BarTape) -> dict[str, Any]:
    timed = (t["exit_reason"] == "TIME").to_numpy() if len(t) else np.zeros(0, bool)
    n_time = int(timed.sum())
    out: dict[str, Any] = {
        "expiration_risk_prevention": None, "missed_profit_rate": None,
        "average_exit_timing": None,
        "n_trades": len(t), "n_time_exits": n_time, "time_exit_rate": _ratio(n_time, len(t)),
        "missed_profit_points": None, "average_missed_profit_points": None,
        "net_value_points": None,
        "held_to_close_fraction_with_time_stop": None,
        "held_to_close_fraction_without_time_stop": None,
        "average_hold_minutes": None, "average_hold_minutes_without_time_stop": None,
        "average_minutes_to_close_at_exit": None,
        "average_minutes_to_close_at_exit_without_time_stop": None,
        "pnl_std_points_with_time_stop": None, "pnl_std_points_without_time_stop": None,
    }
    if not len(t):
        return out
    actual = t["pnl_points"].to_numpy(dtype=float)
    x_idx = t["exit_index"].to_numpy(dtype=np.int64)
    e_idx = t["entry_index"].to_numpy(dtype=np.int64)
    hold = (x_idx - e_idx + 1).astype(float)
    out["average_hold_minutes"] = _num(hold.mean())
    # minutes to close measured from the end of the exit bar (exact for TIME/CLOSE exits,
    # an upper bound by under a minute for intrabar stop/target fills)
    out["average_minutes_to_close_at_exit"] = _num(tape.minutes_to_expiry[x_idx].mean())
    out["average_exit_timing"] = out["average_hold_minutes"]
    out["held_to_close_fraction_with_time_stop"] = _num(
        np.mean(t["exit_reason"].to_numpy() == "CLOSE"))
    out["pnl_std_points_with_time_stop"] = _std(actual)
    if alt is None:
        return out
    without = alt["pnl_points"].to_numpy(dtype=float)
    alt_idx = alt["exit_index"].to_numpy(dtype=np.int64)
    alt_close = alt["exit_reason"].to_numpy() == "CLOSE"
    out["held_to_close_fraction_without_time_stop"] = _num(np.mean(alt_close))
    out["average_hold_minutes_without_time_stop"] = _num((alt_idx - e_idx + 1).mean())
    out["average_minutes_to_close_at_exit_without_time_stop"] = _num(
        tape.minutes_to_expiry[alt_idx].mean())
    out["pnl_std_points_without_time_stop"] = _std(without)
    out["net_value_points"] = _num(actual.sum() - without.sum())
    if n_time:
        a, w = actual[timed], without[timed]
        out["missed_profit_rate"] = _num(np.mean(w > a))
        out["missed_profit_points"] = _num(np.clip(w - a, 0, None).sum())
        out["average_missed_profit_points"] = _num(np.clip(w - a, 0, None).mean())
        # of the trades the time stop closed, the share that would have ridden to the close
        out["expiration_risk_prevention"] = _num(np.mean(alt_close[timed]))
    return out


def _sizing_section(t: pd.DataFrame, cfg: TradingConfig,
                    all_days: list[dt.date]) -> dict[str, Any]:
    if len(t):
        adaptive = t["pnl_dollars"].to_numpy(dtype=float)
        fixed = trade_dollars(cfg.base_size, t["pnl_points"].to_numpy(dtype=float), cfg)
        tdays = list(t["quote_date"])
    else:
        adaptive = fixed = np.zeros(0)
        tdays = []
    a = equity_path(adaptive, cfg.starting_equity)
    f = equity_path(fixed, cfg.starting_equity)
    a["sharpe_daily_annualized"] = daily_sharpe(tdays, adaptive, all_days)
    f["sharpe_daily_annualized"] = daily_sharpe(tdays, fixed, all_days)
    a["average_size"] = _num(t["size"].astype(float).mean()) if len(t) else None
    f["average_size"] = float(cfg.base_size)
    return {
        "drawdown_control_effectiveness": a["max_drawdown_fraction"],
        "return_optimization": a["total_return"],
        "risk_adjusted_performance": a["sharpe_daily_annualized"],
        "adaptive": a,
        "fixed": f,
        "drawdown_reduction_vs_fixed": _diff(f["max_drawdown_fraction"],
                                             a["max_drawdown_fraction"]),
        "return_difference_vs_fixed": _diff(a["total_return"], f["total_return"]),
        "sharpe_difference_vs_fixed": _diff(a["sharpe_daily_annualized"],
                                            f["sharpe_daily_annualized"]),
        "sharpe_definition": ("expiration-day P&L (0 on days without a trade), mean/std(ddof=1) "
                              "x sqrt(expiration days per year in the sample)"),
    }


def _flat_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for section in ("stop_loss_validation", "time_stop_validation",
                    "position_sizing_validation"):
        for key, value in report[section].items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    if isinstance(v, (int, float)) or v is None:
                        rows.append({"section": section, "metric": f"{key}.{sub}", "value": v})
            elif isinstance(value, (int, float)) or value is None:
                rows.append({"section": section, "metric": key, "value": value})
    return rows


def _signal_alerts(alerts: pd.DataFrame | None, scored_only: bool) -> int | None:
    if alerts is None:
        return None
    if not len(alerts):
        return 0
    a = alerts[alerts["urgency"] != "NO_SIGNAL"]
    if scored_only and "is_calibration" in a:
        a = a[~a["is_calibration"].astype(bool)]
    return int(len(a))


def _num(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _ratio(k: int, n: int) -> float | None:
    return float(k / n) if n else None


def _std(x: np.ndarray) -> float | None:
    return _num(np.std(x, ddof=1)) if len(x) >= 2 else None


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else float(a - b)

