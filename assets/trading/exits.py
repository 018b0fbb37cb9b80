"""The exit engine: where each trade leaves the market, found for many trades at once.

Shared by the trade simulator and the random-entry null model, so both price trades by the
same rules. For every entry it gathers the window of bars it may be held (a padded
`n × H` matrix, processed in chunks to bound memory) and takes the first bar that touches
the stop or the target; without one, the trade leaves at the close of the time-stop bar or
of the day's hard-exit bar, whichever comes first. No Python loop over bars or trades.

Conventions (see docs/stage-interfaces.md):
- the entry is filled at the open of `entry_idx`; that bar's own range counts afterwards;
- a level is touched when the bar's low/high reaches it (equality counts as a touch);
- a stop and a target touched on the same bar: the stop wins (conservative);
- a bar that opens beyond a level fills at its open (gap), otherwise at the level;
- time stop: close of `entry_idx + max_hold - 1`; hard exit: close of `last_idx`; the
  earlier wins, and when both fall on the same bar the reason is TIME;
- prices exclude slippage and commissions: callers apply them.
"""

from __future__ import annotations

import numpy as np

STOP, TARGET, TIME, CLOSE = 0, 1, 2, 3
REASON_NAMES: tuple[str, ...] = ("STOP", "TARGET", "TIME", "CLOSE")
# Elements per gathered chunk: 1M bars -> about 8 MB per gathered array, ~50 MB peak.
DEFAULT_CHUNK_ELEMENTS = 1 << 20


def first_exits(open_: np.ndarray, high: np.ndarray, low: np.ndarray, close: np.ndarray,
                entry_idx: np.ndarray, direction: np.ndarray,
                stop_points: np.ndarray, target_points: np.ndarray,
                max_hold: np.ndarray, last_idx: np.ndarray,
                chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First exit of each entry: `(exit_idx int64, exit_price float64, reason int8)`.

    Reason codes: 0=STOP, 1=TARGET, 2=TIME, 3=CLOSE. `stop_points`/`target_points` may be
    `np.inf` (no such order). `chunk_elements` bounds the gathered matrices (rows x bars).
    Raises ValueError on entries that cannot be held at all
    (`max_hold < 1`, `last_idx < entry_idx`, indices out of range, direction not ±1).
    """
    open_ = np.asarray(open_, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    close = np.asarray(close, dtype=np.float64)
    n_bars = open_.shape[0]
    if not (high.shape[0] == low.shape[0] == close.shape[0] == n_bars):
        raise ValueError("open_, high, low, close must have the same length")

    entry = np.asarray(entry_idx, dtype=np.int64).ravel()
    n = entry.shape[0]
    dirn = _broadcast(direction, n, np.int64)
    stop = _broadcast(stop_points, n, np.float64)
    target = _broadcast(target_points, n, np.float64)
    hold = _broadcast(max_hold, n, np.int64)
    last = _broadcast(last_idx, n, np.int64)

    exit_idx = np.empty(n, dtype=np.int64)
    exit_price = np.empty(n, dtype=np.float64)
    reason = np.empty(n, dtype=np.int8)
    if n == 0:
        return exit_idx, exit_price, reason

    if np.any((dirn != 1) & (dirn != -1)):
        raise ValueError("direction must be +1 or -1")
    if np.any(hold < 1):
        raise ValueError("max_hold must be at least 1 bar")
    if np.any(entry < 0) or np.any(last >= n_bars):
        raise ValueError("entry_idx/last_idx outside the bar arrays")
    if np.any(last < entry):
        raise ValueError("last_idx before entry_idx: the trade cannot be held")
    if not (np.all(stop >= 0.0) and np.all(target >= 0.0)):
        raise ValueError("stop_points/target_points must be >= 0 (np.inf for none), not NaN")

    time_bar = entry + hold - 1
    end = np.minimum(time_bar, last)
    span = end - entry + 1  # bars in each window, >= 1

    # A window is touched below at `lower` or above at `upper`: for a long these are the
    # stop and the target, for a short the target and the stop. Levels use the same
    # arithmetic as a bar-by-bar loop would (entry -/+ distance), so touches are exact.
    long = dirn > 0
    entry_price = open_[entry]
    with np.errstate(invalid="ignore"):
        stop_level = np.where(long, entry_price - stop, entry_price + stop)
        target_level = np.where(long, entry_price + target, entry_price - target)
    lower = np.where(long, stop_level, target_level)
    upper = np.where(long, target_level, stop_level)

    # Chunks of rows x H elements at most, H the widest window in the chunk; sorting by
    # window width keeps similar widths together, so little of a chunk is padding.
    order = np.argsort(span, kind="stable")
    width_sorted = span[order]
    budget = max(int(chunk_elements), 1)
    start = 0
    while start < n:
        stop_at = min(n, start + max(1, budget // int(width_sorted[start])))
        while stop_at - start > 1 and (stop_at - start) * int(width_sorted[stop_at - 1]) > budget:
            stop_at = start + max(1, budget // int(width_sorted[stop_at - 1]))
        sel = order[start:stop_at]
        first, hit = _first_touch(high, low, entry[sel], end[sel], lower[sel], upper[sel],
                                  int(width_sorted[stop_at - 1]))
        bar = entry[sel] + first
        lg = long[sel]
        sl = stop_level[sel]
        tl = target_level[sel]
        stop_first = hit & np.where(lg, low[bar] <= sl, high[bar] >= sl)
        o = open_[bar]
        # a bar that opens beyond the level fills at that open (gap), else at the level
        fill = np.where(stop_first,
                        np.where(lg, np.minimum(o, sl), np.maximum(o, sl)),
                        np.where(lg, np.maximum(o, tl), np.minimum(o, tl)))
        e = end[sel]
        exit_idx[sel] = np.where(hit, bar, e)
        exit_price[sel] = np.where(hit, fill, close[e])
        reason[sel] = np.where(hit, np.where(stop_first, STOP, TARGET),
                               np.where(time_bar[sel] <= last[sel], TIME, CLOSE))
        start = stop_at
    return exit_idx, exit_price, reason


def _broadcast(values, n: int, dtype) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim == 0:
        return np.full(n, arr, dtype=dtype)
    arr = arr.ravel()
    if arr.shape[0] != n:
        raise ValueError(f"expected {n} values, got {arr.shape[0]}")
    return arr


def _first_touch(high: np.ndarray, low: np.ndarray, start: np.ndarray, end: np.ndarray,
                 lower: np.ndarray, upper: np.ndarray, width: int,
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Offset of the first bar in [start, end] reaching `lower` or `upper`, and whether
    one did. Columns past a row's end repeat its last bar, so they can only touch where
    the last bar already did, earlier: the first touch never lands in the padding.
    """
    idx = start[:, None] + np.arange(width, dtype=np.int64)[None, :]
    np.minimum(idx, end[:, None], out=idx)
    event = low[idx] <= lower[:, None]
    event |= high[idx] >= upper[:, None]
    return event.argmax(axis=1), event.any(axis=1)
