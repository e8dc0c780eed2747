"""The configuration example of docs/guide/public-transport.md is complete and valid: it
loads with quartier's own configuration loader, with its networks and services as written."""

from __future__ import annotations

import re
import tomllib

import pytest

from quartier.batch.config import load_config
from quartier.errors import ConfigError

from conftest import REPO

PAGE = REPO / "docs" / "guide" / "public-transport.md"


def example_config() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    full = [b for b in blocks if "[project]" in b]
    assert len(full) == 1, "the page must hold exactly one complete configuration"
    return full[0]


def write_with_files(folder, text: str):
    """The configuration and an empty file for every path it names (the loader checks that
    files exist; it does not read them)."""
    data = tomllib.loads(text)
    paths = [data["districts"]["path"], data["population"]["path"]]
    paths += [s["facilities"] for s in data["services"]]
    for spec in data["networks"].values():
        value = spec.get("path", spec.get("gtfs"))
        paths += value if isinstance(value, list) else [value]
    for name in set(paths):
        (folder / name).write_bytes(b"")
    toml = folder / "pflege.toml"
    toml.write_text(text, encoding="utf-8")
    return toml


def test_example_configuration_loads(tmp_path):
    cfg = load_config(write_with_files(tmp_path, example_config()))
    assert set(cfg.networks) == {"auto", "oepnv_dienstag", "oepnv_sonntag"}
    auto = cfg.networks["auto"]
    assert (auto["kind"], auto["profile"], auto["unit"]) == ("streets", "car", "min")
    tue, sun = cfg.networks["oepnv_dienstag"], cfg.networks["oepnv_sonntag"]
    assert (tue["kind"], tue["date"], tue["start"], tue["end"]) == (
        "transit", "2021-09-14", "08:00", "12:00")
    assert sun["date"] == "2021-09-19" and sun["horizon"] == 90
    # gtfs paths are resolved against the configuration's folder
    assert tue["gtfs"] == [(tmp_path / "uckermark_2021-09-14_2021-09-19.zip").resolve()]
    by_network = {s["network"]: s["max_cost"] for s in cfg.services}
    assert by_network == {"auto": 15, "oepnv_dienstag": 30, "oepnv_sonntag": 30}
    assert cfg.target_groups == {"hochbetagte": ["ew_80plus"]}


def test_example_max_cost_beyond_the_horizon_is_refused(tmp_path):
    """The page says so: a transit service's max_cost beyond the network's horizon."""
    text = example_config().replace('network = "oepnv_sonntag"\nmax_cost = 30',
                                    'network = "oepnv_sonntag"\nmax_cost = 500')
    assert "max_cost = 500" in text
    with pytest.raises(ConfigError, match="horizon"):
        load_config(write_with_files(tmp_path, text))


def test_page_is_in_the_navigation_and_the_index():
    assert "guide/public-transport.md" in (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    assert "guide/public-transport.md" in (REPO / "docs" / "index.md").read_text(
        encoding="utf-8")
