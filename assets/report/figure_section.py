"""The page's figures: each drawn from the package's `figures` data, or a note instead.

A figure that cannot be drawn (no data, or data the drawing code rejects) becomes a short
note on the page rather than a failed report: the reviewer still gets every number.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
from collections.abc import Callable, Mapping
from html import escape

from assets.report import figures as fig
from assets.report.renderer import finite_number, fmt_number, value_at

logger = logging.getLogger(__name__)


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


def min_class_trades(package: Mapping) -> float:
    """The per-class minimum sample, as the package states it; the lab's default otherwise."""
    for path in (("urgency_validation", "min_sample_size"),
                 ("urgency_validation", "min_class_trades"),
                 ("reproducibility_protocol", "config", "validation", "min_class_trades")):
        value = finite_number(value_at(package, *path))
        if value is not None:
            return value
    from assets.common.config import ValidationConfig

    return float(ValidationConfig().min_class_trades)


_last_drawn: tuple[str, str] = ("", "")  # (the package's hash, its figures' HTML)


def figures_html(package: Mapping) -> str:
    """The five figures of the page, each drawn from the package's own figure data. A run
    writes the same package's report twice (the evidence folder's and the run's copy), so
    the last package's figures are kept: drawing them is most of a report's cost."""
    global _last_drawn
    key = hashlib.sha256(json.dumps(package, sort_keys=True, default=str).encode()).hexdigest()
    if _last_drawn[0] != key:
        _last_drawn = (key, _draw_figures(package))
    return _last_drawn[1]


def _draw_figures(package: Mapping) -> str:
    figs = package.get("figures")
    figs = figs if isinstance(figs, Mapping) else {}
    min_trades = min_class_trades(package)
    classes = fig.urgency_classes(package.get("urgency_validation"), min_trades)
    null_rate = finite_number(value_at(package, "null_model", "null_win_rate"))
    p_value = finite_number(value_at(package, "statistical_measures", "p_value"))
    parts = [
        _figure_html("fig-equity", "Equity curve and drawdown",
                     "Account equity at each day's close (top) and its drawdown below the "
                     "running peak, in % of equity (bottom).",
                     lambda: fig.equity_figure(figs.get("equity_curve"))),
        _figure_html("fig-urgency", "Win rate by urgency class",
                     "Observed win rate with its 95% interval per class; red bars are the "
                     "specification's targets. Classes with fewer than "
                     f"{escape(fmt_number(min_trades))} trades are not tested and are marked "
                     "as such.",
                     lambda: fig.urgency_figure(classes, min_trades,
                                                math.nan if null_rate is None else null_rate)),
        _figure_html("fig-null", "Observed statistic vs the null distribution",
                     "Histogram of the statistic over the random-entry Monte Carlo "
                     "replications; the red line is the strategy's observed value.",
                     lambda: fig.null_figure(figs.get("null_distribution"),
                                             math.nan if p_value is None else p_value,
                                             value_at(package, "null_model", "statistic"))),
        _figure_html("fig-pressure-move", "Pressure against the realized move",
                     "Each point is an alert: its log10 pressure and the move that followed, "
                     "coloured by urgency class.",
                     lambda: fig.pressure_move_figure(figs.get("pressure_vs_move"))),
        _figure_html("fig-heatmap", "Pressure heat map of the example day",
                     "log10 pressure per strike (rows) and minute to expiry (columns); grey "
                     "cells have no value.",
                     lambda: fig.heatmap_figure(figs.get("heatmap"))),
    ]
    return "".join(parts)
