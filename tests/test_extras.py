"""Optional dependencies (extras): a clear error naming the extra when one is missing, and the
core (``pip install quartier``, ``make demo``) works without any of them."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box

import quartier
from quartier import MissingDependencyError, QuartierError
from quartier._optional import EXTRAS, import_optional

ROOT = Path(__file__).resolve().parents[1]
OPTIONAL = ("osmium", "matplotlib", "pyarrow", "numba", "distributed", "dask")


def _block(monkeypatch, *modules):
    """Make ``import <module>`` fail as if it were not installed (also its loaded submodules)."""
    for name in list(sys.modules):
        if name.partition(".")[0] in modules:
            monkeypatch.setitem(sys.modules, name, None)
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


def _districts():
    return gpd.GeoDataFrame({"v": [1.0, 2.0]}, geometry=[box(0, 0, 900, 900),
                            box(900, 0, 1800, 900)], crs="EPSG:25832")


def test_extras_in_pyproject_match_the_code():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for module, (package, extra) in EXTRAS.items():
        assert any(dep.startswith(f"{package}>=") for dep in extras[extra]), (module, extra)
        assert not any(dep.startswith(package) for dep in required), f"{package} is optional"
    assert extras["all"] == ["quartier[osm,print,parquet,fast]"]
    assert "quartier[all]" in extras["test"] and "quartier[all]" in extras["bench"]


def test_missing_dependency_error_names_the_extra(monkeypatch):
    _block(monkeypatch, "osmium")
    with pytest.raises(MissingDependencyError) as info:
        import_optional("osmium", purpose="reading OpenStreetMap files")
    err = info.value
    assert isinstance(err, QuartierError) and isinstance(err, ImportError)
    assert err.extra == "osm" and err.name == "osmium"
    assert 'pip install "quartier[osm]"' in str(err) and "not installed" in str(err)
    assert quartier.MissingDependencyError is quartier.errors.MissingDependencyError


def test_broken_install_is_reported_with_its_reason(monkeypatch):
    def broken(name, *args, **kwargs):
        raise ImportError("libfoo.so: cannot open shared object file")

    monkeypatch.setattr("importlib.import_module", broken)
    with pytest.raises(MissingDependencyError, match=r"cannot be imported \(libfoo.so") as info:
        import_optional("pyarrow", purpose="GeoParquet export")
    assert 'pip install "quartier[parquet]"' in str(info.value)


def test_print_map_without_matplotlib(monkeypatch, tmp_path):
    _block(monkeypatch, "matplotlib")
    with pytest.raises(MissingDependencyError, match=r'print_map needs matplotlib.*quartier\[print\]'):
        quartier.print_map(_districts(), "v", tmp_path / "karte.pdf", title="T", source="S")
    assert not list(tmp_path.iterdir())


def test_write_statement_without_matplotlib_writes_nothing(monkeypatch, tmp_path):
    from quartier.planning.statement import write_statement

    _block(monkeypatch, "matplotlib")
    folder = tmp_path / "stellungnahme"
    with pytest.raises(MissingDependencyError, match=r"quartier\[print\]"):
        write_statement(None, folder, title="T", source="S", districts=_districts(), column="v")
    assert not folder.exists()


def _without(modules, code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in which ``modules`` are not installed.

    A subprocess, because pandas binds pyarrow at import (its string dtype): blocking pyarrow
    after pandas was imported is not the same as not having it installed. The modules are
    hidden by an import finder that reports them missing, which (unlike ``sys.modules[name] =
    None``) also looks uninstalled to pandas 3.0's own check for pyarrow.
    """
    prelude = textwrap.dedent(f"""
        import sys
        class _NotInstalled:
            def find_spec(self, name, path=None, target=None):
                if name.partition(".")[0] in {tuple(modules)!r}:
                    raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        sys.meta_path.insert(0, _NotInstalled())
    """)
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), str(cwd)],
                          capture_output=True, text=True, cwd=cwd)


def test_parquet_export_without_pyarrow(tmp_path):
    out = _without(["pyarrow"], """
        from pathlib import Path
        import geopandas as gpd, pandas as pd
        from shapely import Point
        import quartier
        tmp = Path(sys.argv[1])
        pts = gpd.GeoDataFrame({"n": [1.5], "name": ["Kita"]}, geometry=[Point(0, 0)],
                               crs="EPSG:25832")
        try:
            quartier.export_layers({"punkte": pts}, tmp / "punkte.parquet")
        except quartier.MissingDependencyError as err:
            print("error:", err.extra, err)
        print("files:", sorted(p.name for p in tmp.iterdir()))
        # the other formats need no extra
        print("gpkg:", quartier.export_layers({"punkte": pts}, tmp / "punkte.gpkg")[0].exists())
    """, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'error: parquet GeoParquet export' in out.stdout
    assert 'pip install "quartier[parquet]"' in out.stdout
    assert "files: []" in out.stdout  # nothing half-written
    assert "gpkg: True" in out.stdout


def test_from_osm_without_osmium(monkeypatch, tmp_path):
    _block(monkeypatch, "osmium")
    path = tmp_path / "stadt.osm"
    path.write_text("<osm version='0.6'></osm>", encoding="utf-8")
    with pytest.raises(MissingDependencyError, match=r"osmium.*quartier\[osm\]"):
        quartier.StreetNetwork.from_osm(path)


def test_core_and_demo_work_without_any_extra(tmp_path):
    """What `pip install quartier` / `make demo` gives: the demo job, a web map and a GeoPackage."""
    out = _without(OPTIONAL, """
        from quartier.batch.cli import main
        raise SystemExit(main(["demo", "--out", sys.argv[1]]))
    """, tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert {p.suffix for p in tmp_path.iterdir()} >= {".html", ".gpkg"}


def test_minimum_constraints_match_pyproject():
    """constraints/minimum.txt (make test-min) pins exactly the lower bounds of pyproject.toml."""
    spec = importlib.util.spec_from_file_location("min_constraints",
                                                  ROOT / "scripts" / "min_constraints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (ROOT / "constraints" / "minimum.txt").read_text(encoding="utf-8") == module.render(), (
        "run: python scripts/min_constraints.py > constraints/minimum.txt")
