"""Many areas in one run: the ``[areas]`` section of a configuration (private helper).

``[areas] column = "bezirk_id"`` splits the districts into areas (a municipality key, a
Bezirk). Each area is an independent task: its districts, the demand units within
``2 * max_cost`` of it and, per service, the facilities within ``max_cost`` of it (a halo),
given to :func:`quartier.service_table`; only the area's own districts are kept. With these
halos every figure of an area's districts is the one a single run computes:

- coverage of a demand unit needs the facilities within ``max_cost`` of it, and every demand
  unit of the area lies in the area;
- located places count the facilities in the district, all inside the area;
- places within reach (2SFCA) of a facility within ``max_cost`` of the area divide by the
  demand within ``max_cost`` of that facility, which lies within ``2 * max_cost`` of the area.

Any larger set gives the same figures, so the halo is taken generously (a small slack for
rounding), and an area with no facility (or demand unit) in its halo gets the nearest one.
Street-network costs are never shorter than the straight line, so straight-line halos hold
for them too.

The tasks run one after another in this process (no ``--workers``), on a local
dask.distributed cluster started for the run (``workers=N``: N processes with one thread
each) or on an existing scheduler (``scheduler="tcp://host:8786"``; its workers need quartier
installed, the data travels with the tasks). A task that fails is reported with its error;
the others finish. The caller gathers the per-area tables into one table and protects and
writes it exactly as a single run does (one disclosure pattern per run).
"""

from __future__ import annotations

import time
import traceback
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from quartier._optional import import_optional
from quartier.access.services import service_table
from quartier.errors import ConfigError, ParameterError, format_list

#: Columns of the table of areas (``bereiche.csv``).
AREA_COLUMNS = ["area", "districts", "status", "seconds", "error"]
_SLACK = 1e-6  # relative; plus 1 mm absolute


@dataclass
class AreaTask:
    """The inputs of one area: its districts, demand and facilities with their halos."""

    area: str
    districts: object
    demand: object
    facilities: dict
    spec: list
    key: str


def area_column(districts, column: str, cfg) -> pd.Series:
    """The area of every district (as text); an unknown or empty column is a ConfigError
    that names the line of ``[areas] column``."""
    where = cfg.path.name
    line = cfg.areas.get("_line")
    prefix = f"{where}, line {line}" if line else where
    if column not in districts.columns:
        raise ConfigError(
            f"{prefix}: [areas] column = '{column}' is not a column of "
            f"'{cfg.districts['path'].name}'. Columns are: "
            f"{format_list([c for c in districts.columns if c != 'geometry'], 30)}.", line=line)
    values = districts[column]
    empty = values.isna() | (values.astype(str).str.strip() == "")
    if empty.any():
        keys = districts.loc[empty, cfg.districts["key"]].astype(str).tolist()
        raise ConfigError(
            f"{prefix}: [areas] column '{column}' is empty for district(s) "
            f"{format_list(keys)} of '{cfg.districts['path'].name}'; every district needs its "
            "area.", line=line)
    return values.astype(str)


