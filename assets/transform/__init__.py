"""dbt on DuckDB: raw chains and bars -> staging views -> intermediate -> marts.

`project` holds the DbtProject, `dbt_args` the pure argument builders, `dbt_assets` the
factory of the Dagster asset definitions (called by the code location, not here, so that
importing the package never needs a parsed manifest).
"""
