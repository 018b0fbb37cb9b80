"""Names of the warehouse tables the Python stages read and write, in one place.

The dbt models name their own relations (schemas in `dbt_project.yml`); these are the
tables outside dbt, plus the dbt outputs that the Python stages read back.
"""

# Published by ingestion (write-audit-publish); dbt reads them as its `raw` sources.
RAW_BARS = "raw.bars"
RAW_CHAINS = "raw.chains"
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
