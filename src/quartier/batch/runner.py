"""``quartier run analysis.toml``: a whole analysis from one configuration file.

The configuration (see :mod:`quartier.config`) is validated completely before
any work. The run reads the districts and tables and joins them (with
reports), builds the target groups from the population, and for every
service computes coverage and supply per district. It then writes a map per
service, the GIS layers and a summary table to one folder, and prints
progress as it goes.

How the files are written:

- **Disclosure control** (``[disclosure]`` in the configuration, else
  ``rules=``/:func:`quartier.set_disclosure`) applies to every file: quartier knows which of
  its columns count people and which rates derive from them
  (:func:`quartier.output_rules`), so counts stored as floats are protected too; the
  configuration declares the counts and rates of its tables. **One pattern per run**: each
  service is protected once (:func:`quartier.protect_table` with the ``[districts] levels``
  as hierarchy; services of one target group share their population cells), and its summary
  rows, layers, city map and maps per level unit show the same cells. What would be
  published is audited first (:func:`quartier.reporting.audit.audit_disclosure`); when a
  small count could be recovered the run raises :class:`quartier.errors.DisclosureError` and
  writes nothing.
- **All or nothing**: a lock beside the output folder keeps a second run out; everything is
  written into a staging folder that replaces the output folder only when complete
  (:func:`quartier.output.files.staged_folder`), so a failed run leaves the previous outputs
  as they were.
- **Many areas** (``[areas] column = ...``): the service figures are computed area by area
  (each with a halo of ``max_cost``; in parallel on dask.distributed with ``workers=`` or
  ``scheduler=``), gathered, and then protected and written exactly as above; a failed area
  is listed in ``bereiche.csv`` and :attr:`RunResult.areas` while the others are written.
- **Tables for Excel**: the summary goes through :func:`quartier.write_table` (labelled
  headers, counts whole, shares in per cent, never a formula); GIS layers keep the machine
  names.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier._optional import import_optional
from quartier.access.services import service_table
from quartier.batch._areas import compute_areas, write_area_folders
from quartier.batch._facility_filter import filter_facilities
from quartier.batch._indicators import protect_indicators
from quartier.batch._labels import layer_metadata
from quartier.batch._networks import build_networks, reach_label
from quartier.batch._protect import protect_run, refusal
from quartier.batch.config import AnalysisConfig, load_config
from quartier.errors import ColumnError, ConfigError, format_list
from quartier.io.districts import read_districts
from quartier.io.facilities import read_facilities, read_points
from quartier.io.joins import JoinReport, join_indicators
from quartier.io.tables import read_table
from quartier.output.export import export_layers
from quartier.output.files import run_lock, staged_folder
from quartier.output.formatting import format_number
from quartier.output.spreadsheet import HEADER_LABELS, output_rules, write_table
from quartier.reporting.disclosure_control import (
    DisclosureRules,
    apply_disclosure,
    get_disclosure,
    resolve_rules,
)
from quartier.settings import language

__all__ = ["run_analysis", "RunResult", "SUMMARY_COLUMNS"]

#: Columns of the summary table, one row per district and service. When a service of the run
#: uses a network from ``[networks.*]``, a text column ``reach`` ("Autofahrt 15 min") follows
#: ``target_group``.
SUMMARY_COLUMNS = [
    "key", "name", "service", "target_group", "population", "covered", "uncovered",
    "share_covered", "places", "places_per_1000", "norm_per_1000", "places_required",
    "places_deficit", "gap",
]
#: Whole-number columns of the summary (written as integers to GIS layers).
_WHOLE = ("population", "covered", "uncovered", "places", "places_required", "places_deficit")


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per district and service (:data:`SUMMARY_COLUMNS`), as computed (before
        disclosure control).
    reports : dict of str to JoinReport
        The join report of every table.
    files : list of pathlib.Path
        Everything written (in the output folder).
    published : pandas.DataFrame or None
        The summary as written: disclosure control applied (suppressed cells are missing).
    suppressed : pandas.DataFrame or None
        Boolean mask of ``published`` (same index and columns): True where disclosure control
        suppressed a cell.
    rules : DisclosureRules or None
        The disclosure rules the run applied (None: none).
    areas : pandas.DataFrame or None
        With an ``[areas]`` section: one row per area (``area``, ``districts``, ``status``
        "ok" or "error", ``seconds``, ``error``). The outputs hold the areas that succeeded.
    """

    summary: pd.DataFrame
    reports: dict[str, JoinReport] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    published: pd.DataFrame | None = None
    suppressed: pd.DataFrame | None = None
    rules: DisclosureRules | None = None
    areas: pd.DataFrame | None = None

    @property
    def failed_areas(self) -> list[str]:
        """The areas whose computation failed (empty without ``[areas]``)."""
        if self.areas is None:
            return []
        return self.areas.loc[self.areas["status"] != "ok", "area"].tolist()


