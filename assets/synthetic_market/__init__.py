"""The synthetic market: the lab's embedded default data source, with a known truth.

Modules: `generator` (the seeded market, day by day), `price_paths` (intraday paths and the
planted steering force), `option_chain` (the pre-open chain), `landing_files` (the files'
naming and atomic writes), `landing_source` (generation into the landing zone without
losing data), `underlyings` (the underlyings it can simulate, how they are tied and
scaled, where steering is planted) and `in_memory_days` (MarketDays for studies, without
files).
"""

from assets.synthetic_market.generator import (
    BAR_COLUMNS,
    CHAIN_COLUMNS,
    DEFAULT_STRENGTH,
    SCENARIOS,
    SyntheticDay,
    generate_market,
    generate_markets,
    resolve_strength,
)
from assets.synthetic_market.landing_files import write_landing

__all__ = [
    "BAR_COLUMNS", "CHAIN_COLUMNS", "DEFAULT_STRENGTH", "SCENARIOS", "SyntheticDay",
    "generate_market", "generate_markets", "resolve_strength", "write_landing",
]
