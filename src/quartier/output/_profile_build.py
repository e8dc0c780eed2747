"""Private: from the figures to the HTML report and the export table of the profiles."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from quartier.output import _profile_html as page
from quartier.output import _profile_svg as svg
from quartier.output._profile_text import TEXT, change_text, label_with_unit, rank_text, value_text
from quartier.output.formatting import credit_line


@dataclass
class Context:
    gdf: gpd.GeoDataFrame
    key: str
    keys: pd.Index
    names: pd.Series
    groups: pd.Series | None
    by_names: dict
    inds: list
    figures: pd.DataFrame
    years: list
    lang: str
    title: str
    source: str | None
    map_indicator: str | None
    disclosure: bool
    _rows: dict | None = field(default=None, repr=False)

    @property
    def report_year(self):
        return self.years[-1]

    @property
    def previous_year(self):
        return self.years[-2] if len(self.years) > 1 else None

    def group_name(self, k) -> str:
        if self.groups is None:
            return ""
        g = self.groups.get(k)
        return "" if g is None or pd.isna(g) else str(self.by_names.get(g, g))

    def rows(self) -> dict:
        """``{key: {year: {indicator: row}}}`` with rows as dicts (built once)."""
        if self._rows is None:
            out: dict = {}
            cols = list(self.figures.columns)
            for values in self.figures.itertuples(index=False, name=None):
                r = dict(zip(cols, values, strict=True))
                out.setdefault(r["key"], {}).setdefault(r["year"], {})[r["indicator"]] = r
            self._rows = out
        return self._rows

    def map_column(self):
        if self.map_indicator is not None:
            found = [i for i in self.inds if i.column == self.map_indicator]
            if not found:
                from quartier.errors import ParameterError

                raise ParameterError(f"map_indicator='{self.map_indicator}' is not one of the "
                                     "indicators; use one of "
                                     f"{', '.join(i.column for i in self.inds)}.")
            return found[0]
        rest = [i for i in self.inds if i.kind not in ("count", "class")]
        return (rest or self.inds)[0]


def _cells(ctx: Context, r: dict, ind) -> list[tuple[str, bool]]:
    lang, t = ctx.lang, TEXT[ctx.lang]
    sup = bool(r["suppressed"])
    if ind.kind == "class":
        text = r["text"]
        missing = text is None or (isinstance(text, float) and np.isnan(text))
        value = str(text) if not missing else ("–" if not sup else t["suppressed"])
        return [(value, sup), ("–", False)] + ([("–", False)] if ctx.groups is not None
                                               else []) + [("–", False), ("–", False)]
    value = t["suppressed"] if sup else value_text(r["value"], ind.kind, ind.unit, lang)
    cells = [(value, sup), (value_text(r["city"], ind.kind, ind.unit, lang), False)]
    if ctx.groups is not None:
        cells.append((value_text(r["group_value"], ind.kind, ind.unit, lang), False))
    cells.append((rank_text(r["rank"], r["ranked"], r["uninhabited"], sup, lang), False))
    if r["note"] == "system":
        cells.append((t["system"], False))
    else:
        cells.append((change_text(r["change"], ind.kind, lang), False))
    return cells


def html(ctx: Context) -> str:
    lang, t = ctx.lang, TEXT[ctx.lang]
    gdf = ctx.gdf
    frame = svg.Frame(gdf.total_bounds)
    geoms = dict(zip(gdf[ctx.key], gdf.geometry, strict=True))
    paths = {k: frame.path(geoms[k]) for k in ctx.keys}
    outline = frame.path(shapely.union_all(shapely.buffer(
        shapely.simplify(gdf.geometry.to_numpy(), frame.tolerance), frame.tolerance)))
    centres = {k: frame.point(p.x, p.y) for k, p in zip(
        gdf[ctx.key], gdf.geometry.representative_point(), strict=True)}
    rows = ctx.rows()
    year = ctx.report_year
    mind = ctx.map_column()
    cur = [rows.get(k, {}).get(year, {}).get(mind.column) for k in ctx.keys]
    values = [np.nan if r is None or mind.kind == "class" else r["value"] for r in cur]
    sups = [bool(r and r["suppressed"]) for r in cur]
    empties = [bool(r and r["uninhabited"]) for r in cur]
    titles = [f"{ctx.names[k]} ({k}): " + (t["suppressed"] if s else value_text(
        v, mind.kind, mind.unit, lang)) for k, v, s in zip(ctx.keys, values, sups, strict=True)]

    def fmt(v):
        return value_text(v, mind.kind, "", lang)

    map_svg, _ = svg.choropleth(
        frame, list(ctx.keys), [paths[k] for k in ctx.keys], values, sups, empties, titles,
        legend_title=label_with_unit(mind.label, mind.unit) + f" {_year(year)}", fmt=fmt,
        labels={"to": t["to"], "to_below": t["to_below"], "suppressed": t["suppressed_legend"],
                "missing": t["missing"], "uninhabited": t["uninhabited_legend"]})
    head = [(t["key"], "text"), (t["name"], "text")]
    if ctx.groups is not None:
        head.append((t["group"], "text"))
    head += [(label_with_unit(i.label, i.unit), "text" if i.kind == "class" else "num")
             for i in ctx.inds]
    table_rows = []
    for k in ctx.keys:
        cells = [(k, k), (ctx.names[k], ctx.names[k])]
        if ctx.groups is not None:
            cells.append((ctx.group_name(k), ctx.group_name(k)))
        for ind in ctx.inds:
            r = rows.get(k, {}).get(year, {}).get(ind.column)
            if r is None:
                cells.append(("–", ""))
            elif ind.kind == "class":
                text = r["text"] if isinstance(r["text"], str) else ""
                cells.append((text or "–", text))
            elif r["suppressed"]:
                cells.append((t["suppressed"], ""))
            else:
                v = r["value"]
                cells.append((value_text(v, ind.kind, ind.unit, lang),
                              "" if not np.isfinite(v) else repr(float(v))))
        table_rows.append(cells)
    notes = [t["notes"]] + ([t["disclosure"]] if ctx.disclosure else [])
    credit = credit_line(ctx.source, lang=lang)
    if credit:
        notes.append(credit)
    over = page.overview(lang=lang, map_svg=map_svg, map_title=label_with_unit(
        mind.label, mind.unit), head=head, rows=table_rows, notes=notes)
    sections = [_section(ctx, k, frame, paths[k], centres[k]) for k in ctx.keys]
    # the locator maps draw the city as one shared symbol: its outline and the Bezirke only
    # (every <use> copies the symbol, so 500 districts in it would make 250,000 elements)
    symbol = svg.city_symbol(frame, _group_paths(ctx, frame), outline)
    return page.page(title=ctx.title, lang=lang, city_symbol=symbol, overview=over,
                     sections=sections, names=[(k, ctx.names[k]) for k in ctx.keys])


def _group_paths(ctx: Context, frame) -> list[str]:
    if ctx.groups is None:
        return []
    geoms = shapely.simplify(ctx.gdf.geometry.to_numpy(), frame.tolerance,
                             preserve_topology=False)
    by = ctx.groups.reindex(ctx.gdf[ctx.key].to_numpy()).to_numpy()
    out = []
    for g in pd.unique(by[pd.notna(by)]):
        part = shapely.union_all(shapely.buffer(geoms[by == g], frame.tolerance))
        out.append(frame.path(part))
    return out


def _year(year) -> str:
    return "" if year is None else str(year)


def _section(ctx: Context, k: str, frame, path: str, centre) -> str:
    lang, t = ctx.lang, TEXT[ctx.lang]
    rows = ctx.rows().get(k, {})
    now = rows.get(ctx.report_year, {})
    head = [t["indicator"], f"{t['value']} {_year(ctx.report_year)}".strip(), t["city"]]
    if ctx.groups is not None:
        head.append(t["group"])
    head.append(t["rank"])
    prev = ctx.previous_year
    head.append(f"{t['change']} {t['since']} {prev}" if prev is not None else t["change"])
    table, bars, any_sup, system = [], [], False, False
    gname = ctx.group_name(k)
    for ind in ctx.inds:
        r = now.get(ind.column)
        if r is None:
            continue
        any_sup |= bool(r["suppressed"])
        system |= r["note"] == "system"
        table.append([(label_with_unit(ind.label, ind.unit), False), *_cells(ctx, r, ind)])
        if ind.kind in ("count", "class"):
            continue
        series = [(ctx.names[k], None if r["suppressed"] else r["value"],
                   t["suppressed"] if r["suppressed"] else value_text(
                       r["value"], ind.kind, ind.unit, lang), svg.DISTRICT)]
        if ctx.groups is not None and ind.computed:
            series.append((gname, r["group_value"], value_text(
                r["group_value"], ind.kind, ind.unit, lang), svg.GROUP))
        if ind.computed:
            series.append((t["city"], r["city"], value_text(r["city"], ind.kind, ind.unit,
                                                            lang), svg.CITY))
        bars.append((label_with_unit(ind.label, ind.unit), series))
    keys = [(svg.DISTRICT, ctx.names[k])]
    if ctx.groups is not None and gname:
        keys.append((svg.GROUP, f"{t['group']} {gname}"))
    keys.append((svg.CITY, t["city"]))
    legend = "".join(f'<span class="legend-key" style="background:{c}"></span>{page.esc(n)}'
                     for c, n in keys)
    chart = f'<div><p class="notes">{legend}</p>{svg.bars(bars)}</div>' if bars else ""
    years = []
    if len(ctx.years) > 1:
        for ind in ctx.inds:
            if ind.kind in ("count", "class"):
                continue
            dvals, cvals = [], []
            for y in ctx.years:
                r = rows.get(y, {}).get(ind.column)
                dvals.append(np.nan if r is None or r["suppressed"] else r["value"])
                cvals.append(np.nan if r is None else r["city"])
            series = [(ctx.names[k], dvals, svg.DISTRICT)]
            if ind.computed:
                series.append((t["city"], cvals, svg.CITY))
            years.append(svg.years_chart(
                label_with_unit(ind.label, ind.unit), [str(y) for y in ctx.years], series,
                lambda v, ind=ind: value_text(v, ind.kind, ind.unit, lang)))
    meta = " · ".join(p for p in [f"{t['group']}: {gname}" if gname else "",
                                  f"{t['year']}: {_year(ctx.report_year)}"
                                  if ctx.report_year is not None else ""] if p)
    notes = []
    if system:
        notes.append(t["system"])
    if any_sup:
        notes.append(t["disclosure"])
    locator = svg.locator(frame, path, centre, f"{ctx.names[k]} ({k})")
    return page.district(lang=lang, key=k, name=ctx.names[k], meta=meta, locator=locator,
                         chart=chart, head=head, rows=table, years=years, notes=notes)


def export_table(ctx: Context) -> tuple[pd.DataFrame, dict, dict]:
    """Wide table of the report year: per indicator value, city, Bezirk, rank, change."""
    t = TEXT[ctx.lang]
    cur = ctx.figures[ctx.figures["year"].eq(ctx.report_year) if ctx.report_year is not None
                      else ctx.figures["year"].isna()]
    out = pd.DataFrame({"key": ctx.keys, "name": ctx.names.reindex(ctx.keys).to_numpy()})
    kinds, labels = {"key": "text", "name": "text"}, {"key": t["key"], "name": t["name"]}
    if ctx.groups is not None:
        out["group"] = [ctx.group_name(k) for k in ctx.keys]
        kinds["group"], labels["group"] = "text", t["group"]
    year = _year(ctx.report_year)
    prev = ctx.previous_year
    for ind in ctx.inds:
        rows = cur[cur["indicator"] == ind.column].set_index("key").reindex(ctx.keys)
        kind = {"count": "count", "share": "rate", "rate": "rate"}.get(ind.kind, "number")
        label = label_with_unit(ind.label, ind.unit)
        c = ind.column
        if ind.kind == "class":
            out[f"{c}"] = rows["text"].to_numpy()
            kinds[c], labels[c] = "text", f"{label} {year}".strip()
            continue
        parts = [("", "value", f"{t['value']} {year}".strip(), kind),
                 ("__city", "city", t["city"], kind)]
        if ctx.groups is not None:
            parts.append(("__group", "group_value", t["group"], kind))
        parts.append(("__rank", "rank", t["rank"], "count"))
        if prev is not None:
            parts.append(("__change", "change", f"{t['change']} {t['since']} {prev}", kind))
        for suffix, col, head, k in parts:
            out[c + suffix] = rows[col].to_numpy(dtype=float)
            kinds[c + suffix], labels[c + suffix] = k, f"{label}: {head}"
    return out, kinds, labels
