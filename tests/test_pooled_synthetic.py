"""The pooled package end to end in memory: SPX without steering and SPY with steering
planted at a tenth of the level on its $1 strikes, each through the engine and its own
package (the specification's thresholds scaled by k = 0.1 for SPY, by hand here), then
pooled: SPY's edge is claimed, SPX's is not, and the settlement contrast is SUPPORTED,
every family at the home's alpha over its three packages."""

from __future__ import annotations

import pytest

from assets.common.config import LabConfig
from assets.engine.run import calibration_record, risk_report, run_engine
from assets.synthetic_market.generator import generate_markets
from assets.synthetic_market.in_memory_days import market_days
from assets.validation.package.evaluate import evaluate
from assets.validation.package.pooled import write_pooled_package
from assets.validation.package.publishing import write_package

K = 0.1  # SPY's level over SPX's
INSTRUMENT = {"SPX": {"kind": "index", "settlement": "cash", "exercise": "european",
                      "strike_grid": 5.0},
              "SPY": {"kind": "etf", "settlement": "physical", "exercise": "american",
                      "strike_grid": 1.0}}


def scaled(cfg: LabConfig, k: float) -> LabConfig:
    """The specification's points times k and its OI over k (equal notional)."""
    if k == 1.0:
        return cfg
    p, t = cfg.pressure, cfg.trading
    rules = tuple(r.model_copy(update={"max_distance": r.max_distance * k,
                                       "min_total_oi": r.min_total_oi / k,
                                       "move_magnitude": tuple(x * k for x in r.move_magnitude)})
                  for r in p.urgency_rules)
    return cfg.model_copy(update={
        "pressure": p.model_copy(update={"urgency_rules": rules,
                                         "store_within_points": p.store_within_points * k}),
        "trading": t.model_copy(update={
            "stop_points": {c: v * k for c, v in t.stop_points.items()},
            "target_points": {c: v * k for c, v in t.target_points.items()},
            "slippage_points": t.slippage_points * k, "point_value": t.point_value / k}),
        "ingestion": cfg.ingestion.model_copy(update={"strike_grid_points": 1.0})})


def test_steering_on_spy_only_gives_spy_s_edge_and_the_contrast(tmp_path):
    base = LabConfig()
    base = base.model_copy(update={"validation": base.validation.model_copy(
        update={"null_replications": 499, "oi_placebo_replications": 19,
                "home_underlyings": ("SPX", "SPY")})})  # each family at 0.05 / 3
    world = list(generate_markets("2024-01-01", "2024-06-30", ["SPX", "SPY"], {"SPY": 3.0},
                                  seed=7))
    for name, k in (("SPX", 1.0), ("SPY", K)):
        market = market_days([w[name] for w in world])
        cfg = scaled(base, k)
        agg = run_engine(market, cfg)
        pkg, files = evaluate(agg, cfg, risk_report(agg),
                              {"calibration_split": calibration_record(agg)},
                              validation_timestamp="",
                              load_days=lambda ds, m=market: {d: m[d] for d in ds})
        pkg["instrument"] = {"underlying": name, **INSTRUMENT[name], "multiplier": 100,
                             "points_scale": k, "oi_scale": 1 / k,
                             "scaling_rule": "points x k, OI / k (by hand in this test)"}
        write_package(tmp_path / name, pkg, files, "run")
    pooled = write_pooled_package(tmp_path, ["SPX", "SPY"], base)
    rows = {r["underlying"]: r for r in pooled["underlyings"]}
    assert "edge_vs_random" in rows["SPY"]["own_claims"]
    assert "edge_vs_random" not in rows["SPX"]["own_claims"]
    assert rows["SPY"]["edge_bp"] > rows["SPX"]["edge_bp"]
    contrast = pooled["settlement_contrast"]
    assert contrast["physical"] == ["SPY"] and contrast["cash"] == ["SPX"]
    assert pooled["hypothesis_results"]["settlement_contrast"].startswith("SUPPORTED")
    assert contrast["df"] == contrast["n_dates"] - 1
    assert pooled["hypothesis_results"]["by_underlying"]["SPX"].startswith("NOT SUPPORTED")
    assert (tmp_path / "report.html").is_file()
    assert pooled["claims_family"]["alpha"] == pytest.approx(0.05 / 3)
    assert pytest.approx(sum(r["n_trades"] for r in rows.values())) == contrast["n_trades"]
