"""The specification's UrgencyClassificationEngine as one vectorized pass over a pressure grid.

Rules come from ``PressureConfig.urgency_rules`` (the specification's, verbatim, by default) and are
tried in order: the first rule whose minute window, OI floor and distance ceiling all hold
wins, everything else is NO_SIGNAL. Code 0 is NO_SIGNAL and code i (1-based) is rule i-1,
so ``codes != 0`` is "actionable" and ``urgency_names(rules)[code]`` is the label.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assets.common.config import UrgencyRule

NO_SIGNAL = "NO_SIGNAL"
NO_SIGNAL_CODE = 0


def urgency_names(rules: Sequence[UrgencyRule]) -> list[str]:
    """Label of each code: index 0 is NO_SIGNAL, then the rules in order."""
    return [NO_SIGNAL] + [rule.name for rule in rules]


def rule_by_name(rules: Sequence[UrgencyRule]) -> dict[str, UrgencyRule]:
    return {rule.name: rule for rule in rules}


def in_window(minutes: np.ndarray, rule: UrgencyRule) -> np.ndarray:
    """min_minutes <= minutes < max_minutes (or <= when the rule's max is inclusive)."""
    minutes = np.asarray(minutes, dtype=np.float64)
    upper = minutes <= rule.max_minutes if rule.max_inclusive else minutes < rule.max_minutes
    return (minutes >= rule.min_minutes) & upper


def classify(minutes: np.ndarray, total_oi: np.ndarray, distance: np.ndarray,
             rules: Sequence[UrgencyRule]) -> np.ndarray:
    """int8 urgency codes, broadcast over the inputs.

    Typical call: ``minutes`` (T,), ``total_oi`` (K,), ``distance`` (T, K); 1-D minutes
    are treated as a column (one value per row of ``distance``). Any shapes that broadcast
    work: ``classify(m, oi, d)`` with three equal-length 1-D arrays classifies cells.
    """
    distance = np.asarray(distance, dtype=np.float64)
    minutes = np.asarray(minutes, dtype=np.float64)
    total_oi = np.asarray(total_oi, dtype=np.float64)
    if distance.ndim == 2 and minutes.ndim == 1:
        minutes = minutes[:, None]
    shape = np.broadcast_shapes(minutes.shape, total_oi.shape, distance.shape)
    codes = np.zeros(shape, dtype=np.int8)
    # Paint from the last rule to the first so the first matching rule has the last word.
    for code in range(len(rules), 0, -1):
        rule = rules[code - 1]
        hit = in_window(minutes, rule) & (total_oi > rule.min_total_oi)
        hit = hit & (distance < rule.max_distance)
        codes[np.broadcast_to(hit, shape)] = code
    return codes


def classify_grid(grid, rules: Sequence[UrgencyRule]) -> np.ndarray:
    """(T, K) codes of a ``PressureGrid``."""
    return classify(grid.minutes, grid.total_oi, grid.distance, rules)
