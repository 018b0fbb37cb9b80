"""The replay's events as plain dicts: what `pressure-lab replay` prints (one JSON object a
line with `--json`), and the summary it ends with. Times are ISO UTC bar starts, the
tables' own convention, so an event joins its row by `alert_id` and `time`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from assets.engine.replay import Replay


def iso(ts) -> str:
    stamp = pd.Timestamp(ts)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
            ).isoformat()


def alert_event(row: pd.Series) -> dict:
    return {"event": "alert", "time": iso(row["ts"]), "bar_index": int(row["bar_index"]),
            "alert_id": row["alert_id"], "strike": float(row["strike"]),
            "class": row["urgency"], "direction": row["direction_label"],
            "pressure": float(row["pressure"]), "confidence": float(row["confidence"]),
            "price": float(row["price"]), "minutes_to_expiry": float(row["minutes_to_expiry"])}


def _direction(value) -> str:
    return "UP" if int(value) > 0 else "DOWN"


def entry_event(row: pd.Series) -> dict:
    return {"event": "entry", "time": iso(row["entry_ts"]), "alert_id": row["alert_id"],
            "class": row["urgency"], "direction": _direction(row["predicted_direction"]),
            "size": float(row["size"]), "price": float(row["entry_price"]),
            "stop_price": float(row["stop_price"]), "target_price": float(row["target_price"]),
            "recent_accuracy": float(row["recent_accuracy"])}


def exit_event(row: pd.Series) -> dict:
    return {"event": "exit", "time": iso(row["exit_ts"]), "alert_id": row["alert_id"],
            "class": row["urgency"], "direction": _direction(row["predicted_direction"]),
            "size": float(row["size"]), "price": float(row["exit_price"]),
            "reason": row["exit_reason"], "hold_minutes": int(row["hold_minutes"]),
            "pnl_points": float(row["pnl_points"]), "pnl_dollars": float(row["pnl_dollars"])}


def summary(replay: Replay) -> dict:
    """Alerts by class, trades and their P&L, and the per-minute latency percentiles."""
    lat = replay.latency_ms
    trades = replay.trades
    return {"event": "summary", "day": replay.day.isoformat(), "minutes": int(lat.size),
            "alerts": int(len(replay.alerts)),
            "alerts_by_class": {str(k): int(v) for k, v in
                                replay.alerts["urgency"].value_counts().sort_index().items()},
            "trades": int(len(trades)), "wins": int(trades["win"].sum()) if len(trades) else 0,
            "pnl_dollars": float(trades["pnl_dollars"].sum()) if len(trades) else 0.0,
            "open_trades": int(len(replay.open_trades)),
            "latency_ms": {k: float(np.percentile(lat, q)) if lat.size else None
                           for k, q in (("p50", 50), ("p99", 99), ("max", 100))}}
