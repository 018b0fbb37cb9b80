"""A pre-registered evaluation horizon freezes the whole package, not only its verdict.

Once the sample has grown past `validation.evaluation_horizon_days`, every claim of the
family, the verdict and every figure beside them are computed on the first H scored days
alone (`on_horizon`): the engine's Monte Carlo shares are per day, so the horizon's nulls
and placebo are sums over its own days (`Aggregate.horizon`), and sizing reads earlier
days only, so nothing after the horizon can move a number inside it. A claims family
re-run on the growing sample would be a new look every night, which is what the horizon
exists to prevent. What the later days show is still reported, in one block labelled
exploratory (`full_sample_block`): descriptive figures no claim is made from.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from assets.common.calendar import expiration_days_per_year
from assets.common.config import LabConfig
from assets.validation.package.json_values import finite_or_none
from assets.validation.statistics.metrics import out_of_sample, wins_of
from assets.validation.statistics.sharpe import annualized_sharpe, daily_pnl


def _rows(frame: pd.DataFrame | None, keep: set) -> pd.DataFrame | None:
    if frame is None or len(frame) == 0:
        return frame
    return frame.loc[[d in keep for d in frame["quote_date"]]].reset_index(drop=True)


def on_horizon(agg):
    """The engine's aggregate seen through the horizon: the calibration window and the
    first H scored days, with the Monte Carlo results of those days."""
    h = agg.horizon
    keep = set(agg.procedure.calibration_days) | set(h.days)
    return dataclasses.replace(
        agg, days=[d for d in agg.days if d in keep], scored_days=list(h.days),
        alerts=_rows(agg.alerts, keep), outcomes=_rows(agg.outcomes, keep),
        trades=_rows(agg.trades, keep), summaries=_rows(agg.summaries, keep),
        null=h.null, direction_null=h.direction_null, placebo=h.placebo, horizon=None,
        redrawn_days=[d for d in agg.redrawn_days if d in keep])


def full_sample_block(agg, cfg: LabConfig) -> dict[str, Any]:
    """`exploratory_full_sample`: the full sample's headline figures, unadjusted and
    claimed by nothing."""
    days = list(agg.scored_days)
    oos = out_of_sample(agg.trades)
    n = int(len(oos))
    daily = daily_pnl(oos, days)
    periods = expiration_days_per_year(daily.index, cfg.calendar.exchange) if days else None
    return {
        "role": "exploratory",
        "note": (f"every scored day, past the pre-registered horizon of "
                 f"{cfg.validation.evaluation_horizon_days}: descriptive only. The claims "
                 "family, the verdict and every other figure of the package are frozen on "
                 "the horizon's days; nothing here is claimed or adjusted"),
        "scored_days": len(days),
        "first_day": days[0].isoformat() if days else None,
        "last_day": days[-1].isoformat() if days else None,
        "n_trades": n,
        "win_rate": finite_or_none(float(wins_of(oos).mean())) if n else None,
        "mean_pnl_points": finite_or_none(float(oos["pnl_points"].mean())) if n else None,
        "annualized_daily_sharpe": (finite_or_none(annualized_sharpe(daily.to_numpy(), periods))
                                    if periods else None),
        "matched_null_p_value": finite_or_none(agg.null.p_value),
        "direction_null_p_value": finite_or_none(agg.direction_null.p_value),
        "oi_placebo_p_value": (agg.placebo or {}).get("p_value"),
    }
