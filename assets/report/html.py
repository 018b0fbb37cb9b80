"""The reviewer's report: one self-contained HTML page built from the evidence package alone.

The page recomputes nothing: every number comes from the package (figures from its
`figures` section), so what a reviewer reads is exactly what the lab concluded. It must open
offline and stay readable whatever the package holds: missing or non-finite values read
"n/a", a figure without data becomes a note, all package text is HTML-escaped, and a
Content-Security-Policy forbids loading anything but the embedded images. The output is a
pure function of the package (and the files beside it): no clock, no randomness.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import os
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from assets.report import figures as fig

logger = logging.getLogger(__name__)

NA = '<span class="na">n/a</span>'
MAX_DEPTH = 4  # deeper structures are shown as JSON text
LIST_PREVIEW = 40  # scalar lists longer than this are cut, with their length shown
VERDICT_CLASSES = {"VALIDATED": "validated", "REJECTED": "rejected",
                   "INSUFFICIENT_DATA": "insufficient"}
# Top-level keys with a place of their own on the page; anything else goes to "Other".
KNOWN_KEYS = ("experimental_validity", "hypothesis_results", "statistical_measures",
              "performance_metrics", "success_criteria", "secondary_hypotheses",
              "urgency_validation", "risk_management", "null_model", "prediction_accuracy",
              "opposite_hypothesis", "empirical_evidence", "reproducibility_protocol",
              "validation_timestamp", "figures")
# Record keys that lead a table's columns when present (a verdict before its numbers).
LEAD_COLUMNS = ("status", "summary", "conclusion")

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
margin:0 auto;max-width:1100px;padding:1.2rem 1.6rem 3rem;color:#1d1d1f;line-height:1.45}
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin-top:2.2rem;
border-bottom:2px solid #ddd;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .4rem}
.meta{color:#555;font-size:.9rem}
.verdict{display:inline-block;font-size:2.4rem;font-weight:800;letter-spacing:.04em;
padding:.4rem 1.4rem;border-radius:.5rem;margin:.8rem 0;color:#fff;background:#6b6b6b}
.verdict.validated{background:#1e7d32}.verdict.rejected{background:#c62828}
.verdict.insufficient{background:#e0a100;color:#1d1d1f}
table{border-collapse:collapse;margin:.4rem 0;font-size:.88rem}
th,td{border:1px solid #d0d0d0;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;font-weight:600}td{overflow-wrap:break-word;min-width:3rem}
section{overflow-x:auto}
table table{margin:0;font-size:.85rem}
th.hl{background:#fff3c4}
.ok{color:#1e7d32;font-weight:700}.bad{color:#c62828;font-weight:700}
.na{color:#8a8a8a;font-style:italic}
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:.8rem 0}
.card{border:1px solid #d0d0d0;border-radius:.5rem;padding:.6rem .9rem;min-width:10rem}
.card .label{font-size:.8rem;color:#555}.card .value{font-size:1.5rem;font-weight:700}
.card .sub{font-size:.8rem;color:#555}
figure{margin:1rem 0}figure img{max-width:100%;height:auto;border:1px solid #e5e5e5}
figcaption{font-size:.85rem;color:#444}
.nodata{border:1px dashed #bbb;background:#fafafa;color:#555;padding:.8rem 1rem}
.note{font-size:.85rem;color:#444}
pre{white-space:pre-wrap;word-break:break-all;font-size:.8rem;margin:0}
nav a{margin-right:.8rem;font-size:.9rem}
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


# --------------------------------------------------------------------------- values


def _finite(value: Any) -> float | None:
    """A finite JSON number as float, else None (None, NaN, inf, text, bool)."""
    number = fig.as_float(value)
    return number if math.isfinite(number) else None


def fmt_number(x: float) -> str:
    """A compact, stable rendering of a float: n/a for NaN, ±inf spelled out."""
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    ax = abs(x)
    if ax >= 1e15:
        return f"{x:.4g}"
    if ax >= 1000:
        return f"{x:,.0f}" if x == int(x) else f"{x:,.2f}"
    if ax >= 1e-3:
        return f"{x:.4g}"
    return f"{x:.3g}"


def pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage (HTML); n/a when missing."""
    x = _finite(value)
    return NA if x is None else escape(f"{100 * x:.{digits}f}%")


