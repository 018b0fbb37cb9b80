"""The specification's units on any underlying: one points scale k and one OI scale.

The specification's thresholds are SPX points and SPX contracts: distances < 8 and 20
points, moves of 10-35 points, stops and targets, OI > 1,500 and 2,000 contracts. On another
underlying a point is worth a different share of the price and a contract a different
notional, so:

- points x k (the specification probability's 10/20/30-point distance scales too), where
  k is the underlying's price over SPX's, fixed causally, once per underlying and run:
  the median first-bar open of the underlying over its calibration window divided by
  SPX's median over the same days when SPX is in the home; else the registry's nominal
  ratio; or `instruments.<U>.points_scale` when the user fixes it;
- OI x 1 / (k x multiplier / 100): thresholds in contracts of equal notional (an SPY
  contract is 100 shares at a tenth of SPX, so 1,500 SPX contracts are 15,000 SPY ones).

One k per underlying and run keeps the kernel unchanged: the underlying's config is the
specification's with these fields scaled (`scaled_config`). Results are compared across
underlyings in basis points of the underlying, which k does not touch.
"""

from __future__ import annotations

from dataclasses import dataclass

from assets.common.config import LabConfig
from assets.common.instruments import Instrument

SCALING_RULE = ("the specification's SPX thresholds are scaled to the underlying: points "
                "(distances, moves, stops, targets, stored cells, pin half-widths) x k, the "
                "underlying's price over SPX's fixed causally once per run, and OI thresholds "
                "x 1/(k x multiplier/100), i.e. equal notional; results compare across "
                "underlyings in basis points")


@dataclass(frozen=True)
class Scale:
    points: float
    oi: float
    source: str


def oi_scale(points_scale: float, multiplier: float) -> float:
    """OI thresholds' factor: contracts of the same notional as SPX's (multiplier 100)."""
    return 1.0 / (points_scale * multiplier / 100.0)


def choose_scale(inst: Instrument, *, override: float | None = None,
                 measured: float | None = None, measured_detail: str = "") -> Scale:
    """k from, in order: the user's override, the calibration window's measured ratio to
    SPX, the registry's nominal ratio. SPX itself is 1 (the specification's units)."""
    if inst.underlying == "SPX":
        k, source = 1.0, "SPX: the specification's units"
    elif override is not None:
        k, source = float(override), f"instruments.{inst.underlying}.points_scale in the config"
    elif measured is not None:
        k, source = float(measured), measured_detail or "measured against SPX"
    elif inst.nominal_spx_ratio is not None:
        k, source = inst.nominal_spx_ratio, "the registry's nominal price ratio to SPX"
    else:
        raise ValueError(f"no points scale for {inst.underlying}: land SPX beside it (the "
                         f"scale is then measured) or set instruments.{inst.underlying}."
                         "points_scale in the config")
    if not k > 0:
        raise ValueError(f"points scale for {inst.underlying} must be > 0, got {k}")
    return Scale(k, oi_scale(k, inst.multiplier), source)


def _pair(values, k: float) -> tuple[float, float]:
    return (values[0] * k, values[1] * k)


def scaled_config(cfg: LabConfig, inst: Instrument, scale: Scale) -> LabConfig:
    """`cfg` (in the specification's units) as the underlying's config: its instrument
    fields from the registry and every point and OI threshold scaled."""
    k, q = scale.points, scale.oi
    p, t, v = cfg.pressure, cfg.trading, cfg.validation
    rules = tuple(r.model_copy(update={
        "max_distance": r.max_distance * k, "min_total_oi": r.min_total_oi * q,
        "move_magnitude": _pair(r.move_magnitude, k)}) for r in p.urgency_rules)
    traded = inst.traded
    data = cfg.model_dump()
    data["calendar"]["expiration_rule"] = inst.expiration_rule
    data["ingestion"].update(underlying=inst.underlying, roots=inst.option_roots,
                             strike_grid_points=inst.strike_grid,
                             index_ticker=f"I:{inst.underlying}")
    data["pressure"].update(urgency_rules=[r.model_dump() for r in rules],
                            store_within_points=p.store_within_points * k,
                            specification_points_scale=p.specification_points_scale * k)
    data["trading"].update(stop_points={c: x * k for c, x in t.stop_points.items()},
                           target_points={c: x * k for c, x in t.target_points.items()},
                           contract=traded.contract, point_value=traded.point_value,
                           commission_per_contract=traded.commission_per_contract,
                           slippage_points=traded.slippage_points)
    data["validation"].update(pin_half_widths=tuple(h * k for h in v.pin_half_widths))
    data["scaling"] = {"points_scale": k, "oi_scale": q, "source": scale.source,
                       "instrument": {"kind": inst.kind, "settlement": inst.settlement,
                                      "exercise": inst.exercise, "multiplier": inst.multiplier}}
    return LabConfig.model_validate(data)


def instrument_block(cfg: LabConfig) -> dict:
    """The package's `instrument` section: the registry's facts about the config's
    underlying and the scale its thresholds were run at."""
    from assets.common.instruments import BUILT_IN

    name = cfg.ingestion.underlying.upper()
    inst = BUILT_IN.get(name)
    facts = ({"kind": inst.kind, "settlement": inst.settlement, "exercise": inst.exercise,
              "multiplier": inst.multiplier} if inst is not None else
             {"kind": None, "settlement": None, "exercise": None, "multiplier": None})
    if cfg.scaling.instrument is not None:
        facts.update(cfg.scaling.instrument)
    return {"underlying": name, **facts, "strike_grid": cfg.ingestion.strike_grid_points,
            "points_scale": cfg.scaling.points_scale, "oi_scale": cfg.scaling.oi_scale,
            "scale_source": cfg.scaling.source, "scaling_rule": SCALING_RULE}


def scoped_underlying(cfg: LabConfig) -> str | None:
    """The underlying of a scoped (derived) config, None for a flat home's config."""
    return cfg.ingestion.underlying.upper() if cfg.scaling.instrument is not None else None
