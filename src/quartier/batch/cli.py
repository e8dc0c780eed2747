"""The ``quartier`` command: the demo, batch runs from a configuration file, single steps."""

from __future__ import annotations

import argparse
import sys
import traceback
import warnings
from pathlib import Path

from quartier import __version__
from quartier.errors import QuartierError, QuartierWarning
from quartier.settings import language, resolve_language

__all__ = ["main", "EXIT_OK", "EXIT_FAILURE", "EXIT_BAD_INPUT"]

#: Exit codes: success; an unexpected failure (a bug or the system); bad input (the message
#: names the file, line, column or key and says what to fix).
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="quartier",
        description="quartier: Sozialplanung mit Gebieten, Indikatoren und Erreichbarkeit.",
        epilog="Exit codes: 0 success, 2 bad input (the message says what to fix), 1 failure.",
    )
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    parser.add_argument("--lang", choices=["de", "en"], default=None,
                        help="language of output, for this command only (default: German, or the "
                             "language set with quartier.set_language when main() is called "
                             "from Python)")
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", help="run the main job on the demo city Musterstadt")
    demo.add_argument("--out", default="quartier-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--radius", type=float, default=500.0, help="reach in metres (default: 500)")

    run = sub.add_parser("run", help="run a whole analysis from a configuration file")
    run.add_argument("config", help="the analysis.toml file")
    run.add_argument("--dry-run", action="store_true", help="only validate the configuration")
    run.add_argument("--quiet", action="store_true", help="no progress lines")

    join = sub.add_parser("join", help="join a table to districts and report what did not match")
    join.add_argument("districts", help="GIS file with the districts")
    join.add_argument("table", help="CSV or XLSX table")
    join.add_argument("--key", required=True, help="key column of the districts")
    join.add_argument("--table-key", help="key column of the table (default: --key)")
    join.add_argument("--layer", help="layer of the districts file")
    join.add_argument("--key-width", type=int, help="pad keys with zeros to this width")
    join.add_argument("--out", help="write the joined layer here (.gpkg, .geojson, ...)")

    cov = sub.add_parser("coverage", help="share of a target group within reach, per district")
    cov.add_argument("--districts", required=True)
    cov.add_argument("--key", required=True, help="key column of the districts")
    cov.add_argument("--layer", help="layer of the districts file")
    cov.add_argument("--population", required=True, help="points or cells with the population")
    cov.add_argument("--population-layer")
    cov.add_argument("--x")
    cov.add_argument("--y")
    cov.add_argument("--source-crs", help="CRS of the population coordinates")
    cov.add_argument("--demand-col", required=True, help="population column of the target group")
    cov.add_argument("--facilities", required=True)
    cov.add_argument("--facilities-layer")
    cov.add_argument("--max-cost", type=float, required=True, help="reach in metres")
    cov.add_argument("--out", required=True, help="output layer file (.gpkg, .geojson, ...)")

    mp = sub.add_parser("map", help="an interactive choropleth map of one column")
    mp.add_argument("layer_file", help="GIS file with districts and the column")
    mp.add_argument("column")
    mp.add_argument("--layer")
    mp.add_argument("--key", help="key column (default: the first column)")
    mp.add_argument("--name", help="name column for tooltips")
    mp.add_argument("--scheme", default="quantiles")
    mp.add_argument("--k", type=int, default=5)
    mp.add_argument("--offline", action="store_true", help="self-contained HTML, no tiles")
    mp.add_argument("--out", required=True, help="the .html file")

    ex = sub.add_parser("export", help="convert layers between GIS formats")
    ex.add_argument("source", help="GIS file")
    ex.add_argument("target", help=".gpkg, .geojson, .fgb, .parquet, .shp, or a folder")
    ex.add_argument("--layer", action="append", help="layer(s) to export (default: all)")
    ex.add_argument("--format", help="format when target is a folder")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the ``quartier`` command line.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit code: 0 on success, 2 on bad input, 1 on other failures.

    Examples
    --------
    >>> main(["--version"])  # doctest: +ELLIPSIS
    quartier ...
    0
    """
    parser = _parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"quartier {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    lang = resolve_language(args.lang)
    de = lang == "de"
    try:
        # --lang applies to this command only: the caller's language comes back afterwards
        with language(lang), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuartierWarning)
            code = _COMMANDS[args.command](args)
        for w in caught:
            if issubclass(w.category, QuartierWarning):
                print(("Hinweis: " if de else "Note: ") + str(w.message), file=sys.stderr)
        return code
    except QuartierError as err:
        print(("Fehler: " if de else "Error: ") + str(err), file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as err:
        traceback.print_exc(file=sys.stderr)
        print(("Fehler (unerwartet): " if de else "Unexpected failure: ") + repr(err),
              file=sys.stderr)
        return EXIT_FAILURE


def _demo(args) -> int:
    from quartier.batch.demo import format_summary, run_demo

    print(format_summary(run_demo(args.out, radius=args.radius)))
    return EXIT_OK


def _run(args) -> int:
    from quartier.batch.config import load_config
    from quartier.batch.runner import run_analysis
    from quartier.output.formatting import format_percent

    cfg = load_config(args.config)
    de = cfg.project["lang"] == "de"
    if args.dry_run:
        print(f"{args.config}: " + ("Konfiguration ist gültig." if de else "configuration is valid."))
        return EXIT_OK
    result = run_analysis(cfg, progress=None if args.quiet else sys.stderr)
    gaps = result.summary[result.summary["gap"]]
    print(f"{cfg.project['name']}")
    for service, rows in result.summary.groupby("service", sort=False):
        share = rows["covered"].sum() / rows["population"].sum() if rows["population"].sum() else 0
        n_gaps = int(gaps["service"].eq(service).sum())
        print(f"  {service}: {format_percent(share)} "
              + (f"im Umkreis, {n_gaps} Gebiete mit Lücken" if de
                 else f"within reach, {n_gaps} districts with gaps"))
    print(("Ergebnisse: " if de else "Results: ") + str(cfg.output_dir.resolve()))
    return EXIT_OK


def _join(args) -> int:
    from quartier.io.districts import read_districts
    from quartier.io.joins import join_indicators
    from quartier.io.tables import read_table
    from quartier.output.export import export_layers

    districts = read_districts(args.districts, args.key, layer=args.layer,
                               key_width=args.key_width)
    table = read_table(args.table, key=args.table_key or args.key, key_width=args.key_width)
    joined, report = join_indicators(districts, table, left_on=args.key,
                                     right_on=args.table_key or args.key,
                                     key_width=args.key_width)
    print(report)
    if args.out:
        for path in export_layers({Path(args.out).stem: joined}, args.out):
            print(path)
    return EXIT_OK


def _coverage(args) -> int:
    from quartier.access.covering import coverage
    from quartier.io.districts import read_districts
    from quartier.io.facilities import read_facilities, read_points
    from quartier.output.export import export_layers

    districts = read_districts(args.districts, args.key, layer=args.layer)
    population = read_points(args.population, x=args.x, y=args.y, crs=districts.crs,
                             layer=args.population_layer, source_crs=args.source_crs)
    facilities = read_facilities(args.facilities, crs=districts.crs, layer=args.facilities_layer)
    result = coverage(population, facilities, max_cost=args.max_cost, demand_col=args.demand_col,
                      by=districts, by_key=args.key)
    for path in export_layers({"coverage": result.districts}, args.out,
                              styles={"coverage": "share_covered"}):
        print(path)
    print(result)
    return EXIT_OK


def _map(args) -> int:
    import geopandas as gpd

    from quartier.io.districts import read_districts
    from quartier.output.maps import choropleth
    from quartier.output.offline import save_map

    layers = gpd.list_layers(args.layer_file)["name"].tolist()
    layer = args.layer or (layers[0] if len(layers) == 1 or "layer_styles" in layers else None)
    raw = gpd.read_file(args.layer_file, layer=layer)
    key = args.key or next(c for c in raw.columns if c != raw.geometry.name)
    districts = read_districts(raw, key, name=args.name)
    m = choropleth(districts, args.column, scheme=args.scheme, k=args.k, name_col=args.name,
                   tiles=None if args.offline else "OpenStreetMap")
    print(save_map(m, args.out, offline=args.offline))
    return EXIT_OK


def _export(args) -> int:
    import geopandas as gpd

    from quartier.output.export import export_layers

    names = args.layer or [n for n in gpd.list_layers(args.source)["name"] if n != "layer_styles"]
    layers = {name: gpd.read_file(args.source, layer=name) for name in names}
    for path in export_layers(layers, args.target, format=args.format):
        print(path)
    return EXIT_OK


_COMMANDS = {"demo": _demo, "run": _run, "join": _join, "coverage": _coverage, "map": _map,
             "export": _export}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