def num(value: Any) -> str:
    """A number as HTML; n/a when missing or not finite."""
    x = _finite(value)
    if x is None:
        return NA
    if isinstance(value, int) and not isinstance(value, bool):
        return escape(str(value))
    return escape(fmt_number(x))


def interval(value: Any, as_percent: bool = False) -> str:
    """A [lo, hi] pair as HTML; n/a unless both ends are finite numbers."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return NA
    lo, hi = _finite(value[0]), _finite(value[1])
    if lo is None or hi is None:
        return NA
    render = pct if as_percent else num
    return f"[{render(lo)}, {render(hi)}]"


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, np.generic))


def value_html(value: Any, depth: int = 0) -> str:
    """Any JSON value as escaped HTML: scalars inline, containers as (nested) tables."""
    if isinstance(value, np.generic):  # a package passed in memory, not yet through JSON
        value = value.item()
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if value is None:
        return NA
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, str):
        return escape(value) if value else '<span class="na">(empty)</span>'
    if isinstance(value, Mapping):
        return mapping_html(value, depth)
    if isinstance(value, (list, tuple)):
        return list_html(value, depth)
    return escape(str(value))


def _json_pre(value: Any) -> str:
    text = json.dumps(value, indent=1, sort_keys=False, default=str, allow_nan=True)
    return f"<pre>{escape(text)}</pre>"


def list_html(items: Sequence[Any], depth: int = 0) -> str:
    if not items:
        return '<span class="na">(none)</span>'
    if depth >= MAX_DEPTH:
        return _json_pre(list(items))
    if all(_is_scalar(v) for v in items):
        shown = ", ".join(value_html(v, depth + 1) for v in items[:LIST_PREVIEW])
        more = f", … ({len(items)} values)" if len(items) > LIST_PREVIEW else ""
        return f"[{shown}{more}]"
    if all(isinstance(v, Mapping) for v in items):
        return records_table([(None, v) for v in items], depth)
    return "<ol>" + "".join(f"<li>{value_html(v, depth + 1)}</li>" for v in items) + "</ol>"


def _th(key: Any) -> str:
    text = str(key)
    cls = ' class="hl"' if ("holm" in text.lower() or "adjust" in text.lower()) else ""
    return f"<th{cls}>{escape(text)}</th>"


def records_table(rows: Sequence[tuple[Any, Mapping]], depth: int = 0,
                  first_header: str = "") -> str:
    """Rows of mappings as one table. Keys held by more than half of the rows get a column
    (status/summary first, then in order of first appearance); a row's other keys go to a
    "details" cell, so unlike records (one test each) stay readable side by side."""
    counts: dict[Any, int] = {}
    for _, row in rows:
        for key in row:
            counts[key] = counts.get(key, 0) + 1
    common = [k for k, c in counts.items() if 2 * c > len(rows) or len(rows) == 1]
    columns = [k for k in LEAD_COLUMNS if k in common] + [
        k for k in common if k not in LEAD_COLUMNS]
    has_details = any(k not in common for k in counts)
    labelled = any(label is not None for label, _ in rows)
    head = (f"<th>{escape(first_header)}</th>" if labelled else "") + "".join(
        _th(c) for c in columns) + ("<th>details</th>" if has_details else "")
    body = []
    for label, row in rows:
        cells = "".join(f"<td>{value_html(row.get(c), depth + 1) if c in row else NA}</td>"
                        for c in columns)
        if has_details:
            rest = {k: v for k, v in row.items() if k not in common}
            cells += f"<td>{kv_table(rest, depth + 1) if rest else ''}</td>"
        lead = f"<th>{escape(str(label))}</th>" if labelled else ""
        body.append(f"<tr>{lead}{cells}</tr>")
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def kv_table(mapping: Mapping, depth: int = 0) -> str:
    rows = "".join(f"<tr>{_th(k)}<td>{value_html(v, depth + 1)}</td></tr>"
                   for k, v in mapping.items())
    return f'<table class="kv"><tbody>{rows}</tbody></table>'


def mapping_html(mapping: Mapping, depth: int = 0) -> str:
    """A mapping whose entries are mostly records (e.g. one per hypothesis) as a records
    table plus a key/value table for the rest; otherwise one key/value table."""
    if not mapping:
        return '<span class="na">(none)</span>'
    if depth >= MAX_DEPTH:
        return _json_pre(dict(mapping))
    alike = _alike_records(mapping)
    if len(alike) >= 2:
        rest = {k: v for k, v in mapping.items() if k not in alike}
        out = records_table([(k, mapping[k]) for k in alike], depth)
        return out + (kv_table(rest, depth) if rest else "")
    return kv_table(mapping, depth)


def _alike_records(mapping: Mapping) -> list[Any]:
    """Keys of the entries that are records of one kind: non-empty mappings holding at
    least half of the keys that most such entries share (e.g. one entry per hypothesis,
    beside a `family` note, or one per urgency class)."""
    records = {k: v for k, v in mapping.items() if isinstance(v, Mapping) and v}
    counts: dict[Any, int] = {}
    for v in records.values():
        for key in v:
            counts[key] = counts.get(key, 0) + 1
    core = {k for k, c in counts.items() if 2 * c > len(records)}
    if not core:
        return []
    return [k for k, v in records.items() if 2 * len(core.intersection(v)) >= len(core)]


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def _keys_anywhere(value: Any, depth: int = 0) -> set[str]:
    if depth > MAX_DEPTH:
        return set()
    if isinstance(value, Mapping):
        found = {str(k) for k in value}
        for v in value.values():
            found |= _keys_anywhere(v, depth + 1)
        return found
    if isinstance(value, (list, tuple)):
        return set().union(*(_keys_anywhere(v, depth + 1) for v in value)) if value else set()
    return set()


# --------------------------------------------------------------------------- sections


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
        _th(k) for k in extra)
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
    n = n if _finite(n) is not None else stats.get("sample_size")
    drawdown = perf.get("maximum_drawdown")
    drawdown_html = (value_html(drawdown, 1) if isinstance(drawdown, Mapping)
                     else pct(drawdown))
    dd_points = perf.get("maximum_drawdown_points")
    cards = [
        _card("Win rate", pct(perf.get("win_rate")),
              f"95% CI {interval(perf.get('win_rate_confidence_interval'), as_percent=True)}"),
        _card("Sharpe (annualized daily)", num(perf.get("sharpe_ratio")),
              "daily P&amp;L, 0 on days without a trade, &#215; &#8730;252"),
        _card("p-value", num(stats.get("p_value")), "against the random-entry null"),
        _card("Sample size", num(n), "scored trades"),
        _card("Max drawdown", drawdown_html,
              "of account equity" + (f"; {num(dd_points)} points" if dd_points is not None
                                     else "")),
        _card("Average win / loss", f"{num(perf.get('average_win_points'))} / "
              f"{num(perf.get('average_loss_points'))}", "points per contract"),
    ]
    return f'<div class="cards" id="headline">{"".join(cards)}</div>'


def _figure_html(anchor: str, title: str, caption: str, draw: Callable[[], bytes]) -> str:
    try:
        png = draw()
    except fig.NoFigureData as exc:
        body = f'<p class="nodata">No data: {escape(str(exc))}.</p>'
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError) as exc:
        logger.warning("report figure %s could not be drawn", anchor, exc_info=True)
        body = f'<p class="nodata">This figure could not be drawn: {escape(str(exc))}</p>'
    else:
        data = base64.b64encode(png).decode("ascii")
        body = (f'<img src="data:image/png;base64,{data}" alt="{escape(title)}" '
                f'width="{int(fig.WIDTH_IN * fig.DPI)}">')
    return (f'<figure id="{anchor}"><h3>{escape(title)}</h3>{body}'
            f"<figcaption>{caption}</figcaption></figure>")


def _min_class_trades(package: Mapping) -> float:
    """The per-class minimum sample, as the package states it; the lab's default otherwise."""
    for path in (("urgency_validation", "min_sample_size"),
                 ("urgency_validation", "min_class_trades"),
                 ("reproducibility_protocol", "config", "validation", "min_class_trades")):
        value = _finite(_get(package, *path))
        if value is not None:
            return value
    from assets.common.config import ValidationConfig

    return float(ValidationConfig().min_class_trades)


