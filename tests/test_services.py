"""Several services and target groups in one tidy table, checked against the single calls."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import quartier
from quartier.access.provision import supply
from quartier.access.services import TABLE_COLUMNS, service_table
from quartier.errors import QuartierWarning


@pytest.fixture(scope="module")
def musterstadt():
    gpkg = quartier.demo_path("musterstadt.gpkg")
    teile = quartier.read_districts(gpkg, key="stadtteil_id", name="name", layer="stadtteile")
    cells = quartier.read_points(quartier.demo_path("bevoelkerung_100m.csv"), x="x", y="y",
                                 source_crs="EPSG:25832")
    cells["ew_65plus"] = cells["65_bis_79"] + cells["80_und_aelter"]
    fac = quartier.read_facilities(gpkg, layer="einrichtungen", capacity="plaetze")
    by_service = {
        "Pflegeheime": fac[fac["art"] == "pflegeheim"],
        "Seniorentreffs": fac[fac["art"] == "seniorentreff"],
        "Kitas": fac[fac["art"] == "kita"],
    }
    return teile, cells, by_service


SPEC = [
    {"service": "Pflegeheime", "target": "80_und_aelter", "label": "80+", "max_cost": 1500,
     "capacity": "plaetze", "norm_per_1000": 150},
    {"service": "Seniorentreffs", "target": "ew_65plus", "label": "65+", "max_cost": 500},
    {"service": "Kitas", "target": "unter_6", "label": "unter 6", "max_cost": 800,
     "capacity": "plaetze", "norm_per_1000": 600, "method": "e2sfca"},
]


def _check_share(t):
    """share_covered is covered / population where people live, and empty only where none do."""
    populated = t["population"].to_numpy() > 0
    share = t["share_covered"].to_numpy(dtype=float)
    assert np.isfinite(share[populated]).all(), "share_covered is empty in populated districts"
    assert np.isnan(share[~populated]).all()
    expected = t["covered_population"].to_numpy()[populated] / t["population"].to_numpy()[populated]
    assert np.allclose(share[populated], expected)
    assert ((share[populated] >= 0) & (share[populated] <= 1)).all()


def test_three_services_one_table(musterstadt):
    teile, cells, by_service = musterstadt
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        t = service_table(cells, by_service, SPEC, by=teile, by_key="stadtteil_id")
    assert t.columns.tolist() == ["district", *TABLE_COLUMNS]
    assert len(t) == 3 * len(teile)
    assert t.groupby("service").size().to_dict() == {s: len(teile) for s in by_service}
    _check_share(t)
    assert (t["covered_population"] <= t["population"] + 1e-9).all()
    # population per target group adds up to the cells in the districts
    pop = t[t["service"] == "Kitas"]["population"].sum()
    assert pop <= cells["unter_6"].sum() and pop > 0.95 * cells["unter_6"].sum()
    # no Richtwert for Seniorentreffs: NaN, not 0
    assert t[t["service"] == "Seniorentreffs"]["deficit"].isna().all()
    # the Kita rows are exactly the single calls
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        cov = quartier.coverage(cells, by_service["Kitas"], max_cost=800, demand_col="unter_6",
                                by=teile, by_key="stadtteil_id")
        sup = supply(cells, by_service["Kitas"], demand_col="unter_6", capacity="plaetze",
                     by=teile, by_key="stadtteil_id", max_cost=800, norm_per_1000=600,
                     method="e2sfca").table
    k = t[t["service"] == "Kitas"].set_index("district")
    assert np.allclose(k["covered_population"], cov.districts.set_index("stadtteil_id")
                       ["covered_population"].loc[k.index])
    assert np.allclose(k["share_covered"], cov.districts.set_index("stadtteil_id")
                       ["share_covered"].loc[k.index], equal_nan=True)
    s = sup.set_index("stadtteil_id").loc[k.index]
    for col in ("places", "places_per_1000", "places_in_reach", "deficit", "deficit_in_reach"):
        assert np.allclose(k[col], s[col], equal_nan=True), col
    assert (k["target_group"] == "unter 6").all() and (k["norm_per_1000"] == 600).all()


def test_spec_as_dataframe_and_errors(musterstadt):
    teile, cells, by_service = musterstadt
    frame = pd.DataFrame(SPEC[:2])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        t = service_table({"zensus": cells}, by_service, frame, by=teile, by_key="stadtteil_id")
    assert set(t["service"]) == {"Pflegeheime", "Seniorentreffs"}
    with pytest.raises(quartier.QuartierError, match="lacks 'max_cost'"):
        service_table(cells, by_service, [{"service": "Kitas", "target": "unter_6"}], by=teile, by_key="stadtteil_id")
    with pytest.raises(quartier.QuartierError, match="unknown key"):
        service_table(cells, by_service, [{**SPEC[0], "radius": 3}], by=teile, by_key="stadtteil_id")
    with pytest.raises(quartier.QuartierError, match="Schulen"):
        service_table(cells, by_service, [{**SPEC[0], "service": "Schulen"}], by=teile, by_key="stadtteil_id")
    with pytest.raises(quartier.ColumnError, match="ew_80"):
        service_table(cells, by_service, [{**SPEC[0], "target": "ew_80"}], by=teile, by_key="stadtteil_id")
    with pytest.raises(quartier.QuartierError, match="by="):
        service_table(cells, by_service, SPEC[:1])


def test_berlin_kitas_and_care_homes_per_planungsraum(berlin_plr_population, berlin_kitas,
                                                      berlin_care_homes):
    joined, kitas, homes = berlin_plr_population, berlin_kitas, berlin_care_homes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QuartierWarning)
        spec = [
            {"service": "Kitas", "target": "inhabitants_age_below_6", "label": "unter 6",
             "max_cost": 500, "capacity": "places", "norm_per_1000": 700, "spacing": 250},
            {"service": "Pflegeheime", "target": "inhabitants_age_above_65", "label": "65+",
             "max_cost": 1000, "capacity": "platzzahl", "norm_per_1000": 30, "spacing": 250},
        ]
        t = service_table(joined, {"Kitas": kitas, "Pflegeheime": homes}, spec, by_key="PLR_ID")
    assert len(t) == 2 * 542 and t["district"].str.len().eq(8).all()
    kid = t[t["service"] == "Kitas"]
    assert kid["population"].sum() == joined["inhabitants_age_below_6"].sum()
    _check_share(t)
    assert (t["covered_population"] <= t["population"] + 1e-6).all()
    # located places add up to the facilities inside Berlin's Planungsräume
    assert kid["places"].sum() <= kitas["places"].sum()
    assert kid["places"].sum() > 0.99 * kitas["places"].sum()
    assert isinstance(t, pd.DataFrame) and not isinstance(t, gpd.GeoDataFrame)
