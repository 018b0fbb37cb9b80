"""A small SVG canvas for pictures drawn by the hundred: the day pages.

A matplotlib figure costs a tenth of a second or more to lay out and rasterize; a first run
draws one page per expiration day (a year: 252), which would be the slowest step of the
run. The day's picture is simple (bands, a price line, markers, segments, a heat map), so it
is written as SVG text directly: milliseconds a page. Raster layers (the heat map, a colour
scale) are PNGs coloured through matplotlib's colour maps and embedded as data URIs, so the
SVG is self-contained and renders offline, as an `<img>` too.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np

FONT = "DejaVu Sans, Verdana, sans-serif"


def colormap(name: str, values01: np.ndarray) -> np.ndarray:
    """RGBA uint8 of `values01` (NaN: transparent) through a matplotlib colour map."""
    from matplotlib import colormaps

    v = np.asarray(values01, dtype=float)
    rgba = (colormaps[name](np.clip(np.nan_to_num(v), 0.0, 1.0)) * 255).round().astype(np.uint8)
    rgba[~np.isfinite(v)] = 0
    return rgba


def png(rgba: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(buf, format="PNG",
                                                             compress_level=6)
    return buf.getvalue()


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """Round tick values inside [lo, hi], about `n` of them."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n - 1, 1)
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if raw <= m * step)
    first = math.ceil(lo / step) * step
    return [round(first + k * step, 10) for k in range(int((hi - first) / step + 1e-9) + 1)]


@dataclass(frozen=True)
class Panel:
    """A plotting area: data (xlim, ylim) onto pixels (left, top, width, height)."""

    left: float
    top: float
    width: float
    height: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def x(self, v):
        lo, hi = self.xlim
        return self.left + (np.asarray(v, dtype=float) - lo) / (hi - lo) * self.width

    def y(self, v):
        lo, hi = self.ylim
        return self.top + self.height - (np.asarray(v, dtype=float) - lo) / (hi - lo) \
            * self.height

    @property
    def bottom(self) -> float:
        return self.top + self.height

    @property
    def right(self) -> float:
        return self.left + self.width


def _f(v: float) -> str:
    return f"{float(v):.1f}"


class Svg:
    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.parts: list[str] = []

    def clip(self, ident: str, p: Panel) -> None:
        self.parts.append(f'<clipPath id="{ident}"><rect x="{_f(p.left)}" y="{_f(p.top)}" '
                          f'width="{_f(p.width)}" height="{_f(p.height)}"/></clipPath>')

    def rect(self, x, y, w, h, fill: str, opacity: float = 1.0, stroke: str = "none",
             clip: str = "") -> None:
        c = f' clip-path="url(#{clip})"' if clip else ""
        self.parts.append(f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" '
                          f'fill="{fill}" fill-opacity="{opacity:.3g}" stroke="{stroke}"{c}/>')

    def path(self, d: str, stroke: str = "none", width: float = 1.0, fill: str = "none",
             opacity: float = 1.0, clip: str = "") -> None:
        c = f' clip-path="url(#{clip})"' if clip else ""
        self.parts.append(f'<path d="{d}" stroke="{stroke}" stroke-width="{width:.3g}" '
                          f'fill="{fill}" opacity="{opacity:.3g}" stroke-linejoin="round" '
                          f'stroke-linecap="round"{c}/>')

    def polyline(self, xs: Sequence[float], ys: Sequence[float], **style) -> None:
        pts = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x + y)]
        if pts:
            self.path("M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in pts), **style)

    def circle(self, x, y, r: float, stroke: str, fill: str = "none", width: float = 1.0):
        self.parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{r:.3g}" stroke="{stroke}" '
                          f'stroke-width="{width:.3g}" fill="{fill}"/>')

    def triangle(self, x, y, size: float, up: bool, fill: str) -> None:
        s = size if up else -size
        self.path(f"M{_f(x)},{_f(y - s)} L{_f(x - size * 0.8)},{_f(y + s * 0.6)} "
                  f"L{_f(x + size * 0.8)},{_f(y + s * 0.6)} Z", stroke="#000", width=0.5,
                  fill=fill)

    def text(self, x, y, s: str, size: float = 10, anchor: str = "start",
             color: str = "#222", rotate: float | None = None, weight: str = "normal") -> None:
        turn = f' transform="rotate({rotate:.0f} {_f(x)} {_f(y)})"' if rotate else ""
        self.parts.append(f'<text x="{_f(x)}" y="{_f(y)}" font-size="{size:.3g}" '
                          f'text-anchor="{anchor}" fill="{color}" font-weight="{weight}"'
                          f'{turn}>{escape(s)}</text>')

    def image(self, x, y, w, h, data: bytes) -> None:
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        self.parts.append(f'<image x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" '
                          f'preserveAspectRatio="none" style="image-rendering:pixelated" '
                          f'href="{uri}"/>')

    def frame(self, p: Panel, yticks: Sequence[float], ylabel: str, ytext=None) -> None:
        """The panel's border, y grid and tick labels, and its axis label."""
        for v in yticks:
            y = float(p.y(v))
            self.path(f"M{_f(p.left)},{_f(y)} H{_f(p.right)}", stroke="#000", width=0.4,
                      opacity=0.15)
            self.text(p.left - 4, y + 3.5, ytext(v) if ytext else f"{v:g}", 9, "end")
        self.rect(p.left, p.top, p.width, p.height, "none", stroke="#333")
        self.text(p.left - 44, p.top + p.height / 2, ylabel, 10, "middle", rotate=-90)

    def render(self) -> str:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
                f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" '
                f'font-family="{FONT}"><rect width="100%" height="100%" fill="#fff"/>'
                + "".join(self.parts) + "</svg>")

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.render().encode()).decode()
