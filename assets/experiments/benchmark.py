"""The random-entry benchmark of a variant, for Hansen's SPA: the matched null's expected
P&L per day (`RandomEntryBenchmark`). It lives in the validation layer
(`assets.validation.statistics.null_expectation`), where the package's per-regime edge
uses the same per-trade expectation; the sweep imports it from here.
"""

from assets.validation.statistics.null_expectation import RandomEntryBenchmark

__all__ = ["RandomEntryBenchmark"]
