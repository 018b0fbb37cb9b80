"""What the stages' Dagster definitions share: resources, the expiration partitions and
the DuckDB pool. Above the pure layers (`common`, the stages' logic, the engine), below
each stage's `assets.py` / `checks.py` and the code location (`orchestration/`)."""
