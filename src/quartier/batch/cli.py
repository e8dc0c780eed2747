"""The ``quartier`` command: the demo, batch runs from a configuration file, single steps."""

from __future__ import annotations

import argparse
import re
import sys
import traceback
import warnings
from contextlib import contextmanager
from pathlib import Path

from quartier import __version__
from quartier.errors import QuartierError, QuartierWarning
from quartier.output.formatting import format_number
from quartier.settings import language, resolve_language

__all__ = ["main", "EXIT_OK", "EXIT_FAILURE", "EXIT_BAD_INPUT", "EXIT_AREAS_FAILED"]

#: Exit codes: success; an unexpected failure (a bug or the system); bad input (the message
#: names the file, line, column or key and says what to fix).
EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
#: Exit code of ``quartier run`` with ``[areas]`` when some areas failed: the others are
#: written, the failed ones are listed (stderr, ``bereiche.csv``, ``bereiche/<area>/fehler.txt``).
EXIT_AREAS_FAILED = 3


#: Classification schemes of the map command (those of quartier.choropleth without bins).
_SCHEMES = ["quantiles", "equal_interval", "natural_breaks", "fisher_jenks", "std_mean"]



class _Parser(argparse.ArgumentParser):
    """argparse, with bad arguments reported as one line in the chosen language (exit 2)."""

    lang = "de"

    def error(self, message: str):  # argparse's hook for bad arguments
        self.exit(EXIT_BAD_INPUT, _error_line(self._translate(message), self.lang,
                                              f"{self.prog} --help"))

    def _translate(self, message: str) -> str:
        if self.lang != "de":
            return message
        patterns = [
            (r"argument (\S+): invalid choice: (.+) \(choose from (.+)\)",
             lambda m: f"{m[1]}: ungültiger Wert {m[2]} (möglich: {m[3]})"),
            (r"the following arguments are required: (.+)",
             lambda m: f"diese Angaben fehlen: {m[1]}"),
            (r"argument (\S+): invalid (\w+) value: (.+)",
             lambda m: f"{m[1]}: {m[3]} ist keine gültige Zahl"),
            (r"unrecognized arguments: (.+)", lambda m: f"unbekannte Angaben: {m[1]}"),
            (r"argument (\S+): expected one argument", lambda m: f"{m[1]} braucht einen Wert"),
            (r"argument (\S+): (.+)", lambda m: f"{m[1]}: {m[2]}"),
        ]
        for pattern, fix in patterns:
            found = re.fullmatch(pattern, message)
            if found:
                return fix(found)
        return message


def _error_line(message: str, lang: str, helpcmd: str | None = None) -> str:
    de = lang == "de"
    text = ("Fehler: " if de else "Error: ") + message.rstrip()
    if helpcmd:
        text += (f"\nHilfe: {helpcmd}" if de else f"\nHelp: {helpcmd}")
    return text + "\n"


def _positive(what: str, example: str):
    def check(text: str) -> float:
        try:
            value = float(text.replace(",", "."))
        except ValueError:
            value = float("nan")
        if not value > 0:
            raise argparse.ArgumentTypeError(
                f"{text} ist keine Entfernung über 0 Meter; z. B. {example}"
                if _Parser.lang == "de" else
                f"{text} is not a distance above 0 metres; e.g. {example}")
        return value
    check.__name__ = what
    return check


