"""The reviewer's report (assets.report): built from a hand-made evidence package.

The page is parsed with the standard library's HTMLParser and the embedded images are
decoded with Pillow, both independent of the code under test.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

# Matplotlib's cache must not land in the user's home when the tests run on their own.
os.environ.setdefault("MPLCONFIGDIR", str(Path(tempfile.gettempdir()) / "pressure-lab-mpl-tests"))

from assets.report import figures as report_figures  # noqa: E402
from assets.report import render_report, write_report  # noqa: E402
from assets.report.renderer import fmt_number  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
FIGURE_IDS = ("fig-equity", "fig-urgency", "fig-null", "fig-pressure-move", "fig-heatmap")
EVIL = '<script>alert("x")</script>'


def make_package(verdict: str = "REJECTED") -> dict:
    """A small package shaped as docs/stage-interfaces.md describes (numbers are made up)."""
    rng = np.random.default_rng(7)
    n_days = 25
    pnl = rng.normal(20.0, 300.0, n_days)
    equity = 25_000.0 + np.cumsum(pnl)
    peak = np.maximum.accumulate(np.concatenate(([25_000.0], equity)))[1:]
    drawdown = (peak - equity) / peak
    null = rng.normal(0.47, 0.04, 400)
    counts, edges = np.histogram(null, bins=20)
    n_alerts = 60
    urgency = ["ASSIGNMENT_PANIC" if i % 3 == 0 else "PIN_RISK_MANAGEMENT"
               for i in range(n_alerts)]
    strikes = [4700.0 + 5 * k for k in range(9)]
    minutes = [float(m) for m in range(59, -1, -1)]
    heat = [[float(-3 + 0.01 * j - 0.1 * abs(k - 4)) for j in range(60)] for k in range(9)]
    heat[0][0] = None  # a cell without a value
    return {
        "experimental_validity": verdict,
        "hypothesis_results": {
            "primary": "NOT SUPPORTED - win rate 54.2% (CI 45.3%-62.9%)",
            "opposite_pinning": "not distinguishable from the 2h/Δ reference",
        },
        "statistical_measures": {"p_value": 0.2143, "confidence_interval": [0.453, 0.629],
                                 "effect_size": 0.08, "sample_size": 120,
                                 "statistical_power": 0.31},
        "performance_metrics": {"win_rate": 0.5417,
                                "win_rate_confidence_interval": [0.4533, 0.6287],
                                "average_win_points": 9.75, "average_loss_points": -10.25,
                                "sharpe_ratio": 0.42, "maximum_drawdown": 0.0812,
                                "total_sample_size": 120},
        "success_criteria": {
            "trades_at_least_100": {"threshold": 100, "value": 120, "rule": ">=", "met": True},
            "avg_points_per_trade": {"threshold": 12.0, "value": 0.6, "met": False},
            "max_drawdown_at_most": {"threshold": 0.15, "value": 0.0812, "rule": "<=",
                                     "met": True},
            "p_value_below": {"threshold": 0.05, "value": 0.2143, "rule": "<", "met": False},
        },
        "secondary_hypotheses": {  # unlike records (one test each) beside a family note
            "quadratic_intensification": {
                "b": 0.41, "b_ci": [-0.2, 1.0], "p_value": 0.03, "p_value_holm": 0.09,
                "significant_holm": False, "status": "NOT_SUPPORTED", "summary": "b = 0.41"},
            "velocity_vs_oi": {"pearson_r": 0.05, "n_days": 25, "p_value": 0.4,
                               "p_value_holm": 0.8, "significant_holm": False,
                               "status": "NOT_SUPPORTED", "summary": "r = 0.05"},
            "distinct_urgency_patterns": {"p_value": None, "n": [4, 116], "p_value_holm": None,
                                          "significant_holm": False, "status": "NOT_TESTED",
                                          "summary": "not tested: too little data"},
            "family": {"correction": "Holm", "alpha": 0.05,
                       "tests_in_family": ["quadratic_intensification", "velocity_vs_oi"]},
        },
        "urgency_validation": {
            "ASSIGNMENT_PANIC": {"sample_size": 4, "actual_win_rate": 0.5,
                                 "expected_win_rate": 0.85, "win_rate_ci": [0.15, 0.85]},
            "PIN_RISK_MANAGEMENT": {"sample_size": 116, "actual_win_rate": 0.543,
                                    "expected_win_rate": 0.75,
                                    "win_rate_ci": [0.452, 0.631]},
        },
        "risk_management": {"stop_loss_validation": {"stops_hit": 40,
                                                     "average_loss_when_hit": -10.5}},
        "null_model": {"replications": 400, "statistic": "win_rate", "null_win_rate": 0.47},
        "prediction_accuracy": {"overall_direction_accuracy": 0.52, "sample_size": 120},
        "opposite_hypothesis": {"pin_rate_0.5": 0.21, "reference_0.5": 0.2},
        "empirical_evidence": ["trades.json", "alerts.json"],
        "reproducibility_protocol": {
            "data_source": "synthetic", "data_hashes": {"2024-01-05": "ab" * 32},
            "config_hash": "cd" * 32, "code_version": "0123abc", "seeds": {"null": 20250115},
        },
        "validation_timestamp": "2025-01-15T16:00:00Z",
        "figures": {
            "equity_curve": {"dates": [f"2024-01-{d:02d}" for d in range(1, n_days + 1)],
                             "equity": equity.tolist(),
                             "drawdown_fraction": drawdown.tolist()},
            "null_distribution": {"observed": 0.5417, "bin_edges": edges.tolist(),
                                  "counts": counts.tolist()},
            "pressure_vs_move": {"log10_pressure": rng.normal(-2, 0.5, n_alerts).tolist(),
                                 "realized_move": rng.normal(0, 8, n_alerts).tolist(),
                                 "urgency": urgency},
            "heatmap": {"quote_date": "2024-01-05", "strikes": strikes,
                        "minutes_to_expiry": minutes, "log10_pressure": heat},
        },
    }


class _Page(HTMLParser):
    """Collects tables (rows of cell texts, by table id), img srcs, hrefs and verdict text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.imgs: list[tuple[str | None, str]] = []  # (enclosing figure id, src)
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.verdict: list[tuple[str, str]] = []  # (class, text)
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._figure: str | None = None
        self._verdict_cls: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "src" in a:
            self.srcs.append(a["src"] or "")
        if "href" in a:
            self.hrefs.append(a["href"] or "")
        if tag == "table" and a.get("id"):
            self._table = a["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []
        elif tag == "figure":
            self._figure = a.get("id")
        elif tag == "img":
            self.imgs.append((self._figure, a.get("src", "")))
        elif tag == "div" and "verdict" in (a.get("class") or "").split():
            self._verdict_cls = a["class"]

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._verdict_cls is not None:
            self.verdict.append((self._verdict_cls, data.strip()))
            self._verdict_cls = None


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(make_package())


def _png_bytes(src: str) -> bytes:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    return base64.b64decode(src[len(prefix):], validate=True)


def test_verdict_and_success_criteria_rows(page):
    parsed = parse(page)
    assert parsed.verdict == [("verdict rejected", "REJECTED")]
    rows = parsed.tables["success-criteria"]
    assert rows[0] == ["criterion", "threshold", "value", "met"]
    body = {r[0]: r[1:] for r in rows[1:]}
    assert body == {
        "trades_at_least_100": [">= 100", "120", "✔ met"],
        "avg_points_per_trade": ["12", "0.6", "✘ not met"],
        "max_drawdown_at_most": ["<= 0.15", "0.0812", "✔ met"],
        "p_value_below": ["< 0.05", "0.2143", "✘ not met"],
    }
    # headline numbers, formatted from the package: 0.5417 -> 54.2 %, CI [45.3 %, 62.9 %]
    assert "54.2%" in page and "[45.3%, 62.9%]" in page and "8.1%" in page


def test_sections_show_package_tables(page):
    section = {m.group(1): m.group(2) for m in
               re.finditer(r'<section id="([^"]+)">(.*?)</section>', page, flags=re.S)}
    # classes below the minimum sample are named as untested
    assert "Too few trades to test" in section["urgency"]
    assert "ASSIGNMENT_PANIC (n = 4)" in section["urgency"]
    # Holm-adjusted p-values are present, flagged, and said to be Holm; one row per test
    # with the shared keys as columns, each test's own numbers under "details"
    secondary = section["secondary"]
    assert ('<tr><th></th><th>status</th><th>summary</th><th>p_value</th>'
            '<th class="hl">p_value_holm</th><th class="hl">significant_holm</th>'
            '<th>details</th></tr>') in secondary
    assert re.search(r"<tr><th>distinct_urgency_patterns</th><td>NOT_TESTED</td>"
                     r"<td>not tested: too little data</td><td>[^<]*<span class=\"na\">n/a",
                     secondary)
    assert "<th>b_ci</th><td>[-0.2, 1]</td>" in secondary
    assert "<th>correction</th><td>Holm</td>" in secondary  # the family note stays a row
    assert "Holm" in secondary
    # unlike sub-dicts (hashes, seeds) stay key/value rows, with every value shown
    repro = section["reproducibility"]
    for key, value in (("config_hash", "cd" * 32), ("code_version", "0123abc"),
                       ("2024-01-05", "ab" * 32), ("null", "20250115"),
                       ("data_source", "synthetic")):
        assert re.search(rf"<th>{re.escape(key)}</th><td>{re.escape(value)}</td>", repro)
    for anchor in ("risk", "null", "prediction", "opposite", "statistics", "performance"):
        assert "nodata" not in section[anchor]


@pytest.mark.parametrize("verdict,cls,colour", [("VALIDATED", "validated", "#1e7d32"),
                                                 ("REJECTED", "rejected", "#c62828"),
                                                 ("INSUFFICIENT_DATA", "insufficient",
                                                  "#e0a100")])
def test_verdict_colour(verdict, cls, colour):
    package = make_package(verdict)
    package["figures"] = {}  # keep it fast: only the banner matters here
    page = render_report(package)
    assert parse(page).verdict == [(f"verdict {cls}", verdict)]
    assert re.search(rf"\.verdict\.{cls}\{{background:{colour}", page)


def test_five_figures_embedded_as_png(page):
    from PIL import Image

    imgs = parse(page).imgs
    assert [fid for fid, _ in imgs] == list(FIGURE_IDS)
    for _, src in imgs:
        raw = _png_bytes(src)
        assert raw.startswith(PNG_MAGIC)
        with Image.open(io.BytesIO(raw)) as im:
            im.verify()
        with Image.open(io.BytesIO(raw)) as im:
            assert im.format == "PNG"
            assert im.size[0] == 800 and 200 < im.size[1] < 600
            assert "Software" not in im.info


def test_no_external_resources(page):
    parsed = parse(page)
    assert parsed.srcs and all(s.startswith("data:image/png;base64,") for s in parsed.srcs)
    assert all(h.startswith("#") for h in parsed.hrefs)  # no evidence_dir: nothing linked
    lowered = page.lower()
    for banned in ("http://", "https://", "<link", "<script", "@import", "url(", "//cdn"):
        assert banned not in lowered
    assert "default-src 'none'" in page  # the browser is told to load nothing else


def test_missing_sections_render_na_instead_of_raising():
    empty = render_report({})
    parsed = parse(empty)
    assert parsed.verdict == [("verdict unknown", "n/a")]
    assert not parsed.imgs
    assert empty.count('class="nodata"') >= 5 + 6  # 5 figures and the empty sections
    assert "n/a" in empty

    package = make_package()
    package["performance_metrics"] = {"win_rate": None, "win_rate_confidence_interval": None,
                                      "sharpe_ratio": math.nan, "maximum_drawdown": None,
                                      "total_sample_size": None}
    package["statistical_measures"] = None
    package["success_criteria"] = {"p_value_below": {"threshold": 0.05, "value": None,
                                                     "met": None}}
    package["urgency_validation"] = {"ASSIGNMENT_PANIC": {"sample_size": None}}
    package["risk_management"] = None
    package["figures"] = {
        "equity_curve": {"dates": [], "equity": [], "drawdown_fraction": []},
        "null_distribution": {"observed": None, "bin_edges": [0.0, 1.0], "counts": [3, 4]},
        "pressure_vs_move": {"log10_pressure": [math.nan, None], "realized_move": [1.0, 2.0],
                             "urgency": [None, None]},
        "heatmap": {"quote_date": None, "strikes": [1.0, 2.0], "minutes_to_expiry": [3.0],
                    "log10_pressure": [[1.0, 2.0, 3.0]]},
    }
    page = render_report(package)
    parsed = parse(page)
    assert parsed.tables["success-criteria"][1] == ["p_value_below", "0.05", "n/a", "n/a"]
    assert 'id="headline"' in page and page.count(">n/a<") >= 5
    figures_with_png = [fid for fid, _ in parsed.imgs]
    # the urgency class has no trades (shown as "too few"), so that figure is still drawn
    assert figures_with_png == ["fig-urgency"]
    assert "shape (1, 3), expected 2 strikes x 1 minutes" in page
    assert "no finite (pressure, move) pairs" in page


def test_same_package_gives_identical_bytes(tmp_path):
    package = make_package()
    first = render_report(copy.deepcopy(package)).encode()
    assert render_report(copy.deepcopy(package)).encode() == first
    # ... and in a fresh interpreter with another hash seed (set/dict order, caches).
    (tmp_path / "evidence.json").write_text(json.dumps(package))
    out = tmp_path / "report.html"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    script = ("import sys; from pathlib import Path; from assets.report import write_report; "
              "write_report(Path(sys.argv[1]), Path(sys.argv[2]))")
    subprocess.run([sys.executable, "-c", script, str(tmp_path / "evidence.json"), str(out)],
                   check=True, cwd=REPO, env=env, timeout=120)
    expected = render_report(package, evidence_dir=tmp_path).encode()
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(expected).hexdigest()


def test_package_text_is_escaped():
    package = make_package()
    package["hypothesis_results"]["primary"] = EVIL
    package["hypothesis_results"][EVIL] = "key too"
    package["success_criteria"][EVIL] = {"threshold": EVIL, "value": 1, "met": True}
    package["urgency_validation"][EVIL] = {"sample_size": 50, "actual_win_rate": 0.5,
                                           "expected_win_rate": 0.6, "win_rate_ci": [0.4, 0.6]}
    package["empirical_evidence"].append('x" onmouseover="alert(1)')
    package["validation_timestamp"] = EVIL
    # '$...$' would be parsed as matplotlib mathtext (and this one fails to parse).
    package["figures"]["heatmap"]["quote_date"] = r"$\notacommand{$ 2024-01-05"
    page = render_report(package)
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert 'onmouseover="' not in page
    parsed = parse(page)
    assert EVIL in [r[0] for r in parsed.tables["success-criteria"]]
    assert [fid for fid, _ in parsed.imgs] == list(FIGURE_IDS)


def test_write_report_is_atomic_and_links_evidence_files(tmp_path):
    package = make_package()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    trades = b'[{"alert_id": "20240105-300-4720"}]'
    (evidence / "trades.json").write_bytes(trades)
    (evidence / "evidence.json").write_text(json.dumps(package))
    out = tmp_path / "site" / "report.html"
    out.parent.mkdir()
    out.write_text("old page")
    assert write_report(evidence / "evidence.json", out) == out
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]  # no temp left
    page = out.read_text(encoding="utf-8")
    rows = parse(page).tables["evidence-files"]
    assert rows[1] == ["trades.json", f"{len(trades)} bytes", hashlib.sha256(trades).hexdigest()]
    assert rows[2] == ["alerts.json", "missing beside the package", "n/a"]
    assert 'href="trades.json"' in page


