"""From pressure grids to alerts: thresholds calibrated on a calibration window, then a
causal per-minute detector.

Calibration (``calibrate_thresholds``): the specification leaves PRESSURE_THRESHOLD unspecified, so
it is learned on the first ``cfg.calibration_days`` expiration days (which are never
scored) as the ``cfg.threshold_percentile`` percentile of
- per_class: the pressures of the candidate cells (urgency != NO_SIGNAL) of each class;
- global: every minute's maximum pressure over all strikes (one key, ``"ALL"``).
A class with no candidate cell in the window gets an infinite threshold: without
calibration data it never alerts.

Detection (``detect_alerts``), per bar t of one day:
1. eligible cells: urgency != NO_SIGNAL and pressure > the threshold of the cell's class;
2. cooldown: a cell whose (strike, class) alerted less than ``cfg.cooldown_minutes``
   minutes earlier (bar start to bar start) is not eligible, so one steering episode
   gives one alert;
3. the eligible cell with the largest pressure becomes the bar's alert (the lowest strike
   on an exact tie). At most one alert per bar.
Everything used at bar t is the grid's row t (bar t's close, minutes, the opening OI)
and the alerts of earlier bars, so truncating the day after t changes nothing at or
before t. The loop runs over the (few) bars holding an eligible cell only; it has to be
sequential because the cooldown depends on earlier alerts.

Conventions (documented here because the trading and validation stages rely on them):
- steering direction: away from the strike, +1 (UP) when close > strike, -1 (DOWN) when
  close < strike. On an exact tie (close == strike) the direction is the sign of the last
  non-zero 1-minute close change at or before t (the move that carried the price onto the
  strike is taken to continue through it), and +1 if the price has not moved yet that day.
- confidence = 1 - exp(-pressure / threshold): the pressure's multiple of its threshold
  mapped monotonically into [0, 1]. Since an alert has pressure > threshold, alerts carry
  confidence in (1 - 1/e, 1] ~ (0.632, 1]; at twice the threshold it is 0.865.
- expected_move / expected_duration: midpoints of the class's specification ranges;
  max_hold_minutes: the upper end of the duration range.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from assets.common.config import PressureConfig, UrgencyRule
from assets.common.market_day import MarketDay
from assets.pressure.kernel import PressureGrid
from assets.pressure.series import utc_timestamps
from assets.pressure.urgency import NO_SIGNAL_CODE, classify_grid, urgency_names

GLOBAL_KEY = "ALL"

ALERT_COLUMNS: tuple[str, ...] = (
    "alert_id", "quote_date", "ts", "bar_index", "strike", "total_oi", "distance",
    "minutes_to_expiry", "probability", "pressure", "threshold", "urgency",
    "steering_direction", "direction_label", "price", "expected_move",
    "expected_move_low", "expected_move_high", "expected_duration", "max_hold_minutes",
    "confidence", "is_calibration",
)


def calibrate_thresholds(grids: Iterable[PressureGrid], cfg: PressureConfig) -> dict[str, float]:
    """Alert thresholds from the calibration days' grids (see the module docstring)."""
    q = float(cfg.threshold_percentile)
    if cfg.threshold_scope == "global":
        maxima = [g.pressure.max(axis=1) for g in grids if g.pressure.size]
        pool = np.concatenate(maxima) if maxima else np.empty(0)
        return {GLOBAL_KEY: float(np.percentile(pool, q)) if pool.size else np.inf}
    if cfg.threshold_scope != "per_class":
        raise ValueError(f"unknown threshold_scope {cfg.threshold_scope!r}")
    names = urgency_names(cfg.urgency_rules)
    pools: list[list[np.ndarray]] = [[] for _ in names]
    for grid in grids:
        codes = classify_grid(grid, cfg.urgency_rules)
        for code in range(1, len(names)):
            pools[code].append(grid.pressure[codes == code])
    thresholds = {}
    for code in range(1, len(names)):
        pool = np.concatenate(pools[code]) if pools[code] else np.empty(0)
        thresholds[names[code]] = float(np.percentile(pool, q)) if pool.size else np.inf
    return thresholds


def thresholds_by_code(thresholds: Mapping[str, float], cfg: PressureConfig) -> np.ndarray:
    """Threshold per urgency code (NO_SIGNAL: +inf, it never alerts)."""
    names = urgency_names(cfg.urgency_rules)
    out = np.full(len(names), np.inf)
    for code in range(1, len(names)):
        key = GLOBAL_KEY if cfg.threshold_scope == "global" else names[code]
        if key not in thresholds:
            raise KeyError(f"no threshold for {key!r}; calibrate_thresholds gives "
                           f"{sorted(thresholds)}")
        out[code] = float(thresholds[key])
    return out


