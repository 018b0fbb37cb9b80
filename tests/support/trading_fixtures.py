"""Synthetic bars/alerts and a plain bar-by-bar reference simulator for the trading tests.

The reference is written independently of `assets.trading`: one Python loop per trade,
bar by bar, with the rules stated in docs/stage-interfaces.md and the simulator's docstring.
It imports nothing from `assets.trading`, so agreement with it is evidence, not an echo.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from assets.common.config import TradingConfig
from assets.common.market_day import MarketDay

CLASSES = ("ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT")


def trade_sized_config(**kwargs) -> TradingConfig:
    """TradingConfig sized from taken trades only (the specification's literal reading), unless the
    caller says otherwise."""
    kwargs.setdefault("accuracy_source", "trades")
    return TradingConfig(**kwargs)


def make_day(quote_date: dt.date, open_: np.ndarray, high: np.ndarray, low: np.ndarray,
             close: np.ndarray) -> MarketDay:
    """A MarketDay on a 09:30 ET (14:30 UTC) open with the given bars."""
    n = len(close)
    start = pd.Timestamp(quote_date).tz_localize("UTC") + pd.Timedelta(hours=14, minutes=30)
    ts = (start + pd.to_timedelta(np.arange(n), unit="min")).tz_localize(None).to_numpy()
    close_ts = start + pd.Timedelta(minutes=n)
    mte = (n - 1 - np.arange(n)).astype(float)
    empty = np.empty(0)
    return MarketDay(quote_date, start, close_ts, ts.astype("datetime64[ns]"),
                     np.asarray(open_, float), np.asarray(high, float), np.asarray(low, float),
                     np.asarray(close, float), mte, empty, empty, empty)


def random_days(rng: np.random.Generator, n_days: int, n_bars: int = 390,
                first: dt.date = dt.date(2023, 1, 2), vol: float = 1.0,
                gap_prob: float = 0.05) -> dict[dt.date, MarketDay]:
    """Random-walk 1-minute bars; a fraction of bars open away from the previous close."""
    days = {}
    price = 4000.0
    for k in range(n_days):
        d = first + dt.timedelta(days=k)
        steps = rng.normal(0.0, vol, n_bars)
        gaps = np.where(rng.random(n_bars) < gap_prob, rng.normal(0.0, 3 * vol, n_bars), 0.0)
        open_ = np.empty(n_bars)
        close = np.empty(n_bars)
        prev = price
        for t in range(n_bars):  # test data only
            open_[t] = prev + gaps[t]
            close[t] = open_[t] + steps[t]
            prev = close[t]
        price = close[-1]
        high = np.maximum(open_, close) + rng.exponential(0.6 * vol, n_bars)
        low = np.minimum(open_, close) - rng.exponential(0.6 * vol, n_bars)
        days[d] = make_day(d, open_, high, low, close)
    return days


def random_alerts(rng: np.random.Generator, days: dict[dt.date, MarketDay],
                  per_day: float = 4.0, no_signal_frac: float = 0.15,
                  calibration_days: int = 0) -> pd.DataFrame:
    """Alerts with the interface's columns at random bars (some on the same bar, some in
    the last minutes, some NO_SIGNAL)."""
    rows = []
    for k, (d, day) in enumerate(sorted(days.items())):
        m = rng.poisson(per_day)
        bars = rng.integers(0, day.n_bars, m)
        if m >= 2 and rng.random() < 0.3:
            bars[1] = bars[0]  # two alerts on the same bar
        for b in bars:
            urg = CLASSES[rng.integers(0, 2)] if rng.random() > no_signal_frac else "NO_SIGNAL"
            strike = 5.0 * round(day.close[b] / 5.0) + 5.0 * rng.integers(-2, 3)
            sd = int(rng.choice([-1, 1]))
            rows.append({
                "alert_id": f"{d:%Y%m%d}-{b:03d}-{strike:g}",
                "quote_date": d,
                "ts": pd.Timestamp(day.ts[b]).tz_localize("UTC"),
                "bar_index": int(b),
                "strike": strike,
                "total_oi": float(rng.integers(1000, 10000)),
                "distance": abs(day.close[b] - strike),
                "minutes_to_expiry": float(day.minutes_to_expiry[b]),
                "probability": float(rng.random()),
                "pressure": float(rng.exponential(100.0)),
                "threshold": 50.0,
                "urgency": urg,
                "steering_direction": sd,
                "direction_label": "UP" if sd > 0 else "DOWN",
                "price": float(day.close[b]),
                "expected_move": (25.0 if urg == CLASSES[0]
                                  else 15.0 if urg != "NO_SIGNAL" else np.nan),
                "expected_move_low": np.nan,
                "expected_move_high": np.nan,
                "expected_duration": 5.5 if urg == CLASSES[0] else 32.5,
                "max_hold_minutes": 8.0 if urg == CLASSES[0] else 45.0,
                "confidence": float(rng.uniform(0.3, 1.0)),
                "is_calibration": k < calibration_days,
            })
    df = pd.DataFrame(rows)
    return df.drop_duplicates("alert_id").reset_index(drop=True)


def reference_simulate(alerts: pd.DataFrame, days: dict[dt.date, MarketDay],
                       cfg: TradingConfig, multipliers: dict[str, float]) -> pd.DataFrame:
    """Bar-by-bar reference: a plain loop per alert, per bar. Global indices count bars
    over the days in date order, like the simulator's tape."""
    ordered = sorted(days)
    offset, o_all, h_all, l_all, c_all, last_of = {}, [], [], [], [], {}
    n = 0
    for d in ordered:
        day = days[d]
        offset[d] = n
        last_of[d] = n + day.n_bars - 1 - cfg.exit_before_close_minutes
        o_all += list(day.open)
        h_all += list(day.high)
        l_all += list(day.low)
        c_all += list(day.close)
        n += day.n_bars

    cands = []
    for a in alerts.itertuples(index=False):
        if a.urgency == "NO_SIGNAL" or a.quote_date not in offset:
            continue
        e = offset[a.quote_date] + a.bar_index + 1
        if e >= last_of[a.quote_date]:
            continue
        cands.append((offset[a.quote_date] + a.bar_index, -a.pressure, a.alert_id, e, a))
    cands.sort(key=lambda x: (x[0], x[1], x[2]))

    trades = []
    outcomes = []  # (exit_index, seq, win) of every outcome the accuracy may count
    busy_until = -1
    for _, _, _, e, a in cands:
        closed = sorted((o for o in outcomes if o[0] < e), key=lambda o: (o[0], o[1]))
        window = closed[-cfg.accuracy_window:] if cfg.accuracy_window > 0 else []
        k = cfg.accuracy_prior_weight
        if window:
            acc = (sum(o[2] for o in window) + k * cfg.prior_accuracy) / (len(window) + k)
        else:
            acc = cfg.prior_accuracy
        x_idx, x_price, reason, entry = _reference_exit(a, e, cfg, o_all, h_all, l_all, c_all,
                                                        last_of[a.quote_date])
        d = a.steering_direction
        pts = d * (x_price - entry) - 2 * cfg.slippage_points
        if cfg.accuracy_source == "signals":
            one_lot = cfg.point_value * pts - 2 * cfg.commission_per_contract
            outcomes.append((x_idx, len(outcomes), one_lot > 0))
        if not cfg.allow_overlap and e <= busy_until:
            continue
        raw = min(cfg.base_size * a.confidence * acc * multipliers[a.urgency], cfg.max_size)
        size = math.floor(raw * 10 + 1e-9) / 10 if cfg.size_rounding == "mes" else raw
        if size <= 0:
            continue
        dollars = size * cfg.point_value * pts - 2 * cfg.commission_per_contract * size
        if cfg.accuracy_source == "trades":
            outcomes.append((x_idx, len(outcomes), dollars > 0))
        trades.append({"alert_id": a.alert_id, "entry_index": e, "exit_index": x_idx,
                       "entry_price": entry, "exit_price": x_price, "exit_reason": reason,
                       "size": size, "recent_accuracy": acc, "pnl_points": pts,
                       "pnl_dollars": dollars, "win": dollars > 0, "seq": len(trades)})
        busy_until = max(busy_until, x_idx)
    return pd.DataFrame(trades)


