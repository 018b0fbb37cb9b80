"""The verdict's reach: the smallest planted strength at which VALIDATED is reachable.

The study's `steer` ladder climbs by doubling (`LADDER_TOP`: up to 32 x the generator's
default strength) and stops once VALIDATED's power reaches `POWER_GOAL` (0.8). From the
ladder's rows the reach names the smallest strength with power >= 0.8, or says the
specification's bar cannot be met with this executor up to the top; and the criterion that
binds: the one of the verdict's (n >= min trades, win rate, Sharpe, p, and the deflated
Sharpe when N > 1) failing in most worlds at the top rungs (the two highest climbed).

The reason for a binding win rate is the executor's geometry, computed from the config: a
trade that meets its stop S or target T before the time stop wins, on a driftless path,
with probability S / (S + T) (gambler's ruin); to reach the bar w it needs a drift mu with
(1 - exp(-k S)) / (1 - exp(-k (S + T))) = w, k = 2 mu / sigma^2 (Brownian motion with
drift), and a trade the time stop closes first is a coin flip less the costs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.optimize import brentq

POWER_GOAL = 0.8
LADDER_TOP = 32.0
CRITERIA = ("n_trades", "win_rate", "sharpe", "p_value", "deflated_sharpe")
TOP_RUNGS = 2


def climbing_ladder(base: Sequence[float], top: float = LADDER_TOP) -> list[float]:
    """The rungs above the base ladder: doubling from its top up to `top`."""
    rungs, s = [], max(base)
    while s * 2 <= top + 1e-9:
        s *= 2
        rungs.append(float(s))
    return rungs


def validated_power(rows: Sequence[Mapping[str, Any]]) -> float:
    return sum(r["verdict"] == "VALIDATED" for r in rows) / len(rows) if rows else 0.0


def should_climb(rows: Sequence[Mapping[str, Any]], goal: float = POWER_GOAL) -> bool:
    return validated_power(rows) < goal


def barrier_win_rate(stop: float, target: float, drift_k: float = 0.0) -> float:
    """P(target before stop) of Brownian motion with k = 2 mu / sigma^2 (per point)."""
    if abs(drift_k) < 1e-12:
        return stop / (stop + target)
    return (1 - math.exp(-drift_k * stop)) / (1 - math.exp(-drift_k * (stop + target)))


def _drift_needed(stop: float, target: float, threshold: float) -> float | None:
    """The drift at which a barrier trade wins at `threshold`: 0 when the geometry alone
    does (a stop wider than the target), None when no drift up to the bracket's end does."""
    if barrier_win_rate(stop, target) >= threshold:
        return 0.0
    gap = lambda k: barrier_win_rate(stop, target, k) - threshold  # noqa: E731
    hi = 50.0
    if gap(hi) < 0:
        return None
    return float(brentq(gap, 1e-9, hi))


def executor_geometry(trading, threshold: float) -> dict[str, Any]:
    """Per class: stop, target, time stop, the driftless barrier win rate and the drift
    (as 2 mu / sigma^2, per point) a barrier trade needs to win at `threshold`."""
    out = {}
    for name in sorted(trading.stop_points):
        s, t = float(trading.stop_points[name]), float(trading.target_points[name])
        need = _drift_needed(s, t, threshold)
        out[name] = {"stop_points": s, "target_points": t,
                     "time_stop_minutes": float(trading.max_hold_minutes[name]),
                     "driftless_barrier_win_rate": barrier_win_rate(s, t),
                     "drift_needed_2mu_over_sigma2_per_point": need}
    return out


def _fail_rates(rows: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    crit = [r["verdict_criteria"] for r in rows if r.get("verdict_criteria")]
    return {c: sum(not k[c] for k in crit) / len(crit) for c in CRITERIA
            if crit and any(c in k for k in crit)}


def verdict_reach(ladder: Sequence[Mapping[str, Any]], geometry: Mapping[str, Any],
                  win_rate_threshold: float, default_strength: float) -> dict[str, Any]:
    """`study.verdict_reach` from the steer ladder's rows ({strength, rows})."""
    rungs = sorted(ladder, key=lambda r: r["strength"])
    powers = [{"strength": r["strength"], "n_worlds": len(r["rows"]),
               "validated_power": validated_power(r["rows"]),
               "criteria_fail_rate": _fail_rates(r["rows"])} for r in rungs]
    reached = [p for p in powers if p["validated_power"] >= POWER_GOAL]
    top = [row for r in rungs[-TOP_RUNGS:] for row in r["rows"]]
    fails = _fail_rates(top)
    binding = max(fails, key=lambda c: (fails[c], -CRITERIA.index(c))) if fails else None
    top_strength = rungs[-1]["strength"] if rungs else None
    rates = sorted(float(r["win_rate"]) for r in top if r.get("win_rate") is not None)
    top_wr = ({"n_worlds": len(rates), "median": float(np.median(rates)), "max": rates[-1]}
              if rates else None)
    out: dict[str, Any] = {
        "power_goal": POWER_GOAL, "ladder_top": LADDER_TOP,
        "strength_unit": f"multiples of the generator's default steer strength "
                         f"({default_strength:g} points a minute at the close, 5 points from "
                         "a 10,000-contract strike)",
        "reachable": bool(reached),
        "smallest_strength": reached[0]["strength"] if reached else None,
        "top_strength_tried": top_strength,
        "binding_criterion": None if reached else binding,
        "top_rungs_fail_rate": fails, "top_rungs_win_rate": top_wr, "ladder": powers,
        "executor": dict(geometry)}
    if reached:
        out["statement"] = (f"VALIDATED's power reaches {POWER_GOAL:g} at "
                            f"{reached[0]['strength']:g} x the default strength "
                            f"({reached[0]['validated_power']:.0%} of worlds)")
        out["reason"] = None
        return out
    out["reason"] = _reason(binding, fails, geometry, win_rate_threshold)
    out["statement"] = (f"the specification's bar cannot be met with this executor up to "
                        f"{top_strength:g} x the default strength: VALIDATED's power stays "
                        f"below {POWER_GOAL:g}; binding criterion: {binding} (fails in "
                        f"{fails.get(binding, 0):.0%} of the top rungs' worlds"
                        + (f"; their win rate: median {top_wr['median']:.2f}, at most "
                           f"{top_wr['max']:.2f}" if top_wr and binding == "win_rate" else "")
                        + "). " + out["reason"])
    return out


def _reason(binding: str | None, fails: Mapping[str, float], geometry: Mapping[str, Any],
            threshold: float) -> str:
    if binding == "win_rate":
        parts = [f"{c}: stop {g['stop_points']:g}, target {g['target_points']:g}, time stop "
                 f"{g['time_stop_minutes']:g} min, driftless barrier win rate "
                 f"{g['driftless_barrier_win_rate']:.2f}" for c, g in geometry.items()]
        return (f"The stop/target geometry caps the win rate: without drift a trade that "
                f"meets its stop or target wins with probability S / (S + T) ({'; '.join(parts)}"
                f"), and one the time stop closes first is a coin flip less the costs; "
                f"{threshold:g} needs the steering to carry trades to their target three "
                "times in four")
    if binding == "n_trades":
        return "too few out-of-sample trades in the study's span for the verdict's minimum"
    if binding == "sharpe":
        return "the daily Sharpe stays below the bar: the edge is small against the P&L's spread"
    if binding == "p_value":
        return "the matched null's family-adjusted p does not fall below alpha"
    return "the deflated Sharpe stays below its gate" if binding else "no ladder ran"
