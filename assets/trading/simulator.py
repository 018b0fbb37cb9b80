"""Trade simulation: alerts in, one row per simulated futures trade out.

The specification's ExpirationTradeExecutor, replayed on recorded bars without lookahead:
- an alert at bar t (its decision uses bars 0..t) enters at the OPEN of bar t+1, in the
  alert's steering direction; alerts of class NO_SIGNAL never trade, and an alert whose
  next bar is at or after the day's hard-exit bar is skipped (no time left to hold);
- stop, target and time stop per urgency class from `TradingConfig`; hard exit at the
  close of bar (last bar - exit_before_close_minutes); exits come from the shared,
  vectorized `first_exits`;
- size from the specification's adaptive formula (`sizing.position_size`), whose recent accuracy
  only sees trades whose exit bar is before the entry bar;
- one position at a time unless `allow_overlap`: an alert arriving while a trade is open is
  skipped; alerts on the same bar are taken in order of decreasing pressure (then id);
- costs: `slippage_points` per side against the trade, `commission_per_contract` x size
  per side.

Speed: exits do not depend on size, so every candidate's exit is found in one vectorized
call; only the cheap overlap/sizing bookkeeping walks the alerts in time order.

Prices in the trades table: `entry_price` is the entry bar's open, `exit_price` the
engine's fill, both before slippage; `pnl_points` = direction x (exit - entry) - 2 x
slippage. Times: `entry_ts`/`exit_ts` are the START of the entry/exit bar (the lab's bar
convention); `hold_minutes` = exit_index - entry_index + 1 bars in the market. Calibration
alerts trade too (flagged `is_calibration`): their outcomes are past information that may
feed later sizing; the validation stage leaves them out of every score.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from assets.common.bar_tape import BarTape, as_date, as_tape, build_bar_tape  # noqa: F401
from assets.common.config import TradingConfig, UrgencyRule
from assets.common.market_day import MarketDay
from assets.trading.exits import REASON_NAMES, first_exits
from assets.trading.sizing import RecentAccuracy, position_size

NO_SIGNAL = "NO_SIGNAL"

TRADE_COLUMNS: tuple[str, ...] = (
    "experiment_id", "alert_id", "quote_date", "urgency", "predicted_direction",
    "predicted_magnitude", "predicted_timing", "confidence", "recent_accuracy", "size",
    "entry_ts", "entry_index", "entry_price", "exit_ts", "exit_index", "exit_price",
    "stop_price", "target_price", "stop_points", "target_points", "max_hold_minutes",
    "exit_reason", "hold_minutes", "pnl_points", "pnl_dollars", "win", "is_calibration",
)


def hold_bars(max_hold_minutes: float | np.ndarray, bar_minutes: float = 1.0) -> np.ndarray:
    """Bars a time stop allows: ceil(minutes / bar length), at least one bar."""
    minutes = np.asarray(max_hold_minutes, dtype=np.float64)
    if np.any(~np.isfinite(minutes)):
        raise ValueError("max hold minutes must be finite")
    return np.maximum(np.ceil(minutes / bar_minutes - 1e-9), 1).astype(np.int64)


@dataclass(frozen=True)
class SimulationResult:
    trades: pd.DataFrame
    skipped: dict[str, int] = field(default_factory=dict)
    n_alerts: int = 0
    n_signal_alerts: int = 0


def simulate_trades(alerts: pd.DataFrame,
                    days: BarTape | Mapping[dt.date, MarketDay] | Iterable[MarketDay],
                    cfg: TradingConfig,
                    urgency_rules: Sequence[UrgencyRule]) -> pd.DataFrame:
    """Trades table (columns `TRADE_COLUMNS`), sorted by entry; `.attrs["skipped"]` holds
    the counts of alerts not traded, by reason (see `run_simulation`)."""
    result = run_simulation(alerts, days, cfg, urgency_rules)
    trades = result.trades
    trades.attrs["skipped"] = dict(result.skipped)
    return trades


def run_simulation(alerts: pd.DataFrame,
                   days: BarTape | Mapping[dt.date, MarketDay] | Iterable[MarketDay],
                   cfg: TradingConfig,
                   urgency_rules: Sequence[UrgencyRule]) -> SimulationResult:
    """Simulate every tradable alert; also count the alerts not traded, by reason:
    `no_bars` (day absent from the bars), `too_late` (next bar at/after the hard exit),
    `overlap` (a position was open), `zero_size` (size rounded to nothing)."""
    tape = as_tape(days)
    skipped = empty_skips()
    priced = priced_candidates(alerts, tape, cfg, urgency_rules, skipped)
    n_alerts = 0 if alerts is None else len(alerts)
    n_signal = 0 if n_alerts == 0 else int((alerts["urgency"] != NO_SIGNAL).sum())
    return SimulationResult(take_trades(priced, tape, cfg, skipped), skipped, n_alerts, n_signal)


def empty_skips() -> dict[str, int]:
    return {"no_bars": 0, "too_late": 0, "overlap": 0, "zero_size": 0}


def priced_candidates(alerts: pd.DataFrame | None, tape: BarTape, cfg: TradingConfig,
                      urgency_rules: Sequence[UrgencyRule],
                      skipped: dict[str, int]) -> pd.DataFrame:
    """The tradable signal alerts in the simulator's order, priced (`price_candidates`);
    counts `no_bars` and `too_late` skips into `skipped`."""
    multipliers = {r.name: float(r.size_multiplier) for r in urgency_rules}
    if alerts is None or len(alerts) == 0:
        return price_candidates(pd.DataFrame(), tape, cfg, multipliers)
    signal = alerts[alerts["urgency"] != NO_SIGNAL]
    if signal.empty:
        return price_candidates(pd.DataFrame(), tape, cfg, multipliers)
    unknown = sorted(set(signal["urgency"]) - set(multipliers))
    if unknown:
        raise ValueError(f"alerts of urgency classes without a rule: {unknown}")
    for name, table in (("stop_points", cfg.stop_points), ("target_points", cfg.target_points),
                        ("max_hold_minutes", cfg.max_hold_minutes)):
        missing = sorted(set(signal["urgency"]) - set(table))
        if missing:
            raise ValueError(f"TradingConfig.{name} has no value for {missing}")
    return price_candidates(_candidates(signal, tape, cfg, skipped), tape, cfg, multipliers)


def price_candidates(cand: pd.DataFrame, tape: BarTape, cfg: TradingConfig,
                     multipliers: Mapping[str, float]) -> pd.DataFrame:
    """Every candidate's exit and net points, before any sizing: exits do not depend on
    size, so a day's candidates can be priced once (the engine's per-day unit) and the
    sequential overlap/sizing pass run later over many days (`take_trades`)."""
    if cand.empty:
        return cand.assign(exit_index=np.empty(0, np.int64), exit_price=np.empty(0),
                           exit_code=np.empty(0, np.int64), pnl_points=np.empty(0),
                           multiplier=np.empty(0))
    exit_idx, exit_price, reason = first_exits(
        tape.open, tape.high, tape.low, tape.close,
        cand["entry_index"].to_numpy(), cand["direction"].to_numpy(),
        cand["stop_points"].to_numpy(), cand["target_points"].to_numpy(),
        cand["hold_bars"].to_numpy(), cand["last_index"].to_numpy())
    direction = cand["direction"].to_numpy()
    entry_price = tape.open[cand["entry_index"].to_numpy()]
    pnl_points = direction * (exit_price - entry_price) - 2.0 * float(cfg.slippage_points)
    return cand.assign(exit_index=exit_idx.astype(np.int64), exit_price=exit_price,
                       exit_code=reason.astype(np.int64), pnl_points=pnl_points,
                       multiplier=cand["urgency"].astype(str).map(multipliers).to_numpy(float))


def take_trades(priced: pd.DataFrame, tape: BarTape, cfg: TradingConfig,
                skipped: dict[str, int], tracker: RecentAccuracy | None = None) -> pd.DataFrame:
    """The sequential pass over priced candidates (in the simulator's order, indices on
    `tape`): one position at a time, recent accuracy, size; the trades table. `tracker`
    (default: a fresh one) is what sizing knew before the first candidate, and is left as
    the pass leaves it."""
    if priced.empty:
        return empty_trades()
    exit_idx = priced["exit_index"].to_numpy(np.int64)
    exit_price = priced["exit_price"].to_numpy(float)
    reason = priced["exit_code"].to_numpy(np.int64)
    direction = priced["direction"].to_numpy(np.int64)
    pnl_points = priced["pnl_points"].to_numpy(float)
    taken, sizes, accuracies = sequential_pass(priced, cfg, skipped, tracker)

    sel = np.asarray(taken, dtype=np.int64)
    c = priced.iloc[sel].reset_index(drop=True)
    size = np.asarray(sizes, dtype=np.float64)
    e_idx = c["entry_index"].to_numpy(np.int64)
    x_idx = exit_idx[sel]
    d = direction[sel]
    ep = tape.open[e_idx]
    pts = pnl_points[sel]
    pnl_dollars = trade_dollars(size, pts, cfg)
    trades = pd.DataFrame({
        "experiment_id": "EXP-" + c["alert_id"].astype(str),
        "alert_id": c["alert_id"].astype(str),
        "quote_date": c["quote_date"].to_numpy(),
        "urgency": c["urgency"].astype(str),
        "predicted_direction": d.astype(np.int64),
        "predicted_magnitude": c["predicted_magnitude"].astype(float),
        "predicted_timing": c["predicted_timing"].astype(float),
        "confidence": c["confidence"].astype(float),
        "recent_accuracy": np.asarray(accuracies, dtype=np.float64),
        "size": size,
        "entry_ts": pd.to_datetime(tape.ts[e_idx]).tz_localize("UTC"),
        "entry_index": e_idx.astype(np.int64),
        "entry_price": ep,
        "exit_ts": pd.to_datetime(tape.ts[x_idx]).tz_localize("UTC"),
        "exit_index": x_idx.astype(np.int64),
        "exit_price": exit_price[sel],
        "stop_price": ep - d * c["stop_points"].to_numpy(),
        "target_price": ep + d * c["target_points"].to_numpy(),
        "stop_points": c["stop_points"].astype(float),
        "target_points": c["target_points"].astype(float),
        "max_hold_minutes": c["max_hold_minutes"].astype(float),
        "exit_reason": np.asarray(REASON_NAMES, dtype=object)[reason[sel]],
        "hold_minutes": (x_idx - e_idx + 1).astype(np.int64),
        "pnl_points": pts,
        "pnl_dollars": pnl_dollars,
        "win": pnl_dollars > 0.0,
        "is_calibration": c["is_calibration"].astype(bool),
    }, columns=list(TRADE_COLUMNS))
    return trades


def _candidates(signal: pd.DataFrame, tape: BarTape, cfg: TradingConfig,
                skipped: dict[str, int]) -> pd.DataFrame:
    """Signal alerts that can be entered, with their entry bar, hard exit and rules, in
    the order the simulator considers them (time, then pressure descending, then id)."""
    day_pos = signal["quote_date"].map(tape.day_position).to_numpy()
    has_day = day_pos >= 0
    skipped["no_bars"] += int((~has_day).sum())
    s = signal[has_day].copy()
    day_pos = day_pos[has_day].astype(np.int64)
    if s.empty:
        return s

    bar_index = s["bar_index"].to_numpy().astype(np.int64)
    if np.any(bar_index < 0) or np.any(bar_index >= tape.day_len[day_pos]):
        raise ValueError("alert bar_index outside its day's bars")
    alert_global = tape.day_start[day_pos] + bar_index
    if "ts" in s.columns:
        alert_ts = pd.to_datetime(s["ts"], utc=True).dt.tz_localize(None).to_numpy()
        if np.any(alert_ts.astype("datetime64[ns]") != tape.ts[alert_global]):
            raise ValueError("alert ts does not match the start of its bar_index bar")
    last = tape.hard_exit_index(cfg.exit_before_close_minutes)[day_pos]
    entry = alert_global + 1
    ok = entry < last
    skipped["too_late"] += int((~ok).sum())

    s = s.assign(entry_index=entry, last_index=last, _alert_global=alert_global)[ok]
    if s.empty:
        return s
    urg = s["urgency"].astype(str)
    direction = s["steering_direction"].to_numpy().astype(np.int64)
    if np.any((direction != 1) & (direction != -1)):
        raise ValueError("steering_direction must be +1 or -1")
    hold_minutes = urg.map(cfg.max_hold_minutes).astype(float)
    s = s.assign(
        direction=direction,
        stop_points=urg.map(cfg.stop_points).astype(float).to_numpy(),
        target_points=urg.map(cfg.target_points).astype(float).to_numpy(),
        max_hold_minutes=hold_minutes.to_numpy(),
        hold_bars=hold_bars(hold_minutes.to_numpy()),
        predicted_magnitude=s["expected_move"] if "expected_move" in s else np.nan,
        predicted_timing=s["expected_duration"] if "expected_duration" in s else np.nan,
        is_calibration=s["is_calibration"] if "is_calibration" in s else False,
        _pressure=s["pressure"].astype(float) if "pressure" in s else 0.0,
    )
    s = s.sort_values(["_alert_global", "_pressure", "alert_id"],
                      ascending=[True, False, True], kind="mergesort")
    return s.reset_index(drop=True)


def trade_dollars(size, pnl_points, cfg: TradingConfig):
    """Dollar P&L: size x point value x net points, less commission on both sides."""
    return size * cfg.point_value * pnl_points - 2.0 * cfg.commission_per_contract * size


def sequential_pass(priced: pd.DataFrame, cfg: TradingConfig, skipped: dict[str, int],
                    tracker: RecentAccuracy | None = None
                    ) -> tuple[list[int], list[float], list[float]]:
    """`take_trades`'s walk alone (no bars needed): the positions taken, their sizes and
    the accuracy each was sized with; `tracker` is left as the walk leaves it."""
    return _sequential_pass(
        priced["entry_index"].to_numpy(np.int64), priced["exit_index"].to_numpy(np.int64),
        priced["pnl_points"].to_numpy(float), priced["confidence"].to_numpy(float),
        priced["multiplier"].to_numpy(float), cfg, skipped, tracker)


def new_tracker(cfg: TradingConfig) -> RecentAccuracy:
    """Recent accuracy before any signal has closed."""
    return RecentAccuracy(cfg.accuracy_window, cfg.prior_accuracy, cfg.accuracy_prior_weight)


def _sequential_pass(entry_idx: np.ndarray, exit_idx: np.ndarray, pnl_points: np.ndarray,
                     confidence: np.ndarray, multiplier: np.ndarray, cfg: TradingConfig,
                     skipped: dict[str, int], tracker: RecentAccuracy | None = None
                     ) -> tuple[list[int], list[float], list[float]]:
    """Walk candidates in time order: overlap rule, recent accuracy, size. Returns the
    taken candidates' positions, sizes and the accuracy each was sized with."""
    tracker = new_tracker(cfg) if tracker is None else tracker
    by_signal = cfg.accuracy_source == "signals"
    busy_until = -1  # exit bar of the open position (held through its close)
    taken: list[int] = []
    sizes: list[float] = []
    accuracies: list[float] = []
    # plain Python floats: the same IEEE arithmetic as the vectorized P&L afterwards
    entries, exits, points = entry_idx.tolist(), exit_idx.tolist(), pnl_points.tolist()
    conf, mult = confidence.tolist(), multiplier.tolist()
    for k, e in enumerate(entries):
        acc = tracker.at(e)
        if by_signal:  # every signal's outcome counts once it has closed, taken or not
            tracker.register(exits[k], trade_dollars(1.0, points[k], cfg) > 0.0)
        if not cfg.allow_overlap and e <= busy_until:
            skipped["overlap"] += 1
            continue
        size = position_size(conf[k], acc, mult[k], cfg.base_size, cfg.max_size,
                             cfg.size_rounding)
        if not size > 0.0:  # also NaN
            skipped["zero_size"] += 1
            continue
        if not by_signal:
            tracker.register(exits[k], trade_dollars(size, points[k], cfg) > 0.0)
        busy_until = max(busy_until, exits[k])
        taken.append(k)
        sizes.append(size)
        accuracies.append(acc)
    return taken, sizes, accuracies


_INT_COLUMNS = {"predicted_direction", "entry_index", "exit_index", "hold_minutes"}
_BOOL_COLUMNS = {"win", "is_calibration"}
_TEXT_COLUMNS = {"experiment_id", "alert_id", "quote_date", "urgency", "exit_reason"}


def empty_trades() -> pd.DataFrame:
    """No trades, with the columns' dtypes (so downstream arithmetic still works)."""
    def dtype(c: str):
        if c in _INT_COLUMNS:
            return np.int64
        if c in _BOOL_COLUMNS:
            return bool
        if c in _TEXT_COLUMNS:
            return object
        if c in ("entry_ts", "exit_ts"):
            return "datetime64[ns, UTC]"
        return np.float64
    return pd.DataFrame({c: pd.Series(dtype=dtype(c)) for c in TRADE_COLUMNS})
