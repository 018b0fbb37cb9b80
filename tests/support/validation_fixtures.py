"""Synthetic inputs for the validation tests: random-walk days, trades priced by the shared
exit engine (the simulator's conventions), and prediction outcomes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.trading.exits import REASON_NAMES, first_exits
from assets.trading.simulator import build_bar_tape, hold_bars
from assets.validation.statistics.null_model import window_alert_bars

CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")


def random_walk_days(n_days: int, seed: int, drift: float = 0.0, sigma: float = 0.5,
                     n_bars: int = 390, start: dt.date = dt.date(2024, 1, 2),
                     drift_from_minutes: float = np.inf) -> list[MarketDay]:
    """Business days of 1-minute random-walk bars; `drift` points per bar is added on bars
    whose minutes to expiry are <= `drift_from_minutes`."""
    rng = np.random.default_rng(seed)
    days = []
    dates = pd.bdate_range(start, periods=n_days)
    minutes = np.arange(n_bars - 1, -1, -1, dtype=float)
    for d in dates:
        steps = rng.normal(0.0, sigma, n_bars) + np.where(minutes <= drift_from_minutes, drift, 0)
        close = 4000.0 + np.round(np.cumsum(steps), 2)
        open_ = np.concatenate([[4000.0], close[:-1]])
        wick = np.abs(rng.normal(0.0, sigma / 2, (2, n_bars)))
        high = np.maximum(open_, close) + wick[0]
        low = np.minimum(open_, close) - wick[1]
        session_open = (pd.Timestamp(d.date()).tz_localize("UTC")
                        + pd.Timedelta(hours=14, minutes=30))
        ts = (session_open + pd.to_timedelta(np.arange(n_bars), unit="min")).tz_localize(None)
        strikes = np.arange(3900.0, 4105.0, 5.0)
        oi = rng.integers(100, 5000, size=(2, strikes.size)).astype(float)
        days.append(MarketDay(d.date(), session_open, session_open + pd.Timedelta(minutes=n_bars),
                              ts.to_numpy(), open_, high, low, close, minutes, strikes,
                              oi[0], oi[1]))
    return days


def priced_trades(days: list[MarketDay], n_trades: int, seed: int, cfg: LabConfig,
                  direction: str = "random", n_calibration: int = 0) -> pd.DataFrame:
    """Trades in the simulator's layout at uniformly drawn entries of the class windows,
    priced with `first_exits`, slippage and commission like the simulator. `direction` is
    "random", "up" (+1) or "down" (-1). The first `n_calibration` trades are flagged."""
    rng = np.random.default_rng(seed)
    tape = build_bar_tape(days)
    tc = cfg.trading
    rules = {r.name: r for r in cfg.pressure.urgency_rules}
    last_of_day = tape.hard_exit_index(tc.exit_before_close_minutes)
    rows = []
    picks = sorted(zip(rng.integers(0, len(days), n_trades),
                       rng.integers(0, 2, n_trades), strict=True))
    for day, k in picks:
        cls = CLASSES[k]
        cand = window_alert_bars(tape, day, rules[cls], tc.exit_before_close_minutes)
        alert = int(rng.choice(cand))
        d = int(rng.choice([-1, 1])) if direction == "random" else (1 if direction == "up" else -1)
        rows.append((day, cls, alert + 1, d))
    day_i = np.array([r[0] for r in rows])
    cls = np.array([r[1] for r in rows])
    entry = np.array([r[2] for r in rows], dtype=np.int64)
    dirn = np.array([r[3] for r in rows], dtype=np.int64)
    stop = np.array([tc.stop_points[c] for c in cls])
    target = np.array([tc.target_points[c] for c in cls])
    hold_min = np.array([tc.max_hold_minutes[c] for c in cls])
    x_idx, x_price, reason = first_exits(tape.open, tape.high, tape.low, tape.close, entry,
                                         dirn, stop, target, hold_bars(hold_min),
                                         last_of_day[day_i])
    entry_price = tape.open[entry]
    pts = dirn * (x_price - entry_price) - 2 * tc.slippage_points
    size = rng.choice([1.0, 1.5, 2.0], size=entry.size)
    usd = size * tc.point_value * pts - 2 * tc.commission_per_contract * size
    return pd.DataFrame({
        "experiment_id": [f"EXP-{i}" for i in range(entry.size)],
        "alert_id": [f"A{i}" for i in range(entry.size)],
        "quote_date": [tape.dates[i] for i in day_i],
        "urgency": cls, "predicted_direction": dirn,
        "predicted_magnitude": [float(np.mean(rules[c].move_magnitude)) for c in cls],
        "predicted_timing": [float(np.mean(rules[c].move_duration)) for c in cls],
        "confidence": 0.8, "recent_accuracy": 0.5, "size": size,
        "entry_ts": pd.to_datetime(tape.ts[entry]).tz_localize("UTC"), "entry_index": entry,
        "entry_price": entry_price,
        "exit_ts": pd.to_datetime(tape.ts[x_idx]).tz_localize("UTC"), "exit_index": x_idx,
        "exit_price": x_price, "stop_price": entry_price - dirn * stop,
        "target_price": entry_price + dirn * target, "stop_points": stop,
        "target_points": target, "max_hold_minutes": hold_min,
        "exit_reason": np.asarray(REASON_NAMES, dtype=object)[reason],
        "hold_minutes": x_idx - entry + 1, "pnl_points": pts, "pnl_dollars": usd,
        "win": usd > 0, "is_calibration": np.arange(entry.size) < n_calibration,
    })


def random_alerts(days: list[MarketDay], n: int, seed: int, cfg: LabConfig,
                  n_calibration: int = 0, direction: str = "random") -> pd.DataFrame:
    """Alerts in the pressure stage's layout at random bars of the class windows."""
    rng = np.random.default_rng(seed)
    rules = {r.name: r for r in cfg.pressure.urgency_rules}
    tape = build_bar_tape(days)
    rows = []
    for i in range(n):
        k = int(rng.integers(0, len(days)))
        cls = CLASSES[int(rng.integers(0, 2))]
        cand = window_alert_bars(tape, k, rules[cls], cfg.trading.exit_before_close_minutes)
        t = int(rng.choice(cand)) - int(tape.day_start[k])
        day = days[k]
        d = int(rng.choice([-1, 1])) if direction == "random" else (1 if direction == "up" else -1)
        rule = rules[cls]
        rows.append({"alert_id": f"{day.quote_date:%Y%m%d}-{t:03d}-{i}",
                     "quote_date": day.quote_date, "bar_index": t, "urgency": cls,
                     "steering_direction": d, "pressure": float(10 ** rng.uniform(-2, 2)),
                     "total_oi": 3000.0, "minutes_to_expiry": float(day.minutes_to_expiry[t]),
                     "expected_move": float(np.mean(rule.move_magnitude)),
                     "expected_duration": float(np.mean(rule.move_duration)),
                     "is_calibration": i < n_calibration})
    return pd.DataFrame(rows)


def outcomes_for(days: list[MarketDay], n: int, seed: int, cfg: LabConfig | None = None,
                 n_calibration: int = 0, direction: str = "random") -> pd.DataFrame:
    """Prediction outcomes by the pressure stage's own function, at random alerts."""
    from assets.pressure.outcomes import prediction_outcomes

    cfg = cfg or LabConfig()
    alerts = random_alerts(days, n, seed, cfg, n_calibration, direction)
    return prediction_outcomes(alerts, {d.quote_date: d for d in days}, cfg.pressure)
