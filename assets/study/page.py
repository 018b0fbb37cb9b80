"""The study's HTML page: four figures and the numbers behind them, from study.json alone."""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from assets.common.plotting import draw, new_figure


def _fp_figure(fp: Mapping[str, Any], level: float = 0.05):
    names = [k for k in fp if fp[k]["n"]]
    fig, (ax,) = new_figure(0.3 * len(names) + 1.2)
    y = np.arange(len(names))
    rate = np.array([fp[k]["rate"] for k in names], dtype=float)
    lo = np.array([fp[k]["clopper_pearson"][0] for k in names], dtype=float)
    hi = np.array([fp[k]["clopper_pearson"][1] for k in names], dtype=float)
    ax.errorbar(rate, y, xerr=[rate - lo, hi - rate], fmt="o", capsize=3)
    ax.axvline(level, color="#d62728", ls="--", lw=1, label=f"alpha = {level:.3g}")
    ax.set_yticks(y, names)
    ax.set_xlabel("false-positive rate on null worlds (Clopper-Pearson 95 % CI)")
    ax.set_xlim(0, max(0.2, float(np.nanmax(hi)) if hi.size else 0.2))
    ax.legend(loc="lower right")
    return fig


def _p_figure(uni: Mapping[str, Any]):
    fig, (ax,) = new_figure(2.8)
    edges = np.array(uni["histogram"]["bin_edges"], dtype=float)
    counts = np.array(uni["histogram"]["counts"], dtype=float)
    ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", edgecolor="white")
    ax.axhline(counts.sum() / counts.size, color="#d62728", ls="--", lw=1, label="uniform")
    ax.set_xlabel("primary p-value (matched random-entry null) on null worlds")
    ax.set_ylabel("worlds")
    ax.set_title(f"KS vs U(0,1): p = {uni['ks_p_value']:.3g}" if uni["ks_p_value"] is not None
                 else "KS: no data")
    ax.legend()
    return fig


def _power_figure(power: Mapping[str, Any]):
    scenarios = sorted(power)
    fig, axes = new_figure(3.0 * max(1, len(scenarios)), nrows=max(1, len(scenarios)))
    for ax, scenario in zip(axes, scenarios, strict=False):
        rows = power[scenario]
        x = [r["strength"] for r in rows]
        names = sorted({k for r in rows for k in r["claims"]})
        for name in names:
            y = [r["claims"].get(name, {}).get("rate") for r in rows]
            bold = name in ("edge_vs_random", "verdict_validated", "opposite_direction")
            ax.plot(x, [np.nan if v is None else v for v in y], marker="o",
                    lw=2.5 if bold else 0.8, label=name)
        ax.set_xscale("log", base=2)
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"{scenario}: power vs planted strength (x default)")
        ax.set_ylabel("share of worlds claimed")
        ax.legend(fontsize=6, ncol=2)
    axes[-1].set_xlabel("strength (multiple of the generator's default)")
    return fig


def _z_figure(z: Mapping[str, Any]):
    keys = [k for k in z if z[k].get("n")]
    fig, (ax,) = new_figure(3.0)
    ax.boxplot([z[k]["values"] for k in keys])
    ax.set_xticks(range(1, len(keys) + 1), keys, rotation=45, ha="right", fontsize=7)
    ax.axhline(0, color="#7f7f7f", lw=0.8)
    ax.set_ylabel("z = (observed - null mean) / null sd")
    return fig


def _img(png: bytes, alt: str) -> str:
    return (f'<img alt="{html.escape(alt)}" src="data:image/png;base64,'
            f'{base64.b64encode(png).decode()}">')


def _fp_row(name: str, v: Mapping[str, Any]) -> str:
    if not v["n"]:
        return f"<tr><td>{html.escape(name)}</td><td>0/0</td><td>n/a</td><td>n/a</td></tr>"
    lo, hi = v["clopper_pearson"]
    return (f"<tr><td>{html.escape(name)}</td><td>{v['count']}/{v['n']}</td>"
            f"<td>{v['rate']:.3f}</td><td>{lo:.3f}–{hi:.3f}</td></tr>")


def _fp_table(fp: Mapping[str, Any]) -> str:
    rows = "".join(_fp_row(k, v) for k, v in fp.items())
    return ("<table><tr><th>claim</th><th>claimed / tested</th><th>rate</th>"
            f"<th>95 % Clopper-Pearson</th></tr>{rows}</table>")


def render_study_page(study: Mapping[str, Any]) -> str:
    parts = ["<h1>Expiration Pressure Lab — calibration study</h1>"
             f"<p>{study['n_null_worlds']} null worlds, span {html.escape(str(study['span']))}, "
             f"replications {html.escape(str(study['replications']))}, procedure digest "
             f"<code>{study['procedure_digest'][:12]}</code>.</p>"]
    fp = study["false_positive_rates"]
    if fp:
        level = study.get("family_alpha", study["alpha"])
        parts += ["<h2>False-positive rate per claim</h2>",
                  _img(draw(_fp_figure, fp, level), "fp"),
                  _fp_table(fp)]
        parts += ["<h2>Primary p-value on null worlds</h2>",
                  _img(draw(_p_figure, study["primary_p_uniformity"]), "p histogram")]
    if study["power"]:
        parts += ["<h2>Power per claim and of the verdict</h2>",
                  _img(draw(_power_figure, study["power"]), "power")]
    cp = study.get("calendar_placebo")
    if cp:
        rows = "".join(_fp_row(label, cp[key]) for label, key in (
            ("power: steering on expiration days only", "power_expiration_only"),
            ("false positive: steering on every session", "false_positive_every_session"),
            ("false positive: no steering", "false_positive_null"),
            ("edge_vs_random, expiration days only", "edge_vs_random_expiration_only"),
            ("edge_vs_random, every session", "edge_vs_random_every_session")))
        parts += [f"<h2>Calendar placebo: {html.escape(cp['claim'])}</h2>"
                  f"<p>Worlds of {html.escape(str(cp['span']))} with every session written, "
                  f"steering x{cp['strength']:g}; claimed over every world of the scenario.</p>"
                  "<table><tr><th>scenario</th><th>claimed / worlds</th><th>rate</th>"
                  f"<th>95 % Clopper-Pearson</th></tr>{rows}</table>"]
    sel = study.get("selection")
    if sel:
        parts += [f"<h2>Selection: the best of {sel['n_variants']} variants on "
                  f"{sel['n_worlds']} null worlds, run as the config</h2>",
                  _fp_table({**sel["false_positive_rates"],
                             "any_confirmatory_claim": sel["any_confirmatory_claim"]})]
    reach = study.get("verdict_reach")
    if reach:
        parts += ["<h2>The verdict's reach</h2>",
                  f"<p>{html.escape(str(reach['statement']))}</p>"]
    parts += ["<h2>Spread of z</h2>", _img(draw(_z_figure, study["z_spread"]), "z")]
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Calibration study</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
            "td,th{padding:2px 8px;border-bottom:1px solid #ddd}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")


def write_study_page(study: Mapping[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(render_study_page(study), encoding="utf-8")
    return path