def _reference_exit(a, e, cfg, o_all, h_all, l_all, c_all, last):
    """Bar-by-bar exit of one entry: stop before target, gaps fill at the open."""
    d = a.steering_direction
    sp, tp = cfg.stop_points[a.urgency], cfg.target_points[a.urgency]
    hold = max(1, math.ceil(cfg.max_hold_minutes[a.urgency] - 1e-9))
    entry = o_all[e]
    stop_lvl = entry - d * sp
    tgt_lvl = entry + d * tp
    x_idx = x_price = reason = None
    j = e
    while True:
        o, h, lo = o_all[j], h_all[j], l_all[j]
        if d > 0:
            stop_hit, tgt_hit = lo <= stop_lvl, h >= tgt_lvl
        else:
            stop_hit, tgt_hit = h >= stop_lvl, lo <= tgt_lvl
        if stop_hit:
            gapped = (o <= stop_lvl) if d > 0 else (o >= stop_lvl)
            x_idx, x_price, reason = j, (o if gapped else stop_lvl), "STOP"
            break
        if tgt_hit:
            gapped = (o >= tgt_lvl) if d > 0 else (o <= tgt_lvl)
            x_idx, x_price, reason = j, (o if gapped else tgt_lvl), "TARGET"
            break
        if j == e + hold - 1:
            x_idx, x_price, reason = j, c_all[j], "TIME"
            break
        if j == last:
            x_idx, x_price, reason = j, c_all[j], "CLOSE"
            break
        j += 1
    return x_idx, x_price, reason, entry
