"""The report's figures, drawn from the evidence package's `figures` numbers alone.

Each builder takes the plain JSON data, returns PNG bytes, and raises `NoFigureData` with a
reason when there is nothing to draw, so the page can say so instead of failing. Figures are
drawn on matplotlib's Agg canvas directly (no pyplot, no global figure state, no GUI backend)
under matplotlib's default style, with a fixed dpi and no PNG "Software" metadata: the same
package gives the same bytes on any machine with the same matplotlib.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assets.common.plotting import DPI, WIDTH_IN, draw, new_figure  # noqa: F401

# Fixed colours per known class; others take the tab10 cycle in sorted order.
CLASS_COLORS = {
    "ASSIGNMENT_PANIC": "#d62728",
    "PIN_RISK_MANAGEMENT": "#1f77b4",
    "NO_SIGNAL": "#7f7f7f",
}
_EXTRA_COLORS = ("#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#bcbd22")


class NoFigureData(ValueError):
    """Nothing (valid) to draw; the message says why, for the page's "no data" note."""


# --------------------------------------------------------------------------- coercion


def as_float(value: Any) -> float:
    """A JSON scalar as a float; anything else (None, text, bool, containers) is NaN."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        return math.nan
    return float(value)


def float_array(values: Any) -> np.ndarray:
    """A JSON list as a 1-D float array, None and non-numbers as NaN; missing -> empty."""
    if values is None or isinstance(values, (str, bytes, Mapping)):
        return np.empty(0)
    if not isinstance(values, Sequence) and not isinstance(values, np.ndarray):
        return np.empty(0)
    return np.array([as_float(v) for v in values], dtype=float)


def float_matrix(rows: Any) -> np.ndarray:
    """A JSON list of lists as a 2-D float array; ragged rows are padded with NaN."""
    if not isinstance(rows, Sequence) or isinstance(rows, (str, bytes)) or len(rows) == 0:
        return np.empty((0, 0))
    arrays = [float_array(r) for r in rows]
    width = max(a.size for a in arrays)
    out = np.full((len(arrays), width), np.nan)
    for i, a in enumerate(arrays):
        out[i, : a.size] = a
    return out


def _section(data: Any, name: str) -> Mapping:
    if not isinstance(data, Mapping) or not data:
        raise NoFigureData(f"the package has no figures.{name}")
    return data


def _plain(text: Any) -> str:
    """Package text shown inside a figure: '$' would start matplotlib mathtext."""
    return str(text).replace("$", r"\$")


# --------------------------------------------------------------------------- canvas


def _index_ticks(ax, labels: Sequence[Any], n: int, max_ticks: int = 6) -> None:
    if n == 0:
        return
    ticks = np.unique(np.linspace(0, n - 1, num=min(max_ticks, n)).round().astype(int))
    ax.set_xticks(ticks)
    if len(labels) == n:
        ax.set_xticklabels([_plain(labels[i]) for i in ticks])


# --------------------------------------------------------------------------- equity


def equity_figure(data: Any) -> bytes:
    """Account equity per day over its drawdown (% of equity below the running peak)."""
    data = _section(data, "equity_curve")
    equity = float_array(data.get("equity"))
    if equity.size == 0 or not np.isfinite(equity).any():
        raise NoFigureData("figures.equity_curve.equity is empty")
    drawdown = float_array(data.get("drawdown_fraction"))
    dates = data.get("dates")
    dates = list(dates) if isinstance(dates, Sequence) and not isinstance(dates, str) else []
    return draw(_equity, equity, drawdown, dates)


def _equity(equity: np.ndarray, drawdown: np.ndarray, dates: list) -> Any:
    fig, (ax_eq, ax_dd) = new_figure(4.6, 2, sharex=True, height_ratios=(2, 1))
    x = np.arange(equity.size)
    ax_eq.plot(x, equity, color="#1f4e79", linewidth=1.4, marker="o" if equity.size < 3 else None)
    ax_eq.set_ylabel("equity ($)")
    ax_eq.set_title("Equity curve (daily) and drawdown")
    ax_eq.grid(True, alpha=0.3)
    if drawdown.size == equity.size and np.isfinite(drawdown).any():
        dd_pct = -np.abs(drawdown) * 100.0
        ax_dd.fill_between(x, dd_pct, 0.0, color="#c62828", alpha=0.35, linewidth=0)
        ax_dd.plot(x, dd_pct, color="#c62828", linewidth=1.0)
    else:
        ax_dd.text(0.5, 0.5, "no drawdown data", transform=ax_dd.transAxes,
                   ha="center", va="center", color="#555555")
    ax_dd.set_ylabel("drawdown (%)")
    ax_dd.grid(True, alpha=0.3)
    _index_ticks(ax_dd, dates, equity.size)
    ax_dd.set_xlabel("trading day" if len(dates) == equity.size else "trading day #")
    return fig


# --------------------------------------------------------------------------- urgency


@dataclass(frozen=True)
class ClassResult:
    """One urgency class as the report reads it from `urgency_validation`."""

    name: str
    sample_size: float
    win_rate: float
    ci_low: float
    ci_high: float
    target: float
    enough: bool


def urgency_classes(urgency_validation: Any, min_trades: float) -> list[ClassResult]:
    """The classes of `urgency_validation` (dict entries only), in package order.

    A class counts as tested only with `min_trades` trades or more and a win rate; an explicit
    boolean `sufficient_sample` in the entry takes precedence over the count.
    """
    if not isinstance(urgency_validation, Mapping):
        return []
    out: list[ClassResult] = []
    for name, entry in urgency_validation.items():
        if not isinstance(entry, Mapping):
            continue
        n = as_float(entry.get("sample_size"))
        rate = as_float(entry.get("actual_win_rate"))
        ci = float_array(entry.get("win_rate_ci"))
        lo, hi = (ci[0], ci[1]) if ci.size == 2 else (math.nan, math.nan)
        flag = entry.get("sufficient_sample")
        enough = flag if isinstance(flag, bool) else bool(np.isfinite(n) and n >= min_trades)
        enough = enough and bool(np.isfinite(rate))
        out.append(ClassResult(str(name), n, rate, lo, hi,
                               as_float(entry.get("expected_win_rate")), enough))
    return out


def urgency_figure(classes: Sequence[ClassResult], min_trades: float,
                   null_win_rate: float = math.nan) -> bytes:
    """Win rate per class with its interval, beside the specification's target for that class."""
    if not classes:
        raise NoFigureData("the package has no urgency_validation classes")
    return draw(_urgency, list(classes), min_trades, null_win_rate)


