"""The selection's confirmatory test: a variant chosen among N tried on the dataset is one
draw of N, so its confirmatory claims must survive the choice.

With N = 1 nothing changes. With N > 1 the two confirmatory claims enter the family with
a selection-adjusted p (`selection_block`, then `select`):

- edge_vs_random, when a sweep stored the daily P&L of the variants this one was chosen
  from (M of the N, this one among them): Hansen's SPA over those M against their
  matched-null benchmarks, with Bonferroni over the N - M trials it does not cover:
  p_sel = min(1, (N - M + 1) x p_SPA), and the claim's p = max(p, p_sel), so it needs both
  its own null and the selection's. Why the SPA there: a grid's variants share days and
  most alerts, so their tests are strongly dependent; the SPA's joint bootstrap of the
  series uses that dependence where Bonferroni pays for M independent tests. Romano-Wolf
  would need each variant's own test under a joint resampling, which is not stored.
- otherwise, and always for opposite_direction (no sweep stores each variant's direction
  test): Bonferroni over N, p_sel = min(1, N x p), valid under any dependence.

Both are valid p-values for the selection under the global null (no variant tried has an
edge), so on such a world a confirmatory claim is made in at most alpha of worlds however
the variant was chosen. VALIDATED further needs the deflated Sharpe (N trials) to reach
`verdict.DSR_THRESHOLD` (`verdict.verdict`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from assets.validation.claims.claims_family import Claim

SPA, BONFERRONI, NONE = "hansen_spa", "bonferroni", "none"
SELECTED = ("edge_vs_random", "opposite_direction")


def _finite(p: float | None) -> float | None:
    return float(p) if p is not None and math.isfinite(p) else None


def _bonferroni(p: float | None, n: int) -> float | None:
    return None if _finite(p) is None else min(1.0, n * float(p))


def _spa(p: float | None, n: int, stored: Any) -> float | None:
    if _finite(p) is None:
        return None
    covered = max(1, n - int(stored.n_series) + 1)
    return max(float(p), min(1.0, covered * float(stored.p_value)))


def selection_block(n_trials: int, p_edge: float | None, p_opposite: float | None,
                    stored: Any = None) -> dict[str, Any]:
    """`claims_family.selection`: N, the method per confirmatory claim, why, and the p before
    and after. `stored`: the SPA over a sweep holding this variant
    (`assets.experiments.selection.StoredSelection`), or None."""
    n = max(1, int(n_trials))
    p_edge, p_opposite = _finite(p_edge), _finite(p_opposite)
    if n == 1:
        rows = {"edge_vs_random": (NONE, p_edge, p_edge),
                "opposite_direction": (NONE, p_opposite, p_opposite)}
        why = "one variant tried on this dataset: no selection to adjust for"
    elif stored is not None:
        rows = {"edge_vs_random": (SPA, p_edge, _spa(p_edge, n, stored)),
                "opposite_direction": (BONFERRONI, p_opposite, _bonferroni(p_opposite, n))}
        why = (f"edge_vs_random: Hansen's SPA over the {stored.n_series} variants of sweep "
               f"{stored.sweep!r} (their stored daily P&L against their matched-null "
               "benchmarks: one joint test of dependent variants), Bonferroni over the "
               f"{n - stored.n_series} other trials, p = max(p, min(1, (N - M + 1) x p_SPA)); "
               "opposite_direction: Bonferroni over N (no sweep stores each variant's "
               "direction test)")
    else:
        rows = {"edge_vs_random": (BONFERRONI, p_edge, _bonferroni(p_edge, n)),
                "opposite_direction": (BONFERRONI, p_opposite, _bonferroni(p_opposite, n))}
        why = ("Bonferroni over N, min(1, N x p): no sweep stored the daily series of the "
               "variants this one was chosen from, and Bonferroni holds under any dependence")
    out: dict[str, Any] = {
        "n_variants": n, "applied": n > 1, "why": why,
        "claims": {name: {"method": m, "p_value_before": before, "p_value_after": after}
                   for name, (m, before, after) in rows.items()},
        "spa": None,
    }
    if n > 1 and stored is not None:
        out["spa"] = {"sweep": stored.sweep, "n_series": int(stored.n_series),
                      "n_days": int(stored.n_days), "p_value": float(stored.p_value),
                      "reps": int(stored.reps), "seed": int(stored.seed),
                      "benchmark": "each variant's matched random-entry null, its expected "
                                   "dollars per day"}
    return out


def select(claims: Sequence[Claim], block: dict[str, Any]) -> list[Claim]:
    """The claims with the confirmatory ones' p replaced by the selection's."""
    out = []
    for c in claims:
        row = block["claims"].get(c.name) if c.name in SELECTED else None
        if row is None or row["method"] == NONE:
            out.append(c)
            continue
        out.append(dataclasses.replace(
            c, p_value=row["p_value_after"],
            test=f"{c.test}; selection-adjusted over N = {block['n_variants']} variants "
                 f"({row['method']})"))
    return out
