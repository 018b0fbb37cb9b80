"""A scored day's share of the OI placebo: R placebo OI profiles through the same alerts
and executor, all at once.

Does the edge come from the open interest, or from price dynamics near the money that any
OI profile would pick up? If the price simply drifted away from wherever it opened and OI
happened to sit there, the alerts would profit with no steering at all. A placebo keeps
the OI's location profile relative to the open (the bell around the money) but breaks its
strike-level detail:

    placebo OI = shift_s(mirror^b(OI)),  b in {0, 1}, |s| in `placebo_shifts`,

`mirror` reflects the ladder around the strike nearest the open, `shift_s` moves it by s
whole strikes (strikes that fall off get no OI). Thresholds stay those of the real
calibration window.

Which shifts (`placebo_shifts`): an alert fires while the price is within `reach` (the
largest class `max_distance`, 20 points) of a strike, so a real strike K and its placebo
K + s can alert on the same prices whenever |s| < 2 x reach: then the placebo would trade
the real OI's alerts. So k = ceil(2 x reach / strike spacing) <= |s| <= 2k (40-80 points on
SPX's 5-point ladder): far enough that no price is within reach of both, near enough that
the shifted bell still covers the money (0DTE OI concentrates within about 1-2 % of spot,
45-90 points at 4,500; beyond that the placebo would only test "no OI"). Shifts by a
multiple of a round-strike spacing (25, 50, 100 points) are left out: round strikes carry
extra OI, and such a shift lands one round strike's boost on another's, keeping the very
detail the placebo must break. What survives is a reflection about the open strike + s/2:
a mirrored profile keeps the OI of strikes near that axis near their own place, but the
axis sits at least one reach from the open.

Each replication re-seats the day's OI on its strike ladder (`placebo_oi`, drawn from the
day's own stream) and asks what the strategy would have traded. Prices, distances and
probabilities do not change with the OI, so the R grids come from one `pressure_batch`,
the alerts from one `select_alert_cells_batch` pass over the bars, and every replication's
candidates are priced in one call of the exit engine. The statistic is in points, which no
sizing changes, so the share needs no sizes; a replication's trades are the one-position
rule's (`provisional_taken`). A replication without a trade has no statistic: the package
leaves it out of the p-value's reference set (`combine.placebo_block`).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.engine.procedure import provisional_taken
from assets.pressure.alerts import (
    select_alert_cells_batch,
    steering_direction,
    thresholds_by_code,
    tie_direction,
)
from assets.pressure.kernel import pressure_batch
from assets.pressure.series import utc_timestamps
from assets.pressure.urgency import classify, in_window
from assets.trading.exits import first_exits
from assets.trading.simulator import hold_bars


def placebo_oi(oi: np.ndarray, strikes: np.ndarray, open_price: float, mirror: bool,
               shift: int) -> np.ndarray:
    """OI re-seated on the same strike ladder: mirrored around the strike nearest
    `open_price` when `mirror`, then moved up by `shift` strikes; vacated strikes get 0."""
    oi = np.asarray(oi, dtype=float)
    k = oi.size
    src = np.arange(k) - int(shift)  # out[i] = mirrored[i - shift]
    if mirror:
        centre = int(np.argmin(np.abs(np.asarray(strikes, dtype=float) - open_price)))
        src = 2 * centre - src
    ok = (src >= 0) & (src < k)
    out = np.zeros(k)
    out[ok] = oi[src[ok]]
    return out


def pruned_day(day: MarketDay, max_distance: float) -> MarketDay:
    """The day on the strikes that can ever alert (|close - strike| < max_distance)."""
    if day.n_bars == 0:
        return day
    lo, hi = float(np.min(day.close)) - max_distance, float(np.max(day.close)) + max_distance
    keep = (day.strikes > lo) & (day.strikes < hi)
    return dataclasses.replace(day, strikes=day.strikes[keep], call_oi=day.call_oi[keep],
                               put_oi=day.put_oi[keep])


ROUND_STRIKE_SPACINGS = (25.0, 50.0, 100.0)  # SPX points (x the run's points scale)


def placebo_shift_range(cfg: LabConfig) -> tuple[int, int]:
    """(k, 2k) strikes, k = ceil(2 x reach / spacing): see the module docs."""
    reach = max(r.max_distance for r in cfg.pressure.urgency_rules)
    k = max(1, math.ceil(2.0 * reach / cfg.ingestion.strike_grid_points - 1e-9))
    return k, 2 * k


def placebo_shifts(cfg: LabConfig) -> tuple[int, ...]:
    """The |shift|s drawn, in strikes: k..2k without multiples of a round-strike spacing."""
    lo, hi = placebo_shift_range(cfg)
    spacing = float(cfg.ingestion.strike_grid_points)
    rounds = tuple(r * cfg.scaling.points_scale for r in ROUND_STRIKE_SPACINGS)

    def round_multiple(s: int) -> bool:
        return any(abs(math.remainder(s * spacing, r)) < 1e-9 for r in rounds)

    return tuple(s for s in range(lo, hi + 1) if not round_multiple(s))


def placebo_profiles(day: MarketDay, cfg: LabConfig, rng: np.random.Generator,
                     reps: int) -> np.ndarray:
    """(reps, K) placebo total OI on the day's strikes (`placebo_oi` of each drawn
    mirror/shift, applied to call + put at once: both move by the same index map)."""
    options = [(b, sign * s) for b in (False, True) for s in placebo_shifts(cfg)
               for sign in (-1, 1)]
    picks = rng.integers(len(options), size=reps)
    o = float(day.open[0]) if day.n_bars else float(np.median(day.strikes))
    total = np.add(day.call_oi, day.put_oi, dtype=np.float64)
    table = np.stack([placebo_oi(total, day.strikes, o, *opt) for opt in options])
    return table[picks]


def placebo_share(day: MarketDay, cfg: LabConfig, thresholds, rng: np.random.Generator,
                  ) -> tuple[np.ndarray, np.ndarray]:
    """(sums, counts): per replication the day's placebo trades' summed points and number."""
    reps = int(cfg.validation.oi_placebo_replications)
    sums, counts = np.zeros(reps), np.zeros(reps, dtype=np.int64)
    rules = tuple(cfg.pressure.urgency_rules)
    profiles = placebo_profiles(day, cfg, rng, reps)  # drawn first: the stream is fixed
    if reps == 0 or day.n_bars < 2:
        return sums, counts
    small = pruned_day(day, max(r.max_distance for r in rules))
    keep = np.isin(day.strikes, small.strikes)
    if small.strikes.size == 0:
        return sums, counts
    window = np.zeros(day.n_bars, dtype=bool)
    for rule in rules:  # no cell outside every class window can alert
        window |= in_window(small.minutes_to_expiry, rule)
    rows = np.flatnonzero(window)
    grid, pressure = pressure_batch(small, cfg.pressure, profiles[:, keep], rows=rows)
    codes = classify(grid.minutes[rows][None, :, None], profiles[:, keep][:, None, :],
                     grid.distance[rows][None], rules)
    by_code = thresholds_by_code(thresholds, cfg.pressure)
    ts = utc_timestamps(day.ts).asi8
    rep, i, k = select_alert_cells_batch(pressure, codes, by_code[codes],
                                         ((ts - ts[0]) / 60e9)[rows],
                                         float(cfg.pressure.cooldown_minutes))
    code_of = codes[rep, i, k]
    t = rows[i]
    last = day.n_bars - 1 - int(cfg.trading.exit_before_close_minutes)
    ok = t + 1 < last
    rep, t, k, code_of = rep[ok], t[ok], k[ok], code_of[ok]
    if rep.size == 0:
        return sums, counts
    tc = cfg.trading
    names = [r.name for r in rules]
    code = code_of.astype(np.int64) - 1
    stop = np.array([tc.stop_points[n] for n in names])[code]
    target = np.array([tc.target_points[n] for n in names])[code]
    hold = hold_bars(np.array([tc.max_hold_minutes[n] for n in names])[code])
    direction = steering_direction(grid.close[t], grid.strikes[k], tie_direction(grid.close)[t])
    entry = t + 1
    exit_idx, price, _ = first_exits(day.open, day.high, day.low, day.close, entry, direction,
                                     stop, target, hold, np.full(entry.size, last))
    pnl = direction * (price - day.open[entry]) - 2.0 * tc.slippage_points
    bounds = np.searchsorted(rep, np.arange(reps + 1))
    for r in np.unique(rep):
        a, b = bounds[r], bounds[r + 1]
        taken = provisional_taken(entry[a:b], exit_idx[a:b], tc.allow_overlap) + a
        sums[r] = pnl[taken].sum()
        counts[r] = taken.size
    return sums, counts
