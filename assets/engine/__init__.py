"""The lab's engine: calibration -> per-day units -> aggregation, free of Dagster.

A *unit* is one expiration day under one procedure (the config and the calibration it
fixes): the day's alerts, prediction outcomes and priced (unsized) trade candidates, and
its share of every Monte Carlo (matched null, direction-only null, OI placebo), drawn from
a random stream of its own. Units never look at other days, so each is computed once per
(day, procedure digest), stored, and reused every night. The *aggregation* runs what is
sequential across days (recent-accuracy sizing, the equity curve) and sums the units'
shares into the package's statistics.

Every path runs this engine: the Dagster assets (units per partition, aggregation
downstream), `pressure-lab sweep`, `pressure-lab study`, the benchmarks and the tests
(`assets.engine.run.run_engine` in memory).
"""
