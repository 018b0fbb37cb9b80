"""A scored day's share of the random-entry and direction-only nulls, and their sums.

Each null replication re-prices the day's trades with random entries (matched null) or
random sides (direction-only null) on the day's own bars; the statistic of both nulls is
the mean `pnl_points` per trade, a ratio of sums over days, so a day contributes per
replication the sum of its trades' points (per class) and its wins. The aggregation adds
the days' shares and divides by the trade count (`combine_null`): the same replication b
of every day forms replication b of the whole sample.

Matched entries: for a trade of class c, an alert bar of the class's window that day, drawn
with the calibration window's frequency of its entry minutes-to-expiry (uniform over the
window when none of those minutes is available that day, counted as a fallback). Wins are
`size x point value x points > commission`, which for a positive size does not depend on
the size, so the share needs no sizing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assets.common.config import TradingConfig, UrgencyRule
from assets.trading.exits import REASON_NAMES, first_exits
from assets.trading.simulator import BarTape, hold_bars, trade_dollars
from assets.validation.statistics.null_model import window_alert_bars


@dataclass
class TradeArrays:
    """One day's trades as the nulls need them (indices on that day's one-day tape)."""

    entry: np.ndarray
    direction: np.ndarray
    stop: np.ndarray
    target: np.ndarray
    hold: np.ndarray  # bars
    last: np.ndarray
    class_code: np.ndarray  # index into the urgency rules
    pnl_points: np.ndarray

    @property
    def n(self) -> int:
        return int(self.entry.size)


@dataclass
class NullShare:
    """Per replication and class: summed points and wins; exit reasons over all draws."""

    sums: np.ndarray  # (B, C)
    wins: np.ndarray  # (B, C)
    reasons: np.ndarray  # (len(REASON_NAMES),)
    fallback: int = 0

    @staticmethod
    def zeros(b: int, c: int) -> NullShare:
        return NullShare(np.zeros((b, c)), np.zeros((b, c)), np.zeros(len(REASON_NAMES)))

    def __iadd__(self, other: NullShare) -> NullShare:
        self.sums += other.sums
        self.wins += other.wins
        self.reasons += other.reasons
        self.fallback += other.fallback
        return self

    def __isub__(self, other: NullShare) -> NullShare:
        self.sums -= other.sums
        self.wins -= other.wins
        self.reasons -= other.reasons
        self.fallback -= other.fallback
        return self


def trade_arrays(frame, tape: BarTape, rules: Sequence[UrgencyRule],
                 tc: TradingConfig) -> TradeArrays:
    """From priced candidates / trades of one day (entry_index on `tape`)."""
    codes = {r.name: i for i, r in enumerate(rules)}
    entry = frame["entry_index"].to_numpy(np.int64)
    last = tape.hard_exit_index(tc.exit_before_close_minutes)[tape.day_of(entry)]
    return TradeArrays(
        entry=entry, direction=frame["direction" if "direction" in frame
                                     else "predicted_direction"].to_numpy(np.int64),
        stop=frame["stop_points"].to_numpy(float), target=frame["target_points"].to_numpy(float),
        hold=hold_bars(frame["max_hold_minutes"].to_numpy(float)), last=last.astype(np.int64),
        class_code=np.array([codes[str(u)] for u in frame["urgency"]], dtype=np.int64),
        pnl_points=frame["pnl_points"].to_numpy(float))


def _points(tape: BarTape, entry, direction, t: TradeArrays, slip: float, reps: int):
    tile = lambda a: np.broadcast_to(a, (reps, t.n)).ravel()  # noqa: E731
    _, price, reason = first_exits(tape.open, tape.high, tape.low, tape.close,
                                   entry.ravel(), direction.ravel(), tile(t.stop),
                                   tile(t.target), tile(t.hold), tile(t.last))
    return (direction * (price.reshape(reps, t.n) - tape.open[entry]) - 2.0 * slip), reason


def entry_tables(entry_minutes: Mapping[str, Sequence[Sequence[float]]]
                 ) -> dict[str, dict[float, float]]:
    """class -> {entry minutes-to-expiry: probability}."""
    return {u: {float(m): float(p) for m, p in pairs} for u, pairs in entry_minutes.items()}


def matched_entries(t: TradeArrays, tape: BarTape, day: int, rules: Sequence[UrgencyRule],
                    tc: TradingConfig, pmf: Mapping[str, Mapping[float, float]],
                    rng: np.random.Generator, reps: int) -> tuple[np.ndarray, int]:
    """(reps, n) random entry bars, per trade from its class window on day `day`."""
    out = np.empty((reps, t.n), dtype=np.int64)
    fallback = 0
    windows: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for j in range(t.n):
        code = int(t.class_code[j])
        if code not in windows:
            rule = rules[code]
            cand = window_alert_bars(tape, day, rule, tc.exit_before_close_minutes)
            table = pmf.get(rule.name, {})
            windows[code] = cand, np.array(
                [table.get(m, 0.0) for m in tape.minutes_to_expiry[cand + 1].tolist()])
        cand, w = windows[code]
        if w.sum() <= 0:
            w = np.ones(cand.size)
            fallback += 1
        cum = np.cumsum(w / w.sum())
        pick = np.searchsorted(cum, rng.random(reps) * cum[-1], side="right")
        out[:, j] = cand[np.minimum(pick, cand.size - 1)] + 1
    return out, fallback


def null_share(t: TradeArrays, tape: BarTape, day: int, rules: Sequence[UrgencyRule],
               tc: TradingConfig, pmf: Mapping[str, Mapping[float, float]], reps: int,
               rng: np.random.Generator) -> NullShare:
    """The matched random-entry null's replications on one day's trades (all on tape
    position `day`)."""
    share = NullShare.zeros(reps, len(rules))
    if t.n == 0 or reps == 0:
        return share
    entry, share.fallback = matched_entries(t, tape, day, rules, tc, pmf, rng, reps)
    direction = rng.integers(0, 2, size=(reps, t.n)) * 2 - 1
    pnl, reason = _points(tape, entry, direction, t, tc.slippage_points, reps)
    win = trade_dollars(1.0, pnl, tc) > 0.0
    for c in np.unique(t.class_code):
        mask = t.class_code == c
        share.sums[:, c] = pnl[:, mask].sum(axis=1)
        share.wins[:, c] = win[:, mask].sum(axis=1)
    share.reasons += np.bincount(reason, minlength=len(REASON_NAMES))
    return share


def direction_share(t: TradeArrays, tape: BarTape, tc: TradingConfig, reps: int,
                    rng: np.random.Generator) -> np.ndarray:
    """(reps,) summed points of the day's trades with random sides (real entries)."""
    if t.n == 0 or reps == 0:
        return np.zeros(reps)
    by_side = np.empty((2, t.n))
    for j, d in enumerate((-1, 1)):
        pnl, _ = _points(tape, t.entry[None, :], np.full((1, t.n), d), t, tc.slippage_points, 1)
        by_side[j] = pnl[0]
    pick = rng.integers(0, 2, size=(reps, t.n))
    return np.take_along_axis(by_side, pick, axis=0).sum(axis=1) if reps else np.zeros(0)


def sum_shares(shares: Iterable[NullShare], reps: int, classes: int) -> NullShare:
    total = NullShare.zeros(reps, classes)
    for s in shares:
        total += s
    return total
