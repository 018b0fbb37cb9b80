"""Urgency classes: the specification's boundaries, first-match order, and agreement with the
specification's if/elif written out."""

from __future__ import annotations

import numpy as np
import pytest

from assets.common.config import SPECIFICATION_URGENCY_RULES, PressureConfig, UrgencyRule
from assets.pressure.urgency import NO_SIGNAL, classify, urgency_names
from tests.support.pressure_reference import specification_class

NAMES = urgency_names(SPECIFICATION_URGENCY_RULES)

BOUNDARIES = [
    # minutes, OI, distance, class
    (14.999, 1500.5, 7.99, "ASSIGNMENT_PANIC"),
    (0.0, 1501.0, 0.0, "ASSIGNMENT_PANIC"),
    (15.0, 5000.0, 1.0, NO_SIGNAL),  # 15 is not < 15, and below PIN's 30
    (10.0, 1500.0, 1.0, NO_SIGNAL),  # OI must be strictly > 1500
    (10.0, 5000.0, 8.0, NO_SIGNAL),  # distance must be strictly < 8
    (29.99, 5000.0, 1.0, NO_SIGNAL),
    (30.0, 2000.5, 19.99, "PIN_RISK_MANAGEMENT"),  # 30 inclusive
    (60.0, 3000.0, 0.0, "PIN_RISK_MANAGEMENT"),  # 60 inclusive
    (60.01, 3000.0, 0.0, NO_SIGNAL),
    (45.0, 2000.0, 1.0, NO_SIGNAL),  # OI must be strictly > 2000
    (45.0, 2500.0, 20.0, NO_SIGNAL),  # distance must be strictly < 20
    (200.0, 1e6, 0.0, NO_SIGNAL),
]


@pytest.mark.parametrize("minutes,oi,distance,expected", BOUNDARIES)
def test_specification_boundaries(minutes, oi, distance, expected):
    # the oracle agrees with the table
    assert specification_class(minutes, oi, distance) == expected
    code = classify(np.array([minutes]), np.array([oi]), np.array([distance]),
                    SPECIFICATION_URGENCY_RULES)
    assert NAMES[int(code[0])] == expected


def test_grid_classification_matches_scalar_oracle():
    rng = np.random.default_rng(3)
    minutes = np.concatenate([rng.uniform(0, 90, 200), [0, 14, 15, 29, 30, 45, 60, 61]])
    total_oi = rng.choice([0, 1500, 1501, 1999, 2000, 2001, 4000], 30).astype(float)
    distance = np.round(rng.uniform(0, 30, (minutes.size, total_oi.size)) * 4) / 4
    codes = classify(minutes, total_oi, distance, SPECIFICATION_URGENCY_RULES)
    assert codes.shape == distance.shape
    for t in range(minutes.size):
        for k in range(total_oi.size):
            want = specification_class(minutes[t], total_oi[k], distance[t, k])
            assert NAMES[codes[t, k]] == want


def test_first_matching_rule_wins():
    wide = UrgencyRule(name="WIDE", min_minutes=0, max_minutes=100, max_inclusive=True,
                       min_total_oi=0, max_distance=50, move_magnitude=(1, 2),
                       move_duration=(1, 2), win_rate_target=0.5, behavior_pattern="X",
                       size_multiplier=1.0)
    narrow = SPECIFICATION_URGENCY_RULES[0]
    m, oi, d = np.array([5.0, 50.0]), np.array([3000.0]), np.array([[1.0], [1.0]])
    first_narrow = classify(m, oi, d, (narrow, wide))
    assert [urgency_names((narrow, wide))[c] for c in first_narrow[:, 0]] == [
        "ASSIGNMENT_PANIC", "WIDE"]
    first_wide = classify(m, oi, d, (wide, narrow))
    assert [urgency_names((wide, narrow))[c] for c in first_wide[:, 0]] == ["WIDE", "WIDE"]


def test_names_and_config_rules():
    assert NAMES == [NO_SIGNAL, "ASSIGNMENT_PANIC", "PIN_RISK_MANAGEMENT"]
    assert PressureConfig().urgency_rules == SPECIFICATION_URGENCY_RULES
