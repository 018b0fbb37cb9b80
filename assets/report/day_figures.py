"""A day page's picture, drawn from its `DayView` alone: two panels on one time axis.

- the price path over the strike ladder: each strike a band shaded by its opening OI, the
  1-minute closes (and high-low range) across them, the class windows shaded, the alerts
  as triangles in their direction coloured by class, each trade a segment from entry to
  exit with its P&L;
- the pressure surface: log10 pressure of the stored cells, minutes x strikes (grey: not
  stored), the cells each class classified outlined, each class window bracketed, the
  alerts ringed at their strike.

Drawn as SVG (`assets.report.svg`): a first run draws every day's page, and this costs
milliseconds where a matplotlib figure costs a tenth of a second or more.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from assets.common.calendar import EXCHANGE_TZ
from assets.pressure.urgency import in_window
from assets.report.day_data import DayView
from assets.report.figures import class_color
from assets.report.svg import Panel, Svg, colormap, nice_ticks, png

WIDTH, HEIGHT = 800, 810
LADDER_MARGIN = 15.0  # points shown beyond the day's range
# Outlines on viridis: each class in a colour the colour map does not use.
OUTLINE_COLORS = {"ASSIGNMENT_PANIC": "#ff3b3b", "PIN_RISK_MANAGEMENT": "#ff8cf0"}
WIN, LOSS, PRICE = "#2e7d32", "#c62828", "#1f4e79"
OI_SHADE = 0.55  # opacity of the largest OI's band


def bar_positions(view: DayView, stamps) -> np.ndarray:
    """Bar index of each timestamp on the day (-1 when it is not a bar start)."""
    return view.ts.get_indexer(pd.DatetimeIndex(pd.to_datetime(stamps, utc=True)))


def window_spans(view: DayView) -> list[tuple[str, int, int]]:
    """(class, first bar, last bar) of each urgency class's minute window on the day."""
    spans = []
    for rule in view.rules:
        inside = np.flatnonzero(in_window(view.minutes, rule))
        if inside.size:
            spans.append((rule.name, int(inside[0]), int(inside[-1])))
    return spans


def ladder(view: DayView) -> tuple[np.ndarray, np.ndarray]:
    """The strikes within the day's range (plus a margin) and their opening OI."""
    lo, hi = np.nanmin(view.low) - LADDER_MARGIN, np.nanmax(view.high) + LADDER_MARGIN
    keep = (view.strikes >= lo) & (view.strikes <= hi)
    return view.strikes[keep], view.total_oi[keep]


def _step(strikes: np.ndarray) -> float:
    gaps = np.diff(strikes)
    return float(gaps[gaps > 0].min()) if (gaps > 0).any() else 5.0


def day_figure(view: DayView) -> str:
    """The picture as an SVG data URI."""
    svg = Svg(WIDTH, HEIGHT)
    strikes, oi = ladder(view)
    n = len(view.ts)
    step = _step(strikes) if strikes.size else 5.0
    ylim = ((strikes.min() - step / 2, strikes.max() + step / 2) if strikes.size
            else (float(np.nanmin(view.low)), float(np.nanmax(view.high))))
    top = Panel(66, 30, 650, 300, (-0.5, n - 0.5), ylim)
    bottom = Panel(66, 450, 650, 300, (-0.5, n - 0.5), ylim)
    _price(svg, top, view, strikes, oi, step)
    _surface(svg, bottom, view, strikes, step)
    _time_axis(svg, top, view, labels=False)
    _time_axis(svg, bottom, view, labels=True)
    _legend(svg, view, top.bottom + 34)
    return svg.data_uri()


def _time_axis(svg: Svg, p: Panel, view: DayView, labels: bool) -> None:
    local = view.ts.tz_convert(EXCHANGE_TZ)
    for i, t in enumerate(local):
        if t.minute == 0 or i == 0:
            x = float(p.x(i))
            svg.path(f"M{x:.1f},{p.bottom:.1f} v4", stroke="#333", width=0.8)
            if labels or i == 0:
                svg.text(x, p.bottom + 15, t.strftime("%H:%M"), 9, "middle")
    if labels:
        svg.text(p.left + p.width / 2, p.bottom + 32, "exchange time (ET)", 10, "middle")


