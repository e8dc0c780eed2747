"""Straight-line FCA engines: numpy by default, the numba kernel (quartier[fast]) for large
inputs, and a fallback to numpy with one warning whenever numba cannot be used."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point

import quartier
from quartier import settings
from quartier.access import _fca_kernel as kernel
from quartier.access.costs import straight_line_pairs
from quartier.access.floating import fca
from quartier.errors import QuartierWarning
from quartier.settings import get_fca_engine, set_fca_engine

SRC = Path(quartier.__file__).resolve().parent


@pytest.fixture(autouse=True)
def _engine_reset(monkeypatch):
    """No engine set (neither by set_fca_engine nor the environment), no numba failure."""
    monkeypatch.delenv("QUARTIER_FCA_ENGINE", raising=False)
    monkeypatch.setitem(settings._process_default, "fca_engine", None)
    settings._FCA_ENGINE.set(None)
    kernel._reset()
    yield
    kernel._reset()


def _line():
    kids = gpd.GeoDataFrame({"u6": [100, 200, 50]}, crs="EPSG:25833",
                            geometry=[Point(0, 0), Point(800, 0), Point(3000, 0)])
    kitas = gpd.GeoDataFrame({"places": [60, 30]}, crs="EPSG:25833",
                             geometry=[Point(400, 0), Point(1500, 0)])
    return kids, kitas


def _run(**kw):
    kids, kitas = _line()
    return fca(kids, kitas, max_cost=1000, demand_col="u6", capacity="places", **kw).scores


def test_engine_setting_and_environment(monkeypatch):
    assert get_fca_engine() == "auto"
    monkeypatch.setenv("QUARTIER_FCA_ENGINE", "numpy")
    assert get_fca_engine() == "numpy"
    set_fca_engine("numba")  # an explicit setting wins over the environment
    assert get_fca_engine() == "numba"
    with pytest.raises(ValueError, match="'auto', 'numpy', 'numba'"):
        set_fca_engine("fortran")
    assert quartier.set_fca_engine is set_fca_engine


def test_auto_takes_numba_only_above_the_threshold(monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0, 20_000, (30_000, 2)), rng.uniform(0, 20_000, (2_500, 2))
    xy = (a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    # the estimate is close to the true number of pairs for spread points
    true = len(straight_line_pairs(a, b, 800.0)[0])
    assert kernel.estimated_pairs(*xy, 800.0) == pytest.approx(true, rel=0.05)
    assert kernel.engine_for(*xy, 800.0) == "numpy"  # Berlin-sized: numpy
    monkeypatch.setattr(kernel, "NUMBA_MIN_PAIRS", 1000)
    installed = kernel.importlib.util.find_spec("numba") is not None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert kernel.engine_for(*xy, 800.0) == ("numba" if installed else "numpy")
    assert len(caught) == (0 if installed else 1)
    set_fca_engine("numpy")
    assert kernel.engine_for(*xy, 800.0) == "numpy"
    set_fca_engine("numba")
    assert kernel.engine_for(*a[:1].T, *b[:1].T, 800.0) == "numba"
    # far-apart clusters (a sparse grid of cells) are estimated too
    far = np.r_[a[:50] / 1000, a[:50] / 1000 + 3e6]
    est = kernel.estimated_pairs(far[:, 0], far[:, 1], far[::10, 0], far[::10, 1], 10.0)
    assert 0 < est <= 10 * len(straight_line_pairs(far, far[::10], 10.0)[0])


def test_small_input_never_imports_numba():
    code = (
        "import sys, warnings; warnings.simplefilter('error');"
        "import geopandas as gpd; from shapely import Point; import quartier;"
        "d = gpd.GeoDataFrame({'u6': [100, 200]}, geometry=[Point(0, 0), Point(800, 0)],"
        " crs='EPSG:25833');"
        "s = gpd.GeoDataFrame({'p': [60]}, geometry=[Point(400, 0)], crs='EPSG:25833');"
        "print(quartier.fca(d, s, max_cost=1000, demand_col='u6', capacity='p').scores.tolist(),"
        " 'numba' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "QUARTIER_FCA_ENGINE"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.split() == ["[0.2,", "0.2]", "False"]


class _Broken:
    """A numba kernel module whose first call fails, as a compile or cache error does."""

    calls = 0

    @classmethod
    def straight_line_fca(cls, *args):
        cls.calls += 1
        raise RuntimeError("cannot cache function '_pass1': no locator available for file "
                           "'/usr/lib/python3/site-packages/quartier/access/_fca_numba.py'")


def test_failure_at_first_call_falls_back_once():
    expected = _run().tolist()
    assert expected == pytest.approx([0.2, 0.35, 0.0], rel=1e-12)
    kernel._state["kernel"] = _Broken
    set_fca_engine("numba")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = _run(), _run(method="e2sfca")
    ours = [w for w in caught if issubclass(w.category, QuartierWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    text = str(ours[0].message)
    assert "no locator available" in text and "NUMBA_CACHE_DIR" in text
    assert ours[0].filename == __file__  # points at the caller of fca
    assert _Broken.calls == 1  # not tried again in this process
    assert first.tolist() == expected
    set_fca_engine("numpy")
    assert second.tolist() == _run(method="e2sfca").tolist()


def test_numba_missing_falls_back_once(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba -> ImportError
    monkeypatch.setitem(sys.modules, "quartier.access._fca_numba", None)
    set_fca_engine("numba")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [_run().tolist() for _ in range(3)]
    ours = [w for w in caught if issubclass(w.category, QuartierWarning)]
    assert len(ours) == 1
    assert 'pip install "quartier[fast]"' in str(ours[0].message)
    assert results == [pytest.approx([0.2, 0.35, 0.0], rel=1e-12)] * 3


def _read_only_copy(root: Path) -> tuple[Path, Path]:
    """The package copied to ``root/site`` and a home folder, all read-only (a-w)."""
    site = root / "site"
    shutil.copytree(SRC, site / "quartier", ignore=shutil.ignore_patterns("__pycache__"))
    home = root / "home"  # numba's user-wide cache folder (~/.cache) is not writable either
    home.mkdir()
    for path in [root, site, home, *site.rglob("*")]:
        mode = 0o555 if path.is_dir() else 0o444
        path.chmod(mode)
    return site, home


def _read_only_command() -> list[str]:
    """How to start Python so that a-w files are read-only: root ignores file modes unless
    it drops the capability to override them (setpriv, util-linux)."""
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return [sys.executable]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot make files read-only for root")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", sys.executable]


def test_read_only_install(tmp_path):
    command = _read_only_command()
    site, home = _read_only_copy(tmp_path)
    code = r'''
import json, sys, warnings
import geopandas as gpd
from shapely import Point
import quartier
from quartier.errors import QuartierWarning
kids = gpd.GeoDataFrame({"u6": [100, 200, 50]}, crs="EPSG:25833",
                        geometry=[Point(0, 0), Point(800, 0), Point(3000, 0)])
kitas = gpd.GeoDataFrame({"places": [60, 30]}, crs="EPSG:25833",
                         geometry=[Point(400, 0), Point(1500, 0)])
out = {"file": quartier.__file__}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    out["auto"] = quartier.fca(kids, kitas, max_cost=1000, demand_col="u6",
                               capacity="places").scores.tolist()
    out["auto_numba"] = "numba" in sys.modules
    quartier.set_fca_engine("numba")  # as for a large input: numba wanted, cannot cache
    out["numba"] = [quartier.fca(kids, kitas, max_cost=1000, demand_col="u6",
                                 capacity="places", method=m).scores.tolist()
                    for m in ("2sfca", "e2sfca", "2sfca")]
out["warnings"] = [str(w.message) for w in caught if issubclass(w.category, QuartierWarning)]
print(json.dumps(out))
'''
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUMBA_", "QUARTIER_")) and k not in ("XDG_CACHE_HOME",)}
    env.update(PYTHONPATH=str(site), HOME=str(home), MPLCONFIGDIR=str(home / "mpl"),
               PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run([*command, "-c", code], capture_output=True, text=True, env=env,
                              cwd=home, timeout=600)
    finally:  # writable again, for pytest's clean-up
        for path in [tmp_path, site, home, *site.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(out["file"]).parent == site / "quartier"
    assert out["auto"] == pytest.approx([0.2, 0.35, 0.0], rel=1e-12, abs=0)
    assert out["auto_numba"] is False
    two, e2, again = out["numba"]
    assert two == again == out["auto"]
    assert e2 == pytest.approx(_run(method="e2sfca").tolist(), rel=1e-12, abs=0)
    assert len(out["warnings"]) == 1, out["warnings"]
    text = out["warnings"][0]
    if kernel.importlib.util.find_spec("numba") is None:
        assert 'quartier[fast]' in text
    else:  # numba finds no writable cache folder: the import of the kernel fails, no compile
        assert "no locator available" in text and "NUMBA_CACHE_DIR" in text, text
