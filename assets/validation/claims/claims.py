"""The package's claims: each positive statement it can make, built from the computed
tests, run through the family procedure (`claims_family`), and written back as labels.

Members (role, p-value):
- edge_vs_random (confirmatory): the matched random-entry null's p — the alerts carry
  information beyond random entries with the same exits, sizes and costs;
- opposite_direction (confirmatory): moves toward the strikes (pinning), one-sided;
- direction_vs_random: the direction-only null's p;
- class_<NAME>_vs_random: per urgency class, the matched null's p (n ≥ min_class_trades);
- assignment_pressure_correlation: OLS slope of the move on log pressure > 0, one-sided;
- urgency_classification_accuracy: direction accuracy above its base rate (conservative p);
- secondary_<name>: the three secondary hypotheses (one-sided; distinct urgency patterns:
  the largest p of its intersection-union components);
- settlement_pinning: one KS test over all half-widths;
- oi_placebo: the OI placebo control's p;
- expiration_specific: the calendar placebo, the expiration-day edge over the placebo-day
  edge (date-clustered, one-sided); NOT_TESTED without `validation.calendar_placebo`.
- regime_<split>: the edge differs between the split's regimes (era 2022-05-11, ATM IV
  terciles, dealer positioning; `statistics.regimes`), date-clustered Wald F.
The verdict (VALIDATED) is not a separate member: it requires `edge_vs_random` to be
claimed, so it inherits its control.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assets.validation.claims.claims_family import (
    CONFIRMATORY,
    EXPLORATORY,
    Claim,
    evaluate_family,
    one_sided_from_two_sided,
)


def build_claims(null: Mapping[str, Any], direction_null: Mapping[str, Any],
                 prediction: Mapping[str, Any] | None, secondary: Mapping[str, Any],
                 opposite: Mapping[str, Any], placebo: Mapping[str, Any] | None,
                 min_class_trades: int,
                 calendar_placebo: Mapping[str, Any] | None = None) -> list[Claim]:
    claims = [
        Claim("edge_vs_random", CONFIRMATORY, null.get("p_value"),
              "matched random-entry null, one-sided (mean pnl_points >= observed)",
              "the alerts beat random entries with the same exits, sizes and costs"),
        Claim("opposite_direction", CONFIRMATORY,
              (opposite.get("direction_test") or {}).get("p_value"),
              "moves toward the strike among non-zero moves, one-sided, conservative of "
              "binomial and day-clustered",
              "prices move toward high-OI strikes (the literature's pinning direction)"),
        Claim("direction_vs_random", EXPLORATORY, direction_null.get("p_value"),
              "direction-only null, one-sided",
              "at the strategy's own entries, the predicted direction beats a coin"),
    ]
    for name, block in sorted((null.get("per_class") or {}).items()):
        tested = block.get("tested") and block.get("n_trades", 0) >= min_class_trades
        claims.append(Claim(f"class_{name}_vs_random", EXPLORATORY,
                            block.get("p_value") if tested else None,
                            "matched random-entry null within the class, one-sided",
                            f"{name} alerts beat random entries"))
    reg = ((prediction or {}).get("overall") or {}).get("pressure_regression") or {}
    claims.append(Claim("assignment_pressure_correlation", EXPLORATORY,
                        one_sided_from_two_sided(reg.get("slope_p_value"), reg.get("slope")),
                        "OLS slope of the move in the predicted direction on log10 pressure "
                        "> 0, one-sided (day-clustered SE)",
                        "larger pressure comes with larger moves in the predicted direction"))
    d = ((prediction or {}).get("overall") or {}).get("direction") or {}
    claims.append(Claim("urgency_classification_accuracy", EXPLORATORY,
                        d.get("p_value_conservative"),
                        "direction accuracy > shuffled base rate, one-sided, conservative of "
                        "binomial and day-clustered",
                        "the predicted directions are right more often than chance"))
    for name, v in secondary.items():
        claims.append(Claim(f"secondary_{name}", EXPLORATORY, v.get("p_value"),
                            str(v.get("test", "")), str(v.get("hypothesis", name))))
    claims.append(Claim("settlement_pinning", EXPLORATORY,
                        (opposite.get("pinning") or {}).get("p_value"),
                        str((opposite.get("pinning") or {}).get("test", "")),
                        "expiration closes sit nearer strikes than uniform"))
    claims.append(Claim("oi_placebo", EXPLORATORY, (placebo or {}).get("p_value"),
                        "OI placebo (mirrored / shifted OI), one-sided",
                        "the edge needs the real open interest, not just any OI profile"))
    claims.append(Claim("expiration_specific", EXPLORATORY,
                        (calendar_placebo or {}).get("p_value"),
                        str((calendar_placebo or {}).get("test", "calendar placebo")),
                        "the expiration-day edge exceeds the placebo-day edge (the effect "
                        "needs an expiration)"))
    return claims


REGIME_STATEMENTS = {
    "era_2022_05_11": "the edge over the matched null differs before and from 2022-05-11 "
                      "(daily SPXW expirations)",
    "iv_tercile": "the edge over the matched null differs between terciles of the pre-open "
                  "at-the-money implied volatility",
    "dealer_positioning": "the edge over the matched null differs between days the dealers "
                          "are net long and net short",
}


def regime_claims(section: Mapping[str, Any] | None) -> list[Claim]:
    """One exploratory claim per regime split of the package's `regimes` block."""
    if not section:
        return []
    return [Claim(f"regime_{name}", EXPLORATORY, split.get("p_value"),
                  "edge over the matched null's expectation per regime, Wald F of equal "
                  "means, date-clustered (G - 1 df)",
                  REGIME_STATEMENTS.get(name, f"the edge differs between {name} regimes"))
            for name, split in section["splits"].items()]


def run_family(claims: list[Claim], alpha: float) -> dict[str, Any]:
    return evaluate_family(claims, alpha)
