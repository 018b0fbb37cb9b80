"""The calendar placebo's sample: non-expiration sessions scored like expiration days.

Ni, Pearson & Poteshman's control: an effect caused by expiration must be absent when
nothing expires. A placebo day (`validation.calendar_placebo`, a session that is not an
expiration day under `calendar.expiration_rule`) carries the next expiration's chain; the
engine scores it as if those contracts expired at the day's close (its bars' minutes to
expiry run to the session close, as on every day), under the expiration days' procedure:
the same calibration thresholds (calibrated on expiration days only), the same alerts and
executor. Placebo days never enter the primary sample; they are scored after the
calibration window only, with the sequential sizing rule run on their own sequence (so an
expiration day's sizing never reads a placebo signal, and the placebo trades are sized by
the same rule from placebo signals alone; the test below reads points, not dollars, so the
choice only decides which overlapping alerts are taken, as it does on expiration days).

Each trade's edge is its points minus the matched null's *expected* points for that trade:
the exact mean over the null's entry distribution (the class window that day, weighted by
the calibration window's entry minutes, uniform when none of them exists) and both sides,
re-priced with the trade's exits and costs. No Monte Carlo: the expectation is a finite sum.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from assets.common import calendar
from assets.common.bar_tape import BarTape
from assets.common.market_day import MarketDay
from assets.engine.aggregate import sequential_trades
from assets.engine.monte_carlo import entry_tables, trade_arrays
from assets.engine.procedure import Procedure
from assets.engine.unit import compute_units
from assets.trading.exits import first_exits
from assets.trading.simulator import build_bar_tape
from assets.validation.statistics.calendar_placebo import expiration_specific_test
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.null_model import window_alert_bars


def split_market(market: Mapping[dt.date, MarketDay], cfg
                 ) -> tuple[dict[dt.date, MarketDay], dict[dt.date, MarketDay]]:
    """(expiration days, calendar placebo days) of `market`; without the flag every day is
    an expiration day, as the ingestion guarantees."""
    if not cfg.validation.calendar_placebo:
        return dict(market), {}
    rule = cfg.calendar.expiration_rule
    exchange = cfg.calendar.exchange
    exp = {d: m for d, m in market.items()
           if calendar.is_expiration_session(d, rule, exchange)}
    return exp, {d: m for d, m in market.items() if d not in exp}


def placebo_trades(placebo: Mapping[dt.date, MarketDay], proc: Procedure,
                   last_day: dt.date | None = None) -> tuple[pd.DataFrame, BarTape]:
    """The trades of the placebo days after the calibration window (and up to `last_day`,
    the primary sample's last scored day), under `proc`: (trades, their bar tape)."""
    first = max(proc.calibration_days) if proc.calibration_days else dt.date.min
    days = [placebo[d] for d in sorted(placebo)
            if d > first and (last_day is None or d <= last_day)]
    tape = build_bar_tape(days)
    if not days:
        return pd.DataFrame(), tape
    units = compute_units(days, proc, monte_carlo=False)
    trades, _ = sequential_trades(units.candidates, units.summaries, tape, proc)
    return trades, tape


def expected_null_points(trades: pd.DataFrame, tape: BarTape, proc: Procedure) -> np.ndarray:
    """(n,) the matched null's expected points of each trade on its own day (module doc)."""
    cfg = proc.cfg
    tc, rules = cfg.trading, tuple(cfg.pressure.urgency_rules)
    if trades.empty:
        return np.zeros(0)
    t = trade_arrays(trades, tape, rules, tc)
    pmf = entry_tables(proc.entry_minutes)
    day = tape.day_of(t.entry)
    out = np.empty(t.n)
    cache: dict[tuple, float] = {}
    for j in range(t.n):
        key = (int(day[j]), int(t.class_code[j]), float(t.stop[j]), float(t.target[j]),
               int(t.hold[j]))
        if key not in cache:
            cache[key] = _expected(tape, key, int(t.last[j]), rules, tc, pmf)
        out[j] = cache[key]
    return out


def _expected(tape: BarTape, key: tuple, last: int, rules, tc, pmf) -> float:
    day, code, stop, target, hold = key
    rule = rules[code]
    cand = window_alert_bars(tape, day, rule, tc.exit_before_close_minutes)
    if cand.size == 0:
        return float("nan")
    entry = cand + 1
    table = pmf.get(rule.name, {})
    w = np.array([table.get(m, 0.0) for m in tape.minutes_to_expiry[entry].tolist()])
    if w.sum() <= 0:
        w = np.ones(entry.size)
    both = np.concatenate([entry, entry])
    side = np.concatenate([np.ones(entry.size, np.int64), -np.ones(entry.size, np.int64)])
    _, price, _ = first_exits(tape.open, tape.high, tape.low, tape.close, both, side,
                              stop, target, hold, last)
    pnl = side * (price - tape.open[both]) - 2.0 * tc.slippage_points
    per_entry = 0.5 * (pnl[:entry.size] + pnl[entry.size:])
    return float(np.sum(w * per_entry) / w.sum())


def trade_edges(trades: pd.DataFrame, tape: BarTape, proc: Procedure) -> pd.DataFrame:
    """Out-of-sample trades' (quote_date, pnl_points, null expectation, edge)."""
    oos = out_of_sample(trades) if len(trades) else trades
    if oos.empty:
        return pd.DataFrame({"quote_date": [], "pnl_points": [], "null_expected_points": [],
                             "edge_points": []})
    expected = expected_null_points(oos, tape, proc)
    pnl = oos["pnl_points"].to_numpy(float)
    frame = pd.DataFrame({"quote_date": list(oos["quote_date"]), "pnl_points": pnl,
                          "null_expected_points": expected, "edge_points": pnl - expected})
    return frame[np.isfinite(frame["edge_points"].to_numpy(float))].reset_index(drop=True)


def calendar_placebo_block(agg, placebo: Mapping[dt.date, MarketDay] | None) -> dict[str, Any]:
    """The package's calendar placebo: both edges and the `expiration_specific` test (on
    the horizon's days past a pre-registered horizon); NOT_TESTED without the flag."""
    cfg = agg.procedure.cfg
    vc = cfg.validation
    if not vc.calendar_placebo:
        return expiration_specific_test(None, None, vc.effective_alpha, reason=(
            "validation.calendar_placebo is off: no non-expiration session was scored"))
    scored = agg.horizon.days if agg.horizon is not None else agg.scored_days
    kept = set(scored)
    exp_trades = agg.trades.loc[[d in kept for d in agg.trades["quote_date"]]] \
        if len(agg.trades) else agg.trades
    exp = trade_edges(exp_trades, agg.tape, agg.procedure)
    last = max(scored) if scored else None
    trades, tape = placebo_trades(placebo or {}, agg.procedure, last)
    plc = trade_edges(trades, tape, agg.procedure)
    block = expiration_specific_test(exp, plc, vc.effective_alpha)
    first = max(agg.procedure.calibration_days) if agg.procedure.calibration_days else None
    block["placebo_days_scored"] = sum(1 for d in (placebo or {})
                                       if (first is None or d > first)
                                       and (last is None or d <= last))
    block["expiration_days_scored"] = len(scored)
    return block