class _Progress:
    def __init__(self, total: int, stream):
        self.total, self.step, self.stream, self.start = total, 0, stream, time.perf_counter()

    def __call__(self, text: str) -> None:
        self.step += 1
        if self.stream is not None:
            took = time.perf_counter() - self.start
            print(f"[{self.step}/{self.total}] {text} ({took:.1f} s)", file=self.stream, flush=True)


def run_analysis(config: AnalysisConfig | str | Path, *, dry_run: bool = False,
                 progress=sys.stderr,
                 rules: DisclosureRules | bool | None = None, workers: int | None = None,
                 scheduler: str | None = None) -> RunResult | AnalysisConfig:
    """Run the analysis a configuration file describes.

    Parameters
    ----------
    config : AnalysisConfig or path
        A loaded configuration or the path of the ``.toml`` file.
    dry_run : bool, default False
        Only validate the configuration and return it.
    progress : file-like or None, default sys.stderr
        Where progress lines go; None for quiet runs.
    rules : DisclosureRules or False, optional
        Disclosure rules for this run; ``False`` for none. Default: the ``[disclosure]``
        section of the configuration, and without one the rules in force
        (:func:`quartier.set_disclosure`). quartier's own people counts and rates are known
        (:func:`quartier.output_rules`).
    workers : int, optional
        With an ``[areas]`` section: compute the areas on a local dask.distributed cluster of
        this many processes (one thread each), started and closed by the run (needs the
        ``areas`` extra). Without it (and without ``scheduler``) the areas run one after
        another in this process.
    scheduler : str, optional
        With an ``[areas]`` section: the address of a running dask scheduler
        (``"tcp://host:8786"``) to compute the areas on.

    Returns
    -------
    RunResult, or AnalysisConfig with ``dry_run=True``

    Raises
    ------
    ConfigError
        An invalid configuration (before any work is done).
    DisclosureError
        The audit finds a small count that the outputs would reveal; nothing is written.
    OutputError
        The output folder cannot be written (read-only, a file, holds other files) or
        another run is writing to it. The previous outputs are then unchanged.
    QuartierError
        Bad input found while reading (file, column, key or row named).

    Notes
    -----
    Everything is written into a staging folder beside the output folder, which replaces
    the output folder only when every file is written; a lock file beside it keeps a second
    run into the same folder out. A run that fails leaves the previous outputs complete.

    Examples
    --------
    >>> import quartier, os
    >>> from quartier.batch.runner import run_analysis
    >>> toml = os.path.join(os.path.dirname(quartier.demo_path()), "..", "..", "examples",
    ...                     "musterstadt.toml")
    >>> run_analysis(toml, dry_run=True).project["lang"]  # doctest: +SKIP
    'de'
    """
    cfg = config if isinstance(config, AnalysisConfig) else load_config(config)
    if dry_run:
        return cfg
    if (workers is not None or scheduler) and not cfg.areas:
        raise ConfigError(f"{cfg.path.name}: --workers/--scheduler compute the areas of an "
                          '[areas] section in parallel; add one, e.g. [areas] column = '
                          '"bezirk_id" (a district column naming the larger area).')
    if workers is not None or scheduler:  # before any work: the extra is there
        import_optional("distributed", purpose="[areas] with --workers/--scheduler")
    run_rules = _run_rules(cfg, rules)
    out = cfg.output_dir
    info = {"configuration": str(cfg.path), "project": cfg.project["name"]}
    # language for this run only (this thread / task), restored afterwards
    with language(cfg.project["lang"]), run_lock(out), staged_folder(out, info=info) as stage:
        result = _run(cfg, progress, stage, out, run_rules, (workers, scheduler))
    result.files = [out / p.relative_to(stage) for p in result.files]
    return result


