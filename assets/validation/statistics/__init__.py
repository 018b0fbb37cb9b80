"""The statistics of the package: per-trade and per-day measures, the nulls' results, the
prediction and secondary tests, the opposite (pinning) hypothesis. Pure functions of
tables; every p-value here is raw (the claims family adjusts them)."""
