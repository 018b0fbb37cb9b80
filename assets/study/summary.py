"""Fan-in of the study units: the lab's error rates, as `evidence/study.json`.

- false-positive rate per claim (and of "any claim" and of VALIDATED) over the null
  worlds, with a Clopper-Pearson interval (statsmodels, method "beta");
- the primary p-value's histogram on the null worlds and a KS test against U(0, 1);
- power per claim, of `edge_vs_random` and of the verdict, per scenario and strength;
- the spread of z = (observed − null mean) / null sd per scenario and strength;
- the selection scenario (the best of a 48-variant sweep on null worlds, run as the
  config): the false-positive rate per confirmatory claim and of any claim;
- the verdict's reach from the steer ladder (`assets.study.reach`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

P_BINS = 10


def _rate(k: int, n: int, alpha: float) -> dict[str, Any]:
    lo, hi = proportion_confint(k, n, alpha=alpha, method="beta") if n else (None, None)
    return {"count": int(k), "n": int(n), "rate": k / n if n else None,
            "clopper_pearson": [None if lo is None else float(lo),
                                None if hi is None else float(hi)]}


def _claim_rates(rows: Sequence[Mapping[str, Any]], alpha: float) -> dict[str, Any]:
    names = sorted({c for r in rows for c in r["claims"]})
    out = {}
    for name in names:
        tested = [r["claims"][name] for r in rows
                  if name in r["claims"] and r["claims"][name]["adjusted_p_value"] is not None]
        out[name] = _rate(sum(bool(c["claimed"]) for c in tested), len(tested), alpha)
    out["any_claim"] = _rate(sum(bool(r["any_claim"]) for r in rows), len(rows), alpha)
    out["verdict_validated"] = _rate(sum(r["verdict"] == "VALIDATED" for r in rows),
                                     len(rows), alpha)
    return out


def _quantiles(x: Sequence[float | None]) -> dict[str, Any]:
    v = np.array([a for a in x if a is not None], dtype=float)
    if v.size == 0:
        return {"n": 0}
    q = np.percentile(v, [5, 25, 50, 75, 95])
    return {"n": int(v.size), "mean": float(v.mean()), "sd": float(v.std(ddof=1)) if v.size > 1
            else None, "q05": float(q[0]), "q25": float(q[1]), "q50": float(q[2]),
            "q75": float(q[3]), "q95": float(q[4]), "values": [float(a) for a in v]}


def calendar_placebo_summary(rows: Sequence[Mapping[str, Any]], alpha: float,
                             strength: float, span: Sequence[str]) -> dict[str, Any]:
    """`expiration_specific` over the calendar placebo's worlds: its power (SUPPORTED rate
    with steering on expiration days only) and false-positive rates (steering on every
    session; no steering), each over every world of the scenario (a world where the claim
    could not be tested counts as not claimed), with Clopper-Pearson intervals."""
    def rate(scenario: str, name: str = "expiration_specific") -> dict[str, Any]:
        rs = [r for r in rows if r["scenario"] == scenario]
        return _rate(sum(bool((r["claims"].get(name) or {}).get("claimed")) for r in rs),
                     len(rs), alpha)

    return {"strength": strength, "span": list(span),
            "claim": "expiration_specific",
            "power_expiration_only": rate("calendar_placebo_expiration_only"),
            "false_positive_every_session": rate("calendar_placebo_every_session"),
            "false_positive_null": rate("calendar_placebo_null"),
            "edge_vs_random_expiration_only": rate("calendar_placebo_expiration_only",
                                                   "edge_vs_random"),
            "edge_vs_random_every_session": rate("calendar_placebo_every_session",
                                                 "edge_vs_random")}


def selection_rates(rows: Sequence[Mapping[str, Any]], alpha: float) -> dict[str, Any]:
    """The selection scenario's false-positive rates: each confirmatory claim, any claim,
    VALIDATED, with Clopper-Pearson intervals, and what the sweeps said."""
    rates = _claim_rates(rows, alpha)
    keep = ("edge_vs_random", "opposite_direction", "any_claim", "verdict_validated")
    sweeps = [r["sweep"] for r in rows if r.get("sweep")]
    return {"n_worlds": len(rows),
            "n_variants": sweeps[0]["n_variants"] if sweeps else None,
            "false_positive_rates": {k: rates[k] for k in keep if k in rates},
            "any_confirmatory_claim": _rate(
                sum(any(c["claimed"] for c in r["claims"].values()
                        if c["role"] == "confirmatory") for r in rows), len(rows), alpha),
            "sweep_spa_p_values": [s["spa_p_value"] for s in sweeps],
            "raw_edge_p_values": [r["claims"]["edge_vs_random"]["p_value"] for r in rows]}


def summarize(rows: Sequence[Mapping[str, Any]], meta: Mapping[str, Any],
              alpha: float = 0.05, reach: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The study document from the unit results (`meta`: digests, span, replications;
    `reach`: the verdict's reach, `assets.study.reach.verdict_reach`)."""
    select = [r for r in rows if r["scenario"] == "select"]
    null = [r for r in rows if r["scenario"] == "null"]
    p = np.array([r["primary_p_value"] for r in null if r["primary_p_value"] is not None])
    counts, edges = np.histogram(p, bins=P_BINS, range=(0.0, 1.0))
    ks = stats.kstest(p, "uniform") if p.size else None
    groups: dict[tuple[str, float], list] = defaultdict(list)
    for r in rows:
        if r["scenario"] not in ("null", "select"):
            groups[(r["scenario"], float(r["strength"]))].append(r)
    power: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (scenario, strength), rs in sorted(groups.items()):
        power[scenario].append({"strength": strength, "n_worlds": len(rs),
                                "claims": _claim_rates(rs, alpha)})
    z = {"null": _quantiles([r["z"] for r in null])}
    for (scenario, strength), rs in sorted(groups.items()):
        z[f"{scenario}_{strength:g}"] = _quantiles([r["z"] for r in rs])
    return {
        **dict(meta),
        "alpha": alpha,
        "n_null_worlds": len(null),
        "false_positive_rates": _claim_rates(null, alpha) if null else {},
        "primary_p_uniformity": {
            "histogram": {"bin_edges": [float(e) for e in edges],
                          "counts": [int(c) for c in counts]},
            "ks_statistic": float(ks.statistic) if ks else None,
            "ks_p_value": float(ks.pvalue) if ks else None,
            "values": [float(v) for v in p]},
        "power": dict(power),
        "z_spread": z,
        "selection": selection_rates(select, alpha) if select else None,
        "verdict_reach": dict(reach) if reach else None,
        "units": [r["unit_id"] for r in rows],
    }