def _run_rules(cfg: AnalysisConfig, rules) -> DisclosureRules | None:
    """``rules=``, else the configuration's [disclosure], else the rules in force; with
    quartier's own people counts and rates known, and the columns the configuration declares
    (``count_columns``, ``rate_columns``, ``row_totals``: facts about the data, added to
    whichever rules apply)."""
    d = cfg.disclosure
    if rules is not None:
        base = resolve_rules(rules)
    elif d.get("min_count") or d.get("round_to"):
        base = DisclosureRules(min_count=d.get("min_count"), round_to=d.get("round_to"),
                               secondary=d.get("secondary", True))
    else:
        base = get_disclosure()
    if base is None:
        return None
    declared = list(d.get("count_columns", []))
    counts = (None if base.count_columns is None and not declared
              else tuple(dict.fromkeys([*(base.count_columns or ()), *declared])))
    rates = tuple(dict.fromkeys([*base.rate_columns, *((r, a, b) for r, (a, b) in
                                                       d.get("rate_columns", {}).items())]))
    totals = tuple(dict.fromkeys([*base.row_totals, *((t, tuple(p)) for t, p in
                                                      d.get("row_totals", {}).items())]))
    return output_rules(DisclosureRules(base.min_count, base.round_to, base.secondary, counts,
                                        rates, totals))