def _figures(package: Mapping) -> str:
    figs = package.get("figures")
    figs = figs if isinstance(figs, Mapping) else {}
    min_trades = _min_class_trades(package)
    classes = fig.urgency_classes(package.get("urgency_validation"), min_trades)
    null_rate = _finite(_get(package, "null_model", "null_win_rate"))
    p_value = _finite(_get(package, "statistical_measures", "p_value"))
    parts = [
        _figure_html("fig-equity", "Equity curve and drawdown",
                     "Account equity at each day's close (top) and its drawdown below the "
                     "running peak, in % of equity (bottom).",
                     lambda: fig.equity_figure(figs.get("equity_curve"))),
        _figure_html("fig-urgency", "Win rate by urgency class",
                     "Observed win rate with its 95% interval per class; red bars are the "
                     f"seed's targets. Classes with fewer than {escape(fmt_number(min_trades))} "
                     "trades are not tested and are marked as such.",
                     lambda: fig.urgency_figure(classes, min_trades,
                                                math.nan if null_rate is None else null_rate)),
        _figure_html("fig-null", "Observed statistic vs the null distribution",
                     "Histogram of the statistic over the random-entry Monte Carlo "
                     "replications; the red line is the strategy's observed value.",
                     lambda: fig.null_figure(figs.get("null_distribution"),
                                             math.nan if p_value is None else p_value,
                                             _get(package, "null_model", "statistic"))),
        _figure_html("fig-pressure-move", "Pressure against the realized move",
                     "Each point is an alert: its log10 pressure and the move that followed, "
                     "coloured by urgency class.",
                     lambda: fig.pressure_move_figure(figs.get("pressure_vs_move"))),
        _figure_html("fig-heatmap", "Pressure heat map of the example day",
                     "log10 pressure per strike (rows) and minute to expiry (columns); grey "
                     "cells have no value.",
                     lambda: fig.heatmap_figure(figs.get("heatmap"))),
    ]
    return _section("figures", "Figures", "".join(parts))