def alert_confidence(pressure: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """1 - exp(-pressure / threshold), in [0, 1] (a zero threshold gives 1)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.asarray(pressure, dtype=np.float64) / np.asarray(threshold, dtype=np.float64)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    return -np.expm1(-np.clip(ratio, 0.0, None))


def tie_direction(close: np.ndarray) -> np.ndarray:
    """(T,) sign of the last non-zero 1-minute close change at or before each bar, +1
    before the first change (the tie-break of the steering direction)."""
    close = np.asarray(close, dtype=np.float64)
    if close.shape[0] == 0:
        return np.empty(0, dtype=np.int64)
    step = np.sign(np.diff(close, prepend=close[0])).astype(np.int64)
    last = np.where(step != 0, np.arange(close.shape[0]), -1)
    np.maximum.accumulate(last, out=last)
    return np.where(last >= 0, step[np.maximum(last, 0)], 1)


def steering_direction(close: np.ndarray, strike: np.ndarray,
                       tie: np.ndarray) -> np.ndarray:
    """+1 / -1 away from the strike; ``tie`` where close == strike."""
    sign = np.sign(np.asarray(close, dtype=np.float64) - strike).astype(np.int64)
    return np.where(sign == 0, tie, sign)


def select_alert_cells(pressure: np.ndarray, codes: np.ndarray, cell_threshold: np.ndarray,
                       ts_minutes: np.ndarray,
                       cooldown_minutes: float) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the alerts: per bar the strongest eligible cell outside cooldown."""
    eligible = (codes != NO_SIGNAL_CODE) & (pressure > cell_threshold)
    n_strikes = pressure.shape[1]
    n_codes = int(codes.max(initial=0)) + 1
    last_alert = np.full((n_strikes, n_codes), -np.inf)  # minute of the last alert
    strike_index = np.arange(n_strikes)
    rows, cols = [], []
    for t in np.flatnonzero(eligible.any(axis=1)):
        row_codes = codes[t]
        ok = eligible[t] & (ts_minutes[t] - last_alert[strike_index, row_codes]
                            >= cooldown_minutes)
        if not ok.any():
            continue
        k = int(np.argmax(np.where(ok, pressure[t], -np.inf)))
        last_alert[k, row_codes[k]] = ts_minutes[t]
        rows.append(int(t))
        cols.append(k)
    return np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)


def _rule_table(rules: tuple[UrgencyRule, ...]) -> dict[str, np.ndarray]:
    """Per-code expectations (index 0 = NO_SIGNAL -> NaN)."""
    nan = [np.nan]
    low = np.array(nan + [r.move_magnitude[0] for r in rules])
    high = np.array(nan + [r.move_magnitude[1] for r in rules])
    d_low = np.array(nan + [r.move_duration[0] for r in rules])
    d_high = np.array(nan + [r.move_duration[1] for r in rules])
    return {"move_low": low, "move_high": high, "move_mid": (low + high) / 2.0,
            "duration_mid": (d_low + d_high) / 2.0, "duration_high": d_high}


def empty_alerts() -> pd.DataFrame:
    return pd.DataFrame({
        "alert_id": pd.Series(dtype=object), "quote_date": pd.Series(dtype=object),
        "ts": pd.Series(dtype="datetime64[ns, UTC]"), "bar_index": pd.Series(dtype=np.int64),
        **{c: pd.Series(dtype=np.float64) for c in (
            "strike", "total_oi", "distance", "minutes_to_expiry", "probability",
            "pressure", "threshold")},
        "urgency": pd.Series(dtype=object), "steering_direction": pd.Series(dtype=np.int64),
        "direction_label": pd.Series(dtype=object), "price": pd.Series(dtype=np.float64),
        **{c: pd.Series(dtype=np.float64) for c in (
            "expected_move", "expected_move_low", "expected_move_high",
            "expected_duration", "max_hold_minutes", "confidence")},
        "is_calibration": pd.Series(dtype=bool),
    }, columns=list(ALERT_COLUMNS))


def detect_alerts(day: MarketDay, grid: PressureGrid, thresholds: Mapping[str, float],
                  cfg: PressureConfig, is_calibration: bool) -> pd.DataFrame:
    """The day's alerts in the interface schema (docs/stage-interfaces.md)."""
    return alerts_frame([alert_columns(day, grid, thresholds, cfg, is_calibration)])


def alerts_frame(days: Iterable[dict[str, np.ndarray] | None]) -> pd.DataFrame:
    """One alerts table from many days' columns: built once, because a DataFrame per day
    costs more than finding the day's alerts."""
    found = [d for d in days if d is not None]
    if not found:
        return empty_alerts()
    cols = {name: np.concatenate([d[name] for d in found]) for name in found[0]}
    cols["ts"] = pd.to_datetime(cols["ts"], utc=True)
    return pd.DataFrame(cols, columns=list(ALERT_COLUMNS))