def _run(cfg: AnalysisConfig, stream, stage: Path, out: Path,
         rules: DisclosureRules | None, parallel=(None, None)) -> RunResult:
    lang = cfg.project["lang"]
    de = lang == "de"
    audited = bool(cfg.services) and rules is not None and bool(rules.min_count)
    steps = (3 + len(cfg.tables) + len(cfg.services) + bool(cfg.services) + bool(cfg.population)
             + audited + bool(cfg.report) + bool(cfg.areas)
             + bool(cfg.networks and cfg.services))
    step = _Progress(steps, stream)

    d = cfg.districts
    districts = read_districts(d["path"], d["key"], name=d.get("name"), layer=d.get("layer"),
                               crs=cfg.project.get("crs"), key_width=d.get("key_width"),
                               source_crs=d.get("source_crs"))
    key, name_col = d["key"], d.get("name")
    step(f"{len(districts)} Gebiete gelesen" if de else f"read {len(districts)} districts")

    reports: dict[str, JoinReport] = {}
    for t in cfg.tables:
        options = {k: t[k] for k in ("sheet", "sep", "decimal", "encoding") if k in t}
        table = read_table(t["path"], key=t["key"], key_width=t.get("key_width"), **options)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the report says it, and is printed below
            districts, report = join_indicators(districts, table, left_on=key, right_on=t["key"],
                                                key_width=t.get("key_width"))
        reports[t["path"].name] = report
        step(f"{t['path'].name}: {report.text().splitlines()[0]}")
        if stream is not None and not report.complete:
            print(report.text(), file=stream)

    population = None
    if cfg.population:
        p = cfg.population
        population = read_points(p["path"], x=p.get("x"), y=p.get("y"), crs=districts.crs,
                                  layer=p.get("layer"), source_crs=p.get("source_crs"))
        for group, columns in cfg.target_groups.items():
            missing = [c for c in columns if c not in population.columns]
            if missing:
                raise ColumnError(
                    f"target group '{group}' in '{cfg.path.name}' names column(s) "
                    f"{format_list(missing)} that '{p['path'].name}' does not have. Columns are: "
                    f"{format_list([c for c in population.columns if c != 'geometry'], 30)}."
                )
            population[group] = population[columns].apply(pd.to_numeric).sum(axis=1)
        step(f"{len(population):,} Bevölkerungspunkte gelesen".replace(",", ".") if de
             else f"read {len(population):,} population points")

    rows, published, masks, layers, maps, styles, layer_masks = [], [], [], {}, [], {}, {}
    layer_meta: dict[str, dict] = {}
    networks = build_networks(cfg, districts.crs) if cfg.networks and cfg.services else {}
    if networks:
        step(f"Netze aufgebaut: {', '.join(networks)}" if de
             else f"networks built: {', '.join(networks)}")
    reach = {s["name"]: reach_label(networks.get(s.get("network")), s["max_cost"], lang)
             for s in cfg.services}
    if cfg.services:
        facilities_by_service = {sv["name"]: _facilities(sv, districts.crs) for sv in cfg.services}
        spec = [
            {k: v for k, v in {"service": sv["name"], "target": sv["target_group"],
                               "max_cost": sv["max_cost"], "capacity": sv.get("capacity"),
                               "norm_per_1000": sv.get("norm_per_1000")}.items()
             if v is not None}
            for sv in cfg.services
        ]
        if cfg.areas:
            tidy, area_status, districts_run = compute_areas(
                cfg, districts, population, facilities_by_service, spec, key, parallel, stream)
        else:
            # each network built once; the services computed per network they name
            tidy = pd.concat([
                service_table(population, facilities_by_service,
                              [e for e, sv in zip(spec, cfg.services, strict=True)
                               if sv.get("network") == net],
                              by=districts, by_key=key, network=networks.get(net))
                for net in dict.fromkeys(sv.get("network") for sv in cfg.services)
            ], ignore_index=True)
            area_status, districts_run = None, districts
        step(f"Versorgung für {len(cfg.services)} Leistung(en) berechnet" if de
             else f"coverage computed for {len(cfg.services)} service(s)")
    levels = list(d.get("levels", []))
    _require_levels(districts, levels, cfg)
    indicator_districts = districts
    if cfg.services:
        districts = districts_run  # with [areas]: the districts of the areas that succeeded
    if cfg.outputs.get("indicators"):
        layer, mask, failures = protect_indicators(
            indicator_districts, key, [name_col] if name_col else [], levels, rules, cfg.disclosure)
        if len(failures):
            raise refusal(failures, lang)
        layers["indikatoren"] = gpd.GeoDataFrame(layer, crs=indicator_districts.crs)
        layer_masks["indikatoren"] = mask
    # the reach column only where a service uses a network: straight-line runs keep their columns
    with_reach = any(s.get("network") for s in cfg.services)
    by_service = {s["name"]: _summary_rows(tidy[tidy["service"] == s["name"]], districts, s,
                                           key, name_col, reach[s["name"]] if with_reach else None)
                  for s in cfg.services}
    # one pattern per run: every service protected once (services of one target group share
    # the population cells), audited before anything is written; every file below shows it
    patterns = protect_run(by_service, cfg.services, districts[levels].reset_index(drop=True),
                           levels, rules, lang, cfg.target_groups) if cfg.services else {}
    if audited:
        step(f"Geheimhaltung geprüft (Intervallangriff, Mindestfallzahl {rules.min_count})" if de
             else f"disclosure audit passed (interval attack, minimum count {rules.min_count})")
    for s in cfg.services:
        facilities = facilities_by_service[s["name"]]
        if rules is not None:
            facilities = apply_disclosure(facilities, rules=rules).table
        pattern = patterns[s["name"]]
        rows.append(by_service[s["name"]])
        published.append(pattern.published)
        masks.append(pattern.mask)
        layer = districts[[key, *([name_col] if name_col else []), *levels, "geometry"]].merge(
            _whole(pattern.published.drop(columns=["name"])), left_on=key, right_on="key",
            how="left"
        ).drop(columns=["key"])
        mask = pattern.mask.drop(columns=["name"]).set_axis(layer.index)
        slug = _slug(s["name"])
        layers[f"{slug}_gebiete"] = gpd.GeoDataFrame(layer, crs=districts.crs)
        layer_masks[f"{slug}_gebiete"] = mask.reindex(columns=layer.columns, fill_value=False)
        styles[f"{slug}_gebiete"] = "share_covered"
        for level, totals in pattern.levels.items():
            shapes = districts[[level, "geometry"]].dissolve(by=level, as_index=False)
            shapes[level] = shapes[level].astype(str)
            level_layer = shapes.merge(_whole(totals.rename_axis(level).reset_index().assign(
                **{level: lambda t, lv=level: t[lv].astype(str)})), on=level, how="left")
            if with_reach:  # the mode in the attribute table, as in the districts' layer
                level_layer.insert(1, "reach", reach[s["name"]])
            layers[f"{slug}_{_slug(level)}"] = gpd.GeoDataFrame(level_layer, crs=districts.crs)
            layer_masks[f"{slug}_{_slug(level)}"] = level_layer.drop(
                columns="geometry").isna().reindex(columns=level_layer.columns,
                                                   fill_value=False)
            styles[f"{slug}_{_slug(level)}"] = "share_covered"
        layers[f"{slug}_einrichtungen"] = facilities
        # the GIS layers name the reach in every run ("Luftlinie 500 m" too): title, legend
        layer_meta.update(layer_metadata(
            s["name"], reach[s["name"]],
            {f"{slug}_gebiete": "districts", f"{slug}_einrichtungen": "facilities",
             **{f"{slug}_{_slug(lv)}": f"level:{lv}" for lv in pattern.levels}}, lang))
        if cfg.outputs["maps"]:
            maps.append(_write_map(layer, mask, facilities, s, stage / f"karte_{slug}.html",
                                   cfg.outputs["offline"], lang, name_col or key,
                                   reach=reach[s["name"]] if with_reach else None))
            by = cfg.outputs.get("maps_by")
            if by:
                for unit in sorted(layer[by].astype(str).unique()):
                    part = (layer[by].astype(str) == unit).to_numpy()
                    maps.append(_write_map(layer[part], mask[part], facilities, s,
                                           stage / f"karte_{slug}_{_slug(unit)}.html",
                                           cfg.outputs["offline"], lang, name_col or key,
                                           unit=f"{by} {unit}",
                                           reach=reach[s["name"]] if with_reach else None))
        step(f"{s['name']}: Karte geschrieben" if de else f"{s['name']}: map written")

    summary = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=SUMMARY_COLUMNS)
    public = (pd.concat(published, ignore_index=True) if published
              else pd.DataFrame(columns=SUMMARY_COLUMNS))
    mask = (pd.concat(masks, ignore_index=True) if masks
            else pd.DataFrame(False, index=public.index, columns=public.columns))
    files = list(maps)
    if layers:
        for fmt in cfg.outputs["layers"]:
            target = stage / "ebenen.gpkg" if fmt == "gpkg" else stage / f"ebenen_{fmt}"
            # protected above (one pattern): the writers add no pattern of their own
            files += export_layers(layers, target, format=fmt, styles=styles, lang=lang,
                                   rules=False, suppressed=layer_masks,
                                   metadata={"source": cfg.project["name"],
                                             "configuration": str(cfg.path.name),
                                             **layer_meta},
                                   legend_titles={n: m["reach"] for n, m in layer_meta.items()
                                                  if "reach" in m})
    step("Ebenen geschrieben" if de else "layers written")
    name = "zusammenfassung.xlsx" if cfg.outputs["summary"] == "xlsx" else "zusammenfassung.csv"
    files.append(write_table(public, stage / name, lang=lang, rules=False))
    step(f"Zusammenfassung geschrieben: {out}" if de else f"summary written: {out}")
    if cfg.report:
        files += _write_profiles(cfg, stage, lang, rules)
        step("Gebietsprofile geschrieben" if de else "district profiles written")
    if cfg.areas and cfg.services:
        files += write_area_folders(cfg, area_status, districts, public, layers, styles,
                                    layer_masks, stage, lang, layer_meta)
        step(f"{len(area_status)} Bereichsordner geschrieben" if de
             else f"{len(area_status)} area folders written")
    return RunResult(summary, reports, files, public, mask, rules, area_status)


