"""The ``quartier`` command."""

from __future__ import annotations

import argparse
import sys
import warnings

from . import __version__
from .errors import QuartierError, QuartierWarning
from .settings import set_language

__all__ = ["main"]

#: Exit codes: 0 success, 2 bad input (the message says what to fix), 1 other failures.
EXIT_BAD_INPUT = 2


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
    parser = argparse.ArgumentParser(
        prog="quartier",
        description="quartier: Sozialplanung mit Gebieten, Indikatoren und Erreichbarkeit.",
    )
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    parser.add_argument("--lang", choices=["de", "en"], default="de", help="language of output")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="run the main job on the demo city Musterstadt")
    demo.add_argument("--out", default="quartier-demo", help="output folder (default: %(default)s)")
    demo.add_argument("--radius", type=float, default=500.0, help="reach in metres (default: 500)")
    args = parser.parse_args(argv)

    if args.version:
        print(f"quartier {__version__}")
        return 0
    if args.command is None:
        parser.print_help()
        return 0
    set_language(args.lang)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", QuartierWarning)
            if args.command == "demo":
                from .demo import format_summary, run_demo

                result = run_demo(args.out, radius=args.radius)
                print(format_summary(result))
        for w in caught:
            if issubclass(w.category, QuartierWarning):
                print(f"Hinweis: {w.message}" if args.lang == "de" else f"Note: {w.message}",
                      file=sys.stderr)
    except QuartierError as err:
        print(f"Fehler: {err}" if args.lang == "de" else f"Error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
