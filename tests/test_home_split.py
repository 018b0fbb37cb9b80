"""One error rate for a home: with m >= 2 underlyings the home's alpha is split over its
m + 1 packages (Bonferroni), each family and verdict at alpha / (m + 1); a
single-underlying home keeps alpha and its config digest. Levels checked against the
hand-computed 0.05 / 3 and 0.05 / 4."""

from __future__ import annotations

import pytest

from assets.common.config import LabConfig, ValidationConfig, load_config
from assets.common.home_split import home_split_block, split_alpha
from assets.validation.claims.claims_family import CONFIRMATORY, Claim, evaluate_family
from assets.validation.claims.verdict import (
    REJECTED,
    VALIDATED,
    success_criteria,
    verdict,
    verdict_rule_text,
)

PAIR = ("SPX", "SPY")


def test_the_split_is_bonferroni_over_the_home_s_packages():
    assert split_alpha(0.05, []) == 0.05  # the flat layout
    assert split_alpha(0.05, ["SPX"]) == 0.05  # one underlying folder
    assert split_alpha(0.05, ["SPX", "SPY"]) == pytest.approx(0.05 / 3)
    assert split_alpha(0.05, ["SPX", "SPY", "NDX", "QQQ"]) == pytest.approx(0.01)
    assert home_split_block(0.05, ["SPX"]) is None
    block = home_split_block(0.05, ["SPX", "SPY"])
    assert block["packages"] == ["SPX", "SPY", "pooled"] and block["n_packages"] == 3
    assert block["alpha"] == pytest.approx(0.05 / 3) and block["home_alpha"] == 0.05
    assert "0.05 / 3" in block["statement"] and "Bonferroni" in block["rule"]


def test_a_single_underlying_config_is_unchanged():
    plain = LabConfig()
    assert plain.validation.effective_alpha == plain.validation.alpha == 0.05
    assert "home_underlyings" not in plain.model_dump()["validation"]  # the digest stays
    split = plain.model_copy(update={"validation": plain.validation.model_copy(
        update={"home_underlyings": PAIR})})
    assert split.validation.effective_alpha == pytest.approx(0.05 / 3)
    assert split.digest() != plain.digest()  # a package says which level it was tested at
    again = LabConfig.model_validate_json(split.model_dump_json())
    assert again.validation.home_underlyings == PAIR


def _land(home, *names):
    for u in names:
        (home / "landing" / u / "chains").mkdir(parents=True)


def test_the_scope_takes_the_split_from_the_landing_zone(lab_home, monkeypatch):
    monkeypatch.setenv("PRESSURE_LAB_UNDERLYING", "SPY")
    _land(lab_home, "SPY")
    assert load_config().validation.effective_alpha == 0.05  # one underlying folder
    _land(lab_home, "SPX")
    spy = load_config()
    assert spy.validation.home_underlyings == PAIR
    assert spy.validation.effective_alpha == pytest.approx(0.05 / 3)
    _land(lab_home, "QQQ")
    assert load_config().validation.effective_alpha == pytest.approx(0.05 / 4)
    monkeypatch.delenv("PRESSURE_LAB_UNDERLYING")
    assert load_config().validation.effective_alpha == 0.05  # unscoped: the flat config


def test_the_verdict_and_the_criteria_read_the_split_level():
    """p = 0.03 passes at 0.05 but not at 0.05 / 3; p = 0.01 passes both."""
    single, split = ValidationConfig(), ValidationConfig(home_underlyings=PAIR)
    good = dict(n_trades=200, win_rate=0.8, sharpe=3.0)
    assert verdict(**good, p_value=0.03, cfg=single) == VALIDATED
    assert verdict(**good, p_value=0.03, cfg=split) == REJECTED
    assert verdict(**good, p_value=0.01, cfg=split) == VALIDATED
    crit = success_criteria(200, 0.8, 15.0, 0.1, 0.03, split)["p_value"]
    assert crit["threshold"] == pytest.approx(0.05 / 3) and crit["met"] is False
    assert "0.05 / 3" in crit["basis"]
    assert success_criteria(200, 0.8, 15.0, 0.1, 0.03, single)["p_value"]["met"] is True
    assert "< 0.05 / 3 (the home's alpha over its 3 packages)" in verdict_rule_text(split)
    assert "edge_vs_random < 0.05 (selection" in verdict_rule_text(single)


def test_the_family_claims_at_the_level_it_is_given():
    claims = [Claim("edge_vs_random", CONFIRMATORY, 0.012, "t", "s"),
              Claim("opposite_direction", CONFIRMATORY, 0.9, "t", "s")]
    # weight 1/2 each: edge's adjusted p is 2 x 0.012 = 0.024
    assert evaluate_family(claims, 0.05)["any_claim"]
    fam = evaluate_family(claims, split_alpha(0.05, PAIR))
    assert fam["claims"][0]["adjusted_p_value"] == pytest.approx(0.024)
    assert not fam["any_claim"] and fam["alpha"] == pytest.approx(0.05 / 3)


def test_a_scoped_command_names_an_unknown_landing_folder(lab_home, capsys):
    """The split counts the home's underlyings, so a folder that is none is refused by
    name (not a traceback) even under another underlying's scope."""
    from orchestration.cli import main

    _land(lab_home, "SPY")
    (lab_home / "landing" / "ZZZZ" / "bars").mkdir(parents=True)
    assert main(["--underlying", "SPY", "inspect"]) == 2
    assert "'ZZZZ' is not a known underlying" in capsys.readouterr().err
