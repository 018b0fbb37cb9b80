"""The pooled package: several underlyings' packages as one claim family, compared in
basis points of the underlying, and the contrast the hypothesis implies.

Why: the specification's mechanism is assignment, which exists only where options settle
physically (SPY, QQQ, IWM, stocks), not on cash-settled indices (SPX, NDX, RUT, XSP).
If steering for assignment is real, the edge over random entries should be larger on
physically settled underlyings: `hypothesis_results.settlement_contrast`.

Reads `evidence_root/<U>/evidence_package.json` (its `instrument` block names the
settlement) and `evidence_root/<U>/daily_edge.csv` for each U; writes
`evidence_root/evidence_package.json` and `evidence_root/report.html`.

The family (`assets.validation.claims.claims_family`, graphical gatekeeping):
- confirmatory, alpha/2 each: `edge_vs_random` (the pooled mean edge per trade in bp
  > 0) and `settlement_contrast` (physical minus cash > 0), both clustered by date with
  G - 1 df (`assets.validation.statistics.clustered_edge`); NOT_TESTED (out of the graph)
  when a test cannot be run, e.g. the contrast with one settlement type;
- exploratory, weight 0: each underlying's `edge_vs_random:<U>` and
  `opposite_direction:<U>`, with the p each entered its own package's family (the
  selection-adjusted p when a variant was chosen among N), claimable only through a
  rejected confirmatory claim.
A variant chosen among N on any of the datasets makes the pooled confirmatory p's
Bonferroni over the largest such N: min(1, N x p).

The family is controlled at the home's alpha over its packages (`assets.common.home_split`:
alpha / (m + 1) with m underlyings), the level every per-underlying package of the home
states too; a package that states another split is refused, naming it. Intervals stay at
1 - alpha.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from assets.common.atomic_files import write_text_atomic
from assets.common.home_split import home_split_block, packages_in_home, split_alpha
from assets.common.settings import EVIDENCE_PACKAGE_FILE
from assets.validation.claims.claims_family import (
    CONFIRMATORY,
    EXPLORATORY,
    Claim,
    claim_lookup,
    evaluate_family,
)
from assets.validation.package.daily_edge import (
    DAILY_EDGE_FILE,
    DailyEdgeError,
    read_daily_edge,
)
from assets.validation.package.json_values import canonical_dumps, to_jsonable
from assets.validation.package.schema import validate_pooled_package
from assets.validation.statistics.clustered_edge import (
    METHOD,
    clustered_mean,
    settlement_contrast,
    trade_rows,
)

POOLED_REPORT_FILE = "report.html"
POOLED_PROCEDURE = ("graphical gatekeeping (Bretz et al. 2009): confirmatory claims "
                    "edge_vs_random (pooled) and settlement_contrast start with weight 1/2 each "
                    "(a confirmatory claim that cannot be tested leaves the graph and the "
                    "other gets its weight); a rejected confirmatory claim passes its weight "
                    "to the exploratory per-underlying claims (edge_vs_random:<U>, "
                    "opposite_direction:<U>) in equal parts, Holm among them. Strong FWER "
                    "control at alpha (claims_family.alpha: the home's alpha over its "
                    "packages, claims_family.home_split).")
SETTLEMENTS = ("cash", "physical")
SCALING_KEYS = ("points_scale", "oi_scale", "scaling_rule")


class PooledInputError(ValueError):
    """A per-underlying package or daily file the pooled package cannot use (names it)."""


@dataclass(frozen=True)
class UnderlyingInput:
    name: str
    package: dict[str, Any]
    daily: pd.DataFrame
    package_path: Path
    daily_path: Path

    @property
    def instrument(self) -> dict[str, Any]:
        return self.package["instrument"]

    @property
    def physical(self) -> bool:
        return self.instrument["settlement"] == "physical"


def read_underlying(evidence_root: Path, name: str) -> UnderlyingInput:
    """One underlying's package and daily file, checked against each other."""
    folder = Path(evidence_root) / name
    pkg_path, daily_path = folder / EVIDENCE_PACKAGE_FILE, folder / DAILY_EDGE_FILE
    for path in (pkg_path, daily_path):
        if not path.is_file():
            raise PooledInputError(f"{path}: missing; the pooled package needs every "
                                   f"underlying's package and its {DAILY_EDGE_FILE}")
    try:
        package = json.loads(pkg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PooledInputError(f"{pkg_path}: not JSON ({exc})") from exc
    inst = package.get("instrument")
    if not isinstance(inst, Mapping) or inst.get("settlement") not in SETTLEMENTS:
        got = None if not isinstance(inst, Mapping) else inst.get("settlement")
        raise PooledInputError(f"{pkg_path}: instrument.settlement must be one of "
                               f"{SETTLEMENTS} (got {got!r})")
    if inst.get("underlying") not in (None, name):
        raise PooledInputError(f"{pkg_path}: instrument.underlying is "
                               f"{inst.get('underlying')!r}, but the folder is {name!r}")
    try:
        daily = read_daily_edge(daily_path)
    except DailyEdgeError as exc:
        raise PooledInputError(str(exc)) from exc
    n_pkg = (package.get("performance_metrics") or {}).get("total_sample_size")
    if n_pkg is not None and int(daily["n_trades"].sum()) != int(n_pkg):
        raise PooledInputError(
            f"{daily_path}: {int(daily['n_trades'].sum())} trades, but {pkg_path} scores "
            f"{n_pkg} (rule: the daily file and its package come from the same run)")
    return UnderlyingInput(name, package, daily, pkg_path, daily_path)


def _family_row(package: Mapping[str, Any], claim: str) -> dict[str, Any]:
    return claim_lookup(package.get("claims_family") or {"claims": []}).get(claim) or {}


def _n_variants(package: Mapping[str, Any]) -> int:
    sel = (package.get("claims_family") or {}).get("selection") or {}
    return max(1, int(sel.get("n_variants") or 1))


def _bonferroni(p: float | None, n: int) -> float | None:
    return None if p is None else min(1.0, n * p)


def _check_split(inputs: Sequence[UnderlyingInput]) -> None:
    """Every package was tested at the split this pool makes (m + 1 packages, or none)."""
    n = packages_in_home([u.name for u in inputs])
    for u in inputs:
        stated = (u.package.get("claims_family") or {}).get("home_split")
        got = 1 if stated is None else int(stated.get("n_packages") or 1)
        if got != n:
            raise PooledInputError(
                f"{u.package_path}: its family splits the home's alpha over {got} "
                f"package(s), but this pool of {len(inputs)} underlyings "
                f"({', '.join(x.name for x in inputs)}) makes {n}; run the home's "
                "underlyings again so every package tests at the same level")


def pooled_claims(inputs: Sequence[UnderlyingInput], pooled: Mapping[str, Any],
                  contrast: Mapping[str, Any], n_variants: int) -> list[Claim]:
    sel = "" if n_variants == 1 else f"; Bonferroni over N = {n_variants} variants"
    claims = [
        Claim("edge_vs_random", CONFIRMATORY, _bonferroni(pooled["p_value"], n_variants),
              f"pooled mean edge per trade in bp > 0, {METHOD}{sel}",
              "over all underlyings, the alerts beat random entries with the same exits, "
              "sizes and costs"),
        Claim("settlement_contrast", CONFIRMATORY,
              _bonferroni(contrast["p_value"], n_variants),
              f"physically minus cash-settled mean edge per trade in bp > 0, {METHOD}{sel}",
              "the edge over random entries is larger where options settle physically "
              "(assignment is real) than where they settle in cash"),
    ]
    for u in inputs:
        for name in ("edge_vs_random", "opposite_direction"):
            row = _family_row(u.package, name)
            claims.append(Claim(f"{name}:{u.name}", EXPLORATORY, row.get("p_value"),
                                f"{u.name}'s own package: {row.get('test', name)}",
                                f"{u.name}: {row.get('statement', name)}"))
    return claims


def _label(claim: Mapping[str, Any], text: str, reason: str | None = None) -> str:
    if claim.get("adjusted_p_value") is None:
        return f"NOT_TESTED - {reason or 'the test could not be run'}"
    word = "SUPPORTED" if claim.get("claimed") else "NOT SUPPORTED"
    return (f"{word} - {text}; p = {claim['p_value']:.4g}, family-adjusted "
            f"{claim['adjusted_p_value']:.4g}")


def _bp(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{x:+.3f} bp"


def build_pooled_package(inputs: Sequence[UnderlyingInput], cfg) -> dict[str, Any]:
    """The pooled package (a JSON-able dict) of the underlyings' packages and daily files."""
    if not inputs:
        raise PooledInputError("no underlying to pool")
    _check_split(inputs)
    names = [u.name for u in inputs]
    alpha = cfg.validation.alpha  # the intervals' level; the family's is split
    family_alpha = split_alpha(alpha, names)
    physical = {u.name: u.physical for u in inputs}
    rows = trade_rows({u.name: u.daily for u in inputs}, physical)
    pooled = clustered_mean(rows, alpha)
    contrast = settlement_contrast(rows, alpha)
    kinds = sorted({u.instrument["settlement"] for u in inputs})
    if len(kinds) < 2:
        contrast = {**contrast, "tested": False, "p_value": None,
                    "reason": f"only {kinds[0]}-settled underlyings are present "
                              f"({', '.join(u.name for u in inputs)}): the contrast needs "
                              "both settlement types"}
    n_var = max(_n_variants(u.package) for u in inputs)
    family = evaluate_family(pooled_claims(inputs, pooled, contrast, n_var), family_alpha)
    family["procedure"] = POOLED_PROCEDURE
    split = home_split_block(alpha, names)
    if split is not None:
        family["home_split"] = split
    family["selection"] = {"n_variants": n_var, "applied": n_var > 1,
                           "method": "bonferroni" if n_var > 1 else "none",
                           "why": "the largest number of variants tried on any of the "
                                  "datasets; the per-underlying claims carry their own "
                                  "packages' selection-adjusted p"}
    claims = claim_lookup(family)
    per_u = []
    for u in inputs:
        own = clustered_mean(rows[rows["underlying"] == u.name], alpha)
        inst = u.instrument
        per_u.append({
            "underlying": u.name, "kind": inst.get("kind"), "settlement": inst["settlement"],
            "package": f"{u.name}/{EVIDENCE_PACKAGE_FILE}",
            "n_scored_days": int(len(u.daily)), "n_trades": int(u.daily["n_trades"].sum()),
            "edge_bp": own["estimate_bp"], "edge_bp_ci": own["ci_bp"],
            "edge_bp_se": own["se_bp"], "edge_bp_p_value": own["p_value"],
            "edge_bp_df": own["df"],
            "verdict": u.package.get("experimental_validity"),
            "edge_vs_random": (u.package.get("hypothesis_results") or {}).get(
                "edge_vs_random"),
            "own_claims": [r["name"] for r in (u.package.get("claims_family") or {}).get(
                "claims", []) if r.get("claimed")],
            "pooled_claims": {k: claims[f"{k}:{u.name}"]["status"]
                              for k in ("edge_vs_random", "opposite_direction")},
            "scaling": {k: inst.get(k) for k in SCALING_KEYS},
            "instrument": dict(inst),
        })
    phys = [u.name for u in inputs if u.physical]
    cash = [u.name for u in inputs if not u.physical]
    lines = {
        "edge_vs_random": _label(claims["edge_vs_random"],
                                 f"pooled edge over random entries {_bp(pooled['estimate_bp'])}"
                                 f" per trade (95% CI {_ci(pooled['ci_bp'])}), "
                                 f"{pooled['n_trades']} trades on {pooled['n_dates']} dates",
                                 pooled.get("reason")),
        "settlement_contrast": _label(claims["settlement_contrast"],
                                      f"physical ({', '.join(phys)}) minus cash "
                                      f"({', '.join(cash)}) {_bp(contrast['estimate_bp'])} per "
                                      f"trade (95% CI {_ci(contrast['ci_bp'])}), "
                                      f"{contrast['n_dates']} dates, df {contrast['df']}",
                                      contrast.get("reason")),
        "by_underlying": {u.name: _label(claims[f"edge_vs_random:{u.name}"],
                                         f"{u.name}'s edge over random entries, controlled "
                                         "in the pooled family", "its package did not test it")
                          for u in inputs},
    }
    return to_jsonable({
        "package_kind": "pooled",
        "underlyings": per_u,
        "hypothesis_results": lines,
        "claims_family": family,
        "pooled_edge": {**pooled, "method": METHOD},
        "settlement_contrast": {**contrast, "method": METHOD, "physical": phys, "cash": cash,
                                "direction": "physical > cash, one-sided"},
        "unit": "basis points of the underlying per trade: 1e4 x (pnl_points - the matched "
                "null's expected points) / the day's open",
        "inputs": {u.name: {"package_sha256": _sha(u.package_path),
                            "daily_edge_sha256": _sha(u.daily_path)} for u in inputs},
        "config_sha256": cfg.digest(),
        "alpha": family_alpha,
    })


def _ci(ci: Sequence[float | None]) -> str:
    lo, hi = ci
    return "n/a" if lo is None or hi is None else f"[{lo:+.3f}, {hi:+.3f}]"


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_pooled_package(evidence_root: Path, underlyings: list[str], cfg) -> dict:
    """Read each `evidence_root/<U>/` package and daily file, write the pooled package
    and its report into `evidence_root` (each atomically); returns the pooled package."""
    from assets.report.pooled_page import render_pooled_report

    evidence_root = Path(evidence_root)
    names = [str(n).strip().upper() for n in underlyings if str(n).strip()]
    if len(set(names)) != len(names):
        raise PooledInputError(f"an underlying is named twice: {names}")
    inputs = [read_underlying(evidence_root, n) for n in names]
    package = build_pooled_package(inputs, cfg)
    validate_pooled_package(package)  # publish nothing that breaks the schema
    write_text_atomic(evidence_root / EVIDENCE_PACKAGE_FILE, canonical_dumps(package))
    write_text_atomic(evidence_root / POOLED_REPORT_FILE, render_pooled_report(package))
    return package


__all__ = ["POOLED_REPORT_FILE", "PooledInputError", "UnderlyingInput",
           "build_pooled_package", "read_underlying", "write_pooled_package"]
