"""The edge per market regime: exploratory claims that the edge depends on the regime.

The edge of a trade is its points minus the matched random-entry null's *expected* points
for that trade (same day, class window weighted by the calibration's entry minutes, both
directions, same exits and slippage: `null_expectation.RandomEntryBenchmark`), so a
regime's mean edge is "beyond random entries" in that regime, not the regime's drift.

Three splits, each labelling whole days (a label is known before the day's first alert):

- era: before / from 2022-05-11, when SPXW began to expire every session (a different
  market for 0DTE flow); tested only when the scored trades fall on both sides;
- iv_tercile: the pre-open at-the-money implied volatility (the previous day's expiring
  chain's: `atm_iv.known_before_open`), in terciles whose cut points are the 1/3 and 2/3
  quantiles of the days *before* it
  (expanding, past only; no label until `min_history` earlier days have one), so a day's
  label never depends on a later day;
- dealer_positioning: the sign of the dealers' net position the user supplies
  (`landing/dealer_positioning.csv`); without it the sign is unknown and the split is not
  tested: the lab assumes no sign.

Inference is clustered by date (trades of a day share its path): OLS of the edge on one
dummy per regime, statsmodels' cluster-robust covariance with G - 1 degrees of freedom
(G = days), each regime's mean edge with its t interval, and the claim's p is the Wald F
test that every regime's mean edge is equal, F(q, G - 1). Regimes with fewer than
`min_trades` trades or 2 days are reported but left out of the test. The claims are
exploratory members of the package's family (`claims.claims`): on a world where nothing
confirmatory is claimed they get no level, so they add nothing to its error rate.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

ERA_BREAK = dt.date(2022, 5, 11)
ERA, IV, DEALER = "era_2022_05_11", "iv_tercile", "dealer_positioning"
ERA_REGIMES = ("before_2022_05_11", "from_2022_05_11")
IV_REGIMES = ("low_iv", "mid_iv", "high_iv")
DEALER_REGIMES = ("dealers_long", "dealers_short")
DEALER_FILE = "dealer_positioning.csv"
EDGE_TEXT = ("per trade: pnl_points minus the matched random-entry null's expected points "
             "for that trade (its day, its class window weighted by the calibration's entry "
             "minutes, both directions, the same exits and slippage)")
INFERENCE_TEXT = ("OLS of the edge on one dummy per regime, cluster-robust by date "
                  "(statsmodels, G - 1 degrees of freedom); p = Wald F test that the regimes' "
                  "mean edges are equal")


@dataclass(frozen=True)
class RegimeInputs:
    """What labels the days besides their dates: ATM IV per day and the dealers' net
    position per day (None when not available), with where each came from."""

    iv: Mapping[dt.date, float] | None = None
    dealer: Mapping[dt.date, float] | None = None
    iv_source: str = ""
    dealer_source: str = ""


def trade_edges(trades: pd.DataFrame, tape, rules, tc,
                entry_minutes: Mapping[str, Sequence[Sequence[float]]]) -> pd.DataFrame:
    """One row per out-of-sample trade: its day and its edge over the matched null's
    expected points (NaN where the null has no entry that day)."""
    from assets.validation.statistics.metrics import out_of_sample
    from assets.validation.statistics.null_expectation import RandomEntryBenchmark

    oos = out_of_sample(trades)
    if len(oos) == 0:
        return pd.DataFrame({"quote_date": [], "edge_points": []})
    expected = RandomEntryBenchmark(tape).per_trade_points(trades, rules, tc, entry_minutes)
    return pd.DataFrame({"quote_date": [pd.Timestamp(d).date() for d in oos["quote_date"]],
                         "edge_points": oos["pnl_points"].to_numpy(float) - expected})


def era_labels(days: Sequence[dt.date]) -> dict[dt.date, str]:
    return {d: ERA_REGIMES[int(d >= ERA_BREAK)] for d in days}


def iv_tercile_labels(iv: Mapping[dt.date, float], days: Sequence[dt.date],
                      min_history: int) -> tuple[dict[dt.date, str], dict[dt.date, list]]:
    """Each day's tercile of its ATM IV among the IVs of the days strictly before it, and
    the cut points used; days with fewer than `min_history` earlier IVs stay unlabelled."""
    known = sorted((d, float(v)) for d, v in iv.items() if v is not None and math.isfinite(v))
    dates = [d for d, _ in known]
    values = np.array([v for _, v in known])
    labels, cuts = {}, {}
    for d in days:
        x = iv.get(d)
        if x is None or not math.isfinite(x):
            continue
        past = values[:bisect.bisect_left(dates, d)]
        if past.size < max(int(min_history), 3):
            continue
        q1, q2 = np.quantile(past, [1 / 3, 2 / 3])
        labels[d] = IV_REGIMES[0 if x <= q1 else 1 if x <= q2 else 2]
        cuts[d] = [float(q1), float(q2)]
    return labels, cuts


def dealer_labels(dealer: Mapping[dt.date, float]) -> dict[dt.date, str]:
    """Dealers net long (> 0) or net short (< 0); a flat day has no sign."""
    return {d: DEALER_REGIMES[0] if v > 0 else DEALER_REGIMES[1]
            for d, v in dealer.items() if v != 0}


def regime_test(edges: pd.DataFrame, labels: Mapping[dt.date, str], order: Sequence[str],
                min_trades: int) -> dict[str, Any]:
    """Per regime: trades, days, mean edge, its clustered SE and t interval; and the Wald
    test of equal means over the regimes with at least `min_trades` trades and 2 days.
    `edges`: one row per trade, `quote_date` and `edge_points` (finite)."""
    lab = edges["quote_date"].map(lambda d: labels.get(d))
    frame = edges.assign(regime=lab).dropna(subset=["regime"])
    rows, testable = [], []
    for name in order:
        g = frame[frame["regime"] == name]
        n, days = int(len(g)), int(g["quote_date"].nunique())
        rows.append({"regime": name, "n_trades": n, "n_days": days,
                     "mean_edge_points": float(g["edge_points"].mean()) if n else None,
                     "standard_error": None, "confidence_interval": [None, None],
                     "in_test": n >= min_trades and days >= 2})
        if rows[-1]["in_test"]:
            testable.append(name)
    out: dict[str, Any] = {"regimes": rows, "p_value": None, "n_clusters": None,
                           "df": None, "unlabelled_trades": int(len(edges) - len(frame))}
    if len(testable) < 2:
        out["status"] = "NOT_TESTED"
        out["reason"] = (f"fewer than two regimes with at least {min_trades} trades on at "
                         "least 2 days")
        return out
    import statsmodels.api as sm

    used = frame[frame["regime"].isin(testable)]
    x = np.column_stack([(used["regime"] == r).to_numpy(float) for r in testable])
    groups = pd.factorize(used["quote_date"])[0]
    res = sm.OLS(used["edge_points"].to_numpy(float), x).fit(
        cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
    ci = res.conf_int()
    for k, name in enumerate(testable):
        row = next(r for r in rows if r["regime"] == name)
        row["standard_error"] = float(res.bse[k])
        row["confidence_interval"] = [float(ci[k, 0]), float(ci[k, 1])]
    q = len(testable) - 1
    contrast = np.zeros((q, len(testable)))
    contrast[np.arange(q), np.arange(q)] = 1.0
    contrast[np.arange(q), np.arange(1, q + 1)] = -1.0
    wald = res.wald_test(contrast, use_f=True, scalar=True)
    out.update(status="TESTED", p_value=float(wald.pvalue),
               f_statistic=float(wald.statistic), n_clusters=int(res.df_resid_inference) + 1,
               df=[int(q), int(res.df_resid_inference)])
    return out


def _not_tested(reason: str, **extra: Any) -> dict[str, Any]:
    return {"status": "NOT_TESTED", "reason": reason, "regimes": [], "p_value": None, **extra}


def regimes_section(edges: pd.DataFrame, scored_days: Sequence[dt.date],
                    iv: Mapping[dt.date, float] | None,
                    dealer: Mapping[dt.date, float] | None, min_trades: int,
                    min_history: int, iv_source: str = "", dealer_source: str = ""
                    ) -> dict[str, Any]:
    """The package's `regimes` block (before the family writes its statuses back)."""
    edges = edges[np.isfinite(edges["edge_points"].to_numpy(float))].reset_index(drop=True)
    traded = sorted(set(edges["quote_date"]))
    splits: dict[str, Any] = {}
    era = era_labels(scored_days)
    if traded and traded[0] < ERA_BREAK <= traded[-1]:
        splits[ERA] = regime_test(edges, era, ERA_REGIMES, min_trades)
    else:
        span = f"{traded[0]} .. {traded[-1]}" if traded else "no scored trade"
        splits[ERA] = _not_tested(f"the scored trades ({span}) do not span 2022-05-11")
    splits[ERA]["break"] = ERA_BREAK.isoformat()

    if iv:
        labels, cuts = iv_tercile_labels(iv, scored_days, min_history)
        splits[IV] = regime_test(edges, labels, IV_REGIMES, min_trades)
        last = max(cuts) if cuts else None
        splits[IV]["cut_points"] = ("the 1/3 and 2/3 quantiles of the ATM IV of every "
                                    f"earlier day (at least {min_history}); past only")
        splits[IV]["last_cut_points"] = ({"day": last.isoformat(), "cuts": cuts[last]}
                                         if last else None)
    else:
        splits[IV] = _not_tested(
            "no at-the-money implied_volatility for the scored days"
            + (f" ({iv_source})" if iv_source else
               " (this run was given none: the chains carry no implied_volatility, or the "
               "run is in memory)"))
    splits[IV]["source"] = iv_source or None

    if dealer:
        splits[DEALER] = regime_test(edges, dealer_labels(dealer), DEALER_REGIMES, min_trades)
        splits[DEALER]["dealer_sign"] = "supplied"
        splits[DEALER]["days_without_sign"] = int(sum(d not in dealer or dealer[d] == 0
                                                      for d in scored_days))
    else:
        splits[DEALER] = _not_tested(
            f"no landing/{DEALER_FILE}: the dealers' sign is unknown, and the lab does not "
            "assume one", dealer_sign="unknown")
    splits[DEALER]["source"] = dealer_source or None
    return {"role": "exploratory", "edge": EDGE_TEXT, "inference": INFERENCE_TEXT,
            "n_trades": int(len(edges)), "splits": splits}


def set_regime_statuses(section: dict[str, Any], claims: Mapping[str, Mapping[str, Any]]
                        ) -> None:
    """Write the family's verdict on each split back into the block."""
    for name, split in section["splits"].items():
        row = claims.get(f"regime_{name}") or {}
        split["adjusted_p_value"] = row.get("adjusted_p_value")
        split["claimed"] = bool(row.get("claimed"))
