"""One expiration day on one self-contained page: what the run stored for it, and nothing
recomputed. The picture is embedded as a data URI and the page carries the report's style
and Content-Security-Policy, so it opens offline, alone or from the report's links.

A calibration day is labelled as such at the top: its alerts and trades only fixed the
thresholds and fed later sizing; they are never scored.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from assets.common.calendar import EXCHANGE_TZ
from assets.report.day_data import DayView
from assets.report.day_figures import HEIGHT, WIDTH, day_figure
from assets.report.renderer import NA, num
from assets.report.sections import CSP, page_css

DIRECTIONS = ((1, "UP"), (-1, "DOWN"))
EXTRA_CSS = (".banner{padding:.6rem 1rem;border-radius:.4rem;font-weight:700;margin:.6rem 0}"
             ".banner.calibration{background:#fff3c4;border:1px solid #e0a100}"
             ".banner.scored{background:#e8f5e9;border:1px solid #1e7d32}"
             "td.win{color:#1e7d32;font-weight:600}td.loss{color:#c62828;font-weight:600}")


def _et(stamp) -> str:
    return pd.Timestamp(stamp).tz_convert(EXCHANGE_TZ).strftime("%H:%M")


def _table(head: list[str], rows: list[list[str]], table_id: str, empty: str) -> str:
    if not rows:
        return f'<p class="nodata" id="{table_id}">{escape(empty)}</p>'
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in r)
                   + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def _card(label: str, value: str, sub: str = "") -> str:
    return (f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="value">{value}</div><div class="sub">{sub}</div></div>')


def _money(x: float) -> str:
    return NA if not math.isfinite(x) else escape(f"${x:+,.2f}")


def _banner(view: DayView) -> str:
    if view.is_calibration:
        return ('<p class="banner calibration" id="calibration-label">Calibration day: never '
                "scored. The first calibration days fix the alert thresholds (and the null's "
                "entry minutes); their alerts and trades feed later sizing only, and no "
                "statistic of the evidence package counts them.</p>")
    return ('<p class="banner scored" id="scored-label">Scored day (out of sample): its '
            "alerts and trades count in the evidence package.</p>")


def _cards(view: DayView) -> str:
    t = view.trades
    pnl = float(t["pnl_dollars"].sum()) if len(t) else 0.0
    move = float(view.close[-1] - view.open[0]) if len(view.close) else math.nan
    return '<div class="cards">' + "".join([
        _card("Max pressure", num(view.max_pressure), "largest stored cell of the day"),
        _card("Alerts", num(len(view.alerts)), "per class and direction below"),
        _card("Trades", num(len(t)), f"{int(t['win'].sum()) if len(t) else 0} won"),
        _card("Day's P&L", _money(pnl), "after costs"),
        _card("Open to close", num(move), "points"),
    ]) + "</div>"


def _alerts(view: DayView) -> str:
    a = view.alerts
    counts = [[escape(rule.name)] + [num(int(((a["urgency"] == rule.name)
                                               & (a["steering_direction"] == s)).sum())
                                         if len(a) else 0) for s, _ in DIRECTIONS]
              for rule in view.rules]
    rows = [[escape(_et(r["ts"])), escape(str(r["urgency"])), num(r["strike"]),
             escape(str(r["direction_label"])), num(r["pressure"]), num(r["threshold"]),
             num(r["confidence"]), num(r["price"]), num(r["minutes_to_expiry"])]
            for _, r in a.iterrows()]
    return (_table(["class", "UP", "DOWN"], counts, "alerts-by-class", "no class")
            + _table(["time (ET)", "class", "strike", "direction", "pressure", "threshold",
                      "confidence", "close", "minutes left"], rows, "alerts",
                     "No alert on this day."))


def _trades(view: DayView) -> str:
    rows = []
    for k, (_, r) in enumerate(view.trades.iterrows(), start=1):
        cls = "win" if r["pnl_dollars"] > 0 else "loss"
        rows.append([f'<td id="trade-{escape(str(r["alert_id"]))}">#{k}</td>',
                     escape(str(r["urgency"])),
                     "UP" if r["predicted_direction"] > 0 else "DOWN", num(r["size"]),
                     escape(_et(r["entry_ts"])), num(r["entry_price"]),
                     escape(_et(r["exit_ts"])), num(r["exit_price"]),
                     escape(str(r["exit_reason"])), num(int(r["hold_minutes"])),
                     f'<td class="{cls}">{num(r["pnl_points"])}</td>',
                     f'<td class="{cls}">{_money(float(r["pnl_dollars"]))}</td>'])
    return _table(["#", "class", "direction", "size (ES)", "entry (ET)", "entry price",
                   "exit (ET)", "exit price", "reason", "minutes held", "P&L (points)",
                   "P&L ($)"], rows, "trades", "No trade on this day.")


def _outcome(view: DayView) -> str:
    o = view.outcomes
    rows = []
    def mean(frame: pd.DataFrame, column: str) -> str:
        return num(float(frame[column].astype(float).mean())) if len(frame) else NA

    for rule in view.rules:
        mine = o[o["urgency"] == rule.name] if len(o) else o
        lo, hi = rule.move_magnitude
        d_lo, d_hi = rule.move_duration
        rows.append([escape(rule.name), num(len(mine)), f"{num(lo)} – {num(hi)}",
                     mean(mine, "actual_move"), mean(mine, "max_favourable_excursion"),
                     f"{num(d_lo)} – {num(d_hi)}", mean(mine, "minutes_to_extreme"),
                     mean(mine, "direction_correct")])
    s = view.session
    session = [[num(view.open[0]), num(view.high.max()), num(view.low.min()),
                num(view.close[-1]), num(view.close[-1] - view.open[0]),
                num(s.get("nearest_strike")), num(s.get("max_oi_strike")),
                num(s.get("pin_window_move_away")), num(s.get("panic_window_move_away"))]] \
        if len(view.close) else []
    return (_table(["class", "alerts", "expected move (points)", "mean move at horizon",
                    "mean max favourable move", "expected duration (min)",
                    "mean minutes to extreme", "direction correct (share)"], rows, "outcome",
                   "no class")
            + _table(["open", "high", "low", "close", "close − open", "nearest strike",
                      "max-OI strike", "pin window move away", "panic window move away"],
                     session, "session", "No bars."))


def render_day_page(view: DayView, report_href: str = "../report.html") -> str:
    picture = day_figure(view)
    digits = {k: f"{v:.4g}" for k, v in sorted(view.thresholds.items()) if np.isfinite(v)}
    thresholds = ", ".join(f"{escape(k)} {escape(v)}" for k, v in digits.items()) or NA
    title = f"Expiration Pressure Lab \u2014 {view.day}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>\n{page_css()}{EXTRA_CSS}</style>\n</head>\n"
        f'<body>\n<header><h1>{escape(title)}</h1><p class="meta">One expiration day as '
        f"the run stored it (nothing recomputed). Alert thresholds: {thresholds}. "
        f'<a href="{escape(report_href)}">The reviewer\'s report</a></p>{_banner(view)}'
        f"</header>\n<main>\n{_cards(view)}"
        f'<figure id="fig-day"><img src="{picture}" alt="price path over the strike ladder '
        f'and the pressure surface of {view.day}" width="{WIDTH}" height="{HEIGHT}">'
        "<figcaption>Top: the 1-minute price (line; band: high–low) across the strike "
        "ladder, each strike shaded by its opening OI, the class windows shaded, alerts as "
        "triangles in their direction, trades from entry to exit (green won, red lost). "
        "Bottom: log10 pressure of the stored cells (grey: not stored), the cells each class "
        "classified outlined, its window bracketed on top, alerts ringed at their strike."
        "</figcaption></figure>\n"
        f"<section id=\"alerts-section\"><h2>Alerts by class and direction</h2>{_alerts(view)}"
        f"</section>\n<section id=\"trades-section\"><h2>Trades</h2>{_trades(view)}</section>\n"
        f"<section id=\"outcome-section\"><h2>The day's outcome</h2><p class=\"note\">Moves "
        "after each alert in its predicted direction (prediction outcomes) against its "
        "class's expected magnitude and duration; the session, and the daily outcomes "
        f"mart's window moves away from the high-OI strike.</p>{_outcome(view)}</section>\n"
        "</main>\n</body>\n</html>\n")
