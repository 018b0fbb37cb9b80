"""The evidence package: schema, canonical JSON, determinism, atomic publication."""

from __future__ import annotations

import copy
import json
import math

import jsonschema
import numpy as np
import pandas as pd
import pytest

from assets.common.config import LabConfig
from assets.engine.run import score_trades
from assets.trading.simulator import simulate_trades
from assets.validation.package.evaluate import evaluate as evaluate_aggregate
from assets.validation.package.figures import heatmap_figure_data
from assets.validation.package.json_values import canonical_dumps
from assets.validation.package.publishing import PACKAGE_FILE, write_package
from assets.validation.package.schema import validate_package
from tests.support.validation_fixtures import (
    outcomes_for,
    priced_trades,
    random_alerts,
    random_walk_days,
)

N_CAL = 4


def _cfg(**validation) -> LabConfig:
    cfg = LabConfig()
    v = {"null_replications": 1000, "bootstrap_replications": 300, **validation}
    return cfg.model_copy(update={
        "validation": cfg.validation.model_copy(update=v),
        "pressure": cfg.pressure.model_copy(update={"calibration_days": N_CAL})})


@pytest.fixture(scope="module")
def inputs():
    cfg = _cfg()
    days = random_walk_days(24, 3)
    calib = priced_trades(days[:N_CAL], 6, 4, cfg).assign(is_calibration=True)
    scored = priced_trades(days[N_CAL:], 70, 5, cfg)
    trades = pd.concat([calib, scored], ignore_index=True)
    outcomes = outcomes_for(days[N_CAL:], 150, 6, cfg)
    return cfg, days, trades, outcomes


def evaluate(trades, outcomes, days, cfg, risk, protocol, **kw):
    """The validation of a hand-built sample, through the engine's per-day shares."""
    load = {d.quote_date: d for d in days}
    return evaluate_aggregate(score_trades(trades, outcomes, days, cfg), cfg, risk, protocol,
                              load_days=lambda ds: {d: load[d] for d in ds}, **kw)


def _evaluate(inputs, stamp="2025-01-15T16:00:00Z", **kw):
    cfg, days, trades, outcomes = inputs
    return evaluate(trades, outcomes, days, kw.pop("cfg", cfg), {"stop_loss_validation": {}},
                    {"config_sha256": cfg.digest(), "code_version": "test"},
                    validation_timestamp=stamp, **kw)


def test_package_has_the_interface_layout_and_validates(inputs):
    pkg, files = _evaluate(inputs)
    validate_package(pkg)
    for key in ("experimental_validity", "hypothesis_results", "statistical_measures",
                "performance_metrics", "success_criteria", "secondary_hypotheses",
                "urgency_validation", "risk_management", "null_model", "prediction_accuracy",
                "opposite_hypothesis", "empirical_evidence", "reproducibility_protocol",
                "validation_timestamp", "figures"):
        assert key in pkg
    assert set(pkg["statistical_measures"]) >= {"p_value", "confidence_interval", "effect_size",
                                                "sample_size", "power", "p_value_adjusted"}
    assert "statistical_power" not in pkg["statistical_measures"]  # no post-hoc power
    pm = pkg["performance_metrics"]
    assert pm["total_sample_size"] == 70  # calibration trades are not scored
    assert pkg["empirical_evidence"][0] == "trade_execution_log_70_trades.json"
    # the specification's five files, and the per-day file the pooled package reads
    assert sorted(files) == sorted([*pkg["empirical_evidence"], "daily_edge.csv"])
    assert files["trade_execution_log_70_trades.json"]["n_trades"] == 70
    assert pkg["statistical_measures"]["p_value"] == pkg["null_model"]["p_value"]
    assert pkg["experimental_validity"] in {"REJECTED", "INSUFFICIENT_DATA", "VALIDATED"}
    eq = pkg["figures"]["equity_curve"]
    assert len(eq["dates"]) == len(inputs[1]) - N_CAL  # every out-of-sample day
    hm = pkg["figures"]["heatmap"]  # built from the pressure kernel for an example day
    assert hm["quote_date"] is not None and len(hm["strikes"]) > 0
    assert np.array(hm["log10_pressure"], dtype=float).shape == (len(hm["strikes"]),
                                                                  len(hm["minutes_to_expiry"]))
    json.dumps(pkg, allow_nan=False)  # plain JSON, no NaN


