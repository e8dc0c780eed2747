"""``quartier run analysis.toml``: a whole analysis from one configuration file.

The configuration (see :mod:`quartier.config`) is validated completely before
any work. The run reads the districts and tables and joins them (with
reports), builds the target groups from the population, and for every
service computes coverage and supply per district. It then writes a map per
service, the GIS layers and a summary table to one folder, and prints
progress as it goes.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from quartier.access.services import service_table
from quartier.batch.config import AnalysisConfig, load_config
from quartier.errors import ColumnError, format_list
from quartier.io.districts import read_districts
from quartier.io.facilities import read_facilities, read_points
from quartier.io.joins import JoinReport, join_indicators
from quartier.io.tables import read_table
from quartier.output.export import export_layers
from quartier.reporting.disclosure_control import apply_disclosure, disclosure
from quartier.settings import language

__all__ = ["run_analysis", "RunResult", "SUMMARY_COLUMNS"]

#: Columns of the summary table, one row per district and service.
SUMMARY_COLUMNS = [
    "key", "name", "service", "target_group", "population", "covered", "share_covered",
    "places", "places_per_1000", "norm_per_1000", "places_required", "places_deficit", "gap",
]


@dataclass
class RunResult:
    """What a run produced.

    Attributes
    ----------
    summary : pandas.DataFrame
        One row per district and service (:data:`SUMMARY_COLUMNS`).
    reports : dict of str to JoinReport
        The join report of every table.
    files : list of pathlib.Path
        Everything written.
    """

    summary: pd.DataFrame
    reports: dict[str, JoinReport] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


class _Progress:
    def __init__(self, total: int, stream):
        self.total, self.step, self.stream, self.start = total, 0, stream, time.perf_counter()

    def __call__(self, text: str) -> None:
        self.step += 1
        if self.stream is not None:
            took = time.perf_counter() - self.start
            print(f"[{self.step}/{self.total}] {text} ({took:.1f} s)", file=self.stream, flush=True)


def run_analysis(config: AnalysisConfig | str | Path, *, dry_run: bool = False,
                 progress=sys.stderr) -> RunResult | AnalysisConfig:
    """Run the analysis a configuration file describes.

    Parameters
    ----------
    config : AnalysisConfig or path
        A loaded configuration or the path of the ``.toml`` file.
    dry_run : bool, default False
        Only validate the configuration and return it.
    progress : file-like or None, default sys.stderr
        Where progress lines go; None for quiet runs.

    Returns
    -------
    RunResult, or AnalysisConfig with ``dry_run=True``

    Raises
    ------
    ConfigError
        An invalid configuration (before any work is done).
    QuartierError
        Bad input found while reading (file, column, key or row named).

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
    rules = cfg.disclosure
    # language and rules for this run only (this thread / task), restored afterwards
    with language(cfg.project["lang"]), disclosure(
            rules.get("min_count"), round_to=rules.get("round_to"),
            secondary=rules.get("secondary", True)):
        return _run(cfg, progress)


