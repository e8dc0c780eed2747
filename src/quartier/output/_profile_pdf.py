"""Private: the PDF of the district profiles, one A4 page per district (matplotlib).

One figure is laid out once and its artists are updated for every page (texts, bar widths,
the highlighted district), so hundreds of pages take seconds and every page is small: the
background of the locator map is the city's outline and its Bezirke, simplified to what
the printed size shows.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import shapely

from quartier._optional import import_optional
from quartier.output import _profile_svg as svg
from quartier.output._profile_text import TEXT, label_with_unit, value_text
from quartier.output.files import write_atomic

A4 = (8.27, 11.69)
FONT = 8.5
MAX_ROWS = 14


def _path(geom, Path):
    """A matplotlib Path of a (multi)polygon (holes as extra rings)."""
    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            if len(xy) < 3:
                continue
            verts.append(xy)
            codes.append(np.r_[Path.MOVETO, np.full(len(xy) - 2, Path.LINETO),
                               Path.CLOSEPOLY])
    if not verts:
        return Path(np.zeros((1, 2)))
    return Path(np.concatenate(verts), np.concatenate(codes).astype(np.uint8))


def write_pdf(ctx, path: Path, keys: list[str]) -> Path:
    """Write the pages of ``keys``; text in the PDF core font Helvetica (not embedded: small
    pages, and about ten times faster than embedding a font)."""
    import_optional("matplotlib", purpose="the PDF of district_profiles")
    import logging

    from matplotlib import rc_context

    quiet = logging.getLogger("matplotlib.font_manager")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # "Helvetica" is found as a core font, not a file
    try:
        with rc_context({"pdf.use14corefonts": True, "font.family": "sans-serif",
                         "font.sans-serif": ["Helvetica"]}):
            return _write_pdf(ctx, path, keys)
    finally:
        quiet.setLevel(level)


def _write_pdf(ctx, path: Path, keys: list[str]) -> Path:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch, Rectangle
    from matplotlib.path import Path as MPath
    from matplotlib.transforms import Affine2D

    from quartier.output._profile_build import _cells
    from quartier.output.formatting import credit_line

    lang, t = ctx.lang, TEXT[ctx.lang]
    gdf = ctx.gdf
    minx, miny, maxx, maxy = gdf.total_bounds
    tol = max(maxx - minx, maxy - miny) / 400
    geoms = dict(zip(gdf[ctx.key], gdf.geometry, strict=True))
    city = shapely.simplify(shapely.union_all(shapely.buffer(
        shapely.simplify(gdf.geometry.to_numpy(), tol, preserve_topology=False), tol / 2)), tol)
    parts = []
    if ctx.groups is not None:
        for g in sorted(ctx.groups.dropna().unique()):
            members = [geoms[k] for k in ctx.groups.index[ctx.groups.to_numpy() == g]
                       if k in geoms]
            parts.append(shapely.simplify(shapely.union_all(shapely.buffer(
                shapely.simplify(np.array(members, dtype=object), tol, preserve_topology=False), tol / 2)), tol))
    rows = ctx.rows()
    inds = list(ctx.inds)[:MAX_ROWS]
    mind = ctx.map_column()

    fig = Figure(figsize=A4)
    W, H = A4
    title = fig.text(0.06, 0.955, "", fontsize=16, weight="bold", va="bottom")
    meta = fig.text(0.06, 0.94, "", fontsize=FONT + 1, color="#555555", va="top")
    # locator map: map metres -> inches on the page, no Axes (drawn fast)
    box_w, box_h, x0, y0 = 0.38 * W, 0.30 * H, 0.06 * W, 0.60 * H
    k = min(box_w / (maxx - minx), box_h / (maxy - miny))
    x0 += (box_w - k * (maxx - minx)) / 2  # centred in its box
    y0 += (box_h - k * (maxy - miny)) / 2
    to_page = Affine2D().translate(-minx, -miny).scale(k).translate(x0, y0) \
        + fig.dpi_scale_trans
    if parts:
        fig.add_artist(PathPatch(MPath.make_compound_path(*[_path(p, MPath) for p in parts]),
                                 facecolor="#eeeeee", edgecolor="#ffffff", linewidth=0.6,
                                 transform=to_page))
    fig.add_artist(PathPatch(_path(city, MPath), facecolor="none" if parts else "#eeeeee",
                             edgecolor="#636363", linewidth=0.8, transform=to_page))
    hl = PathPatch(MPath(np.zeros((1, 2))), facecolor=svg.DISTRICT, edgecolor=svg.DISTRICT,
                   linewidth=0.6, transform=to_page)
    fig.add_artist(hl)
    ring = Line2D([], [], marker="o", markersize=16, markerfacecolor="none", linestyle="none",
                  markeredgecolor=svg.DISTRICT, markeredgewidth=1.4, transform=to_page)
    fig.add_artist(ring)
    # bars: district, Bezirk, city per indicator that is not a count or class
    chart_inds = [i for i in inds if i.kind not in ("count", "class")][:6]
    colours = [svg.DISTRICT, svg.GROUP, svg.CITY] if ctx.groups is not None \
        else [svg.DISTRICT, svg.CITY]
    names = [t["district"], t["group"], t["city"]] if ctx.groups is not None \
        else [t["district"], t["city"]]
    nser = len(colours)
    bx0, bw, btop, bar_h = 0.50, 0.34, 0.90, 0.0085
    rects, vtexts = [], []
    y = btop
    for ind in chart_inds:
        fig.text(bx0, y, label_with_unit(ind.label, ind.unit), fontsize=FONT, va="bottom")
        y -= 0.003
        for s in range(nser):
            y -= bar_h + 0.002
            rect = Rectangle((bx0, y), 0, bar_h, color=colours[s], transform=fig.transFigure)
            fig.add_artist(rect)
            rects.append(rect)
            vtexts.append(fig.text(bx0, y + bar_h / 2, "", fontsize=FONT - 1, va="center"))
        y -= 0.014
    for s, (c, n) in enumerate(zip(colours, names, strict=True)):
        fig.add_artist(Rectangle((0.50 + s * 0.13, 0.585), 0.012, 0.008, color=c,
                                 transform=fig.transFigure))
        fig.text(0.515 + s * 0.13, 0.589, n, fontsize=FONT - 0.5, va="center")
    # the indicator table: one text per column (fast), rows as lines
    head = [t["indicator"], f"{t['value']} {ctx.report_year or ''}".strip(), t["city"]]
    if ctx.groups is not None:
        head.append(t["group"])
    head += [t["rank"], (f"{t['change']}\n{t['since']} {ctx.previous_year}"
                         if ctx.previous_year is not None else t["change"])]
    xs = [0.06, 0.45, 0.56, 0.67, 0.80, 0.945] if ctx.groups is not None else \
        [0.06, 0.48, 0.63, 0.78, 0.945]
    top = 0.55
    for x, h in zip(xs, head, strict=True):
        fig.text(x, top, h, fontsize=FONT, weight="bold", ha="left" if x == xs[0] else "right",
                 va="center")
    fig.add_artist(Line2D([0.06, 0.945], [top - 0.016] * 2, color="#999999", linewidth=0.5,
                          transform=fig.transFigure))
    columns = [fig.text(x, top - 0.022, "", fontsize=FONT, va="top", linespacing=1.9,
                        ha="left" if x == xs[0] else "right",
                        multialignment="left" if x == xs[0] else "right") for x in xs]
    table_bottom = top - 0.02 - len(inds) * 0.0225
    # the years of the map indicator: bars in figure coordinates
    ybars = []
    years_ok = len(ctx.years) > 1 and mind.kind not in ("count", "class")
    ybase, yh, yx0 = table_bottom - 0.17, 0.12, 0.08
    if years_ok:
        fig.text(yx0, ybase + yh + 0.02, f"{label_with_unit(mind.label, mind.unit)} "
                 f"{t['years']}", fontsize=FONT, va="bottom")
        n = len(ctx.years)
        gw = min(0.1, 0.5 / n)
        for i, year in enumerate(ctx.years):
            pair = []
            for j, c in enumerate((svg.DISTRICT, svg.CITY)):
                rect = Rectangle((yx0 + i * gw + j * gw * 0.4, ybase), gw * 0.38, 0, color=c,
                                 transform=fig.transFigure)
                fig.add_artist(rect)
                pair.append(rect)
            ybars.append(pair)
            fig.text(yx0 + i * gw + gw * 0.4, ybase - 0.012, str(year), fontsize=FONT - 1,
                     ha="center")
        fig.add_artist(Line2D([yx0, yx0 + n * gw], [ybase] * 2, color="#636363",
                              linewidth=0.6, transform=fig.transFigure))
        ytexts = [[fig.text(yx0 + i * gw + j * gw * 0.4 + gw * 0.19, ybase, "",
                            fontsize=FONT - 2, ha="center", va="bottom") for j in range(2)]
                  for i in range(n)]
    notes = [t["notes"]] + ([t["disclosure"]] if ctx.disclosure else [])
    credit = credit_line(ctx.source, lang=lang)
    fig.text(0.06, 0.035, "\n".join(_wrap(n, 130) for n in notes + ([credit] if credit
                                                                    else [])),
             fontsize=FONT - 1.5, color="#555555", va="bottom")
    pageno = fig.text(0.945, 0.02, "", fontsize=FONT - 1, ha="right", color="#555555")
    centroids = dict(zip(gdf[ctx.key], gdf.geometry.representative_point(), strict=True))

    def update(n: int, k: str) -> None:
        now = rows.get(k, {}).get(ctx.report_year, {})
        title.set_text(_plain(f"{ctx.names[k]}  ({k})"))
        gname = ctx.group_name(k)
        meta.set_text(_plain(" · ".join(p for p in [ctx.title, f"{t['group']}: {gname}"
                                                   if gname else ""] if p)))
        hl.set_path(_path(shapely.simplify(geoms[k], tol / 4), MPath))
        c = centroids[k]
        ring.set_data([c.x], [c.y])
        i = 0
        for ind in chart_inds:
            r = now.get(ind.column)
            vals = [None] * nser
            if r is not None:
                vals = [None if r["suppressed"] else r["value"]]
                if nser == 3:
                    vals.append(r["group_value"] if ind.computed else None)
                vals.append(r["city"] if ind.computed else None)
            finite = [abs(v) for v in vals if v is not None and math.isfinite(v)]
            scale = max(finite + [1e-12])
            for s in range(nser):
                v = vals[s]
                ok = v is not None and math.isfinite(v)
                w = abs(v) / scale * bw if ok else 0.0
                rects[i].set_width(w)
                sup = s == 0 and r is not None and r["suppressed"]
                vtexts[i].set_x(bx0 + w + 0.006)
                vtexts[i].set_text(_plain(t["suppressed"] if sup else value_text(
                    v, ind.kind, ind.unit, lang) if ok else "–"))
                i += 1
        lines = [[] for _ in xs]
        for ind in inds:
            r = now.get(ind.column)
            texts = [label_with_unit(ind.label, ind.unit)]
            texts += ["–"] * (len(xs) - 1) if r is None else \
                [text for text, _ in _cells(ctx, r, ind)]
            for j, text in enumerate(texts):
                if text == t["uninhabited"]:
                    text = t["uninhabited_legend"]
                lines[j].append(_short(text, 48 if j == 0 else 30))
        for artist, col in zip(columns, lines, strict=True):
            artist.set_text(_plain("\n".join(col)))
        if years_ok:
            dv, cv = [], []
            for y in ctx.years:
                r = rows.get(k, {}).get(y, {}).get(mind.column)
                dv.append(np.nan if r is None or r["suppressed"] else r["value"])
                cv.append(np.nan if r is None else r["city"])
            top_v = max([abs(v) for v in dv + cv if math.isfinite(v)] + [1e-12])
            for pair, texts, vs in zip(ybars, ytexts, zip(dv, cv, strict=True), strict=True):
                for rect, text, v in zip(pair, texts, vs, strict=True):
                    h = abs(v) / top_v * yh if math.isfinite(v) else 0.0
                    rect.set_height(h)
                    text.set_y(ybase + h + 0.002)
                    text.set_text(_plain(value_text(v, mind.kind, "", lang)))
        pageno.set_text(f"{t['page']} {n} / {len(keys)}")

    def write(tmp: Path) -> None:
        with PdfPages(tmp, metadata={"Title": ctx.title, "Creator": "quartier"}) as pdf:
            for n, k in enumerate(keys, start=1):
                update(n, k)
                pdf.savefig(fig)

    return write_atomic(path, write)


_PLAIN = str.maketrans({"−": "-", "…": "...", "–": "-", "\u2009": " ", "\u202f": " "})


def _plain(text: str) -> str:
    """Text the PDF core fonts can show (Latin-1): dashes and ellipses replaced."""
    text = str(text).translate(_PLAIN)
    return text.encode("latin-1", "replace").decode("latin-1")


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"