def _urgency(classes: list[ClassResult], min_trades: float, null_win_rate: float) -> Any:
    fig, (ax,) = new_figure(3.6)
    labelled: set[str] = set()

    def once(label: str) -> str | None:
        if label in labelled:
            return None
        labelled.add(label)
        return label

    for i, c in enumerate(classes):
        if c.enough:
            lo = c.win_rate - c.ci_low if np.isfinite(c.ci_low) else 0.0
            hi = c.ci_high - c.win_rate if np.isfinite(c.ci_high) else 0.0
            ax.errorbar([i], [c.win_rate], yerr=[[max(lo, 0.0)], [max(hi, 0.0)]], fmt="o",
                        color="#1f4e79", capsize=6, markersize=7,
                        label=once("observed win rate (95% CI)"))
            ax.annotate(f"n = {c.sample_size:.0f}", (i, c.win_rate), xytext=(10, -3),
                        textcoords="offset points", fontsize=8, color="#1f4e79")
        else:
            n_text = f"n = {c.sample_size:.0f}" if np.isfinite(c.sample_size) else "n = n/a"
            ax.text(i, 0.5, f"too few trades\n{n_text} (< {min_trades:g})", ha="center",
                    va="center", fontsize=8, color="#555555",
                    bbox={"boxstyle": "round", "facecolor": "#eeeeee", "edgecolor": "#bbbbbb"})
        if np.isfinite(c.target):
            ax.plot([i - 0.25, i + 0.25], [c.target, c.target], color="#c62828", linewidth=2.2,
                    label=once("specification's target"))
    if np.isfinite(null_win_rate):
        ax.axhline(null_win_rate, color="#555555", linestyle="--", linewidth=1.0,
                   label="random-entry null win rate")
    ax.set_xticks(range(len(classes)))
    ax.set_xticklabels([_plain(c.name) for c in classes])
    ax.set_xlim(-0.6, len(classes) - 0.4)
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(_percent_formatter())
    ax.set_ylabel("win rate")
    ax.set_title("Win rate by urgency class vs the specification's targets")
    ax.grid(True, axis="y", alpha=0.3)
    if labelled or np.isfinite(null_win_rate):
        ax.legend(loc="lower right", fontsize=8)
    return fig


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


