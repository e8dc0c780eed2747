"""Shared fixtures: where the real open data lives, and the demo city."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check results, not speed: no per-example deadline (CI machines are shared and
# loaded, and a deadline there fails a correct test). Speed is measured in benchmarks/.
settings.register_profile("quartier", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("quartier")

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout (or $QUARTIER_SHARED_DATA)."""
    override = os.environ.get("QUARTIER_SHARED_DATA")
    return Path(override) if override else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The real open data. Missing data fails in CI and skips elsewhere."""
    path = shared_data_dir()
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the shared data is missing at {path}; CI must have it beside the clone")
        pytest.skip(f"shared data not found at {path} (set QUARTIER_SHARED_DATA)")
    return path


@pytest.fixture(autouse=True)
def _default_settings():
    """Every test starts in German, without disclosure control, with the default FCA engine.

    Resets both the process-wide defaults and the values of the test's context (tests run in
    the main thread's context, which every test shares).
    """
    from quartier import settings
    from quartier.reporting.disclosure_control import set_disclosure

    def reset():
        settings.set_language("de", process_wide=True)
        set_disclosure(None, process_wide=True)
        settings._process_default["fca_engine"] = None  # the FCA engine: "auto" or the env
        settings._FCA_ENGINE.set(None)

    reset()
    yield
    reset()


# --- Berlin inputs used by several test modules: read once, handed out as copies ---------

_BERLIN: dict = {}


def _berlin(shared: Path, name: str):
    if name not in _BERLIN:
        import warnings

        import quartier

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", quartier.QuartierWarning)
            if name == "plr_population":
                plr = quartier.read_districts(
                    shared / "berlin_lor" / "lor_planungsraeume_2021.shp", key="PLR_ID")
                table = quartier.read_table(
                    shared / "berlin_population"
                    / "berlin-lor-population-2024-02-t2-planning-areas.csv", key="id")
                _BERLIN[name], _ = quartier.join_indicators(plr, table, left_on="PLR_ID",
                                                            right_on="id")
            elif name == "kitas":
                _BERLIN[name] = quartier.read_facilities(
                    shared / "berlin_kitas" / "berlin-daycare-centers-2026-07-details.csv",
                    capacity="places", crs="EPSG:25833")
            elif name == "care_homes":
                _BERLIN[name] = quartier.read_facilities(
                    shared / "berlin_facilities" / "pflegeeinrichtungen.geojson",
                    capacity="platzzahl")
    return _BERLIN[name].copy()


@pytest.fixture
def berlin_plr_population(shared):
    """Berlin's 542 Planungsräume (EPSG:25833) joined with the 2024 population table t2."""
    return _berlin(shared, "plr_population")


@pytest.fixture
def berlin_kitas(shared):
    """Berlin's 2,893 Kitas with their places, in EPSG:25833."""
    return _berlin(shared, "kitas")


@pytest.fixture
def berlin_care_homes(shared):
    """Berlin's 274 care homes with their places, in EPSG:25833."""
    return _berlin(shared, "care_homes")


@pytest.fixture(scope="session")
def berlin_rare(shared):
    """Berlin's Planungsraum x age table of a rare characteristic (binomial p=0.0003, seed 7),
    with a total column: the disclosure tests' common case."""
    import numpy as np
    import pandas as pd

    pop = pd.read_csv(shared / "berlin_population"
                      / "berlin-lor-population-2024-02-t2-planning-areas.csv", dtype={"id": str})
    ages = [c for c in pop.columns if c.startswith("inhabitants_age")
            and not c.endswith("percentage")]
    rng = np.random.default_rng(7)
    counts = rng.binomial(pop[ages].to_numpy(), 0.0003)
    table = pd.DataFrame(counts, index=pop["id"].to_numpy(), columns=[a[16:] for a in ages])
    table["total"] = table.sum(axis=1)
    return table