def _whole(flag: str):
    def check(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(
                f"{text} ist keine ganze Zahl ab 1; z. B. {flag} 3" if _Parser.lang == "de"
                else f"{text} is not a whole number of 1 or more; e.g. {flag} 3")
        return value
    check.__name__ = "whole number"
    return check


def _disclosure_options() -> argparse.ArgumentParser:
    """Disclosure options of every command that writes tables, layers or maps."""
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group(
        "disclosure control (statistische Geheimhaltung)",
        "for this command only; `run` takes them over the configuration's [disclosure]")
    group.add_argument("--min-count", type=_whole("--min-count"),
                       help="suppress counts of people from 1 to this minus 1, e.g. 3 "
                            "(default: the rules in force, else none)")
    group.add_argument("--round-to", type=_whole("--round-to"),
                       help="round published counts to this base, e.g. 5")
    group.add_argument("--count-column", action="append", metavar="COLUMN",
                       help="a column that counts people, whatever its type (repeat for more); "
                            "integer columns count anyway")
    group.add_argument("--rate", action="append", metavar="RATE=NUMERATOR/DENOMINATOR",
                       help="a rate column and its counts, suppressed with them, e.g. "
                            "--rate quote=sgb2/ew (repeat for more)")
    return parent


def _parser(lang: str = "de") -> argparse.ArgumentParser:
    _Parser.lang = lang
    protect = _disclosure_options()
    parser = _Parser(
        prog="quartier",
        description="quartier: Sozialplanung mit Gebieten, Indikatoren und Erreichbarkeit.",
        epilog="Exit codes: 0 success, 2 bad input (the message says what to fix), 1 failure, "
               "3 some [areas] of a run failed (the others are written).",
    )
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    parser.add_argument("--lang", choices=["de", "en"], default=None,
                        help="language of messages and output, for this command only: "
                             "%(choices)s (default: German, or the language set with "
                             "quartier.set_language when main() is called from Python)")
    parser.add_argument("--debug", action="store_true",
                        help="show the Python traceback of an error (for reporting a bug)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser,
                                help="the task; `quartier <task> --help` describes its options")

    demo = sub.add_parser("demo", help="run the main job on the demo city Musterstadt",
                          parents=[protect])
    demo.add_argument("--out", default="quartier-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--radius", type=_positive("distance", "--radius 500"), default=500.0,
                      help="reach in metres, more than 0 (default: 500)")

    run = sub.add_parser("run", help="run a whole analysis from a configuration file", parents=[protect])
    run.add_argument("config", help="the analysis.toml file")
    run.add_argument("--dry-run", action="store_true", help="only validate the configuration")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    run.add_argument("--workers", type=_whole("--workers"), metavar="N",
                     help="compute the [areas] of the configuration on a local dask cluster "
                          "of N processes (needs: pip install \"quartier[areas]\")")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="compute the [areas] on a running dask scheduler, e.g. "
                          "tcp://10.0.0.5:8786 (its workers need quartier and the data's "
                          "libraries installed)")

    join = sub.add_parser("join", help="join a table to districts and report what did not match", parents=[protect])
    join.add_argument("districts", help="GIS file with the districts")
    join.add_argument("table", help="CSV or XLSX table")
    join.add_argument("--key", required=True, help="key column of the districts")
    join.add_argument("--table-key", help="key column of the table (default: --key)")
    join.add_argument("--layer", help="layer of the districts file (needed when it has several)")
    join.add_argument("--key-width", type=int, help="pad keys with zeros to this width")
    join.add_argument("--out", help="write the joined layer here (.gpkg, .geojson, ...)")

    cov = sub.add_parser("coverage", help="share of a target group within reach, per district", parents=[protect])
    cov.add_argument("--districts", required=True, help="GIS file with the districts")
    cov.add_argument("--key", required=True, help="key column of the districts")
    cov.add_argument("--layer", help="layer of the districts file (needed when it has several)")
    cov.add_argument("--population", required=True,
                     help="points or cells with the population (GIS file or CSV)")
    cov.add_argument("--population-layer", help="layer of the population file")
    cov.add_argument("--x", help="column with x coordinates (CSV population)")
    cov.add_argument("--y", help="column with y coordinates (CSV population)")
    cov.add_argument("--source-crs", help="CRS of the population coordinates, e.g. 25832")
    cov.add_argument("--demand-col", required=True, help="population column of the target group")
    cov.add_argument("--facilities", required=True, help="GIS file with the facilities")
    cov.add_argument("--facilities-layer", help="layer of the facilities file")
    cov.add_argument("--max-cost", type=_positive("distance", "--max-cost 500"), required=True,
                     help="reach in metres, more than 0")
    cov.add_argument("--out", required=True, help="output layer file (.gpkg, .geojson, ...)")

    mp = sub.add_parser("map", help="an interactive choropleth map of one column (offline)", parents=[protect])
    mp.add_argument("layer_file", help="GIS file with districts and the column")
    mp.add_argument("column", help="the column to map")
    mp.add_argument("--layer", help="layer of the file (needed when it has several)")
    mp.add_argument("--key", help="key column (default: the first column)")
    mp.add_argument("--name", help="column with the district names, for tooltips")
    mp.add_argument("--label", help="display label of the column (legend, tooltips)")
    mp.add_argument("--kind", choices=["numeric", "categorical"], default="numeric",
                    help="number ranges or one colour per value: %(choices)s "
                         "(default: %(default)s)")
    mp.add_argument("--scheme", choices=_SCHEMES, default="quantiles",
                    help="classification: %(choices)s (default: %(default)s)")
    mp.add_argument("--k", type=int, default=5, help="number of classes, 2 or more (default: 5)")
    mp.add_argument("--source", help="data source, shown on the map (Quelle)")
    mp.add_argument("--licence", help="licence of the data, shown on the map (Lizenz)")
    mp.add_argument("--date", help="date of the data, shown on the map (Stand)")
    mp.add_argument("--online", action="store_true",
                    help="add OpenStreetMap tiles as background (needs internet when opened); "
                         "without it the page needs no network")
    mp.add_argument("--offline", action="store_true",
                    help="no tiles at all (the default; kept for older scripts)")
    mp.add_argument("--out", required=True, help="the .html file")

    ex = sub.add_parser("export", help="convert layers between GIS formats", parents=[protect])
    ex.add_argument("source", help="GIS file")
    ex.add_argument("target", help=".gpkg, .geojson, .fgb, .parquet, .shp, or a folder")
    ex.add_argument("--layer", action="append", help="layer(s) to export (default: all)")
    ex.add_argument("--format", choices=["gpkg", "geojson", "fgb", "parquet", "shp"],
                    help="format when target is a folder: %(choices)s")
    return parser


