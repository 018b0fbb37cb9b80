"""Ingestion: landing files → checked DuckDB raw tables (write–audit–publish).

Pure, Dagster-free modules: `contract` (canonical columns and normalizer), `readers`
(defensive CSV/ZIP/Parquet reading), `adapters` (canonical, Cboe EOD, Databento DBN,
ThetaData, Massive, OptionMetrics IvyDB), `instruments` + `underlying` + `plausibility`
(bars are the options' underlying), `rules` + `gx_validation` (great-expectations rules),
`write_audit_publish` + `bar_sources` (DuckDB stage/audit/publish), `landing_report` (the
`inspect` command). `assets` and `checks` hold the Dagster assets and checks built on them.
"""

from assets.ingestion.errors import (
                                     LandingFileError,
                                     MissingLandingFileError,
                                     UnrecognizedLandingFileError,
)

__all__ = ["LandingFileError", "MissingLandingFileError", "UnrecognizedLandingFileError"]