def _near(tree, geoms, shapes, distance) -> np.ndarray:
    """Positions of ``candidates`` (points, STRtree ``tree``) within ``distance`` of any of
    ``shapes``; at least the nearest one."""
    if len(geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    reach = distance * (1 + _SLACK) + 1e-3
    hits = np.unique(tree.query(shapes, predicate="dwithin", distance=reach)[1])
    if len(hits) == 0:
        hits = np.unique(tree.nearest(shapes))
    return hits


def make_tasks(districts, areas: pd.Series, demand, facilities_by_service: dict, spec: list,
               key: str) -> list[AreaTask]:
    """One task per area (in order of first appearance), with its halos."""
    demand_geoms = demand.geometry.to_numpy()
    demand_tree = shapely.STRtree(demand_geoms)
    fac_trees = {name: (shapely.STRtree(f.geometry.to_numpy()), f.geometry.to_numpy())
                 for name, f in facilities_by_service.items()}
    widest = max(float(s["max_cost"]) for s in spec)
    by_service_cost = {s["service"]: float(s["max_cost"]) for s in spec}
    tasks = []
    for area in pd.unique(areas):
        own = districts[(areas == area).to_numpy()]
        shapes = own.geometry.to_numpy()
        rows = _near(demand_tree, demand_geoms, shapes, 2 * widest)
        fac = {}
        for name, f in facilities_by_service.items():
            tree, geoms = fac_trees[name]
            fac[name] = f.iloc[_near(tree, geoms, shapes, by_service_cost[name])]
        tasks.append(AreaTask(str(area), own, demand.iloc[rows], fac, spec, key))
    return tasks


def run_task(task: AreaTask) -> tuple[str, str, object, float]:
    """Compute one area: ``(area, "ok", table, seconds)`` or ``(area, "error", text, seconds)``.

    Errors are returned as text (not raised), so that any scheduler reports them alike."""
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            # the halo's demand and facilities lie outside the area's districts by design
            warnings.simplefilter("ignore")
            table = service_table(task.demand, task.facilities, task.spec, by=task.districts,
                                  by_key=task.key)
        return task.area, "ok", table, time.perf_counter() - start
    except Exception as err:  # reported per area; the other areas go on
        text = f"{type(err).__name__}: {err}"
        if not isinstance(err, ValueError | LookupError | OSError) and \
                type(err).__module__.split(".")[0] != "quartier":
            text += "\n" + "".join(traceback.format_exception(err)[-3:])
        return task.area, "error", text, time.perf_counter() - start


@contextmanager
def _client(workers: int | None, scheduler: str | None):
    distributed = import_optional("distributed", purpose="[areas] with --workers/--scheduler")
    if scheduler:
        client = distributed.Client(scheduler)
        try:
            yield client
        finally:
            client.close()
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dask's notes on ports and memory limits
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
    try:
        client = distributed.Client(cluster)
        try:
            yield client
        finally:
            client.close()
    finally:
        cluster.close()


def run_tasks(tasks: list[AreaTask], *, workers: int | None = None,
              scheduler: str | None = None, report=None) -> list[tuple]:
    """Run the tasks serially, on a local cluster (``workers``) or on ``scheduler``; call
    ``report(outcome)`` as each finishes. Returns the outcomes in the order of ``tasks``."""
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ParameterError(f"workers must be a whole number of 1 or more, not {workers!r}.")
    outcomes: dict[str, tuple] = {}
    if workers is None and not scheduler:
        for task in tasks:
            outcomes[task.area] = run_task(task)
            if report is not None:
                report(outcomes[task.area])
        return [outcomes[t.area] for t in tasks]
    distributed = import_optional("distributed", purpose="[areas] with --workers/--scheduler")
    with _client(workers, scheduler) as client:
        futures = {client.submit(run_task, task, pure=False, key=f"quartier-area-{i}"): task
                   for i, task in enumerate(tasks)}
        for future in distributed.as_completed(list(futures)):
            task = futures[future]
            try:
                outcome = future.result()
            except Exception as err:  # the worker died, the task could not be sent, ...
                outcome = (task.area, "error", f"{type(err).__name__}: {err}", float("nan"))
            outcomes[task.area] = outcome
            if report is not None:
                report(outcome)
    return [outcomes[t.area] for t in tasks]


def area_table(tasks: list[AreaTask], outcomes: list[tuple]) -> pd.DataFrame:
    """The table of areas: name, number of districts, status, seconds, error."""
    return pd.DataFrame({
        "area": [t.area for t in tasks],
        "districts": [len(t.districts) for t in tasks],
        "status": [o[1] for o in outcomes],
        "seconds": [round(float(o[3]), 3) for o in outcomes],
        "error": [o[2] if o[1] != "ok" else "" for o in outcomes],
    }, columns=AREA_COLUMNS)


def gather(outcomes: list[tuple]) -> pd.DataFrame | None:
    """The tables of the areas that succeeded, as one (None: none succeeded)."""
    tables = [o[2] for o in outcomes if o[1] == "ok"]
    return pd.concat(tables, ignore_index=True) if tables else None


def compute_areas(cfg, districts, demand, facilities_by_service: dict, spec: list, key: str,
                  parallel: tuple, stream):
    """The run's service table computed area by area (``[areas]``).

    Returns the gathered table, the table of areas, and the districts of the areas that
    succeeded (in the order of ``districts``). Failed areas are printed to ``stream`` (and
    listed in the table of areas); when every area fails, a QuartierError names them."""
    from quartier.errors import QuartierError

    workers, scheduler = parallel
    de = cfg.project["lang"] == "de"
    areas = area_column(districts, cfg.areas["column"], cfg)
    tasks = make_tasks(districts, areas, demand, facilities_by_service, spec, key)
    where = (f"lokaler Cluster mit {workers} Prozessen" if de else
             f"local cluster of {workers} processes") if workers else (
        scheduler if scheduler else ("nacheinander" if de else "one after another"))
    if stream is not None:
        print((f"{len(tasks)} Bereiche ({cfg.areas['column']}), {where}" if de else
               f"{len(tasks)} areas ({cfg.areas['column']}), {where}"), file=stream, flush=True)
    done = [0]

    def report(outcome):
        done[0] += 1
        if stream is None:
            return
        area, status, payload, seconds = outcome
        head = f"  [{done[0]}/{len(tasks)}] {cfg.areas['column']} {area}"
        if status == "ok":
            print(f"{head}: {payload['district'].nunique()} "
                  + (f"Gebiete ({seconds:.1f} s)" if de else f"districts ({seconds:.1f} s)"),
                  file=stream, flush=True)
        else:
            print(f"{head}: " + ("FEHLER " if de else "FAILED ") + payload.splitlines()[0],
                  file=stream, flush=True)

    outcomes = run_tasks(tasks, workers=workers, scheduler=scheduler, report=report)
    status = area_table(tasks, outcomes)
    tidy = gather(outcomes)
    if tidy is None:
        first = status["error"].iloc[0].splitlines()[0]
        raise QuartierError(f"every area of [areas] column '{cfg.areas['column']}' failed "
                            f"({len(status)}); the first: {status['area'].iloc[0]}: {first}")
    ok = set(status.loc[status["status"] == "ok", "area"])
    return tidy, status, districts[areas.isin(ok).to_numpy()]


def write_area_folders(cfg, status: pd.DataFrame, districts, public: pd.DataFrame,
                       layers: dict, styles: dict, masks: dict, stage, lang: str,
                       layer_meta: dict | None = None) -> list:
    """``bereiche.csv`` (the table of areas) and a folder per area under ``bereiche/``: the
    area's rows of the summary and its districts of the service layers, cut from the run's
    one protected result (no pattern of their own). A failed area's folder holds
    ``fehler.txt`` with its error."""
    from quartier.batch.runner import _slug
    from quartier.output.export import export_layers
    from quartier.output.spreadsheet import write_table

    column, key = cfg.areas["column"], cfg.districts["key"]
    files = []
    table = stage / "bereiche.csv"
    status.to_csv(table, sep=";", index=False, encoding="utf-8-sig")
    files.append(table)
    area_of = dict(zip(districts[key].astype(str),
                       districts[column].astype(str), strict=True))
    keys = public["key"].astype(str)
    summary_name = ("zusammenfassung.xlsx" if cfg.outputs["summary"] == "xlsx"
                    else "zusammenfassung.csv")
    for _, row in status.iterrows():
        folder = stage / "bereiche" / _slug(row["area"])
        folder.mkdir(parents=True, exist_ok=True)
        if row["status"] != "ok":
            text = folder / "fehler.txt"
            text.write_text(f"{column} {row['area']}: {row['error']}\n", encoding="utf-8")
            files.append(text)
            continue
        part = keys.map(area_of).eq(row["area"]).to_numpy()
        files.append(write_table(public[part].reset_index(drop=True), folder / summary_name,
                                 lang=lang, rules=False))
        own, part_masks = {}, {}
        for name, layer in layers.items():
            if name.endswith("_gebiete") and key in layer.columns:
                cut = layer[key].astype(str).map(area_of).eq(row["area"]).to_numpy()
                own[name], part_masks[name] = layer[cut], masks[name][cut]
        if own:
            files += export_layers(own, folder / "ebenen.gpkg", format="gpkg",
                                   styles={n: styles[n] for n in own if n in styles}, lang=lang,
                                   rules=False, suppressed=part_masks,
                                   metadata={"source": cfg.project["name"],
                                             "configuration": str(cfg.path.name),
                                             **{n: (layer_meta or {})[n] for n in own
                                                if n in (layer_meta or {})}},
                                   legend_titles={n: (layer_meta or {})[n]["reach"] for n in own
                                                  if "reach" in (layer_meta or {}).get(n, {})})
    return files
