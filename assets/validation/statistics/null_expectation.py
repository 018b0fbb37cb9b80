"""The random-entry benchmark of a variant, as a daily P&L series for Hansen's SPA.

The package's null says "no better than random trades": each trade re-entered at a bar of
its urgency window on its day, drawn with the calibration window's frequency of entry
minutes-to-expiry in its class (the engine's matched null, `assets.engine.monte_carlo`),
in a random direction, with the same stop, target, time stop, size, slippage and
commission. The benchmark is that null's *expected* P&L, computed exactly rather than
sampled: over every candidate entry bar weighted as the null draws it, and both
directions (uniform over the window on a day where none of the calibration minutes is
available, as the null falls back). Summed per day over the out-of-sample days (0
without a trade), it lines up with the variant's own series and carries the costs a
random trader pays, so the sweep's SPA and the package test against the same null.

Trades of many variants share (day, window, stop, target, hold): `RandomEntryBenchmark`
prices each such combination's candidate entries once for a whole sweep; only the weights
depend on the variant's calibration.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from assets.common.config import TradingConfig, UrgencyRule
from assets.trading.exits import first_exits
from assets.trading.simulator import BarTape
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.null_model import random_entry_plan


class RandomEntryBenchmark:
    """Expected matched random-entry dollars per day, the pricing memoized by what
    determines it."""

    def __init__(self, tape: BarTape) -> None:
        self.tape = tape
        self._points: dict[tuple, np.ndarray] = {}

    def _entry_points(self, plan: dict[str, np.ndarray], slippage: float) -> list[np.ndarray]:
        """Per kept trade, the points at each candidate entry averaged over {+1, -1}."""
        n = plan["offset"].shape[0]
        keys = [(int(plan["cand"][plan["offset"][i]]), int(plan["count"][i]),
                 float(plan["stop"][i]), float(plan["target"][i]), int(plan["hold"][i]),
                 int(plan["last"][i]), slippage) for i in range(n)]
        todo = list({keys[i]: i for i in range(n) if keys[i] not in self._points}.values())
        if todo:
            idx = np.array(todo, dtype=np.int64)
            count = plan["count"][idx]
            flat = np.concatenate([plan["cand"][s:s + c] for s, c in
                                   zip(plan["offset"][idx], count, strict=True)]) + 1
            entry = np.concatenate([flat, flat])
            direction = np.concatenate([np.ones(flat.size, np.int64),
                                        -np.ones(flat.size, np.int64)])
            per = np.tile(np.repeat(np.arange(idx.size), count), 2)
            t = self.tape
            _, price, _ = first_exits(t.open, t.high, t.low, t.close, entry, direction,
                                      plan["stop"][idx][per], plan["target"][idx][per],
                                      plan["hold"][idx][per], plan["last"][idx][per])
            points = direction * (price - t.open[entry]) - 2.0 * slippage
            both = 0.5 * (points[:flat.size] + points[flat.size:])
            bounds = np.concatenate([[0], np.cumsum(count)])
            for k, i in enumerate(todo):
                self._points[keys[i]] = both[bounds[k]:bounds[k + 1]]
        return [self._points[k] for k in keys]

    def _expected(self, plan: dict[str, np.ndarray], tc: TradingConfig,
                  entry_minutes: Mapping[str, Sequence[Sequence[float]]]) -> np.ndarray:
        """Per kept trade of `plan`, the expected points of its matched random entries."""
        tables = {u: {float(m): float(p) for m, p in pairs}
                  for u, pairs in entry_minutes.items()}
        expected = np.empty(plan["offset"].size)
        for i, v in enumerate(self._entry_points(plan, tc.slippage_points)):
            s, c = int(plan["offset"][i]), int(plan["count"][i])
            table = tables.get(str(plan["urgency"][i]), {})
            minutes = self.tape.minutes_to_expiry[plan["cand"][s:s + c] + 1]
            w = np.array([table.get(m, 0.0) for m in minutes.tolist()])
            expected[i] = v @ w / w.sum() if w.sum() > 0 else v.mean()
        return expected

    def per_trade_points(self, trades: pd.DataFrame, rules: Sequence[UrgencyRule],
                         tc: TradingConfig,
                         entry_minutes: Mapping[str, Sequence[Sequence[float]]]) -> np.ndarray:
        """Per out-of-sample trade (in `out_of_sample` order) the matched null's expected
        points, NaN where the trade's window is empty that day. `entry_minutes`: the
        calibration, class -> ((minutes, probability), ...) (`Procedure.entry_minutes`)."""
        plan = random_entry_plan(trades, self.tape, rules, tc)
        points = np.full(plan["keep"].size, np.nan)
        if plan["keep"].any():
            points[plan["keep"]] = self._expected(plan, tc, entry_minutes)
        return points

    def daily_dollars(self, trades: pd.DataFrame, rules: Sequence[UrgencyRule],
                      tc: TradingConfig,
                      entry_minutes: Mapping[str, Sequence[Sequence[float]]]) -> pd.Series:
        """Expected dollars of the matched random entries, summed by out-of-sample day.
        Trades whose window is empty that day add 0."""
        oos = out_of_sample(trades)
        days = [pd.Timestamp(d).date() for d in oos["quote_date"]]
        plan = random_entry_plan(trades, self.tape, rules, tc)
        per_trade = np.zeros(len(oos))
        if plan["keep"].any():
            per_trade[plan["keep"]] = (plan["size"] * tc.point_value
                                       * self._expected(plan, tc, entry_minutes)
                                       - plan["commission"])
        return pd.Series(per_trade, index=days, dtype=float).groupby(level=0).sum()
