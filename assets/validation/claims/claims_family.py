"""Every positive statement of the evidence package as one family of tests, with
family-wise error control by a graphical (gatekeeping) procedure.

Why not a plain Holm over all claims: with ~12 claims Holm would test the primary at
α/12 in the worst case, turning a raw p = 0.005 into an adjusted 0.06; the one claim the
lab exists to test would lose most of its power to the exploratory ones. Why not a plain
hierarchy (primary at α, the rest only if it is rejected): then the literature's opposite
direction (pinning) could never be claimed on a pinning world, where the specification's primary
is exactly what fails.

The procedure (Bretz, Maurer, Brannath & Posch 2009, "A graphical approach to sequentially
rejective multiple test procedures"; it controls the family-wise error rate strongly at α
for any dependence among the p-values, being a shortcut of a closed test of weighted
Bonferroni tests):

- confirmatory: the specification's direction (`edge_vs_random`, the matched random-entry null) and
  the opposite one (`opposite_direction`, moves toward the strikes), each with initial
  weight 1/2. Two one-sided tests at α/2 are a two-sided test at α: the lab asks "is there
  steering, and which way" without preferring either answer before it sees the data;
- exploratory: every other claim, initial weight 0. A rejected confirmatory hypothesis
  passes its weight to the exploratory ones in equal parts; a rejected exploratory one
  passes its weight to the remaining exploratory ones in equal parts (Holm among them).
  On a world with no effect of either kind they can therefore only be claimed when a
  confirmatory claim is (falsely) made, so P(any positive claim) ≤ α.

Adjusted p-values follow the paper's adjusted-p algorithm; a claim is made when its
adjusted p is below α (strictly, as in the specification's verdict rule). Claims whose test cannot
be run (too little data) stay in the list as NOT_TESTED and out of the graph.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

CONFIRMATORY, EXPLORATORY = "confirmatory", "exploratory"
PROCEDURE = ("graphical gatekeeping (Bretz et al. 2009): confirmatory claims edge_vs_random "
             "and opposite_direction start with weight 1/2 each (together a two-sided test "
             "at alpha); a rejected confirmatory claim passes its weight to the exploratory "
             "claims in equal parts; a rejected exploratory claim passes its weight to the "
             "other exploratory claims in equal parts (Holm among them). Strong FWER "
             "control at alpha.")


@dataclass(frozen=True)
class Claim:
    """One positive statement the package can make, and the test behind it."""

    name: str
    role: str  # CONFIRMATORY or EXPLORATORY
    p_value: float | None  # one-sided in the claim's direction unless `test` says otherwise
    test: str
    statement: str  # what the package says when the claim is made


def graphical_adjusted_p(p: Sequence[float], weights: Sequence[float],
                         transitions: np.ndarray) -> np.ndarray:
    """Adjusted p-values of the sequentially rejective graphical procedure.

    `weights` (sum ≤ 1) are the initial local levels as fractions of α; `transitions[i, j]`
    the fraction of H_i's weight passed to H_j when H_i is rejected (rows sum ≤ 1, zero
    diagonal). A hypothesis with weight 0 when every remaining one has weight 0 gets 1.
    """
    p = np.asarray(p, dtype=float)
    w = np.asarray(weights, dtype=float).copy()
    g = np.asarray(transitions, dtype=float).copy()
    m = p.size
    if w.shape != (m,) or g.shape != (m, m):
        raise ValueError("weights must be (m,) and transitions (m, m)")
    if np.any(w < 0) or w.sum() > 1 + 1e-12 or np.any(g < 0) or np.any(g.sum(1) > 1 + 1e-12):
        raise ValueError("weights and transition rows must be non-negative and sum to <= 1")
    active = np.ones(m, dtype=bool)
    adjusted = np.ones(m)
    running = 0.0
    for _ in range(m):
        idx = np.flatnonzero(active)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(w[idx] > 0, p[idx] / w[idx], np.inf)
        k = int(np.argmin(ratio))
        j = int(idx[k])
        if not math.isfinite(ratio[k]):
            break  # no weight left: the rest keep adjusted p = 1
        running = max(running, min(1.0, float(ratio[k])))
        adjusted[j] = running
        active[j] = False
        rest = np.flatnonzero(active)
        new_w = w.copy()
        new_g = np.zeros_like(g)
        for a in rest:
            new_w[a] = w[a] + w[j] * g[j, a]
            for b in rest:
                if a == b:
                    continue
                den = 1.0 - g[a, j] * g[j, a]
                new_g[a, b] = (g[a, b] + g[a, j] * g[j, b]) / den if den > 0 else 0.0
        new_w[j] = 0.0
        w, g = new_w, new_g
    return adjusted


def gatekeeping_graph(roles: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(weights, transitions) of the lab's family for claims with these roles."""
    roles = list(roles)
    conf = [i for i, r in enumerate(roles) if r == CONFIRMATORY]
    expl = [i for i, r in enumerate(roles) if r == EXPLORATORY]
    m = len(roles)
    w = np.zeros(m)
    g = np.zeros((m, m))
    if conf:
        w[conf] = 1.0 / len(conf)
    for i in conf:
        if expl:
            g[i, expl] = 1.0 / len(expl)
        elif len(conf) > 1:
            g[i, [c for c in conf if c != i]] = 1.0 / (len(conf) - 1)
    for i in expl:
        others = [e for e in expl if e != i]
        if others:
            g[i, others] = 1.0 / len(others)
    if not conf and expl:  # no confirmatory claim testable: plain Holm among the rest
        w[expl] = 1.0 / len(expl)
    return w, g


def evaluate_family(claims: Sequence[Claim], alpha: float) -> dict[str, Any]:
    """The family as the package lists it: each claim's raw and adjusted p, its role,
    its initial weight and whether it is made (adjusted p < alpha)."""
    tested = [c for c in claims if c.p_value is not None and math.isfinite(c.p_value)]
    w, g = gatekeeping_graph([c.role for c in tested])
    adj = graphical_adjusted_p([c.p_value for c in tested], w, g) if tested else np.empty(0)
    by_name = {c.name: (float(a), float(wi)) for c, a, wi in zip(tested, adj, w, strict=True)}
    rows = []
    for c in claims:
        a, wi = by_name.get(c.name, (None, None))
        rows.append({"name": c.name, "role": c.role, "test": c.test,
                     "p_value": c.p_value if c.name in by_name else None,
                     "adjusted_p_value": a, "initial_weight": wi,
                     "status": ("NOT_TESTED" if a is None else
                                "CLAIMED" if a < alpha else "NOT_CLAIMED"),
                     "claimed": a is not None and a < alpha,
                     "statement": c.statement})
    return {"procedure": PROCEDURE, "alpha": alpha, "n_claims": len(claims),
            "n_tested": len(tested), "any_claim": any(r["claimed"] for r in rows),
            "claims": rows}


def claim_lookup(family: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in family["claims"]}


def one_sided_from_two_sided(p_two: float | None, estimate: float | None,
                             positive: bool = True) -> float | None:
    """One-sided p in the claim's direction from a symmetric two-sided test."""
    if p_two is None or estimate is None or not math.isfinite(p_two):
        return None
    right_way = estimate > 0 if positive else estimate < 0
    return p_two / 2.0 if right_way else 1.0 - p_two / 2.0
