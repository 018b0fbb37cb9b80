"""Day pages: one self-contained page per expiration day, built from the warehouse alone,
showing what the run stored (its trades with their P&L, its alerts by class and direction,
the stored pressure cells as the surface), labelling calibration days, redrawn only when
a day's inputs change; the reviewer's report links the strongest-pressure days and the
largest wins and losses.

The oracles are the warehouse tables themselves, read here with SQL.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest
from PIL import Image

from assets.common import tables
from assets.report.day_pages import page_path, refresh_day_pages
from assets.report.sections import render_report
from tests.support.warehouse_world import build_world

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    world = build_world(tmp_path_factory.mktemp("pages") / "home")
    evidence = world.home / "evidence"
    with world.connect() as conn:
        first = refresh_day_pages(conn, evidence, world.cfg)
    return world, evidence, first


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources, self.links, self.ids, self.text = [], [], set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "img":
            self.sources.append(a.get("src", ""))
        if tag in ("a", "link", "script") and ("href" in a or "src" in a):
            self.links.append(a.get("href") or a.get("src"))

    def handle_data(self, data):
        self.text.append(data)


def parse(path) -> _Page:
    page = _Page()
    page.feed(path.read_text())
    return page


def svg_of(uri: str) -> ET.Element:
    assert uri.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(uri.split(",", 1)[1]))


def pngs_of(svg: ET.Element) -> list[Image.Image]:
    out = []
    for image in svg.iter(f"{SVG}image"):
        data = base64.b64decode(image.get("href").split(",", 1)[1])
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        out.append(Image.open(io.BytesIO(data)))
    return out


def test_every_day_gets_a_self_contained_page(built):
    world, evidence, first = built
    assert first.days == 13 and len(first.built) == 13
    for day in sorted(world.market):
        page = parse(page_path(evidence, day))
        assert len(page.sources) == 1 and all(s.startswith("data:") for s in page.sources)
        svg = svg_of(page.sources[0])
        assert int(svg.get("width")) == 800 and len(pngs_of(svg)) >= 2
        # nothing is fetched: the only link leaves for the report beside the folder
        assert page.links == ["../report.html"]
        assert "Content-Security-Policy" in page_path(evidence, day).read_text()


def test_calibration_days_are_labelled_never_scored(built):
    world, evidence, _ = built
    with world.connect() as conn:
        flags = dict(conn.execute(f"select quote_date, is_calibration from "
                                  f"{tables.ENGINE_UNITS}").fetchall())
    assert sum(flags.values()) == 5
    for day, calibration in flags.items():
        page = parse(page_path(evidence, day))
        assert ("calibration-label" in page.ids) is calibration
        assert ("scored-label" in page.ids) is (not calibration)
        if calibration:
            assert "never scored" in "".join(page.text)


def test_the_page_lists_the_days_trades_and_alerts(built):
    world, evidence, _ = built
    with world.connect() as conn:
        trades = conn.execute(f"select quote_date, alert_id, pnl_dollars from {tables.TRADES} "
                              "order by quote_date, entry_index").df()
        counts = conn.execute(f"select quote_date, urgency, direction_label, count(*) n from "
                              f"{tables.ALERTS} group by all").df()
    for day in sorted(world.market):
        html = page_path(evidence, day).read_text()
        mine = trades[[d.date() == day for d in trades["quote_date"]]]
        rows = re.findall(r'<tr><td id="trade-([^"]+)">', html)
        assert rows == list(mine["alert_id"])
        for pnl in mine["pnl_dollars"]:
            assert f"${pnl:+,.2f}" in html
        by_class = re.search(r'<table id="alerts-by-class">.*?</table>', html).group(0)
        for _, c in counts[[d.date() == day for d in counts["quote_date"]]].iterrows():
            cells = re.search(rf"<td>{c['urgency']}</td><td>(\d+)</td><td>(\d+)</td>", by_class)
            assert int(cells.group(1 if c["direction_label"] == "UP" else 2)) == c["n"]


def test_the_surface_is_the_stored_cells(built):
    world, evidence, _ = built
    day = dt.date(2024, 1, 17)
    with world.connect() as conn:
        cells = conn.execute(f"select bar_index, strike from {tables.PRESSURE_SERIES} "
                             "where quote_date = ?", [day]).fetchall()
    page = parse(page_path(evidence, day))
    heat = max(pngs_of(svg_of(page.sources[0])), key=lambda im: im.size[0])
    alpha = np.asarray(heat.convert("RGBA"))[:, :, 3] > 0  # strike rows (top: highest) x bars
    m = world.market[day]
    assert alpha.shape[1] == m.n_bars
    lo, hi = m.low.min() - 15.0, m.high.max() + 15.0
    shown = {(b, k) for b, k in cells if lo <= k <= hi}
    strikes = sorted({k for k in m.strikes if lo <= k <= hi})
    drawn = {(int(b), strikes[alpha.shape[0] - 1 - r]) for r, b in zip(*np.nonzero(alpha),
                                                                         strict=True)}
    assert drawn == shown and len(shown) > 1000


def test_a_refresh_redraws_only_the_days_whose_inputs_changed(built, tmp_path):
    world, evidence, _ = built
    with world.connect() as conn:
        assert refresh_day_pages(conn, evidence, world.cfg).built == []
    day = dt.date(2024, 1, 18)
    page_path(evidence, dt.date(2024, 1, 10)).unlink()
    with world.connect(read_only=False) as conn:
        conn.execute(f"update {tables.TRADES} set pnl_dollars = pnl_dollars + 1 "
                     "where quote_date = ?", [day])
        again = refresh_day_pages(conn, evidence, world.cfg)
        conn.execute(f"update {tables.TRADES} set pnl_dollars = pnl_dollars - 1 "
                     "where quote_date = ?", [day])
        refresh_day_pages(conn, evidence, world.cfg)
    assert again.built == [dt.date(2024, 1, 10), day]


def test_a_refresh_limited_to_some_days_leaves_the_others_pending(built, tmp_path):
    """A night's refresh (`only` its days) draws none of the history's backlog, and counts
    it as pending."""
    world, _, first = built
    fresh = tmp_path / "evidence"
    night = max(first.index["pages"])
    with world.connect() as conn:
        done = refresh_day_pages(conn, fresh, world.cfg, only=[dt.date.fromisoformat(night)])
    assert [d.isoformat() for d in done.built] == [night]
    assert done.pending == first.days - 1
    assert sorted(p.stem for p in (fresh / "days").glob("*.html")) == [night]


def test_a_runs_window_comes_from_its_partition_tags():
    from assets.dagster_common.partitions import run_window

    assert run_window({"dagster/partition": "2024-01-05"}) == (dt.date(2024, 1, 5),) * 2
    assert run_window({"dagster/asset_partition_range_start": "2024-01-03",
                       "dagster/asset_partition_range_end": "2024-01-05"}) == (
        dt.date(2024, 1, 3), dt.date(2024, 1, 5))
    assert run_window({"dagster/backfill": "x"}) is None


def test_the_report_links_the_strongest_days_and_the_largest_wins_and_losses(built):
    world, evidence, _ = built
    with world.connect() as conn:
        strongest = [r[0] for r in conn.execute(
            f"select s.quote_date, max(pressure) m from {tables.PRESSURE_SERIES} s join "
            f"{tables.ENGINE_UNITS} u using (quote_date) where not u.is_calibration "
            "group by 1 order by m desc limit 5").fetchall()]
        trades = conn.execute(f"select quote_date, alert_id, pnl_dollars from {tables.TRADES} "
                              "where not is_calibration order by pnl_dollars desc").fetchall()
    html = render_report({"experimental_validity": "REJECTED"}, evidence_dir=evidence)

    def linked(table_id: str) -> list[str]:
        body = re.search(rf'<table id="{table_id}">.*?</table>', html).group(0)
        return re.findall(r'href="(days/[^"]+)"', body)

    assert linked("days-strongest") == [f"days/{d}.html" for d in strongest]
    wins = [t for t in trades if t[2] > 0][:5]
    losses = [t for t in reversed(trades) if t[2] <= 0][:5]
    assert linked("days-wins") == [f"days/{d}.html#trade-{a}" for d, a, _ in wins]
    assert linked("days-losses") == [f"days/{d}.html#trade-{a}" for d, a, _ in losses]
    for href in linked("days-strongest") + linked("days-wins") + linked("days-losses"):
        target, _, anchor = href.partition("#")
        text = (evidence / target).read_text()
        assert not anchor or f'id="{anchor}"' in text
    index = json.loads((evidence / "days" / "index.json").read_text())
    assert sorted(index["pages"]) == [d.isoformat() for d in sorted(world.market)]


def test_a_limited_refresh_draws_the_newest_pages_and_leaves_the_rest_pending(built):
    world, evidence, _ = built
    days = sorted(dt.date.fromisoformat(p.stem) for p in (evidence / "days").glob("*.html"))
    for d in days[:5]:
        page_path(evidence, d).unlink()
    with world.connect() as conn:
        first = refresh_day_pages(conn, evidence, world.cfg, limit=2)
        assert first.built == days[3:5] and first.pending == 3
        assert not page_path(evidence, days[0]).exists()
        rest = refresh_day_pages(conn, evidence, world.cfg)
    assert rest.built == days[:3] and rest.pending == 0
    page_path(evidence, days[0]).unlink()  # a calibration day, the oldest
    page_path(evidence, days[-1]).unlink()  # the newest scored day
    with world.connect() as conn:
        scored_first = refresh_day_pages(conn, evidence, world.cfg, limit=1)
        assert scored_first.built == [days[-1]] and scored_first.pending == 1
        refresh_day_pages(conn, evidence, world.cfg)
