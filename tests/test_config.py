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
