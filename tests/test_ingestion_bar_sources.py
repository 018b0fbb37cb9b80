"""`raw.bar_sources`: staged with the bars, published with them, quoted by the package."""

from __future__ import annotations

import datetime as dt

import duckdb

from assets.ingestion import bar_sources
from assets.ingestion.underlying import BarSource, bar_sources_frame

D1, D2 = dt.date(2024, 1, 4), dt.date(2024, 1, 5)


def _sources():
    return [BarSource(D1, "bars/2024-01-04.csv", "canonical", "index", "SPX", None, "symbol",
                      "none", None, "used as delivered"),
            BarSource(D2, "bars/2024-01-05.csv", "canonical", "future", "ESH4", "2024-03",
                      "symbol", "previous_close", 40.75, "ESH4 close 4741 - index 4700.25")]


def test_staged_records_reach_raw_only_when_published_and_the_package_quotes_them(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        bar_sources.stage(conn, bar_sources_frame(_sources()), [D1, D2])
        assert bar_sources.package_section(conn, [D1, D2]) == {"recorded_days": 0}
        bar_sources.publish(conn, [D1, D2])
        section = bar_sources.package_section(conn, [D1, D2])
        assert section == {"recorded_days": 2, "instruments": ["future ESH4", "index SPX"],
                           "basis_methods": ["none", "previous_close"],
                           "basis_points_by_day": {"2024-01-05": 40.75}}
        # Re-staging a day replaces its record, never duplicates it.
        bar_sources.stage(conn, bar_sources_frame(_sources()[:1]), [D1])
        bar_sources.publish(conn, [D1])
        assert conn.execute("SELECT count(*) FROM raw.bar_sources").fetchone()[0] == 2
