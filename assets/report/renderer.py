"""Any JSON value as escaped HTML: numbers, percentages, intervals and (nested) tables.

Knows nothing of the evidence package: it renders whatever a section hands it, so a key the
package gains later still shows up on the page. It stays readable whatever the value holds:
missing or non-finite numbers read "n/a", every text is HTML-escaped, and structures deeper
than `MAX_DEPTH` or lists longer than `LIST_PREVIEW` are shown as JSON text or cut.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import numpy as np

from assets.report.figures import as_float

NA = '<span class="na">n/a</span>'
MAX_DEPTH = 4  # deeper structures are shown as JSON text
LIST_PREVIEW = 40  # scalar lists longer than this are cut, with their length shown
# Record keys that lead a table's columns when present (a verdict before its numbers).
LEAD_COLUMNS = ("status", "summary", "conclusion")


def finite_number(value: Any) -> float | None:
    """A finite JSON number as float, else None (None, NaN, inf, text, bool)."""
    number = as_float(value)
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
    x = finite_number(value)
    return NA if x is None else escape(f"{100 * x:.{digits}f}%")


def num(value: Any) -> str:
    """A number as HTML; n/a when missing or not finite."""
    x = finite_number(value)
    if x is None:
        return NA
    if isinstance(value, int) and not isinstance(value, bool):
        return escape(str(value))
    return escape(fmt_number(x))


def interval(value: Any, as_percent: bool = False) -> str:
    """A [lo, hi] pair as HTML; n/a unless both ends are finite numbers."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2:
        return NA
    lo, hi = finite_number(value[0]), finite_number(value[1])
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


def header_cell(key: Any) -> str:
    """A table header; multiplicity-adjusted keys (Holm, adjusted) are highlighted."""
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
        header_cell(c) for c in columns) + ("<th>details</th>" if has_details else "")
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
    rows = "".join(f"<tr>{header_cell(k)}<td>{value_html(v, depth + 1)}</td></tr>"
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


def value_at(data: Any, *path: str) -> Any:
    """The value under a path of keys, or None where the path breaks off."""
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)
    return data


def keys_anywhere(value: Any, depth: int = 0) -> set[str]:
    """Every mapping key in a nested value (down to `MAX_DEPTH`)."""
    if depth > MAX_DEPTH:
        return set()
    if isinstance(value, Mapping):
        found = {str(k) for k in value}
        for v in value.values():
            found |= keys_anywhere(v, depth + 1)
        return found
    if isinstance(value, (list, tuple)):
        return set().union(*(keys_anywhere(v, depth + 1) for v in value)) if value else set()
    return set()
