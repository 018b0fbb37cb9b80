"""The random-entry benchmark of a variant, as a daily P&L series for Hansen's SPA.

The package's null says "no better than random trades": each trade re-entered at a bar
drawn uniformly from its urgency window on its day, in a random direction, with the same
stop, target, time stop, size, slippage and commission (`assets.validation.statistics.null_model`).
The benchmark is that null's *expected* P&L, computed exactly rather than sampled: the
mean over every candidate entry bar and both directions. Summed per day over the
out-of-sample days (0 without a trade), it lines up with the variant's own series, and
carries the costs a random trader pays.

Trades of many variants share (day, window, stop, target, hold): `RandomEntryBenchmark`
prices each such combination once for a whole sweep.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from assets.common.config import TradingConfig, UrgencyRule
from assets.trading.exits import first_exits
from assets.trading.simulator import BarTape
from assets.validation.statistics.metrics import out_of_sample
from assets.validation.statistics.null_model import random_entry_plan


class RandomEntryBenchmark:
    """Expected random-entry points per trade, memoized by what determines them."""

    def __init__(self, tape: BarTape) -> None:
        self.tape = tape
        self._points: dict[tuple, float] = {}

    def _expected_points(self, plan: dict[str, np.ndarray], slippage: float) -> np.ndarray:
        """E[points] per kept trade: mean over its candidate entries x {+1, -1}."""
        n = plan["offset"].shape[0]
        keys = [(int(plan["offset_key"][i]), float(plan["stop"][i]), float(plan["target"][i]),
                 int(plan["hold"][i]), int(plan["last"][i]), slippage) for i in range(n)]
        todo = sorted({i_key for i_key in range(n) if keys[i_key] not in self._points},
                      key=lambda i: keys[i])
        todo = list({keys[i]: i for i in todo}.values())  # one trade per distinct key
        if todo:
            idx = np.array(todo, dtype=np.int64)
            count = plan["count"][idx]
            starts = plan["offset"][idx]
            windows = zip(starts, count, strict=True)
            flat = np.concatenate([plan["cand"][s:s + c] for s, c in windows]) + 1
            entry = np.concatenate([flat, flat])
            direction = np.concatenate([np.ones(flat.size, np.int64),
                                        -np.ones(flat.size, np.int64)])
            per = np.repeat(np.arange(idx.size), count)
            per = np.concatenate([per, per])
            t = self.tape
            _, price, _ = first_exits(t.open, t.high, t.low, t.close, entry, direction,
                                      plan["stop"][idx][per], plan["target"][idx][per],
                                      plan["hold"][idx][per], plan["last"][idx][per])
            points = direction * (price - t.open[entry]) - 2.0 * slippage
            means = np.bincount(per, weights=points, minlength=idx.size) / (2.0 * count)
            for i, value in zip(todo, means, strict=True):
                self._points[keys[i]] = float(value)
        return np.array([self._points[k] for k in keys])

    def daily_dollars(self, trades: pd.DataFrame, rules: Sequence[UrgencyRule],
                      tc: TradingConfig) -> pd.Series:
        """Expected dollars of the matched random entries, summed by out-of-sample day.
        Trades whose window is empty that day (the null excludes them) add 0."""
        oos = out_of_sample(trades)
        days = [pd.Timestamp(d).date() for d in oos["quote_date"]]
        plan = random_entry_plan(trades, self.tape, rules, tc)
        per_trade = np.zeros(len(oos))
        if plan["keep"].any():
            # the first candidate bar identifies (day, window) in the tape
            plan["offset_key"] = plan["cand"][plan["offset"]]
            points = self._expected_points(plan, tc.slippage_points)
            per_trade[plan["keep"]] = (plan["size"] * tc.point_value * points
                                       - plan["commission"])
        return pd.Series(per_trade, index=days, dtype=float).groupby(level=0).sum()
