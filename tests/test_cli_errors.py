"""The command line as a planner meets it: every bad input exits 2 with one message in the chosen
language that names the file, layer, column or value and the flag to fix it, and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import quartier

from conftest import REPO

GPKG = str(quartier.demo_path("musterstadt.gpkg"))
TOML = str(REPO / "examples" / "nope.toml")

# (arguments, what the German message must contain, what the English one must contain)
CASES = [
    (["map", GPKG, "anteil", "--layer", "stadtteile", "--scheme", "jenks", "--out", "k.html"],
     ["--scheme", "jenks", "quantiles"], ["--scheme", "jenks", "quantiles"]),
    (["map", "fehlt.gpkg", "anteil", "--out", "k.html"],
     ["fehlt.gpkg", "gibt es nicht"], ["fehlt.gpkg", "does not exist"]),
    (["map", GPKG, "anteil", "--out", "k.html"],
     ["8 Ebenen", "stadtteile", "--layer"], ["8 layers", "stadtteile", "--layer"]),
    (["map", GPKG, "anteil", "--layer", "kreise", "--out", "k.html"],
     ["'kreise'", "--layer", "stadtbezirke"], ["'kreise'", "--layer", "stadtbezirke"]),
    (["map", GPKG, "anteil", "--layer", "stadtteile", "--out", "k.html"],
     ["'anteil'", "Spalten", "stadtteil_id"], ["'anteil'", "columns", "stadtteil_id"]),
    (["map", GPKG, "name", "--layer", "stadtteile", "--k", "1", "--out", "k.html"],
     ["--k 1", "2 Klassen"], ["--k 1", "2 classes"]),
    (["map", GPKG, "name", "--layer", "stadtteile", "--k", "viele", "--out", "k.html"],
     ["--k", "viele"], ["--k", "viele"]),
    (["coverage", "--districts", GPKG, "--layer", "stadtteile", "--key", "stadtteil_id",
      "--population", GPKG, "--population-layer", "einrichtungen", "--demand-col", "x",
      "--facilities", GPKG, "--facilities-layer", "einrichtungen", "--max-cost", "-1",
      "--out", "o.gpkg"],
     ["--max-cost", "-1", "über 0"], ["--max-cost", "-1", "above 0"]),
    (["demo", "--radius", "0"], ["--radius", "0", "über 0"], ["--radius", "0", "above 0"]),
    (["export", GPKG, "ordner"], ["'ordner'", "--format"], ["'ordner'", "--format"]),
    (["export", GPKG, "x.gpkg", "--layer", "kreise"], ["'kreise'", "--layer"],
     ["'kreise'", "--layer"]),
    (["join", GPKG, "fehlt.csv", "--key", "stadtteil_id", "--layer", "stadtteile"],
     ["fehlt.csv", "gibt es nicht"], ["fehlt.csv", "does not exist"]),
    (["run", TOML], ["nope.toml"], ["nope.toml"]),
    (["map", GPKG, "name", "--layer", "stadtteile", "--out", "k.html"],
     ["'name'", "--kind categorical"], ["'name'", "--kind categorical"]),
]


def _cli(args, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run([sys.executable, "-m", "quartier.batch.cli", *args], cwd=tmp_path,
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(("args", "german", "english"), CASES,
                         ids=[" ".join(a[:1] + a[2:4]) for a, _, _ in CASES])
def test_bad_input_exits_2_with_one_message(args, german, english, tmp_path):
    for lang, needles in (("de", german), ("en", english)):
        result = _cli(["--lang", lang, *args], tmp_path)
        err = result.stderr
        assert result.returncode == 2, (lang, err)
        assert "Traceback" not in err and result.stdout == "", err
        first = err.splitlines()[0]
        assert first.startswith("Fehler: " if lang == "de" else "Error: "), err
        for needle in needles:
            assert needle in err, (lang, needle, err)
        # one language: no German words in English messages and the other way round
        if lang == "en":
            assert "Fehler" not in err and "Hilfe" not in err
        else:
            assert "Error" not in err and "Help:" not in err
    assert not list(tmp_path.iterdir())  # nothing written


def test_debug_shows_the_traceback(tmp_path):
    result = _cli(["--debug", "map", "fehlt.gpkg", "x", "--out", "k.html"], tmp_path)
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_every_option_has_help():
    from quartier.batch.cli import _parser

    parser = _parser()
    subparsers = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"][0]
    for name, sub in [("quartier", parser), *subparsers.choices.items()]:
        for action in sub._actions:
            if action.dest == "help":
                continue
            assert action.help, (name, action.dest)
            if action.choices and not isinstance(action.choices, dict):
                assert "%(choices)s" in action.help or all(
                    str(c) in action.help for c in action.choices), (name, action.dest)