def _run(cfg: AnalysisConfig, stream) -> RunResult:
    de = cfg.project["lang"] == "de"
    steps = 3 + len(cfg.tables) + len(cfg.services) + bool(cfg.services) + bool(cfg.population)
    step = _Progress(steps, stream)
    out = cfg.output_dir
    out.mkdir(parents=True, exist_ok=True)

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

    rows, layers, maps, styles = [], {}, [], {}
    if cfg.services:
        facilities_by_service = {sv["name"]: _facilities(sv, districts.crs) for sv in cfg.services}
        spec = [
            {k: v for k, v in {"service": sv["name"], "target": sv["target_group"],
                               "max_cost": sv["max_cost"], "capacity": sv.get("capacity"),
                               "norm_per_1000": sv.get("norm_per_1000")}.items()
             if v is not None}
            for sv in cfg.services
        ]
        tidy = service_table(population, facilities_by_service, spec, by=districts, by_key=key)
        step(f"Versorgung für {len(cfg.services)} Leistung(en) berechnet" if de
             else f"coverage computed for {len(cfg.services)} service(s)")
    for s in cfg.services:
        facilities = facilities_by_service[s["name"]]
        table = _summary_rows(tidy[tidy["service"] == s["name"]], districts, s, key, name_col)
        rows.append(table)
        layer = districts[[key, *([name_col] if name_col else []), "geometry"]].merge(
            table.drop(columns=["name"]), left_on=key, right_on="key", how="left"
        ).drop(columns=["key"])
        slug = _slug(s["name"])
        layers[f"{slug}_gebiete"] = gpd.GeoDataFrame(layer, crs=districts.crs)
        styles[f"{slug}_gebiete"] = "share_covered"
        layers[f"{slug}_einrichtungen"] = facilities
        if cfg.outputs["maps"]:
            maps.append(_write_map(layer, facilities, s, out / f"karte_{slug}.html",
                                   cfg.outputs["offline"], de))
        step(f"{s['name']}: Karte geschrieben" if de else f"{s['name']}: map written")

    summary = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=SUMMARY_COLUMNS)
    files = list(maps)
    if layers:
        for fmt in cfg.outputs["layers"]:
            target = out / "ebenen.gpkg" if fmt == "gpkg" else out / f"ebenen_{fmt}"
            files += export_layers(layers, target, format=fmt, styles=styles,
                                   metadata={"source": cfg.project["name"],
                                             "configuration": str(cfg.path.name)})
    step("Ebenen geschrieben" if de else "layers written")
    files.append(_write_summary(summary, out, cfg.outputs["summary"]))
    step(f"Zusammenfassung geschrieben: {out}" if de else f"summary written: {out}")
    return RunResult(summary, reports, files)


def _facilities(s, crs):
    fac = read_facilities(s["facilities"], x=s.get("x"), y=s.get("y"), crs=crs,
                          capacity=s.get("capacity"), layer=s.get("layer"),
                          source_crs=s.get("source_crs"))
    for column, wanted in (s.get("filter") or {}).items():
        if column not in fac.columns:
            raise ColumnError(
                f"filter of service '{s['name']}' names column '{column}', which "
                f"'{s['facilities'].name}' does not have. Columns are: "
                f"{format_list([c for c in fac.columns if c != 'geometry'], 30)}."
            )
        allowed = wanted if isinstance(wanted, list) else [wanted]
        fac = fac[fac[column].isin(allowed)]
    return fac


def _summary_rows(rows, districts, s, key, name_col):
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
    return pd.DataFrame({
        "key": districts[key].to_numpy(),
        "name": districts[name_col].to_numpy() if name_col else districts[key].to_numpy(),
        "service": s["name"],
        "target_group": s["target_group"],
        "population": population,
        "covered": rows["covered_population"].to_numpy(dtype=float),
        "share_covered": share,
        "places": places,
        "places_per_1000": rows["places_per_1000"].to_numpy(dtype=float) if cap else np.nan,
        "norm_per_1000": norm if norm else np.nan,
        "places_required": required,
        "places_deficit": deficit,
        "gap": gap,
    })


def _write_map(layer, facilities, s, path, offline, de):
    from quartier.output.maps import add_facilities, choropleth
    from quartier.output.offline import save_map

    shown = layer.copy()
    shown["anteil_prozent"] = 100 * shown["share_covered"]
    title = (f"{s['name']}: Anteil der Zielgruppe im Umkreis von {s['max_cost']:g} m (%)" if de
             else f"{s['name']}: share of the target group within {s['max_cost']:g} m (%)")
    m = choropleth(shown, "anteil_prozent", title=title, name=title,
                   tiles=None if offline else "OpenStreetMap")
    add_facilities(m, facilities, name=s["name"])
    return save_map(m, path, offline=offline, title=title)


def _write_summary(summary: pd.DataFrame, out: Path, kind: str) -> Path:
    protected = apply_disclosure(summary).table
    if kind == "xlsx":
        path = out / "zusammenfassung.xlsx"
        protected.to_excel(path, index=False)
        return path
    path = out / "zusammenfassung.csv"
    # as German spreadsheets expect it: ; separated, decimal comma, UTF-8 with BOM
    protected.to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return path


def _slug(name: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
    text = name.translate(table).lower()
    return "".join(ch if ch.isalnum() else "_" for ch in text).strip("_") or "dienst"