def _untested_note(package: Mapping) -> str:
    min_trades = _min_class_trades(package)
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
    holm = sorted(k for k in _keys_anywhere(value) if "holm" in k.lower())
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
             ("secondary", "Secondary hypotheses"), ("risk", "Risk management"),
             ("null", "Null model"), ("prediction", "Prediction accuracy"),
             ("opposite", "Opposite hypothesis"), ("reproducibility", "Reproducibility")]
    return "<nav>" + "".join(f'<a href="#{a}">{escape(t)}</a>' for a, t in links) + "</nav>"


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
    sections = [
        f'<section id="verdict-section"><h2>Verdict</h2>{_verdict(package)}'
        f"<h3>Success criteria</h3>{_criteria(package)}</section>",
        _section("headline-section", "Headline numbers", _headline(package)),
        _section("hypotheses", "Hypothesis results", _block(package, "hypothesis_results")),
        _figures(package),
        _secondary(package),
        _section("urgency", "Urgency classes", _block(package, "urgency_validation"),
                 _untested_note(package)),
        _section("risk", "Risk management", _block(package, "risk_management")),
        _section("null", "Null model design", _block(package, "null_model")),
        _section("prediction", "Prediction accuracy", _block(package, "prediction_accuracy")),
        _section("opposite", "Opposite hypothesis (pinning toward strikes)",
                 _block(package, "opposite_hypothesis")),
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
        f"<style>{CSS}</style>\n</head>\n<body>\n<header>"
        "<h1>Expiration Pressure Lab \u2014 evidence report</h1>"
        f'<p class="meta">Validation timestamp: {stamp_html}. Built from the evidence package '
        "alone; nothing on this page is recomputed.</p>"
        f"{_nav()}</header>\n<main>\n" + "\n".join(sections) + "\n</main>\n</body>\n</html>\n"
    )


def write_report(package_path: Path, out_path: Path) -> Path:
    """Render the package at `package_path` to `out_path`, atomically (temp file in the same
    folder, then os.replace), so a reader never sees a half-written page."""
    package_path, out_path = Path(package_path), Path(out_path)
    package = json.loads(package_path.read_text(encoding="utf-8"))
    page = render_report(package, evidence_dir=package_path.parent)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp",
                                    dir=out_path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, out_path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return out_path
