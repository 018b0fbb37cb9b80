"""The evidence package: every number a reviewer needs, in the seed's layout, as JSON.

`build_evidence_package` assembles the statistics of the other modules into the key
layout of docs/dev/interfaces.md (the seed's "Required Evidence Package" plus the lab's
additions): numbers stay JSON numbers, with short text summaries beside them; undefined
numbers are null. `evaluate` runs the whole validation from the stage inputs.

Reproducible: the canonical dump (sorted keys, fixed indentation, NaN/inf → null) of the
same inputs and config is byte-identical apart from `validation_timestamp`; every seed
is recorded. `write_package` publishes atomically and keeps each run's copy.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from assets.common.config import LabConfig
from assets.common.market_day import MarketDay
from assets.common.settings import EVIDENCE_PACKAGE_FILE
from assets.pressure.calibration import split_calibration_days
from assets.validation.drawdown import daily_equity_curve, drawdown_statistics
from assets.validation.metrics import (
    _f,
    cohens_h,
    out_of_sample,
    trade_statistics,
    win_rate_stats,
    wins_of,
)
from assets.validation.null_model import NullResult, random_entry_null
from assets.validation.prediction import prediction_accuracy, pressure_vs_move_figure
from assets.validation.secondary import (
    daily_steering_table,
    opposite_hypothesis,
    secondary_hypotheses,
)
from assets.validation.sharpe import sharpe_statistics
from assets.validation.verdict import (
    INSUFFICIENT_DATA,
    VALIDATED,
    success_criteria,
    verdict,
)

SCHEMA_PATH = Path(__file__).with_name("evidence_package.schema.json")
PACKAGE_FILE = EVIDENCE_PACKAGE_FILE
STATIC_EVIDENCE_FILES: tuple[str, ...] = (
    "pressure_calculation_accuracy_analysis.json",
    "urgency_classification_validation.json",
    "risk_management_effectiveness_report.json",
    "statistical_significance_testing_results.json",
)
NULL_HISTOGRAM_BINS = 50


# --------------------------------------------------------------------------- JSON
def to_jsonable(obj: Any) -> Any:
    """Plain JSON types: numpy scalars/arrays unwrapped, dates ISO, NaN/inf/NaT → None."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else None
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, np.ndarray, pd.Series, pd.Index)):
        return [to_jsonable(v) for v in (obj.tolist() if hasattr(obj, "tolist") else obj)]
    if obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if isinstance(obj, (dt.datetime, dt.date)):
        return obj.isoformat()
    if isinstance(obj, np.datetime64):
        return None if np.isnat(obj) else pd.Timestamp(obj).isoformat()
    try:
        if pd.isna(obj):
            return None
    except (TypeError, ValueError):
        pass
    raise TypeError(f"not JSON-able: {type(obj).__name__}")


def canonical_dumps(obj: Any) -> str:
    """Canonical JSON text: sorted keys, 2-space indent, no NaN, trailing newline."""
    return json.dumps(to_jsonable(obj), sort_keys=True, indent=2, ensure_ascii=False,
                      allow_nan=False) + "\n"


