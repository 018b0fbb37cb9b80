"""`pressure-lab pages`: draw every day page a run left pending (a run draws at most
`report.day_pages_per_run`, newest first), from the warehouse a `pressure-lab run` left."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub) -> None:
    pages = sub.add_parser("pages", help="draw every pending day page (evidence/days/DAY.html)")
    pages.set_defaults(func=cmd_pages)


def cmd_pages(args: argparse.Namespace) -> int:
    from assets.common.config import load_config
    from assets.common.settings import configure_environment
    from assets.report.day_pages import DAYS_DIR, refresh_day_pages
    from orchestration.warehouse_cli import WarehouseUnavailable, read_only_warehouse

    paths = configure_environment()
    try:
        with read_only_warehouse(paths.duckdb) as conn:
            done = refresh_day_pages(conn, paths.evidence, load_config())
    except WarehouseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{len(done.built)} day pages drawn in {done.seconds:.1f}s; {done.days} days have a "
          f"page under {paths.evidence / DAYS_DIR}")
    return 0
