"""The specification's verdict rule and its success-criteria table, nothing more.

Verdict (PerformanceMetricsValidator, verbatim in spirit): fewer than `min_trades`
scored trades is INSUFFICIENT_DATA before anything else; VALIDATED needs all three of
win rate ≥ 0.75, annualized daily Sharpe ≥ 2.0 and p < 0.05 (strict); otherwise REJECTED.
The verdict's p and the table's p criterion are the same number, edge_vs_random's
family-adjusted p (selection-adjusted first when N > 1 variants were tried). When N > 1,
VALIDATED also needs the Deflated Sharpe Ratio (N trials) ≥ 0.95: a Sharpe ≥ 2 picked as
the best of N says little until it beats the best of N zero-skill variants. A missing
number (None / NaN) never passes a threshold. In a home of several underlyings the p
level is the home's alpha over its packages (`effective_alpha`, assets/common/home_split.py).
"""

from __future__ import annotations

import math
from typing import Any

from assets.common.config import ValidationConfig
from assets.common.home_split import level_text

VALIDATED, REJECTED, INSUFFICIENT_DATA = "VALIDATED", "REJECTED", "INSUFFICIENT_DATA"

# The specification's SUCCESS CRITERIA block (not in ValidationConfig: they are reported, not used
# by the verdict).
MIN_TRADES_SUCCESS = 100
MIN_POINTS_PER_TRADE = 12.0
MAX_DRAWDOWN_FRACTION = 0.15
DSR_THRESHOLD = 0.95  # the deflated Sharpe VALIDATED needs when N > 1 variants were tried


def _ok(x: Any) -> bool:
    """A real, finite number (numpy scalars included; bools and None excluded)."""
    if x is None or isinstance(x, bool):
        return False
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def verdict(n_trades: int, win_rate: float | None, sharpe: float | None,
            p_value: float | None, cfg: ValidationConfig, n_trials: int = 1,
            deflated_sharpe: float | None = None) -> str:
    if n_trades < cfg.min_trades:
        return INSUFFICIENT_DATA
    deflated_ok = n_trials <= 1 or (_ok(deflated_sharpe) and deflated_sharpe >= DSR_THRESHOLD)
    if (_ok(win_rate) and win_rate >= cfg.win_rate_threshold
            and _ok(sharpe) and sharpe >= cfg.sharpe_threshold
            and _ok(p_value) and p_value < cfg.effective_alpha and deflated_ok):
        return VALIDATED
    return REJECTED


def deflated_gate(n_trials: int, deflated_sharpe: float | None) -> dict[str, Any]:
    """The DSR condition of VALIDATED, as the package states it."""
    applies = int(n_trials) > 1
    return {"applies": applies, "n_trials": int(n_trials), "threshold": DSR_THRESHOLD,
            "deflated_sharpe_ratio": float(deflated_sharpe) if _ok(deflated_sharpe) else None,
            "met": (not applies) or (_ok(deflated_sharpe)
                                     and deflated_sharpe >= DSR_THRESHOLD)}


def verdict_rule_text(cfg: ValidationConfig) -> str:
    return (f"n < {cfg.min_trades} -> INSUFFICIENT_DATA; VALIDATED iff win rate >= "
            f"{cfg.win_rate_threshold} and annualized daily Sharpe >= {cfg.sharpe_threshold} "
            f"and the family-adjusted p of edge_vs_random < {_level(cfg)} (selection-adjusted "
            f"when N > 1 variants were tried) and, when N > 1, the deflated Sharpe (N "
            f"trials) >= {DSR_THRESHOLD}; else REJECTED"
            + (f"; INSUFFICIENT_DATA until {cfg.evaluation_horizon_days} scored days "
               "(pre-registered horizon)" if cfg.evaluation_horizon_days is not None else ""))


def _level(cfg: ValidationConfig) -> str:
    """The verdict's p level in words: alpha, or the home's alpha over its packages."""
    text = level_text(cfg.alpha, cfg.home_underlyings)
    return (text if cfg.packages_in_home == 1 else
            f"{text} (the home's alpha over its {cfg.packages_in_home} packages)")


def _criterion(threshold: float, value: Any, rule: str, met: bool,
               basis: str | None = None) -> dict[str, Any]:
    out = {"threshold": threshold, "value": float(value) if _ok(value) else None,
           "rule": rule, "met": bool(met)}
    return out if basis is None else {**out, "basis": basis}


def success_criteria(n_trades: int, win_rate: float | None, mean_pnl_points: float | None,
                     max_drawdown_fraction: float | None, p_value_adjusted: float | None,
                     cfg: ValidationConfig) -> dict[str, dict[str, Any]]:
    """The specification's success criteria, each {threshold, value, met}.

    `p_value_adjusted` is edge_vs_random's family-adjusted p, the p the verdict reads: the
    raw p would let the table say "p met" where the package makes no claim."""
    return {
        "sample_size": _criterion(MIN_TRADES_SUCCESS, n_trades, ">=",
                                  n_trades >= MIN_TRADES_SUCCESS),
        "win_rate": _criterion(cfg.win_rate_threshold, win_rate, ">=",
                               _ok(win_rate) and win_rate >= cfg.win_rate_threshold),
        "average_profit_points_per_trade": _criterion(
            MIN_POINTS_PER_TRADE, mean_pnl_points, ">=",
            _ok(mean_pnl_points) and mean_pnl_points >= MIN_POINTS_PER_TRADE),
        "maximum_drawdown_fraction": _criterion(
            MAX_DRAWDOWN_FRACTION, max_drawdown_fraction, "<=",
            _ok(max_drawdown_fraction) and max_drawdown_fraction <= MAX_DRAWDOWN_FRACTION),
        "p_value": _criterion(cfg.effective_alpha, p_value_adjusted, "<",
                              _ok(p_value_adjusted) and p_value_adjusted < cfg.effective_alpha,
                              basis="edge_vs_random's family-adjusted p-value"
                              + ("" if cfg.packages_in_home == 1 else
                                 f"; threshold {_level(cfg)}")),
    }