def test_write_report_leaves_old_page_when_rendering_fails(tmp_path):
    bad = tmp_path / "evidence.json"
    bad.write_text("{not json")
    out = tmp_path / "report.html"
    out.write_text("old page")
    with pytest.raises(json.JSONDecodeError):
        write_report(bad, out)
    assert out.read_text() == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evidence.json", "report.html"]


def test_urgency_classes_marks_small_samples():
    uv = make_package()["urgency_validation"]
    classes = {c.name: c for c in report_figures.urgency_classes(uv, min_trades=10)}
    assert not classes["ASSIGNMENT_PANIC"].enough  # n = 4 < 10
    assert classes["PIN_RISK_MANAGEMENT"].enough
    assert classes["PIN_RISK_MANAGEMENT"].ci_low == pytest.approx(0.452)
    assert report_figures.urgency_classes(uv, min_trades=200)[1].enough is False
    uv["ASSIGNMENT_PANIC"]["sufficient_sample"] = True  # the package's own word wins
    assert report_figures.urgency_classes(uv, min_trades=10)[0].enough
    assert report_figures.urgency_classes({"min_sample_size": 10}, 10) == []


def test_heatmap_accepts_minutes_by_strikes_and_rejects_other_shapes():
    hm = make_package()["figures"]["heatmap"]
    transposed = dict(hm, log10_pressure=np.array(
        [[np.nan if v is None else v for v in row] for row in hm["log10_pressure"]]).T.tolist())
    assert report_figures.heatmap_figure(transposed) == report_figures.heatmap_figure(hm)
    with pytest.raises(report_figures.NoFigureData):
        report_figures.heatmap_figure(dict(hm, log10_pressure=[[1.0, 2.0]]))
    with pytest.raises(report_figures.NoFigureData):
        report_figures.null_figure({"observed": 1.0, "bin_edges": [0, 1], "counts": [1, 2]})