def test_verdict_follows_the_computed_numbers(inputs):
    from assets.validation.claims.verdict import verdict

    pkg, _ = _evaluate(inputs)
    pm, sm = pkg["performance_metrics"], pkg["statistical_measures"]
    cfg = inputs[0]
    assert pkg["experimental_validity"] == verdict(pm["total_sample_size"], pm["win_rate"],
                                                   pm["sharpe_ratio"], sm["p_value"],
                                                   cfg.validation)
    low_n, _ = _evaluate(inputs, cfg=_cfg(min_trades=71))
    assert low_n["experimental_validity"] == "INSUFFICIENT_DATA"
    assert low_n["hypothesis_results"]["primary"].startswith("INSUFFICIENT DATA")


def test_schema_rejects_missing_or_mistyped_keys(inputs):
    pkg, _ = _evaluate(inputs)
    for path in (("performance_metrics",), ("statistical_measures", "p_value"),
                 ("figures", "equity_curve", "equity"), ("null_model", "null_win_rate")):
        broken = copy.deepcopy(pkg)
        target = broken
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        with pytest.raises(jsonschema.ValidationError):
            validate_package(broken)
    broken = copy.deepcopy(pkg)
    broken["statistical_measures"]["p_value"] = "0.03"
    with pytest.raises(jsonschema.ValidationError):
        validate_package(broken)
    broken = copy.deepcopy(pkg)
    broken["experimental_validity"] = "PROBABLY"
    with pytest.raises(jsonschema.ValidationError):
        validate_package(broken)


def test_a_package_file_is_validated_unless_this_process_wrote_those_bytes_valid(
        inputs, tmp_path, monkeypatch):
    from assets.validation.package import schema

    pkg, files = _evaluate(inputs)
    path = write_package(tmp_path, pkg, files, "run-1")
    calls = []
    real = schema.validate_package
    monkeypatch.setattr(schema, "validate_package", lambda p: (calls.append(1), real(p)))
    schema.remember_validated_file(path)
    schema.validate_package_file(path)
    assert calls == []  # the same bytes, validated before they were written
    broken = json.loads(path.read_text())
    broken["experimental_validity"] = "PROBABLY"
    path.write_text(canonical_dumps(broken))
    with pytest.raises(jsonschema.ValidationError):
        schema.validate_package_file(path)
    assert calls == [1]
    other = tmp_path / "other.json"
    other.write_text(canonical_dumps({**pkg, "validation_timestamp": "2025-01-16T16:00:00Z"}))
    schema.validate_package_file(other)  # never seen: validated in full, and it passes
    assert calls == [1, 1]


def test_small_classes_get_an_insufficient_record(inputs):
    pkg, _ = _evaluate(inputs, cfg=_cfg(min_class_trades=1000))
    for entry in pkg["urgency_validation"].values():
        assert entry["status"] == "INSUFFICIENT_DATA" and entry["sufficient_sample"] is False
        assert entry["sample_size"] > 0 and "actual_win_rate" not in entry
    validate_package(pkg)
    pkg, _ = _evaluate(inputs)
    for entry in pkg["urgency_validation"].values():
        assert entry["sufficient_sample"] and 0 <= entry["actual_win_rate"] <= 1


def test_same_inputs_give_the_same_bytes(inputs):
    a, fa = _evaluate(inputs, stamp="2025-01-15T16:00:00Z")
    b, fb = _evaluate(inputs, stamp="2025-01-15T16:00:00Z")
    assert canonical_dumps(a) == canonical_dumps(b)
    assert all(canonical_dumps(fa[k]) == canonical_dumps(fb[k]) for k in fa)
    c, _ = _evaluate(inputs, stamp="2030-01-01T00:00:00Z")
    diff = [(x, y) for x, y in zip(canonical_dumps(a).splitlines(),
                                   canonical_dumps(c).splitlines(), strict=False) if x != y]
    assert len(diff) == 1 and "validation_timestamp" in diff[0][0]


def test_canonical_dump_is_sorted_and_has_no_nan():
    text = canonical_dumps({"b": math.nan, "a": [np.float64(1.5), np.inf, np.int64(2)],
                               "c": {"z": np.bool_(True), "y": pd.Timestamp("2024-01-02")}})
    assert json.loads(text) == {"a": [1.5, None, 2], "b": None,
                                "c": {"y": "2024-01-02T00:00:00", "z": True}}
    assert text.index('"a"') < text.index('"b"') < text.index('"c"')
    assert "NaN" not in text and "Infinity" not in text


