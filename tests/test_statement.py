"""Statement on a development plan: hand-calculated verdicts and the demo city's plan area."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely import Point, box

import quartier
from quartier.errors import ColumnError, CRSError, QuartierError
from quartier.planning.statement import ServiceCheck, development_statement, plan_residents

PLAN = gpd.GeoDataFrame(geometry=[box(0, 0, 200, 200)], crs="EPSG:25832")  # inside point (100, 100)


def _fac(places, xy=((400, 100),)):
    places = [places] * len(xy) if np.isscalar(places) else places
    return gpd.GeoDataFrame({"plaetze": places}, geometry=[Point(*p) for p in xy], crs=25832)


def _people(n, xy=(500, 100)):
    return gpd.GeoDataFrame({"unter_6": [n]}, geometry=[Point(*xy)], crs=25832)


def _one(places, today, units=100, xy=((400, 100),)):
    svc = ServiceCheck("Kitas", _fac(places, xy), ["unter_6"], 500, "plaetze", 700)
    return development_statement(PLAN, housing_units=units, population=_people(today),
                                 services=[svc]).table.iloc[0]


def test_residents_from_units_and_profile():
    r = plan_residents(450, 2.2)
    assert r.sum() == pytest.approx(990.0)
    assert r["unter_6"] == pytest.approx(450 * 2.2 * 0.09)
    with pytest.raises(QuartierError, match="sum to 1"):
        plan_residents(10, 2.0, {"a": 0.5, "b": 0.4})


def test_each_verdict_by_hand():
    # 100 units x 2.0 persons x 0.09 = 18 new children; norm 700 per 1,000
    ok = _one(places=60, today=50)           # after: (50 + 18) * 0.7 = 47.6 <= 60
    assert ok["verdict"] == "ausreichend" and ok["additional_places"] == 0
    assert ok["load_before"] == pytest.approx(35 / 60)
    tipped = _one(places=40, today=50)       # before 35 <= 40, after 47.6 > 40: 7.6 -> 8 places
    assert tipped["verdict"] == "durch das Vorhaben überlastet"
    assert tipped["additional_places"] == 8
    full = _one(places=30, today=50)         # before 35 > 30
    assert full["verdict"] == "bereits heute überlastet" and full["additional_places"] == 18
    none = _one(places=60, today=50, xy=((5000, 100),))  # nothing within 500 m
    assert none["verdict"] == "keine Einrichtung erreichbar"
    assert none["facilities_in_reach"] == 0
    # issue #14: the 50 children 400 m from the site count although no Kita is in reach:
    # (50 + 18) * 0.7 = 47.6 -> 48 places missing, of which the development's own 12.6
    assert none["target_group_near_site"] == 50
    assert none["own_need"] == pytest.approx(12.6)
    assert none["required_places_before"] == pytest.approx(35.0)
    assert none["additional_places"] == 48
    assert none["nearest_facility"] == "0" and none["nearest_cost"] == pytest.approx(4900.0)


def test_bad_inputs():
    svc = ServiceCheck("Kitas", _fac([60]), ["kinder"], 500, "plaetze", 700)
    with pytest.raises(ColumnError, match="age group"):
        development_statement(PLAN, housing_units=10, services=[svc])
    svc = ServiceCheck("Kitas", _fac([60]).to_crs(25833), ["unter_6"], 500, "plaetze", 700)
    with pytest.raises(CRSError, match="to_crs"):
        development_statement(PLAN, housing_units=10, services=[svc])
    with pytest.raises(CRSError, match="degrees"):
        development_statement(PLAN.to_crs(4326), housing_units=10, services=[])


def test_demo_city_plan_area_against_brute_force():
    gpkg = quartier.demo_path("musterstadt.gpkg")
    plan = gpd.read_file(gpkg, layer="baugebiet")
    fac = quartier.read_facilities(gpkg, layer="einrichtungen", capacity="plaetze")
    cells = quartier.read_points(quartier.demo_path("bevoelkerung_100m.csv"), x="x", y="y",
                                 source_crs="EPSG:25832")
    kitas = fac[fac["art"] == "kita"]
    s = development_statement(
        plan, housing_units=int(plan["wohneinheiten"].iloc[0]), persons_per_unit=2.1,
        population=cells,
        services=[ServiceCheck("Kitas", kitas, ["unter_6"], 1000, "plaetze", 700)],
    )
    row = s.table.iloc[0]
    # independent: facilities within 1 km of the plan's inside point, people within 1 km of them
    p = plan.union_all().representative_point()
    d = np.hypot(kitas.geometry.x - p.x, kitas.geometry.y - p.y)
    near = kitas[d.to_numpy() <= 1000]
    assert row["facilities_in_reach"] == len(near) > 0
    assert row["places"] == near["plaetze"].sum()
    cx, cy = cells.geometry.x.to_numpy(), cells.geometry.y.to_numpy()
    reach = np.zeros(len(cells), bool)
    for q in near.geometry:
        reach |= np.hypot(cx - q.x, cy - q.y) <= 1000
    # the "everyone" rule (the one before issue #14): all people in reach of those Kitas
    every = development_statement(
        plan, housing_units=int(plan["wohneinheiten"].iloc[0]), persons_per_unit=2.1,
        population=cells, allocation="everyone",
        services=[ServiceCheck("Kitas", kitas, ["unter_6"], 1000, "plaetze", 700)],
    ).table.iloc[0]
    assert every["target_group_today"] == cells.loc[reach, "unter_6"].sum()
    # capacity-weighted (default): each cell shares its children among ALL Kitas in its reach
    # by places (dense distances to every Kita); the Kitas near the site carry their shares
    kx, ky = kitas.geometry.x.to_numpy(), kitas.geometry.y.to_numpy()
    within = np.hypot(cx[:, None] - kx[None, :], cy[:, None] - ky[None, :]) <= 1000
    w = within * kitas["plaetze"].to_numpy(float)[None, :]
    has = w.sum(axis=1) > 0
    share = np.zeros_like(w)
    share[has] = w[has] / w[has].sum(axis=1, keepdims=True)
    carried = (cells["unter_6"].to_numpy(float)[:, None] * share)[:, d.to_numpy() <= 1000].sum()
    assert row["target_group_today"] == pytest.approx(carried)
    assert 0 < row["target_group_today"] < every["target_group_today"]
    assert row["load_before"] == pytest.approx(carried * 0.7 / near["plaetze"].sum())
    assert row["new_target_group"] == pytest.approx(450 * 2.1 * 0.09, abs=0.05)
    assert set(s.facilities["service"]) == {"Kitas"}


def test_statement_package_for_the_demo_plan(tmp_path):
    from quartier.planning.statement import write_statement

    gpkg = quartier.demo_path("musterstadt.gpkg")
    plan = gpd.read_file(gpkg, layer="baugebiet")
    plan["name"] = ["<b>B-Plan 123</b>"]  # names from data are escaped in the page
    fac = quartier.read_facilities(gpkg, layer="einrichtungen", capacity="plaetze")
    cells = quartier.read_points(quartier.demo_path("bevoelkerung_100m.csv"), x="x", y="y",
                                 source_crs="EPSG:25832")
    teile = quartier.read_districts(gpkg, key="stadtteil_id", name="name", layer="stadtteile")
    teile = teile.merge(
        quartier.read_table(quartier.demo_path("indikatoren_stadtteile.csv"), key="Stadtteil"),
        left_on="stadtteil_id", right_on="Stadtteil")
    services = [
        ServiceCheck("Kitas", fac[fac["art"] == "kita"], ["unter_6"], 800, "plaetze", 700,
                     "Kinder unter 6 Jahren"),
        ServiceCheck("Seniorentreffs", fac[fac["art"] == "seniorentreff"],
                     ["65_bis_79", "80_und_aelter"], 500, "plaetze", 20, "Menschen ab 65 Jahren"),
    ]
    s = development_statement(plan, housing_units=450, persons_per_unit=2.1, population=cells,
                              services=services)
    files = write_statement(s, tmp_path, title="Stellungnahme zum Bebauungsplan Nr. 123",
                            source="Musterstadt (synthetische Demo-Daten)", districts=teile,
                            column="SGB-II-Quote in %", legend_title="SGB-II-Quote (%)")
    assert [f.name for f in files] == ["stellungnahme_karte.png", "stellungnahme_karte.pdf",
                                       "stellungnahme_tabelle.csv", "stellungnahme.html"]
    assert files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and files[1].read_bytes()[:5] == b"%PDF-"
    table = files[2].read_text(encoding="utf-8-sig")
    assert table.splitlines()[0].startswith("leistung;zielgruppe;") and "Kitas" in table
    page = files[3].read_text(encoding="utf-8")
    # issue #14: own demand and own need on one line (450 * 2.1 * 0.09 = 85.05; x 0.7 = 59.5)
    assert ("Eigener Bedarf des Vorhabens: rund 85 Personen der Zielgruppe „Kinder unter 6 "
            "Jahren“, nach Richtwert (700 Plätze je 1.000) 59,5 Plätze.") in page
    assert "Zielgruppe „Kinder unter 6 Jahren“" in page
    for verdict in s.table["verdict"]:
        assert verdict in page
    assert '<img src="stellungnahme_karte.png"' in page
    # no Seniorentreff within 500 m: the people 65+ around the site count, the nearest is named
    assert "Nächste Einrichtung: Begegnungsstätte Müllersruh, 2.028\xa0m." in page
    assert "Im Umkreis von 500\xa0m Luftlinie um das Plangebiet leben heute 110 Personen" in page