def _write_profiles(cfg: AnalysisConfig, stage: Path, lang: str,
                    rules: DisclosureRules | None) -> list[Path]:
    """The [report] section: district profiles, protected by the run's rules."""
    from quartier.output.profiles import profiles_from_config

    d = cfg.districts
    tables = cfg.report.get("tables") or [
        {"path": str(t["path"]), "key": t["key"], "key_width": t.get("key_width")}
        for t in cfg.tables]
    section = {"districts": str(d["path"]), "key": d["key"], "table_key": d["key"],
               "tables": tables, **{k: v for k, v in cfg.report.items() if k != "tables"}}
    for optional in ("name", "layer", "key_width"):
        if d.get(optional):
            section[optional] = d[optional]
    result = profiles_from_config(section, base=cfg.path.parent, out=stage / "profile",
                                  lang=lang, rules=rules if rules is not None else False)
    return list(result.paths.values())


def _require_levels(districts, levels, cfg) -> None:
    missing = [c for c in levels if c not in districts.columns]
    if missing:
        raise ColumnError(
            f"[districts] levels in '{cfg.path.name}' names column(s) {format_list(missing)} "
            f"that '{cfg.districts['path'].name}' does not have. Columns are: "
            f"{format_list([c for c in districts.columns if c != 'geometry'], 30)}.")
    for level in levels:
        if districts[level].isna().any():
            raise ColumnError(f"level column '{level}' of '{cfg.districts['path'].name}' is "
                              "empty in some districts; every district needs its larger area.")


def _facilities(s, crs):
    fac = read_facilities(s["facilities"], x=s.get("x"), y=s.get("y"), crs=crs,
                          capacity=s.get("capacity"), layer=s.get("layer"),
                          source_crs=s.get("source_crs"))
    return filter_facilities(fac, s, source=s["facilities"].name)


