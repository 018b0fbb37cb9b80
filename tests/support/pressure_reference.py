"""The strategy specification's pressure loop and urgency rules in plain Python: the naive
oracles beside the vectorized kernel and classifier.

The loop transcribes ExpirationPressureEngine.calculate_assignment_pressure and
_calculate_assignment_probability statement by statement; it is also what
benchmarks/bench_pressure.py times.
"""

from __future__ import annotations

from typing import NamedTuple

from assets.pressure.urgency import NO_SIGNAL


class StrikeRow(NamedTuple):
    price: float
    call_oi: float
    put_oi: float


def specification_assignment_probability(distance: float, time_remaining: float) -> float:
    """The specification's _calculate_assignment_probability, verbatim."""
    if time_remaining < 15:
        base_prob = 0.8
        decay_factor = distance / 10
    elif time_remaining < 45:
        base_prob = 0.5
        decay_factor = distance / 20
    else:
        base_prob = 0.2
        decay_factor = distance / 30
    return max(0.1, base_prob - decay_factor)


def specification_pressure_loop(close, minutes, strikes, call_oi, put_oi):
    """Per minute, the specification's loop over the chain. Returns (distance, probability,
    pressure) as nested lists [minute][strike]."""
    chain = [StrikeRow(float(s), float(c), float(p))
             for s, c, p in zip(strikes, call_oi, put_oi, strict=True)]
    distances, probabilities, pressures = [], [], []
    for current_price, minutes_to_expiry in zip(list(map(float, close)),
                                                list(map(float, minutes)), strict=True):
        d_row, p_row, x_row = [], [], []
        for strike in chain:
            total_oi = strike.call_oi + strike.put_oi
            distance_to_strike = abs(current_price - strike.price)
            assignment_prob = specification_assignment_probability(distance_to_strike,
                                                          minutes_to_expiry)
            total_assignment_risk = total_oi * assignment_prob
            pressure = total_assignment_risk / max(1, minutes_to_expiry ** 2)
            d_row.append(distance_to_strike)
            p_row.append(assignment_prob)
            x_row.append(pressure)
        distances.append(d_row)
        probabilities.append(p_row)
        pressures.append(x_row)
    return distances, probabilities, pressures


def specification_class(minutes: float, total_oi: float, distance: float) -> str:
    """The specification's classify_urgency_level conditions, verbatim (PIN_RISK as configured:
    30 <= minutes <= 60, OI > 2000, distance < 20)."""
    if minutes < 15 and total_oi > 1500 and distance < 8:
        return "ASSIGNMENT_PANIC"
    if 30 <= minutes <= 60 and total_oi > 2000 and distance < 20:
        return "PIN_RISK_MANAGEMENT"
    return NO_SIGNAL
