"""`pressure-lab replay DAY`: a scored day fed to the engine one minute at a time, printed
as it would have appeared (the engine's replay, `assets.engine.replay`), from the
warehouse a `pressure-lab run` left.

Human lines by default; `--json` prints one JSON object a line (`event`: `alert`, `entry`,
`exit`, `minute` with its `latency_ms`, then one `summary`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys


def _clock(text: str) -> dt.time:
    try:
        return dt.datetime.strptime(text, "%H:%M").time()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time HH:MM") from exc


def add_parser(sub, date_type) -> None:
    replay = sub.add_parser("replay", help="feed a scored day's bars to the engine minute by "
                            "minute and print its alerts, entries and exits as they appeared")
    replay.add_argument("day", type=date_type, help="an ingested, scored expiration day")
    replay.add_argument("--until", type=_clock, default=None, metavar="HH:MM",
                        help="stop after the bar starting at this exchange time (ET)")
    replay.add_argument("--json", action="store_true", help="one JSON object a line")
    replay.set_defaults(func=cmd_replay)


def _et(iso: str) -> str:
    import pandas as pd

    from assets.common.calendar import EXCHANGE_TZ

    return pd.Timestamp(iso).tz_convert(EXCHANGE_TZ).strftime("%H:%M")


def human_line(event: dict) -> str | None:
    """One event as a line for a person (minute events are left to the summary)."""
    kind = event["event"]
    head = f"{_et(event['time'])} ET  {kind:<5}  {event['class']:<19}" if kind != "minute" \
        else ""
    if kind == "alert":
        return (f"{head}  strike {event['strike']:g}  {event['direction']:<4}  pressure "
                f"{event['pressure']:.4g}  confidence {event['confidence']:.3f}  "
                f"(close {event['price']:.2f}, {event['minutes_to_expiry']:g} min left)")
    if kind == "entry":
        return (f"{head}  {event['direction']:<4} {event['size']:g} @ {event['price']:.2f}  "
                f"stop {event['stop_price']:.2f}  target {event['target_price']:.2f}  "
                f"recent accuracy {event['recent_accuracy']:.2f}")
    if kind == "exit":
        return (f"{head}  {event['direction']:<4} {event['size']:g} @ {event['price']:.2f}  "
                f"{event['reason']} after {event['hold_minutes']} min  "
                f"{event['pnl_points']:+.2f} pts  ${event['pnl_dollars']:+,.2f}")
    return None


def human_summary(s: dict) -> list[str]:
    classes = ", ".join(f"{k} {v}" for k, v in s["alerts_by_class"].items())
    lat = s["latency_ms"]
    return [f"summary {s['day']}: {s['minutes']} minutes fed; {s['alerts']} alerts"
            + (f" ({classes})" if classes else "")
            + f"; {s['trades']} trades ({s['wins']} won), P&L ${s['pnl_dollars']:+,.2f}"
            + (f"; {s['open_trades']} still open" if s["open_trades"] else ""),
            f"latency per minute: p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, "
            f"max {lat['max']:.2f} ms"]


def cmd_replay(args: argparse.Namespace) -> int:
    from assets.common.config import load_config
    from assets.common.settings import configure_environment
    from assets.engine.replay import last_bar_at, replay_day
    from assets.engine.replay_events import summary
    from assets.engine.replay_inputs import NotReplayable, replay_inputs
    from orchestration.warehouse_cli import WarehouseUnavailable, read_only_warehouse

    paths = configure_environment()
    cfg = load_config()
    try:
        with read_only_warehouse(paths.duckdb) as conn:
            day, proc, start = replay_inputs(conn, cfg, args.day)
    except (WarehouseUnavailable, NotReplayable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    last = None
    if args.until is not None:
        last = last_bar_at(day, args.until)
        if last < 0:
            print(f"error: no bar of {args.day} starts by {args.until:%H:%M} ET",
                  file=sys.stderr)
            return 2

    def emit(event: dict) -> None:
        line = json.dumps(event) if args.json else human_line(event)
        if line is not None:
            print(line, flush=True)

    if not args.json:
        thresholds = ", ".join(f"{k} {v:.4g}" for k, v in sorted(proc.thresholds.items()))
        print(f"replaying {day.quote_date}: {day.n_bars} bars, {day.strikes.size} strikes, "
              f"the run's thresholds ({thresholds}), the sizing state of its open (the "
              f"signals of the {start.earlier_days} earlier days)", flush=True)
    result = summary(replay_day(day, proc, start, last, on_event=emit))
    if args.json:
        print(json.dumps(result))
    else:
        print("\n".join(human_summary(result)))
    return 0
