"""Dagster assets of the validation stage: statistics, the verdict, the evidence package.

`validation_statistics` computes everything (the pure `assets.validation.package.evaluate.evaluate`)
and stores it in the warehouse; `evidence_package` stamps it, validates it against the JSON
Schema *before* publishing, and swaps it into `$PRESSURE_LAB_HOME/evidence/` atomically,
keeping every earlier package under `evidence/runs/<run_id>/`. The published package's
check lives in `checks.py`.
"""

import json

import pandas as pd
from dagster import (
    AssetExecutionContext,
    AssetKey,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from assets.common import tables
from assets.common.settings import EVIDENCE_PACKAGE_FILE, lab_paths
from assets.common.warehouse_io import (
    load_market_days,
    placebo_days,
    read_table,
    replace_rows,
    table_exists,
)
from assets.dagster_common.pools import DUCKDB_POOL
from assets.dagster_common.resources import ExperimentRecordsResource, LabConfigResource
from assets.ingestion import bar_sources
from assets.ingestion.adapters import landing_days
from assets.pressure.assets import prediction_outcomes
from assets.trading.assets import risk_management_report
from assets.validation.package.reproducibility import reproducibility_protocol

PACKAGE_FILE = EVIDENCE_PACKAGE_FILE
# The statistics stack (scipy, statsmodels, arch, jsonschema) is imported inside the asset
# bodies: loading the code location (UI, sensors, schedules) should not pay for it.


@asset(pool=DUCKDB_POOL, group_name="validation", kinds={"python", "duckdb"},
       deps=[risk_management_report, prediction_outcomes, AssetKey("daily_outcomes"),
             AssetKey("oi_concentration_daily")])
def validation_statistics(context: AssetExecutionContext, duckdb: DuckDBResource,
                          lab_config: LabConfigResource,
                          experiments: ExperimentRecordsResource) -> MaterializeResult:
    """Every statistic of the package on the out-of-sample days, and the verdict."""
    from assets.engine.calendar_placebo import calendar_placebo_block
    from assets.engine.run import engine_record
    from assets.engine.warehouse import refreshes_of, saved_procedure, stored_aggregate
    from assets.validation.claims.repeated_looks import add_look
    from assets.validation.package.assembly import derived_seeds
    from assets.validation.package.evaluate import evaluate
    from assets.validation.package.json_values import canonical_dumps

    cfg = lab_config.load()
    with duckdb.get_connection() as conn:
        proc = saved_procedure(conn, cfg)
        agg = stored_aggregate(conn, proc)
        risk = json.loads(read_table(conn, tables.RISK_REPORT)["report_json"].iloc[0])
        calib = read_table(conn, tables.CALIBRATION).iloc[0].to_dict()
        looks = (read_table(conn, tables.VALIDATION_LOOKS)
                 if table_exists(conn, tables.VALIDATION_LOOKS) else None)
        refreshed = refreshes_of(conn, context.run_id)
    days = agg.days
    scored = agg.scored_days
    paths = lab_paths()
    wanted = set(days)
    used = [p for d, files in landing_days(paths.landing).items() if d in wanted for p in files]
    split = {k: (None if pd.isna(v) else str(v)) for k, v in calib.items()
             if k != "thresholds_json"}
    split["thresholds"] = json.loads(calib["thresholds_json"])
    split["out_of_sample_days"] = len(scored)
    protocol = reproducibility_protocol(cfg, paths.landing, used, split,
                                        derived_seeds(cfg.validation.seed))
    protocol["engine"] = engine_record(agg, refreshed["computed"], refreshed["recomputed"])
    with duckdb.get_connection() as conn:
        # what the bars are of, and any basis taken off
        protocol["bars_underlying"] = bar_sources.package_section(conn, days)
        trials = experiments.trials(conn, paths.landing, cfg)
        placebo = (load_market_days(conn, placebo_days(conn), cfg.calendar.exchange)
                   if cfg.validation.calendar_placebo else {})
        calendar = calendar_placebo_block(agg, placebo)
        regime_inputs = _regime_inputs(conn, agg, paths.landing)
        package, files = evaluate(agg, cfg, risk, protocol, validation_timestamp="",
                                  looks=looks, study=experiments.study(paths.evidence),
                                  variant_trials=trials,
                                  load_days=lambda ds: load_market_days(
                                      conn, ds, cfg.calendar.exchange),
                                  calendar_placebo=calendar,
                                  regime_inputs=regime_inputs)
    # each evidence file stored as the text it is published as: the publishing step
    # writes it as it is, without parsing and dumping a decade's trade records again
    texts = {name: obj if isinstance(obj, str) else canonical_dumps(obj)
             for name, obj in files.items()}
    row = pd.DataFrame({"package_json": [canonical_dumps(package)],
                        "files_json": [json.dumps(texts, sort_keys=True)]})
    look = {"look_date": scored[-1].isoformat() if scored else None,
            "n_scored_days": len(scored),
            "n_trades": package["performance_metrics"]["total_sample_size"],
            "p_value": package["statistical_measures"]["p_value"],
            "verdict": package["experimental_validity"],
            "recorded_at": pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")}
    with duckdb.get_connection() as conn:
        replace_rows(conn, tables.VALIDATION_RESULTS, row)
        replace_rows(conn, tables.VALIDATION_LOOKS, add_look(looks, look))
        experiments.record_run(conn, paths.landing, cfg, package)
    perf, stats = package["performance_metrics"], package["statistical_measures"]
    return MaterializeResult(metadata={
        "verdict": package["experimental_validity"],
        "n_variants_tried": trials.count,
        "trades": perf.get("total_sample_size"),
        "win_rate": perf.get("win_rate"),
        "sharpe_annualized_daily": perf.get("sharpe_ratio"),
        "p_value": stats.get("p_value"),
    })


# The expiring rows `atm_implied_vol` can pick, filtered in the warehouse: with a reference
# price (the median `underlying_price` of the day's rows with an IV) only the rows of the
# nearest strike, ties to the lower; without one every row, for the first-open fallback.
# The function then gives what it gives on every row (tests/test_atm_candidate_rows.py),
# from a few thousand rows instead of a decade's half million.
ATM_CANDIDATE_ROWS = """
with priced as (
    select quote_date, strike, implied_volatility, underlying_price from {chains}
    where expiration = quote_date and isfinite(implied_volatility) and implied_volatility > 0),
reference as (
    select quote_date,
           median(underlying_price) filter (where isfinite(underlying_price)) as price
    from priced group by quote_date),
ranked as (
    select priced.*, reference.price,
           dense_rank() over (partition by priced.quote_date
                              order by abs(priced.strike - reference.price), priced.strike) as r
    from priced join reference using (quote_date))
select quote_date, strike, implied_volatility, underlying_price from ranked
where price is null or r = 1
"""


def _regime_inputs(conn, agg, landing):
    """The regime splits' inputs: each day's pre-open ATM IV from `raw.chains` and the
    dealers' net position from the optional landing file."""
    from assets.ingestion.dealer_positioning import (
        DealerFileError,
        dealer_file,
        read_dealer_positioning,
    )
    from assets.validation.statistics.atm_iv import atm_implied_vol, known_before_open
    from assets.validation.statistics.regimes import RegimeInputs

    chains = conn.execute(ATM_CANDIDATE_ROWS.format(chains=tables.RAW_CHAINS)).df()
    tape = agg.tape
    first_open = {d: float(tape.open[int(tape.day_start[i])])
                  for i, d in enumerate(tape.dates) if tape.day_len[i]}
    iv = known_before_open(atm_implied_vol(chains, first_open)) if len(chains) else {}
    path = dealer_file(landing)
    try:
        dealer = read_dealer_positioning(path) if path else None
    except DealerFileError as exc:
        raise Failure(str(exc)) from exc
    return RegimeInputs(iv=iv or None, dealer=dealer,
                        iv_source=f"{tables.RAW_CHAINS}.implied_volatility" if iv else "",
                        dealer_source=str(path) if path else "")


@asset(group_name="validation", kinds={"json"}, deps=[validation_statistics])
def evidence_package(context: AssetExecutionContext, duckdb: DuckDBResource) -> MaterializeResult:
    """The reviewers' JSON package and the specification's five evidence files, published
    atomically."""
    from assets.validation.package.publishing import write_package
    from assets.validation.package.schema import remember_validated_file, validate_package

    with duckdb.get_connection() as conn:
        stored = read_table(conn, tables.VALIDATION_RESULTS).iloc[0]
    package = json.loads(stored["package_json"])
    files = json.loads(stored["files_json"])
    package["validation_timestamp"] = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        validate_package(package)
    except Exception as exc:  # publish nothing: the last good package stays in place
        raise Failure(f"evidence package does not match its JSON Schema: {exc}") from exc
    path = write_package(lab_paths().evidence, package, files, context.run_id)
    remember_validated_file(path)
    perf, stats = package["performance_metrics"], package["statistical_measures"]
    return MaterializeResult(metadata={
        "verdict": package["experimental_validity"],
        "path": MetadataValue.path(str(path)),
        "trades": perf.get("total_sample_size"),
        "win_rate": perf.get("win_rate"),
        "win_rate_ci": MetadataValue.json(perf.get("win_rate_confidence_interval")),
        "sharpe_annualized_daily": perf.get("sharpe_ratio"),
        "p_value": stats.get("p_value"),
        "max_drawdown_fraction": perf.get("maximum_drawdown"),
    })
