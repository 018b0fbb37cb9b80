"""The lab's figures as PNG bytes: one figure size, one style, no global pyplot state.

Every page (the reviewer's report, the study page, the sweep page) draws through
`new_figure` and `draw`, so a user's matplotlibrc cannot change the bytes and the same
inputs give the same picture. The day pages, drawn by the hundred, are SVG written
directly (`assets.report.svg`).
"""

from __future__ import annotations

import io

DPI = 100
WIDTH_IN = 8.0


def new_figure(height_in: float, nrows: int = 1, **kwargs):
    """A figure of the lab's width with `nrows` stacked axes (an Agg canvas, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, squeeze=False, **kwargs)[:, 0]
    return fig, axes


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def draw(builder, *args) -> bytes:
    """Run a figure builder under matplotlib's default style and return the PNG."""
    import matplotlib
    import matplotlib.style

    with matplotlib.style.context("default"), matplotlib.rc_context(
            {"font.size": 9, "axes.titlesize": 10}):
        return png_bytes(builder(*args))
