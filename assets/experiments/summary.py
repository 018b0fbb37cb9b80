"""The sweep's result, `sweep.json`: every variant and the statistics over all of them.

The best variant is chosen on the whole out-of-sample period, so its Sharpe is an
*in-sample selection* and is labelled so; it is judged only after deflation (DSR with N =
every variant tried on the dataset). The walk-forward series is the only out-of-sample
performance of the selection procedure itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from assets.common.calendar import expiration_days_per_year
from assets.common.config import LabConfig
from assets.experiments import overfitting
from assets.experiments.evaluate import VariantResult
from assets.validation.claims.verdict import verdict
from assets.validation.package.json_values import finite_or_none as _f
from assets.validation.statistics.sharpe import sharpe

SCHEMA_FILE = "sweep.schema.json"
LOGIT_BINS = 20
SHARPE_DEFINITION = ("annualized daily Sharpe: dollars P&L per out-of-sample expiration day, "
                     "0 on days without a trade, mean/std(ddof=1) x sqrt(expiration days per "
                     "year in the sample), as in the evidence package")


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(resources.files("assets.experiments").joinpath(SCHEMA_FILE).read_text())


def validate_sweep(document: Mapping[str, Any]) -> None:
    import jsonschema

    jsonschema.validate(document, load_schema())


def daily_sharpe_variance(results: Sequence[VariantResult]) -> float | None:
    """Variance (ddof=1) of the variants' per-day Sharpes (0 where undefined)."""
    srs = np.nan_to_num([sharpe(r.daily_pnl) for r in results], nan=0.0)
    return float(np.var(srs, ddof=1)) if len(srs) > 1 else None


def _histogram(values: np.ndarray) -> dict[str, list]:
    counts, edges = np.histogram(values, bins=LOGIT_BINS)
    return {"bin_edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def build_sweep_document(name: str, dataset: str, grid: Mapping[str, list], base: LabConfig,
                         results: Sequence[VariantResult], days: Sequence[dt.date],
                         n_trials: int) -> dict[str, Any]:
    """sweep.json (without timings): `results` in grid order, `days` the OOS days."""
    ex, vc = base.experiments, base.validation
    returns = np.column_stack([r.daily_pnl for r in results])
    bench = np.column_stack([r.benchmark_daily_pnl for r in results])
    best = overfitting.deflated_best(returns, n_trials)
    chosen = results[best["index"]]
    dsr = best["deflated_sharpe_ratio"]
    pbo = overfitting.pbo_cscv(returns, ex.pbo_blocks) if len(results) > 1 else None
    spa = overfitting.spa_test(returns, bench, ex.spa_replications, vc.seed)
    periods = expiration_days_per_year(days, base.calendar.exchange)
    wf = overfitting.walk_forward(returns, ex.walk_forward_blocks, periods)
    first = wf["first_row"]
    return {
        "name": name,
        "dataset": dataset,
        "grid": {k: list(v) for k, v in grid.items()},
        "base_config_sha256": base.digest(),
        "sharpe_definition": SHARPE_DEFINITION,
        "annualization_factor": float(np.sqrt(periods)),
        "out_of_sample_days": {"n": len(days), "first": days[0].isoformat(),
                               "last": days[-1].isoformat()},
        "days": [d.isoformat() for d in days],
        "n_variants": len(results),
        "variants": [{"config_digest": r.digest, "overrides": r.overrides,
                      **{k: _f(v) if k != "n_trades" else v for k, v in r.metrics().items()},
                      "daily_sharpe": _f(sharpe(r.daily_pnl)),
                      "daily_pnl": [float(x) for x in r.daily_pnl]} for r in results],
        "best": {
            "config_digest": chosen.digest, "overrides": chosen.overrides,
            "selection": "highest annualized daily Sharpe over all out-of-sample days: an "
                         "in-sample choice, judged only after deflation",
            "sharpe_ratio": _f(chosen.sharpe_ratio), "win_rate": _f(chosen.win_rate),
            "n_trades": chosen.n_trades,
            "deflated_sharpe_ratio": _f(dsr),
            "dsr_benchmark_daily_sharpe": _f(best["benchmark_daily_sharpe"]),
            "n_trials": best["n_trials"],
            "sharpe_variance": _f(best["sharpe_variance"]),
            "verdict_after_deflation": verdict(
                chosen.n_trades, chosen.win_rate, chosen.sharpe_ratio,
                None if dsr is None else 1.0 - dsr, vc),
        },
        "pbo": ({"value": pbo.value, "blocks": pbo.blocks, "n_combinations": pbo.n_combinations,
                 "method": "CSCV (Bailey, Borwein, López de Prado & Zhu 2017); overfit when "
                           "the in-sample best ranks at or below the median out of sample",
                 "logit_histogram": _histogram(pbo.logits)} if pbo else
                {"value": None, "blocks": ex.pbo_blocks, "n_combinations": 0,
                 "method": "undefined for a single variant", "logit_histogram": None}),
        "spa": {**spa, "benchmark": (
            "the package's matched random-entry null, per variant: its trades re-entered "
            "in the same urgency window and day with the variant's calibrated entry-minute "
            "frequencies per class, random direction, same exits, size, slippage and "
            "commission; its expected dollars per day (exact weighted mean over every entry "
            "bar and both directions)"),
            "method": "Hansen (2005) SPA, arch.bootstrap.SPA, studentized, stationary "
                      "bootstrap; H0: no variant beats its random-entry benchmark"},
        "walk_forward": {
            "method": "anchored: at each step the variant with the best Sharpe on all "
                      "earlier blocks is scored on the next block",
            "blocks": wf["blocks"], "sharpe_ratio": wf["sharpe_ratio"],
            "p_value": wf["p_value"],
            "p_value_source": "1 - PSR(0) of the concatenated out-of-sample daily series",
            "first_day": days[first].isoformat(), "n_days": len(days) - first,
            "steps": [{"block": s["block"], "first_day": days[s["first_row"]].isoformat(),
                       "last_day": days[s["last_row"]].isoformat(),
                       "chosen_digest": results[s["chosen_index"]].digest}
                      for s in wf["steps"]],
            "equity": [float(x) for x in np.cumsum(wf["daily_pnl"])],
            "in_sample_best_equity": [float(x) for x in
                                      np.cumsum(wf["in_sample_best_daily_pnl"])],
            "in_sample_best_digest": results[wf["in_sample_best_index"]].digest,
        },
    }
