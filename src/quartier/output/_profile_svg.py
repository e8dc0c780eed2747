"""Private: inline SVG for the district profiles (choropleth, locator maps, bar charts).

Plain SVG text, no script and no external reference: the report stays one offline file.
Geometries are simplified once and projected to a viewBox in whole "pixels".
"""

from __future__ import annotations

import html
import math

import numpy as np
import shapely

from quartier.output._classes import (
    MISSING_COLOUR,
    PALETTES,
    SUPPRESSED_EDGE,
    UNINHABITED_COLOUR,
)

WIDTH = 600.0
DISTRICT = "#d7301f"
CITY = "#9e9e9e"
GROUP = "#fdae6b"


class Frame:
    """Maps planning coordinates (metres) to SVG pixels of a fixed width."""

    def __init__(self, bounds, width: float = WIDTH):
        minx, miny, maxx, maxy = bounds
        span = max(maxx - minx, maxy - miny, 1.0)
        self.scale = width / span
        self.minx, self.maxy = minx, maxy
        self.width = width
        self.height = math.ceil((maxy - miny) * self.scale)
        self.tolerance = 0.6 / self.scale  # about half a pixel

    def path(self, geom) -> str:
        """SVG path data of a (multi)polygon, simplified to about half a pixel."""
        if geom is None or geom.is_empty:
            return ""
        geom = shapely.simplify(geom, self.tolerance, preserve_topology=False)
        parts = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                xy = np.asarray(ring.coords)[:, :2]
                px = np.round((xy[:, 0] - self.minx) * self.scale, 1)
                py = np.round((self.maxy - xy[:, 1]) * self.scale, 1)
                keep = np.ones(len(px), dtype=bool)
                keep[1:] = (np.diff(px) != 0) | (np.diff(py) != 0)
                px, py = px[keep], py[keep]
                if len(px) < 3:
                    continue
                pts = " ".join(f"{x:g} {y:g}" for x, y in zip(px, py, strict=True))
                parts.append(f"M{pts}Z")
        return "".join(parts)

    def point(self, x: float, y: float) -> tuple[float, float]:
        return round((x - self.minx) * self.scale, 1), round((self.maxy - y) * self.scale, 1)


def esc(text) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def city_symbol(frame: Frame, paths: list[str], outline: str) -> str:
    """The city drawn once (districts light grey, outline dark), reused by every locator map."""
    body = "".join(f'<path d="{d}"/>' for d in paths if d)
    return (f'<svg width="0" height="0" style="position:absolute" aria-hidden="true">'
            f'<defs><g id="q-city"><g fill="#eeeeee" stroke="#ffffff" stroke-width="0.6">'
            f'{body}</g><path d="{outline}" fill="none" stroke="#636363" '
            f'stroke-width="1.2"/></g></defs></svg>')


def locator(frame: Frame, district_path: str, centre: tuple[float, float], title: str) -> str:
    """A locator map: the city with the district in red and a ring around it."""
    cx, cy = centre
    r = max(8.0, frame.width * 0.03)
    return (f'<svg class="locator" viewBox="0 0 {frame.width:g} {frame.height}" role="img">'
            f'<title>{esc(title)}</title><use href="#q-city"/>'
            f'<path d="{district_path}" fill="{DISTRICT}" stroke="{DISTRICT}" '
            f'stroke-width="0.8"/><circle cx="{cx}" cy="{cy}" r="{r:g}" fill="none" '
            f'stroke="{DISTRICT}" stroke-width="2"/></svg>')