def alert_columns(day: MarketDay, grid: PressureGrid, thresholds: Mapping[str, float],
                  cfg: PressureConfig, is_calibration: bool, codes: np.ndarray | None = None,
                  ts: np.ndarray | None = None) -> dict[str, np.ndarray] | None:
    """The day's alerts as numpy columns (`ts` as int64 UTC nanoseconds); None if none.

    `codes` (`classify_grid(grid, cfg.urgency_rules)`) and `ts` (the day's UTC bar starts
    in ns) may be passed in by a caller that scores many configs on one grid (sweeps)."""
    rules = tuple(cfg.urgency_rules)
    codes = classify_grid(grid, rules) if codes is None else codes
    by_code = thresholds_by_code(thresholds, cfg)
    ts = utc_timestamps(day.ts).asi8 if ts is None else ts
    ts_minutes = (ts - ts[0]) / 60e9 if len(ts) else np.empty(0)
    rows, cols = select_alert_cells(grid.pressure, codes, by_code[codes], ts_minutes,
                                    float(cfg.cooldown_minutes))
    if rows.size == 0:
        return None

    alert_codes = codes[rows, cols]
    threshold = by_code[alert_codes]
    pressure = grid.pressure[rows, cols]
    strike = grid.strikes[cols]
    price = grid.close[rows]
    direction = steering_direction(price, strike, tie_direction(grid.close)[rows])
    table = _rule_table(rules)
    names = np.array(urgency_names(rules), dtype=object)
    stamp = f"{day.quote_date:%Y%m%d}"
    quote_date = np.empty(rows.size, dtype=object)
    quote_date[:] = [day.quote_date] * rows.size
    return {
        "alert_id": np.array([f"{stamp}-{t:03d}-{k:g}"
                              for t, k in zip(rows.tolist(), strike.tolist(), strict=True)],
                             dtype=object),
        "quote_date": quote_date,
        "ts": ts[rows],
        "bar_index": rows,
        "strike": strike,
        "total_oi": grid.total_oi[cols],
        "distance": grid.distance[rows, cols],
        "minutes_to_expiry": grid.minutes[rows],
        "probability": grid.probability[rows, cols],
        "pressure": pressure,
        "threshold": threshold,
        "urgency": names[alert_codes],
        "steering_direction": direction,
        "direction_label": np.where(direction > 0, "UP", "DOWN").astype(object),
        "price": price,
        "expected_move": table["move_mid"][alert_codes],
        "expected_move_low": table["move_low"][alert_codes],
        "expected_move_high": table["move_high"][alert_codes],
        "expected_duration": table["duration_mid"][alert_codes],
        "max_hold_minutes": table["duration_high"][alert_codes],
        "confidence": alert_confidence(pressure, threshold),
        "is_calibration": np.full(rows.size, bool(is_calibration)),
    }


def select_alert_cells_batch(pressure: np.ndarray, codes: np.ndarray,
                             cell_threshold: np.ndarray, ts_minutes: np.ndarray,
                             cooldown_minutes: float
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`select_alert_cells` on R grids of one day at once ((R, T, K) inputs): (reps, rows,
    cols), sorted by rep then bar. One pass over the bars, vectorized over the grids, so
    the OI placebo's replications cost one day's loop instead of R (tested against the
    per-grid loop)."""
    eligible = (codes != NO_SIGNAL_CODE) & (pressure > cell_threshold)
    n_reps, _, n_strikes = pressure.shape
    n_codes = int(codes.max(initial=0)) + 1
    last_alert = np.full((n_reps, n_strikes, n_codes), -np.inf)
    rep_index = np.arange(n_reps)[:, None]
    strike_index = np.arange(n_strikes)[None, :]
    reps, rows, cols = [], [], []
    for t in np.flatnonzero(eligible.any(axis=(0, 2))):
        row_codes = codes[:, t, :]
        ok = eligible[:, t, :] & (ts_minutes[t] - last_alert[rep_index, strike_index, row_codes]
                                  >= cooldown_minutes)
        hit = np.flatnonzero(ok.any(axis=1))
        if hit.size == 0:
            continue
        k = np.argmax(np.where(ok[hit], pressure[hit, t, :], -np.inf), axis=1)
        last_alert[hit, k, row_codes[hit, k]] = ts_minutes[t]
        reps.append(hit)
        rows.append(np.full(hit.size, t, dtype=np.int64))
        cols.append(k)
    if not reps:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    r, t, k = (np.concatenate(x).astype(np.int64) for x in (reps, rows, cols))
    order = np.lexsort((t, r))
    return r[order], t[order], k[order]
