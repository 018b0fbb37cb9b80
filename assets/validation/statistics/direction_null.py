"""The direction-only null: the real entries, sizes and exits, a coin for the direction.

Why beside the random-entry null: that one asks whether the alerts pick good *moments*
and directions together; this one keeps every real entry bar, stop, target, time stop,
size and cost and randomizes only the side of each trade, so it asks whether the
predicted direction carries information at the moments the strategy chose. Each
replication re-prices every trade with the simulator's exit engine
(`assets.trading.exits.first_exits`) on the same bars: a flipped trade has its own stop
and target hits, not just a negated P&L.

Statistic: mean `pnl_points` per trade; p = (1 + #{null ≥ observed}) / (B + 1).
Randomness: one child of `np.random.SeedSequence(seed)` per block of replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from assets.common.config import TradingConfig
from assets.trading.exits import first_exits
from assets.trading.simulator import as_tape, hold_bars
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.metrics import out_of_sample

REPS_PER_BLOCK = 64


@dataclass
class DirectionNullResult:
    B: int
    seed: int
    n_trades: int
    observed_mean_pnl_points: float
    null_means: np.ndarray
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        m = self.null_means
        return {
            "description": ("direction-only null: the real entry bars, stops, targets, time "
                            "stops, sizes and costs; only each trade's direction is drawn "
                            "(±1, equal odds) and the trade re-priced on the same bars"),
            "replications": self.B, "seed": self.seed, "n_trades": self.n_trades,
            "statistic": "mean pnl_points per trade",
            "observed": finite_or_none(self.observed_mean_pnl_points),
            "null_mean_pnl_points": finite_or_none(m.mean()) if m.size else None,
            "null_std_pnl_points": finite_or_none(m.std(ddof=1)) if m.size > 1 else None,
            "p_value": finite_or_none(self.p_value),
            "p_value_formula": "(1 + #{null >= observed}) / (B + 1)",
        }


def direction_only_null(trades: pd.DataFrame, bars, trading_cfg: TradingConfig, B: int,
                        seed: int) -> DirectionNullResult:
    """Run the direction-only null on the out-of-sample trades (`entry_index` into the
    tape of `bars`; `stop_points`, `target_points`, `max_hold_minutes`, `size`)."""
    if B < 1:
        raise ValueError("B must be at least 1")
    tape = as_tape(bars)
    oos = out_of_sample(trades)
    n = int(len(oos))
    if n == 0:
        return DirectionNullResult(B, seed, 0, math.nan, np.empty(0), math.nan)
    entry = np.asarray(oos["entry_index"], dtype=np.int64)
    day = tape.day_of(entry)
    last = tape.hard_exit_index(trading_cfg.exit_before_close_minutes)[day]
    stop = np.asarray(oos["stop_points"], dtype=float)
    target = np.asarray(oos["target_points"], dtype=float)
    hold = hold_bars(np.asarray(oos["max_hold_minutes"], dtype=float))
    slip = trading_cfg.slippage_points
    observed = float(np.asarray(oos["pnl_points"], dtype=float).mean())
    # every trade priced once each way; a replication only picks a side per trade
    sides = np.array([-1, 1])
    pnl_by_side = np.empty((2, n))
    for j, d in enumerate(sides):
        _, price, _ = first_exits(tape.open, tape.high, tape.low, tape.close, entry,
                                  np.full(n, d), stop, target, hold, last)
        pnl_by_side[j] = d * (price - tape.open[entry]) - 2.0 * slip
    n_blocks = -(-B // REPS_PER_BLOCK)
    children = np.random.SeedSequence(seed).spawn(n_blocks)
    means = np.empty(B)
    for b in range(n_blocks):
        reps = min(REPS_PER_BLOCK, B - b * REPS_PER_BLOCK)
        pick = np.random.default_rng(children[b]).integers(0, 2, size=(reps, n))
        means[b * REPS_PER_BLOCK:b * REPS_PER_BLOCK + reps] = np.take_along_axis(
            np.broadcast_to(pnl_by_side, (reps, 2, n)), pick[:, None, :], axis=1)[:, 0].mean(1)
    p = (1 + int((means >= observed).sum())) / (B + 1)
    return DirectionNullResult(B, seed, n, observed, means, p)