def choropleth(frame: Frame, keys, paths, values, suppressed, uninhabited, titles, *,
               legend_title: str, fmt, labels: dict) -> tuple[str, list[float]]:
    """The overview map: classes of quantiles, suppressed hatched, missing grey."""
    values = np.asarray(values, dtype=float)
    colours = PALETTES["YlGnBu"][1:6]
    finite = values[np.isfinite(values)]
    breaks = quantile_breaks(finite, 5)
    shapes = []
    for key, d, v, sup, empty, title in zip(keys, paths, values, suppressed, uninhabited,
                                            titles, strict=True):
        if sup:
            fill = "url(#q-hatch)"
        elif empty:
            fill = UNINHABITED_COLOUR
        elif not np.isfinite(v):
            fill = MISSING_COLOUR
        else:
            i = min(int(np.searchsorted(breaks, v, side="left")), len(colours) - 1)
            fill = colours[i] if len(breaks) >= 1 else colours[0]
        shapes.append(f'<a href="#d-{esc(key)}"><path d="{d}" fill="{fill}">'
                      f'<title>{esc(title)}</title></path></a>')
    legend, lower = [], None
    for i, upper in enumerate(breaks[:len(colours)]):
        text = (f"{labels['to']} {fmt(upper)}" if lower is None
                else f"{fmt(lower)} {labels['to_below']} {fmt(upper)}")
        legend.append((colours[i], text))
        lower = upper
    legend += [("url(#q-hatch)", labels["suppressed"]), (MISSING_COLOUR, labels["missing"]),
               (UNINHABITED_COLOUR, labels["uninhabited"])]
    rows = len(legend)
    height = frame.height + 24 + 18 * rows
    items = "".join(
        f'<rect x="4" y="{frame.height + 22 + 18 * i}" width="14" height="12" fill="{c}" '
        f'stroke="#636363" stroke-width="0.5"/><text x="24" y="{frame.height + 32 + 18 * i}">'
        f'{esc(t)}</text>' for i, (c, t) in enumerate(legend))
    svg = (f'<svg class="overview-map" viewBox="0 0 {frame.width:g} {height}" role="img">'
           f'<defs><pattern id="q-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
           f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
           f'<line x1="0" y1="0" x2="0" y2="6" stroke="{SUPPRESSED_EDGE}" stroke-width="1.2"/>'
           f'</pattern></defs><g stroke="#ffffff" stroke-width="0.4">{"".join(shapes)}</g>'
           f'<text x="4" y="{frame.height + 14}" font-weight="bold">{esc(legend_title)}</text>'
           f'{items}</svg>')
    return svg, list(breaks)


def quantile_breaks(values: np.ndarray, k: int) -> list[float]:
    """Upper bounds of ``k`` quantile classes (fewer when values repeat); numpy only, so the
    report does not load mapclassify (and numba) for one map."""
    if len(values) == 0:
        return []
    bounds = np.quantile(values, np.linspace(0, 1, k + 1)[1:], method="inverted_cdf")
    return sorted(set(float(b) for b in bounds))


def bars(rows: list[tuple[str, list[tuple[str, float, str, str]]]], *, width: float = 560
         ) -> str:
    """Horizontal bars: per indicator a group of (series label, value, text, colour).

    Each indicator has its own scale (its units differ); the value is written beside the bar.
    """
    line, gap, label_w = 13, 8, 190
    bar_w = width - label_w - 70
    y = 4
    out = []
    for label, series in rows:
        vals = [v for _, v, _, _ in series if v is not None and np.isfinite(v)]
        top = max([abs(v) for v in vals] + [1e-12])
        out.append(f'<text x="0" y="{y + line * len(series) / 2 + 4:.0f}" class="bl">'
                   f'{esc(_short(label, 34))}</text>')
        for name, v, text, colour in series:
            w = 0.0 if v is None or not np.isfinite(v) else abs(v) / top * bar_w
            out.append(f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{line - 3}" '
                       f'fill="{colour}"><title>{esc(name)}: {esc(text)}</title></rect>'
                       f'<text x="{label_w + w + 4:.1f}" y="{y + line - 4}" class="bv">'
                       f'{esc(text)}</text>')
            y += line
        y += gap
    return (f'<svg class="chart" viewBox="0 0 {width:g} {y}" role="img">{"".join(out)}</svg>')


def years_chart(title: str, years: list[str], series: list[tuple[str, list[float], str]],
                fmt, *, width: float = 270, height: float = 120) -> str:
    """Grouped vertical bars over the years: district and city (one scale)."""
    vals = [v for _, values, _ in series for v in values if v is not None and np.isfinite(v)]
    top = max([abs(v) for v in vals] + [1e-12])
    n, k = len(years), len(series)
    plot_h, base = height - 34, height - 18
    group_w = (width - 10) / max(n, 1)
    bar_w = min(22.0, (group_w - 8) / max(k, 1))
    out = [f'<text x="0" y="11" class="bl">{esc(_short(title, 44))}</text>']
    for i, year in enumerate(years):
        x0 = 5 + i * group_w + (group_w - bar_w * k) / 2
        for j, (name, values, colour) in enumerate(series):
            v = values[i]
            h = 0.0 if v is None or not np.isfinite(v) else abs(v) / top * plot_h
            out.append(f'<rect x="{x0 + j * bar_w:.1f}" y="{base - h:.1f}" '
                       f'width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                       f'<title>{esc(name)} {esc(year)}: {esc(fmt(v))}</title></rect>')
        out.append(f'<text x="{5 + i * group_w + group_w / 2:.1f}" y="{height - 4}" '
                   f'text-anchor="middle" class="bv">{esc(year)}</text>')
    out.append(f'<line x1="0" y1="{base}" x2="{width}" y2="{base}" stroke="#636363" '
               'stroke-width="0.6"/>')
    return (f'<svg class="chart years" viewBox="0 0 {width:g} {height:g}" role="img">'
            f'{"".join(out)}</svg>')


def _short(text: str, n: int) -> str:
    text = str(text)
    return text if len(text) <= n else text[: n - 1] + "…"
