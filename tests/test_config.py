"""Analysis configuration: validated before any work, errors name the line and key."""

from __future__ import annotations

import pytest

from quartier.batch.config import load_config
from quartier.errors import ConfigError

from conftest import REPO

GOOD = '''[project]
name = "Test"

[districts]
path = "d.gpkg"
key = "id"

[population]
path = "p.csv"

[target_groups]
senioren = ["a", "b"]

[[services]]
name = "Treffs"
facilities = "f.csv"
target_group = "senioren"
max_cost = 500
'''


@pytest.fixture
def folder(tmp_path):
    for name in ("d.gpkg", "p.csv", "f.csv"):
        (tmp_path / name).write_text("x")
    return tmp_path


def _write(folder, text):
    path = folder / "analysis.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_valid_config_with_defaults_and_absolute_paths(folder):
    cfg = load_config(_write(folder, GOOD))
    assert cfg.project["output"] == "ergebnisse" and cfg.project["lang"] == "de"
    assert cfg.districts["path"] == (folder / "d.gpkg").resolve()
    assert cfg.services[0]["max_cost"] == 500
    assert cfg.outputs["layers"] == ["gpkg"] and cfg.output_dir == folder / "ergebnisse"


def test_misspelt_key_names_line_and_suggests(folder):
    text = GOOD.replace('target_group = "senioren"', 'targetgroup = "senioren"')
    with pytest.raises(ConfigError) as err:
        load_config(_write(folder, text))
    assert err.value.line == 17
    assert str(err.value).startswith("analysis.toml, line 17: unknown key 'targetgroup'")
    assert "Did you mean 'target_group'?" in str(err.value)


def test_missing_file_fails_with_its_line(folder):
    (folder / "f.csv").unlink()
    with pytest.raises(ConfigError, match=r"line 16: file 'f.csv' does not exist") as err:
        load_config(_write(folder, GOOD))
    assert err.value.line == 16


def test_second_service_errors_point_at_its_own_lines(folder):
    text = GOOD + '\n[[services]]\nname = "Kitas"\nfacilities = "f.csv"\ntarget_group = "kinder"\nmax_cost = 300\n'
    with pytest.raises(ConfigError, match=r"line 23: target group 'kinder' is not defined"):
        load_config(_write(folder, text))


def test_kinds_sections_and_syntax(folder):
    with pytest.raises(ConfigError, match=r"line 18: 'max_cost' must be a number, not '500 m'"):
        load_config(_write(folder, GOOD.replace("max_cost = 500", 'max_cost = "500 m"')))
    with pytest.raises(ConfigError, match=r"line 1: unknown section \[projekt\]. Did you mean 'project'"):
        load_config(_write(folder, GOOD.replace("[project]", "[projekt]")))
    with pytest.raises(ConfigError, match="not valid TOML") as err:
        load_config(_write(folder, GOOD.replace('name = "Test"', "name = Test")))
    assert err.value.line == 2
    with pytest.raises(ConfigError, match="greater than 0"):
        load_config(_write(folder, GOOD.replace("max_cost = 500", "max_cost = 0")))
    with pytest.raises(ConfigError, match=r"\[\[services\]\] \(double brackets\)"):
        load_config(_write(folder, GOOD.replace("[[services]]", "[services]")))


def test_example_configs_validate(shared):
    demo = load_config(REPO / "examples" / "musterstadt.toml")
    assert [s["name"] for s in demo.services] == ["Seniorentreffs", "Pflegeheime", "Kitas"]
    berlin = load_config(REPO / "examples" / "berlin.toml")
    assert berlin.districts["path"].name == "lor_planungsraeume_2021.shp"



@pytest.mark.parametrize("bad", ["inf", "nan", "1e300", "-1", "0"])
def test_reach_and_norm_are_finite_positive_numbers(folder, bad):
    """TOML knows inf and nan: they fail in the configuration, before any work (--dry-run)."""
    with pytest.raises(ConfigError, match=r"line 18: max_cost( must be greater than 0 metres and "
                       r"finite, not |=1e\+300 is implausibly large)"):
        load_config(_write(folder, GOOD.replace("max_cost = 500", f"max_cost = {bad}")))


DISCLOSURE = GOOD.replace('key = "id"\n', 'key = "id"\nlevels = ["bezirk"]\n') + '''
[disclosure]
min_count = 3
count_columns = ["ew_unter_1_jahr", "sgb2"]
rate_columns = { sgb2_quote = ["sgb2", "ew"] }
row_totals = { ew = ["ew_u18", "ew_18plus"] }

[outputs]
maps_by = "bezirk"
'''


def test_disclosure_declares_counts_rates_totals_and_levels(folder):
    cfg = load_config(_write(folder, DISCLOSURE))
    assert cfg.districts["levels"] == ["bezirk"]
    assert cfg.disclosure["count_columns"] == ["ew_unter_1_jahr", "sgb2"]
    assert cfg.disclosure["rate_columns"] == {"sgb2_quote": ["sgb2", "ew"]}
    assert cfg.disclosure["row_totals"] == {"ew": ["ew_u18", "ew_18plus"]}
    assert cfg.outputs["maps_by"] == "bezirk"


@pytest.mark.parametrize("old, new, line, words", [
    ('count_columns = ["ew_unter_1_jahr", "sgb2"]', 'count_columns = "sgb2"', 23,
     "'count_columns' must be a list"),
    ('count_columns = ["ew_unter_1_jahr", "sgb2"]', 'count_columns = [1, 2]', 23,
     "count_columns must be a list of column names"),
    ('rate_columns = { sgb2_quote = ["sgb2", "ew"] }', 'rate_columns = { sgb2_quote = "sgb2" }',
     24, "'sgb2_quote' must be [numerator, denominator]"),
    ('rate_columns = { sgb2_quote = ["sgb2", "ew"] }', 'rate_columns = { sgb2 = ["a", "ew"] }',
     24, "'sgb2' is in count_columns and in rate_columns"),
    ('row_totals = { ew = ["ew_u18", "ew_18plus"] }', 'row_totals = { ew = ["ew"] }', 25,
     "'ew' must be a list of two or more other columns"),
    ('maps_by = "bezirk"', 'maps_by = "stadtteil"', 28, "must be one of the [districts] levels"),
    ('levels = ["bezirk"]', 'levels = ["id"]', 7, "not the key column itself"),
    ('min_count = 3', 'min_cont = 3', 22, "Did you mean 'min_count'?"),
])
def test_disclosure_errors_name_line_and_fix(folder, old, new, line, words):
    text = DISCLOSURE.replace(old, new)
    if "levels" in old:
        text = text.replace('maps_by = "bezirk"', "")
    with pytest.raises(ConfigError) as err:
        load_config(_write(folder, text))
    assert err.value.line == line, str(err.value)
    assert words in str(err.value)
