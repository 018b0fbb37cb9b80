"""What actually happened after each alert: the specification's validate_prediction_accuracy,
measured on the bars that follow the alert bar.

For an alert at bar t of its day with steering direction s (+1/-1), reference price
P = close[t] (the alert's ``price``) and horizon H = the upper end of its class's
duration range (8 minutes for ASSIGNMENT_PANIC, 45 for PIN_RISK_MANAGEMENT), the window
is bars t+1 .. t+h with h = min(H, last bar of the day - t) (``horizon_minutes``):

- ``actual_move``      = s * (close[t+h] - P): signed move in the predicted direction at
                         the horizon end (0 when h = 0);
- ``actual_magnitude`` = |close[t+h] - P|;
- ``actual_direction`` = sign(close[t+h] - P) in {+1, -1, 0};
- ``max_favourable_excursion`` = max(0, max_j s * (extreme_j - P)) with extreme_j the
  bar's high for s = +1 and its low for s = -1 (how far the price travelled the
  predicted way, intrabar); ``max_adverse_excursion`` likewise the other way;
- ``minutes_to_extreme`` = the first j in 0..h at which the favourable extreme is reached
  (j = 0, the alert bar itself, when the price never went the predicted way);
- ``magnitude_error``  = |expected_move - actual_magnitude|;
- ``timing_error``     = |expected_duration - minutes_to_extreme|;
- ``direction_correct`` = actual_direction == s (a flat close is not correct);
- ``accuracy_score``   = mean of three scores in [0, 1]: direction (1/0),
  magnitude max(0, 1 - magnitude_error / expected_move) and timing
  max(0, 1 - timing_error / expected_duration).

Only bars after the alert are read, and only for scoring: nothing here feeds back into
detection. All alerts are evaluated at once with a padded (n, H_max) window gather.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from assets.common.config import PressureConfig
from assets.common.market_day import MarketDay

OUTCOME_COLUMNS: tuple[str, ...] = (
    "alert_id", "quote_date", "bar_index", "urgency", "steering_direction", "pressure",
    "total_oi", "minutes_to_expiry", "price", "horizon_minutes", "end_price",
    "actual_move", "actual_magnitude", "actual_direction", "max_favourable_excursion",
    "max_adverse_excursion", "minutes_to_extreme", "expected_move", "expected_duration",
    "magnitude_error", "timing_error", "direction_correct", "magnitude_score",
    "timing_score", "accuracy_score", "is_calibration",
)


def _stack_days(alerts: pd.DataFrame, days: Mapping[dt.date, MarketDay]):
    """Concatenate the alert days' bars; return (high, low, close, start, last) where
    start/last are each alert's global index of its bar and of its day's last bar."""
    quote_dates = alerts["quote_date"].to_numpy()
    needed = list(dict.fromkeys(quote_dates.tolist()))
    missing = [d for d in needed if d not in days]
    if missing:
        raise KeyError(f"no MarketDay for alert days {missing[:5]}")
    offsets, sizes = {}, {}
    total = 0
    for d in needed:
        offsets[d] = total
        sizes[d] = days[d].n_bars
        total += sizes[d]
    high = np.concatenate([np.asarray(days[d].high, dtype=np.float64) for d in needed])
    low = np.concatenate([np.asarray(days[d].low, dtype=np.float64) for d in needed])
    close = np.concatenate([np.asarray(days[d].close, dtype=np.float64) for d in needed])
    offset = np.array([offsets[d] for d in quote_dates], dtype=np.int64)
    size = np.array([sizes[d] for d in quote_dates], dtype=np.int64)
    bar = alerts["bar_index"].to_numpy(dtype=np.int64)
    if np.any(bar < 0) or np.any(bar >= size):
        raise ValueError("alert bar_index outside its day")
    return high, low, close, offset + bar, offset + size - 1


def prediction_outcomes(alerts: pd.DataFrame, days: Mapping[dt.date, MarketDay],
                        cfg: PressureConfig) -> pd.DataFrame:
    """One row per alert with the realized outcome (definitions in the module docstring)."""
    if alerts.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in OUTCOME_COLUMNS})
    horizon_by_class = {r.name: float(r.move_duration[1]) for r in cfg.urgency_rules}
    urgency = alerts["urgency"].to_numpy()
    horizon_full = np.array([horizon_by_class.get(u, 0.0) for u in urgency])
    high, low, close, start, last = _stack_days(alerts, days)
    direction = alerts["steering_direction"].to_numpy(dtype=np.int64)
    reference = close[start]

    horizon = np.minimum(np.floor(horizon_full).astype(np.int64), last - start)
    width = int(horizon.max(initial=0))
    steps = np.arange(1, width + 1)
    inside = steps[None, :] <= horizon[:, None]  # (n, width)
    index = np.where(inside, start[:, None] + steps[None, :], start[:, None])
    up = (direction > 0)[:, None]
    favourable_extreme = np.where(up, high[index], low[index])
    adverse_extreme = np.where(up, low[index], high[index])
    sign = direction[:, None].astype(np.float64)
    favourable = np.where(inside, sign * (favourable_extreme - reference[:, None]), -np.inf)
    adverse = np.where(inside, -sign * (adverse_extreme - reference[:, None]), -np.inf)
    # Column 0 is the alert bar itself (excursion 0), so both maxima are >= 0 and the
    # extreme's time is 0 when the price never went the predicted way.
    favourable = np.concatenate([np.zeros((len(alerts), 1)), favourable], axis=1)
    mfe = favourable.max(axis=1)
    mae = np.maximum(adverse.max(axis=1, initial=-np.inf), 0.0)
    to_extreme = np.argmax(favourable, axis=1).astype(np.float64)

    end_price = close[start + horizon]
    raw_move = end_price - reference
    actual_move = direction * raw_move
    actual_direction = np.sign(raw_move).astype(np.int64)
    magnitude = np.abs(raw_move)
    expected_move = alerts["expected_move"].to_numpy(dtype=np.float64)
    expected_duration = alerts["expected_duration"].to_numpy(dtype=np.float64)
    magnitude_error = np.abs(expected_move - magnitude)
    timing_error = np.abs(expected_duration - to_extreme)
    direction_correct = actual_direction == direction
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude_score = np.clip(1.0 - magnitude_error / expected_move, 0.0, 1.0)
        timing_score = np.clip(1.0 - timing_error / expected_duration, 0.0, 1.0)
    accuracy = (direction_correct + magnitude_score + timing_score) / 3.0

    return pd.DataFrame({
        "alert_id": alerts["alert_id"].to_numpy(),
        "quote_date": alerts["quote_date"].to_numpy(),
        "bar_index": alerts["bar_index"].to_numpy(dtype=np.int64),
        "urgency": urgency,
        "steering_direction": direction,
        "pressure": alerts["pressure"].to_numpy(dtype=np.float64),
        "total_oi": alerts["total_oi"].to_numpy(dtype=np.float64),
        "minutes_to_expiry": alerts["minutes_to_expiry"].to_numpy(dtype=np.float64),
        "price": reference,
        "horizon_minutes": horizon,
        "end_price": end_price,
        "actual_move": actual_move,
        "actual_magnitude": magnitude,
        "actual_direction": actual_direction,
        "max_favourable_excursion": mfe,
        "max_adverse_excursion": mae,
        "minutes_to_extreme": to_extreme,
        "expected_move": expected_move,
        "expected_duration": expected_duration,
        "magnitude_error": magnitude_error,
        "timing_error": timing_error,
        "direction_correct": direction_correct,
        "magnitude_score": magnitude_score,
        "timing_score": timing_score,
        "accuracy_score": accuracy,
        "is_calibration": alerts["is_calibration"].to_numpy(dtype=bool),
    }, columns=list(OUTCOME_COLUMNS))
