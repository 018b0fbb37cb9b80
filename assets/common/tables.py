"""Names of the warehouse tables the Python stages read and write, in one place.

The dbt models name their own relations (schemas in `dbt_project.yml`); these are the
tables outside dbt, plus the dbt outputs that the Python stages read back.
"""

# Published by ingestion (write-audit-publish); dbt reads them as its `raw` sources.
RAW_BARS = "raw.bars"
RAW_CHAINS = "raw.chains"
# Per day: the bars' instrument and any basis taken off their prices (published with them).
RAW_BAR_SOURCES = "raw.bar_sources"
STAGE_BAR_SOURCES = "stage.bar_sources"
# dbt mart read by the numpy stages: OI per strike as known before the open.
OI_CONCENTRATION = "marts.oi_concentration"
# Written by the pressure stage.
PRESSURE_SERIES = "pressure.pressure_series"
ALERTS = "pressure.alerts"
CALIBRATION = "pressure.calibration"
PREDICTION_OUTCOMES = "pressure.prediction_outcomes"
# Written by the trading stage.
TRADES = "trading.trades"
RISK_REPORT = "trading.risk_report"
# Written by the validation stage: the package before it is stamped and published.
VALIDATION_RESULTS = "validation.results"
VALIDATION_LOOKS = "validation.looks"  # every look at the verdict: date, n, p, verdict
# Written by the experiments (sweeps and runs): every variant tried on a dataset, the sweeps,
# and the sweeps' per-variant daily P&L (loaded by the fan-in from the variants' Parquet).
EXPERIMENT_VARIANTS = "experiments.variants"
EXPERIMENT_SWEEPS = "experiments.sweeps"
SWEEP_DAILY = "experiments.sweep_daily"
# Written by the engine (assets/engine): one set of rows per expiration day and procedure
# digest (a day's unit), and the procedure the stored units were computed under.
ENGINE_UNITS = "engine.units"
ENGINE_CANDIDATES = "engine.candidates"
ENGINE_NULL_DRAWS = "engine.null_draws"
ENGINE_NULL_REASONS = "engine.null_reasons"
ENGINE_DIRECTION_DRAWS = "engine.direction_draws"
ENGINE_PLACEBO_DRAWS = "engine.placebo_draws"
ENGINE_PROCEDURE = "engine.procedure"
ENGINE_REFRESHES = "engine.refreshes"
