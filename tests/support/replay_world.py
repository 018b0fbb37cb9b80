"""The planted-steering world the replay is checked and timed on: the in-memory batch run
(the replay's oracle) and the units whose candidates give each day's opening state."""

from __future__ import annotations

from dataclasses import dataclass

from assets.common.config import LabConfig
from assets.engine.run import run_engine
from assets.engine.unit import compute_units
from assets.synthetic_market.in_memory_days import synthetic_market

START, END = "2024-01-02", "2024-03-28"  # 61 SPXW expirations: 30 calibration, 31 scored


@dataclass
class ReplayWorld:
    market: dict
    cfg: LabConfig
    agg: object
    units: object
    n_bars: dict


def replay_world(start: str = START, end: str = END) -> ReplayWorld:
    market = synthetic_market(start, end, "steer", seed=11, strength=3.0)
    cfg = LabConfig.model_validate({"validation": {"null_replications": 20,
                                                   "oi_placebo_replications": 3}})
    agg = run_engine(market, cfg)
    units = compute_units([market[d] for d in sorted(market)], agg.procedure,
                          monte_carlo=False)
    return ReplayWorld(market, cfg, agg, units, {d: market[d].n_bars for d in market})
