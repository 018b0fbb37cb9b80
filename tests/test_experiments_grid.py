"""Sweep grids: the Cartesian product, and refusals that name the path and value."""

from __future__ import annotations

import json

import pytest

from assets.common.config import LabConfig
from assets.experiments.grid import (
    GridError,
    apply_overrides,
    expand_grid,
    load_grid,
    parse_grid,
    strategy_digest,
    strategy_overrides,
)


def test_the_grid_is_the_cartesian_product_in_grid_order():
    grid = {"pressure.threshold_percentile": [60, 75, 90],
            "pressure.probability_model": ["seed", "itm_normal"],
            "trading.stop_points.PIN_RISK_MANAGEMENT": [5, 10],
            "pressure.urgency_rules.1.min_total_oi": [1500, 2000]}
    variants = expand_grid(LabConfig(), grid)
    assert len(variants) == 3 * 2 * 2 * 2
    assert variants[0].overrides == {"pressure.threshold_percentile": 60,
                                     "pressure.probability_model": "seed",
                                     "trading.stop_points.PIN_RISK_MANAGEMENT": 5,
                                     "pressure.urgency_rules.1.min_total_oi": 1500}
    assert variants[1].overrides["pressure.urgency_rules.1.min_total_oi"] == 2000
    last = variants[-1].config
    assert last.pressure.threshold_percentile == 90
    assert last.pressure.probability_model == "itm_normal"
    assert last.trading.stop_points == {"ASSIGNMENT_PANIC": 15.0, "PIN_RISK_MANAGEMENT": 10.0}
    assert last.pressure.urgency_rules[1].min_total_oi == 2000
    assert len({v.digest for v in variants}) == len(variants)


@pytest.mark.parametrize("grid, message", [
    ({"pressure.treshold_percentile": [60]},
     "'pressure.treshold_percentile': unknown config field 'treshold_percentile'"),
    ({"trading.stop_points.PANIC": [5]}, "unknown config field 'PANIC'"),
    ({"pressure.urgency_rules.2.min_total_oi": [1]}, "'2' is not an index of a 2-item list"),
    ({"risk.size": [1]}, "unknown config section 'risk'"),
    ({"validation.seed": [1, 2]}, "'validation' is shared by every variant"),
    ({"pressure.calibration_days": [20]}, "calibration split"),
    ({"pressure.probability_model": ["seed", "gauss"]},
     'pressure.probability_model = "gauss"'),
    ({"trading.commission_per_contract": [1.0, "cheap"]},
     'trading.commission_per_contract = "cheap"'),
    ({"pressure.threshold_percentile": []}, "non-empty list"),
    ({"pressure.threshold_percentile": [60, 60]}, "same value twice"),
    ({"pressure.vol_halflife_minutes": [30.0]}, None),
])
def test_refusals_name_the_path_and_value(grid, message):
    if message is None:  # a valid single-value grid
        assert len(expand_grid(LabConfig(), grid)) == 1
        return
    with pytest.raises(GridError) as err:
        expand_grid(LabConfig(), parse_grid(grid))
    assert message in str(err.value)


def test_load_grid_names_the_file(tmp_path):
    bad = tmp_path / "g.json"
    bad.write_text("{not json")
    with pytest.raises(GridError, match="g.json: not valid JSON"):
        load_grid(bad)
    with pytest.raises(GridError, match="does not exist"):
        load_grid(tmp_path / "missing.json")
    bad.write_text(json.dumps(["pressure.threshold_percentile"]))
    with pytest.raises(GridError, match="non-empty JSON object"):
        load_grid(bad)


def test_strategy_digest_and_overrides_cover_the_strategy_only():
    base = LabConfig()
    changed = apply_overrides(base, {"trading.slippage_points": 0.5})
    assert strategy_digest(changed) != strategy_digest(base)
    assert strategy_overrides(changed) == {"trading.slippage_points": 0.5}
    reseeded = base.model_copy(update={"validation": base.validation.model_copy(
        update={"seed": 3})})
    assert strategy_digest(reseeded) == strategy_digest(base)
    assert strategy_overrides(reseeded) == {}
