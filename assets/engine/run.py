"""The engine end to end on in-memory days: calibrate, one unit per day, aggregate.

The study's worlds, the tests and the benchmarks run here; the Dagster assets run the
same three steps with the units stored per partition in between (`assets.engine.store`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from assets.common.market_day import MarketDay
from assets.engine.aggregate import (
    Aggregate,
    InMemoryShares,
    Redrawn,
    ShareSource,
    monte_carlo,
    redraw,
    redrawn,
    sequential_trades,
)
from assets.engine.calendar_placebo import calendar_placebo_block, split_market
from assets.engine.procedure import Procedure, calibrate, entry_distribution
from assets.engine.unit import Shares, Units, compute_units, day_shares
from assets.pressure.calibration import split_calibration_days
from assets.trading.simulator import BarTape, build_bar_tape


def procedure_for(market: Mapping[dt.date, MarketDay], cfg) -> Procedure:
    """Calibration on the first `pressure.calibration_days` days of `market`."""
    if not market:
        raise ValueError("no expiration day has both published bars and OI: nothing to score")
    calib, _ = split_calibration_days(list(market), cfg.pressure.calibration_days)
    return calibrate([market[d] for d in calib], cfg)


def aggregate(proc: Procedure, tape: BarTape, alerts: pd.DataFrame, outcomes: pd.DataFrame,
              candidates: pd.DataFrame, summaries: pd.DataFrame, shares: ShareSource,
              load_days: Callable[[Sequence[dt.date]], Mapping[dt.date, MarketDay]],
              stored_shares: Callable[[Sequence[dt.date]], Mapping[dt.date, Shares]]
              ) -> Aggregate:
    """The sample from its units (their tables and their summed shares)."""
    summaries = summaries.sort_values("quote_date").reset_index(drop=True)
    days = list(summaries["quote_date"])
    scored = [d for d, c in zip(days, summaries["is_calibration"], strict=True) if not c]
    trades, skipped = sequential_trades(candidates, summaries, tape, proc)
    again = redrawn(candidates, trades, scored)
    if again:
        shares = Redrawn(shares, redraw(again, trades, tape, load_days, proc),
                         stored_shares(again))
    null, dnull, placebo, horizon = monte_carlo(trades, scored, shares, proc)
    return Aggregate(proc, days, scored, tape, alerts, outcomes, trades, summaries, null,
                     dnull, placebo, horizon, skipped, again,
                     null_day_means=shares.null_day_means(scored))


def aggregate_in_memory(units: Units, market: Mapping[dt.date, MarketDay],
                        proc: Procedure) -> Aggregate:
    return aggregate(proc, build_bar_tape(market), units.alerts, units.outcomes,
                     units.candidates, units.summaries, InMemoryShares(units.shares, proc),
                     lambda ds: {d: market[d] for d in ds},
                     lambda ds: {d: units.shares[d] for d in ds})


def run_engine(market: Mapping[dt.date, MarketDay], cfg) -> Aggregate:
    """The primary sample: the expiration days of `market` (calendar placebo days, when
    the flag is on, are `calendar_placebo_block`'s)."""
    market, _ = split_market(market, cfg)
    proc = procedure_for(market, cfg)
    with threadpool_limits(limits=1, user_api="blas"):
        units = compute_units([market[d] for d in sorted(market)], proc)
        return aggregate_in_memory(units, market, proc)
def risk_report(agg: Aggregate) -> dict:
    """The specification's risk-management counterfactuals on the aggregate's trades."""
    from assets.trading.risk import risk_management_report

    return risk_management_report(agg.trades, agg.alerts, agg.tape, agg.procedure.cfg.trading,
                                  all_days=list(agg.scored_days))


def engine_record(agg: Aggregate, computed: int | None = None,
                  stale: int = 0) -> dict:
    """What the package says about the engine's units (reproducibility_protocol.engine)."""
    n = len(agg.days)
    return {"procedure_digest": agg.procedure.digest,
            "units": n, "units_computed_this_run": n if computed is None else int(computed),
            "units_recomputed_after_procedure_change": int(stale),
            "units_redrawn_after_sizing": [d.isoformat() for d in agg.redrawn_days],
            "random_streams": "one per (procedure, day): SeedSequence([seed, kind, ordinal])",
            "matched_null_entry_minutes": "the calibration window's trades, per class"}


def run_in_memory(market: Mapping[dt.date, MarketDay], cfg,
                  protocol: Mapping | None = None, variant_trials=None,
                  regime_inputs=None) -> dict:
    """Every numpy stage on in-memory days; returns the evidence package (no timestamp).
    `variant_trials`: the variants tried on these days (N, SPA), None for one;
    `regime_inputs`: ATM IV / dealer sign per day for the regimes, None for none."""
    from assets.validation.package.evaluate import evaluate

    agg = run_engine(market, cfg)
    _, placebo = split_market(market, cfg)
    record = dict(protocol or {"calibration_split": calibration_record(agg)})
    record.setdefault("engine", engine_record(agg))
    with threadpool_limits(limits=1, user_api="blas"):
        block = calendar_placebo_block(agg, placebo)
    package, _ = evaluate(agg, cfg, risk_report(agg), record, validation_timestamp="",
                          load_days=lambda ds: {d: market[d] for d in ds},
                          calendar_placebo=block, variant_trials=variant_trials,
                          regime_inputs=regime_inputs)
    return package


def calibration_record(agg: Aggregate) -> dict:
    days, scored = agg.procedure.calibration_days, agg.scored_days
    return {"calibration_days": len(days),
            "first_day": days[0].isoformat() if days else None,
            "last_day": days[-1].isoformat() if days else None,
            "first_scored_day": scored[0].isoformat() if scored else None,
            "scored_days": len(scored), "thresholds": dict(agg.procedure.thresholds)}


def score_trades(trades: pd.DataFrame, outcomes: pd.DataFrame | None,
                 market: Mapping[dt.date, MarketDay] | Sequence[MarketDay], cfg) -> Aggregate:
    """The aggregate of a given trades table (`entry_index` on the tape of `market`), for
    samples built by hand: the calibration window's thresholds and, for the matched null,
    the given calibration trades' entry minutes; each scored day's shares drawn from its
    own stream for the given trades."""
    if not isinstance(market, Mapping):
        market = {d.quote_date: d for d in market}
    days = sorted(market)
    calib, scored = split_calibration_days(days, cfg.pressure.calibration_days)
    proc = calibrate([market[d] for d in calib], cfg)
    tape = build_bar_tape(market)
    trades = on_this_tape(trades, tape)
    cal = trades[trades["is_calibration"].astype(bool)] if len(trades) else trades
    if len(cal):
        entry_m = tape.minutes_to_expiry[cal["entry_index"].to_numpy("int64")]
        minutes: dict[str, list[float]] = {}
        for u, m in zip(cal["urgency"].astype(str), entry_m.tolist(), strict=True):
            minutes.setdefault(u, []).append(float(m))
        proc = Procedure(cfg, proc.calibration_days, proc.thresholds, entry_distribution(minutes))
    with threadpool_limits(limits=1, user_api="blas"):
        units = compute_units([market[d] for d in days], proc, monte_carlo=False)
        shares = {}
        for pos, d in enumerate(tape.dates):
            if d in set(scored):
                mine = trades[[q == d for q in trades["quote_date"]]]
                shares[d] = day_shares(market[d], pos, tape, mine, proc)
    source = InMemoryShares(shares, proc)
    null, dnull, placebo, horizon = monte_carlo(trades, scored, source, proc)
    return Aggregate(proc, days, scored, tape, units.alerts,
                     outcomes if outcomes is not None else units.outcomes.iloc[0:0], trades,
                     units.summaries, null, dnull, placebo, horizon,
                     null_day_means=source.null_day_means(scored))


def on_this_tape(trades: pd.DataFrame, tape: BarTape) -> pd.DataFrame:
    """The trades with `entry_index` / `exit_index` recomputed from their days and bar
    times on `tape` (a table built on another set of days carries other positions)."""
    out = trades.copy()
    out["quote_date"] = [pd.Timestamp(d).date() for d in out["quote_date"]]
    if out.empty:
        return out
    pos = np.array([tape.day_position(d) for d in out["quote_date"]], dtype=np.int64)
    if np.any(pos < 0):
        raise ValueError("trades on days without bars")
    for ts_col, idx_col in (("entry_ts", "entry_index"), ("exit_ts", "exit_index")):
        ts = pd.to_datetime(out[ts_col], utc=True).dt.tz_localize(None).to_numpy("datetime64[ns]")
        idx = np.searchsorted(tape.ts, ts)
        ok = (idx < tape.n_bars) & (tape.ts[np.minimum(idx, tape.n_bars - 1)] == ts)
        if not ok.all():
            raise ValueError(f"a trade's {ts_col} is not the start of a bar on its day")
        out[idx_col] = idx.astype(np.int64)
    return out
