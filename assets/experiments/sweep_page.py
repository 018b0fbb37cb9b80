"""The sweep's HTML page beside sweep.json: three figures (PNG embedded) and the numbers.

- Sharpe over two chosen grid parameters as a heat map (the best over the other
  parameters in each cell, as a researcher scanning the grid would see it);
- the PBO logit histogram (mass at or left of 0 is the probability of overfitting);
- the walk-forward equity against the in-sample best variant's over the same days (the
  latter is labelled as a selection on the whole sample, never as out of sample).
Drawn from the document's numbers alone, with the report's figure conventions.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from assets.common.plotting import draw, new_figure

PAGE_FILE = "sweep.html"


def heatmap_axes(document: Mapping[str, Any], params: Sequence[str] | None = None
                 ) -> tuple[str, str | None]:
    """The two parameters of the heat map: the ones asked for, else the grid's first two."""
    grid = document["grid"]
    chosen = list(params) if params else list(grid)[:2]
    for p in chosen:
        if p not in grid:
            raise ValueError(f"heat-map parameter {p!r} is not a path of the grid "
                             f"({', '.join(grid)})")
    return chosen[0], (chosen[1] if len(chosen) > 1 else None)


def sharpe_table(document: Mapping[str, Any], x: str, y: str | None) -> np.ndarray:
    """(len(y values), len(x values)) best annualized Sharpe per cell (NaN if none)."""
    grid = document["grid"]
    xs = [json.dumps(v) for v in grid[x]]
    ys = [json.dumps(v) for v in grid[y]] if y else ["null"]
    table = np.full((len(ys), len(xs)), np.nan)
    for v in document["variants"]:
        s = v["sharpe_ratio"]
        if s is None:
            continue
        i = ys.index(json.dumps(v["overrides"][y])) if y else 0
        j = xs.index(json.dumps(v["overrides"][x]))
        table[i, j] = s if np.isnan(table[i, j]) else max(table[i, j], s)
    return table


def _heatmap(document, x, y):
    fig, (ax,) = new_figure(3.6)
    table = sharpe_table(document, x, y)
    image = ax.imshow(table, cmap="RdBu_r", aspect="auto", origin="lower",
                      vmin=-np.nanmax(np.abs(table)), vmax=np.nanmax(np.abs(table)))
    ax.set_xticks(range(table.shape[1]), [str(v) for v in document["grid"][x]])
    ax.set_xlabel(x)
    ax.set_yticks(range(table.shape[0]), [str(v) for v in document["grid"][y]] if y else [""])
    ax.set_ylabel(y or "")
    for (i, j), value in np.ndenumerate(table):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8)
    fig.colorbar(image, ax=ax, label="Sharpe (best over the other paths)")
    ax.set_title("Sharpe over the grid (in-sample: every cell is a selection candidate)")
    return fig


def _logits(document):
    fig, (ax,) = new_figure(3.0)
    hist = document["pbo"]["logit_histogram"]
    edges, counts = np.array(hist["bin_edges"]), np.array(hist["counts"])
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color="#1f77b4")
    ax.axvline(0.0, color="#d62728", lw=1.2, label="logit 0 (median rank)")
    ax.set_xlabel("logit of the in-sample best's out-of-sample relative rank")
    ax.set_ylabel("combinations")
    ax.set_title(f"PBO = {document['pbo']['value']:.3f} over "
                 f"{document['pbo']['n_combinations']} CSCV combinations")
    ax.legend(loc="upper right")
    return fig


def _walk_forward(document):
    fig, (ax,) = new_figure(3.2)
    wf = document["walk_forward"]
    ax.plot(wf["equity"], color="#2ca02c", label="walk-forward (out of sample)")
    ax.plot(wf["in_sample_best_equity"], color="#7f7f7f", ls="--",
            label="best variant chosen on the whole sample (in-sample selection)")
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_xlabel(f"out-of-sample days from {wf['first_day']}")
    ax.set_ylabel("cumulative P&L ($)")
    ax.set_title("Anchored walk-forward against the in-sample best")
    ax.legend(loc="best")
    return fig


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _fmt(value: Any, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def render_sweep_page(document: Mapping[str, Any],
                      heatmap_params: Sequence[str] | None = None) -> str:
    x, y = heatmap_axes(document, heatmap_params)
    best, pbo, spa, wf = (document[k] for k in ("best", "pbo", "spa", "walk_forward"))
    figures = [_img(draw(_heatmap, document, x, y), "Sharpe heat map")]
    if pbo.get("logit_histogram"):
        figures.append(_img(draw(_logits, document), "PBO logit histogram"))
    figures.append(_img(draw(_walk_forward, document), "walk-forward equity"))
    rows = "".join(
        f"<tr><td><code>{v['config_digest'][:12]}</code></td>"
        f"<td>{html.escape(json.dumps(v['overrides']))}</td><td>{v['n_trades']}</td>"
        f"<td>{_fmt(v['win_rate'])}</td><td>{_fmt(v['mean_pnl_points'])}</td>"
        f"<td>{_fmt(v['sharpe_ratio'], '.2f')}</td></tr>" for v in document["variants"])
    summary = (
        f"<li>{document['n_variants']} variants in this sweep; N = {best['n_trials']} variants "
        f"tried on this dataset</li>"
        f"<li>best (in-sample choice) <code>{best['config_digest'][:12]}</code>: Sharpe "
        f"{_fmt(best['sharpe_ratio'], '.2f')}, deflated Sharpe "
        f"{_fmt(best['deflated_sharpe_ratio'])}, verdict after deflation "
        f"<b>{best['verdict_after_deflation']}</b></li>"
        f"<li>PBO {_fmt(pbo['value'])} ({pbo['blocks']} blocks)</li>"
        f"<li>SPA p-value {_fmt(spa['p_value'])} against {html.escape(spa['benchmark'])}</li>"
        f"<li>walk-forward (out of sample): Sharpe {_fmt(wf['sharpe_ratio'], '.2f')}, "
        f"p {_fmt(wf['p_value'])}</li>")
    title = html.escape(f"Sweep {document['name']} — {document['dataset']}")
    return (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}"
            f"</title></head><body><h1>{title}</h1><ul>{summary}</ul>"
            f"{''.join(f'<figure>{f}</figure>' for f in figures)}"
            "<h2>Variants</h2><table><tr><th>digest</th><th>overrides</th><th>trades</th>"
            f"<th>win rate</th><th>mean points</th><th>Sharpe</th></tr>{rows}</table>"
            "</body></html>\n")