# --------------------------------------------------------------------------- schema
@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def validate_package(package: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` unless the package matches the schema."""
    from jsonschema import Draft202012Validator

    Draft202012Validator(load_schema()).validate(to_jsonable(package))


# --------------------------------------------------------------------------- pieces
def derived_seeds(seed: int) -> dict[str, int]:
    """One seed per random procedure, all from `ValidationConfig.seed`."""
    return {"mean_bootstrap": seed, "sharpe_bootstrap": seed + 1, "null_model": seed + 2}


def trade_log_name(n_trades: int) -> str:
    return f"trade_execution_log_{n_trades}_trades.json"


def evidence_file_names(n_trades: int) -> list[str]:
    return [trade_log_name(n_trades), *STATIC_EVIDENCE_FILES]


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _num(x: float | None, fmt: str = ".3g") -> str:
    return "n/a" if x is None else format(x, fmt)


def _urgency_validation(oos: pd.DataFrame, cfg: LabConfig, null: NullResult,
                        prediction: Mapping[str, Any] | None) -> dict[str, Any]:
    vc = cfg.validation
    out: dict[str, Any] = {}
    for rule in cfg.pressure.urgency_rules:
        t = oos.loc[oos["urgency"] == rule.name] if len(oos) else oos
        n = int(len(t))
        if n < vc.min_class_trades:
            out[rule.name] = {
                "sample_size": n, "sufficient_sample": False, "status": "INSUFFICIENT_DATA",
                "min_sample_size": vc.min_class_trades,
                "expected_win_rate": rule.win_rate_target,
                "note": f"fewer than {vc.min_class_trades} out-of-sample trades: not tested"}
            continue
        wins = int(wins_of(t).sum())
        wr = win_rate_stats(wins, n, vc.alpha)
        pts = np.asarray(t["pnl_points"], dtype=float)
        hold = np.asarray(t["hold_minutes"], dtype=float) if "hold_minutes" in t else None
        nk = null.per_class.get(rule.name, {})
        pc = (prediction or {}).get("per_class", {}).get(rule.name, {})
        lo_m, hi_m = rule.move_magnitude
        lo_d, hi_d = rule.move_duration
        realized_mag = pc.get("mean_realized_magnitude")
        realized_dur = pc.get("mean_realized_duration_minutes")
        entry = {
            "sample_size": n, "sufficient_sample": True, "status": "TESTED",
            "min_sample_size": vc.min_class_trades,
            "actual_win_rate": wr["win_rate"], "expected_win_rate": rule.win_rate_target,
            "win_rate_meets_target": wr["win_rate"] >= rule.win_rate_target,
            "win_rate_ci": wr["wilson_ci"], "win_rate_ci_method": "Wilson",
            "win_rate_clopper_pearson_ci": wr["clopper_pearson_ci"],
            "p_value_vs_target": float(stats.binomtest(wins, n, rule.win_rate_target).pvalue),
            "p_value_vs_target_test": "binomial, two-sided, p0 = the seed's target",
            "null_win_rate": nk.get("null_win_rate"),
            "null_p_value": nk.get("p_value"),
            "actual_avg_magnitude": _f(pts.mean()),
            "actual_avg_magnitude_basis": "mean pnl_points per trade (the seed's profit_points)",
            "realized_move_magnitude": realized_mag,
            "realized_move_magnitude_basis": "prediction outcomes, mean realized magnitude",
            "expected_magnitude_range": [lo_m, hi_m],
            "magnitude_in_expected_range": (None if realized_mag is None
                                            else bool(lo_m <= realized_mag <= hi_m)),
            "actual_avg_duration_minutes": _f(hold.mean()) if hold is not None else None,
            "actual_avg_duration_basis": "mean hold_minutes per trade",
            "expected_duration_range": [lo_d, hi_d],
            "mean_timing_error_minutes": pc.get("mean_abs_timing_error_minutes"),
            "realized_move_duration_minutes": realized_dur,
            "duration_in_expected_range": (None if realized_dur is None
                                           else bool(lo_d <= realized_dur <= hi_d)),
        }
        out[rule.name] = entry
    return out


def _hypothesis_results(validity: str, perf: dict, stats_: dict, prediction: Mapping | None,
                        secondary: Mapping | None, opposite: Mapping | None,
                        alpha: float, min_trades: int) -> dict[str, str]:
    n = perf["total_sample_size"]
    wr, ci = perf["win_rate"], perf["win_rate_confidence_interval"]
    core = (f"win rate {_pct(wr)} (Wilson CI {_pct(ci[0])}-{_pct(ci[1])}), annualized daily "
            f"Sharpe {_num(perf['sharpe_ratio'])}, random-entry null p = "
            f"{_num(stats_['p_value'])}, n = {n}")
    if validity == INSUFFICIENT_DATA:
        primary = f"INSUFFICIENT DATA - {n} out-of-sample trades < {min_trades}; {core}"
    elif validity == VALIDATED:
        primary = f"SUPPORTED - {core}"
    else:
        primary = f"NOT SUPPORTED - {core}"
    out = {"primary": primary}
    if prediction and prediction.get("sample_size"):
        reg = prediction["overall"]["pressure_regression"]
        ok = (reg["slope"] is not None and reg["slope"] > 0
              and reg["slope_p_value"] is not None and reg["slope_p_value"] < alpha)
        out["assignment_pressure_correlation"] = (
            f"{'SUPPORTED' if ok else 'NOT SUPPORTED'} - R² = {_num(reg['r_squared'])} "
            f"(OLS of the move in the predicted direction on log10 pressure, n = {reg['n']}, "
            f"slope p = {_num(reg['slope_p_value'])})")
        d = prediction["overall"]["direction"]
        per = "; ".join(f"{c}: {_pct(v['direction']['accuracy'])} (n = {v['sample_size']})"
                        for c, v in prediction["per_class"].items())
        pc = d.get("p_value_conservative")
        ok = pc is not None and pc < alpha
        out["urgency_classification_accuracy"] = (
            f"{'SUPPORTED' if ok else 'NOT SUPPORTED'} - direction accuracy "
            f"{_pct(d['accuracy'])} (Wilson CI {_pct(d['wilson_ci'][0])}-"
            f"{_pct(d['wilson_ci'][1])}) vs base rate {_pct(d['base_rate'])}, "
            f"p = {_num(d['p_value'])} (binomial), {_num(pc)} (conservative); {per}")
        te = prediction.get("average_timing_error_minutes")
        out["timing_prediction_accuracy"] = (
            "NOT MEASURED - no realized durations" if te is None else
            f"REPORTED - ±{te:.1f} minute mean absolute error against the expected durations")
    else:
        for k in ("assignment_pressure_correlation", "urgency_classification_accuracy",
                  "timing_prediction_accuracy"):
            out[k] = "NOT MEASURED - no out-of-sample prediction outcomes"
    for k, v in (secondary or {}).items():
        if k != "family" and isinstance(v, Mapping):
            holm = " (Holm-corrected)" if v.get("p_value_holm") is not None else ""
            out[f"secondary_{k}"] = f"{v.get('status')} - {v.get('summary')}{holm}"
    if opposite:
        out["opposite_hypothesis"] = str(opposite.get("summary"))
    return out


def build_evidence_package(
    trades: pd.DataFrame,
    oos_days: Sequence,
    null: NullResult,
    cfg: LabConfig,
    risk_management: Mapping[str, Any],
    reproducibility_protocol: Mapping[str, Any],
    prediction: Mapping[str, Any] | None = None,
    secondary: Mapping[str, Any] | None = None,
    opposite: Mapping[str, Any] | None = None,
    pressure_vs_move: Mapping[str, Any] | None = None,
    heatmap: Mapping[str, Any] | None = None,
    validation_timestamp: str | None = None,
) -> dict[str, Any]:
    """The evidence package (a JSON-able dict) of one validation run.

    `trades`: the simulator's table (calibration trades are dropped here); `oos_days`:
    every out-of-sample expiration day (days without a trade count in the daily Sharpe);
    `null`: `random_entry_null` on the same trades. The rest come from `prediction`,
    `secondary` and the other stages, and may be None when unavailable.
    """
    vc = cfg.validation
    seeds = derived_seeds(vc.seed)
    oos = out_of_sample(trades)
    n = int(len(oos))
    n_cal = int(len(trades) - n)
    ts = trade_statistics(oos, vc.bootstrap_replications, seeds["mean_bootstrap"], vc.alpha)
    sh = sharpe_statistics(oos, oos_days, vc.n_variants_tried, vc.bootstrap_replications,
                           seeds["sharpe_bootstrap"], vc.alpha)
    dd = drawdown_statistics(oos, cfg.trading.starting_equity)
    wr = ts["win_rate"]
    pnl = ts["pnl"]
    p_value = _f(null.p_value)
    validity = verdict(n, wr["win_rate"], sh["annualized_daily_sharpe"], p_value, vc)
    criteria = success_criteria(n, wr["win_rate"], pnl["mean_pnl_points"],
                                dd["max_drawdown_fraction"], p_value, vc)
    null_d = null.to_dict()
    h = cohens_h(wr["win_rate"], _f(null.null_win_rate))
    power = ts["power"]
    mt = ts["mean_pnl_test"]

    performance = {
        "win_rate": wr["win_rate"],
        "win_rate_confidence_interval": wr["wilson_ci"],
        "win_rate_confidence_interval_method": "Wilson, 95%",
        "win_rate_clopper_pearson_interval": wr["clopper_pearson_ci"],
        "wins": wr["wins"],
        "average_win_points": pnl["average_win_points"],
        "average_loss_points": pnl["average_loss_points"],
        "average_loss_sign": "signed (a loss is negative)",
        "profit_factor": pnl["profit_factor"],
        "expectancy_points": pnl["expectancy_points"],
        "expectancy_dollars": pnl["expectancy_dollars"],
        "mean_pnl_points": pnl["mean_pnl_points"],
        "total_pnl_points": pnl["total_pnl_points"],
        "total_pnl_dollars": pnl["total_pnl_dollars"],
        "sharpe_ratio": sh["annualized_daily_sharpe"],
        "sharpe_ratio_definition": sh["definition"],
        "sharpe": sh,
        "maximum_drawdown": dd["max_drawdown_fraction"],
        "maximum_drawdown_definition": "fraction of peak account equity, trade-level curve",
        "maximum_drawdown_dollars": dd["max_drawdown_dollars"],
        "maximum_drawdown_points": dd["max_drawdown_points"],
        "drawdown": dd,
        "total_sample_size": n,
        "calibration_trades_excluded": n_cal,
        "summary": (f"{n} out-of-sample trades, win rate {_pct(wr['win_rate'])}, mean "
                    f"{_num(pnl['mean_pnl_points'])} points/trade, annualized daily Sharpe "
                    f"{_num(sh['annualized_daily_sharpe'])}, max drawdown "
                    f"{_pct(dd['max_drawdown_fraction'])}"),
    }
    statistical = {
        "p_value": p_value,
        "p_value_source": (f"random-entry null model, one-sided, B = {null.B}: "
                           "(1 + #{null mean pnl_points >= observed}) / (B + 1)"),
        "confidence_interval": mt["bootstrap_ci"],
        "confidence_interval_of": "mean pnl_points per trade (arch IID bootstrap, percentile)",
        "confidence_level": 1 - vc.alpha,
        "effect_size": ts["cohens_d"],
        "effect_size_kind": "Cohen's d: mean / sd of per-trade pnl_points",
        "cohens_h": h,
        "cohens_h_kind": "Cohen's h: observed win rate vs the null model's win rate",
        "sample_size": n,
        "statistical_power": power["power"],
        "statistical_power_note": ("post-hoc power of a one-sided one-sample t-test at the "
                                   "observed d and n (statsmodels TTestPower)"),
        "minimum_detectable_effect_d": power["minimum_detectable_effect_d"],
        "minimum_detectable_effect_points": power["minimum_detectable_effect_points"],
        "minimum_detectable_effect_power": power["power_target"],
        "t_test": mt,
        "binomial_test_vs_null_win_rate": null_d["binomial_test"],
        "alpha": vc.alpha,
        "summary": (f"p = {_num(p_value)} against random entries (B = {null.B}); mean "
                    f"{_num(mt['mean'])} points/trade, 95% CI {_num(mt['bootstrap_ci'][0])} to "
                    f"{_num(mt['bootstrap_ci'][1])}; Cohen's d {_num(ts['cohens_d'])}, power "
                    f"{_num(power['power'])}, MDE {_num(power['minimum_detectable_effect_points'])}"
                    " points at 80% power"),
    }
    package = {
        "experimental_validity": validity,
        "verdict_rule": (f"n < {vc.min_trades} -> INSUFFICIENT_DATA; VALIDATED iff win rate >= "
                         f"{vc.win_rate_threshold} and annualized daily Sharpe >= "
                         f"{vc.sharpe_threshold} and p < {vc.alpha}; else REJECTED"),
        "hypothesis_results": _hypothesis_results(validity, performance, statistical, prediction,
                                                  secondary, opposite, vc.alpha, vc.min_trades),
        "statistical_measures": statistical,
        "performance_metrics": performance,
        "success_criteria": criteria,
        "secondary_hypotheses": dict(secondary) if secondary else {},
        "urgency_validation": _urgency_validation(oos, cfg, null, prediction),
        "risk_management": dict(risk_management),
        "null_model": null_d,
        "prediction_accuracy": dict(prediction) if prediction else {},
        "opposite_hypothesis": dict(opposite) if opposite else {},
        "empirical_evidence": evidence_file_names(n),
        "reproducibility_protocol": dict(reproducibility_protocol),
        "random_seeds": {**seeds, "validation_seed": vc.seed},
        "validation_timestamp": _now() if validation_timestamp is None else validation_timestamp,
        "figures": {
            "equity_curve": daily_equity_curve(oos, oos_days, cfg.trading.starting_equity),
            "null_distribution": {**null.histogram(NULL_HISTOGRAM_BINS),
                                  "statistic": null_d["statistic"]},
            "pressure_vs_move": dict(pressure_vs_move) if pressure_vs_move else
            {"log10_pressure": [], "realized_move": [], "urgency": []},
            "heatmap": dict(heatmap) if heatmap else
            {"quote_date": None, "strikes": [], "minutes_to_expiry": [], "log10_pressure": []},
        },
    }
    return to_jsonable(package)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace(
        "+00:00", "Z")


def heatmap_figure_data(quote_date, strikes: np.ndarray, minutes: np.ndarray,
                        pressure: np.ndarray, price: np.ndarray | None = None,
                        last_minutes: float = 90.0, max_strikes: int = 41) -> dict[str, Any]:
    """Figure data from one day's (T, K) pressure grid: the last `last_minutes` minutes and
    the `max_strikes` strikes nearest the day's final price; rows = strikes, each a list
    over minutes; zero pressure → null (log undefined)."""
    strikes = np.asarray(strikes, dtype=float)
    minutes = np.asarray(minutes, dtype=float)
    z = np.asarray(pressure, dtype=float)
    rows = np.flatnonzero(minutes <= last_minutes)
    ref = (np.asarray(price, dtype=float)[rows[-1]] if price is not None and rows.size
           else (np.median(strikes) if strikes.size else 0.0))
    cols = np.sort(np.argsort(np.abs(strikes - ref), kind="stable")[:max_strikes])
    sub = z[np.ix_(rows, cols)]
    with np.errstate(divide="ignore", invalid="ignore"):
        logz = np.where(sub > 0, np.log10(np.where(sub > 0, sub, 1.0)), np.nan)
    return to_jsonable({
        "quote_date": pd.Timestamp(quote_date).date().isoformat(),
        "strikes": strikes[cols], "minutes_to_expiry": minutes[rows],
        "log10_pressure": logz.T,
        "price": np.asarray(price, dtype=float)[rows] if price is not None else [],
    })


def example_day_heatmap(days: Sequence[MarketDay], trades: pd.DataFrame,
                        cfg: LabConfig) -> dict[str, Any]:
    """Heatmap data of the out-of-sample day with the most scored trades (the latest such
    day on ties; the last day when nothing traded), from the pressure stage's kernel."""
    from assets.pressure.kernel import pressure_grid

    oos = out_of_sample(trades)
    counts = (pd.Series([pd.Timestamp(d).date() for d in oos["quote_date"]]).value_counts()
              if len(oos) else pd.Series(dtype=int))
    by_date = {d.quote_date: d for d in days}
    ranked = sorted(by_date, key=lambda d: (int(counts.get(d, 0)), d))
    day = by_date[ranked[-1]]
    grid = pressure_grid(day, cfg.pressure)
    return heatmap_figure_data(day.quote_date, grid.strikes, grid.minutes, grid.pressure,
                               grid.close)


# --------------------------------------------------------------------------- files
def trade_records(trades: pd.DataFrame) -> list[dict[str, Any]]:
    return [to_jsonable(r) for r in trades.to_dict(orient="records")]


def empirical_evidence_files(package: Mapping[str, Any],
                             trades: pd.DataFrame) -> dict[str, Any]:
    """The seed's five evidence files, by file name (JSON-able objects)."""
    oos = out_of_sample(trades)
    n = int(len(oos))
    return to_jsonable({
        trade_log_name(n): {
            "scope": "out-of-sample trades (is_calibration == False), in entry order",
            "n_trades": n, "trades": trade_records(oos)},
        "pressure_calculation_accuracy_analysis.json": {
            **dict(package.get("prediction_accuracy") or {}),
            "pressure_vs_move": package["figures"]["pressure_vs_move"],
            "hypothesis_result": package["hypothesis_results"].get(
                "assignment_pressure_correlation")},
        "urgency_classification_validation.json": package["urgency_validation"],
        "risk_management_effectiveness_report.json": package["risk_management"],
        "statistical_significance_testing_results.json": {
            "experimental_validity": package["experimental_validity"],
            "verdict_rule": package["verdict_rule"],
            "statistical_measures": package["statistical_measures"],
            "performance_metrics": package["performance_metrics"],
            "success_criteria": package["success_criteria"],
            "null_model": package["null_model"],
            "null_distribution": package["figures"]["null_distribution"],
            "secondary_hypotheses": package["secondary_hypotheses"],
            "opposite_hypothesis": package["opposite_hypothesis"],
            "random_seeds": package["random_seeds"]},
    })


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_package(directory: str | Path, package: Mapping[str, Any],
                  files: Mapping[str, Any], run_id: str) -> Path:
    """Publish a package and its evidence files.

    The run's copy goes to `directory/runs/<run_id>/` (built in a temporary folder, then
    renamed into place); the current copy in `directory/` is replaced file by file with
    temp + os.replace, the package last, so a reader never sees a half-written file and
    never a new package without its files. Earlier runs stay under `runs/`.
    Returns the path of the current package.
    """
    directory = Path(directory)
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in str(run_id))
    if not safe or safe in (".", ".."):
        raise ValueError(f"unusable run_id {run_id!r}")
    texts = {name: canonical_dumps(obj) for name, obj in files.items()}
    texts[PACKAGE_FILE] = canonical_dumps(package)
    for name in texts:
        if Path(name).name != name:
            raise ValueError(f"evidence file name must be a plain file name: {name!r}")

    runs = directory / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{safe}.", dir=runs))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        final = runs / safe
        if final.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{safe}.old.", dir=runs))
            os.replace(final, old / safe)
            shutil.rmtree(old)
        os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise

    for name, text in texts.items():
        if name != PACKAGE_FILE:
            _atomic_write_text(directory / name, text)
    _atomic_write_text(directory / PACKAGE_FILE, texts[PACKAGE_FILE])
    _atomic_write_text(directory / "LATEST_RUN", safe + "\n")
    for stale in directory.glob("trade_execution_log_*_trades.json"):
        if stale.name not in texts:
            stale.unlink(missing_ok=True)
    return directory / PACKAGE_FILE


# --------------------------------------------------------------------------- all
def evaluate(trades: pd.DataFrame, outcomes: pd.DataFrame | None,
             market_days: Sequence[MarketDay] | Mapping[Any, MarketDay], cfg: LabConfig,
             risk_management: Mapping[str, Any], reproducibility_protocol: Mapping[str, Any],
             heatmap: Mapping[str, Any] | None = None,
             validation_timestamp: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole validation: (package, evidence files) from the stage inputs.

    Out-of-sample days are the expiration days after the first
    `cfg.pressure.calibration_days` days (the calibration window the pressure stage used).
    """
    from assets.trading.simulator import build_bar_tape

    days = sorted(market_days.values() if isinstance(market_days, Mapping) else market_days,
                  key=lambda d: d.quote_date)
    _, oos_market = split_calibration_days(days, cfg.pressure.calibration_days,
                                           key=lambda d: d.quote_date)
    oos_days = [d.quote_date for d in oos_market]
    vc = cfg.validation
    seeds = derived_seeds(vc.seed)
    null = random_entry_null(trades, build_bar_tape(days), cfg.pressure.urgency_rules,
                             cfg.trading, vc.null_replications, seeds["null_model"])
    have_outcomes = outcomes is not None and len(outcomes) > 0
    prediction = prediction_accuracy(outcomes, vc.alpha) if have_outcomes else None
    daily = daily_steering_table(oos_market, cfg.pressure.urgency_rules)
    secondary = secondary_hypotheses(outcomes if have_outcomes else None, daily, trades, vc)
    closes = np.array([d.close[-1] for d in oos_market if d.n_bars], dtype=float)
    opposite = opposite_hypothesis(closes, cfg.ingestion.strike_grid_points,
                                   outcomes if have_outcomes else None, vc)
    pvm = pressure_vs_move_figure(outcomes) if have_outcomes else None
    if heatmap is None and oos_market:
        heatmap = example_day_heatmap(oos_market, trades, cfg)
    package = build_evidence_package(trades, oos_days, null, cfg, risk_management,
                                     reproducibility_protocol, prediction, secondary, opposite,
                                     pvm, heatmap, validation_timestamp)
    return package, empirical_evidence_files(package, trades)
