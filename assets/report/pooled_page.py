"""The pooled package's page: one row per underlying, the pooled edge, the settlement
contrast and the family, from the pooled package alone (`assets.validation.package.pooled`).
Self-contained (inline style, no script), like the per-underlying report.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from assets.report.renderer import num, value_html
from assets.report.sections import CSP, page_css

UNDERLYING_LINK = "{u}/report.html"


def _ci(ci: Any) -> str:
    lo, hi = (list(ci) + [None, None])[:2] if isinstance(ci, list | tuple) else (None, None)
    return f"[{num(lo)}, {num(hi)}]"


def _rows(package: Mapping[str, Any]) -> str:
    head = ("<tr><th>underlying</th><th>settlement</th><th>trades</th><th>edge (bp / trade)"
            "</th><th>95% CI (date-clustered)</th><th>its verdict</th><th>its claims</th>"
            "<th>in the pooled family</th></tr>")
    body = []
    for r in package.get("underlyings", []):
        u = escape(str(r.get("underlying")))
        pooled = ", ".join(f"{escape(k)}: {escape(str(v))}"
                           for k, v in (r.get("pooled_claims") or {}).items())
        own = ", ".join(escape(str(c)) for c in r.get("own_claims") or []) or "none"
        body.append(
            f'<tr><td><a href="{UNDERLYING_LINK.format(u=u)}">{u}</a></td>'
            f"<td>{escape(str(r.get('settlement')))}</td><td>{num(r.get('n_trades'))}</td>"
            f"<td>{num(r.get('edge_bp'))}</td><td>{_ci(r.get('edge_bp_ci'))}</td>"
            f"<td>{escape(str(r.get('verdict')))}</td><td>{own}</td><td>{pooled}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _test(block: Mapping[str, Any], title: str) -> str:
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in (
        ("estimate (bp / trade)", num(block.get("estimate_bp"))),
        ("95% CI", _ci(block.get("ci_bp"))), ("clustered SE", num(block.get("se_bp"))),
        ("t", num(block.get("t"))), ("df (dates - 1)", num(block.get("df"))),
        ("one-sided p", num(block.get("p_value"))), ("trades", num(block.get("n_trades"))),
        ("dates", num(block.get("n_dates")))))
    reason = block.get("reason")
    note = f'<p class="note">{escape(str(reason))}</p>' if reason else ""
    return f"<h3>{escape(title)}</h3>{note}<table>{rows}</table>"


def _split_note(family: Mapping[str, Any]) -> str:
    split = family.get("home_split")
    if not isinstance(split, Mapping) or not split.get("statement"):
        return ""
    return (f"<p class=\"note\" id=\"home-split\">One error rate for the home: "
            f"{escape(str(split['statement']))}.</p>")


def render_pooled_report(package: Mapping[str, Any]) -> str:
    hyp = package.get("hypothesis_results") or {}
    lines = "".join(f"<li><b>{escape(k)}</b>: {escape(str(hyp.get(k)))}</li>"
                    for k in ("settlement_contrast", "edge_vs_random"))
    contrast = package.get("settlement_contrast") or {}
    family = package.get("claims_family") or {}
    body = (
        "<header><h1>Expiration Pressure Lab - pooled evidence</h1>"
        f"<p>{escape(str(package.get('unit', '')))}</p></header><main>"
        f"<section id=\"results\"><h2>Results</h2><ul>{lines}</ul></section>"
        f"<section id=\"underlyings\"><h2>One row per underlying</h2>{_rows(package)}"
        "</section><section id=\"contrast\"><h2>Settlement contrast</h2>"
        f"<p>physical: {escape(', '.join(contrast.get('physical') or []) or 'none')}; cash: "
        f"{escape(', '.join(contrast.get('cash') or []) or 'none')}</p>"
        f"{_test(contrast, 'physical minus cash')}"
        f"{_test(package.get('pooled_edge') or {}, 'pooled edge over random entries')}"
        f"<p class=\"note\">{escape(str(contrast.get('method', '')))}</p></section>"
        "<section id=\"family\"><h2>Claims family</h2>"
        f"<p class=\"note\">{escape(str(family.get('procedure', '')))}</p>"
        f"{_split_note(family)}"
        f"{value_html(family.get('claims', []))}</section>"
        "<section id=\"inputs\"><h2>Inputs</h2>"
        f"{value_html(package.get('inputs', {}))}</section></main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n"
            "<title>Pooled evidence - Expiration Pressure Lab</title>\n"
            f"<style>\n{page_css()}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n")


__all__ = ["render_pooled_report"]
