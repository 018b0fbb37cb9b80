"""Dagster concurrency pools.

Every asset and check that opens the DuckDB file runs in the `duckdb` pool; the generated
`dagster.yaml` gives it one slot, because DuckDB lets one process at a time write the file.
"""

DUCKDB_POOL = "duckdb"