# --------------------------------------------------------------------------- null


def null_figure(data: Any, p_value: float = math.nan, statistic: Any = None) -> bytes:
    """The Monte Carlo null distribution (histogram) with the observed statistic marked.

    The axis is named by `figures.null_distribution.statistic`, else by `statistic`.
    """
    data = _section(data, "null_distribution")
    edges = float_array(data.get("bin_edges"))
    counts = float_array(data.get("counts"))
    if counts.size == 0 or edges.size != counts.size + 1:
        raise NoFigureData("figures.null_distribution needs counts and len(counts)+1 bin_edges")
    if not (np.isfinite(edges).all() and np.all(np.diff(edges) > 0)):
        raise NoFigureData("figures.null_distribution.bin_edges are not finite and increasing")
    counts = np.nan_to_num(counts, nan=0.0)
    observed = as_float(data.get("observed"))
    statistic = data.get("statistic") or statistic
    label = _plain(statistic) if isinstance(statistic, str) and statistic else "statistic"
    return draw(_null, edges, counts, observed, label, p_value)


def _null(edges: np.ndarray, counts: np.ndarray, observed: float, label: str,
          p_value: float) -> Any:
    fig, (ax,) = new_figure(3.4)
    ax.stairs(counts, edges, fill=True, color="#9fb7d1", label="random-entry null")
    ax.stairs(counts, edges, color="#1f4e79", linewidth=0.8)
    lo, hi = edges[0], edges[-1]
    if np.isfinite(observed):
        obs_label = f"observed = {observed:.4g}"
        if np.isfinite(p_value):
            obs_label += f" (p = {p_value:.3g})"
        ax.axvline(observed, color="#c62828", linewidth=2.0, label=obs_label)
        lo, hi = min(lo, observed), max(hi, observed)
    else:
        ax.text(0.02, 0.92, "observed value: n/a", transform=ax.transAxes, color="#c62828")
    pad = 0.05 * (hi - lo) if hi > lo else 1.0
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(bottom=0.0)
    ax.set_xlabel(label)
    ax.set_ylabel("replications")
    ax.set_title("Observed statistic against the random-entry null distribution")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(True, axis="y", alpha=0.3)
    return fig


# --------------------------------------------------------------------------- scatter


def class_color(name: str, others: Sequence[str]) -> str:
    if name in CLASS_COLORS:
        return CLASS_COLORS[name]
    extra = sorted(n for n in set(others) if n not in CLASS_COLORS)
    return _EXTRA_COLORS[extra.index(name) % len(_EXTRA_COLORS)]


def pressure_move_figure(data: Any) -> bytes:
    """Alert pressure (log10) against the realized move after the alert, by urgency class."""
    data = _section(data, "pressure_vs_move")
    x = float_array(data.get("log10_pressure"))
    y = float_array(data.get("realized_move"))
    raw = data.get("urgency")
    n = min(x.size, y.size)
    if isinstance(raw, Sequence) and not isinstance(raw, str) and len(raw) >= n:
        urgency = ["n/a" if u is None else str(u) for u in list(raw)[:n]]
    else:
        urgency = ["n/a"] * n
    x, y = x[:n], y[:n]
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.any():
        raise NoFigureData("figures.pressure_vs_move has no finite (pressure, move) pairs")
    urgency = [u for u, k in zip(urgency, keep, strict=False) if k]
    return draw(_pressure_move, x[keep], y[keep], urgency)


