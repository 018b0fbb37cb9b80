"""The package's line for `hypothesis_results.expiration_specific`: both edges side by
side, and the label of the family-adjusted claim (NOT TESTED, with the reason, when the
calendar placebo was off or one sample was too small)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assets.validation.package.sections import number_text


def _edge(side: Mapping[str, Any]) -> str:
    return (f"{number_text(side.get('mean_edge_points'))} points/trade over the matched null "
            f"(n = {side.get('n_trades', 0)} on {side.get('n_days', 0)} dates)")


def expiration_specific_line(block: Mapping[str, Any], claim: Mapping[str, Any]) -> str:
    both = (f"expiration days {_edge(block['expiration_days'])}, placebo days "
            f"{_edge(block['placebo_days'])}")
    if claim.get("adjusted_p_value") is None:
        return f"NOT TESTED - {block.get('reason') or 'no test'}; {both}"
    label = "SUPPORTED" if claim.get("claimed") else "NOT SUPPORTED"
    verb = "exceeds" if claim.get("claimed") else "is not shown to exceed"
    return (f"{label} - the expiration-day edge {verb} the placebo-day edge: {both}; "
            f"difference {number_text(block.get('difference_points'))} points (date-clustered "
            f"SE {number_text(block.get('standard_error'))}, t = "
            f"{number_text(block.get('t_statistic'))} on {block.get('df')} df), one-sided p = "
            f"{number_text(claim.get('p_value'))}, family-adjusted "
            f"{number_text(claim.get('adjusted_p_value'))}")