@pytest.mark.parametrize("value,text", [(0.0, "0"), (0.5417, "0.5417"), (12.34567, "12.35"),
                                        (25000.0, "25,000"), (1234.5678, "1,234.57"),
                                        (0.000123456, "0.000123"), (math.nan, "n/a"),
                                        (-math.inf, "-inf")])
def test_number_formatting(value, text):
    assert fmt_number(value) == text


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no /usr/bin/chromium")
def test_renders_in_headless_chromium(tmp_path, page):
    from PIL import Image

    html_path = tmp_path / "report.html"
    html_path.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400",
                    f"--screenshot={shot}", html_path.as_uri()],
                   check=True, timeout=120, capture_output=True)
    with Image.open(shot) as im:
        assert im.size == (1200, 2400)
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours and len(colours) > 10  # something was drawn, not a blank page


def test_headline_shows_edge_and_bar_as_two_statements():
    from assets.report.sections import render_report

    page = render_report({"experimental_validity": "REJECTED", "hypothesis_results": {
        "edge_vs_random": "SUPPORTED - the alerts carry information (p = 0.004)",
        "primary": "NOT SUPPORTED - the bar is not met"},
        "performance_metrics": {"sharpe_ratio": 1.2, "sharpe_annualization_factor": 12.29},
        "statistical_measures": {"p_value": 0.004, "p_value_adjusted": 0.008}})
    block = page.split('id="two-statements"')[1].split("</table>")[0]
    assert "Edge over random entries" in block and "SUPPORTED - the alerts" in block
    assert "NOT SUPPORTED - the bar is not met" in block
    assert "12.29" in page and "family-adjusted 0.008" in page