def test_write_package_keeps_runs_and_replaces_atomically(tmp_path, inputs):
    pkg, files = _evaluate(inputs)
    out = write_package(tmp_path, pkg, files, "run-1")
    assert out == tmp_path / PACKAGE_FILE
    assert out.read_text() == canonical_dumps(pkg)
    for name in pkg["empirical_evidence"]:
        assert json.loads((tmp_path / name).read_text()) is not None
        assert (tmp_path / "runs" / "run-1" / name).is_file()
    # a second run with another trade count replaces the current copy, keeps the first
    pkg2 = copy.deepcopy(pkg)
    pkg2["empirical_evidence"][0] = "trade_execution_log_3_trades.json"
    files2 = dict(files)
    files2["trade_execution_log_3_trades.json"] = files2.pop("trade_execution_log_70_trades.json")
    write_package(tmp_path, pkg2, files2, "run-2")
    assert (tmp_path / "runs" / "run-1" / PACKAGE_FILE).read_text() == canonical_dumps(pkg)
    assert json.loads(out.read_text())["empirical_evidence"][0].endswith("_3_trades.json")
    assert not (tmp_path / "trade_execution_log_70_trades.json").exists()
    assert (tmp_path / "LATEST_RUN").read_text().strip() == "run-2"
    assert not [p for p in tmp_path.rglob("*.tmp")]
    # rewriting a run id replaces that run's copy
    write_package(tmp_path, pkg, files, "run-2")
    assert (tmp_path / "runs" / "run-2" / PACKAGE_FILE).read_text() == canonical_dumps(pkg)
    with pytest.raises(ValueError):
        write_package(tmp_path, pkg, {"../evil.json": {}}, "run-3")


def test_works_on_the_simulator_s_own_trades(inputs):
    cfg, days, _, outcomes = inputs
    alerts = random_alerts(days, 80, 9, cfg, n_calibration=10).assign(confidence=0.9)
    trades = simulate_trades(alerts, days, cfg.trading, cfg.pressure.urgency_rules)
    assert len(trades) > 0
    pkg, files = evaluate(trades, outcomes, days, cfg, {}, {}, validation_timestamp="T")
    validate_package(pkg)
    assert pkg["null_model"]["n_excluded"] == 0


def test_heatmap_figure_data():
    strikes = np.arange(3900.0, 4105.0, 5.0)
    minutes = np.arange(389.0, -1.0, -1.0)
    pressure = np.outer(1.0 / np.maximum(minutes, 1.0) ** 2, np.ones(strikes.size))
    pressure[:, 0] = 0.0
    price = np.full(minutes.size, 4001.0)
    got = heatmap_figure_data("2024-01-02", strikes, minutes, pressure, price,
                              last_minutes=30, max_strikes=5)
    assert got["strikes"] == [3990.0, 3995.0, 4000.0, 4005.0, 4010.0]
    assert got["minutes_to_expiry"] == list(np.arange(30.0, -1.0, -1.0))
    z = np.array(got["log10_pressure"], dtype=float)
    assert z.shape == (5, 31)
    assert z[0, 0] == pytest.approx(np.log10(1 / 900))


def test_planted_steering_is_found_and_random_trades_are_not_validated():
    cfg = _cfg()
    days = random_walk_days(30, 13, drift=1.0, drift_from_minutes=61)
    steered = priced_trades(days[N_CAL:], 80, 14, cfg, direction="up")
    pkg, _ = evaluate(steered, None, days, cfg, {}, {}, validation_timestamp="T")
    assert pkg["statistical_measures"]["p_value"] < 0.01
    assert pkg["experimental_validity"] == "VALIDATED"
    assert pkg["hypothesis_results"]["primary"].startswith("SUPPORTED")
    random_dir = priced_trades(days[N_CAL:], 80, 14, cfg, direction="random")
    pkg, _ = evaluate(random_dir, None, days, cfg, {}, {}, validation_timestamp="T")
    assert pkg["experimental_validity"] == "REJECTED"