def _scale(svg: Svg, p: Panel, column: np.ndarray, lo: float, hi: float, label: str) -> None:
    """A colour scale beside the panel: `column` is its RGBA, top (hi) to bottom (lo)."""
    svg.image(p.right + 10, p.top, 12, p.height, png(column[:, None, :]))
    svg.rect(p.right + 10, p.top, 12, p.height, "none", stroke="#333")
    for frac in (0.0, 0.5, 1.0):
        value = lo + frac * (hi - lo)
        svg.text(p.right + 26, p.bottom - frac * p.height + 3.5,
                 f"{value:,.0f}" if abs(hi) >= 1000 else f"{value:.2f}", 8)
    svg.text(p.right + 66, p.top + p.height / 2, label, 9, "middle", rotate=-90)


def _price(svg: Svg, p: Panel, view: DayView, strikes, oi, step: float) -> None:
    svg.clip("price", p)
    top_oi = max(float(oi.max()), 1.0) if oi.size else 1.0
    for k, v in zip(strikes, oi, strict=True):
        y0 = float(p.y(k + step / 2))
        svg.rect(p.left, y0, p.width, float(p.y(k - step / 2)) - y0, "#000",
                 OI_SHADE * v / top_oi)
    for name, first, last in window_spans(view):
        x0 = float(p.x(first - 0.5))
        svg.rect(x0, p.top, float(p.x(last + 0.5)) - x0, p.height, class_color(name, []),
                 0.1)
    x = p.x(np.arange(len(view.ts)))
    band = [f"{a:.1f},{b:.1f}" for a, b in zip(x, p.y(view.high), strict=True)] + \
        [f"{a:.1f},{b:.1f}" for a, b in zip(x[::-1], p.y(view.low[::-1]), strict=True)]
    svg.path("M" + " L".join(band) + " Z", fill=PRICE, opacity=0.25, clip="price")
    svg.polyline(x, p.y(view.close), stroke=PRICE, width=1.1, clip="price")
    a = view.alerts
    for _, r in a.iterrows():
        svg.triangle(float(p.x(r["bar_index"])), float(p.y(r["price"])), 6.0,
                     r["steering_direction"] > 0, class_color(str(r["urgency"]), []))
    t = view.trades
    if len(t):
        entry, exit_ = bar_positions(view, t["entry_ts"]), bar_positions(view, t["exit_ts"])
        for k in range(len(t)):
            pnl = float(t["pnl_dollars"].iloc[k])
            color = WIN if pnl > 0 else LOSS
            x0, x1 = float(p.x(entry[k])), float(p.x(exit_[k]))
            y0, y1 = float(p.y(t["entry_price"].iloc[k])), float(p.y(t["exit_price"].iloc[k]))
            svg.path(f"M{x0:.1f},{y0:.1f} L{x1:.1f},{y1:.1f}", stroke=color, width=2.8)
            svg.text(min(x1 + 3, p.right - 48), y1 + (12 if k % 2 else -5),
                     f"#{k + 1} ${pnl:+,.0f}", 9, color=color, weight="bold")
    svg.frame(p, nice_ticks(*p.ylim), "underlying (points)")
    svg.text(p.left, p.top - 10, f"{view.day}: 1-minute price over the strike ladder "
             "(shade: opening OI); trades from entry to exit", 11, weight="bold")
    shade = np.zeros((128, 4), dtype=np.uint8)
    shade[:, 3] = np.round(255 * OI_SHADE * np.linspace(1.0, 0.0, 128))
    _scale(svg, p, shade, 0.0, top_oi, "opening OI (calls + puts)")


