"""Print-ready maps (PNG at 300 dpi, PDF) of one indicator per district, with matplotlib.

A printed map for a council report carries a title, a legend with the same
classes and labels as the interactive map (:func:`quartier.choropleth`), a
scale bar, a north arrow, the source and licence of the data and the date.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from quartier._checks import require_column
from quartier._optional import import_optional
from quartier.errors import ParameterError
from quartier.io.crs import to_planning_crs
from quartier.output._classes import SUPPRESSED_COLOUR, SUPPRESSED_EDGE, classify, shown_in_percent
from quartier.output._geom import core_mask, map_extent
from quartier.output.formatting import display_labels, format_number
from quartier.reporting.disclosure_control import DisclosureRules
from quartier.settings import resolve_language

__all__ = ["print_map", "PAPER_SIZES", "nice_length"]

#: Paper sizes in millimetres (short side, long side).
PAPER_SIZES = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
_MM = 1 / 25.4  # inches per millimetre
_EDGE = "#555555"


def print_map(
    gdf: gpd.GeoDataFrame,
    column: str,
    path: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    title: str,
    source: str,
    licence: str | None = None,
    subtitle: str | None = None,
    legend_title: str | None = None,
    paper: str = "A4",
    orientation: str = "landscape",
    scheme: str = "quantiles",
    k: int = 5,
    bins=None,
    palette: str | None = None,
    decimals: int = 1,
    lang: str | None = None,
    rules: DisclosureRules | Literal[False] | None = None,
    date: dt.date | str | None = None,
    dpi: int = 300,
    overlays: Sequence[Mapping] | None = None,
    extent=None,
    suppressed=None,
    rates: Mapping[str, tuple[str, str]] | None = None,
    labels: Mapping[str, str] | None = None,
    kind: str = "numeric",
    colours: Mapping | None = None,
    class_labels: Mapping | None = None,
    percent: bool | None = None,
    population_col: str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    notes: str | Sequence[str] | None = None,
) -> list[Path]:
    """Draw a print-ready choropleth map and save it as PNG and/or PDF.

    The classes, colours and legend labels are those of
    :func:`quartier.choropleth` with the same arguments; disclosure control
    applies (suppressed districts are hatched and named "gesperrt
    (Geheimhaltung)", districts without a value are grey, "keine Angabe").
    The scale bar is measured in the metric CRS of the map (districts in a
    geographic CRS are drawn in EPSG:25832); the north arrow points to true
    north at the centre of the map.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Districts with the indicator.
    column : str
        Column to map.
    path : str, os.PathLike or list of them
        Output file(s); the suffix decides the format: ``.png`` (``dpi`` dots
        per inch) or ``.pdf`` (vector). Pass two paths for both. Each file is
        written to a temporary file beside it and moved into place.
    title : str
        Map title.
    source : str
        Data source, printed as "Quelle: ..." ("Source: ...").
    licence : str, optional
        Licence of the data (e.g. "dl-de/by-2-0"), printed after the source.
    subtitle : str, optional
        A line under the title.
    legend_title : str, optional
        Title of the legend; default the display label of ``column``
        (``labels=``, or quartier's label of its own columns).
    paper : {"A4", "A3"}, default "A4"
    orientation : {"landscape", "portrait"}, default "landscape"
    scheme, k, bins, palette, decimals
        Classification as in :func:`quartier.choropleth`.
    lang : {"de", "en"}, optional
        Language of the texts; default from :func:`quartier.set_language` (German).
    rules : DisclosureRules or False, optional
        Disclosure rules for this call instead of those in force
        (:func:`quartier.get_disclosure`); ``False`` for none.
    date : datetime.date or str, optional
        Date printed as "Stand: ..."; default today.
    dpi : int, default 300
        Resolution of PNG files.
    overlays : list of dict, optional
        Further layers drawn on top and named in the legend, e.g. facilities
        and a plan area: ``{"data": gdf, "label": "Kitas", "color": "#d95f02"}``;
        optional keys ``facecolor`` (polygons, default none), ``linestyle``,
        ``linewidth``, ``marker``, ``markersize``, ``zorder`` and ``labels``
        (points: a text per row, written beside each point).
    extent : None, "all", geopandas.GeoDataFrame or (minx, miny, maxx, maxy), optional
        The area shown (with a small margin). Default: every district except
        far outliers (such as Hamburg's Neuwerk), as on the web map; ``"all"``
        for every district; a GeoDataFrame, or a tuple in the map's CRS.
    suppressed : pandas.Series or pandas.DataFrame, optional
        Cells a statistics office suppressed, aligned on the index of ``gdf``
        (a Series marks districts, a DataFrame cells per column), as in
        :func:`quartier.choropleth`; drawn hatched as "gesperrt".
    rates : dict, optional
        ``{rate: (numerator, denominator)}``: rate columns suppressed with
        their counts (see :func:`quartier.apply_disclosure`).
    labels : dict, optional
        Display labels ``{column: label}`` (the legend title).
    kind, colours, class_labels, percent, population_col
        As in :func:`quartier.choropleth`: categorical maps with given
        colours, shares in per cent, "unbewohnt" districts.
    outline : geopandas.GeoDataFrame, optional
        Outlines of the next higher level drawn on top (e.g. Bezirke).
    notes : str or list of str, optional
        A block of small text (e.g. the assumptions of a statement), one
        paragraph per item, wrapped to the width of the legend column and set
        at its foot (landscape) or at the right of the legend band (portrait).

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    ValueError
        For an unknown paper size, orientation or file suffix.
    quartier.errors.ColumnError
        If ``column`` is missing.
    quartier.errors.CRSError
        If the districts have no CRS.
    quartier.errors.MissingDependencyError
        Without matplotlib (``pip install "quartier[print]"``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import geopandas as gpd
    >>> from shapely import box
    >>> d = gpd.GeoDataFrame({"quote": [1234.5, 7.0, 80.0]}, geometry=[box(0, 0, 900, 900),
    ...     box(900, 0, 1800, 900), box(0, 900, 900, 1800)], crs="EPSG:25832")
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "karte.pdf"
    >>> [p.name for p in print_map(d, "quote", out, title="Quote", source="Musterstadt", k=2)]
    ['karte.pdf']
    """
    # imported here: `import quartier` stays quick, and matplotlib is the optional "print" extra
    Figure = import_optional("matplotlib.figure", purpose="print_map").Figure

    lang = resolve_language(lang)
    de = lang == "de"
    paths = [Path(path)] if isinstance(path, str | os.PathLike) else [Path(p) for p in path]
    for p in paths:
        if p.suffix.lower() not in (".png", ".pdf"):
            raise ParameterError(f"print_map writes .png or .pdf files, not {p.name!r}.")
    if paper not in PAPER_SIZES:
        raise ParameterError(f"paper must be one of {sorted(PAPER_SIZES)}, not {paper!r}.")
    if orientation not in ("landscape", "portrait"):
        raise ParameterError(
            f"orientation must be 'landscape' or 'portrait', not {orientation!r}.")

    as_percent = percent if percent is not None else shown_in_percent(gdf, column)
    if population_col is not None:
        require_column(gdf, population_col, source="the districts",
                       role="population column (population_col)")
    c = classify(gdf, column, kind=kind, scheme=scheme, k=k, bins=bins, palette=palette,
                 colours=dict(colours) if colours else None,
                 class_labels=dict(class_labels) if class_labels else None,
                 suppressed=suppressed, rates=rates, zero_class=True, percent=bool(as_percent),
                 population=gdf[population_col] if population_col else None,
                 decimals=decimals, lang=lang, rules=rules)
    shapes = to_planning_crs(gdf[[gdf.geometry.name]], what="the districts")
    short, long_ = PAPER_SIZES[paper]
    width, height = (long_, short) if orientation == "landscape" else (short, long_)
    s = short / 210.0  # scale texts and margins with the paper
    fig = Figure(figsize=(width * _MM, height * _MM), dpi=dpi)
    # an Agg canvas measures texts (the footer and notes are fitted to the space they have)
    import_optional("matplotlib.backends.backend_agg", purpose="print_map").FigureCanvasAgg(fig)

    margin, footer, head = 10 * s, 12 * s, (24 if subtitle else 17) * s
    if orientation == "landscape":
        legend_w, legend_h = 68 * s, 0.0
    else:
        legend_w, legend_h = 0.0, 48 * s
    box = [margin, margin + footer + legend_h, width - margin - legend_w,
           height - margin - head]  # left, bottom, right, top in mm
    ax = fig.add_axes([box[0] / width, box[1] / height, (box[2] - box[0]) / width,
                       (box[3] - box[1]) / height])
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#777777")

    frame = (box[2] - box[0]) / (box[3] - box[1])
    window = None
    if extent is None:  # every district but far outliers (e.g. Neuwerk), as on the web map
        extent = "all" if core_mask(shapes).all() else "core"
    if not (isinstance(extent, str) and extent == "all"):
        window = _window(shapes, extent, frame)
    fills = np.asarray(c.fill, dtype=object)
    plain = np.asarray(c.status != "suppressed")
    if window is not None:  # only what is seen goes into the file (a PDF of a city district
        # stays small although the districts cover the whole city); classes are unchanged
        grow = 0.02 * max(window[2] - window[0], window[3] - window[1])
        seen = np.asarray(shapes.intersects(shapely.box(*window)))
        shapes = shapes[seen].copy()
        shapes[shapes.geometry.name] = shapes.geometry.clip_by_rect(
            window[0] - grow, window[1] - grow, window[2] + grow, window[3] + grow)
        fills, plain = fills[seen], plain[seen]
    if plain.any():
        shapes[plain].plot(ax=ax, color=list(fills[plain]), edgecolor=_EDGE, linewidth=0.25)
    if (~plain).any():
        shapes[~plain].plot(ax=ax, facecolor=SUPPRESSED_COLOUR, edgecolor=SUPPRESSED_EDGE,
                            hatch="////", linewidth=0.4)
    if outline is not None:
        to_planning_crs(outline[[outline.geometry.name]], what="the outline").to_crs(
            shapes.crs).plot(ax=ax, facecolor="none", edgecolor="#1a1a1a", linewidth=1.1,
                             zorder=4)
    extra = _draw_overlays(ax, overlays or (), shapes.crs)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.margins(0.03)
    ax.autoscale(enable=True)
    if window is not None:
        minx, miny, maxx, maxy = window
        ax.set_xlim(minx, maxx)
        ax.set_ylim(miny, maxy)
        ax.set_autoscale_on(False)
    # the map fills the frame (with an extent, the limits already have the frame's proportions)
    fixed = not (isinstance(extent, str) and extent == "all")
    ax.set_aspect("equal", adjustable="box" if fixed else "datalim")
    ax.apply_aspect()

    fs = 9 * s
    _declutter(ax, fig.canvas.get_renderer())
    _scale_bar(ax, lang=lang, fontsize=fs)
    _north_arrow(ax, shapes.crs, fontsize=fs * 1.3)

    from matplotlib.patches import Patch

    handles = [
        Patch(facecolor=colour, edgecolor=SUPPRESSED_EDGE if entry == "suppressed" else _EDGE,
              hatch="////" if entry == "suppressed" else None, linewidth=0.5,
              label=f"{label} ({format_number(n, 0, lang=lang)})")
        for colour, label, entry, n in c.legend()
    ] + extra
    anchor = ((box[2] + 6 * s) / width, box[3] / height) if orientation == "landscape" else (
        box[0] / width, (box[1] - 4 * s) / height)
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=anchor, frameon=False,
               title=legend_title or display_labels([column], labels, lang=lang)[column], fontsize=fs, title_fontsize=fs * 1.1,
               alignment="left", ncols=1 if orientation == "landscape" else 2,
               handlelength=2.2, handleheight=1.4)

    fig.text(margin / width, (height - margin) / height, title, fontsize=17 * s,
             fontweight="bold", va="top", ha="left")
    if subtitle:
        fig.text(margin / width, (height - margin - 9 * s) / height, subtitle,
                 fontsize=11 * s, va="top", ha="left", color="#333333")
    when = date if isinstance(date, str) else _format_date(date or dt.date.today(), de)
    credit = f"{'Quelle' if de else 'Source'}: {source}"
    if licence:
        credit += f" · {'Lizenz' if de else 'Licence'}: {licence}"
    stand = fig.text((width - margin) / width, margin / height,
                     f"{'Stand' if de else 'Date'}: {when}", fontsize=fs * 0.9, va="bottom",
                     ha="right", color="#333333")
    credit_text = fig.text(margin / width, margin / height, credit, fontsize=fs * 0.9,
                           va="bottom", ha="left", color="#333333")
    # the source is wrapped to end 5 mm before "Stand", measured, so that the two never
    # overprint, whatever the dpi
    renderer = fig.canvas.get_renderer()
    room = stand.get_window_extent(renderer).x0 - 5 * s * _MM * fig.dpi - (
        credit_text.get_window_extent(renderer).x0)
    wrap_text(credit_text, room, renderer)
    if notes:
        paragraphs = [notes] if isinstance(notes, str) else list(notes)
        if orientation == "landscape":
            left, right, bottom = box[2] + 6 * s, width - margin, box[1]
        else:
            left, right, bottom = width / 2, width - margin, margin + footer
        note = fig.text(left / width, bottom / height, "", fontsize=fs * 0.8, va="bottom",
                        ha="left", color="#222222", linespacing=1.3, gid="quartier-notes")
        wrap_text(note, (right - left) * _MM * fig.dpi, renderer, paragraphs)

    written = []
    for p in paths:
        fmt = p.suffix.lower()[1:]
        if fmt == "png":  # whole pixels, rounded: A4 landscape at 300 dpi is 3508 x 2480
            px = (round(width * _MM * dpi), round(height * _MM * dpi))
            fig.set_size_inches((px[0] + 0.001) / dpi, (px[1] + 0.001) / dpi)
        else:  # exact paper size in points
            fig.set_size_inches(width * _MM, height * _MM)
        _atomic_save(fig, p, fmt, dpi=dpi, title=title)
        written.append(p)
    return written


def _window(shapes, extent, frame: float) -> tuple[float, float, float, float]:
    """The visible window of a map with an extent, padded and widened to the frame's shape."""
    if isinstance(extent, tuple | list):
        minx, miny, maxx, maxy = (float(v) for v in extent)
    else:
        core = isinstance(extent, str) and extent == "core"
        minx, miny, maxx, maxy = map_extent(shapes, None if core else extent, crs=shapes.crs)
    pad = 0.05 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    # widen the extent to the frame's proportions, so the scale is the same both ways
    w, h = maxx - minx, maxy - miny
    if w / h < frame:
        minx, maxx = minx - (h * frame - w) / 2, maxx + (h * frame - w) / 2
    else:
        miny, maxy = miny - (w / frame - h) / 2, maxy + (w / frame - h) / 2
    return minx, miny, maxx, maxy


def wrap_text(text, width_px: float, renderer, paragraphs: Sequence[str] | None = None) -> None:
    """Break a matplotlib text into lines no wider than ``width_px`` (measured, word by word).

    ``paragraphs``: the texts to set (one or more lines each); default the text's own.
    """
    paragraphs = [text.get_text()] if paragraphs is None else list(paragraphs)
    # measured by Agg, whose hinted glyphs are narrower than those of a PDF by up to about
    # 3 %: keep 4 % spare, so that the PDF too stays within the width
    width_px = 0.96 * width_px
    lines = []
    for paragraph in paragraphs:
        line = ""
        for word in str(paragraph).split(" "):  # no break at a no-break space ("9,0\xa0%")
            if not word:
                continue
            candidate = f"{line} {word}" if line else word
            text.set_text(candidate)
            if line and text.get_window_extent(renderer).width > width_px:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    text.set_text("\n".join(lines))


def _draw_overlays(ax, overlays, crs) -> list:
    """Draw overlay layers; return their legend handles."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = []
    for overlay in overlays:
        data = overlay["data"].to_crs(crs)
        colour = overlay.get("color", "#d95f02")
        label = overlay.get("label")
        if len(data) and set(data.geom_type) <= {"Point", "MultiPoint"}:
            marker = overlay.get("marker", "o")
            zorder = overlay.get("zorder", 5)
            data.plot(ax=ax, color=colour, marker=marker, markersize=overlay.get("markersize", 22),
                      edgecolor="white", linewidth=0.5, zorder=zorder)
            _point_labels(ax, data, overlay.get("labels"), zorder)
            handle = Line2D([], [], marker=marker, linestyle="none", markerfacecolor=colour,
                            markeredgecolor="white", markersize=7, label=label)
        else:
            face = overlay.get("facecolor", "none")
            style = overlay.get("linestyle", "-")
            width = overlay.get("linewidth", 1.4)
            if len(data):
                data.plot(ax=ax, facecolor=face, edgecolor=colour, linewidth=width,
                          linestyle=style, zorder=4)
            handle = Patch(facecolor=face, edgecolor=colour, linewidth=width, linestyle=style,
                           label=label)
        if label:
            handles.append(handle)
    return handles


def _point_labels(ax, data, labels, zorder) -> None:
    """A small text beside each point on a light box (kept as text in a PDF, searchable);
    outside the frame it is clipped."""
    if labels is None:
        return
    for geom, label in zip(data.geometry, labels, strict=True):
        if label is None or geom is None or geom.is_empty:
            continue
        pt = geom if geom.geom_type == "Point" else geom.representative_point()
        ax.annotate(str(label), (pt.x, pt.y), xytext=(4, 3), textcoords="offset points",
                    fontsize=6.5, color="#222222", zorder=zorder + 0.5, annotation_clip=True,
                    clip_on=True, gid="quartier-point-label",
                    bbox={"boxstyle": "square,pad=0.1", "facecolor": "white",
                          "edgecolor": "none", "alpha": 0.75})


def _declutter(ax, renderer) -> None:
    """Move point labels that would overprint an earlier one to another side of their point
    (right above, right below, left above, left below); the first free side wins."""
    placed = []
    sides = [((4, 3), "left", "baseline"), ((4, -3), "left", "top"),
             ((-4, 3), "right", "baseline"), ((-4, -3), "right", "top")]
    for label in [t for t in ax.texts if t.get_gid() == "quartier-point-label"]:
        for offset, ha, va in sides:
            label.set_position(offset)
            label.set_ha(ha)
            label.set_va(va)
            box = label.get_window_extent(renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        else:  # no free side: back to the first
            (offset, ha, va) = sides[0]
            label.set_position(offset)
            label.set_ha(ha)
            label.set_va(va)
            box = label.get_window_extent(renderer)
        placed.append(box)


def _format_date(day: dt.date, de: bool) -> str:
    return day.strftime("%d.%m.%Y") if de else day.isoformat()


def nice_length(span: float) -> float:
    """A round scale-bar length (1, 2 or 5 times a power of ten) of at most a fifth of ``span``.

    Examples
    --------
    >>> nice_length(23_000), nice_length(4_000), nice_length(900)
    (2000.0, 500.0, 100.0)
    """
    target = span / 5
    power = 10 ** math.floor(math.log10(target))
    return float(max(m * power for m in (1, 2, 5) if m * power <= target))


def _distance_label(metres: float, lang: str) -> str:
    if metres >= 1000:
        km = metres / 1000
        return f"{format_number(km, 0 if km.is_integer() else 1, lang=lang)} km"
    return f"{format_number(metres, 0, lang=lang)} m"


def _scale_bar(ax, *, lang: str, fontsize: float) -> None:
    from matplotlib.patches import Rectangle

    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    length = nice_length(w)
    left, bottom, bar_h = x0 + 0.03 * w, y0 + 0.04 * h, 0.008 * h
    for i in range(4):
        ax.add_patch(Rectangle((left + i * length / 4, bottom), length / 4, bar_h,
                               facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", linewidth=0.6, gid="quartier-scale-bar",
                               zorder=5))
    for value in (0, length / 2, length):
        ax.text(left + value, bottom + bar_h * 1.8,
                _distance_label(value, lang) if value == length else
                _distance_label(value, lang).split()[0],
                ha="center", va="bottom", fontsize=fontsize * 0.9, zorder=5)


def _north_arrow(ax, crs, *, fontsize: float) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    w, h = x1 - x0, y1 - y0
    to_geo = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    from_geo = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    lon, lat = to_geo.transform((x0 + x1) / 2, (y0 + y1) / 2)
    nx, ny = from_geo.transform(lon, lat + 0.01)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    angle = math.atan2(nx - cx, ny - cy)  # true north, clockwise from grid north
    length = 0.07 * h
    bx, by = x1 - 0.05 * w, y1 - 0.06 * h - length
    tx, ty = bx + length * math.sin(angle), by + length * math.cos(angle)
    ax.annotate("", xy=(tx, ty), xytext=(bx, by), zorder=6,
                arrowprops={"arrowstyle": "-|>,head_width=0.5,head_length=1.0",
                            "color": "black", "linewidth": 1.5})
    ax.text(tx, ty + 0.01 * h, "N", ha="center", va="bottom", fontsize=fontsize,
            fontweight="bold", zorder=6)


def _atomic_save(fig, path: Path, fmt: str, *, dpi: int, title: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        meta = {"Title": title, "Creator": "quartier"} if fmt == "pdf" else {
            "Title": title, "Software": "quartier"}
        fig.savefig(tmp, format=fmt, dpi=dpi, metadata=meta)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