def _pressure_move(x: np.ndarray, y: np.ndarray, urgency: list[str]) -> Any:
    fig, (ax,) = new_figure(3.8)
    labels = np.array(urgency, dtype=object)
    names = sorted(set(urgency), key=lambda u: (u != "NO_SIGNAL", u))  # no-signal drawn behind
    for name in names:
        sel = labels == name
        ax.scatter(x[sel], y[sel], s=12, alpha=0.6, color=class_color(name, names),
                   edgecolors="none", label=f"{_plain(name)} (n = {int(sel.sum())})")
    ax.axhline(0.0, color="#555555", linewidth=0.8)
    ax.set_xlabel("log10 pressure at the alert")
    ax.set_ylabel("realized move (points)")
    ax.set_title("Pressure against the realized move")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


# --------------------------------------------------------------------------- heat map


def _edges(centers: np.ndarray) -> np.ndarray:
    if centers.size == 1:
        return np.array([centers[0] - 0.5, centers[0] + 0.5])
    mid = (centers[1:] + centers[:-1]) / 2.0
    return np.concatenate(([centers[0] - (mid[0] - centers[0])], mid,
                           [centers[-1] + (centers[-1] - mid[-1])]))


def heatmap_figure(data: Any) -> bytes:
    """log10 pressure over strikes x minutes to expiry for the package's example day."""
    data = _section(data, "heatmap")
    strikes = float_array(data.get("strikes"))
    minutes = float_array(data.get("minutes_to_expiry"))
    z = float_matrix(data.get("log10_pressure"))
    if strikes.size == 0 or minutes.size == 0 or z.size == 0:
        raise NoFigureData("figures.heatmap needs strikes, minutes_to_expiry and log10_pressure")
    if z.shape == (minutes.size, strikes.size) and z.shape != (strikes.size, minutes.size):
        z = z.T  # accept minutes x strikes too
    if z.shape != (strikes.size, minutes.size):
        raise NoFigureData(f"figures.heatmap.log10_pressure has shape {z.shape}, expected "
                           f"{strikes.size} strikes x {minutes.size} minutes")
    rows, cols = np.isfinite(strikes), np.isfinite(minutes)
    strikes, minutes, z = strikes[rows], minutes[cols], z[np.ix_(rows, cols)]
    if not np.isfinite(z).any():
        raise NoFigureData("figures.heatmap.log10_pressure holds no finite value")
    price = float_array(data.get("price"))
    price = price[cols] if price.size == cols.size else np.empty(0)
    rs, cs = np.argsort(strikes, kind="stable"), np.argsort(minutes, kind="stable")
    strikes, minutes, z = strikes[rs], minutes[cs], z[np.ix_(rs, cs)]
    price = price[cs] if price.size else price
    day = data.get("quote_date")
    return draw(_heatmap, strikes, minutes, z, price, "n/a" if day is None else _plain(day))


def _heatmap(strikes: np.ndarray, minutes: np.ndarray, z: np.ndarray, price: np.ndarray,
             day: str) -> Any:
    fig, (ax,) = new_figure(4.2)
    ax.set_facecolor("#e6e6e6")  # cells without a value
    x_edges, y_edges = _edges(minutes), _edges(strikes)
    mesh = ax.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(z), cmap="viridis",
                         shading="flat")
    fig.colorbar(mesh, ax=ax, label="log10 pressure")
    if price.size and np.isfinite(price).any():
        ax.plot(minutes, price, color="white", linewidth=1.2, label="underlying close")
        ax.legend(loc="upper right", fontsize=8)
    ax.set_xlim(x_edges[-1], x_edges[0])  # minutes run down: time flows to the right
    ax.set_ylim(y_edges[0], y_edges[-1])
    ax.set_xlabel("minutes to expiry")
    ax.set_ylabel("strike")
    ax.set_title(f"Pressure heat map, {day}")
    return fig
