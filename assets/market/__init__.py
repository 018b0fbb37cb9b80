"""The synthetic market: the embedded default data source (see `assets.market.synthetic`)."""

from assets.market.synthetic import (
    BAR_COLUMNS,
    CHAIN_COLUMNS,
    DEFAULT_STRENGTH,
    SCENARIOS,
    SyntheticDay,
    generate_market,
    resolve_strength,
    write_landing,
)

__all__ = [
    "BAR_COLUMNS", "CHAIN_COLUMNS", "DEFAULT_STRENGTH", "SCENARIOS", "SyntheticDay",
    "generate_market", "resolve_strength", "write_landing",
]
