"""The reviewer's report: one self-contained HTML page built from the evidence package alone.

The page recomputes nothing: every number comes from the package (figures from its
`figures` section), so what a reviewer reads is exactly what the lab concluded. It must open
offline and stay readable whatever the package holds: missing or non-finite values read
"n/a", a figure without data becomes a note, all package text is HTML-escaped, and a
Content-Security-Policy forbids loading anything but the embedded images. The output is a
pure function of the package (and the files beside it): no clock, no randomness.

This module lays out the page's sections; `renderer` turns their values into HTML and
`report.css` (package data) styles the page.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from collections.abc import Mapping
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

from assets.common.atomic_files import write_text_atomic
from assets.report import figures as fig
from assets.report.day_links import day_links_html
from assets.report.figure_section import figures_html, min_class_trades
from assets.report.regime_reach import reach_html, regimes_html
from assets.report.renderer import (
    NA,
    finite_number,
    fmt_number,
    header_cell,
    interval,
    keys_anywhere,
    kv_table,
    num,
    pct,
    value_html,
)

VERDICT_CLASSES = {"VALIDATED": "validated", "REJECTED": "rejected",
                   "INSUFFICIENT_DATA": "insufficient"}
# Top-level keys with a place of their own on the page; anything else goes to "Other".
KNOWN_KEYS = ("experimental_validity", "hypothesis_results", "statistical_measures",
              "performance_metrics", "success_criteria", "secondary_hypotheses",
              "urgency_validation", "risk_management", "null_model", "prediction_accuracy",
              "opposite_hypothesis", "empirical_evidence", "reproducibility_protocol",
              "validation_timestamp", "figures", "claims_family", "controls",
              "repeated_looks", "study_calibration", "regimes")
CSS_FILE = "report.css"
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
REPORT_FILE_MODE = 0o644  # the page is for anyone who may read the evidence folder


@lru_cache(maxsize=1)
def page_css() -> str:
    """The page's style sheet, shipped beside this module as package data."""
    return resources.files("assets.report").joinpath(CSS_FILE).read_text(encoding="utf-8")


