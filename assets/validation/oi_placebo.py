"""The OI placebo: does the edge come from the open interest, or from price dynamics near
the money that any OI profile would pick up?

If the price simply drifted away from wherever it opened and OI happened to sit there,
the alerts would profit with no steering at all. The placebo reruns the same alerts →
trades pipeline on the out-of-sample days with each day's OI replaced by a placebo that
keeps the OI's location profile relative to the day's open (the bell around the money)
but breaks its strike-level detail:

    placebo OI = shift_s(mirror^b(OI)),  b ∈ {0, 1}, k ≤ |s| ≤ 2k,

drawn uniformly per day and replication; `mirror` reflects the strike ladder around the
strike nearest the day's open, `shift_s` moves it by s whole strikes (strikes that fall
off the ladder get no OI). k = ceil(largest class distance ceiling / strike spacing): an
alert fires only within that distance of its strike, so a shift of at least k strikes puts
every placebo strike out of reach of the real strike's alerts, while 2k (40 points with
the defaults) stays well inside the OI's bell around the money. Thresholds stay those of
the real calibration window (known before the scored period, as in the nightly run); only
the scored days' OI changes.

Statistic: mean `pnl_points` per out-of-sample trade; p = (1 + #{placebo ≥ observed}) /
(R + 1) (a replication without any trade counts as not reaching the observed value).

Speed: the replications build many small grids, where a multi-threaded BLAS spends more
time waking its threads than computing (tens of times slower on a busy machine), so they
run with BLAS limited to one thread (threadpoolctl). And a cell can only alert when its
distance to the close is below the largest class distance ceiling, so the grid is built on
the strikes within that distance of the day's closes only; the alerts are identical
(tested against the full grid).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.pressure.alerts import alert_columns, alerts_frame, calibrate_thresholds
from assets.pressure.kernel import GridWorkspace, pressure_grid
from assets.pressure.series import utc_timestamps
from assets.trading.simulator import build_bar_tape, simulate_trades
from assets.validation.json_values import finite_or_none


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


def placebo_shift_range(cfg: LabConfig) -> tuple[int, int]:
    """(k, 2k) strikes: see the module docs."""
    reach = max(r.max_distance for r in cfg.pressure.urgency_rules)
    k = max(1, math.ceil(reach / cfg.ingestion.strike_grid_points))
    return k, 2 * k


def _placebo_day(day: MarketDay, rng: np.random.Generator, shifts: tuple[int, int]) -> MarketDay:
    lo, hi = shifts
    options = [(b, sign * s) for b in (False, True) for s in range(lo, hi + 1)
               for sign in (-1, 1)]
    b, s = options[int(rng.integers(len(options)))]
    o = float(day.open[0]) if day.n_bars else float(np.median(day.strikes))
    return dataclasses.replace(day, call_oi=placebo_oi(day.call_oi, day.strikes, o, b, s),
                               put_oi=placebo_oi(day.put_oi, day.strikes, o, b, s))


def scored_mean_pnl(days: list[MarketDay], market: Mapping[dt.date, MarketDay], tape,
                    thresholds: Mapping[str, float], cfg: LabConfig,
                    timestamps: list[np.ndarray] | None = None) -> float:
    """Mean pnl_points of the trades the pipeline takes on `days` (NaN without trades).

    `timestamps`: each day's UTC bar starts in ns, which a placebo leaves unchanged, so R
    replications convert them once instead of R times."""
    max_distance = max(r.max_distance for r in cfg.pressure.urgency_rules)
    workspace = GridWorkspace()
    cols = []
    for i, day in enumerate(days):
        small = pruned_day(day, max_distance)
        cols.append(alert_columns(small, pressure_grid(small, cfg.pressure,
                                                       workspace=workspace),
                                  thresholds, cfg.pressure, is_calibration=False,
                                  ts=None if timestamps is None else timestamps[i]))
    trades = simulate_trades(alerts_frame(cols), tape, cfg.trading,
                             cfg.pressure.urgency_rules)
    return float(trades["pnl_points"].mean()) if len(trades) else math.nan


def oi_placebo(market: Mapping[dt.date, MarketDay], cfg: LabConfig, observed: float,
               replications: int, seed: int) -> dict[str, Any]:
    """The `controls.oi_placebo` block: R placebo runs against the observed statistic."""
    days = sorted(market.values(), key=lambda d: d.quote_date)
    shifts = placebo_shift_range(cfg)
    n_cal = cfg.pressure.calibration_days
    calib, scored = days[:n_cal], days[n_cal:]
    out: dict[str, Any] = {
        "description": ("alerts -> trades rerun on the out-of-sample days with each day's OI "
                        "mirrored around the open or not, and shifted by a random whole "
                        f"number of strikes ({shifts[0]} <= |shift| <= {shifts[1]}); "
                        "thresholds from the real calibration window"),
        "statistic": "mean pnl_points per out-of-sample trade",
        "observed": finite_or_none(observed), "replications": int(replications), "seed": int(seed),
        "shift_strikes": list(shifts), "placebo_values": [],
        "placebo_quantiles": {"q05": None, "q50": None, "q95": None},
        "n_without_trades": 0, "p_value": None,
        "p_value_formula": "(1 + #{placebo >= observed}) / (R + 1)",
    }
    if replications < 1 or not scored or not math.isfinite(observed):
        return out
    workspace = GridWorkspace()
    thresholds = calibrate_thresholds(
        (pressure_grid(d, cfg.pressure, workspace=workspace) for d in calib), cfg.pressure)
    tape = build_bar_tape(market)
    children = np.random.SeedSequence(seed).spawn(replications)
    values = np.empty(replications)
    timestamps = [utc_timestamps(d.ts).asi8 for d in scored]
    with threadpool_limits(limits=1, user_api="blas"):
        for r, child in enumerate(children):
            rng = np.random.default_rng(child)
            values[r] = scored_mean_pnl([_placebo_day(d, rng, shifts) for d in scored],
                                        market, tape, thresholds, cfg, timestamps)
    finite = values[np.isfinite(values)]
    hits = int((finite >= observed).sum())
    q = np.percentile(finite, [5, 50, 95]) if finite.size else [None] * 3
    out.update(placebo_values=[finite_or_none(v) for v in values],
               placebo_quantiles={"q05": finite_or_none(q[0]), "q50": finite_or_none(q[1]),
                                  "q95": finite_or_none(q[2])},
               n_without_trades=int(replications - finite.size),
               p_value=(1 + hits) / (replications + 1))
    return out
