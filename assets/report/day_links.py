"""The report's section linking the day pages: the scored days with the strongest pressure,
and the largest winning and losing trades, read from `days/index.json` beside the package
(the day pages' own index), so the report stays a function of the files beside it."""

from __future__ import annotations

import json
import urllib.parse
from html import escape
from pathlib import Path

from assets.common.settings import DAY_PAGES_DIR as DAYS_DIR
from assets.report.renderer import NA, num

INDEX_FILE = "index.json"
TOP = 5


def _index(evidence_dir: Path | None) -> dict:
    if evidence_dir is None:
        return {}
    try:
        index = json.loads((Path(evidence_dir) / DAYS_DIR / INDEX_FILE).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    pages = index.get("pages") if isinstance(index, dict) else None
    return pages if isinstance(pages, dict) else {}


def _link(day: str, entry: dict, anchor: str = "") -> str:
    href = f"{DAYS_DIR}/{urllib.parse.quote(str(entry.get('page', f'{day}.html')))}" + (
        f"#{urllib.parse.quote(anchor)}" if anchor else "")
    return f'<a class="day-link" href="{escape(href)}">{escape(day)}</a>'


def _money(value) -> str:
    return NA if not isinstance(value, (int, float)) else escape(f"${value:+,.2f}")


def _rows(head: list[str], rows: list[list[str]], table_id: str) -> str:
    if not rows:
        return f'<p class="nodata" id="{table_id}">None among the scored days.</p>'
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table id="{table_id}"><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>'


def day_links_html(evidence_dir: Path | None) -> str:
    """The section's body: three short tables of links, or a note without day pages."""
    pages = _index(evidence_dir)
    scored = {d: e for d, e in pages.items()
              if isinstance(e, dict) and not e.get("is_calibration")}
    if not scored:
        return ('<p class="nodata">No day pages beside this package (they are written '
                "under days/ by the run).</p>")
    strongest = sorted((d for d in scored if isinstance(scored[d].get("max_pressure"),
                                                        (int, float))),
                       key=lambda d: (-scored[d]["max_pressure"], d))[:TOP]
    trades = [(t.get("pnl_dollars"), d, t) for d, e in scored.items()
              for t in e.get("trades") or [] if isinstance(t.get("pnl_dollars"), (int, float))]
    wins = sorted((x for x in trades if x[0] > 0), key=lambda x: (-x[0], x[1]))[:TOP]
    losses = sorted((x for x in trades if x[0] <= 0), key=lambda x: (x[0], x[1]))[:TOP]

    def trade_rows(chosen):
        return [[_link(d, scored[d], f"trade-{t.get('alert_id', '')}"),
                 escape(str(t.get("urgency", ""))), _money(pnl)] for pnl, d, t in chosen]

    return (f'<p class="note">{len(scored)} scored days have a page (every page: the price '
            "path over the strike ladder, the pressure surface, the alerts, the trades and "
            "the day's outcome).</p>"
            "<h3>Strongest pressure</h3>"
            + _rows(["day", "max pressure", "alerts", "day's P&L"],
                    [[_link(d, scored[d]), num(scored[d]["max_pressure"]),
                      num(scored[d].get("alerts")), _money(scored[d].get("pnl_dollars"))]
                     for d in strongest], "days-strongest")
            + "<h3>Largest wins</h3>"
            + _rows(["day", "class", "P&L"], trade_rows(wins), "days-wins")
            + "<h3>Largest losses</h3>"
            + _rows(["day", "class", "P&L"], trade_rows(losses), "days-losses"))
