"""Position sizing: the specification's adaptive formula and the "recent accuracy" that feeds it.

size = base_size x confidence x recent_accuracy x class multiplier, capped at max_size,
then rounded to what can actually be traded:
- "mes": down to a multiple of 0.1 ES contract (one Micro E-mini is a tenth of an E-mini),
  so a size below 0.1 is no trade at all;
- "fractional": kept as computed (a research idealisation).
A size of zero is never traded under either rule: a zero-contract trade has no outcome.

Recent accuracy is the win fraction of the last `window` trades that had CLOSED before the
new entry (exit bar strictly before the entry bar), never of trades still open: using them
would be lookahead. Before any trade has closed it is `prior`.

Beware the specification's formula: a plain win fraction is 0 after a first losing trade, the size
then rounds to 0 and no further trade is ever taken (nothing new closes to lift it). An
optional `prior_weight` k shrinks the fraction towards the prior,
(wins + k x prior) / (closed + k); k = 0 (the default) is the specification's formula exactly.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import Literal

SizeRounding = Literal["mes", "fractional"]
MES_STEP = 0.1  # ES contracts per MES contract


def round_size(size: float, rounding: SizeRounding) -> float:
    """Tradable size: floor to 0.1 contract ("mes") or unchanged ("fractional")."""
    if rounding == "fractional":
        return max(float(size), 0.0)
    if rounding == "mes":
        # the epsilon keeps binary noise (0.3 / 0.1 = 2.9999999999999996) from flooring a
        # whole number of MES down a step; a real shortfall is never rounded up
        steps = math.floor(size / MES_STEP + 1e-9)
        return round(steps * MES_STEP, 1) if steps > 0 else 0.0
    raise ValueError(f"unknown size rounding {rounding!r}; expected 'mes' or 'fractional'")


def position_size(confidence: float, recent_accuracy: float, size_multiplier: float,
                  base_size: float, max_size: float, rounding: SizeRounding) -> float:
    """The specification's size for one alert, capped then rounded (cap first: the cap is a risk
    limit in contracts, and rounding down after it can only stay below it)."""
    raw = base_size * confidence * recent_accuracy * size_multiplier
    return round_size(min(raw, max_size), rounding)


class RecentAccuracy:
    """Win fraction over the last `window` closed trades, as known at a given bar.

    Trades are registered when they are opened (with their exit bar and outcome, both
    known to the simulator in advance); `at(entry_idx)` first moves every trade whose exit
    bar is before `entry_idx` into the closed window, in exit order (ties: opening order).
    Queries must come in non-decreasing `entry_idx` order.
    """

    def __init__(self, window: int, prior: float, prior_weight: float = 0.0) -> None:
        if window < 0:
            raise ValueError("accuracy window must be >= 0")
        if prior_weight < 0:
            raise ValueError("prior_weight must be >= 0")
        self.prior = float(prior)
        self.prior_weight = float(prior_weight)
        self._closed: deque[bool] = deque(maxlen=window)
        self._pending: list[tuple[int, int, bool]] = []
        self._seq = 0
        self._last_query = -1

    def register(self, exit_idx: int, win: bool) -> None:
        heapq.heappush(self._pending, (int(exit_idx), self._seq, bool(win)))
        self._seq += 1

    def settled(self) -> RecentAccuracy:
        """A copy with every registered outcome closed, queried from bar 0 again: the state
        a later day opens with, in that day's own bar indices (no position outlives its
        day, so the next day's first query closes them all, in this order)."""
        out = RecentAccuracy(self._closed.maxlen or 0, self.prior, self.prior_weight)
        out._closed.extend(self._closed)
        out._closed.extend(win for _, _, win in sorted(self._pending))
        return out

    def at(self, entry_idx: int) -> float:
        if entry_idx < self._last_query:
            raise ValueError("RecentAccuracy queried out of time order")
        self._last_query = entry_idx
        while self._pending and self._pending[0][0] < entry_idx:
            self._closed.append(heapq.heappop(self._pending)[2])
        if not self._closed:
            return self.prior
        k = self.prior_weight
        return (sum(self._closed) + k * self.prior) / (len(self._closed) + k)