def test_claims_family_and_the_two_statements(inputs):
    pkg, _ = _evaluate(inputs)
    fam = pkg["claims_family"]
    names = [c["name"] for c in fam["claims"]]
    assert names[:2] == ["edge_vs_random", "opposite_direction"]
    assert {"oi_placebo", "settlement_pinning", "direction_vs_random",
            "secondary_quadratic_intensification"} <= set(names)
    roles = {c["name"]: c["role"] for c in fam["claims"]}
    assert roles["edge_vs_random"] == roles["opposite_direction"] == "confirmatory"
    assert all(roles[n] == "exploratory" for n in names[2:])
    for c in fam["claims"]:
        if c["p_value"] is not None:
            assert c["adjusted_p_value"] >= c["p_value"]
            assert c["claimed"] == (c["adjusted_p_value"] < 0.05)
    edge = fam["claims"][0]
    assert pkg["statistical_measures"]["p_value_adjusted"] == edge["adjusted_p_value"]
    h = pkg["hypothesis_results"]
    assert h["edge_vs_random"].startswith("SUPPORTED" if edge["claimed"] else "NOT SUPPORTED")
    assert "primary" in h and pkg["null_model"]["entries"] == "matched"
    placebo = pkg["controls"]["oi_placebo"]
    assert placebo["replications"] == inputs[0].validation.oi_placebo_replications
    assert pkg["repeated_looks"]["n_looks"] == 1
    assert not pkg["study_calibration"]["available"]
    for block in pkg["null_model"]["per_class"].values():
        assert block["tested"] == (block["n_trades"] >= 10)


def test_an_unreached_horizon_means_insufficient_data(inputs):
    cfg = _cfg(evaluation_horizon_days=1000, oi_placebo_replications=5)
    pkg, _ = _evaluate(inputs, cfg=cfg)
    assert pkg["experimental_validity"] == "INSUFFICIENT_DATA"
    assert pkg["repeated_looks"]["horizon_reached"] is False
    validate_package(pkg)


def test_a_passed_horizon_judges_the_first_horizon_days_only(inputs):
    cfg = _cfg(evaluation_horizon_days=10, oi_placebo_replications=5)
    pkg, _ = _evaluate(inputs, cfg=cfg)
    assert "first 10 scored days" in pkg["verdict_basis"]
    assert pkg["repeated_looks"]["horizon_reached"] is True
    # the horizon's trades are fewer than the specification's 50: the verdict cannot be reached yet
    assert pkg["experimental_validity"] == "INSUFFICIENT_DATA"


def test_a_home_of_two_underlyings_tests_at_its_split_alpha(inputs, tmp_path):
    """The same sample in a SPX + SPY home: every claim and the verdict at 0.05 / 3 (the
    home's 0.05 over its 3 packages), the split stated in the family and the report;
    the single-underlying package has no such block."""
    from assets.report.sections import render_report

    cfg = inputs[0]
    split_cfg = cfg.model_copy(update={"validation": cfg.validation.model_copy(
        update={"home_underlyings": ("SPX", "SPY")})})
    plain, _ = _evaluate(inputs)
    pkg, _ = _evaluate(inputs, cfg=split_cfg)
    validate_package(pkg)
    assert "home_split" not in plain["claims_family"]
    fam = pkg["claims_family"]
    level = 0.05 / 3
    assert fam["alpha"] == pytest.approx(level)
    assert fam["home_split"]["n_packages"] == 3 and fam["home_split"]["home_alpha"] == 0.05
    assert fam["home_split"]["packages"] == ["SPX", "SPY", "pooled"]
    for row in fam["claims"]:  # the adjusted p's do not move; the level does
        twin = next(r for r in plain["claims_family"]["claims"] if r["name"] == row["name"])
        assert row["adjusted_p_value"] == twin["adjusted_p_value"]
        if row["adjusted_p_value"] is not None:
            assert row["claimed"] is (row["adjusted_p_value"] < level)
    assert pkg["statistical_measures"]["alpha"] == pytest.approx(level)
    assert pkg["statistical_measures"]["confidence_level"] == 0.95  # intervals describe
    assert pkg["success_criteria"]["p_value"]["threshold"] == pytest.approx(level)
    assert "0.05 / 3" in pkg["verdict_rule"]
    assert "adjusted p < 0.05 / 3" in pkg["hypothesis_results"]["primary"]
    assert "0.05 / 3" in render_report(pkg)