def _surface(svg: Svg, p: Panel, view: DayView, strikes, step: float) -> None:
    svg.rect(p.left, p.top, p.width, p.height, "#e6e6e6")
    n = len(view.ts)
    c = view.cells
    c = c[c["strike"].isin(strikes)] if len(c) else c
    lo, hi = 0.0, 1.0
    if len(c) and strikes.size:
        base = strikes.min()
        rows = int(round((strikes.max() - base) / step)) + 1
        row = np.round((c["strike"].to_numpy(float) - base) / step).astype(int)
        col = c["bar_index"].to_numpy(int)
        z = np.full((rows, n), np.nan)
        with np.errstate(divide="ignore"):
            z[row, col] = np.log10(c["pressure"].to_numpy(float))
        z[~np.isfinite(z)] = np.nan
        if np.isfinite(z).any():
            lo, hi = float(np.nanmin(z)), float(np.nanmax(z))
        scaled = (z - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(z), 0.5, np.nan)
        svg.image(p.left, p.top, p.width, p.height, png(colormap("viridis", scaled[::-1])))
        classes = c["urgency"].to_numpy(str)
        for rule in view.rules:
            hit = classes == rule.name
            if hit.any():
                mask = np.zeros((rows, n), dtype=bool)
                mask[row[hit], col[hit]] = True
                svg.path(_outline(mask, p, base, step),
                         stroke=OUTLINE_COLORS.get(rule.name, "#fff"), width=1.3)
    for name, first, last in window_spans(view):
        x0, x1 = float(p.x(first - 0.5)), float(p.x(last + 0.5))
        svg.path(f"M{x0:.1f},{p.top - 2:.1f} v-6 H{x1:.1f} v6", stroke=class_color(name, []),
                 width=1.6)
    for _, r in view.alerts.iterrows():
        svg.circle(float(p.x(r["bar_index"])), float(p.y(r["strike"])), 4.0, "#fff", width=1.2)
    svg.polyline(p.x(np.arange(n)), p.y(view.close), stroke="#fff", width=0.8, opacity=0.7)
    svg.frame(p, nice_ticks(*p.ylim), "strike")
    svg.text(p.left, p.top - 14, f"{view.day}: pressure surface, minutes x strikes "
             "(the stored cells; grey: not stored)", 11, weight="bold")
    _scale(svg, p, colormap("viridis", np.linspace(1.0, 0.0, 128)), lo, hi, "log10 pressure")


def _outline(mask: np.ndarray, p: Panel, base: float, step: float) -> str:
    """The border of the true cells of a (strike rows x bars) mask, as path segments."""
    rows, cols = mask.shape
    padded = np.pad(mask, 1)
    parts = []
    for r, c in zip(*np.nonzero(padded[1:, 1:-1] != padded[:-1, 1:-1]), strict=True):
        y = float(p.y(base + (r - 0.5) * step))  # edge below strike row r
        parts.append(f"M{float(p.x(c - 0.5)):.1f},{y:.1f} H{float(p.x(c + 0.5)):.1f}")
    for r, c in zip(*np.nonzero(padded[1:-1, 1:] != padded[1:-1, :-1]), strict=True):
        x = float(p.x(c - 0.5))  # edge left of bar c
        parts.append(f"M{x:.1f},{float(p.y(base + (r - 0.5) * step)):.1f} "
                     f"V{float(p.y(base + (r + 0.5) * step)):.1f}")
    return " ".join(parts) or "M0,0"


def _legend(svg: Svg, view: DayView, y: float) -> None:
    items = [("band", class_color(n, []), f"{n} window") for n, _, _ in window_spans(view)]
    items += [("up", class_color(r.name, []), f"alert {r.name} UP / DOWN") for r in view.rules
              if len(view.alerts) and (view.alerts["urgency"] == r.name).any()]
    items += [("line", WIN, "trade won"), ("line", LOSS, "trade lost")]
    items += [("line", OUTLINE_COLORS.get(r.name, "#fff"), f"{r.name} cells (below)")
              for r in view.rules]
    x = 66.0
    for kind, color, label in items:
        width = 30 + 6.0 * len(label)
        if x + width > WIDTH - 10:
            x, y = 66.0, y + 16
        if kind == "band":
            svg.rect(x, y - 8, 14, 10, color, 0.25, stroke=color)
        elif kind == "up":
            svg.triangle(x + 4, y - 3, 5.0, True, color)
            svg.triangle(x + 12, y - 3, 5.0, False, color)
        else:
            svg.path(f"M{x:.1f},{y - 3:.1f} h14", stroke=color, width=2.6)
        svg.text(x + 19, y, label, 9)
        x += width