def _summary_rows(rows, districts, s, key, name_col, reach):
    """The summary columns of one service from :func:`quartier.service_table`'s tidy rows.

    Places count only with a capacity column; required places are whole places (rounded
    up); the deficit is signed (negative: places to spare); a gap is coverage below
    ``min_share`` or a deficit.
    """
    rows = rows.set_index("district").reindex(districts[key].astype(str))
    cap, norm = s.get("capacity"), s.get("norm_per_1000")
    places = rows["places"].to_numpy(dtype=float) if cap else np.full(len(rows), np.nan)
    population = rows["population"].to_numpy(dtype=float)
    required = (np.ceil(np.round(rows["required_places"].to_numpy(dtype=float), 6)) if norm
                else np.full(len(rows), np.nan))
    deficit = required - places if norm and cap else np.full(len(rows), np.nan)
    share = rows["share_covered"].to_numpy(dtype=float)
    gap = np.zeros(len(rows), bool)
    if "min_share" in s:
        gap |= share < s["min_share"]
    if norm and cap:
        gap |= deficit > 0
    covered = rows["covered_population"].to_numpy(dtype=float)
    return pd.DataFrame({
        "key": districts[key].to_numpy(),
        "name": districts[name_col].to_numpy() if name_col else districts[key].to_numpy(),
        "service": s["name"],
        "target_group": s["target_group"],
        **({"reach": reach} if reach is not None else {}),
        "population": population,
        "covered": covered,
        "uncovered": population - covered,
        "share_covered": share,
        "places": places,
        "places_per_1000": rows["places_per_1000"].to_numpy(dtype=float) if cap else np.nan,
        "norm_per_1000": norm if norm else np.nan,
        "places_required": required,
        "places_deficit": deficit,
        "gap": gap,
    })


def _whole(table: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers (nullable integers; suppressed or missing cells stay empty)."""
    out = table.copy()
    for c in _WHOLE:
        if c in out.columns:
            values = pd.to_numeric(out[c], errors="coerce").to_numpy(dtype=float)
            out[c] = pd.array(np.where(np.isfinite(values), np.round(values), np.nan),
                              dtype="Int64")
    return out


def _write_map(layer, mask, facilities, s, path, offline, lang, name_col, unit=None,
               reach=None):
    """The map of one service: coverage in per cent, tooltips with the people and places.

    ``layer`` is already protected (the run's one pattern) and ``mask`` says which cells are
    suppressed; the map shows them as "gesperrt" and adds no pattern of its own. Columns carry
    readable labels (they are the tooltip headers). ``unit``: the level unit of a part map.
    ``reach``: the label of a network's reach ("Autofahrt 15 min"); without it the straight
    line in metres.
    """
    from quartier.output.maps import add_facilities, choropleth
    from quartier.output.offline import save_map

    de = lang == "de"
    labels = dict(HEADER_LABELS[lang])
    labels["share_covered"] = labels["share_covered"] + " (%)"
    labels[name_col] = labels["name"]
    shown_cols = ["population", "covered", "share_covered",
                  *(["places"] if s.get("capacity") else []),
                  *(["places_deficit"] if s.get("capacity") and s.get("norm_per_1000") else [])]
    frame = {labels[name_col]: layer[name_col].astype(str).to_numpy()}
    for c in shown_cols:
        values = layer[c].to_numpy(dtype=float, na_value=np.nan)
        frame[labels[c]] = 100 * values if c == "share_covered" else values
    shown = gpd.GeoDataFrame(frame, geometry=layer.geometry.to_numpy(), crs=layer.crs,
                             index=layer.index)
    suppressed = mask[shown_cols].rename(columns=labels)
    column = labels["share_covered"]
    metres = format_number(s["max_cost"], lang=lang,
                           decimals=0 if float(s["max_cost"]).is_integer() else 1)
    title = (f"{s['name']}: Anteil der Zielgruppe im Umkreis von {metres} m (%)" if de
             else f"{s['name']}: share of the target group within {metres} m (%)")
    if reach is not None:
        title = (f"{s['name']}: Anteil der Zielgruppe in Reichweite – Erreichbarkeit: {reach} (%)"
                 if de else f"{s['name']}: share of the target group within reach – reach: "
                 f"{reach} (%)")
    if unit is not None:
        title += f" – {unit}"
    m = choropleth(shown, column, title=title, name=title, lang=lang,
                   tiles=None if offline else "OpenStreetMap", name_col=labels[name_col],
                   tooltip=[labels[name_col], *(labels[c] for c in shown_cols)],
                   suppressed=suppressed, rules=False)
    add_facilities(m, facilities, name=s["name"], lang=lang, rules=False)
    return save_map(m, path, offline=offline, title=title)


def _slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
    text = name.translate(table).lower()
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_") or "dienst"