# Python parameters named in library messages -> the flags of the command line
_FLAGS = {
    "map": {"k": "--k", "scheme": "--scheme", "kind": "--kind", "name_col": "--name",
            "layer": "--layer", "key": "--key"},
    "coverage": {"max_cost": "--max-cost", "demand_col": "--demand-col", "by_key": "--key",
                 "key": "--key", "layer": "--layer", "x": "--x", "y": "--y",
                 "source_crs": "--source-crs"},
    "join": {"key_width": "--key-width", "left_on": "--key", "right_on": "--table-key",
             "key": "--key", "layer": "--layer"},
    "export": {"format": "--format", "layer": "--layer"},
    "demo": {"radius": "--radius"},
}

# notes (warnings) of the library, in German for a German run
_NOTES_DE = [
    (r"(\d+) people of the target group lie in no district of `by`; they are left out of the "
     r"district totals\.",
     lambda m: f"{format_number(int(m[1]), 0, lang='de')} Personen der Zielgruppe liegen in "
               "keinem Gebiet (--districts); sie fehlen in den Summen der Gebiete."),
]


def _flags(message: str, command: str | None) -> str:
    """Say ``--max-cost 500`` where the library says ``max_cost=500``."""
    for param, flag in _FLAGS.get(command or "", {}).items():
        message = re.sub(rf"(?<![\w.-]){param}=", f"{flag} ", message)
    return message


def _note(message: str, lang: str) -> str:
    if lang == "de":
        for pattern, fix in _NOTES_DE:
            found = re.fullmatch(pattern, message.strip())
            if found:
                return fix(found)
    return message


