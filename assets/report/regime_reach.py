"""Two report sections read straight from the package: the edge per regime (a table) and
the verdict's reach (the study's statement of where VALIDATED becomes reachable)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from assets.report.renderer import NA, interval, num, value_html

SPLIT_TITLES = {"era_2022_05_11": "Before / from 2022-05-11 (daily SPXW expirations)",
                "iv_tercile": "Pre-open ATM implied volatility, terciles (past-only cut points)",
                "dealer_positioning": "Dealer positioning (user-supplied sign)"}


def _status(split: Mapping[str, Any]) -> str:
    if split.get("status") != "TESTED":
        return f"not tested: {escape(str(split.get('reason') or ''))}"
    claimed = "CLAIMED" if split.get("claimed") else "not claimed"
    return (f"Wald F p = {num(split.get('p_value'))}, family-adjusted "
            f"{num(split.get('adjusted_p_value'))}: {claimed} (exploratory)")


def regimes_html(package: Mapping[str, Any]) -> str:
    block = package.get("regimes")
    if not isinstance(block, Mapping) or not isinstance(block.get("splits"), Mapping):
        return '<p class="nodata">No data: the package has no regimes.</p>'
    head = ("<tr><th>split</th><th>regime</th><th>trades</th><th>days</th>"
            "<th>mean edge (points)</th><th>95 % CI (date-clustered)</th></tr>")
    rows = []
    for name, split in block["splits"].items():
        title = escape(SPLIT_TITLES.get(name, name))
        regimes = split.get("regimes") or []
        if not regimes:
            rows.append(f"<tr><td>{title}</td><td colspan=\"5\">{_status(split)}</td></tr>")
            continue
        for r in regimes:
            rows.append(f"<tr><td>{title}</td><td>{escape(str(r.get('regime')))}</td>"
                        f"<td>{num(r.get('n_trades'))}</td><td>{num(r.get('n_days'))}</td>"
                        f"<td>{num(r.get('mean_edge_points'))}</td>"
                        f"<td>{interval(r.get('confidence_interval'))}</td></tr>")
        rows.append(f"<tr><td>{title}</td><td colspan=\"5\">{_status(split)}</td></tr>")
    note = (f"<p class=\"note\">Edge: {escape(str(block.get('edge', '')))}. "
            f"{escape(str(block.get('inference', '')))}.</p>")
    return f'{note}<table class="regimes">{head}{"".join(rows)}</table>'


def reach_html(package: Mapping[str, Any]) -> str:
    reach = (package.get("study_calibration") or {}).get("verdict_reach")
    if not isinstance(reach, Mapping):
        return ('<p class="nodata">The verdict\u2019s reach is unknown: no study for this '
                "procedure (run <code>pressure-lab study</code>).</p>")
    statement = escape(str(reach.get("statement") or NA))
    return f'<p class="reach">{statement}</p>{value_html(dict(reach))}'