def _section(anchor: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{anchor}"><h2>{escape(title)}</h2>{note_html}{body}</section>'


def _missing(what: str) -> str:
    return f'<p class="nodata">No data: the package has no {escape(what)}.</p>'


def _block(package: Mapping, key: str) -> str:
    value = package.get(key)
    if value is None or (isinstance(value, (Mapping, list, tuple)) and not value):
        return _missing(key)
    return value_html(value)


def _verdict(package: Mapping) -> str:
    verdict = package.get("experimental_validity")
    text = verdict if isinstance(verdict, str) and verdict else "n/a"
    cls = VERDICT_CLASSES.get(text, "unknown")
    return f'<div class="verdict {cls}" id="verdict">{escape(text)}</div>'


def home_split_note(package: Mapping) -> str:
    """The home's alpha split in plain words (empty where the home does not split)."""
    family = package.get("claims_family")
    split = family.get("home_split") if isinstance(family, Mapping) else None
    if not isinstance(split, Mapping) or not split.get("statement"):
        return ""
    return f"One error rate for the home: {escape(str(split['statement']))}."


def _met(value: Any) -> str:
    if value is True:
        return '<span class="ok">&#10004; met</span>'
    if value is False:
        return '<span class="bad">&#10008; not met</span>'
    return NA


def _criteria(package: Mapping) -> str:
    criteria = package.get("success_criteria")
    if not isinstance(criteria, Mapping) or not criteria:
        return _missing("success_criteria")
    extra: list[Any] = []
    for entry in criteria.values():
        if isinstance(entry, Mapping):
            extra += [k for k in entry if k not in ("threshold", "value", "met", "rule")
                      and k not in extra]
    head = "<th>criterion</th><th>threshold</th><th>value</th><th>met</th>" + "".join(
        header_cell(k) for k in extra)
    rows = []
    for name, entry in criteria.items():
        entry = entry if isinstance(entry, Mapping) else {"value": entry}
        rule = entry.get("rule")
        rule_html = f"{escape(rule)} " if isinstance(rule, str) and rule else ""
        cells = [rule_html + value_html(entry.get("threshold"), 1),
                 value_html(entry.get("value"), 1),
                 _met(entry.get("met"))] + [value_html(entry.get(k), 1) for k in extra]
        rows.append(f"<tr><th>{escape(str(name))}</th>"
                    + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return (f'<table id="success-criteria"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _card(label: str, value: str, sub: str = "") -> str:
    sub_html = f'<div class="sub">{sub}</div>' if sub else ""
    return (f'<div class="card"><div class="label">{escape(label)}</div>'
            f'<div class="value">{value}</div>{sub_html}</div>')


def _headline(package: Mapping) -> str:
    perf = package.get("performance_metrics")
    perf = perf if isinstance(perf, Mapping) else {}
    stats = package.get("statistical_measures")
    stats = stats if isinstance(stats, Mapping) else {}
    n = perf.get("total_sample_size")
    n = n if finite_number(n) is not None else stats.get("sample_size")
    drawdown = perf.get("maximum_drawdown")
    drawdown_html = (value_html(drawdown, 1) if isinstance(drawdown, Mapping)
                     else pct(drawdown))
    dd_points = perf.get("maximum_drawdown_points")
    cards = [
        _card("Win rate", pct(perf.get("win_rate")),
              f"95% CI {interval(perf.get('win_rate_confidence_interval'), as_percent=True)}"),
        _card("Sharpe (annualized daily)", num(perf.get("sharpe_ratio")),
              "expiration-day P&amp;L, 0 on days without a trade, &#215; "
              f"{num(perf.get('sharpe_annualization_factor'))} (&#8730;expiration days "
              "per year)"),
        _card("p-value", num(stats.get("p_value")),
              "against the matched random-entry null; family-adjusted "
              f"{num(stats.get('p_value_adjusted'))}"),
        _card("Sample size", num(n), "scored trades"),
        _card("Max drawdown", drawdown_html,
              "of account equity" + (f"; {num(dd_points)} points" if dd_points is not None
                                     else "")),
        _card("Average win / loss", f"{num(perf.get('average_win_points'))} / "
              f"{num(perf.get('average_loss_points'))}", "points per contract"),
    ]
    return f'<div class="cards" id="headline">{"".join(cards)}</div>'


def _untested_note(package: Mapping) -> str:
    min_trades = min_class_trades(package)
    small = [c for c in fig.urgency_classes(package.get("urgency_validation"), min_trades)
             if not c.enough]
    if not small:
        return ""
    names = ", ".join(f"{escape(c.name)} (n = {escape(fmt_number(c.sample_size))})"
                      for c in small)
    return (f"Too few trades to test (fewer than {escape(fmt_number(min_trades))} or no win "
            f"rate): {names}.")


def _secondary(package: Mapping) -> str:
    value = package.get("secondary_hypotheses")
    if value is None or (isinstance(value, (Mapping, list, tuple)) and not value):
        return _section("secondary", "Secondary hypotheses", _missing("secondary_hypotheses"))
    holm = sorted(k for k in keys_anywhere(value) if "holm" in k.lower())
    if holm:
        note = ("The family of p-values is corrected with Holm's method (highlighted: "
                + ", ".join(escape(k) for k in holm) + ").")
    else:
        note = "No Holm-adjusted p-value was found in the package."
    return _section("secondary", "Secondary hypotheses", value_html(value), note)


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()


def _evidence_files(package: Mapping, evidence_dir: Path | None) -> str:
    files = package.get("empirical_evidence")
    if not isinstance(files, (list, tuple)) or not files:
        return _missing("empirical_evidence")
    rows = []
    for entry in files:
        if not isinstance(entry, str):
            rows.append(f"<tr><td>{value_html(entry, 1)}</td><td>{NA}</td><td>{NA}</td></tr>")
            continue
        plain = entry and Path(entry).name == entry and entry not in (".", "..")
        path = evidence_dir / entry if (evidence_dir is not None and plain) else None
        if path is not None and path.is_file():
            href = urllib.parse.quote(entry)
            name = f'<a href="{escape(href)}">{escape(entry)}</a>'
            size = f"{path.stat().st_size:,} bytes"
            digest = f"<code>{_file_digest(path)}</code>"
        else:
            name = escape(entry)
            size = "not checked" if evidence_dir is None else "missing beside the package"
            digest = NA
        rows.append(f"<tr><td>{name}</td><td>{escape(size)}</td><td>{digest}</td></tr>")
    return ('<table id="evidence-files"><thead><tr><th>file</th><th>size</th>'
            f'<th>sha256</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _nav() -> str:
    links = [("verdict-section", "Verdict"), ("headline", "Headline"), ("figures", "Figures"),
             ("claims", "Claims family"), ("controls", "Controls"), ("regimes", "Regimes"),
             ("secondary", "Secondary hypotheses"), ("risk", "Risk management"),
             ("null", "Null model"), ("prediction", "Prediction accuracy"),
             ("opposite", "Opposite hypothesis"), ("days", "Day pages"),
             ("reproducibility", "Reproducibility")]
    return "<nav>" + "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in links) + "</nav>"


def _two_statements(package: Mapping) -> str:
    """The edge over random entries and the specification's bar, side by side: a real but
    small edge must read as what it is."""
    hyp = package.get("hypothesis_results")
    hyp = hyp if isinstance(hyp, Mapping) else {}
    rows = [(label, hyp.get(key)) for key, label in
            (("edge_vs_random", "Edge over random entries"),
             ("primary", "Strategy specification's performance bar"))]
    cells = "".join(f"<tr><th>{escape(label)}</th><td>{escape(str(text)) if text else NA}</td>"
                    "</tr>" for label, text in rows)
    return f'<table id="two-statements"><tbody>{cells}</tbody></table>'


def render_report(package: Mapping[str, Any], evidence_dir: Path | None = None) -> str:
    """The report page for one evidence package (a dict as loaded from its JSON).

    `evidence_dir` is the folder holding the package; when given, the files listed in
    `empirical_evidence` are linked and their size and sha256 shown.
    """
    if not isinstance(package, Mapping):
        package = {}
    stamp = package.get("validation_timestamp")
    stamp_html = escape(stamp) if isinstance(stamp, str) and stamp else NA
    other = {k: v for k, v in package.items() if k not in KNOWN_KEYS}
    split = home_split_note(package)
    split_html = f'<p class="note" id="home-split">{split}</p>' if split else ""
    sections = [
        f'<section id="verdict-section"><h2>Verdict</h2>{_verdict(package)}'
        f"{_two_statements(package)}{split_html}"
        f"<h3>Success criteria</h3>{_criteria(package)}</section>",
        _section("headline-section", "Headline numbers", _headline(package)),
        _section("hypotheses", "Hypothesis results", _block(package, "hypothesis_results")),
        _section("claims", "Claims family (family-wise error control)",
                 _block(package, "claims_family"), split),
        _section("controls", "Controls: OI placebo and direction-only null",
                 _block(package, "controls")),
        _section("regimes", "The edge per regime (exploratory)", regimes_html(package)),
        _section("reach", "The verdict's reach (from the study)", reach_html(package)),
        _section("looks", "Repeated looks", _block(package, "repeated_looks")),
        _section("study", "The lab's measured error rates (calibration study)",
                 _block(package, "study_calibration")),
        _section("figures", "Figures", figures_html(package)),
        _secondary(package),
        _section("urgency", "Urgency classes", _block(package, "urgency_validation"),
                 _untested_note(package)),
        _section("risk", "Risk management", _block(package, "risk_management")),
        _section("null", "Null model design", _block(package, "null_model")),
        _section("prediction", "Prediction accuracy", _block(package, "prediction_accuracy")),
        _section("opposite", "Opposite hypothesis (pinning toward strikes)",
                 _block(package, "opposite_hypothesis")),
        _section("days", "Day pages: strongest pressure, largest wins and losses",
                 day_links_html(evidence_dir)),
        _section("statistics", "Statistical measures", _block(package, "statistical_measures")),
        _section("performance", "Performance metrics", _block(package, "performance_metrics")),
        _section("reproducibility", "Reproducibility protocol",
                 _block(package, "reproducibility_protocol")),
        _section("evidence", "Evidence files", _evidence_files(package, evidence_dir)),
    ]
    if other:
        sections.append(_section("other", "Other package contents", kv_table(other)))
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<title>Expiration Pressure Lab \u2014 evidence report</title>\n"
        f"<style>\n{page_css()}</style>\n</head>\n<body>\n<header>"
        "<h1>Expiration Pressure Lab \u2014 evidence report</h1>"
        f'<p class="meta">Validation timestamp: {stamp_html}. Built from the evidence package '
        "alone; nothing on this page is recomputed.</p>"
        f"{_nav()}</header>\n<main>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n"
    )


def write_report(package_path: Path, out_path: Path) -> Path:
    """Render the package at `package_path` to `out_path`, atomically, so a reader never
    sees a half-written page."""
    package_path, out_path = Path(package_path), Path(out_path)
    package = json.loads(package_path.read_text(encoding="utf-8"))
    page = render_report(package, evidence_dir=package_path.parent)
    return write_text_atomic(out_path, page, mode=REPORT_FILE_MODE)