def main(argv: list[str] | None = None) -> int:
    """Run the ``quartier`` command line.

    Bad input (a missing file, an unknown layer or column, a value out of range) ends with
    exit code 2 and one message that names the file, layer, column or value and the flag to
    fix it; ``--debug`` adds the Python traceback.

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
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = resolve_language(_peek_lang(argv))
    de = lang == "de"
    parser = _parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # argparse: --help (0) or a bad argument (2, message printed)
        return int(stop.code or 0)
    if args.version:
        print(f"quartier {__version__}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_OK
    helpcmd = f"quartier {args.command} --help"
    try:
        # --lang and the disclosure options apply to this command only: the caller's language
        # and rules come back afterwards
        with language(lang), _disclosure_block(args), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuartierWarning)
            code = _COMMANDS[args.command](args)
        for w in caught:
            if issubclass(w.category, QuartierWarning):
                print(("Hinweis: " if de else "Note: ") + _note(str(w.message), lang),
                      file=sys.stderr)
        return code
    except (QuartierError, _BadInput) as err:
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(_error_line(_flags(str(err), args.command), lang, helpcmd))
        return EXIT_BAD_INPUT
    except OSError as err:  # a file that cannot be read or written
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        name = getattr(err, "filename", None) or ""
        text = (f"Datei {name!r} kann nicht gelesen oder geschrieben werden: {err.strerror or err}"
                if de else f"cannot read or write {name!r}: {err.strerror or err}")
        sys.stderr.write(_error_line(text, lang, helpcmd))
        return EXIT_BAD_INPUT
    except Exception as err:
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        text = (f"unerwarteter Fehler ({type(err).__name__}: {err}). Mit --debug erscheinen die "
                "Details für eine Fehlermeldung an das Projekt." if de else
                f"unexpected failure ({type(err).__name__}: {err}). Run again with --debug for "
                "the details to report.")
        sys.stderr.write(_error_line(text, lang))
        return EXIT_FAILURE


@contextmanager
def _disclosure_block(args):
    """The rules of --min-count, --round-to, --count-column, --rate for this command: on top
    of the rules in force (their threshold unless --min-count is given)."""
    from quartier.reporting.disclosure_control import disclosure, get_disclosure

    given = [getattr(args, f, None) for f in ("min_count", "round_to", "count_column", "rate")]
    if not any(v is not None for v in given):
        yield
        return
    base = get_disclosure()
    rates = {r: (a, b) for r, a, b in base.rate_columns} if base else {}
    for text in args.rate or []:
        found = re.fullmatch(r"\s*([^=]+?)\s*=\s*([^/]+?)\s*/\s*(.+?)\s*", text)
        if not found:
            raise _BadInput(
                f"--rate {text!r}: schreiben Sie RATE=ZÄHLER/NENNER, z. B. --rate quote=sgb2/ew."
                if _de() else
                f"--rate {text!r}: write RATE=NUMERATOR/DENOMINATOR, e.g. --rate quote=sgb2/ew.")
        rates[found[1]] = (found[2], found[3])
    min_count = args.min_count or (base.min_count if base else None)
    round_to = args.round_to or (base.round_to if base else None)
    if min_count is None and round_to is None:
        raise _BadInput(
            "--count-column und --rate brauchen eine Regel: --min-count 3 (oder --round-to 5)."
            if _de() else
            "--count-column and --rate need a rule: --min-count 3 (or --round-to 5).")
    known = list(base.count_columns or ()) if base else []
    counts = [*known, *(args.count_column or [])] or None
    with disclosure(min_count, round_to=round_to, secondary=base.secondary if base else True,
                    count_columns=counts, rate_columns=rates,
                    row_totals={t: list(p) for t, p in base.row_totals} if base else None):
        yield


class _BadInput(Exception):
    """Bad input found by the command line itself (the message is in the chosen language)."""


def _peek_lang(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in ("de", "en"):
            return argv[i + 1]
        if arg.startswith("--lang=") and arg[7:] in ("de", "en"):
            return arg[7:]
    return None


def _de() -> bool:
    return resolve_language(None) == "de"


def _existing(path: str, flag: str) -> str:
    if not Path(path).exists():
        raise _BadInput(
            f"die Datei {path!r} ({flag}) gibt es nicht; prüfen Sie Pfad und Namen."
            if _de() else f"the file {path!r} ({flag}) does not exist; check the path and name.")
    return path


def _layer(path: str, layer: str | None, flag: str, file_flag: str) -> str | None:
    """The layer to read: the one named, or the only one; several without ``--layer`` is an
    error that lists them."""
    _existing(path, file_flag)
    if Path(path).suffix.lower() in (".csv", ".txt", ".xlsx", ".xls"):
        return layer
    import geopandas as gpd

    try:
        layers = [n for n in gpd.list_layers(path)["name"].tolist() if n != "layer_styles"]
    except Exception:  # not a GIS file: the reader says so
        return layer
    listed = ", ".join(layers)
    if layer is not None:
        if layer not in layers:
            raise _BadInput(
                f"die Datei {path!r} hat keine Ebene {layer!r} ({flag}); Ebenen: {listed}."
                if _de() else f"{path!r} has no layer {layer!r} ({flag}); layers: {listed}.")
        return layer
    if len(layers) > 1:
        raise _BadInput(
            f"die Datei {path!r} hat {len(layers)} Ebenen: {listed}. Wählen Sie eine mit "
            f"{flag}, z. B. {flag} {layers[0]}." if _de() else
            f"{path!r} has {len(layers)} layers: {listed}. Choose one with {flag}, e.g. "
            f"{flag} {layers[0]}.")
    return layers[0] if layers else None


def _demo(args) -> int:
    from quartier.batch.demo import format_summary, run_demo

    print(format_summary(run_demo(args.out, radius=args.radius)))
    return EXIT_OK


def _run(args) -> int:
    from quartier.batch.config import load_config
    from quartier.batch.runner import run_analysis
    from quartier.output.formatting import format_percent
    from quartier.reporting.disclosure_control import get_disclosure

    cfg = load_config(args.config)
    de = cfg.project["lang"] == "de"
    if args.dry_run:
        print(f"{args.config}: " + ("Konfiguration ist gültig." if de else "configuration is valid."))
        return EXIT_OK
    flags = args.min_count or args.round_to or args.count_column or args.rate
    if args.workers and args.scheduler:
        raise _BadInput("--workers startet einen lokalen Cluster, --scheduler nutzt einen "
                        "bestehenden: nur eines von beiden angeben." if de else
                        "--workers starts a local cluster, --scheduler uses a running one: "
                        "give only one of them.")
    result = run_analysis(cfg, progress=None if args.quiet else sys.stderr,
                          rules=get_disclosure() if flags else None, workers=args.workers,
                          scheduler=args.scheduler)
    gaps = result.summary[result.summary["gap"]]
    print(f"{cfg.project['name']}")
    for service, rows in result.summary.groupby("service", sort=False):
        share = rows["covered"].sum() / rows["population"].sum() if rows["population"].sum() else 0
        n_gaps = int(gaps["service"].eq(service).sum())
        # with networks: how the reach is measured ("ÖPNV, Dienstag 7:00–9:00 Uhr, ...")
        how = f" ({rows['reach'].iloc[0]})" if "reach" in rows.columns else ""
        print(f"  {service}: {format_percent(share, lang=cfg.project['lang'])} "
              + (f"{'in Reichweite' if how else 'im Umkreis'}{how}, {n_gaps} Gebiete mit Lücken"
                 if de
                 else f"within reach{how}, {n_gaps} districts with gaps"))
    print(("Ergebnisse: " if de else "Results: ") + str(cfg.output_dir.resolve()))
    failed = result.areas[result.areas["status"] != "ok"] if result.areas is not None else None
    if failed is not None and len(failed):
        column = cfg.areas["column"]
        sys.stderr.write(_error_line(
            (f"{len(failed)} von {len(result.areas)} Bereichen ({column}) fehlgeschlagen; die "
             "übrigen sind geschrieben (bereiche.csv):" if de else
             f"{len(failed)} of {len(result.areas)} areas ({column}) failed; the others are "
             "written (bereiche.csv):")
            + "".join(f"\n  {column} {row.area}: {row.error.splitlines()[0]}"
                      for row in failed.itertuples()), cfg.project["lang"]))
        return EXIT_AREAS_FAILED
    return EXIT_OK


def _join(args) -> int:
    from quartier.io.districts import read_districts
    from quartier.io.joins import join_indicators
    from quartier.io.tables import read_table
    from quartier.output.export import export_layers

    layer = _layer(args.districts, args.layer, "--layer", "districts")
    districts = read_districts(args.districts, args.key, layer=layer, key_width=args.key_width)
    table = read_table(_existing(args.table, "table"), key=args.table_key or args.key,
                       key_width=args.key_width)
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
    from quartier.output.spreadsheet import output_rules

    districts = read_districts(args.districts, args.key,
                               layer=_layer(args.districts, args.layer, "--layer", "--districts"))
    population = read_points(args.population, x=args.x, y=args.y, crs=districts.crs,
                             layer=_layer(args.population, args.population_layer,
                                          "--population-layer", "--population"),
                             source_crs=args.source_crs)
    facilities = read_facilities(args.facilities, crs=districts.crs,
                                 layer=_layer(args.facilities, args.facilities_layer,
                                              "--facilities-layer", "--facilities"))
    result = coverage(population, facilities, max_cost=args.max_cost, demand_col=args.demand_col,
                      by=districts, by_key=args.key)
    # quartier's own people counts and shares are known, also as decimals
    for path in export_layers({"coverage": result.districts}, args.out,
                              styles={"coverage": "share_covered"},
                              rules=output_rules(None, result.districts) or False):
        print(path)
    print(result)
    return EXIT_OK


def _map(args) -> int:
    import geopandas as gpd

    from quartier.io.districts import read_districts
    from quartier.output.maps import choropleth
    from quartier.output.offline import save_map
    from quartier.output.spreadsheet import output_rules

    de = _de()
    layer = _layer(args.layer_file, args.layer, "--layer", "layer_file")
    raw = gpd.read_file(args.layer_file, layer=layer)
    columns = [c for c in raw.columns if c != raw.geometry.name]
    for value, flag in ((args.column, "column"), (args.key, "--key"), (args.name, "--name")):
        if value is not None and value not in columns:
            where = f"{args.layer_file!r}" + (f" (--layer {layer})" if layer else "")
            raise _BadInput(
                f"die Spalte {value!r} ({flag}) gibt es in {where} nicht; Spalten: "
                f"{', '.join(columns)}." if de else
                f"{where} has no column {value!r} ({flag}); columns: {', '.join(columns)}.")
    if args.k < 2:
        raise _BadInput(f"--k {args.k}: es braucht mindestens 2 Klassen, z. B. --k 5." if de
                        else f"--k {args.k}: at least 2 classes are needed, e.g. --k 5.")
    import pandas as pd

    values = raw[args.column]
    if args.kind == "numeric" and (pd.api.types.is_bool_dtype(values)
                                   or not pd.api.types.is_numeric_dtype(values)):
        sample = ", ".join(repr(v) for v in pd.unique(values.dropna())[:3])
        raise _BadInput(
            f"die Spalte {args.column!r} enthält Text ({sample}), keine Zahlen: für Klassen oder "
            "Schlüssel --kind categorical angeben." if de else
            f"column {args.column!r} holds text ({sample}), not numbers: for classes or keys "
            "pass --kind categorical.")
    key = args.key or columns[0]
    districts = read_districts(raw, key, name=args.name)
    m = choropleth(districts, args.column, kind=args.kind, scheme=args.scheme, k=args.k,
                   name_col=args.name, labels={args.column: args.label} if args.label else None,
                   source=args.source, licence=args.licence, date=args.date,
                   tiles="OpenStreetMap" if args.online and not args.offline else None,
                   rules=output_rules(None, districts) or False)
    print(save_map(m, args.out))
    return EXIT_OK


def _export(args) -> int:
    import geopandas as gpd

    from quartier.output.export import export_layers

    _existing(args.source, "source")
    available = [n for n in gpd.list_layers(args.source)["name"] if n != "layer_styles"]
    for name in args.layer or []:
        if name not in available:
            raise _BadInput(
                f"die Datei {args.source!r} hat keine Ebene {name!r} (--layer); Ebenen: "
                f"{', '.join(available)}." if _de() else
                f"{args.source!r} has no layer {name!r} (--layer); layers: "
                f"{', '.join(available)}.")
    names = args.layer or available
    if Path(args.target).suffix == "" and args.format is None:
        raise _BadInput(
            f"{args.target!r} ist ein Ordner: geben Sie das Format mit --format an, z. B. "
            "--format gpkg." if _de() else
            f"{args.target!r} is a folder: give the format with --format, e.g. --format gpkg.")
    layers = {name: gpd.read_file(args.source, layer=name) for name in names}
    for path in export_layers(layers, args.target, format=args.format):
        print(path)
    return EXIT_OK


_COMMANDS = {"demo": _demo, "run": _run, "join": _join, "coverage": _coverage, "map": _map,
             "export": _export}


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
