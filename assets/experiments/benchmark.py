"""The random-entry benchmark of a variant, as a daily P&L series for Hansen's SPA.

The package's null says "no better than random trades": the same trades, entries drawn
uniformly from the same urgency window on the same day, random direction, the same exits,
size, slippage and commission. Its *expected* P&L per trade (a mean over seeded
replications) is the benchmark each variant has to beat, so the costs a random trader pays
are in the benchmark too. Summed per day over the out-of-sample days, 0 on days without a
trade, it lines up with the variant's own daily series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from assets.common.config import TradingConfig, UrgencyRule
from assets.trading.exits import first_exits
from assets.trading.simulator import BarTape
from assets.validation.metrics import out_of_sample
from assets.validation.null_model import random_entry_plan


def expected_random_entry_dollars(trades: pd.DataFrame, tape: BarTape,
                                  rules: Sequence[UrgencyRule], tc: TradingConfig,
                                  reps: int, seed: int) -> pd.Series:
    """Mean dollar P&L of `reps` random entries per out-of-sample trade, summed by day.
    Trades whose class window is empty that day (the null excludes them) add 0."""
    oos = out_of_sample(trades)
    plan = random_entry_plan(trades, tape, rules, tc)
    n = int(plan["keep"].sum())
    days = [pd.Timestamp(d).date() for d in oos["quote_date"]]
    if n == 0:
        return pd.Series(0.0, index=sorted(set(days)), dtype=float)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    pick = rng.integers(0, plan["count"][None, :], size=(reps, n))
    entry = plan["cand"][plan["offset"][None, :] + pick] + 1
    direction = rng.integers(0, 2, size=(reps, n)) * 2 - 1

    def tile(a: np.ndarray) -> np.ndarray:
        return np.broadcast_to(a, (reps, n)).ravel()

    _, exit_price, _ = first_exits(tape.open, tape.high, tape.low, tape.close, entry.ravel(),
                                   direction.ravel(), tile(plan["stop"]), tile(plan["target"]),
                                   tile(plan["hold"]), tile(plan["last"]))
    points = direction * (exit_price.reshape(reps, n) - tape.open[entry]) \
        - 2.0 * tc.slippage_points
    dollars = plan["size"] * tc.point_value * points - plan["commission"]
    per_trade = np.zeros(len(oos))
    per_trade[plan["keep"]] = dollars.mean(axis=0)
    return pd.Series(per_trade, index=days).groupby(level=0).sum()
